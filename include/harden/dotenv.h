// The variables of a project's `.env` file, which docker compose reads from
// the Compose file's folder to fill `${VAR}` in it.
#ifndef HARDEN_DOTENV_H_
#define HARDEN_DOTENV_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace harden {

using Variables = std::map<std::string, std::string, std::less<>>;

/// Parses `.env` text as docker compose does, line by line: `KEY=VALUE`,
/// an optional `export `, `#` comment lines, a ` #` comment after an
/// unquoted value, 'single' (literal) and "double" quotes (with \n, \t,
/// \" and \\). A line harden cannot read (no `=`, a quote left open) is
/// left out; later lines win.
Variables ParseDotEnv(std::string_view text);

}  // namespace harden

#endif  // HARDEN_DOTENV_H_
