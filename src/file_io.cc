#include "harden/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace harden {
namespace {

WriteFault g_fault = WriteFault::kNone;

Diagnostic Errno(const std::string& path, const std::string& what) {
  return Diagnostic{path, 0, 0, fmt::format("{}: {}", what, std::strerror(errno))};
}

// The file a path names, following symlinks, so a write replaces the target.
// Only a link at the path itself matters: the file is replaced within its
// directory, however that is reached (and realpath() would read every
// component of every path). Empty, with errno set, when a link leads to no
// file that could be named (/dev/stdin -> /proc/self/fd/0 -> a pipe):
// replacing the link instead would destroy it.
std::string ResolveLinks(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf)) return buf;
  return {};
}

// Gives the unnamed file open as `fd` the name `path`. Through the
// descriptor itself where the kernel allows it (root, or Linux 6.10 and
// later for the file's own creator): looking up /proc/self/fd/N instead
// costs more than the link (a third of --write's system time on many small
// files).
int LinkUnnamed(int fd, const std::string& path) {
  static std::atomic<bool> by_fd{true};
  if (g_fault != WriteFault::kNoLinkByFd &&
      by_fd.load(std::memory_order_relaxed)) {
    if (linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT && errno != EPERM) return -1;
    // Not allowed here, or an old kernel: the same file through /proc.
    by_fd.store(false, std::memory_order_relaxed);
  }
  const std::string fd_path = fmt::format("/proc/self/fd/{}", fd);
  return linkat(AT_FDCWD, fd_path.c_str(), AT_FDCWD, path.c_str(),
                AT_SYMLINK_FOLLOW);
}

}  // namespace

void SetWriteFaultForTesting(WriteFault fault) { g_fault = fault; }

Expected<std::string> ReadFile(const std::string& path) {
  const bool stdin_input = path == "-";
  int fd = stdin_input ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
  WriteBatch batch;
  auto staged = batch.Stage(path, text);
  if (!staged) return staged.error();
  return batch.Commit()[0].second;
}

struct WriteBatch::Staged {
  std::string path;    ///< as given, for messages
  std::string target;  ///< the file replaced (symlinks resolved)
  std::string dir, base;
  std::string tmp;     ///< the temporary file's name; empty while unnamed
  int fd = -1;
  dev_t dev = 0;
  size_t ticket = 0;
};

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string TempName(const std::string& dir, const std::string& base) {
  static std::atomic<unsigned> counter{0};
  static const pid_t pid = getpid();
  return fmt::format("{}/.{}.harden-{}-{}", dir, base, pid, counter++);
}

WriteBatch::WriteBatch() = default;

WriteBatch::~WriteBatch() {
  for (Staged& s : staged_) {
    close(s.fd);
    if (!s.tmp.empty()) unlink(s.tmp.c_str());
  }
}

size_t WriteBatch::files() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return staged_.size();
}

size_t WriteBatch::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

