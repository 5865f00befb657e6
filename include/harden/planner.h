// The planner turns the resolver's decisions into edits of the original bytes,
// written in the file's own style: the service's indentation, the file's way
// of indenting block sequences, flow style inside flow collections, the line
// ending. It never decides policy: what to add comes from the decisions.
#ifndef HARDEN_PLANNER_H_
#define HARDEN_PLANNER_H_

#include <memory>
#include <optional>
#include <string>

#include "harden/compose_model.h"
#include "harden/diagnostic.h"
#include "harden/edit.h"
#include "harden/resolver.h"
#include "harden/source_text.h"

namespace harden {

/// Plans the edits of one file, service by service, in any order that
/// keeps two rules: a service is planned after every service whose mapping
/// it merges (`<<: *web`), and only once LearnStyle() has returned true,
/// or when no service is left to learn from (the style then takes what was
/// learnt and defaults for the rest).
class EditPlanner {
 public:
  explicit EditPlanner(const SourceText& source);
  ~EditPlanner();
  EditPlanner(const EditPlanner&) = delete;
  EditPlanner& operator=(const EditPlanner&) = delete;

  /// Learns the file's indentation (of a service's keys, of block
  /// sequences under a key) from a service, in file order. True once both
  /// are known.
  bool LearnStyle(const ServiceNode& s);
  /// Makes a service known before it is planned, with where its plan will
  /// be (it must stay there): a service that merges or aliases it inherits
  /// what it gains.
  void Register(const ServiceNode& s, const ServicePlan* plan);
  /// Plans one service's edits. An error means the service is written in a
  /// way harden cannot edit safely; it names the place.
  std::optional<Diagnostic> Plan(const ServiceNode& s, const ServicePlan& plan);
  /// The edits planned so far.
  Expected<EditList> Take();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// `value` as a YAML scalar, quoted only when a plain scalar would be read
/// differently (a number, a boolean, "1000:1000", special characters).
/// `flow` asks for a form that is also safe inside [..] and {..}.
std::string RenderScalar(const std::string& value, bool flow);

}  // namespace harden

#endif  // HARDEN_PLANNER_H_
