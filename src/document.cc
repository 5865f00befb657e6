#include "harden/document.h"

#include "harden/source_text.h"

#include <yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

namespace harden {
namespace {

struct ParseError {
  int line, column;
  std::string message;
};

// An EntryStream's on_entry said stop.
struct StreamStop {
  Diagnostic error;
};

// libyaml counts positions in characters and leaves a BOM out; nodes keep
// byte offsets into the original text. Events come in document order, so a
// cursor that walks the UTF-8 text forward (and, rarely, back) converts each
// position in time proportional to the distance moved.
class Positions {
 public:
  explicit Positions(std::string_view text)
      : text_(text),
        base_(text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0),
        byte_(base_),
        line_starts_(LineStarts(text, base_)) {}  // columns start after a BOM

  // Moves the cursor to the `chars`-th character and returns its offset;
  // Line() and Column() then describe that offset.
  size_t Offset(size_t chars) {
    while (char_ < chars && byte_ < text_.size()) {
      unsigned char c = static_cast<unsigned char>(text_[byte_]);
      if (c == '\n') ++line_;
      byte_ += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      ++char_;
    }
    while (char_ > chars && byte_ > base_) {
      do --byte_;
      while (byte_ > base_ &&
             (static_cast<unsigned char>(text_[byte_]) & 0xC0) == 0x80);
      if (text_[byte_] == '\n') --line_;
      --char_;
    }
    byte_ = std::min(byte_, text_.size());
    return byte_;
  }
  int Line(size_t offset) const {
    if (offset == byte_) return static_cast<int>(line_);
    return static_cast<int>(std::upper_bound(line_starts_.begin(),
                                             line_starts_.end(), offset) -
                            line_starts_.begin() - 1);
  }
  int Column(size_t offset) const {
    return static_cast<int>(offset - line_starts_[Line(offset)]);
  }
  /// Bytes of a BOM before the first character (3 or 0).
  size_t base() const { return base_; }
  /// A diagnostic at the `chars`-th character.
  Diagnostic At(size_t chars, std::string message) {
    size_t offset = Offset(chars);
    return Diagnostic{{}, Line(offset) + 1, Column(offset) + 1,
                      std::move(message)};
  }

 private:
  std::string_view text_;
  size_t base_ = 0, byte_ = 0, char_ = 0, line_ = 0;
  std::vector<uint32_t> line_starts_;
};

std::string_view Str(const yaml_char_t* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

// Owns one libyaml event at a time.
struct Event {
  yaml_event_t e{};
  bool held = false;
  ~Event() { Reset(); }
  void Reset() {
    if (held) yaml_event_delete(&e);
    held = false;
  }
};

}  // namespace

class TreeBuilder {
 public:
  TreeBuilder(Document* doc, std::string_view text, Positions* pos,
              EntryStream* stream)
      : doc_(doc), text_(text), pos_(pos), stream_(stream) {}

  const Node* root() const { return root_; }

  // Adds one event of the document's content; false at its end.
  bool Add(const yaml_event_t& e) {
    switch (e.type) {
      case YAML_SCALAR_EVENT: {
        const auto& d = e.data.scalar;
        std::string_view value(reinterpret_cast<const char*>(d.value),
                               d.length);
        const bool plain = d.style == YAML_PLAIN_SCALAR_STYLE;
        // Compose (and YAML) read an empty or ~/null plain scalar as null.
        const bool null = plain && !d.tag &&
                          (value.empty() || value == "~" || value == "null" ||
                           value == "Null" || value == "NULL");
        Node* n = Make(null ? NodeKind::kNull : NodeKind::kScalar, e, d.anchor);
        SetTag(n, d.tag);
        n->plain = plain;
        if (!null) n->value = Value(n->offset, value);
        Attach(n, true);
        return true;
      }
      case YAML_ALIAS_EVENT: {
        Node* n = Make(NodeKind::kAlias, e, nullptr);
        auto it = anchors_.find(Str(e.data.alias.anchor));
        if (it == anchors_.end())
          throw ParseError{n->line + 1, n->column + 1,
                           fmt::format("unknown alias *{} (no &{} before it)",
                                       Str(e.data.alias.anchor),
                                       Str(e.data.alias.anchor))};
        // An alias inside the node it names makes a cycle, which Compose
        // rejects (a mapping that merges itself, for one).
        if (std::find(stack_.begin(), stack_.end(), it->second) != stack_.end())
          throw ParseError{n->line + 1, n->column + 1,
                           fmt::format("alias *{} is inside the node it names",
                                       Str(e.data.alias.anchor))};
        n->target = it->second;
        n->value = it->second->anchor();
        Attach(n, true);
        return true;
      }
      case YAML_SEQUENCE_START_EVENT:
        Open(NodeKind::kSequence, e, e.data.sequence_start.anchor,
             e.data.sequence_start.tag,
             e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE);
        return true;
      case YAML_MAPPING_START_EVENT:
        Open(NodeKind::kMapping, e, e.data.mapping_start.anchor,
             e.data.mapping_start.tag,
             e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE);
        return true;
      case YAML_SEQUENCE_END_EVENT:
        Close();
        return true;
      case YAML_MAPPING_END_EVENT:
        CheckDuplicateKeys();
        Close();
        return true;
      default:
        return false;  // the document's end
    }
  }

