// Machine-readable results of a run: JSON (schema in docs/json-report.md),
// SARIF 2.1.0 for code scanning, and GitHub workflow commands. All three read
// the same decisions the resolver made and the same edits the planner wrote.
#ifndef HARDEN_REPORT_H_
#define HARDEN_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "harden/baseline.h"
#include "harden/diagnostic.h"
#include "harden/harden.h"

namespace harden {

/// One file of a run: its result, or the error that stopped it.
struct FileReport {
  std::string path;
  const FileResult* result = nullptr;
  std::optional<Diagnostic> error;
};

/// Version of the JSON report's schema; bump on incompatible changes.
constexpr int kJsonReportVersion = 1;

std::string JsonReport(const std::vector<FileReport>& files,
                       const Baseline& baseline);
std::string SarifReport(const std::vector<FileReport>& files,
                        const Baseline& baseline);
std::string GithubReport(const std::vector<FileReport>& files,
                         const Baseline& baseline);

}  // namespace harden

#endif  // HARDEN_REPORT_H_
