// The last gate before output: re-parse the edited text and check that it is
// the intended document — the input plus exactly the planned changes, read
// the way Compose reads it (through aliases and merge keys). A mismatch is a
// bug in harden; the file then fails and nothing is written.
//
// The check runs in two steps so that the input's tree can be freed before
// the output is parsed: Expect() records what the output must be (subtree
// fingerprints for what must not change, values for what is added), and
// VerifyOutput() compares the parsed output with that record.
#ifndef HARDEN_VERIFY_H_
#define HARDEN_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harden/compose_model.h"
#include "harden/diagnostic.h"
#include "harden/resolver.h"

namespace harden {

/// What the output must be, independent of the input's tree. Compact (a
/// file of 20,000 services keeps one while its output is parsed): names and
/// values as fingerprints, additions as pointers to the plans' decisions,
/// which must outlive it.
struct Expectation {
  /// A key whose value must not change: its name and value fingerprints.
  struct Kept {
    uint64_t name = 0;
    uint64_t value = 0;
  };
  /// A key harden adds or extends: the plan's first decision for it (the
  /// key, and the value a scalar must have), and for a list the fingerprint
  /// of the items it must then have.
  struct Added {
    const Decision* decision = nullptr;
    uint64_t values = 0;
    bool list = false;
    bool any_value = false;   ///< a custom `set:` value: presence only
    bool plain_bool = false;
  };
  struct Service {
    uint64_t name = 0;
    /// For a service harden leaves alone: its value as written.
    std::optional<uint64_t> untouched;
    /// Its entries of `kept` and `added`.
    uint32_t kept_begin = 0, kept_end = 0, added_begin = 0, added_end = 0;
  };
  bool mapping_root = false;
  uint64_t root_fingerprint = 0;  ///< when the root is not a mapping
  std::vector<std::pair<uint64_t, uint64_t>> top_level;  ///< key, value
  size_t services_index = SIZE_MAX;  ///< position of `services` in top_level
  std::vector<Service> services;     ///< in file order
  std::vector<Kept> kept;
  std::vector<Added> added;
};

/// Fingerprints subtrees, agreeing with SameTree: equal trees give equal
/// fingerprints; aliases count by anchor name and are not expanded. An
/// anchored node, which aliases and merge keys can reach many times, is
/// hashed once; it must stay alive while the Fingerprinter is used.
class Fingerprinter {
 public:
  uint64_t Of(const Node* node);

 private:
  std::unordered_map<const Node*, uint64_t> memo_;
};

/// Records what service number `index` (in file order) must be after the
/// edit, given the service as parsed and its plan. Services may be recorded
/// in any order.
void ExpectService(size_t index, const ServiceNode& in, const ServicePlan& plan,
                   Fingerprinter& fp, Expectation* e);

/// Records what must not change outside the services (all of the top level
/// when `model` has no services mapping).
void ExpectTopLevel(const Document& input, const ComposeModel& model,
                    Fingerprinter& fp, Expectation* e);

/// Both, for a whole parsed document.
Expectation Expect(const Document& input, const ComposeModel& model,
                   const std::vector<ServicePlan>& plans);

/// Checks `output` against `expected`. Returns the first difference found,
/// or nothing when the output is right.
std::optional<Diagnostic> VerifyOutput(const Expectation& expected,
                                       std::string_view output);

/// Fingerprinter().Of(node).
uint64_t Fingerprint(const Node* node);

}  // namespace harden

#endif  // HARDEN_VERIFY_H_
