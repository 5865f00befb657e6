#include "harden/unified_diff.h"

#include <dtl/dtl.hpp>

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace harden {
namespace {

// A run of original lines [start, start + del.size()) replaced by `add`.
struct Chunk {
  size_t start = 0;
  std::vector<std::string> del;
  std::vector<std::string> add;
};

// Lines with their terminators; the last may have none.
std::vector<std::string> SplitLines(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
    out.emplace_back(s.substr(pos, end - pos));
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

void DiffRegion(const SourceText& src, size_t first, size_t last_excl,
                const std::vector<const Edit*>& edits, std::vector<Chunk>* out) {
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
  std::vector<std::string> a = SplitLines(t.substr(begin, end - begin));
  std::vector<std::string> b = SplitLines(after);
  dtl::Diff<std::string> diff(a, b);
  diff.compose();
  Chunk cur;
  bool open = false;
  size_t orig = first;
  for (const auto& [line, info] : diff.getSes().getSequence()) {
    if (info.type == dtl::SES_COMMON) {
      if (open) out->push_back(std::move(cur));
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
      cur.del.push_back(line);
      ++orig;
    } else {
      cur.add.push_back(line);
    }
  }
  if (open) out->push_back(std::move(cur));
}

void Emit(std::string* out, char mark, const std::string& line,
          const char* color, bool use_color) {
  if (use_color && color) *out += color;
  *out += mark;
  if (!line.empty() && line.back() == '\n') {
    out->append(line, 0, line.size() - 1);
    if (use_color && color) *out += "\033[m";
    *out += '\n';
  } else {
    *out += line;
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

}  // namespace

std::string UnifiedDiff(const SourceText& source, const EditList& edits,
                        const std::string& path, const DiffOptions& options) {
  if (edits.empty()) return {};
  // 1. Group edits into regions of whole original lines.
  std::vector<Chunk> chunks;
  std::vector<const Edit*> group;
  size_t first = 0, last_excl = 0;
  for (const Edit& e : edits) {
    size_t l1 = LineAt(source, e.offset);
    size_t l2 = e.length ? LineAt(source, e.end() - 1) + 1 : l1 + 1;
    l2 = std::min(l2, LineCount(source));
    if (l2 < l1) l2 = l1;
    if (!group.empty() && l1 >= last_excl) {
      DiffRegion(source, first, last_excl, group, &chunks);
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
  DiffRegion(source, first, last_excl, group, &chunks);
  if (chunks.empty()) return {};
  // Chunks from neighbouring regions that touch read better as one.
  std::vector<Chunk> merged;
  for (Chunk& ch : chunks) {
    if (!merged.empty() &&
        merged.back().start + merged.back().del.size() == ch.start) {
      Chunk& m = merged.back();
      m.del.insert(m.del.end(), ch.del.begin(), ch.del.end());
      m.add.insert(m.add.end(), ch.add.begin(), ch.add.end());
      continue;
    }
    merged.push_back(std::move(ch));
  }
  chunks = std::move(merged);

  // 2. Print hunks, joining chunks whose context would touch.
  const bool c = options.color;
  const size_t ctx = static_cast<size_t>(options.context);
  const size_t n = LineCount(source);
  auto line = [&](size_t i) {
    return std::string(source.view().substr(
        source.LineStart(i), source.LineEndWithEol(i) - source.LineStart(i)));
  };
  std::string out;
  if (c) out += "\033[1m";
  out += fmt::format("diff --git a/{0} b/{0}\n--- a/{0}\n+++ b/{0}\n", path);
  if (c) out.insert(out.size() - 1, "\033[m");
  long delta = 0;  // new line number minus old, before the current hunk
  for (size_t i = 0; i < chunks.size();) {
    size_t j = i + 1;
    while (j < chunks.size() &&
           chunks[j].start <= chunks[j - 1].start + chunks[j - 1].del.size() + 2 * ctx)
      ++j;
    size_t old_start = chunks[i].start >= ctx ? chunks[i].start - ctx : 0;
    size_t old_end = std::min(
        n, chunks[j - 1].start + chunks[j - 1].del.size() + ctx);
    std::string body;
    size_t old_count = 0, new_count = 0;
    size_t pos = old_start;
    long hunk_delta = 0;
    for (size_t k = i; k < j; ++k) {
      for (; pos < chunks[k].start; ++pos, ++old_count, ++new_count)
        Emit(&body, ' ', line(pos), nullptr, c);
      for (const auto& d : chunks[k].del) Emit(&body, '-', d, "\033[31m", c);
      for (const auto& a : chunks[k].add) Emit(&body, '+', a, "\033[32m", c);
      old_count += chunks[k].del.size();
      new_count += chunks[k].add.size();
      pos += chunks[k].del.size();
      hunk_delta += static_cast<long>(chunks[k].add.size()) -
                    static_cast<long>(chunks[k].del.size());
    }
    for (; pos < old_end; ++pos, ++old_count, ++new_count)
      Emit(&body, ' ', line(pos), nullptr, c);
    size_t new_start = static_cast<size_t>(static_cast<long>(old_start) + delta);
    std::string header = fmt::format("@@ -{} +{} @@", Range(old_start, old_count),
                                     Range(new_start, new_count));
    if (c) header = "\033[36m" + header + "\033[m";
    out += header + "\n" + body;
    delta += hunk_delta;
    i = j;
  }
  return out;
}

}  // namespace harden
