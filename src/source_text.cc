#include "harden/source_text.h"

#include <algorithm>
#include <cctype>

namespace harden {

std::vector<uint32_t> LineStarts(std::string_view text, size_t first) {
  std::vector<uint32_t> out;
  out.reserve(1 + static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  out.push_back(static_cast<uint32_t>(first));
  for (size_t i = text.find('\n'); i != std::string_view::npos;
       i = text.find('\n', i + 1))
    out.push_back(static_cast<uint32_t>(i + 1));
  return out;
}

SourceText::SourceText(std::string bytes)
    : bytes_(std::move(bytes)), line_starts_(LineStarts(bytes_, 0)) {
  if (bytes_.compare(0, 3, "\xEF\xBB\xBF") == 0) bom_size_ = 3;
  // A final newline ends the last line; it does not start another.
  if (ends_with_newline()) line_starts_.pop_back();
  size_t nl = bytes_.find('\n');
  if (nl != std::string::npos && nl > 0 && bytes_[nl - 1] == '\r') eol_ = "\r\n";
}

size_t SourceText::LineEndWithEol(size_t line) const {
  return line + 1 < line_starts_.size() ? line_starts_[line + 1]
                                        : bytes_.size();
}

size_t SourceText::LineEnd(size_t line) const {
  size_t end = LineEndWithEol(line);
  if (end > LineStart(line) && bytes_[end - 1] == '\n') {
    --end;
    if (end > LineStart(line) && bytes_[end - 1] == '\r') --end;
  }
  return end;
}

size_t SourceText::LineOf(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  return static_cast<size_t>(it - line_starts_.begin()) - 1;
}

std::string_view SourceText::Line(size_t line) const {
  return std::string_view(bytes_).substr(LineStart(line),
                                         LineEnd(line) - LineStart(line));
}

size_t IndentOf(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool IsCommentLine(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  return i != std::string_view::npos && line[i] == '#';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

}  // namespace harden
