// What a service's Dockerfile says about the image it builds: the image it
// starts FROM and the USER it runs as. A service with `build:` and no
// image of its own is otherwise an image harden knows nothing about.
#ifndef HARDEN_DOCKERFILE_H_
#define HARDEN_DOCKERFILE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harden/dotenv.h"

namespace harden {

/// The stage a Dockerfile builds, followed through the stages it starts
/// from (`FROM build AS final`) to an image of a registry.
struct DockerfileFacts {
  /// The image it starts from, its variables substituted ("node:22-slim");
  /// "scratch"; or empty where a variable has no value.
  std::string base;
  int base_line = 0;  ///< of that FROM (1-based)
  /// The last USER of the stage or of the stages it starts from, as
  /// written after substitution ("app", "1000:1000"); empty without one.
  std::string user;
  int user_line = 0;
  /// A tool that starts as root and changes to another user ("gosu",
  /// "su-exec", "setpriv" with --reuid, "chroot --userspec"), named by an
  /// instruction of the stage or of those it starts from (installed,
  /// copied or run); empty without one.
  std::string drops_root;
  int drops_root_line = 0;
  /// Where drops_root is named when not in the Dockerfile: one of
  /// `scripts`, as shown; set by whoever reads it (see DropsRootIn).
  std::string drops_root_file;
  /// Files of the build context that its ENTRYPOINT or CMD may run, where
  /// a COPY or ADD of the stage (or of those it starts from) puts them:
  /// relative to the context ("docker-entrypoint.sh"), at most kMaxScripts.
  std::vector<std::string> scripts;
  /// The text had a FROM, so the rest means something.
  bool found = false;
};

inline constexpr size_t kMaxScripts = 8;

/// The drops_root of `chroot --userspec`, which also changes the root
/// directory (and needs SYS_CHROOT for it).
inline constexpr std::string_view kChrootUserspec = "chroot --userspec";

/// A tool of those drops_root names, used in a script at `line` (1-based).
struct ToolUse {
  std::string tool;
  int line = 0;
};
/// The first use of such a tool in the text of a script, comment lines
/// aside; none where it uses none.
std::optional<ToolUse> DropsRootIn(std::string_view script);

/// Reads Dockerfile `text` as BuildKit would build `target` (a stage name;
/// empty: the last stage), with `args` (the build's `args`) over the ARG
/// defaults. Line continuations, comments, parser directives (`# escape=`)
/// and heredoc bodies (`RUN <<EOF`) are honoured; anything else is left
/// alone, so a file that is not a Dockerfile has no FROM.
DockerfileFacts ReadDockerfile(std::string_view text, const Variables& args,
                               std::string_view target = {});

}  // namespace harden

#endif  // HARDEN_DOCKERFILE_H_
