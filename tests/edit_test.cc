#include "harden/edit.h"

#include <gtest/gtest.h>

namespace harden {
namespace {

TEST(EditListTest, AppliesEditsInOriginalCoordinates) {
  std::string text = "abcdef";
  EditList edits(text);
  ASSERT_FALSE(edits.Add({4, 1, "E"}));
  ASSERT_FALSE(edits.Add({0, 0, ">"}));
  ASSERT_FALSE(edits.Add({2, 2, ""}));
  EXPECT_EQ(">abEf", ApplyEdits(text, edits));
}

TEST(EditListTest, RejectsOverlappingReplacements) {
  std::string text = "abcdef";
  EditList edits(text);
  ASSERT_FALSE(edits.Add({1, 3, "x"}));
  auto err = edits.Add({2, 3, "y"});
  ASSERT_TRUE(err);
  EXPECT_EQ("conflicting edits: new 2:+3:\"y\" overlaps existing 1:+3:\"x\"",
            *err);
}

TEST(EditListTest, RejectsTwoDifferentInsertionsAtOneOffset) {
  std::string text = "ab";
  EditList edits(text);
  ASSERT_FALSE(edits.Add({1, 0, "x"}));
  EXPECT_TRUE(edits.Add({1, 0, "y"}));
}

TEST(EditListTest, RejectsInsertionInsideAReplacement) {
  std::string text = "abcdef";
  EditList edits(text);
  ASSERT_FALSE(edits.Add({1, 3, "x"}));
  EXPECT_TRUE(edits.Add({2, 0, "y"}));
}

TEST(EditListTest, AcceptsAdjacentEditsAndInsertionAtReplacementStart) {
  std::string text = "abcdef";
  EditList edits(text);
  ASSERT_FALSE(edits.Add({1, 2, "X"}));
  ASSERT_FALSE(edits.Add({3, 1, "Y"}));
  ASSERT_FALSE(edits.Add({1, 0, "<"}));
  EXPECT_EQ("a<XYef", ApplyEdits(text, edits));
}

TEST(EditListTest, DropsNoOpAndDuplicateEdits) {
  std::string text = "abc";
  EditList edits(text);
  ASSERT_FALSE(edits.Add({1, 1, "b"}));  // replaces b by b
  EXPECT_TRUE(edits.empty());
  ASSERT_FALSE(edits.Add({1, 0, "x"}));
  ASSERT_FALSE(edits.Add({1, 0, "x"}));
  EXPECT_EQ(1u, edits.size());
}

TEST(EditListTest, RejectsEditsOutsideTheText) {
  std::string text = "abc";
  EditList edits(text);
  EXPECT_TRUE(edits.Add({4, 0, "x"}));
  EXPECT_TRUE(edits.Add({2, 2, "x"}));
}

TEST(EditListTest, InsertsAtEndOfFileWithoutNewline) {
  std::string text = "a: 1";
  EditList edits(text);
  ASSERT_FALSE(edits.Add({4, 0, "\nb: 2"}));
  EXPECT_EQ("a: 1\nb: 2", ApplyEdits(text, edits));
}

TEST(EditListTest, KeepsCrlfBytesOutsideEdits) {
  std::string text = "a: 1\r\nc: 3\r\n";
  EditList edits(text);
  ASSERT_FALSE(edits.Add({6, 0, "b: 2\r\n"}));
  EXPECT_EQ("a: 1\r\nb: 2\r\nc: 3\r\n", ApplyEdits(text, edits));
}

TEST(EditListTest, EmptyListReturnsInputUnchanged) {
  std::string text = "x: y\n";
  EditList edits(text);
  EXPECT_EQ(text, ApplyEdits(text, edits));
}

}  // namespace
}  // namespace harden
