// The planner turns the resolver's decisions into edits of the original bytes,
// written in the file's own style: the service's indentation, the file's way
// of indenting block sequences, flow style inside flow collections, the line
// ending. It never decides policy: what to add comes from the decisions.
#ifndef HARDEN_PLANNER_H_
#define HARDEN_PLANNER_H_

#include <vector>

#include "harden/compose_model.h"
#include "harden/diagnostic.h"
#include "harden/edit.h"
#include "harden/resolver.h"
#include "harden/source_text.h"

namespace harden {

/// Plans the edits for every service. `plans` is parallel to
/// `model.service_nodes`. An error means the file is written in a way harden
/// cannot edit safely; it names the place.
Expected<EditList> PlanEdits(const SourceText& source, const ComposeModel& model,
                             const std::vector<ServicePlan>& plans);

/// `value` as a YAML scalar, quoted only when a plain scalar would be read
/// differently (a number, a boolean, "1000:1000", special characters).
/// `flow` asks for a form that is also safe inside [..] and {..}.
std::string RenderScalar(const std::string& value, bool flow);

}  // namespace harden

#endif  // HARDEN_PLANNER_H_
