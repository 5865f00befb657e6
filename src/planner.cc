#include "harden/planner.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

namespace harden {
namespace {

Diagnostic At(const Node* n, std::string message) {
  return Diagnostic{{}, n->line + 1, n->column + 1, std::move(message)};
}

// What a flow collection looks like in the text.
struct FlowSpan {
  size_t open = 0;      // offset of '[' or '{'
  size_t close = 0;     // offset of the matching ']' or '}'
  size_t last_end = 0;  // just past the last significant byte before close
  char last = 0;        // that byte: the opener, ',' or part of an entry
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Just past the quote that closes the quoted scalar opening at `open`
// (`"` with backslash escapes, `'` with '' for a quote), looking no further
// than `limit`; nullopt when it does not close there.
std::optional<size_t> QuoteEnd(std::string_view t, size_t open, size_t limit) {
  const char q = t[open];
  for (size_t j = open + 1; j < limit; ++j) {
    if (q == '"' && t[j] == '\\') { ++j; continue; }
    if (t[j] != q) continue;
    if (q == '\'' && j + 1 < limit && t[j + 1] == '\'') { ++j; continue; }
    return j + 1;
  }
  return std::nullopt;
}

// Finds the extent of the flow collection that starts at or after `from`,
// skipping quoted text and comments. A quote inside a plain scalar
// (`[a"b]`) is text, not the start of a quoted scalar.
std::optional<FlowSpan> ScanFlow(std::string_view t, size_t from) {
  size_t i = t.find_first_of("[{", from);
  if (i == std::string_view::npos) return std::nullopt;
  FlowSpan span;
  span.open = i;
  span.last_end = i + 1;
  span.last = t[i];
  int depth = 0;
  bool in_plain = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (!in_plain && (c == '&' || c == '!' || c == '*')) {
      // An anchor, tag or alias: a token of its own.
      while (i + 1 < t.size() && !IsSpace(t[i + 1]) &&
             std::string_view(",[]{}").find(t[i + 1]) == std::string_view::npos)
        ++i;
      span.last_end = i + 1;
      span.last = t[i];
      continue;
    }
    if (c == ',' || (c == ':' && (i + 1 == t.size() || IsSpace(t[i + 1]))))
      in_plain = false;
    if ((c == '"' || c == '\'') && !in_plain) {
      auto end = QuoteEnd(t, i, t.size());
      if (!end) return std::nullopt;
      i = *end - 1;
      span.last_end = i + 1;
      span.last = c;
      continue;
    }
    if (c == '#' && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' ||
                     t[i - 1] == '\n')) {
      while (i < t.size() && t[i] != '\n') ++i;
      continue;
    }
    if (c == '[' || c == '{') {
      ++depth;
      in_plain = false;
    } else if (c == ']' || c == '}') {
      in_plain = false;
      if (--depth == 0) {
        span.close = i;
        return span;
      }
    } else if (!IsSpace(c) && c != ',' && c != ':') {
      in_plain = true;
    }
    if (!IsSpace(c)) {
      span.last_end = i + 1;
      span.last = c;
    }
  }
  return std::nullopt;
}

// The end of a scalar written on one line in block context.
std::optional<size_t> ScalarEnd(const SourceText& src, const Node* n) {
  std::string_view t = src.view();
  size_t i = n->offset;
  size_t line_end = src.LineEnd(src.LineOf(i));
  if (i < t.size() && (t[i] == '"' || t[i] == '\''))
    return QuoteEnd(t, i, line_end);  // nullopt: it spans lines
  size_t end = i;
  for (size_t j = i; j < line_end; ++j) {
    if (t[j] == '#' && j > i && (t[j - 1] == ' ' || t[j - 1] == '\t')) break;
    if (t[j] != ' ' && t[j] != '\t') end = j + 1;
  }
  return end;
}

// Where a node's content starts: after its anchor and tag, if any.
size_t AfterProperties(std::string_view t, const Node* n) {
  size_t i = n->offset;
  if (!n->anchor_name && !n->tag_name) return i;
  while (i < t.size() && (t[i] == '&' || t[i] == '!')) {
    if (t[i] == '&') {
      // An anchor's name is letters, digits, '-' and '_' (`&a:b` is the
      // anchor `a` on the scalar `:b`).
      ++i;
      while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) ||
                              t[i] == '-' || t[i] == '_'))
        ++i;
    } else {
      i = t.find_first_of(" \t\r\n", i);
      if (i == std::string_view::npos) return t.size();
    }
    i = t.find_first_not_of(" \t\r\n", i);
    if (i == std::string_view::npos) return t.size();
  }
  return i;
}

