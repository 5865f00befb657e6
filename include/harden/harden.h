// One Compose file through the whole pipeline:
// read -> model (locate services) -> resolve (decisions with reasons)
// -> plan (edits in the file's own style) -> apply -> verify.
// The command line adds the outputs (diff, --stdout, --write, reports).
#ifndef HARDEN_HARDEN_H_
#define HARDEN_HARDEN_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harden/baseline.h"
#include "harden/compose_model.h"
#include "harden/diagnostic.h"
#include "harden/dotenv.h"
#include "harden/edit.h"
#include "harden/image_facts.h"
#include "harden/resolver.h"
#include "harden/source_text.h"

namespace harden {

struct FileResult {
  explicit FileResult(std::string input)
      : source(std::make_unique<SourceText>(std::move(input))),
        edits(source->view()) {}

  /// Heap-held so that `edits`, which refers to its bytes, survives moves.
  std::unique_ptr<SourceText> source;
  EditList edits;
  std::string output;               ///< the hardened text (== input if none)
  std::vector<ServicePlan> plans;   ///< one per service, in file order
  std::vector<std::string> notes;   ///< e.g. "legacy v1 file: not hardened"

  bool changed() const { return !edits.empty(); }
};

/// Where the hardening goes. Compose resolves `extends` inside each file
/// before it merges an override file, so a service of the base file does
/// not inherit what an overlay adds to the service it extends: in overlay
/// mode each service gets those additions itself.
enum class Target { kBaseFile, kOverlay };

/// The file docker compose merges with this one by default (a folder's
/// Compose file and its override file, see MergedWith()), as far as
/// hardening this one needs it.
struct Partner {
  enum class Role : unsigned char {
    kBase,      ///< this file is the base; the partner overrides it
    kOverride,  ///< this file overrides the partner
  };
  Role role = Role::kBase;
  std::string name;  ///< the partner's file name, for notes and reasons
  /// The partner's services. kBase: merged into this file's services of
  /// the same name. kOverride: those this file must leave to the base.
  std::unordered_map<std::string, ServiceFacts> services;
  /// The files it includes (docker compose adds them to the merged
  /// project).
  std::vector<Include> includes;
};

/// Reads the partner's text for a file of role `role`. Errors carry a line
/// and column but no path.
Expected<Partner> ReadPartner(std::string text, Partner::Role role,
                              std::string name);

/// How many services deep harden follows `extends`, within a file and from
/// file to file (real files: one to three). Each service's facts hold what
/// it inherits, so a chain as long as the file would cost memory quadratic
/// in its length.
inline constexpr size_t kMaxExtendsDepth = 64;

/// One service of another file (`extends: {file: F, service: S}`, F as
/// written), as a service that extends it inherits it: with what it
/// extends in turn, in its own file or in others, read in, and without
/// lines (they are that file's). An error leaves the extending service with
/// the advice `extends-file`, which says why; so does a file further down
/// that could not be read, named with the way there.
using ExtendsReader = std::function<Expected<ServiceFacts>(
    const std::string& file, const std::string& service)>;

/// A service of a file that a Compose file includes (`include:`), as
/// docker compose adds it to the project: with what it extends read in,
/// without lines (they are that file's).
struct IncludedService {
  std::string file;  ///< its file, from the including file's folder
  ServiceFacts facts;
};

/// The other files a Compose file names: those that `extends` names, and
/// those that `include` adds to the project, from that file and from those
/// files in turn (each relative to the folder of the file that names it),
/// each read and each service resolved once. A cycle of `extends`, or a
/// chain deeper than kMaxExtendsDepth, is an error for the services on it.
class OtherFiles {
 public:
  /// How a file is read: its text, and a name that is the same by every
  /// path to it (its real path), by which it is read once.
  struct Text {
    std::string identity;
    std::string text;
  };
  using ReadText = std::function<Expected<Text>(const std::string& path)>;

