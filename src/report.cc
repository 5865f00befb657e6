#include "harden/report.h"

namespace harden {

std::string JsonReport(const std::vector<FileReport>&, const Baseline&) { return "{}\n"; }
std::string SarifReport(const std::vector<FileReport>&, const Baseline&) { return "{}\n"; }
std::string GithubReport(const std::vector<FileReport>&, const Baseline&) { return ""; }

}  // namespace harden
