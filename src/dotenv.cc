#include "harden/dotenv.h"

#include <algorithm>
#include <cctype>

#include "harden/source_text.h"

namespace harden {
namespace {

bool IsName(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' &&
        c != '-')
      return false;
  return true;
}

// How deep defaults may hold variables (`${A:-${B:-x}}`): real files use
// one or two; a deeper one is not known, so input made to nest thousands
// deep costs neither stack nor time.
constexpr int kMaxNesting = 8;

// How long a substituted value may grow: `.env` lines that double the one
// before (B=${A}${A}, C=${B}${B}, ...) would otherwise outgrow memory in
// forty lines. Real values (a certificate at most) are far shorter.
constexpr size_t kMaxLength = 64 * 1024;

void Substitute(std::string_view text, const Variables& vars, Interpolated* r,
                int nesting) {
  std::string* out = &r->text;
  if (nesting > kMaxNesting) {
    out->push_back(kNoValue);
    return;
  }
  auto name_end = [&](size_t from) {
    while (from < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[from])) ||
            text[from] == '_'))
      ++from;
    return from;
  };
  auto value = [&](std::string_view name) -> const std::string* {
    auto it = vars.find(name);
    if (it == vars.end()) return nullptr;
    r->used = true;
    return &it->second;
  };
  auto put = [&](std::string_view name, const std::string* v) {
    if (v && out->size() + v->size() > kMaxLength) v = nullptr;
    if (v) *out += *v;
    else out->push_back(kNoValue);
    std::vector<std::string>& unknown = r->unknown;
    if ((!v || v->find(kNoValue) != std::string::npos) &&
        std::find(unknown.begin(), unknown.end(), name) == unknown.end())
      unknown.emplace_back(name);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out->push_back(text[i]);
      continue;
    }
    const char next = text[i + 1];
    if (next == '$') {  // an escaped dollar
      out->push_back('$');
      ++i;
    } else if (next == '{') {
      size_t depth = 0, end = i + 1;
      for (; end < text.size(); ++end) {
        if (text[end] == '{') ++depth;
        if (text[end] == '}' && --depth == 0) break;
      }
      if (end == text.size()) {  // unclosed: docker compose refuses it
        out->push_back(kNoValue);
        return;
      }
      std::string_view inner = text.substr(i + 2, end - i - 2);
      const size_t op = inner.find_first_of(":-?+");
      std::string_view name = inner.substr(0, op);
      std::string_view how =
          op == std::string_view::npos
              ? ""
              : inner.substr(op, inner[op] == ':' && op + 1 < inner.size() ? 2 : 1);
      std::string_view word =
          op == std::string_view::npos ? "" : inner.substr(op + how.size());
      const std::string* v = value(name);
      // With ':', an empty value counts as unset.
      const bool set = v && (how.size() < 2 || !v->empty());
      if (how.empty()) {
        put(name, v);
      } else if (how.back() == '-') {
        if (set) put(name, v); else Substitute(word, vars, r, nesting + 1);
      } else if (how.back() == '+') {
        if (set) Substitute(word, vars, r, nesting + 1);
      } else {  // '?': an error when unset
        put(name, set ? v : nullptr);
      }
      i = end;
    } else if (std::isalpha(static_cast<unsigned char>(next)) || next == '_') {
      const size_t end = name_end(i + 1);
      const std::string_view name = text.substr(i + 1, end - i - 1);
      put(name, value(name));
      i = end - 1;
    } else {
      out->push_back('$');
    }
  }
}

// The value after '=', its variables substituted from `vars` unless it is
// in single quotes: false when harden cannot read it.
bool ReadValue(std::string_view v, const Variables& vars, std::string* out) {
  v = Trim(v);
  if (v.empty()) return true;
  const char quote = v[0];
  if (quote == '\'' || quote == '"') {
    for (size_t i = 1; i < v.size(); ++i) {
      char c = v[i];
      if (c == quote) {
        std::string_view rest = Trim(v.substr(i + 1));
        if (quote == '"') *out = Interpolate(*out, vars).text;
        return rest.empty() || rest[0] == '#';
      }
      if (quote == '"' && c == '\\' && i + 1 < v.size()) {
        c = v[++i];
        if (c == 'n') c = '\n';
        else if (c == 't') c = '\t';
        else if (c == 'r') c = '\r';
        else if (c != '"' && c != '\\' && c != '$') out->push_back('\\');
      }
      out->push_back(c);
    }
    return false;  // left open (a value over several lines)
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '#' && i > 0 && std::isspace(static_cast<unsigned char>(v[i - 1])))
      break;
    out->push_back(v[i]);
  }
  *out = Interpolate(Trim(*out), vars).text;
  return true;
}

}  // namespace

std::optional<std::string> InterpolateKnown(std::string_view text,
                                            const Variables& vars) {
  Interpolated in = Interpolate(text, vars);
  if (in.text.find(kNoValue) != std::string::npos) return std::nullopt;
  return std::move(in.text);
}

Interpolated Interpolate(std::string_view text, const Variables& vars) {
  Interpolated r;
  if (text.find('$') == std::string_view::npos) {
    r.text = std::string(text);
    return r;
  }
  Substitute(text, vars, &r, 0);
  return r;
}

Variables ParseDotEnv(std::string_view text) {
  Variables vars;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.substr(0, 7) == "export ") line = Trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = Trim(line.substr(0, eq));
    std::string value;
    if (!IsName(key) || !ReadValue(line.substr(eq + 1), vars, &value)) continue;
    vars.insert_or_assign(std::string(key), std::move(value));
  }
  return vars;
}

}  // namespace harden
