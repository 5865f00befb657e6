// Overlay mode (--override-file): the hardening written as a Compose override
// file next to the base file, which stays untouched, for Compose files a team
// does not own (vendored or generated ones).
//
// `docker compose -f base -f overlay config` equals the hardened base because
// harden only ever adds: a scalar key is set only where the service has none,
// so the overlay's value is the only one, and list items are appended, which
// is how Compose merges sequences (docker compose appends; docker-compose 1.x
// takes the union of cap_add, cap_drop and security_opt and appends tmpfs).
// For the same reason the overlay needs neither `!override` nor `!reset`.
#ifndef HARDEN_OVERLAY_H_
#define HARDEN_OVERLAY_H_

#include <optional>
#include <string>
#include <string_view>

#include "harden/diagnostic.h"
#include "harden/harden.h"
#include "harden/unified_diff.h"

namespace harden {

/// The start of every overlay harden writes. harden replaces only files that
/// start with it, and never hardens such a file as a Compose file of its own.
extern const char kOverlayMarker[];

/// True when `text` starts with kOverlayMarker (after an optional BOM).
bool IsGeneratedOverlay(std::string_view text);

/// The base file name a generated overlay was written for (from its first
/// line), or empty when `text` is not a generated overlay.
std::string OverlayBaseName(std::string_view text);

/// The overlay named `name` in the directory of `base`:
/// ("app/compose.yaml", "compose.hardening.yaml") -> "app/compose.hardening.yaml".
/// `{stem}` in `name` stands for the base's file name without its extension:
/// ("app/compose.prod.yml", "{stem}.hardening.yaml") ->
/// "app/compose.prod.hardening.yaml".
std::string OverlayPath(const std::string& base, const std::string& name);

/// The overlay for one hardened file: a header comment that says how to use
/// it, then, for each service that gains something, the keys and list items
/// the hardening adds, in 2-space block style, with the base file's line
/// ending. `base_name` and `overlay_name` are file names, for the header.
/// When `result` adds nothing the overlay is empty, or, with `keep_empty`
/// (an overlay exists and must stop adding things), one that names every
/// service and adds nothing.
std::string OverlayText(const FileResult& result, const std::string& base_name,
                        const std::string& overlay_name,
                        bool keep_empty = false);

/// The diff that creates `path` with `new_text` (when `old_text` is nullopt)
/// or turns `old_text` into `new_text`. Applies with `patch -p1` and
/// `git apply`. Empty when nothing changes.
std::string OverlayDiff(const std::optional<std::string>& old_text,
                        const std::string& new_text, const std::string& path,
                        const DiffOptions& options);

/// Writes `text` to `path` atomically, whether or not the file exists. An
/// existing file goes through WriteFileAtomic (mode kept, symlink followed);
/// a new one is written to a temporary file in the same directory, flushed,
/// given mode 0666 minus the umask, and renamed into place.
std::optional<Diagnostic> WriteOverlayFile(const std::string& path,
                                           const std::string& text);

}  // namespace harden

#endif  // HARDEN_OVERLAY_H_
