#include "harden/discover.h"

#include <dirent.h>
#include <fcntl.h>
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

// A file a run covers, and which file it is, so that one reached through
// several paths is listed once.
struct Found {
  std::string path;
  bool known = false;  ///< dev and ino are set (the file could be stat'ed)
  bool link = false;   ///< the path is a symlink
  dev_t dev = 0;
  ino_t ino = 0;

  void Take(const struct stat& st) {
    known = true;
    dev = st.st_dev;
    ino = st.st_ino;
  }
};

Found IdentifyNamed(std::string path) {
  Found f;
  f.path = std::move(path);
  struct stat st, lst;
  if (f.path == "-" || stat(f.path.c_str(), &st) != 0)
    return f;  // reading it reports what is wrong
  f.Take(st);
  f.link = lstat(f.path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
  return f;
}

std::string Join(const std::string& dir, const char* name) {
  if (dir == ".") return name;
  return dir.back() == '/' ? dir + name : dir + '/' + name;
}

// What the entry `n` of the directory open as `dirfd` is, following a
// symlink: DT_DIR, DT_REG, or DT_UNKNOWN for anything else (a dangling
// link, a FIFO). A symlinked directory is DT_UNKNOWN: the walk never enters
// one, so it cannot loop. A file already stat'ed here (a symlink's target,
// or any file where the file system gives no type) gets its identity in
// `found`. False when the entry cannot be looked at.
bool Classify(int dirfd, const char* n, unsigned char d_type,
              unsigned char* type, Found* found) {
  struct stat st;
  *type = d_type;
  if (d_type == DT_UNKNOWN) {  // a file system that does not say
    if (fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
    *type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG
          : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
    if (*type == DT_REG) found->Take(st);
  }
  if (*type != DT_LNK) return true;
  found->link = true;
  *type = DT_UNKNOWN;
  if (fstatat(dirfd, n, &st, 0) == 0 && S_ISREG(st.st_mode)) {
    *type = DT_REG;
    found->Take(st);
  }
  return true;
}

// Fills in the identity of a file found in the directory open as `dirfd`
// (unless Classify already did). False when it cannot be looked at: a
// directory that can be listed but not entered.
bool Identify(int dirfd, const char* n, Found* found) {
  if (found->known) return true;
  struct stat st;
  if (fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  found->Take(st);
  return true;
}

// Walks `root` (cleaned) and appends the Compose files under it to `files`.
// Each directory is read once with getdents64, which gives the entries'
// types, and each file is looked at relative to its directory: no stat of
// a whole path per file, no access() per directory (opendir() would also
// stat each directory and set its flags twice).
void Walk(const std::string& root, const DiscoverOptions& o,
          std::vector<Found>* files, std::vector<Diagnostic>* errors) {
  std::vector<std::string> pending{root};
  std::vector<char> buf(64u << 10);
  while (!pending.empty()) {
    const std::string dir = std::move(pending.back());
    pending.pop_back();
    // Said, and the walk goes on: a folder skipped without a word would let
    // its files pass --check unseen.
    auto fail = [&] {
      errors->push_back(
          {dir, 0, 0, "cannot read directory: " + std::string(strerror(errno))});
    };
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      fail();
      continue;
    }
    bool ok = true;
    for (ssize_t got; ok && (got = getdents64(fd, buf.data(), buf.size())) != 0;) {
      if (got < 0) {
        fail();
        break;
      }
      for (ssize_t at = 0; ok && at < got;) {
        const auto* e = reinterpret_cast<const dirent64*>(buf.data() + at);
        at += e->d_reclen;
        const char* n = e->d_name;
        if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]))) continue;
        const std::string name = n;
        Found f;
        f.path = Join(dir, n);
        const std::string below = Below(root, f.path);
        unsigned char type;
        if (!Classify(fd, n, e->d_type, &type, &f)) {
          fail();
          ok = false;
        } else if (type == DT_DIR) {
          if (name != ".git" && name != "node_modules" && name != "vendor" &&
              !Matches(o.exclude, {&name, &f.path, &below}))
            pending.push_back(std::move(f.path));
        } else if (type == DT_REG &&
                   (IsComposeFileName(name, o.include) ||
                    Matches(o.include, {&f.path, &below})) &&
                   !Matches(o.exclude, {&name, &f.path, &below})) {
          if (Identify(fd, n, &f)) {
            files->push_back(std::move(f));
          } else {
            fail();
            ok = false;
          }
        }
      }
    }
    close(fd);
  }
}

