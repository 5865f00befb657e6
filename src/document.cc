#include "harden/document.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <map>
#include <streambuf>
#include <unordered_set>

#include <fmt/format.h>

namespace harden {
namespace {

// An istream over bytes we already hold, without copying them.
struct ViewBuf : std::streambuf {
  explicit ViewBuf(std::string_view s) {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

struct ParseError {
  int line, column;
  std::string message;
};

}  // namespace

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(Document* doc, std::string_view text, size_t base)
      : doc_(doc), text_(text), base_(base) {}

  const Node* root() const { return root_; }
  /// The last scalar in document order, or null.
  const Node* last_scalar() const { return last_scalar_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node* n = Make(NodeKind::kNull, mark, anchor);
    Attach(n);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node* n = Make(NodeKind::kAlias, mark, 0);
    auto it = anchors_.find(anchor);
    if (it == anchors_.end())
      throw ParseError{mark.line + 1, mark.column + 1, "unknown alias"};
    n->target = it->second;
    n->value = it->second->anchor();
    Attach(n);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag,
                YAML::anchor_t anchor, const std::string& value) override {
    Node* n = Make(NodeKind::kScalar, mark, anchor);
    SetTag(n, tag);
    n->value = Value(n->offset, value);
    last_scalar_ = n;
    Attach(n);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    Open(NodeKind::kSequence, mark, tag, anchor, style);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag,
                  YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    Open(NodeKind::kMapping, mark, tag, anchor, style);
  }
  void OnMapEnd() override {
    CheckDuplicateKeys(stack_.back());
    Close();
  }
  void OnAnchor(const YAML::Mark&, const std::string& name) override {
    pending_anchor_ = &*doc_->names_.insert(name).first;
  }

