// Locates the services of a Compose document and reads each one as Compose
// would: through aliases and merge keys (`<<: *a`, `<<: [*a, *b]`), which
// yaml-cpp 0.7 does not resolve. The result, ServiceFacts, is what the
// resolver sees: plain values, no text.
#ifndef HARDEN_COMPOSE_MODEL_H_
#define HARDEN_COMPOSE_MODEL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harden/diagnostic.h"
#include "harden/dockerfile.h"
#include "harden/document.h"
#include "harden/dotenv.h"

namespace harden {

/// A value as the resolver sees it, with the 1-based line it was written on
/// (which may be in an anchor the service merges, or in the service it
/// extends).
struct Located {
  std::string value;
  int line = 0;
  /// Written in the service this one extends (ServiceFacts::extended).
  bool inherited = false;
  /// Added by harden (to the service this one extends): see AddGains().
  bool gained = false;
};

/// One service key as written in the document.
struct ServiceNode {
  std::string name;
  const Node* key = nullptr;
  const Node* value = nullptr;  ///< as written: mapping, alias or null
  /// The service's own mapping, or null when the value is an alias or empty.
  const Node* own = nullptr;
  /// The mapping Compose reads: `own`, or an alias's target.
  const Node* mapping = nullptr;
};

struct ComposeModel {
  const Node* services_key = nullptr;  ///< null for a file with no services
  const Node* services = nullptr;      ///< the `services:` mapping
  std::vector<ServiceNode> service_nodes;
  /// A legacy v1 file (services at the top level, no `services:` key).
  bool legacy = false;
};

/// Finds the services. Errors: a root that is not a mapping, `services` that
/// is not a mapping, a service that is neither a mapping nor empty.
Expected<ComposeModel> LocateServices(const Document& doc);

/// The service of the same file that `mapping` extends (`extends: web` or
/// `extends: {service: web}`), or empty; one from another file (`file:`) is
/// out of this file's reach.
std::string ExtendedService(const Node* mapping);

/// One entry `key: value` of the services mapping, read as LocateServices
/// reads it (for a caller that sees the entries one at a time).
Expected<ServiceNode> ReadServiceEntry(const Node* key, const Node* value);

/// The value Compose reads for `key` in `mapping`: the mapping's own entry,
/// else the first merge source (in order) that has it. Null when absent.
const Node* Lookup(const Node* mapping, std::string_view key);
/// The mappings `mapping` merges (`<<: *a`, `<<: [*a, *b]`), in precedence
/// order; aliases resolved, items that are not mappings left out.
std::vector<const Node*> MergeSources(const Node* mapping);
/// The mapping's own entry only, ignoring merge keys.
const Node* OwnEntry(const Node* mapping, std::string_view key);
/// Every key of `mapping` as Compose sees it, own keys first, then merged.
std::vector<std::string> EffectiveKeys(const Node* mapping);

/// One entry of the top-level `include`: the Compose files it adds to the
/// project (the first, and those docker compose merges into it), as written.
struct Include {
  std::vector<std::string> paths;
  /// The folder the included files' relative paths start from, as
  /// written; empty: the first file's.
  std::string project_directory;
};

/// The entries of the document's `include` (`- path` or `- {path: …,
/// project_directory: …}`); entries of another shape are left out.
std::vector<Include> ReadIncludes(const Node* root);

/// "a scalar", "a sequence", "a mapping" or "null", for messages.
const char* KindName(const Node* n);

/// A scalar or a sequence of scalars as strings (a scalar counts as a list of
/// one; null as empty). Items that are not scalars are skipped.
std::vector<Located> ScalarList(const Node* node);

/// What the resolver needs to know about one service.
struct ServiceFacts {
  std::string name;
  int line = 0;  ///< of the service key
  std::optional<Located> image;
  std::optional<Located> user;
  std::optional<Located> read_only;   ///< as written: "true", "false", "${X}"
  std::optional<Located> privileged;
  std::optional<Located> network_mode;
  std::optional<Located> pid;
  std::optional<Located> ipc;
  std::optional<Located> userns_mode;
  std::vector<Located> cap_add;
  std::vector<Located> cap_drop;
  std::vector<Located> security_opt;
  std::vector<Located> tmpfs;
  std::vector<Located> volume_targets;  ///< container paths of volumes
  std::vector<Located> volume_sources;  ///< host paths / volume names
  std::vector<Located> devices;    ///< host paths of `devices` entries
  std::vector<Located> group_add;  ///< as written
  /// `build`: what the image is built from, as written (`build: DIR` or
  /// its mapping); left out for a service of another file, whose context
  /// is relative to that file's folder.
  struct Build {
    std::string context = ".";
    std::string dockerfile;  ///< empty: Dockerfile
    std::optional<std::string> inline_text;  ///< dockerfile_inline
    std::string target;      ///< the stage built; empty: the last
    Variables args;          ///< those given a value
    int line = 0;            ///< of the `build` key
  };
  std::optional<Build> build;
  /// What the Dockerfile of `build` says, when harden could read it, and
  /// where it is, as words ("app/Dockerfile"). The image it starts from is
  /// the service's, as far as harden's image facts go.
  std::optional<DockerfileFacts> built;
  std::string built_path;
  /// Service-level `x-harden`: false, or a mapping with skip and reason.
  bool opt_out = false;
  std::vector<std::string> skip;
  std::string skip_reason;
  std::optional<Diagnostic> x_harden_error;
  /// Keys the service sets (own or merged), for set-if-absent rules.
  std::vector<std::string> keys;
  /// Set when another file hardens this service: the base file that docker
  /// compose merges this one into (this service is defined in both).
  std::string hardened_in;
  /// `extends: {file: F, service: S}`, as words (`service "S" of F`), while
  /// what S sets in F is not read in (and why not, when it could not be).
  std::optional<Located> extends_file;
  std::string extends_path;     ///< F as written
  std::string extends_service;  ///< S
  /// The service this one extends, when its values are read in
  /// (ExtendFacts; they are marked `inherited`), as words: `service "app"`,
  /// `service "web" of common.yaml`.
  std::string extended;
  /// A volume that another service mounts, `service` being the one that
  /// says so: of this file, or of the file docker compose merges with it
  /// (then `file` names it).
  struct OtherVolume {
    std::string service;
    std::string target;
    int line = 0;
    /// The service whose volume `service` mounts through volumes_from, if
    /// it is not its own.
    std::string from = {};
    /// The file `line` is in, when it is not this one (the file docker
    /// compose merges with it).
    std::string file = {};
  };
  /// The volumes of the services that extend this one (at any depth; their
  /// own, not inherited): a tmpfs harden gives this service would reach
  /// them too, at the same path.
  std::vector<OtherVolume> extender_volumes;
  /// `volumes_from`: the services whose volumes this one mounts, by name
  /// (`container:` entries, whose volumes harden cannot see, are left
  /// out). Never inherited through `extends`.
  std::vector<Located> volumes_from;
  /// `volumes_from: [container:NAME]`: containers whose volumes this one
  /// mounts, by name; harden cannot see them.
  std::vector<Located> volumes_from_containers;
  /// What this service mounts through `volumes_from` (at any depth), at
  /// the paths where harden might add a tmpfs: a tmpfs there would hide it.
  std::vector<OtherVolume> shared_volumes;
  /// What it mounts through `volumes_from` whose volumes harden cannot
  /// see: a service that neither this file nor the one docker compose
  /// merges with it defines (it may come from a file given with -f, or one
  /// this file includes), or a container that a service it names names in
  /// turn. (A container it names itself is in volumes_from_containers.)
  struct Unseen {
    std::string name;        ///< the service's or the container's
    bool container = false;
    /// The service it names that mounts them, when it does not name them
    /// itself.
    std::string via = {};
    int line = 0;            ///< of its own volumes_from entry
    /// The file that entry is in, when it is not this one.
    std::string file = {};
  };
  std::vector<Unseen> unseen_volumes;
};

ServiceFacts ReadFacts(const ServiceNode& service);

/// The service as docker compose reads it when `over`, from a file merged
/// after this one, defines it too (the Compose specification's merge
/// rules): what `over` sets wins, lists are appended, volumes replace those
/// with the same target, keys add up, `x-harden` from `over` wins. Values
/// from `over` are in another file, so they have no line here.
ServiceFacts MergeFacts(ServiceFacts base, ServiceFacts over);

/// The service as Compose reads it when `own` extends `base`, a service of
/// the same file (`base` with what it extends already read in, and what
/// harden adds to it): what `own` sets wins, lists are appended, volumes
/// replace those with the same target, keys add up. The values from `base`
/// keep their lines and are marked inherited; name, line and errors are
/// `own`'s. A file `base` could not read (its `extends_file`) is one `own`
/// could not read either, unless `own` extends a file itself.
ServiceFacts ExtendFacts(const ServiceFacts& base, ServiceFacts own);

/// Takes the lines off every value: they are another file's.
void Unlocate(ServiceFacts* facts);

}  // namespace harden

#endif  // HARDEN_COMPOSE_MODEL_H_
