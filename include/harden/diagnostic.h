// Errors that show the place. Expected failures (bad YAML, an invalid
// baseline, an unreadable file) travel as values between modules; only the
// command line turns them into text on stderr.
#ifndef HARDEN_DIAGNOSTIC_H_
#define HARDEN_DIAGNOSTIC_H_

#include <string>
#include <utility>
#include <variant>

namespace harden {

/// A located error. `line` and `column` are 1-based; 0 means "the whole file".
struct Diagnostic {
  std::string path;
  int line = 0;
  int column = 0;
  std::string message;
};

/// "PATH:LINE:COL: error: MESSAGE", or "PATH: error: MESSAGE" without a place.
std::string FormatDiagnostic(const Diagnostic& d);

/// A value or the diagnostic that explains why there is none.
template <class T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Diagnostic error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Diagnostic& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Diagnostic> v_;
};

}  // namespace harden

#endif  // HARDEN_DIAGNOSTIC_H_
