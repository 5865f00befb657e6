// A baseline is an organisation's least-privilege policy, as data. The shipped
// ones live in baselines/ (embedded at build time); a custom file uses the
// same schema. Every control is optional: a baseline that omits `read_only`
// does not touch read_only.
#ifndef HARDEN_BASELINE_H_
#define HARDEN_BASELINE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harden/diagnostic.h"

namespace harden {

/// Another service key an organisation sets when a service does not
/// (`pids_limit: 100`), with its value as flow-style YAML text.
struct ExtraKey {
  std::string key;
  std::string yaml;
};

struct Baseline {
  std::string name;
  std::string description;
  std::optional<std::string> user;         ///< run as this uid:gid
  std::vector<std::string> cap_drop;       ///< e.g. {"ALL"}
  /// Make Docker's default capabilities explicit in cap_add (the
  /// "preserve" baseline: same behaviour, but visible and reviewable).
  bool cap_add_docker_defaults = false;
  bool no_new_privileges = false;
  bool read_only = false;
  std::vector<std::string> tmpfs;          ///< e.g. {"/tmp"}
  bool image_facts = true;                 ///< use baselines/images.yaml
  bool fail_on_findings = false;           ///< --check fails on findings
  /// When set, a cap_add entry outside this list is a finding.
  std::optional<std::vector<std::string>> allowed_cap_add;
  std::vector<ExtraKey> extra;             ///< set-if-absent service keys
};

/// Parses a baseline file. `path` names it in errors.
Expected<Baseline> ParseBaseline(std::string_view text, const std::string& path);

/// Loads a shipped baseline by name ("default", "preserve", "strict") or a
/// file by path (anything with a '/' or ending in .yaml/.yml).
Expected<Baseline> LoadBaseline(const std::string& name_or_path);

/// Names and one-line descriptions of the shipped baselines.
std::vector<std::pair<std::string, std::string>> ShippedBaselines();

/// Text of an embedded file of baselines/, or null.
const char* EmbeddedText(std::string_view file_name);

}  // namespace harden

#endif  // HARDEN_BASELINE_H_
