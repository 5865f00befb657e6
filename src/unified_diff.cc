#include "harden/unified_diff.h"

#include <dtl/dtl.hpp>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace harden {
namespace {

// A run of `del` original lines from `start`, replaced by `add`.
struct Chunk {
  size_t start = 0;
  size_t del = 0;
  std::vector<std::string> add;
};

// Lines with their terminators; the last may have none.
std::vector<std::string_view> SplitLines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
    out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

size_t LineCount(const SourceText& src) {
  return src.size() == 0 ? 0 : src.line_count();
}

// The original line an offset falls on; the end of a file that ends with a
// newline is the (virtual) line after the last.
size_t LineAt(const SourceText& src, size_t offset) {
  if (offset >= src.size())
    return src.size() == 0 || src.ends_with_newline() ? LineCount(src)
                                                      : LineCount(src) - 1;
  return src.LineOf(offset);
}

size_t LineBegin(const SourceText& src, size_t line) {
  return line >= LineCount(src) ? src.size() : src.LineStart(line);
}

void Emit(std::string* out, char mark, std::string_view line,
          const char* color, bool use_color) {
  if (use_color && color) *out += color;
  *out += mark;
  if (!line.empty() && line.back() == '\n') {
    out->append(line.substr(0, line.size() - 1));
    if (use_color && color) *out += "\033[m";
    *out += '\n';
  } else {
    out->append(line);
    if (use_color && color) *out += "\033[m";
    *out += "\n\\ No newline at end of file\n";
  }
}

std::string Range(size_t start, size_t count) {
  // Unified diff: an empty range names the line before it.
  if (count == 0) return fmt::format("{},0", start);
  if (count == 1) return fmt::format("{}", start + 1);
  return fmt::format("{},{}", start + 1, count);
}

// Prints hunks as the chunks come, in file order: a hunk is printed once
// the next chunk is too far away to share its context, so only one hunk's
// lines are held at a time.
class HunkPrinter {
 public:
  HunkPrinter(const SourceText& src, const DiffOptions& options,
              std::string* out)
      : src_(src), ctx_(static_cast<size_t>(options.context)),
        color_(options.color), out_(out) {}

  void Add(Chunk ch) {
    if (!hunk_.empty()) {
      Chunk& last = hunk_.back();
      const size_t last_end = last.start + last.del;
      if (last_end == ch.start) {  // touching chunks read better as one
        last.del += ch.del;
        last.add.insert(last.add.end(), std::make_move_iterator(ch.add.begin()),
                        std::make_move_iterator(ch.add.end()));
        return;
      }
      if (ch.start > last_end + 2 * ctx_) Flush();
    }
    hunk_.push_back(std::move(ch));
  }

  void Flush() {
    if (hunk_.empty()) return;
    const size_t n = LineCount(src_);
    const Chunk& first = hunk_.front();
    const Chunk& last = hunk_.back();
    const size_t old_start = first.start >= ctx_ ? first.start - ctx_ : 0;
    const size_t old_end = std::min(n, last.start + last.del + ctx_);
    long hunk_delta = 0;
    for (const Chunk& ch : hunk_)
      hunk_delta += static_cast<long>(ch.add.size()) - static_cast<long>(ch.del);
    const size_t old_count = old_end - old_start;
    const size_t new_count =
        static_cast<size_t>(static_cast<long>(old_count) + hunk_delta);
    const size_t new_start =
        static_cast<size_t>(static_cast<long>(old_start) + delta_);
    std::string header = fmt::format("@@ -{} +{} @@", Range(old_start, old_count),
                                     Range(new_start, new_count));
    if (color_) header = "\033[36m" + header + "\033[m";
    *out_ += header;
    *out_ += '\n';
    size_t pos = old_start;
    for (const Chunk& ch : hunk_) {
      for (; pos < ch.start; ++pos) Emit(out_, ' ', Line(pos), nullptr, color_);
      for (size_t k = 0; k < ch.del; ++k, ++pos)
        Emit(out_, '-', Line(pos), "\033[31m", color_);
      for (const std::string& a : ch.add) Emit(out_, '+', a, "\033[32m", color_);
    }
    for (; pos < old_end; ++pos) Emit(out_, ' ', Line(pos), nullptr, color_);
    delta_ += hunk_delta;
    hunk_.clear();
  }

