// One Compose file through the whole pipeline:
// read -> model (locate services) -> resolve (decisions with reasons)
// -> plan (edits in the file's own style) -> apply -> verify.
// The command line adds the outputs (diff, --stdout, --write, reports).
#ifndef HARDEN_HARDEN_H_
#define HARDEN_HARDEN_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harden/baseline.h"
#include "harden/compose_model.h"
#include "harden/diagnostic.h"
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
};

/// Reads the partner's text for a file of role `role`. Errors carry a line
/// and column but no path.
Expected<Partner> ReadPartner(std::string text, Partner::Role role,
                              std::string name);

/// The services of another file, as a service that extends one of them
/// (`extends: {file: F, service: S}`) inherits it: each with what it
/// extends within its own file read in, and without lines (they are that
/// file's). A `file:` of that file is not followed.
using ExtendableServices = std::unordered_map<std::string, ServiceFacts>;
Expected<ExtendableServices> ReadExtendable(std::string text);

/// Gives the services of the file an `extends: {file: F}` names (F as
/// written); the caller reads it relative to the Compose file's folder.
/// An error leaves the extending service with the advice `extends-file`.
using ExtendsReader =
    std::function<Expected<const ExtendableServices*>(const std::string& file)>;

/// Hardens one file's text. Errors carry a line and column but no path.
/// With a partner, the file is hardened as docker compose reads it by
/// default: a base file for its services merged with the override's, an
/// override file only for the services the base does not define. With a
/// reader, a service that extends one of another file inherits it.
Expected<FileResult> HardenText(std::string input, const Baseline& baseline,
                                const ImageFacts& images,
                                Target target = Target::kBaseFile,
                                const Partner* partner = nullptr,
                                const ExtendsReader* extends = nullptr);

/// The first invalid UTF-8 sequence (or NUL byte) in `text`, as a diagnostic.
std::optional<Diagnostic> CheckEncoding(const SourceText& text);

}  // namespace harden

#endif  // HARDEN_HARDEN_H_
