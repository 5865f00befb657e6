// The last gate before output: re-parse the edited text and check that it is
// the intended document — the input plus exactly the planned changes, read
// the way Compose reads it (through aliases and merge keys). A mismatch is a
// bug in harden; the file then fails and nothing is written.
#ifndef HARDEN_VERIFY_H_
#define HARDEN_VERIFY_H_

#include <optional>
#include <string_view>
#include <vector>

#include "harden/compose_model.h"
#include "harden/diagnostic.h"
#include "harden/resolver.h"

namespace harden {

/// Checks `output` against `input` (its document and model) and `plans`.
/// Returns the first difference found, or nothing when the output is right.
std::optional<Diagnostic> VerifyOutput(const Document& input,
                                       const ComposeModel& model,
                                       const std::vector<ServicePlan>& plans,
                                       std::string_view output);

}  // namespace harden

#endif  // HARDEN_VERIFY_H_