// The end of a scalar value, however many lines it spans. In a flow
// collection a plain scalar stops before `,`, `[`, `]`, `{`, `}` or a
// comment; in a block mapping whose keys stand at `key_column` it goes on
// over the lines indented deeper. Block scalars (| >) are not handled.
std::optional<size_t> ScalarExtent(const SourceText& src, const Node* n,
                                   bool in_flow, size_t key_column) {
  std::string_view t = src.view();
  size_t i = AfterProperties(t, n);
  if (i >= t.size()) return std::nullopt;
  if (t[i] == '"' || t[i] == '\'') return QuoteEnd(t, i, t.size());
  if (!n->plain) return std::nullopt;
  if (in_flow) {
    size_t end = i;
    for (size_t j = i; j < t.size(); ++j) {
      char c = t[j];
      if (c == ',' || c == '[' || c == ']' || c == '{' || c == '}') break;
      if (c == '#' && j > i && IsSpace(t[j - 1])) break;
      if (c == ':' && (j + 1 == t.size() || IsSpace(t[j + 1]))) break;
      if (!IsSpace(c)) end = j + 1;
    }
    return end;
  }
  auto content_end = [&](size_t from, size_t line_end) {
    size_t end = from;
    for (size_t j = from; j < line_end; ++j) {
      if (t[j] == '#' && j > from && (t[j - 1] == ' ' || t[j - 1] == '\t'))
        break;
      if (!IsSpace(t[j])) end = j + 1;
    }
    return end;
  };
  size_t line = src.LineOf(i);
  size_t end = content_end(i, src.LineEnd(line));
  if (end < src.LineEnd(line)) {
    // A comment on the scalar's line ends it.
    std::string_view rest = t.substr(end, src.LineEnd(line) - end);
    if (rest.find('#') != std::string_view::npos) return end;
  }
  for (size_t l = line + 1; l < src.line_count(); ++l) {
    std::string_view text = src.Line(l);
    size_t indent = text.find_first_not_of(" \t\r\n");
    if (indent == std::string_view::npos) continue;  // blank: folded in
    if (indent <= key_column || text[indent] == '#') break;
    size_t from = src.LineStart(l) + indent;
    end = content_end(from, src.LineEnd(l));
    if (t.substr(end, src.LineEnd(l) - end).find('#') != std::string_view::npos)
      break;  // a comment ends the scalar
  }
  return end;
}

// Offset just past the ':' that follows a block mapping key.
std::optional<size_t> AfterColon(const SourceText& src, const Node* key) {
  std::string_view t = src.view();
  size_t i = key->offset;
  if (key->kind == NodeKind::kScalar && !key->plain) {
    auto end = ScalarEnd(src, key);
    if (!end) return std::nullopt;
    i = *end;
  } else {
    // After its tag and anchor: `? !t: x` is the key `x` tagged `!t:`.
    i = AfterProperties(t, key);
    // A plain "? key" over several lines is folded: its text is not its
    // value, and a ':' found by the value's length would be inside it.
    if (key->kind == NodeKind::kScalar &&
        t.compare(i, key->value.size(), key->value) != 0)
      return std::nullopt;
    i += key->value.size();
  }
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
  if (i >= t.size() || t[i] != ':') return std::nullopt;
  // After a plain key, or properties with none (`? !t` then `:x` on the
  // next line), a ':' is an indicator only before a space, a line's end or
  // a flow indicator; otherwise it starts a scalar.
  const bool quoted = key->kind == NodeKind::kScalar && !key->plain;
  if (!quoted && i + 1 < t.size() &&
      std::string_view(" \t\r\n,]}").find(t[i + 1]) == std::string_view::npos)
    return std::nullopt;
  return i + 1;
}

// What follows the ':' of a service whose value is empty: its anchor and
// tag, and `~`, `null` or `{}`, however many lines they take. A token on a
// later line belongs to the value when it stands deeper than the key.
struct EmptyValue {
  size_t begin = 0;  ///< the first token; begin == end: nothing written
  size_t end = 0;    ///< just past the last token
  std::string_view anchor;             ///< `&name`, as written
  size_t flow = std::string_view::npos;  ///< where `{` opens
  bool in_flow = false;  ///< an entry of a flow mapping: `{web: , db: ...}`
};