  /// For the Compose file in folder `dir`. `env`, when given, is what
  /// `--env-file` set: the variables instead of those of `.env` there.
  OtherFiles(std::string dir, ReadText read, const Variables* env = nullptr);
  OtherFiles(const OtherFiles&) = delete;
  OtherFiles& operator=(const OtherFiles&) = delete;
  ~OtherFiles();

  /// The reader of `extends` for the Compose file; valid while this object
  /// lives.
  ExtendsReader Reader();

  /// The services of the files `includes` (the Compose file's) adds, and of
  /// those they include in turn, in order; the first of a name wins. A file
  /// that cannot be read, or is included again, adds none.
  std::vector<IncludedService> Included(const std::vector<Include>& includes);
  /// The variables of the `.env` file in the Compose file's folder, which
  /// docker compose fills the file's `${VAR}` with; read once, none when
  /// there is no such file. Those of `--env-file` instead, when given.
  const Variables& DotEnv();
  /// DotEnv() is what --env-file set, not a folder's .env.
  bool FromEnvFile() const { return env_ != nullptr; }

  /// What the Dockerfile of `build` (a service's of the Compose file)
  /// says, and where it is, as shown ("app/Dockerfile"): none when the
  /// context is remote, a path needs a variable `.env` does not set, or
  /// the file cannot be read. Where "Dockerfile" is missing, "dockerfile"
  /// as BuildKit does. Where it sets no USER and names no tool that drops
  /// root, the scripts it copies in to run are read for one. Each file is
  /// read once. (A service of
  /// another file comes with what its own Dockerfile says.)
  struct Built {
    DockerfileFacts facts;
    std::string path;
  };
  std::optional<Built> Dockerfile(const ServiceFacts::Build& build);

 private:
  struct File;
  Expected<ServiceFacts> Resolve(const std::string& path,
                                 const std::string& service, size_t depth);
  const Expected<File>& Read(const std::string& path);
  // For a build of a file in `dir`, shown as `shown_dir`.
  std::optional<Built> Dockerfile(const ServiceFacts::Build& build,
                                  const std::string& dir,
                                  const std::string& shown_dir);
  const std::optional<std::string>& DockerfileText(const std::string& path);
  std::string Shown(const std::string& path) const;

  std::string dir_;
  ReadText read_;
  std::unordered_map<std::string, std::string> identity_;  // path -> name
  std::unordered_map<std::string, std::unique_ptr<Expected<File>>> files_;
  // A service resolved, with how many services its chain holds (itself
  // and those it extends, at any depth).
  struct Done {
    Expected<ServiceFacts> facts;
    size_t length = 1;
  };
  // (file's name, service) -> as inherited.
  std::map<std::pair<std::string, std::string>, Done> done_;
  size_t deepest_ = 0;  // the depth the resolution in progress has reached
  // (file's name, service) on the stack while resolved.
  std::set<std::pair<std::string, std::string>> resolving_;
  size_t cuts_ = 0;  // how often the depth limit was reached
  std::optional<Variables> dotenv_;
  const Variables* const env_;  // --env-file's, or null
  std::unordered_map<std::string, std::optional<std::string>> dockerfiles_;
  std::unordered_map<std::string, std::optional<ToolUse>> scripts_;  // used
};

/// Hardens one file's text. Errors carry a line and column but no path.
/// With a partner, the file is hardened as docker compose reads it by
/// default: a base file for its services merged with the override's, an
/// override file only for the services the base does not define. With
/// `others`, a service that extends one of another file inherits it, and a
/// service of a file it includes is one whose volumes a service of this
/// one may mount (volumes_from).
Expected<FileResult> HardenText(std::string input, const Baseline& baseline,
                                const ImageFacts& images,
                                Target target = Target::kBaseFile,
                                const Partner* partner = nullptr,
                                OtherFiles* others = nullptr);

/// The first invalid UTF-8 sequence (or NUL byte) in `text`, as a diagnostic.
std::optional<Diagnostic> CheckEncoding(const SourceText& text);

}  // namespace harden

#endif  // HARDEN_HARDEN_H_