 private:
  std::string_view Line(size_t i) const {
    return src_.view().substr(src_.LineStart(i),
                              src_.LineEndWithEol(i) - src_.LineStart(i));
  }

  const SourceText& src_;
  const size_t ctx_;
  const bool color_;
  std::string* out_;
  std::vector<Chunk> hunk_;
  long delta_ = 0;  // new line number minus old, before the current hunk
};

// Compares the original lines [first, last_excl) with what `edits` make of
// them, and hands the chunks that differ to `printer`.
void DiffRegion(const SourceText& src, size_t first, size_t last_excl,
                const std::vector<const Edit*>& edits, HunkPrinter* printer) {
  size_t begin = LineBegin(src, first);
  size_t end = LineBegin(src, last_excl);
  std::string_view t = src.view();
  std::string after;
  size_t pos = begin;
  for (const Edit* e : edits) {
    after.append(t.substr(pos, e->offset - pos));
    after.append(e->text);
    pos = e->end();
  }
  after.append(t.substr(pos, end - pos));
  std::vector<std::string_view> a = SplitLines(t.substr(begin, end - begin));
  std::vector<std::string_view> b = SplitLines(after);
  dtl::Diff<std::string_view> diff(a, b);
  diff.compose();
  Chunk cur;
  bool open = false;
  size_t orig = first;
  for (const auto& [line, info] : diff.getSes().getSequence()) {
    if (info.type == dtl::SES_COMMON) {
      if (open) printer->Add(std::move(cur));
      cur = Chunk();
      open = false;
      ++orig;
      continue;
    }
    if (!open) {
      cur.start = orig;
      open = true;
    }
    if (info.type == dtl::SES_DELETE) {
      ++cur.del;
      ++orig;
    } else {
      cur.add.emplace_back(line);
    }
  }
  if (open) printer->Add(std::move(cur));
}

}  // namespace

const char* DiffNameEnd(const std::string& path) {
  return path.find(' ') == std::string::npos ? "" : "\t";
}

std::string UnifiedDiff(const SourceText& source, const EditList& edits,
                        const std::string& path, const DiffOptions& options) {
  if (edits.empty()) return {};
  std::string out;
  const bool c = options.color;
  if (c) out += "\033[1m";
  out += fmt::format("diff --git a/{0} b/{0}\n--- a/{0}{1}\n+++ b/{0}{1}\n", path,
                     DiffNameEnd(path));
  if (c) out.insert(out.size() - 1, "\033[m");
  const size_t header_size = out.size();
  // Room for the whole diff, so that it never moves while it grows (a copy
  // of a large diff would double its cost in memory): each original line
  // appears at most once, each added byte once, with a mark (and colour)
  // per line and a header per hunk. Pages that are never written are never
  // resident.
  const size_t per_line = 1 + (c ? 10 : 0) + 1;
  size_t added = 0;
  for (const Edit& e : edits) added += e.text.size();
  out.reserve(header_size + source.size() + LineCount(source) * per_line +
              added * (1 + per_line) + (edits.size() + 1) * 96 + 64);
  HunkPrinter printer(source, options, &out);
  // Group edits into regions of whole original lines, each compared alone.
  std::vector<const Edit*> group;
  size_t first = 0, last_excl = 0;
  for (const Edit& e : edits) {
    size_t l1 = LineAt(source, e.offset);
    size_t l2 = e.length ? LineAt(source, e.end() - 1) + 1 : l1 + 1;
    l2 = std::min(l2, LineCount(source));
    if (l2 < l1) l2 = l1;
    if (!group.empty() && l1 >= last_excl) {
      DiffRegion(source, first, last_excl, group, &printer);
      group.clear();
    }
    if (group.empty()) {
      first = l1;
      last_excl = l2;
    } else {
      last_excl = std::max(last_excl, l2);
    }
    group.push_back(&e);
  }
  DiffRegion(source, first, last_excl, group, &printer);
  printer.Flush();
  if (out.size() == header_size) return {};  // the edits change no line
  return out;
}

}  // namespace harden