EmptyValue ScanEmptyValue(const SourceText& src, size_t colon,
                          size_t key_column) {
  std::string_view t = src.view();
  const size_t first_line = src.LineOf(colon);
  EmptyValue v;
  v.begin = v.end = colon;
  auto take = [&](size_t from, size_t to) {
    if (v.begin == v.end) v.begin = from;
    v.end = to;
  };
  for (size_t i = colon; i < t.size();) {
    const char c = t[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    const size_t line = src.LineOf(i);
    if (c == '#') {  // after a space or at a line's start: a comment
      i = src.LineEndWithEol(line);
      continue;
    }
    if (c == ',' || c == '}') {  // the services are a flow mapping
      v.in_flow = v.begin == v.end;
      break;
    }
    if (line != first_line && i - src.LineStart(line) <= key_column) break;
    size_t token_end = t.find_first_of(" \t\r\n,}", i);
    if (token_end == std::string_view::npos) token_end = t.size();
    if (c == '&' || c == '!') {
      if (c == '&') v.anchor = t.substr(i, token_end - i);
      take(i, token_end);
      i = token_end;
      continue;
    }
    if (c == '{') {
      v.flow = i;
      if (auto span = ScanFlow(t, i)) take(i, span->close + 1);
      break;
    }
    std::string_view word = t.substr(i, token_end - i);
    if (word == "~" || word == "null" || word == "Null" || word == "NULL")
      take(i, token_end);
    break;
  }
  return v;
}

constexpr std::string_view kNullTag = "tag:yaml.org,2002:null";

// A tag as it is written: "tag:yaml.org,2002:str" -> "!!str".
std::string ShownTag(std::string_view tag) {
  constexpr std::string_view kCore = "tag:yaml.org,2002:";
  if (tag.substr(0, kCore.size()) == kCore)
    return "!!" + std::string(tag.substr(kCore.size()));
  return std::string(tag);
}

enum class BlockScalar { kNone, kClip, kKeep, kStrip };

// Whether `n` is a | or > block scalar, and its chomping indicator: '+'
// keeps its trailing blank lines, which then belong to it; '-' strips its
// final line break.
BlockScalar BlockScalarStyle(std::string_view t, const Node* n) {
  if (n->kind != NodeKind::kScalar || n->plain) return BlockScalar::kNone;
  size_t i = AfterProperties(t, n);
  if (i >= t.size() || (t[i] != '|' && t[i] != '>')) return BlockScalar::kNone;
  for (++i; i < t.size() && t[i] != ' ' && t[i] != '\n' && t[i] != '\r'; ++i) {
    if (t[i] == '+') return BlockScalar::kKeep;
    if (t[i] == '-') return BlockScalar::kStrip;
  }
  return BlockScalar::kClip;
}

// The node `n`'s text ends with: a block scalar keeps its trailing blank
// lines (|+) however deep it is nested.
const Node* LastLeaf(const Node* n) {
  while ((n->IsMapping() || n->IsSequence()) && !n->children.empty())
    n = n->children.back();
  return n;
}

bool IsDashLine(std::string_view line, size_t indent) {
  return line.size() > indent && IndentOf(line) == indent && line[indent] == '-' &&
         (line.size() == indent + 1 || line[indent + 1] == ' ' ||
          line[indent + 1] == '\r');
}

// Where to insert after the last entry of a block collection whose entries
// stand at column `k`, starting at `last_line` (the last entry's first line).
// Comment lines directly below that belong to the block (indented at least
// `k`) stay above the insertion; blank lines and what follows do not.
size_t BlockEnd(const SourceText& src, size_t last_line, size_t k,
                BlockScalar scalar) {
  const bool block_scalar = scalar != BlockScalar::kNone;
  size_t content_end = last_line;
  for (size_t l = last_line + 1; l < src.line_count(); ++l) {
    std::string_view line = src.Line(l);
    if (IsBlank(line)) {
      // A block scalar's line of spaces deeper than its content's indent
      // is content (" "); one deeper than `k` may be, and keeping one
      // that is not above the insertion changes nothing.
      const size_t width = std::min(line.find_first_of("\r\n"), line.size());
      if (scalar == BlockScalar::kKeep || (block_scalar && width > k))
        content_end = l;
      // A tab there, below a value harden adds (a plain scalar in a list
      // indented deeper than the line's spaces), would read as indentation
      // libyaml rejects: such a line stays above the insertion.
      if (line.substr(0, width).find('\t') != std::string_view::npos)
        content_end = l;
      continue;
    }
    size_t ind = IndentOf(line);
    bool comment = IsCommentLine(line);
    if (comment && !(block_scalar && ind > k)) continue;
    if (ind > k || IsDashLine(line, k)) {
      content_end = l;
      continue;
    }
    break;
  }
  size_t end = content_end;
  while (scalar != BlockScalar::kKeep && end + 1 < src.line_count()) {
    std::string_view next = src.Line(end + 1);
    if (!IsCommentLine(next) || IndentOf(next) < k) break;
    ++end;
  }
  return src.LineEndWithEol(end);
}

bool IsPlainSafe(const std::string& v, bool flow) {
  if (v.empty() || v.front() == ' ' || v.back() == ' ') return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(v.front()) !=
      std::string_view::npos)
    return false;
  if (v.find(": ") != std::string::npos || v.find(" #") != std::string::npos ||
      v.back() == ':')
    return false;
  if (flow && v.find_first_of(",[]{}:") != std::string::npos) return false;
  if (v.find_first_not_of("0123456789:._+-eExXoO") == std::string::npos)
    return false;  // could read as a number (YAML 1.1 has 1:30 as base 60)
  std::string low;
  for (char c : v) low += static_cast<char>(std::tolower(c));
  static const char* kWords[] = {"true", "false", "yes", "no", "on", "off",
                                 "null", "~", "y", "n"};
  for (const char* w : kWords)
    if (low == w) return false;
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x20) return false;
  return true;
}

struct NewKey {
  std::string key;
  bool list = false;
  ValueKind kind = ValueKind::kString;
  std::vector<std::string> values;
};

}  // namespace

class EditPlanner::Impl {
 public:
  explicit Impl(const SourceText& src)
      : src_(src), t_(src.view()), edits_(src.view()) {}

