#include "harden/discover.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

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

std::string CleanPath(const std::string& path) {
  if (path.empty() || path == "-") return path;
  const bool absolute = path[0] == '/';
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string::npos) slash = path.size();
    std::string_view seg(path.data() + i, slash - i);
    if (!seg.empty() && seg != ".") {
      if (!out.empty() && out.back() != '/') out += '/';
      out.append(seg);
    }
    i = slash + 1;
  }
  if (absolute) out.insert(0, "/");
  if (out.empty()) return ".";
  return out;
}

namespace {

bool Matches(const std::vector<std::string>& globs,
             std::initializer_list<const std::string*> candidates) {
  for (const std::string& g : globs)
    for (const std::string* c : candidates)
      if (fnmatch(g.c_str(), c->c_str(), 0) == 0) return true;
  return false;
}

// Where `path` (found under `root`) is, below `root`.
std::string Below(const std::string& root, const std::string& path) {
  if (root == ".") return path;
  if (path.compare(0, root.size(), root) == 0 && path.size() > root.size() &&
      path[root.size()] == '/')
    return path.substr(root.size() + 1);
  return path;
}

// Walks `root` and appends the Compose files under it to `files`.
void Walk(const std::string& root, const DiscoverOptions& o,
          std::vector<std::string>* files, std::vector<Diagnostic>* errors) {
  std::error_code ec;
  fs::recursive_directory_iterator it(
      root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    errors->push_back({root, 0, 0, "cannot read directory: " + ec.message()});
    return;
  }
  for (const fs::recursive_directory_iterator end; it != end;) {
    const fs::directory_entry& e = *it;
    std::string name = e.path().filename().string();
    std::string path = CleanPath(e.path().string());
    std::string below = Below(root, path);
    std::error_code type_ec;
    // Both follow symlinks: a link to a Compose file counts, a dangling link
    // or a link to a FIFO does not. The walk itself never enters a symlinked
    // directory (no follow_directory_symlink), so it cannot loop.
    if (e.is_directory(type_ec)) {
      if (name == ".git" || name == "node_modules" || name == "vendor" ||
          Matches(o.exclude, {&name, &path, &below})) {
        it.disable_recursion_pending();
      } else if (access(path.c_str(), R_OK | X_OK) != 0) {
        // The walk would skip it without a word; its files would then pass
        // --check unseen. Say so, and go on with the rest.
        errors->push_back(
            {path, 0, 0, "cannot read directory: " + std::string(strerror(errno))});
        it.disable_recursion_pending();
      }
    } else if (e.is_regular_file(type_ec) &&
               (IsComposeFileName(name, o.include) ||
                Matches(o.include, {&path, &below})) &&
               !Matches(o.exclude, {&name, &path, &below})) {
      files->push_back(path);
    }
    it.increment(ec);
    if (ec) {
      // The iterator cannot go on after an error; say where it stopped.
      errors->push_back({path, 0, 0, "cannot read directory: " + ec.message()});
      return;
    }
  }
}

// Drops paths that name a file already listed (a symlink beside its target,
// "a/compose.yaml" named twice), keeping the first path that is not a
// symlink, else the first path. `files` is sorted.
void DropAliases(std::vector<std::string>* files) {
  std::map<std::pair<dev_t, ino_t>, size_t> seen;  // file -> index in out
  std::vector<std::string> out;
  std::vector<bool> is_link;
  for (std::string& f : *files) {
    struct stat st, lst;
    if (f == "-" || stat(f.c_str(), &st) != 0) {
      out.push_back(std::move(f));  // reading it reports what is wrong
      is_link.push_back(false);
      continue;
    }
    bool link = lstat(f.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
    auto [it, fresh] = seen.try_emplace({st.st_dev, st.st_ino}, out.size());
    if (fresh) {
      out.push_back(std::move(f));
      is_link.push_back(link);
    } else if (is_link[it->second] && !link) {
      out[it->second] = std::move(f);
      is_link[it->second] = false;
    }
  }
  std::sort(out.begin(), out.end());
  *files = std::move(out);
}

}  // namespace

std::vector<std::string> DiscoverFiles(const std::vector<std::string>& paths,
                                       const DiscoverOptions& options,
                                       std::vector<Diagnostic>* errors) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (p == "-" || !fs::is_directory(p, ec)) {
      files.push_back(CleanPath(p));  // reading it reports what is wrong
      continue;
    }
    Walk(CleanPath(p), options, &files, errors);
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  DropAliases(&files);
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
