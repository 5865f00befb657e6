#include "harden/discover.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace harden {
namespace fs = std::filesystem;

bool IsComposeFileName(const std::string& name,
                       const std::vector<std::string>& include) {
  for (const std::string& g : include)
    if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
  static const char* kPatterns[] = {
      "compose.yaml", "compose.yml", "docker-compose.yaml",
      "docker-compose.yml", "compose.*.yaml", "compose.*.yml",
      "docker-compose.*.yaml", "docker-compose.*.yml"};
  for (const char* p : kPatterns)
    if (fnmatch(p, name.c_str(), 0) == 0) return true;
  return false;
}

namespace {

bool Excluded(const std::string& path, const DiscoverOptions& o) {
  std::string name = fs::path(path).filename().string();
  for (const std::string& g : o.exclude)
    if (fnmatch(g.c_str(), path.c_str(), 0) == 0 ||
        fnmatch(g.c_str(), name.c_str(), 0) == 0)
      return true;
  return false;
}

}  // namespace

std::vector<std::string> DiscoverFiles(const std::vector<std::string>& paths,
                                       const DiscoverOptions& options,
                                       std::vector<Diagnostic>* errors) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (p == "-" || !fs::is_directory(p, ec)) {
      files.push_back(p);  // reading it reports what is wrong
      continue;
    }
    fs::recursive_directory_iterator it(
        p, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) {
      errors->push_back({p, 0, 0, "cannot read directory: " + ec.message()});
      continue;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      const fs::directory_entry& e = *it;
      std::string name = e.path().filename().string();
      std::string path = e.path().lexically_normal().string();
      if (e.is_directory(ec)) {
        if (name == ".git" || name == "node_modules" || name == "vendor" ||
            Excluded(path, options))
          it.disable_recursion_pending();
        continue;
      }
      if (!e.is_regular_file(ec) && !e.is_symlink(ec)) continue;
      if (IsComposeFileName(name, options.include) && !Excluded(path, options))
        files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

std::string DefaultComposeFile(const std::string& dir) {
  static const char* kNames[] = {"compose.yaml", "compose.yml",
                                 "docker-compose.yaml", "docker-compose.yml"};
  for (const char* n : kNames) {
    fs::path p = fs::path(dir) / n;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return dir == "." ? n : p.string();
  }
  return {};
}

}  // namespace harden