  void Register(const ServiceNode& s, const ServicePlan* plan) {
    // Only an anchored value can be reached again, through an alias or a
    // merge key: a mapping, or an empty value that harden fills.
    const Node* own = s.value->kind == NodeKind::kAlias ? nullptr : s.value;
    if (own && own->anchor_name) plan_of_[own] = plan;
  }

  std::optional<Diagnostic> PlanService(const ServiceNode& s,
                                        const ServicePlan& plan) {
    SettleStyle();
    // Group the additions by key, in decision order.
    std::vector<NewKey> adds;
    for (const Decision& d : plan.decisions) {
      if (d.action != Action::kAdd) continue;
      auto it = std::find_if(adds.begin(), adds.end(),
                             [&](const NewKey& k) { return k.key == d.key; });
      if (it == adds.end()) {
        adds.push_back({d.key, d.list, d.kind, {}});
        it = adds.end() - 1;
      }
      it->values.insert(it->values.end(), d.values.begin(), d.values.end());
    }
    if (s.own)
      if (auto err = CheckInheritedAdditions(s, adds)) return err;
    if (adds.empty()) return std::nullopt;

    if (s.value->kind == NodeKind::kAlias) {
      if (plan_of_.count(s.value->target))
        return std::nullopt;  // inherits the hardened service it aliases
      // An alias of a mapping is merged; one of an empty value, which
      // merges nothing, is replaced.
      return ReplaceAlias(
          s, s.value->target->IsMapping() ? "<<: *" + std::string(s.value->value)
                                          : "",
          adds);
    }
    if (!s.own) return PlanEmptyService(s, adds);
    for (size_t i = 0; i < s.own->MapSize(); ++i) {
      const Node* key = s.own->Key(i);
      if (key->kind == NodeKind::kNull)
        return At(key, fmt::format("service \"{}\" has an empty key; harden "
                                   "edits only \"key: value\" entries",
                                   s.name));
    }
    if (!s.own->flow)
      for (size_t i = 0; i < s.own->MapSize(); ++i)
        if (ExplicitKey(s.own->Key(i)))
          return At(s.own->Key(i),
                    fmt::format("service \"{}\" has a key written as \"? "
                                "key\"; harden edits only \"key: value\" "
                                "entries",
                                s.name));
    // `? ` and, on the lines below, a mapping or a list as the key.
    for (size_t i = 0; i < s.own->MapSize(); ++i)
      if (const Node* key = s.own->Key(i); !key->Resolved()->IsScalar())
        return At(key, fmt::format("service \"{}\" has a key that is a {}; "
                                   "harden edits only \"key: value\" entries",
                                   s.name,
                                   key->Resolved()->IsMapping() ? "mapping"
                                                                : "list"));

    std::vector<NewKey> new_keys;
    for (NewKey& add : adds) {
      const Node* own = OwnEntry(s.own, add.key);
      if (!own && InheritsSameAddition(s.own, add)) continue;
      if (!own) {
        if (add.list) {
          // Inherited through a merge key: the service gets its own list,
          // the merged items first, so the shared anchor stays untouched.
          std::vector<std::string> items;
          for (const Located& l : ScalarList(Lookup(s.own, add.key)))
            items.push_back(l.value);
          items.insert(items.end(), add.values.begin(), add.values.end());
          add.values = items;
        }
        new_keys.push_back(add);
        continue;
      }
      if (auto err = AppendToExisting(s, own, add)) return err;
    }
    if (new_keys.empty()) return std::nullopt;
    if (s.own->flow) return AppendToFlowMap(s.own, new_keys);
    return AppendToBlockMap(s.own, new_keys);
  }

  // Block sequence indentation relative to its key, and the indentation of
  // a service's keys relative to the service, from the first services that
  // show them.
  bool LearnStyle(const ServiceNode& s) {
    if (settled_) return true;
    if (!s.own || s.own->flow || s.own->MapSize() == 0) return false;
    if (!indent_known_) {
      service_indent_ = s.own->Key(0)->column - s.key->column;
      indent_known_ = service_indent_ > 0;
    }
    for (size_t i = 0; i < s.own->MapSize() && !seq_known_; ++i) {
      const Node* v = s.own->Value(i);
      if (v->IsSequence() && !v->flow && !v->children.empty() &&
          v->children[0]->line > s.own->Key(i)->line) {
        size_t dash = DashOffset(v->children[0]);
        if (dash == std::string::npos) continue;
        seq_indent_ = static_cast<int>(dash - src_.LineStart(src_.LineOf(dash))) -
                      s.own->Key(i)->column;
        seq_known_ = seq_indent_ >= 0;
      }
    }
    settled_ = seq_known_ && indent_known_;
    return settled_;
  }

 private:
  // What was not learnt from the services takes the defaults.
  void SettleStyle() {
    if (settled_) return;
    settled_ = true;
    if (!seq_known_) seq_indent_ = indent_known_ ? service_indent_ : 2;
    if (!indent_known_) service_indent_ = 2;
  }