 private:
  Node* Make(NodeKind kind, const yaml_event_t& e, const yaml_char_t* anchor) {
    if (streaming() && stack_.size() == stream_depth_ &&
        pending_[stream_depth_ - 1].size() % 2 == 0)
      Mark();  // the first node of an entry: its key
    doc_->nodes_.emplace_back();
    Node* n = &doc_->nodes_.back();
    n->kind = kind;
    size_t offset = pos_->Offset(e.start_mark.index);
    n->offset = static_cast<uint32_t>(offset);
    n->line = pos_->Line(offset);
    n->column = pos_->Column(offset);
    if (anchor) {
      ++anchors_made_;
      n->anchor_name = &*doc_->names_.emplace(Str(anchor)).first;
      anchors_[*n->anchor_name] = n;  // a later anchor of the same name wins
    }
    return n;
  }
  void SetTag(Node* n, const yaml_char_t* tag) {
    if (tag) n->tag_name = &*doc_->names_.emplace(Str(tag)).first;
  }
  void Open(NodeKind kind, const yaml_event_t& e, const yaml_char_t* anchor,
            const yaml_char_t* tag, bool flow) {
    Node* n = Make(kind, e, anchor);
    if (static_cast<int>(stack_.size()) >= kMaxDepth)
      throw ParseError{n->line + 1, n->column + 1,
                       fmt::format("nesting deeper than {} levels", kMaxDepth)};
    SetTag(n, tag);
    n->flow = flow;
    // The streamed mapping: the value of the root mapping's key.
    const bool stream_here =
        stream_ && !stream_->found && kind == NodeKind::kMapping &&
        !n->anchor_name && stack_.size() == 1 && stack_[0]->IsMapping() &&
        pending_[0].size() % 2 == 1 && pending_[0].back()->IsScalar() &&
        pending_[0].back()->value == stream_->top_level_key;
    Attach(n, false);
    stack_.push_back(n);
    if (pending_.size() < stack_.size()) pending_.emplace_back();
    pending_[stack_.size() - 1].clear();
    if (stream_here) {
      stream_->found = true;
      stream_depth_ = stack_.size();
    }
  }
  // Children are gathered per open collection and stored once, exactly
  // sized, when it closes.
  void Close() {
    std::vector<const Node*>& kids = pending_[stack_.size() - 1];
    if (!kids.empty())
      stack_.back()->children = NodeList(Store(kids), kids.size());
    stack_.pop_back();
    if (streaming() && stack_.size() + 1 == stream_depth_) {
      stream_depth_ = 0;  // the streamed mapping is complete
    } else if (streaming() && stack_.size() == stream_depth_ &&
               pending_[stream_depth_ - 1].size() % 2 == 0) {
      EntryDone();  // a collection that was an entry's value
    }
  }

  bool streaming() const { return stream_depth_ != 0; }

