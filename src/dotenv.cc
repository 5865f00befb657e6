#include "harden/dotenv.h"

#include <cctype>

namespace harden {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

bool IsName(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' &&
        c != '-')
      return false;
  return true;
}

// The value after '=': false when harden cannot read it.
bool ReadValue(std::string_view v, std::string* out) {
  v = Trim(v);
  if (v.empty()) return true;
  const char quote = v[0];
  if (quote == '\'' || quote == '"') {
    for (size_t i = 1; i < v.size(); ++i) {
      char c = v[i];
      if (c == quote) {
        std::string_view rest = Trim(v.substr(i + 1));
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
  *out = std::string(Trim(*out));
  return true;
}

}  // namespace

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
    if (!IsName(key) || !ReadValue(line.substr(eq + 1), &value)) continue;
    vars.insert_or_assign(std::string(key), std::move(value));
  }
  return vars;
}

}  // namespace harden
