// The conflict resolver: for each service, decide what the baseline adds,
// what the service keeps and why. Pure: it reads ServiceFacts (plain values)
// and never sees text; the planner turns its decisions into edits.
#ifndef HARDEN_RESOLVER_H_
#define HARDEN_RESOLVER_H_

#include <string>
#include <vector>

#include "harden/baseline.h"
#include "harden/compose_model.h"
#include "harden/image_facts.h"

namespace harden {

enum class Action {
  kAdd,   ///< harden writes this
  kKeep,  ///< the service already has it, or chose otherwise explicitly
  kSkip,  ///< harden leaves it out on purpose (opt-out, a volume, ...)
};
const char* ActionName(Action a);

/// How a value is written: a string the planner may quote, or YAML text to be
/// written as it is (values of custom `set:` keys).
enum class ValueKind { kString, kBool, kYaml };

struct Decision {
  std::string key;                  ///< the Compose key: "user", "tmpfs", ...
  Action action = Action::kKeep;
  bool list = false;                ///< `values` are items to append
  ValueKind kind = ValueKind::kString;
  std::vector<std::string> values;  ///< what is added (or kept)
  std::string reason;               ///< plain words, for --explain and reports
  std::string source;               ///< where an image fact comes from
  int line = 0;                     ///< 1-based line of what is kept, or 0
};

/// Something harden reports but does not change. `id` is stable.
struct Finding {
  std::string id;
  std::string message;
  int line = 0;
};

struct ServicePlan {
  std::string service;
  int line = 0;
  std::vector<Decision> decisions;
  std::vector<Finding> findings;
  bool HasAdditions() const;
};

/// Decides for one service.
ServicePlan Resolve(const ServiceFacts& facts, const Baseline& baseline,
                    const ImageFacts& images);

/// Docker's default capability set, in moby's order.
const std::vector<std::string>& DockerDefaultCapabilities();

/// "cap_sys_admin" -> "SYS_ADMIN": upper case, no CAP_ prefix.
std::string NormalizeCapability(std::string_view cap);

}  // namespace harden

#endif  // HARDEN_RESOLVER_H_