Expected<size_t> WriteBatch::Stage(const std::string& path,
                                   std::string_view text) {
  Staged s;
  s.path = path;
  s.target = ResolveLinks(path);
  if (s.target.empty()) return Errno(path, "cannot resolve the symlink to write");
  struct stat st;
  if (stat(s.target.c_str(), &st) != 0) return Errno(path, "cannot write file");
  // A FIFO, a device or a socket has no contents to replace; a regular file
  // put in its place would break whatever uses it.
  if (!S_ISREG(st.st_mode))
    return Diagnostic{path, 0, 0,
                      "not a regular file; --write replaces only regular files"};
  s.dev = st.st_dev;
  s.dir = DirName(s.target);
  s.base = BaseName(s.target);
  // Unnamed until Commit(): a run that is interrupted leaves nothing behind.
  s.fd = open(s.dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (s.fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A file system without O_TMPFILE: a named temporary file.
    s.tmp = s.dir + "/." + s.base + ".harden-XXXXXX";
    s.fd = mkstemp(s.tmp.data());
  }
  if (s.fd < 0) return Errno(path, "cannot create a temporary file next to it");
  auto fail = [&](const char* what) {
    Diagnostic d = Errno(path, what);
    close(s.fd);
    if (!s.tmp.empty()) unlink(s.tmp.c_str());
    return d;
  };
  for (size_t done = 0; done < text.size();) {
    if (g_fault == WriteFault::kWrite) {
      errno = ENOSPC;
      return fail("cannot write file");
    }
    ssize_t n = write(s.fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write file");
    }
    done += static_cast<size_t>(n);
  }
  if (fchmod(s.fd, st.st_mode & 07777) != 0) return fail("cannot set the file mode");
  if (fchown(s.fd, st.st_uid, st.st_gid) != 0) {
    // Only root may give a file away; keeping our own ownership is fine.
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t ticket = s.ticket = next_ticket_++;
  staged_.push_back(std::move(s));
  bytes_ += text.size();
  return ticket;
}

std::vector<WriteBatch::Result> WriteBatch::Commit(unsigned threads) {
  std::vector<Staged> staged;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    staged.swap(staged_);
    bytes_ = 0;
  }
  std::vector<std::optional<Diagnostic>> result(staged.size());
  // Flushes what the files (or, with `dirs`, their directories) hold: a
  // lone file by itself, many by one sync of each file system, which costs
  // no more than one fsync.
  auto flush = [&](bool dirs) {
    if (staged.size() == 1) {
      Staged& s = staged[0];
      if (result[0]) return;
      if (!dirs) {
        if (fsync(s.fd) != 0) result[0] = Errno(s.path, "cannot flush file");
        return;
      }
      int dfd = open(s.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
      }
      return;
    }
    std::vector<dev_t> done;
    for (size_t i = 0; i < staged.size(); ++i) {
      const Staged& s = staged[i];
      if (result[i] || std::find(done.begin(), done.end(), s.dev) != done.end())
        continue;
      done.push_back(s.dev);
      int fd = dirs ? open(s.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    : s.fd;
      if (fd < 0) continue;  // the renames are made; only their sync is lost
      const bool ok = syncfs(fd) == 0;
      if (dirs) close(fd);
      if (!ok && !dirs)
        for (size_t j = i; j < staged.size(); ++j)
          if (staged[j].dev == s.dev && !result[j])
            result[j] = Errno(staged[j].path, "cannot flush file");
    }
  };
  if (g_fault == WriteFault::kSlowDisk)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // 1. Every new text is on disk before any file is replaced.
  flush(false);
  // 2. Into place: a name beside the target, then rename. A rename that
  // frees the old file's blocks may wait for the disk (a discard, on a file
  // system mounted with it), so `threads` files are put in place at once.
  auto place = [&](size_t i) {
    Staged& s = staged[i];
    if (!result[i] && s.tmp.empty()) {
      for (int attempt = 0; attempt < 100; ++attempt) {
        s.tmp = TempName(s.dir, s.base);
        if (LinkUnnamed(s.fd, s.tmp) == 0) break;
        const int err = errno;
        s.tmp.clear();
        if (err != EEXIST) {
          errno = err;
          break;
        }
      }
      if (s.tmp.empty()) result[i] = Errno(s.path, "cannot write file");
    }
    if (close(s.fd) != 0 && !result[i]) result[i] = Errno(s.path, "cannot write file");
    s.fd = -1;
    if (result[i]) {
      if (!s.tmp.empty()) unlink(s.tmp.c_str());
      return;
    }
    if (g_fault == WriteFault::kBeforeRename) return;  // "crash"
    if (rename(s.tmp.c_str(), s.target.c_str()) != 0) {
      result[i] = Errno(s.path, "cannot replace file");
      unlink(s.tmp.c_str());
    }
  };
  std::atomic<size_t> next{0};
  auto place_some = [&] {
    for (size_t i = next++; i < staged.size(); i = next++) place(i);
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < std::min<size_t>(threads, staged.size()); ++t)
    helpers.emplace_back(place_some);
  place_some();
  for (std::thread& t : helpers) t.join();
  // 3. The renames last.
  flush(true);
  std::vector<Result> out;
  out.reserve(staged.size());
  for (size_t i = 0; i < staged.size(); ++i)
    out.emplace_back(staged[i].ticket, std::move(result[i]));
  return out;
}

}  // namespace harden
