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
  std::vector<std::string> include;  ///< extra file name globs
  std::vector<std::string> exclude;  ///< path globs to skip
};

/// True for compose.yaml, docker-compose.yml, compose.override.yaml, ...
bool IsComposeFileName(const std::string& name,
                       const std::vector<std::string>& include);

/// Expands `paths` into files, sorted and without duplicates; a named file is
/// always kept. Errors (a path that does not exist) are returned beside.
std::vector<std::string> DiscoverFiles(const std::vector<std::string>& paths,
                                       const DiscoverOptions& options,
                                       std::vector<Diagnostic>* errors);

/// The file `docker compose` would read in `dir`, or empty.
std::string DefaultComposeFile(const std::string& dir);

}  // namespace harden

#endif  // HARDEN_DISCOVER_H_
