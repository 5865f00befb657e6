// What popular images need to run hardened, as data (baselines/images.yaml,
// each fact with its source). The resolver asks one question: what do we know
// about the image this service runs?
#ifndef HARDEN_IMAGE_FACTS_H_
#define HARDEN_IMAGE_FACTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harden/diagnostic.h"
#include "harden/dotenv.h"

namespace harden {

/// A warning shown for an image, with the condition under which it holds.
struct ImageWarning {
  enum class When {
    kAlways,    ///< a plain string in images.yaml
    kAsUser,    ///< `as_user:`, only where the service runs as a user
    kAsRoot,    ///< `as_root:`, only where it runs as root
    kReadOnly,  ///< `read_only:`, only where its root filesystem is read-only
  };
  When when = When::kAlways;
  std::string text;
};

struct ImageFact {
  std::string name;                   ///< family, e.g. "postgres"
  std::string source;
  std::optional<std::string> user;    ///< uid:gid to run as
  bool image_user = false;            ///< already runs as its own non-root user
  bool root = false;                  ///< must start as root
  std::vector<std::string> root_caps; ///< needed when it runs as root
  std::vector<std::string> caps;      ///< needed whatever the user
  std::vector<std::string> tmpfs;     ///< writable paths under read_only
  std::vector<std::string> root_owned;///< tmpfs paths that need uid=/gid=
  std::vector<ImageWarning> warnings;
  /// Ports below 1024 it listens on by default. In the host's network
  /// (network_mode: host) only root with NET_BIND_SERVICE may bind them.
  std::vector<std::string> low_ports;
};

/// A parsed image reference: registry and "library/" stripped.
struct ImageRef {
  std::string repository;  ///< e.g. "bitnami/postgresql", "postgres"
  std::string tag;         ///< may be empty
};
ImageRef ParseImageRef(std::string_view image);

/// An image as docker compose reads it when only `vars` (a project's
/// `.env`) are set (see Interpolate). A tag or digest still holding a
/// variable with no value is left out (any tag); a repository or registry
/// holding one leaves the image unknown.
struct ImageAsRead {
  std::string image;      ///< empty when unknown
  bool any_tag = false;   ///< its tag or digest was left out
  bool from_env = false;  ///< a variable of `vars` was used
  /// The variables that had no value (Interpolated::unknown).
  std::vector<std::string> unknown;
  bool known() const { return !image.empty(); }
};
ImageAsRead ImageWithVariables(std::string_view image,
                               const Variables& vars = {});

class ImageFacts {
 public:
  /// A tag-dependent override: each `has_*` says which fields it sets.
  struct Variant {
    std::string tag_contains;
    ImageFact overrides;
    bool has_user = false, has_root_caps = false, has_tmpfs = false,
         has_root_owned = false, has_warnings = false, has_low_ports = false;
  };
  struct Family {
    ImageFact fact;
    std::vector<std::string> match;
    std::vector<Variant> variants;
  };

  ImageFacts() = default;
  explicit ImageFacts(std::vector<Family> families)
      : families_(std::move(families)) {}

  /// Parses images.yaml text.
  static Expected<ImageFacts> Parse(std::string_view text,
                                    const std::string& path);
  /// The facts shipped in the binary: baselines/images.yaml, compiled into
  /// C++ at build time (tools/gen_image_facts.cc), so start-up parses
  /// nothing however many images harden knows.
  static const ImageFacts& Shipped();

  /// Facts for `image`, with the variant for its tag applied; or none.
  std::optional<ImageFact> Find(std::string_view image) const;
  /// For an image Find() does not know whose repository's last part is
  /// the bare name of a family (ghcr.io/immich-app/postgres, named like
  /// postgres): that family's facts, for its tag. Such an image is often
  /// built on the family's, but harden cannot know, so it is not treated
  /// as one.
  std::optional<ImageFact> Lookalike(std::string_view image) const;
  size_t size() const { return families_.size(); }
  const std::vector<Family>& families() const { return families_; }

 private:
  static ImageFact WithVariants(const Family& fam, const std::string& tag);
  std::vector<Family> families_;
};

}  // namespace harden

#endif  // HARDEN_IMAGE_FACTS_H_