  // True when `map` merges another service's mapping that lacks the key
  // today but gets exactly this addition: the service then inherits it
  // after the edit, and writing it again would only repeat it.
  bool InheritsSameAddition(const Node* map, const NewKey& add) const {
    for (const Node* src : MergeSources(map)) {
      if (Lookup(src, add.key)) return false;  // inherited as it is today
      auto it = plan_of_.find(src);
      if (it == plan_of_.end()) continue;
      std::vector<std::string> given;
      for (const Decision& d : it->second->decisions)
        if (d.action == Action::kAdd && d.key == add.key)
          given.insert(given.end(), d.values.begin(), d.values.end());
      if (given.empty()) continue;
      return given == add.values;
    }
    return false;
  }

  // A service that merges another service's mapping inherits what harden
  // adds there. When it lacks a key today and was not meant to get one (an
  // image with its own user, an x-harden skip), no edit of its own mapping
  // can undo the inheritance: say so rather than write the wrong result.
  std::optional<Diagnostic> CheckInheritedAdditions(
      const ServiceNode& s, const std::vector<NewKey>& adds) const {
    for (const Node* src : MergeSources(s.own)) {
      auto it = plan_of_.find(src);
      if (it == plan_of_.end()) continue;
      for (const Decision& d : it->second->decisions) {
        if (d.action != Action::kAdd || OwnEntry(s.own, d.key)) continue;
        // Read from an earlier source, it stays as it is.
        if (Lookup(s.own, d.key) != Lookup(src, d.key)) continue;
        bool mine = std::any_of(adds.begin(), adds.end(), [&](const NewKey& k) {
          return k.key == d.key;
        });
        if (mine) continue;
        return At(s.key, fmt::format(
            "service \"{}\" merges service \"{}\" (line {}), which gains "
            "\"{}\", but \"{}\" must not get it; give \"{}\" its own "
            "\"{}\" or add x-harden: {{skip: [{}]}} to \"{}\"",
            s.name, it->second->service, it->second->line, d.key, s.name,
            s.name, d.key, d.key, it->second->service));
      }
    }
    return std::nullopt;
  }

  // Offset of the indicator `mark` just in front of `n` (spaces between),
  // or npos.
  size_t MarkBefore(const Node* n, char mark) const {
    size_t i = n->offset;
    if (n->kind == NodeKind::kNull) return std::string::npos;
    while (i > 0 && t_[i - 1] == ' ') --i;
    if (i > 0 && t_[i - 1] == mark) return i - 1;
    return std::string::npos;
  }

  // Whether a block mapping's key is written `? key`: the `?` before it,
  // maybe on a line above, or no ':' right after it as an implicit key has.
  bool ExplicitKey(const Node* key) const {
    if (MarkBefore(key, '?') != std::string::npos) return true;
    return key->kind == NodeKind::kScalar && !AfterColon(src_, key);
  }

  // Offset of the '-' in front of a block sequence item, or npos.
  size_t DashOffset(const Node* item) const { return MarkBefore(item, '-'); }

  std::string Indent(size_t n) const { return std::string(n, ' '); }

  // The last line of `n`'s text. Quoted scalars and flow collections may
  // run on over lines that are not indented deeper than their key (libyaml
  // and go-yaml accept that), so the end of a block is not only a matter of
  // indentation.
  size_t EndLine(const Node* n) const {
    size_t line = 0;
    while (n && n->kind != NodeKind::kNull) {
      line = std::max(line, src_.LineOf(n->offset));
      if ((n->IsMapping() || n->IsSequence()) && n->flow) {
        if (auto span = ScanFlow(t_, n->offset))
          line = std::max(line, src_.LineOf(span->close));
        return line;
      }
      if (n->IsScalar()) {
        // Its content may stand on a line below its anchor or tag, even at
        // its key's column (a | header there: libyaml accepts it). An empty
        // plain one has none: what follows its tag is not its.
        if (!n->plain || !n->value.empty())
          line = std::max(line, src_.LineOf(AfterProperties(t_, n)));
        if (!n->plain && BlockScalarStyle(t_, n) == BlockScalar::kNone)
          if (auto end = ScalarExtent(src_, n, false, 0))
            line = std::max(line, src_.LineOf(*end - 1));
        return line;
      }
      if (n->children.empty()) return line;
      if (n->IsMapping())
        line = std::max(line, EndLine(n->Key(n->MapSize() - 1)));
      n = n->children.back();
    }
    return line;
  }

  // `key: value, key: value`, the entries of a flow mapping.
  std::string FlowEntries(const std::vector<NewKey>& keys) const {
    std::string out;
    for (const NewKey& k : keys)
      out += (out.empty() ? "" : ", ") + k.key + ": " + FlowValue(k);
    return out;
  }

  std::string FlowValue(const NewKey& k) const {
    if (!k.list) return Scalar(k, k.values[0], true);
    std::string out = "[";
    for (size_t i = 0; i < k.values.size(); ++i)
      out += (i ? ", " : "") + RenderScalar(k.values[i], true);
    return out + "]";
  }
  static std::string Scalar(const NewKey& k, const std::string& v, bool flow) {
    if (k.kind == ValueKind::kString) return RenderScalar(v, flow);
    return v;  // booleans and YAML text are written as they are
  }

