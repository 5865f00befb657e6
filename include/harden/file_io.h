// Reading Compose files and writing them back safely. A write is atomic: the
// new text goes to a temporary file in the same directory (unnamed until it
// is complete, where the file system has O_TMPFILE), is flushed to disk,
// gets the original's mode, and replaces the file by rename. Writing through
// a symlink updates its target and keeps the link. On any error the original
// is left exactly as it was and the temporary file is removed.
#ifndef HARDEN_FILE_IO_H_
#define HARDEN_FILE_IO_H_

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harden/diagnostic.h"

namespace harden {

/// Files larger than this are refused rather than read.
constexpr size_t kMaxFileSize = 64u << 20;

/// Reads a whole file ("-" is standard input). Refuses directories and files
/// over kMaxFileSize with a clear message.
Expected<std::string> ReadFile(const std::string& path);

/// Replaces the contents of `path` with `text`, atomically.
std::optional<Diagnostic> WriteFileAtomic(const std::string& path,
                                          const std::string& text);

/// The folder of `path`: "." when it names none, "/" for the root.
std::string DirName(const std::string& path);
/// The last component of `path`.
std::string BaseName(const std::string& path);

/// A new name for a temporary file beside `base` in `dir`
/// (DIR/.BASE.harden-PID-N), unique within this process; the caller
/// creates it exclusively and tries another when it exists.
std::string TempName(const std::string& dir, const std::string& base);

/// Replaces many files, each atomically, at the cost of two syncs of the
/// file system per batch instead of two fsyncs per file. Stage() writes a
/// file's new text to a temporary file beside it (unnamed where the file
/// system allows: an interrupted run leaves nothing behind); Commit() syncs
/// each file system once, renames every staged file into place, and syncs
/// again so that the renames last. After a crash every file is old or new.
/// Stage() may be called from several threads at once.
class WriteBatch {
 public:
  WriteBatch();
  ~WriteBatch();  ///< discards what was staged and not committed
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  /// Writes the new text of `path`; it replaces the file at Commit(). On an
  /// error nothing is staged and nothing has changed. Returns the file's
  /// ticket: 0, 1, 2, ... in the order files are staged.
  Expected<size_t> Stage(const std::string& path, std::string_view text);
  /// Files and bytes staged since the last Commit().
  size_t files() const;
  size_t bytes() const;
  /// A staged file's ticket and what became of it: nothing when it is in
  /// place, else why it is not (the file is then as it was).
  using Result = std::pair<size_t, std::optional<Diagnostic>>;
  /// Puts every file staged so far in place, `threads` at a time; their
  /// results, by ticket.
  std::vector<Result> Commit(unsigned threads = 1);

 private:
  struct Staged;
  mutable std::mutex mutex_;
  std::vector<Staged> staged_;
  size_t bytes_ = 0;
  size_t next_ticket_ = 0;
};

/// Test hook: where WriteFileAtomic and WriteBatch should fail on purpose.
enum class WriteFault {
  kNone,
  kWrite,         ///< writing the temporary file fails (as on a full disk)
  kBeforeRename,  ///< the process "dies" after the temporary file is written
  kSlowDisk,      ///< every WriteBatch::Commit() takes 100 ms longer
  kNoLinkByFd,    ///< the kernel will not link a file by its descriptor
                  ///< (before Linux 6.10, for users other than root)
};
void SetWriteFaultForTesting(WriteFault fault);

}  // namespace harden

#endif  // HARDEN_FILE_IO_H_
