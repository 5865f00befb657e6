// A YAML document as a tree of nodes that remember where they start in the
// original bytes. Built from libyaml's event parser (the C original of
// go-yaml, which docker compose uses), not from a loaded YAML::Node: an alias
// stays a pointer to its anchor (an alias bomb is never expanded) with its
// own position, duplicate keys are rejected (as Compose does), and the style
// of each collection (block or flow) and scalar is kept for the planner.
#ifndef HARDEN_DOCUMENT_H_
#define HARDEN_DOCUMENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "harden/diagnostic.h"

namespace harden {

enum class NodeKind : unsigned char { kNull, kScalar, kSequence, kMapping, kAlias };

struct Node;

/// A node's children: a fixed array owned by the Document (no per-node
/// vector, so a large file costs a few dozen bytes per node).
class NodeList {
 public:
  NodeList() = default;
  NodeList(const Node* const* data, size_t size) : data_(data), size_(size) {}
  const Node* const* begin() const { return data_; }
  const Node* const* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Node* operator[](size_t i) const { return data_[i]; }
  const Node* front() const { return data_[0]; }
  const Node* back() const { return data_[size_ - 1]; }

 private:
  const Node* const* data_ = nullptr;
  size_t size_ = 0;
};

/// One node. Positions are 0-based and refer to the original bytes (a BOM
/// included). Only where a node starts is kept; ends are found by the
/// planner in the text when it needs them.
struct Node {
  NodeKind kind = NodeKind::kNull;
  bool flow = false;    ///< a flow collection: [..] or {..}
  bool plain = true;    ///< a scalar written without quotes or | >
  uint32_t offset = 0;  ///< files are far below 4 GiB (see kMaxFileSize)
  int line = 0;
  int column = 0;
  /// An explicit tag such as "!reset", or null.
  const std::string* tag_name = nullptr;
  /// The anchor this node defines, or null.
  const std::string* anchor_name = nullptr;
  /// A scalar's value; an alias's anchor name. Points into the parsed text
  /// where the two agree (most plain scalars), else into the Document.
  std::string_view value;
  NodeList children;             ///< items; or keys and values in turn
  const Node* target = nullptr;  ///< an alias's anchored node

  std::string_view tag() const { return tag_name ? *tag_name : std::string_view(); }
  std::string_view anchor() const {
    return anchor_name ? *anchor_name : std::string_view();
  }

  bool IsMapping() const { return kind == NodeKind::kMapping; }
  bool IsSequence() const { return kind == NodeKind::kSequence; }
  bool IsScalar() const { return kind == NodeKind::kScalar; }
  size_t MapSize() const { return children.size() / 2; }
  const Node* Key(size_t i) const { return children[2 * i]; }
  const Node* Value(size_t i) const { return children[2 * i + 1]; }
  /// This node, or an alias's target.
  const Node* Resolved() const { return target ? target : this; }
};

/// What becomes of a streamed entry's nodes once `on_entry` has seen it.
enum class EntryFate {
  kDrop,  ///< done with: dropped from the tree (unless it defines an anchor)
  kKeep,  ///< still needed: stays in the tree, under its mapping
};

/// Streams the entries of one top-level mapping (for harden: `services`)
/// out of a parse, so that a large file's tree is never held whole:
/// `on_entry` sees each entry as soon as it is complete, and says whether
/// its nodes may go. An entry that defines an anchor always stays (a later
/// alias or merge key may need it). An error from `on_entry` ends the parse
/// with that error. Only a mapping written as the key's value is streamed
/// (not one reached through an alias); `found` says whether there was one.
struct EntryStream {
  std::string_view top_level_key;
  std::function<Expected<EntryFate>(const Node* key, const Node* value)>
      on_entry;
  bool found = false;
};

/// A parsed document. Owns its nodes; they do not move.
class Document {
 public:
  const Node* root() const { return root_; }

 private:
  friend Expected<Document> ParseDocument(std::string_view text,
                                          EntryStream* stream);
  friend class TreeBuilder;
  std::deque<Node> nodes_;
  /// Storage of every NodeList, in blocks filled front to back.
  std::vector<std::unique_ptr<const Node*[]>> list_blocks_;
  size_t block_used_ = 0, block_size_ = 0;
  std::deque<std::string> values_;          ///< values not found verbatim
  std::unordered_set<std::string> names_;   ///< tags and anchors
  const Node* root_ = nullptr;
};

/// Deepest nesting harden accepts: far beyond any Compose file, and low
/// enough that every recursive walk over the tree stays shallow.
constexpr int kMaxDepth = 400;

/// Parses exactly one YAML document. An empty or comment-only input gives a
/// document whose root is null. Errors carry a 1-based line and column, but no
/// path: the caller knows it. `text` must outlive the Document: scalar
/// values point into it.
Expected<Document> ParseDocument(std::string_view text,
                                 EntryStream* stream = nullptr);

/// Structural equality: same kinds, tags, scalar values and styles (plain or
/// not), same items and entries in order. Aliases compare by anchor name and
/// are never expanded, so the cost is linear in the size of both trees.
bool SameTree(const Node* a, const Node* b);

}  // namespace harden

#endif  // HARDEN_DOCUMENT_H_
