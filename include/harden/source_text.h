// The input bytes, owned once and never modified. Everything downstream refers
// to them by offset; this module answers the questions the planner and the diff
// printer ask about the file's own conventions: line ending, BOM, final newline,
// where lines start.
#ifndef HARDEN_SOURCE_TEXT_H_
#define HARDEN_SOURCE_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace harden {

class SourceText {
 public:
  explicit SourceText(std::string bytes);

  const std::string& bytes() const { return bytes_; }
  std::string_view view() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

  /// 3 when the file starts with a UTF-8 byte order mark, else 0.
  size_t bom_size() const { return bom_size_; }
  /// The file's line ending: "\r\n" when its first line ends that way.
  const std::string& eol() const { return eol_; }
  bool ends_with_newline() const {
    return !bytes_.empty() && bytes_.back() == '\n';
  }

  /// Number of lines; a final newline does not start an extra line.
  size_t line_count() const { return line_starts_.size(); }
  /// Offset of the first byte of 0-based `line`.
  size_t LineStart(size_t line) const { return line_starts_[line]; }
  /// Offset just past the line's terminator (or the end of the file).
  size_t LineEndWithEol(size_t line) const;
  /// Offset of the line's terminator ("\r\n" or "\n"), or the end of file.
  size_t LineEnd(size_t line) const;
  /// 0-based line that holds `offset`.
  size_t LineOf(size_t offset) const;
  std::string_view Line(size_t line) const;

 private:
  std::string bytes_;
  size_t bom_size_ = 0;
  std::string eol_ = "\n";
  std::vector<uint32_t> line_starts_;
};

/// Where the lines of `text` start: at `first` (after a BOM, say), then just
/// past every '\n'. Exactly sized, 4 bytes a line: files are far below
/// 4 GiB (see kMaxFileSize).
std::vector<uint32_t> LineStarts(std::string_view text, size_t first);

/// Number of leading spaces of `line`.
size_t IndentOf(std::string_view line);
/// True for a line that holds only spaces, tabs or a line terminator.
bool IsBlank(std::string_view line);
/// True for a line whose first non-space character is '#'.
bool IsCommentLine(std::string_view line);
/// `s` without the white space (isspace) at its start and end.
std::string_view Trim(std::string_view s);

}  // namespace harden

#endif  // HARDEN_SOURCE_TEXT_H_
