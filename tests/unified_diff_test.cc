#include "harden/unified_diff.h"

#include <gtest/gtest.h>

namespace harden {
namespace {

std::string Diff(const std::string& text, std::vector<Edit> edits,
                 DiffOptions options = {}) {
  SourceText src(text);
  EditList list(src.view());
  for (Edit& e : edits) EXPECT_FALSE(list.Add(std::move(e)));
  return UnifiedDiff(src, list, "dir/compose.yaml", options);
}

TEST(UnifiedDiffTest, NoEditsNoOutput) {
  EXPECT_EQ("", Diff("a: 1\n", {}));
}

TEST(UnifiedDiffTest, InsertionWithThreeLinesOfContext) {
  EXPECT_EQ(
      "diff --git a/dir/compose.yaml b/dir/compose.yaml\n"
      "--- a/dir/compose.yaml\n"
      "+++ b/dir/compose.yaml\n"
      "@@ -2,3 +2,4 @@\n"
      " b\n"
      " c\n"
      " d\n"
      "+x\n",
      Diff("a\nb\nc\nd\n", {{8, 0, "x\n"}}));
}

TEST(UnifiedDiffTest, DistantEditsMakeSeparateHunks) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += std::to_string(i) + "\n";
  std::string d = Diff(text, {{0, 1, "A"}, {text.size() - 3, 2, "Z"}});
  EXPECT_NE(std::string::npos, d.find("@@ -1,4 +1,4 @@\n-0\n+A\n 1\n 2\n 3\n"));
  EXPECT_NE(std::string::npos, d.find("@@ -17,4 +17,4 @@\n 16\n 17\n 18\n-19\n+Z\n"));
}

TEST(UnifiedDiffTest, NearbyEditsShareAHunk) {
  std::string d = Diff("1\n2\n3\n4\n5\n6\n7\n8\n", {{0, 1, "A"}, {14, 1, "H"}});
  EXPECT_EQ(1u, std::count(d.begin(), d.end(), '@') / 4);
}

TEST(UnifiedDiffTest, MissingFinalNewlineIsMarked) {
  EXPECT_EQ(
      "diff --git a/dir/compose.yaml b/dir/compose.yaml\n"
      "--- a/dir/compose.yaml\n"
      "+++ b/dir/compose.yaml\n"
      "@@ -1 +1,2 @@\n"
      "-a: 1\n"
      "\\ No newline at end of file\n"
      "+a: 1\n"
      "+b: 2\n"
      "\\ No newline at end of file\n",
      Diff("a: 1", {{4, 0, "\nb: 2"}}));
}

TEST(UnifiedDiffTest, CrlfLinesKeepTheirCarriageReturn) {
  std::string d = Diff("a: 1\r\nc: 3\r\n", {{6, 0, "b: 2\r\n"}});
  EXPECT_NE(std::string::npos, d.find(" a: 1\r\n+b: 2\r\n c: 3\r\n"));
}

TEST(UnifiedDiffTest, InsertionIntoAnEmptyFile) {
  EXPECT_EQ(
      "diff --git a/dir/compose.yaml b/dir/compose.yaml\n"
      "--- a/dir/compose.yaml\n"
      "+++ b/dir/compose.yaml\n"
      "@@ -0,0 +1 @@\n"
      "+x\n",
      Diff("", {{0, 0, "x\n"}}));
}

TEST(UnifiedDiffTest, ColourOnlyWhenAsked) {
  std::string d = Diff("a\n", {{0, 1, "b"}}, DiffOptions{3, true});
  EXPECT_NE(std::string::npos, d.find("\033[31m-a\033[m\n"));
  EXPECT_NE(std::string::npos, d.find("\033[32m+b\033[m\n"));
  EXPECT_EQ(std::string::npos, Diff("a\n", {{0, 1, "b"}}).find('\033'));
}

}  // namespace
}  // namespace harden
