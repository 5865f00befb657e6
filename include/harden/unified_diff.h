// The review view of a change: a git-style unified diff of the edits, which
// applies with `patch -p1` and `git apply`. Only the lines the edits touch are
// compared (with dtl), so the cost follows the changed regions, not the file.
#ifndef HARDEN_UNIFIED_DIFF_H_
#define HARDEN_UNIFIED_DIFF_H_

#include <string>

#include "harden/edit.h"
#include "harden/source_text.h"

namespace harden {

struct DiffOptions {
  int context = 3;
  bool color = false;
};

/// What follows a file name on a diff's ---/+++ lines: a tab when the name
/// has a space, as git writes it, or `patch` takes only its first word.
const char* DiffNameEnd(const std::string& path);

/// The diff between `source` and `source` with `edits` applied, labelled
/// a/`path` and b/`path`. Empty when there are no edits.
std::string UnifiedDiff(const SourceText& source, const EditList& edits,
                        const std::string& path, const DiffOptions& options);

}  // namespace harden

#endif  // HARDEN_UNIFIED_DIFF_H_