  // Insertions at one offset are joined in the order they were planned (a
  // new sequence item before the keys that follow its mapping); the edit
  // list would rightly reject them as order-dependent.
  std::optional<Diagnostic> Add(Edit e, const Node* where) {
    if (e.length == 0) {
      auto [it, fresh] = inserts_.try_emplace(e.offset, Insert{"", where});
      it->second.text += e.text;
      return std::nullopt;
    }
    if (auto err = edits_.Add(std::move(e)))
      return At(where, "internal error: " + *err);
    return std::nullopt;
  }

 public:
  Expected<EditList> Take() {
    for (auto& [offset, ins] : inserts_)
      if (auto err = edits_.Add({offset, 0, std::move(ins.text)}))
        return At(ins.where, "internal error: " + *err);
    return std::move(edits_);
  }

 private:

  std::optional<Diagnostic> AppendToBlockMap(const Node* map,
                                             const std::vector<NewKey>& keys) {
    size_t k = map->Key(0)->column;
    const Node* last_key = map->Key(map->MapSize() - 1);
    const Node* last_val = map->Value(map->MapSize() - 1);
    const Node* leaf = LastLeaf(last_val);
    const BlockScalar style = BlockScalarStyle(t_, leaf);
    size_t at = BlockEnd(src_,
                         std::max<size_t>(last_key->line, EndLine(last_val)), k,
                         style);
    const std::string& eol = src_.eol();
    std::string text;
    for (const NewKey& nk : keys) {
      if (nk.list && nk.kind == ValueKind::kString) {
        text += Indent(k) + nk.key + ":" + eol;
        for (const std::string& v : nk.values)
          text += Indent(k + seq_indent_) + "- " + RenderScalar(v, false) + eol;
      } else {
        text += Indent(k) + nk.key + ": " +
                (nk.list ? FlowValue(nk) : Scalar(nk, nk.values[0], false)) + eol;
      }
    }
    if (at == t_.size() && !t_.empty() && t_.back() != '\n') {
      // No final newline: keep it that way. A | or > scalar that ends the
      // file would gain one, a change of its value, unless it strips it.
      if (style != BlockScalar::kNone && style != BlockScalar::kStrip)
        return At(leaf, "a | or > block ends the file without a final "
                        "newline: keys added after it would change its "
                        "text; end the file with a newline");
      text = eol + text.substr(0, text.size() - eol.size());
    }
    return Add({at, 0, text}, last_key);
  }

  std::optional<Diagnostic> AppendToFlowMap(const Node* map,
                                            const std::vector<NewKey>& keys) {
    auto span = ScanFlow(t_, map->offset);
    if (!span) return At(map, "cannot find the end of this flow mapping");
    // After an empty value (`key: }`), a comma right after the colon would
    // make it part of the key.
    const char* sep = span->last == '{' ? ""
                      : span->last == ',' ? " "
                      : span->last == ':' ? " , "
                                          : ", ";
    return Add({span->last_end, 0, sep + FlowEntries(keys)}, map);
  }

