// Machine-readable results of a run: JSON (schema in docs/json-report.md),
// SARIF 2.1.0 for code scanning, and GitHub workflow commands. All three read
// the same decisions the resolver made and the same edits the planner wrote,
// so a report never says anything the diff would not do.
#ifndef HARDEN_REPORT_H_
#define HARDEN_REPORT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harden/baseline.h"
#include "harden/diagnostic.h"
#include "harden/harden.h"

namespace harden {

/// One file of a run: its result, or the error that stopped it (or both,
/// when the file was hardened but could not be written).
struct FileReport {
  std::string path;
  const FileResult* result = nullptr;
  std::optional<Diagnostic> error;
  /// Overlay mode (--override-file): the file itself never changes; the
  /// hardening is in the override file at `path`, whose new text is `text`
  /// when it must change (else empty: it is up to date, or not needed).
  struct Overlay {
    std::string path;
    std::string text;
  };
  std::optional<Overlay> overlay;
};

/// Version of the JSON report's schema; bump on incompatible changes.
constexpr int kJsonReportVersion = 1;

/// Where the SARIF report says harden is documented.
#ifdef HARDEN_HOMEPAGE_URL
constexpr const char* kHomepage = HARDEN_HOMEPAGE_URL;
#else
constexpr const char* kHomepage = "https://github.com/OWNER/harden";
#endif

/// The reports. Files appear in the order given, so the output does not
/// depend on how many jobs produced the results.
std::string JsonReport(const std::vector<FileReport>& files,
                       const Baseline& baseline);
std::string SarifReport(const std::vector<FileReport>& files,
                        const Baseline& baseline);
std::string GithubReport(const std::vector<FileReport>& files,
                         const Baseline& baseline);

/// `s` as a JSON string literal, quotes included. The result is ASCII:
/// control characters and every character past '~' are \u escapes (a
/// surrogate pair past U+FFFF), and a byte that is not part of valid UTF-8
/// becomes U+FFFD, so any input gives valid JSON.
std::string JsonQuote(std::string_view s);

/// `s` escaped for a GitHub workflow command: % CR LF always, and also
/// ':' and ',' when it is a property value (file=, title=).
std::string GithubEscape(std::string_view s, bool property);

/// The finding ids the SARIF report has a rule for, in rule order.
std::vector<std::string> KnownFindingIds();

}  // namespace harden

#endif  // HARDEN_REPORT_H_
