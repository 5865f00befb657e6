#include "harden/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

namespace harden {
namespace {

WriteFault g_fault = WriteFault::kNone;

Diagnostic Errno(const std::string& path, const std::string& what) {
  return Diagnostic{path, 0, 0, fmt::format("{}: {}", what, std::strerror(errno))};
}

// The file a path names, following symlinks, so a write replaces the target.
std::string ResolveLinks(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf)) return buf;
  return path;
}

}  // namespace

void SetWriteFaultForTesting(WriteFault fault) { g_fault = fault; }

Expected<std::string> ReadFile(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    std::string s = ss.str();
    if (s.size() > kMaxFileSize)
      return Diagnostic{path, 0, 0, fmt::format("input is larger than the {} MiB limit",
                                                kMaxFileSize >> 20)};
    return s;
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(path, "cannot read file");
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return Errno(path, "cannot read file");
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return Diagnostic{path, 0, 0, "is a directory, not a Compose file"};
  }
  if (static_cast<size_t>(st.st_size) > kMaxFileSize) {
    close(fd);
    // Rounded up, so a file just over the limit never reads "64 MiB, over
    // the 64 MiB limit".
    const auto mib = (static_cast<size_t>(st.st_size) + (1u << 20) - 1) >> 20;
    return Diagnostic{path, 0, 0,
                      fmt::format("file is {} MiB, over the {} MiB limit", mib,
                                  kMaxFileSize >> 20)};
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Diagnostic d = Errno(path, "cannot read file");
      close(fd);
      return d;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileSize) {
      close(fd);
      return Diagnostic{path, 0, 0, fmt::format("file is over the {} MiB limit",
                                                kMaxFileSize >> 20)};
    }
  }
  close(fd);
  return out;
}

std::optional<Diagnostic> WriteFileAtomic(const std::string& path,
                                          const std::string& text) {
  const std::string target = ResolveLinks(path);
  struct stat st;
  if (stat(target.c_str(), &st) != 0) return Errno(path, "cannot write file");
  size_t slash = target.rfind('/');
  std::string dir = slash == std::string::npos ? "." : target.substr(0, slash);
  std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
  std::string tmp = dir + "/." + base + ".harden-XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) return Errno(path, "cannot create a temporary file next to it");
  auto fail = [&](const char* what) {
    Diagnostic d = Errno(path, what);
    close(fd);
    unlink(tmp.c_str());
    return d;
  };
  size_t done = 0;
  while (done < text.size()) {
    if (g_fault == WriteFault::kWrite) {
      errno = ENOSPC;
      return fail("cannot write file");
    }
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write file");
    }
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, st.st_mode & 07777) != 0) return fail("cannot set the file mode");
  if (fchown(fd, st.st_uid, st.st_gid) != 0) {
    // Only root may give a file away; keeping our own ownership is fine.
  }
  if (fsync(fd) != 0) return fail("cannot flush file");
  if (close(fd) != 0) {
    Diagnostic d = Errno(path, "cannot write file");
    unlink(tmp.c_str());
    return d;
  }
  if (g_fault == WriteFault::kBeforeRename) return std::nullopt;  // "crash"
  if (rename(tmp.c_str(), target.c_str()) != 0) {
    Diagnostic d = Errno(path, "cannot replace file");
    unlink(tmp.c_str());
    return d;
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return std::nullopt;
}

}  // namespace harden