  std::optional<Diagnostic> AppendToExisting(const ServiceNode& s,
                                             const Node* own, NewKey& add) {
    if (own->kind == NodeKind::kNull) return FillNull(s, own, add);
    if (!add.list) {
      // The resolver keeps a value it can read; one it cannot, a list or a
      // mapping, is no value Compose accepts here.
      if (own->Resolved()->IsScalar()) return std::nullopt;
      return At(own, fmt::format("\"{}\" of service \"{}\" is {}, not a "
                                 "single value",
                                 add.key, s.name, KindName(own)));
    }
    if (own->kind == NodeKind::kAlias)
      return At(own, fmt::format("cannot add to \"{}\": its value is an alias",
                                 add.key));
    if (own->IsSequence()) {
      // Compose takes only strings there; and harden would append after
      // an item it cannot read.
      for (const Node* item : own->children)
        if (!item->Resolved()->IsScalar())
          return At(item, fmt::format("an item of \"{}\" of service \"{}\" "
                                      "is {}, not a single value",
                                      add.key, s.name, KindName(item)));
      if (own->flow) {
        auto span = ScanFlow(t_, own->offset);
        if (!span) return At(own, "cannot find the end of this flow sequence");
        std::string text;
        bool first = span->last == '[' || span->last == ',';
        for (const std::string& v : add.values) {
          text += first ? (span->last == ',' ? " " : "") : ", ";
          first = false;
          text += RenderItem(own, v, true);
        }
        return Add({span->last_end, 0, text}, own);
      }
      const Node* last = own->children.back();
      size_t dash = DashOffset(last);
      size_t first_dash = DashOffset(own->children.front());
      if (dash == std::string::npos || first_dash == std::string::npos)
        return At(last, "cannot find the '-' of this sequence item");
      size_t col = dash - src_.LineStart(src_.LineOf(dash));
      size_t gap = own->children.front()->offset - first_dash;
      size_t at = BlockEnd(src_, std::max(src_.LineOf(dash), EndLine(last)), col,
                           BlockScalarStyle(t_, LastLeaf(last)));
      const std::string& eol = src_.eol();
      std::string text;
      for (const std::string& v : add.values)
        text += Indent(col) + "-" + Indent(gap - 1) + RenderItem(own, v, false) + eol;
      if (at == t_.size() && !t_.empty() && t_.back() != '\n')
        text = eol + text.substr(0, text.size() - eol.size());
      return Add({at, 0, text}, last);
    }
    if (own->IsScalar()) {
      // `tmpfs: /run` becomes `tmpfs: [/run, /tmp]`, the old text kept
      // where it reads the same inside brackets (an anchor or tag stays on
      // the first item).
      if (own->value.empty() && !own->tag().empty())
        return At(own, fmt::format("\"{}\" of service \"{}\" is empty and "
                                   "tagged {}; harden adds to a list only "
                                   "without a tag",
                                   add.key, s.name, ShownTag(own->tag())));
      auto end = ScalarExtent(src_, own, s.own->flow, s.own->Key(0)->column);
      if (!end) return At(own, "cannot edit this scalar (a block scalar?)");
      size_t from = AfterProperties(t_, own);
      std::string_view props = t_.substr(own->offset, from - own->offset);
      std::string_view old = t_.substr(from, *end - from);
      const bool one_line = old.find('\n') == std::string_view::npos &&
                            props.find('\n') == std::string_view::npos;
      // Inside brackets `,[]{}:#` end a plain scalar, and a leading `?`
      // always starts a key (`?x` is text only outside them).
      const bool keep =
          one_line && (!own->plain || (old.find_first_of(",[]{}:#") ==
                                           std::string_view::npos &&
                                       old.front() != '?'));
      std::string text =
          "[" + (one_line ? std::string(props) : std::string()) +
          (one_line && !props.empty() && !IsSpace(props.back()) ? " " : "") +
          (keep ? std::string(old) : RenderScalar(std::string(own->value), true));
      if (!one_line && !props.empty())
        return At(own, "cannot edit a scalar whose anchor or tag stands on "
                       "another line");
      // libyaml reads a line of spaces and tabs below a plain scalar as
      // part of it, and below a `]` as a tab where a token should start.
      if (own->plain)
        for (size_t l = src_.LineOf(*end) + 1;
             l < src_.line_count() && IsBlank(src_.Line(l)); ++l)
          if (src_.Line(l).find('\t') != std::string_view::npos)
            return At(own, fmt::format(
                               "cannot make \"{}\" of service \"{}\" a list: "
                               "line {} below it holds only spaces and tabs, "
                               "which YAML reads only after a plain value; "
                               "remove its tabs",
                               add.key, s.name, l + 1));
      for (const std::string& v : add.values) text += ", " + RenderScalar(v, true);
      text += "]";
      return Add({own->offset, *end - own->offset, text}, own);
    }
    return At(own, fmt::format("cannot add to \"{}\": it is a mapping", add.key));
  }

  // `key:` with no value (or `~`, `null`) gets the addition as its value.
  std::optional<Diagnostic> FillNull(const ServiceNode& s, const Node* own,
                                     const NewKey& add) {
    const Node* key = nullptr;
    for (size_t i = 0; i < s.own->MapSize(); ++i)
      if (s.own->Value(i) == own) key = s.own->Key(i);
    auto colon = key ? AfterColon(src_, key) : std::nullopt;
    if (!colon) return At(own, "cannot find where this empty value starts");
    const bool flow = s.own->flow;
    std::string value =
        add.list ? FlowValue(add) : Scalar(add, add.values[0], flow);
    if (!flow) {
      // Its `~` or `null`, on the key's line or deeper below it, gives way
      // to the value. An anchor would hand the value to the aliases that
      // name it, and a tag other than !!null (`!reset`) means something.
      const EmptyValue v = ScanEmptyValue(src_, *colon, key->column);
      const std::string_view tag = own->tag();
      if (!v.anchor.empty() || (!tag.empty() && tag != kNullTag))
        return At(own, fmt::format("\"{}\" of service \"{}\" is empty and {}; "
                                   "harden fills only an empty value without "
                                   "an anchor or a tag",
                                   add.key, s.name,
                                   v.anchor.empty()
                                       ? "tagged " + ShownTag(tag)
                                       : "anchored " + std::string(v.anchor)));
      if (v.begin != v.end) return Add({v.begin, v.end - v.begin, value}, own);
      return Add({*colon, 0, " " + value}, own);
    }
    size_t end = *colon;
    size_t line_end = src_.LineEnd(src_.LineOf(end));
    std::string_view rest = t_.substr(end, line_end - end);
    size_t tok = rest.find_first_not_of(" \t\r");
    std::string_view stops = flow ? " \t\r,]}" : " \t\r";
    if (tok != std::string_view::npos && rest[tok] != '#' &&
        stops.find(rest[tok]) == std::string_view::npos) {
      size_t tok_end = rest.find_first_of(stops, tok);
      if (tok_end == std::string_view::npos) tok_end = rest.size();
      return Add({end + tok, tok_end - tok, value}, own);
    }
    return Add({end, 0, " " + value}, own);
  }

