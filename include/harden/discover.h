// Which files a run covers: Compose files named on the command line, found
// under directories, or picked in the current directory the way
// `docker compose` picks its default file.
#ifndef HARDEN_DISCOVER_H_
#define HARDEN_DISCOVER_H_

#include <string>
#include <vector>

#include "harden/diagnostic.h"

namespace harden {

struct DiscoverOptions {
  /// Extra globs for Compose files, matched against a found file's name and
  /// its path.
  std::vector<std::string> include;
  /// Globs of files and directories to skip, matched against the name, the
  /// path as found and the path below the directory that was named.
  std::vector<std::string> exclude;
};

/// True for compose.yaml, docker-compose.yml, compose.override.yaml, ...
bool IsComposeFileName(const std::string& name,
                       const std::vector<std::string>& include);

/// Expands `paths` into files, sorted and without duplicates; a named file is
/// always kept. A walk skips .git, node_modules and vendor, does not follow
/// symlinked directories, and lists a file reached through several paths
/// once (preferring a path that is not a symlink). Errors (a directory that
/// cannot be read) are returned beside.
std::vector<std::string> DiscoverFiles(const std::vector<std::string>& paths,
                                       const DiscoverOptions& options,
                                       std::vector<Diagnostic>* errors);

/// `path` without "./" segments and repeated slashes ("./a//b" -> "a/b").
/// ".." is kept: removing it is only right when no symlink is involved.
std::string CleanPath(const std::string& path);

/// The file `docker compose` would read in `dir`, or empty.
std::string DefaultComposeFile(const std::string& dir);

/// With no -f, docker compose reads a folder's Compose file (see
/// DefaultComposeFile) and its override file (the first of
/// compose.override.yml, compose.override.yaml, docker-compose.override.yml,
/// docker-compose.override.yaml), merged. For either file of such a pair,
/// the other one.
struct Pairing {
  enum class Role : unsigned char { kNone, kBase, kOverride };
  Role role = Role::kNone;  ///< what `path` is in the pair
  std::string other;        ///< the other file's path
};
Pairing MergedWith(const std::string& path);

}  // namespace harden

#endif  // HARDEN_DISCOVER_H_
