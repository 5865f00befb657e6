// The conflict resolver: for each service, decide what the baseline adds,
// what the service keeps and why. Pure: it reads ServiceFacts (plain values)
// and never sees text; the planner turns its decisions into edits.
#ifndef HARDEN_RESOLVER_H_
#define HARDEN_RESOLVER_H_

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "harden/baseline.h"
#include "harden/compose_model.h"
#include "harden/dotenv.h"
#include "harden/image_facts.h"

namespace harden {

enum class Action : unsigned char {
  kAdd,   ///< harden writes this
  kKeep,  ///< the service already has it, or chose otherwise explicitly
  kSkip,  ///< harden leaves it out on purpose (opt-out, a volume, ...)
};
const char* ActionName(Action a);

/// How a value is written: a string the planner may quote, or YAML text to be
/// written as it is (values of custom `set:` keys).
enum class ValueKind : unsigned char { kString, kBool, kYaml };

/// The reasons, sources and notes of a file's plans. The services of one
/// file share most of them (a 20,000-service file has a few hundred distinct
/// texts), so each is stored once and the plans hold views of it.
class TextPool {
 public:
  std::string_view Intern(std::string text) {
    return *texts_.insert(std::move(text)).first;
  }

 private:
  std::unordered_set<std::string> texts_;
};

// A file of 20,000 services holds some 140,000 of these: the small fields
// go last, packed.
struct Decision {
  std::string key;                  ///< the Compose key: "user", "tmpfs", ...
  std::vector<std::string> values;  ///< what is added (or kept)
  std::string_view reason;  ///< plain words, for --explain and reports
  std::string_view source;  ///< where an image fact comes from
  // (Both are views of ServicePlan::texts.)
  int line = 0;                     ///< 1-based line of what is kept, or 0
  Action action = Action::kKeep;
  bool list = false;                ///< `values` are items to append
  ValueKind kind = ValueKind::kString;
};

/// Something harden reports but does not change. `id` is stable.
struct Finding {
  std::string id;
  std::string_view message;  ///< a view of ServicePlan::texts
  int line = 0;
};

/// Advice rather than a finding about the service itself (a note on its
/// image, a file harden does not read): it never fails a --check.
bool IsAdvice(const Finding& f);

struct ServicePlan {
  std::string service;
  int line = 0;
  std::vector<Decision> decisions;
  std::vector<Finding> findings;
  /// The variables with no value that leave the service's image unknown
  /// to the image facts (`${DB_IMAGE}` with no DB_IMAGE in .env).
  std::vector<std::string> image_variables_unknown;
  /// Holds the texts the decisions and findings refer to; shared by the
  /// plans of one file.
  std::shared_ptr<TextPool> texts;
  bool HasAdditions() const;
};

/// Decides for one service.
/// `texts` is shared with the other services of the file (a new pool when
/// null). `vars` are the project's `.env`, for an image named through
/// variables.
ServicePlan Resolve(const ServiceFacts& facts, const Baseline& baseline,
                    const ImageFacts& images,
                    std::shared_ptr<TextPool> texts = nullptr,
                    const Variables& vars = Variables());

/// What `facts` become once `plan` is applied, for the services of the same
/// file that extend this one and so inherit it: every value the plan adds,
/// marked `gained`.
void AddGains(const ServicePlan& plan, ServiceFacts* facts);

/// Docker's default capability set, in moby's order.
const std::vector<std::string>& DockerDefaultCapabilities();

/// The path a tmpfs entry or volume target mounts ("/run:uid=1" -> "/run",
/// "/tmp/" -> "/tmp").
std::string MountPath(std::string_view entry);

/// "cap_sys_admin" -> "SYS_ADMIN": upper case, no CAP_ prefix.
std::string NormalizeCapability(std::string_view cap);

}  // namespace harden

#endif  // HARDEN_RESOLVER_H_