 private:
  Node* Make(NodeKind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    doc_->nodes_.emplace_back();
    Node* n = &doc_->nodes_.back();
    n->kind = kind;
    n->offset = static_cast<uint32_t>(base_ + static_cast<size_t>(mark.pos));
    n->line = mark.line;
    n->column = mark.column;
    if (anchor) {
      n->anchor_name = pending_anchor_;
      anchors_[anchor] = n;
    }
    return n;
  }
  void SetTag(Node* n, const std::string& tag) {
    if (tag == "?") return;            // plain, no tag
    if (tag == "!") {                  // quoted or block scalar
      n->plain = false;
      return;
    }
    n->tag_name = &*doc_->names_.insert(tag).first;
  }
  void Open(NodeKind kind, const YAML::Mark& mark, const std::string& tag,
            YAML::anchor_t anchor, YAML::EmitterStyle::value style) {
    if (static_cast<int>(stack_.size()) >= kMaxDepth)
      throw ParseError{mark.line + 1, mark.column + 1,
                       fmt::format("nesting deeper than {} levels", kMaxDepth)};
    Node* n = Make(kind, mark, anchor);
    SetTag(n, tag);
    n->flow = style == YAML::EmitterStyle::Flow;
    Attach(n);
    stack_.push_back(n);
    if (pending_.size() < stack_.size()) pending_.emplace_back();
    pending_[stack_.size() - 1].clear();
  }
  // Children are gathered per open collection and stored once, exactly
  // sized, when it closes.
  void Close() {
    std::vector<const Node*>& kids = pending_[stack_.size() - 1];
    if (!kids.empty())
      stack_.back()->children = NodeList(Store(kids), kids.size());
    stack_.pop_back();
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
  std::string_view Value(size_t offset, const std::string& v) {
    if (text_.compare(offset, v.size(), v) == 0) return text_.substr(offset, v.size());
    return doc_->values_.emplace_back(v);
  }
  void Attach(Node* n) {
    if (stack_.empty())
      root_ = n;
    else
      pending_[stack_.size() - 1].push_back(n);
  }
  void CheckDuplicateKeys(const Node*) {
    const std::vector<const Node*>& kids = pending_[stack_.size() - 1];
    if (kids.size() < 4) return;
    std::unordered_set<std::string_view> seen;
    for (size_t i = 0; i < kids.size(); i += 2) {
      const Node* k = kids[i];
      if (k->kind != NodeKind::kScalar) continue;
      if (!seen.insert(k->value).second)
        throw ParseError{k->line + 1, k->column + 1,
                         fmt::format("duplicate key \"{}\"", k->value)};
    }
  }

  Document* doc_;
  std::string_view text_;
  size_t base_;
  std::vector<Node*> stack_;
  std::vector<std::vector<const Node*>> pending_;
  std::map<YAML::anchor_t, Node*> anchors_;
  const std::string* pending_anchor_ = nullptr;
  const Node* root_ = nullptr;
  const Node* last_scalar_ = nullptr;
};

namespace {

// yaml-cpp 0.7 accepts a quoted scalar whose closing quote is missing when a
// line break comes before the end of the input ("image: 'nginx\n"). Such a
// scalar runs to the end, so only the last scalar can be unclosed. True when
// the scalar at `offset` (after any anchor or tag) opens a quote that never
// closes.
bool Unclosed(std::string_view text, size_t offset) {
  size_t i = offset;
  while (i < text.size() && (text[i] == '&' || text[i] == '!')) {
    i = text.find_first_of(" \t\r\n", i);
    if (i == std::string_view::npos) return false;
    i = text.find_first_not_of(" \t\r\n", i);
    if (i == std::string_view::npos) return false;
  }
  if (i >= text.size() || (text[i] != '\'' && text[i] != '"')) return false;
  const char quote = text[i];
  for (++i; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;  // an escaped character, \" included
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside single quotes
        continue;
      }
      return false;
    }
  }
  return true;
}

// yaml-cpp's messages are complete sentences in lower case already
// ("end of map not found"); keep them, with the place. One cause gets a
// clearer message: a tab in the indentation of the failing line, which
// yaml-cpp reports as "illegal map value", "end of map not found", ...
Diagnostic FromYaml(const YAML::Exception& e, std::string_view text) {
  std::string msg = e.msg.empty() ? std::string("invalid YAML") : e.msg;
  size_t start = 0;
  for (int line = 0; line < e.mark.line && start != std::string_view::npos;
       ++line) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (e.mark.line >= 0 && start != std::string_view::npos) {
    std::string_view line = text.substr(start, text.find('\n', start) - start);
    size_t indent = line.find_first_not_of(" \t");
    size_t tab = line.find('\t');
    if (indent != std::string_view::npos && tab < indent && line[indent] != '\r')
      return Diagnostic{{}, e.mark.line + 1, static_cast<int>(tab) + 1,
                        "tab character in indentation (YAML indents with "
                        "spaces only)"};
  }
  return Diagnostic{{}, e.mark.line + 1, e.mark.column + 1, msg};
}

}  // namespace

Expected<Document> ParseDocument(std::string_view text) {
  Document doc;
  size_t base = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  ViewBuf buf(text.substr(base));
  std::istream in(&buf);
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(&doc, text, base);
    if (!parser.HandleNextDocument(builder)) return doc;  // empty
    doc.root_ = builder.root();
    if (const Node* q = builder.last_scalar(); q && Unclosed(text, q->offset))
      return Diagnostic{{}, q->line + 1, q->column + 1,
                        "quoted scalar without its closing quote"};
    TreeBuilder second(&doc, text, base);
    if (parser.HandleNextDocument(second)) {
      // A second "---" with nothing after it is still one document.
      if (second.root() && second.root()->kind != NodeKind::kNull) {
        const Node* r = second.root();
        return Diagnostic{{}, r->line + 1, r->column + 1,
                          "more than one YAML document; harden handles one "
                          "Compose document per file"};
      }
    }
  } catch (const ParseError& e) {
    return Diagnostic{{}, e.line, e.column, e.message};
  } catch (const YAML::DeepRecursion& e) {
    // Reached only if yaml-cpp recurses without opening a collection; its
    // limit is not kMaxDepth, so do not name a number.
    return Diagnostic{{}, e.mark.line + 1, e.mark.column + 1,
                      "nesting too deep"};
  } catch (const YAML::Exception& e) {
    return FromYaml(e, text.substr(base));
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
