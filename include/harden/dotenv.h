// The variables of a project's `.env` file, which docker compose reads from
// the Compose file's folder to fill `${VAR}` in it.
#ifndef HARDEN_DOTENV_H_
#define HARDEN_DOTENV_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harden {

using Variables = std::map<std::string, std::string, std::less<>>;

/// Stands, in an interpolated text, for a variable with no value here.
inline constexpr char kNoValue = '\x01';

/// Text with its variables substituted.
struct Interpolated {
  std::string text;  ///< kNoValue where a variable has no value here
  bool used = false; ///< a variable of `vars` was used
  /// The variables that gave kNoValue (unset, or set to a value that
  /// holds one), in order, once each.
  std::vector<std::string> unknown;
};

/// Substitutes the variables in `text` as docker compose does when only
/// `vars` are set: `$VAR` and `${VAR}` give their value, `${VAR:-default}`
/// and `${VAR-default}` their default when unset (with ':', also when
/// empty), `${VAR:+x}` x when set, `${VAR:?err}` its value, `$$` a dollar.
/// A variable that has no value gives kNoValue, as does an unclosed `${`,
/// defaults nested more than 8 deep, or a value that would make the text
/// longer than 64 KiB.
Interpolated Interpolate(std::string_view text, const Variables& vars);

/// The same, when every variable it uses has a value here; none else.
std::optional<std::string> InterpolateKnown(std::string_view text,
                                            const Variables& vars);

/// Parses `.env` text as docker compose does, line by line: `KEY=VALUE`,
/// an optional `export `, `#` comment lines, a ` #` comment after an
/// unquoted value, 'single' (literal) and "double" quotes (with \n, \t,
/// \" and \\). Unquoted and double-quoted values have the variables of
/// the lines before them substituted (Interpolate); one the file does not
/// set gives kNoValue, since docker compose would take it from its own
/// environment. A line harden cannot read (no `=`, a quote left open) is
/// left out; later lines win.
Variables ParseDotEnv(std::string_view text);

}  // namespace harden

#endif  // HARDEN_DOTENV_H_
