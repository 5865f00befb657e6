#include "harden/edit.h"

#include <fmt/format.h>

namespace harden {

std::string ToString(const Edit& e) {
  std::string shown;
  for (char c : e.text) {
    if (c == '\n')
      shown += "\\n";
    else if (c == '\r')
      shown += "\\r";
    else
      shown += c;
  }
  return fmt::format("{}:+{}:\"{}\"", e.offset, e.length, shown);
}

namespace {

// Order-independent means: applying the two edits in either order gives the
// same text. Edits that touch only at a boundary are; an insertion at the
// start of a replaced range applies before it and is too.
bool Conflicts(const Edit& a, const Edit& b) {
  if (a.length == 0 && b.length == 0) return a.offset == b.offset;
  if (a.length == 0) return a.offset > b.offset && a.offset < b.end();
  if (b.length == 0) return b.offset > a.offset && b.offset < a.end();
  return a.offset < b.end() && b.offset < a.end();
}

}  // namespace

std::optional<std::string> EditList::Add(Edit edit) {
  if (edit.offset > original_.size() ||
      edit.length > original_.size() - edit.offset)
    return fmt::format("edit {} is outside the text ({} bytes)",
                       ToString(edit), original_.size());
  if (original_.substr(edit.offset, edit.length) == edit.text)
    return std::nullopt;  // a no-op: nothing to change
  // Only neighbours in offset order can overlap a new edit.
  auto it = edits_.lower_bound(Edit{edit.offset, 0, {}});
  if (it != edits_.begin()) --it;
  for (; it != edits_.end() && it->offset <= edit.end(); ++it) {
    if (*it == edit) return std::nullopt;  // a duplicate
    if (Conflicts(*it, edit))
      return fmt::format("conflicting edits: new {} overlaps existing {}",
                         ToString(edit), ToString(*it));
  }
  edits_.insert(std::move(edit));
  return std::nullopt;
}

std::string ApplyEdits(std::string_view original, const EditList& edits) {
  std::string out;
  size_t grow = 0;
  for (const Edit& e : edits) grow += e.text.size();
  out.reserve(original.size() + grow);
  size_t pos = 0;
  for (const Edit& e : edits) {
    out.append(original.substr(pos, e.offset - pos));
    out.append(e.text);
    pos = e.end();
  }
  out.append(original.substr(pos));
  return out;
}

}  // namespace harden