  struct EntryMark {
    size_t nodes = 0, values = 0, blocks = 0, block_used = 0, block_size = 0;
    size_t anchors = 0;
  };
  void Mark() {
    mark_ = {doc_->nodes_.size(), doc_->values_.size(),
             doc_->list_blocks_.size(), doc_->block_used_, doc_->block_size_,
             anchors_made_};
  }
  // Hands a complete entry of the streamed mapping over, then drops its
  // nodes (they are the newest ones) unless it defined an anchor or the
  // stream keeps it.
  void EntryDone() {
    std::vector<const Node*>& kids = pending_[stream_depth_ - 1];
    const Node* key = kids[kids.size() - 2];
    const Node* value = kids.back();
    // Duplicates are found as the entries come, since dropped ones are not
    // there when the mapping closes; the first is reported then, as in any
    // other mapping.
    if (key->IsScalar() && !streamed_keys_.emplace(key->value).second &&
        !streamed_duplicate_)
      streamed_duplicate_ = DuplicateKey(key);
    auto fate = stream_->on_entry(key, value);
    if (!fate) throw StreamStop{fate.error()};
    if (fate.value() == EntryFate::kKeep || anchors_made_ != mark_.anchors)
      return;
    kids.resize(kids.size() - 2);
    doc_->nodes_.resize(mark_.nodes);
    doc_->values_.resize(mark_.values);
    doc_->list_blocks_.resize(mark_.blocks);
    doc_->block_used_ = mark_.block_used;
    doc_->block_size_ = mark_.block_size;
  }
  const Node* const* Store(const std::vector<const Node*>& kids) {
    constexpr size_t kBlock = 4096;
    if (doc_->block_size_ - doc_->block_used_ < kids.size()) {
      doc_->block_size_ = std::max(kBlock, kids.size());
      doc_->list_blocks_.emplace_back(new const Node*[doc_->block_size_]);
      doc_->block_used_ = 0;
    }
    const Node** at = doc_->list_blocks_.back().get() + doc_->block_used_;
    std::copy(kids.begin(), kids.end(), at);
    doc_->block_used_ += kids.size();
    return at;
  }
  // Most plain scalars are their own text: point there instead of copying.
  std::string_view Value(size_t offset, std::string_view v) {
    if (text_.compare(offset, v.size(), v) == 0) return text_.substr(offset, v.size());
    return doc_->values_.emplace_back(v);
  }
  // `complete`: a scalar, null or alias (a collection is complete when it
  // closes).
  void Attach(Node* n, bool complete) {
    if (stack_.empty()) {
      root_ = n;
      return;
    }
    pending_[stack_.size() - 1].push_back(n);
    if (complete && streaming() && stack_.size() == stream_depth_ &&
        pending_[stream_depth_ - 1].size() % 2 == 0)
      EntryDone();
  }
  static ParseError DuplicateKey(const Node* k) {
    return ParseError{k->line + 1, k->column + 1,
                      fmt::format("duplicate key \"{}\"", k->value)};
  }
  void CheckDuplicateKeys() {
    if (streaming() && stack_.size() == stream_depth_ && streamed_duplicate_)
      throw *streamed_duplicate_;
    const std::vector<const Node*>& kids = pending_[stack_.size() - 1];
    const size_t n = kids.size() / 2;
    auto key = [&](size_t i) -> const Node* {
      const Node* k = kids[2 * i];
      return k->kind == NodeKind::kScalar ? k : nullptr;
    };
    auto fail = [](const Node* k) { throw DuplicateKey(k); };
    if (n <= 16) {  // most mappings: no allocation
      for (size_t i = 1; i < n; ++i)
        if (const Node* k = key(i))
          for (size_t j = 0; j < i; ++j)
            if (const Node* o = key(j); o && o->value == k->value) fail(k);
      return;
    }
    std::unordered_set<std::string_view> seen;
    for (size_t i = 0; i < n; ++i)
      if (const Node* k = key(i); k && !seen.insert(k->value).second) fail(k);
  }

