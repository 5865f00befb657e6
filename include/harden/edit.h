// The edit engine. harden never re-emits a document: it changes a file only by
// applying a list of edits to the original bytes, so every byte it did not
// need to change stays as it was. Modelled on clang's tooling::Replacements:
// an edit replaces [offset, offset + length) of the ORIGINAL text; the list
// rejects order-dependent edits, drops no-op and duplicate edits, and is
// applied once, at the end.
#ifndef HARDEN_EDIT_H_
#define HARDEN_EDIT_H_

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace harden {

/// Replace `length` bytes at `offset` (original coordinates) by `text`.
/// length == 0 inserts; an empty text deletes.
struct Edit {
  size_t offset = 0;
  size_t length = 0;
  std::string text;

  size_t end() const { return offset + length; }
  bool operator<(const Edit& o) const {
    return offset != o.offset ? offset < o.offset : length < o.length;
  }
  bool operator==(const Edit& o) const {
    return offset == o.offset && length == o.length && text == o.text;
  }
};

/// "offset:+length:\"text\"", for error messages.
std::string ToString(const Edit& e);

/// A set of conflict-free edits against one original text.
class EditList {
 public:
  explicit EditList(std::string_view original) : original_(original) {}

  /// Adds `edit`. Returns an error naming both edits when it conflicts with
  /// one already added: overlapping ranges, two different insertions at one
  /// offset, or an insertion strictly inside a replaced range. Edits outside
  /// the text are errors too. No-op and duplicate edits are dropped.
  [[nodiscard]] std::optional<std::string> Add(Edit edit);

  bool empty() const { return edits_.empty(); }
  size_t size() const { return edits_.size(); }
  /// Ordered by offset; at one offset an insertion comes first.
  const std::set<Edit>& edits() const { return edits_; }
  std::set<Edit>::const_iterator begin() const { return edits_.begin(); }
  std::set<Edit>::const_iterator end() const { return edits_.end(); }

 private:
  std::string_view original_;
  std::set<Edit> edits_;
};

/// The original text with every edit applied, in one pass.
std::string ApplyEdits(std::string_view original, const EditList& edits);

}  // namespace harden

#endif  // HARDEN_EDIT_H_