  // A new item in the quoting style of the list's first item.
  std::string RenderItem(const Node* list, const std::string& v, bool flow) const {
    if (!list->children.empty()) {
      const Node* first = list->children.front();
      if (first->IsScalar() && !first->plain && first->offset < t_.size()) {
        char q = t_[first->offset];
        if (q == '"' && v.find_first_of("\"\\") == std::string::npos)
          return "\"" + v + "\"";
        if (q == '\'' && v.find('\'') == std::string::npos)
          return "'" + v + "'";
      }
    }
    return RenderScalar(v, flow);
  }

  // A service written as an alias (`web: *a`) becomes a flow mapping that
  // starts with `first` (a merge of the alias, or nothing) and holds the
  // additions, lists with the items the alias gives first.
  std::optional<Diagnostic> ReplaceAlias(const ServiceNode& s,
                                         const std::string& first,
                                         std::vector<NewKey> adds) {
    for (NewKey& k : adds) {
      if (!k.list) continue;
      std::vector<std::string> items;
      for (const Located& l : ScalarList(Lookup(s.mapping, k.key)))
        items.push_back(l.value);
      items.insert(items.end(), k.values.begin(), k.values.end());
      k.values = std::move(items);
    }
    const std::string text =
        "{" + first + (first.empty() ? "" : ", ") + FlowEntries(adds) + "}";
    return Add({s.value->offset, 1 + s.value->value.size(), text}, s.value);
  }

  std::optional<Diagnostic> PlanEmptyService(const ServiceNode& s,
                                             const std::vector<NewKey>& adds) {
    auto colon = AfterColon(src_, s.key);
    if (!colon && ExplicitKey(s.key))
      return At(s.key, fmt::format("service \"{}\" is written as \"? name\" "
                                   "with no value; harden edits only "
                                   "\"name: value\" entries",
                                   s.name));
    if (!colon) return At(s.key, "cannot find the ':' after this service name");
    const std::string_view tag = s.value->tag();
    if (!tag.empty() && tag != kNullTag)
      return At(s.value,
                fmt::format("service \"{}\" is empty and tagged {}; harden "
                            "adds keys only to an untagged service",
                            s.name, tag));
    const EmptyValue v = ScanEmptyValue(src_, *colon, s.key->column);
    if (v.in_flow) return Add({*colon, 0, " {" + FlowEntries(adds) + "}"}, s.key);
    if (v.flow != std::string_view::npos) {
      // An empty flow mapping: fill it.
      Node fake;
      fake.offset = v.flow;
      fake.line = s.key->line;
      fake.column = s.key->column;
      return AppendToFlowMap(&fake, adds);
    }
    if (v.begin != v.end) {
      // `web: ~`, `web: &a` or a tag on the line below: one flow mapping in
      // their place, which keeps the anchor that aliases may name.
      const std::string anchor = v.anchor.empty() ? "" : std::string(v.anchor) + " ";
      return Add({v.begin, v.end - v.begin, anchor + "{" + FlowEntries(adds) + "}"},
                 s.key);
    }
    const size_t line = src_.LineOf(*colon);
    size_t k = s.key->column + service_indent_;
    const std::string& eol = src_.eol();
    std::string text;
    for (const NewKey& nk : adds) {
      if (nk.list && nk.kind == ValueKind::kString) {
        text += Indent(k) + nk.key + ":" + eol;
        for (const std::string& v : nk.values)
          text += Indent(k + seq_indent_) + "- " + RenderScalar(v, false) + eol;
      } else {
        text += Indent(k) + nk.key + ": " +
                (nk.list ? FlowValue(nk) : Scalar(nk, nk.values[0], false)) + eol;
      }
    }
    size_t at = src_.LineEndWithEol(line);
    if (at == t_.size() && t_.back() != '\n')
      text = eol + text.substr(0, text.size() - eol.size());
    return Add({at, 0, text}, s.key);
  }

  const SourceText& src_;
  std::string_view t_;
  std::map<const Node*, const ServicePlan*> plan_of_;
  EditList edits_;
  struct Insert {
    std::string text;
    const Node* where;
  };
  std::map<size_t, Insert> inserts_;
  int seq_indent_ = 2;
  int service_indent_ = 2;
  bool seq_known_ = false;
  bool indent_known_ = false;
  bool settled_ = false;
};

EditPlanner::EditPlanner(const SourceText& source)
    : impl_(std::make_unique<Impl>(source)) {}
EditPlanner::~EditPlanner() = default;

bool EditPlanner::LearnStyle(const ServiceNode& s) {
  return impl_->LearnStyle(s);
}
void EditPlanner::Register(const ServiceNode& s, const ServicePlan* plan) {
  impl_->Register(s, plan);
}
std::optional<Diagnostic> EditPlanner::Plan(const ServiceNode& s,
                                            const ServicePlan& plan) {
  return impl_->PlanService(s, plan);
}
Expected<EditList> EditPlanner::Take() { return impl_->Take(); }

std::string RenderScalar(const std::string& value, bool flow) {
  if (IsPlainSafe(value, flow)) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace harden