  Document* doc_;
  std::string_view text_;
  Positions* pos_;
  EntryStream* stream_;
  size_t stream_depth_ = 0;  ///< stack size inside the streamed mapping
  size_t anchors_made_ = 0;
  EntryMark mark_;
  std::unordered_set<std::string> streamed_keys_;
  std::optional<ParseError> streamed_duplicate_;
  std::vector<Node*> stack_;
  std::vector<std::vector<const Node*>> pending_;
  std::map<std::string_view, Node*> anchors_;
  const Node* root_ = nullptr;
};

namespace {

// libyaml's message: the problem, and what it was parsing where.
Diagnostic FromParser(const yaml_parser_t& p, std::string_view text,
                      Positions* pos) {
  // A reader error (bad encoding) counts bytes after the BOM, not characters.
  size_t offset = p.error == YAML_READER_ERROR
                      ? std::min(text.size(), p.problem_offset + pos->base())
                      : pos->Offset(p.problem_mark.index);
  int line = pos->Line(offset), column = pos->Column(offset);
  std::string msg = p.problem ? p.problem : "invalid YAML";
  if (p.context && std::string_view(p.context) == "while scanning a quoted scalar" &&
      msg == "found unexpected end of stream") {
    // Say where the quote opens, not where the file ends.
    return pos->At(p.context_mark.index,
                   "quoted scalar without its closing quote");
  }
  if (p.context) {
    size_t at = pos->Offset(p.context_mark.index);
    msg += fmt::format(" ({} that starts at {}:{})", p.context,
                       pos->Line(at) + 1, pos->Column(at) + 1);
  }
  // A tab in the indentation of the failing line is the usual cause of
  // "found character that cannot start any token" and its kin.
  size_t start = offset - static_cast<size_t>(column);
  std::string_view l = text.substr(start, text.find('\n', start) - start);
  size_t indent = l.find_first_not_of(" \t");
  size_t tab = l.find('\t');
  if (indent != std::string_view::npos && tab < indent && l[indent] != '\r')
    return Diagnostic{{}, line + 1, static_cast<int>(tab) + 1,
                      "tab character in indentation (YAML indents with "
                      "spaces only)"};
  return Diagnostic{{}, line + 1, column + 1, msg};
}

struct Parser {
  yaml_parser_t p;
  explicit Parser(std::string_view text) {
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(
        &p, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~Parser() { yaml_parser_delete(&p); }
  bool Next(Event* ev) {
    ev->Reset();
    if (!yaml_parser_parse(&p, &ev->e)) return false;
    ev->held = true;
    return true;
  }
};

}  // namespace

Expected<Document> ParseDocument(std::string_view text, EntryStream* stream) {
  Document doc;
  Positions pos(text);
  Parser parser(text);
  Event ev;
  auto next = [&]() -> std::optional<Diagnostic> {
    if (!parser.Next(&ev)) return FromParser(parser.p, text, &pos);
    return std::nullopt;
  };
  try {
    if (auto err = next()) return *err;  // STREAM-START
    if (auto err = next()) return *err;
    if (ev.e.type == YAML_STREAM_END_EVENT) return doc;  // empty
    // DOCUMENT-START, then the content up to DOCUMENT-END.
    TreeBuilder builder(&doc, text, &pos, stream);
    do {
      if (auto err = next()) return *err;
    } while (builder.Add(ev.e));
    doc.root_ = builder.root();
    if (auto err = next()) return *err;
    if (ev.e.type == YAML_DOCUMENT_START_EVENT) {
      // A second "---" with nothing after it is still one document.
      if (auto err = next()) return *err;
      auto second = [&] {
        return pos.At(ev.e.start_mark.index,
                      "more than one YAML document; harden handles one "
                      "Compose document per file");
      };
      const yaml_event_t& e = ev.e;
      const bool empty = e.type == YAML_SCALAR_EVENT &&
                         e.data.scalar.length == 0 && !e.data.scalar.tag &&
                         !e.data.scalar.anchor &&
                         e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      if (!empty) return second();
      if (auto err = next()) return *err;  // DOCUMENT-END
      if (auto err = next()) return *err;
      if (ev.e.type != YAML_STREAM_END_EVENT) return second();
    }
  } catch (const ParseError& e) {
    return Diagnostic{{}, e.line, e.column, e.message};
  } catch (const StreamStop& stop) {
    return stop.error;
  }
  return doc;
}

bool SameTree(const Node* a, const Node* b) {
  // Iterative, so deep trees cannot overflow the stack.
  std::vector<std::pair<const Node*, const Node*>> work{{a, b}};
  while (!work.empty()) {
    auto [x, y] = work.back();
    work.pop_back();
    if (!x || !y) {
      if (x != y) return false;
      continue;
    }
    if (x->kind != y->kind || x->tag() != y->tag() || x->anchor() != y->anchor() ||
        x->value != y->value || x->children.size() != y->children.size())
      return false;
    if (x->kind == NodeKind::kScalar && x->plain != y->plain) return false;
    for (size_t i = 0; i < x->children.size(); ++i)
      work.emplace_back(x->children[i], y->children[i]);
  }
  return true;
}

}  // namespace harden
