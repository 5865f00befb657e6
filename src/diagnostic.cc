#include "harden/diagnostic.h"

#include <fmt/format.h>

namespace harden {

std::string FormatDiagnostic(const Diagnostic& d) {
  if (d.line > 0)
    return fmt::format("{}:{}:{}: error: {}", d.path, d.line, d.column,
                       d.message);
  return fmt::format("{}: error: {}", d.path, d.message);
}

}  // namespace harden
