// The parser front end: positions in the original bytes, the errors it turns
// yaml-cpp's exceptions into, the limits that keep hostile input cheap
// (nesting depth, aliases never expanded), duplicate keys, one document per
// file; and the encoding check that runs before it.
#include "harden/document.h"

#include <string>

#include <gtest/gtest.h>

#include "harden/harden.h"
#include "harden/source_text.h"

namespace harden {
namespace {

std::string ErrorOf(std::string_view text) {
  auto doc = ParseDocument(text);
  if (doc.ok()) return "(parsed)";
  return FormatDiagnostic(doc.error());
}

std::string Nested(int levels, const std::string& open,
                   const std::string& close) {
  std::string s;
  for (int i = 0; i < levels; ++i) s += open;
  s += "x";
  for (int i = 0; i < levels; ++i) s += close;
  return s;
}

// --------------------------------------------------------------- positions

TEST(DocumentTest, NodesKnowWhereTheyStart) {
  auto doc = ParseDocument("services:\n  web:\n    image: nginx\n");
  ASSERT_TRUE(doc.ok());
  const Node* root = doc->root();
  ASSERT_TRUE(root->IsMapping());
  const Node* web = root->Value(0)->Key(0);
  EXPECT_EQ("web", web->value);
  EXPECT_EQ(12u, web->offset);
  EXPECT_EQ(1, web->line);
  EXPECT_EQ(2, web->column);
}

TEST(DocumentTest, OffsetsCountTheByteOrderMark) {
  auto doc = ParseDocument("\xEF\xBB\xBFservices: {}\n");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(3u, doc->root()->Key(0)->offset);
  EXPECT_EQ(0, doc->root()->Key(0)->column);
}

TEST(DocumentTest, QuotedAndEscapedScalarsHaveTheirValues) {
  auto doc = ParseDocument("a: \"x\\ty\"\nb: 'it''s'\nc: |\n  line\n");
  ASSERT_TRUE(doc.ok());
  const Node* m = doc->root();
  EXPECT_EQ("x\ty", m->Value(0)->value);
  EXPECT_FALSE(m->Value(0)->plain);
  EXPECT_EQ("it's", m->Value(1)->value);
  EXPECT_EQ("line\n", m->Value(2)->value);
}

TEST(DocumentTest, EmptyAndCommentOnlyInputHasNoRoot) {
  for (const char* text : {"", "\n", "# c\n", "  \n# c\n\n"}) {
    auto doc = ParseDocument(text);
    ASSERT_TRUE(doc.ok()) << text;
    EXPECT_EQ(nullptr, doc->root()) << text;
  }
}

// --------------------------------------------------------------- errors

TEST(DocumentTest, YamlErrorsCarryTheirPlace) {
  EXPECT_EQ(":2:1: error: did not find expected ',' or '}' (while parsing a flow "
            "mapping that starts at 1:11)",
            ErrorOf("services: {web: {image: nginx}\n"));
  EXPECT_EQ(":1:6: error: found unknown escape character (while "
            "parsing a quoted scalar that starts at 1:4)", ErrorOf("a: \"b\\qc\""));
}

TEST(DocumentTest, TabIndentationIsNamed) {
  EXPECT_EQ(":2:1: error: tab character in indentation (YAML indents with "
            "spaces only)",
            ErrorOf("services:\n\tweb:\n    image: nginx\n"));
  EXPECT_EQ(":3:1: error: tab character in indentation (YAML indents with "
            "spaces only)",
            ErrorOf("services:\n  web:\n\timage: nginx\n"));
}

TEST(DocumentTest, TabsElsewhereAreFine) {
  // A tab after the colon, inside a value, or in a block scalar's text.
  EXPECT_EQ("(parsed)", ErrorOf("a:\tb\nc: \"d\te\"\nf: |\n  g\th\n"));
}

TEST(DocumentTest, UnclosedQuoteIsAnError) {
  EXPECT_EQ(":1:4: error: quoted scalar without its closing quote",
            ErrorOf("a: 'b\n"));
  EXPECT_EQ(":2:13: error: quoted scalar without its closing quote",
            ErrorOf("a: 'x'\nb: &c !!str \"d \\\" e\n"));
  EXPECT_EQ(":1:4: error: quoted scalar without its closing quote",
            ErrorOf("a: 'it''s\n"));
}

TEST(DocumentTest, ClosedQuotesAreFine) {
  EXPECT_EQ("(parsed)", ErrorOf("a: 'it''s'\nb: \"x \\\" \\\\\"\n"));
  EXPECT_EQ("(parsed)", ErrorOf("a: 'multi\n  line'\nb: |\n  'open\n"));
  EXPECT_EQ("(parsed)", ErrorOf("a: &x 'y'\nb: !t \"z\"\n"));
}

TEST(DocumentTest, UnknownAliasIsAnError) {
  EXPECT_EQ(":1:4: error: unknown alias *nope (no &nope before it)",
            ErrorOf("a: *nope\n"));
}

// ----------------------------------------------------------- duplicate keys

TEST(DocumentTest, DuplicateKeysAreRejectedAtAnyDepth) {
  EXPECT_EQ(":2:1: error: duplicate key \"a\"", ErrorOf("a: 1\na: 2\n"));
  EXPECT_EQ(":3:3: error: duplicate key \"b\"",
            ErrorOf("a:\n  b: 1\n  b: 2\n"));
  EXPECT_EQ(":1:12: error: duplicate key \"c\"",
            ErrorOf("a: [{c: 1, c: 2}]\n"));
  EXPECT_EQ(":2:1: error: duplicate key \"a\"", ErrorOf("a: 1\n'a': 2\n"));
}

TEST(DocumentTest, KeysThatOnlyLookAlikeAreNotDuplicates) {
  EXPECT_EQ("(parsed)", ErrorOf("a: 1\nA: 2\n\"a \": 3\n"));
  // Merge keys may repeat what they merge; that is not a duplicate.
  EXPECT_EQ("(parsed)", ErrorOf("x: &x {a: 1}\ny:\n  <<: *x\n  a: 2\n"));
}

// ------------------------------------------------------------- documents

TEST(DocumentTest, SecondDocumentIsRefused) {
  EXPECT_EQ(":3:1: error: more than one YAML document; harden handles one "
            "Compose document per file",
            ErrorOf("a: 1\n---\nb: 2\n"));
}

TEST(DocumentTest, DocumentMarkersAroundOneDocumentAreFine) {
  EXPECT_EQ("(parsed)", ErrorOf("---\na: 1\n...\n"));
  EXPECT_EQ("(parsed)", ErrorOf("a: 1\n---\n"));
  EXPECT_EQ("(parsed)", ErrorOf("%YAML 1.2\n---\na: 1\n"));
}

// -------------------------------------------------------------- limits

TEST(DocumentTest, NestingUpToTheLimitIsAccepted) {
  EXPECT_EQ("(parsed)", ErrorOf(Nested(kMaxDepth, "[", "]")));
  EXPECT_EQ("(parsed)", ErrorOf(Nested(kMaxDepth, "{a: ", "}")));
  std::string block;
  for (int i = 0; i < kMaxDepth; ++i) block += "- ";
  EXPECT_EQ("(parsed)", ErrorOf(block + "x\n"));
}

TEST(DocumentTest, NestingPastTheLimitNamesTheCollection) {
  // Verifies that harden's own limit comes before yaml-cpp's, so that the
  // place is the collection that is one too deep, not where the scanner was.
  EXPECT_EQ(":1:401: error: nesting deeper than 400 levels",
            ErrorOf(Nested(kMaxDepth + 1, "[", "]")));
  EXPECT_EQ(":1:1601: error: nesting deeper than 400 levels",
            ErrorOf(Nested(kMaxDepth + 1, "{a: ", "}")));
  std::string block;
  for (int i = 0; i < kMaxDepth + 1; ++i) block += "- ";
  EXPECT_EQ(":1:801: error: nesting deeper than 400 levels",
            ErrorOf(block + "x\n"));
}

TEST(DocumentTest, HundredThousandLevelsFailWithoutOverflowingTheStack) {
  EXPECT_EQ(":1:401: error: nesting deeper than 400 levels",
            ErrorOf(Nested(100000, "[", "]")));
  // Unclosed, yaml-cpp's marks for the inner '[' are not exact; the line
  // and the message are.
  std::string unclosed = ErrorOf(std::string(100000, '['));
  EXPECT_EQ(0u, unclosed.find(":1:")) << unclosed;
  EXPECT_NE(std::string::npos,
            unclosed.find(": error: nesting deeper than 400 levels"))
      << unclosed;
}

TEST(DocumentTest, EntryStreamSeesEachEntryAndKeepsOnlyAnchoredOnes) {
  std::vector<std::string> seen;
  EntryStream stream{"services", [&](const Node* key, const Node* value) {
                       seen.push_back(std::string(key->value) + "=" +
                                      std::string(value->Resolved()->IsMapping()
                                                      ? "map"
                                                      : value->value));
                       return Expected<EntryFate>(EntryFate::kDrop);
                     }};
  auto doc = ParseDocument(
      "x: 1\nservices:\n  a: {image: a}\n  b: &b\n    image: b\n"
      "  c: *b\n  d:\nz: 2\n",
      &stream);
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(stream.found);
  EXPECT_EQ((std::vector<std::string>{"a=map", "b=map", "c=map", "d="}), seen);
  // Only b, whose anchor a later alias may need, is still in the tree.
  const Node* services = doc->root()->Value(1);
  ASSERT_EQ(1u, services->MapSize());
  EXPECT_EQ("b", services->Key(0)->value);
  EXPECT_EQ("z", doc->root()->Key(2)->value);
}

TEST(DocumentTest, EntryStreamKeepsTheEntriesItAsksFor) {
  EntryStream stream{"services", [](const Node* key, const Node*) {
                       return Expected<EntryFate>(key->value == "b"
                                                      ? EntryFate::kKeep
                                                      : EntryFate::kDrop);
                     }};
  auto doc = ParseDocument(
      "services:\n  a: {image: a}\n  b:\n    image: b\n  c: {image: c}\n",
      &stream);
  ASSERT_TRUE(doc.ok());
  const Node* services = doc->root()->Value(0);
  ASSERT_EQ(1u, services->MapSize());
  EXPECT_EQ("b", services->Key(0)->value);
  EXPECT_EQ("b", Lookup(services->Value(0), "image")->value);
}

TEST(DocumentTest, EntryStreamErrorStopsTheParse) {
  EntryStream stream{"services", [](const Node* key, const Node*) {
                       if (key->value == "b")
                         return Expected<EntryFate>(
                             Diagnostic{{}, 9, 9, "stop at b"});
                       return Expected<EntryFate>(EntryFate::kDrop);
                     }};
  auto doc = ParseDocument("services:\n  a: {}\n  b: {}\n  c: [\n", &stream);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ("stop at b", doc.error().message);
  // A services mapping reached through an alias is not streamed.
  EntryStream other{"services", stream.on_entry};
  auto aliased = ParseDocument("x: &s {b: {}}\nservices: *s\n", &other);
  ASSERT_TRUE(aliased.ok());
  EXPECT_FALSE(other.found);
}

TEST(DocumentTest, AliasesStayPointersToTheirAnchor) {
  auto doc = ParseDocument("a: &x [1, 2]\nb: *x\nc: [*x, *x]\n");
  ASSERT_TRUE(doc.ok());
  const Node* root = doc->root();
  const Node* anchored = root->Value(0);
  const Node* alias = root->Value(1);
  EXPECT_EQ(NodeKind::kAlias, alias->kind);
  EXPECT_EQ("x", alias->value);
  EXPECT_EQ(anchored, alias->target);
  EXPECT_EQ(anchored, alias->Resolved());
  EXPECT_EQ(1, alias->line);
  EXPECT_EQ(3, alias->column);
  EXPECT_TRUE(alias->children.empty());
}

TEST(DocumentTest, AliasBombParsesInLinearTime) {
  // 20 levels of 20 aliases: 20^20 nodes if expanded.
  std::string text = "l0: &l0 [lol]\n";
  for (int i = 1; i <= 20; ++i) {
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 20; ++k)
      text += (k ? ", *l" : "*l") + std::to_string(i - 1);
    text += "]\n";
  }
  auto doc = ParseDocument(text);
  ASSERT_TRUE(doc.ok());
  // SameTree compares aliases by name, so comparing the bomb with itself is
  // linear too.
  EXPECT_TRUE(SameTree(doc->root(), doc->root()));
}

TEST(DocumentTest, SameTreeHandlesDeepTreesIteratively) {
  // The texts outlive the documents: scalar values point into them.
  const std::string deep = Nested(kMaxDepth, "[", "]");
  const std::string deep_copy = deep;
  const std::string shallower = Nested(kMaxDepth - 1, "[", "]");
  auto a = ParseDocument(deep);
  auto b = ParseDocument(deep_copy);
  auto c = ParseDocument(shallower);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(SameTree(a->root(), b->root()));
  EXPECT_FALSE(SameTree(a->root(), c->root()));
}

// ----------------------------------------------------------------- encoding

std::string EncodingError(const std::string& bytes) {
  SourceText src(bytes);
  auto d = CheckEncoding(src);
  return d ? FormatDiagnostic(*d) : "(valid)";
}

TEST(EncodingTest, AcceptsUtf8) {
  EXPECT_EQ("(valid)", EncodingError("a: \"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\"\n"));
  EXPECT_EQ("(valid)", EncodingError("\xEF\xBB\xBF" "a: 1\n"));
  EXPECT_EQ("(valid)", EncodingError("a: \xf4\x8f\xbf\xbf\n"));  // U+10FFFF
}

TEST(EncodingTest, RejectsInvalidSequencesWithTheirPlace) {
  EXPECT_EQ(":1:4: error: invalid UTF-8", EncodingError("a: \xff\n"));
  EXPECT_EQ(":2:3: error: invalid UTF-8", EncodingError("a\nb \xc3(\n"));
  EXPECT_EQ(":1:1: error: invalid UTF-8", EncodingError("\xe2\x82"));
  EXPECT_EQ(":1:1: error: invalid UTF-8", EncodingError("\x80"));
}

TEST(EncodingTest, RejectsOverlongSurrogatesAndOutOfRange) {
  EXPECT_EQ(":1:1: error: invalid UTF-8", EncodingError("\xc0\xaf"));
  EXPECT_EQ(":1:1: error: invalid UTF-8", EncodingError("\xe0\x80\xaf"));
  EXPECT_EQ(":1:1: error: invalid UTF-8", EncodingError("\xf0\x80\x80\xaf"));
  EXPECT_EQ(":1:1: error: invalid UTF-8", EncodingError("\xed\xa0\x80"));
  EXPECT_EQ(":1:1: error: invalid UTF-8", EncodingError("\xf4\x90\x80\x80"));
  EXPECT_EQ(":1:1: error: invalid UTF-8", EncodingError("\xf5\x80\x80\x80"));
}

TEST(EncodingTest, RejectsControlCharacters) {
  EXPECT_EQ(":1:4: error: control character 0x01 is not allowed in YAML",
            EncodingError("a: \x01\n"));
  EXPECT_EQ(":1:1: error: control character 0x7F is not allowed in YAML",
            EncodingError("\x7f"));
  EXPECT_EQ(":1:2: error: control character 0x0C is not allowed in YAML",
            EncodingError("a\f"));
  EXPECT_EQ("(valid)", EncodingError("a:\tb\r\nc: d\n"));
}

TEST(EncodingTest, RejectsNulAndUtf16) {
  EXPECT_EQ(":1:3: error: NUL byte: this is not a text file",
            EncodingError(std::string("a:\0", 3)));
  EXPECT_EQ(":1:1: error: UTF-16 text: save the file as UTF-8",
            EncodingError(std::string("\xff\xfe" "a\0:\0", 6)));
  EXPECT_EQ(":1:1: error: UTF-16 text: save the file as UTF-8",
            EncodingError(std::string("\xfe\xff\0a\0:", 6)));
}

}  // namespace
}  // namespace harden