// Sorts `files` and drops paths that name a file already listed (a symlink
// beside its target, "a/compose.yaml" named twice), keeping the first path
// that is not a symlink, else the first path.
std::vector<std::string> DropAliases(std::vector<Found> files) {
  std::sort(files.begin(), files.end(),
            [](const Found& a, const Found& b) { return a.path < b.path; });
  std::map<std::pair<dev_t, ino_t>, size_t> seen;  // file -> index in out
  std::vector<std::string> out;
  std::vector<bool> is_link;
  for (Found& f : files) {
    if (!out.empty() && out.back() == f.path) continue;
    if (!f.known) {
      out.push_back(std::move(f.path));
      is_link.push_back(false);
      continue;
    }
    auto [it, fresh] = seen.try_emplace({f.dev, f.ino}, out.size());
    if (fresh) {
      out.push_back(std::move(f.path));
      is_link.push_back(f.link);
    } else if (is_link[it->second] && !f.link) {
      out[it->second] = std::move(f.path);
      is_link[it->second] = false;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> DiscoverFiles(const std::vector<std::string>& paths,
                                       const DiscoverOptions& options,
                                       std::vector<Diagnostic>* errors) {
  std::vector<Found> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (p == "-" || !fs::is_directory(p, ec)) {
      files.push_back(IdentifyNamed(CleanPath(p)));  // always kept
      continue;
    }
    Walk(CleanPath(p), options, &files, errors);
  }
  return DropAliases(std::move(files));
}

namespace {

// compose-go's DefaultFileNames and DefaultOverrideFileNames, in its order
// of preference.
constexpr const char* kDefaultNames[] = {"compose.yaml", "compose.yml",
                                         "docker-compose.yml",
                                         "docker-compose.yaml"};
constexpr const char* kOverrideNames[] = {
    "compose.override.yml", "compose.override.yaml",
    "docker-compose.override.yml", "docker-compose.override.yaml"};

// The first of `names` that is a file in the folder open as `dirfd`, or null.
template <size_t N>
const char* FirstFile(int dirfd, const char* const (&names)[N]) {
  for (const char* n : names) {
    struct stat st;
    if (fstatat(dirfd, n, &st, 0) == 0 && S_ISREG(st.st_mode)) return n;
  }
  return nullptr;
}

template <size_t N>
bool OneOf(const std::string& name, const char* const (&names)[N]) {
  return std::any_of(std::begin(names), std::end(names),
                     [&](const char* n) { return name == n; });
}

}  // namespace

std::string DefaultComposeFile(const std::string& dir) {
  const int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return {};
  const char* n = FirstFile(fd, kDefaultNames);
  close(fd);
  if (!n) return {};
  return dir == "." ? n : Join(dir, n);
}

Pairing MergedWith(const std::string& path) {
  Pairing p;
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const bool base = OneOf(name, kDefaultNames);
  if (!base && !OneOf(name, kOverrideNames)) return p;  // most files: no stat
  const std::string prefix = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const int fd = open(prefix.empty() ? "." : prefix.c_str(),
                      O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return p;
  // Only the file docker compose picks pairs: compose.yaml wins over a
  // docker-compose.yml beside it, which is then a file of its own.
  const char* picked = FirstFile(fd, kDefaultNames);
  const char* over = picked ? FirstFile(fd, kOverrideNames) : nullptr;
  close(fd);
  if (!over) return p;
  if (base && name == picked) {
    p.role = Pairing::Role::kBase;
    p.other = prefix + over;
  } else if (!base && name == over) {
    p.role = Pairing::Role::kOverride;
    p.other = prefix + picked;
  }
  return p;
}

}  // namespace harden
