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
#include <vector>

#include "harden/compose_model.h"
#include "harden/diagnostic.h"
#include "harden/resolver.h"

namespace harden {

/// What the output must be, independent of the input's tree.
struct Expectation {
  /// A key whose value must not change: its name and value fingerprints.
  struct Kept {
    uint64_t name = 0;
    uint64_t value = 0;
  };
  /// A key harden adds or extends, with the value(s) it must then have.
  struct Added {
    std::string name;
    bool list = false;
    bool any_value = false;   ///< a custom `set:` value: presence only
    bool plain_bool = false;
    std::vector<std::string> values;
  };
  struct Service {
    std::string name;
    /// For a service harden leaves alone: its value as written.
    std::optional<uint64_t> untouched;
    std::vector<Kept> kept;
    std::vector<Added> added;
  };
  bool mapping_root = false;
  uint64_t root_fingerprint = 0;  ///< when the root is not a mapping
  std::vector<std::pair<uint64_t, uint64_t>> top_level;  ///< key, value
  size_t services_index = SIZE_MAX;  ///< position of `services` in top_level
  std::vector<Service> services;
};

Expectation Expect(const Document& input, const ComposeModel& model,
                   const std::vector<ServicePlan>& plans);

/// Checks `output` against `expected`. Returns the first difference found,
/// or nothing when the output is right.
std::optional<Diagnostic> VerifyOutput(const Expectation& expected,
                                       std::string_view output);

/// A fingerprint of a subtree that agrees with SameTree: equal trees give
/// equal fingerprints; aliases count by anchor name and are not expanded.
uint64_t Fingerprint(const Node* node);

}  // namespace harden

#endif  // HARDEN_VERIFY_H_
