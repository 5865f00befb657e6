// Reading Compose files and writing them back safely. A write is atomic: the
// new text goes to a temporary file in the same directory, is flushed to disk,
// gets the original's mode, and replaces the file by rename. Writing through a
// symlink updates its target and keeps the link. On any error the original is
// left exactly as it was and the temporary file is removed.
#ifndef HARDEN_FILE_IO_H_
#define HARDEN_FILE_IO_H_

#include <cstddef>
#include <optional>
#include <string>

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

/// Test hook: where WriteFileAtomic should fail on purpose.
enum class WriteFault {
  kNone,
  kWrite,         ///< writing the temporary file fails (as on a full disk)
  kBeforeRename,  ///< the process "dies" after the temporary file is written
};
void SetWriteFaultForTesting(WriteFault fault);

}  // namespace harden

#endif  // HARDEN_FILE_IO_H_
