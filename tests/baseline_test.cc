#include "harden/baseline.h"

#include <gtest/gtest.h>

namespace harden {
namespace {

TEST(BaselineTest, ShippedBaselinesParse) {
  for (const char* name : {"default", "preserve", "strict"}) {
    auto b = LoadBaseline(name);
    ASSERT_TRUE(b.ok()) << name << ": " << FormatDiagnostic(b.error());
    EXPECT_EQ(name, b->name);
    EXPECT_FALSE(b->description.empty());
  }
}

TEST(BaselineTest, DefaultIsTheFullLeastPrivilegeSet) {
  auto b = LoadBaseline("default");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ("1000:1000", b->user.value_or(""));
  EXPECT_EQ(std::vector<std::string>{"ALL"}, b->cap_drop);
  EXPECT_TRUE(b->no_new_privileges);
  EXPECT_TRUE(b->read_only);
  EXPECT_EQ(std::vector<std::string>{"/tmp"}, b->tmpfs);
  EXPECT_FALSE(b->fail_on_findings);
}

TEST(BaselineTest, PreserveOnlyMakesCapabilitiesExplicit) {
  auto b = LoadBaseline("preserve");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->user);
  EXPECT_TRUE(b->cap_add_docker_defaults);
  EXPECT_FALSE(b->read_only);
  EXPECT_FALSE(b->no_new_privileges);
  EXPECT_TRUE(b->tmpfs.empty());
}

TEST(BaselineTest, StrictFailsOnFindings) {
  auto b = LoadBaseline("strict");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->fail_on_findings);
  ASSERT_TRUE(b->allowed_cap_add);
}

TEST(BaselineTest, CustomKeysAreSetIfAbsent) {
  auto b = ParseBaseline(
      "name: acme\nuser: \"2000:2000\"\nset:\n  pids_limit: 100\n"
      "  restart: unless-stopped\n  ulimits: {nofile: 1024}\n",
      "acme.yaml");
  ASSERT_TRUE(b.ok()) << FormatDiagnostic(b.error());
  ASSERT_EQ(3u, b->extra.size());
  EXPECT_EQ("pids_limit", b->extra[0].key);
  EXPECT_EQ("100", b->extra[0].yaml);
  EXPECT_EQ("unless-stopped", b->extra[1].yaml);
  EXPECT_EQ("{nofile: 1024}", b->extra[2].yaml);
}

TEST(BaselineTest, UnknownKeyNamesFileLineAndKey) {
  auto b = ParseBaseline("name: x\nread_onyl: true\n", "org.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(
      "org.yaml:2:1: error: unknown key \"read_onyl\" (expected name, "
      "description, user, cap_drop, cap_add, no_new_privileges, read_only, "
      "tmpfs, image_facts, fail_on_findings, allowed_cap_add, set)",
      FormatDiagnostic(b.error()));
}

TEST(BaselineTest, WrongTypesAreErrors) {
  auto b = ParseBaseline("read_only: maybe\n", "org.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ("org.yaml:1:12: error: \"read_only\" must be true or false",
            FormatDiagnostic(b.error()));
  b = ParseBaseline("cap_drop: {ALL: 1}\n", "org.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ("org.yaml:1:11: error: \"cap_drop\" must be a list of strings",
            FormatDiagnostic(b.error()));
  b = ParseBaseline("set:\n  user: root\n", "org.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ("org.yaml:2:3: error: \"user\" is a control: set it at the top "
            "level, not in \"set\"",
            FormatDiagnostic(b.error()));
}

TEST(BaselineTest, InvalidYamlAndNonMappingAreErrors) {
  auto b = ParseBaseline("user: [\n", "org.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ("org.yaml", b.error().path);
  EXPECT_GT(b.error().line, 0);
  b = ParseBaseline("- a\n", "org.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ("org.yaml:1:1: error: a baseline must be a mapping of controls",
            FormatDiagnostic(b.error()));
}

TEST(BaselineTest, UnknownNameListsShippedBaselines) {
  auto b = LoadBaseline("strictest");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ("strictest: error: no such baseline (shipped: default, preserve, "
            "strict; or give a file path)",
            FormatDiagnostic(b.error()));
}

}  // namespace
}  // namespace harden
