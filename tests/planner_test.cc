#include "harden/planner.h"

#include <gtest/gtest.h>

#include "harden/harden.h"

namespace harden {
namespace {

std::string Harden(const std::string& input) {
  auto r = HardenText(input, LoadBaseline("default").value(),
                      ImageFacts::Shipped());
  if (!r) return "error: " + FormatDiagnostic(r.error());
  return r->output;
}

TEST(RenderScalarTest, QuotesOnlyWhatAPlainScalarWouldMisread) {
  EXPECT_EQ("ALL", RenderScalar("ALL", false));
  EXPECT_EQ("/tmp", RenderScalar("/tmp", true));
  EXPECT_EQ("\"1000:1000\"", RenderScalar("1000:1000", false));  // base 60
  EXPECT_EQ("\"999\"", RenderScalar("999", false));
  EXPECT_EQ("\"true\"", RenderScalar("true", false));
  EXPECT_EQ("\"no\"", RenderScalar("no", false));
  EXPECT_EQ("no-new-privileges:true", RenderScalar("no-new-privileges:true", false));
  EXPECT_EQ("\"no-new-privileges:true\"", RenderScalar("no-new-privileges:true", true));
  EXPECT_EQ("\"/run:uid=101,gid=101\"", RenderScalar("/run:uid=101,gid=101", true));
  EXPECT_EQ("a \"b\"", RenderScalar("a \"b\"", false));  // plain is fine
  EXPECT_EQ("\"\\\"b\\\"\"", RenderScalar("\"b\"", false));
  EXPECT_EQ("\"#x\"", RenderScalar("#x", false));
  EXPECT_EQ("\"\"", RenderScalar("", false));
}

TEST(PlannerTest, FlowSequenceWithTrailingCommaAndComment) {
  EXPECT_EQ(
      "services:\n"
      "  a:\n"
      "    image: example/a\n"
      "    user: \"1000:1000\"\n"
      "    cap_drop: [\n"
      "      NET_RAW, ALL  # not needed\n"
      "    ]\n"
      "    security_opt: [\"no-new-privileges:true\"]\n"
      "    read_only: true\n"
      "    tmpfs: [/tmp]\n",
      Harden("services:\n"
             "  a:\n"
             "    image: example/a\n"
             "    user: \"1000:1000\"\n"
             "    cap_drop: [\n"
             "      NET_RAW,  # not needed\n"
             "    ]\n"
             "    security_opt: []\n"
             "    read_only: true\n"
             "    tmpfs: [/tmp]\n"));
}

TEST(RenderScalarTest, EscapesControlCharacters) {
  EXPECT_EQ("\"a\\nb\"", RenderScalar("a\nb", false));
  EXPECT_EQ("\"a\\tb\"", RenderScalar("a\tb", false));
  EXPECT_EQ("\"\\x01\"", RenderScalar("\x01", false));
}

TEST(PlannerTest, ScalarMadeAListKeepsItsAnchorAndQuotesWhatBracketsWouldBreak) {
  const std::string head =
      "services:\n  web:\n    image: example/app\n    user: app\n"
      "    cap_drop: [ALL]\n    security_opt: [no-new-privileges]\n"
      "    read_only: true\n";
  EXPECT_EQ(head + "    tmpfs: [&t /run, /tmp]\n",
            Harden(head + "    tmpfs: &t /run\n"));
  EXPECT_EQ(head + "    tmpfs: [\"/a,b\", /tmp]\n",
            Harden(head + "    tmpfs: /a,b\n"));
  EXPECT_EQ(head + "    tmpfs:\n      [/run /var, /tmp]\n",
            Harden(head + "    tmpfs:\n      /run\n      /var\n"));
}

TEST(PlannerTest, NewKeysGoAfterAValueThatEndsLessIndented) {
  // Quoted scalars and flow collections may go on at any indentation.
  EXPECT_EQ(
      "services:\n  web:\n    image: example/app\n    command: [run,\n"
      "  --fast]\n    user: \"1000:1000\"\n    cap_drop:\n      - ALL\n"
      "    security_opt:\n      - no-new-privileges:true\n"
      "    read_only: true\n    tmpfs:\n      - /tmp\n",
      Harden("services:\n  web:\n    image: example/app\n    command: [run,\n"
             "  --fast]\n"));
  EXPECT_EQ(
      "services:\n  web:\n    image: example/app\n    command: \"run\n"
      "  fast\"\n    user: \"1000:1000\"\n    cap_drop:\n      - ALL\n"
      "    security_opt:\n      - no-new-privileges:true\n"
      "    read_only: true\n    tmpfs:\n      - /tmp\n",
      Harden("services:\n  web:\n    image: example/app\n    command: \"run\n"
             "  fast\"\n"));
}

TEST(PlannerTest, QuoteInsideAPlainFlowItemIsText) {
  EXPECT_EQ(
      "services:\n  web: {image: example/app, security_opt: [a\"b, "
      "\"no-new-privileges:true\"], user: \"1000:1000\", cap_drop: [ALL], "
      "read_only: true, tmpfs: [/tmp]}\n",
      Harden("services:\n  web: {image: example/app, security_opt: [a\"b]}\n"));
}

TEST(PlannerTest, EmptyListValueGetsAFlowList) {
  EXPECT_EQ(
      "services:\n"
      "  a:\n"
      "    image: example/a\n"
      "    user: \"1000:1000\"\n"
      "    cap_drop: [ALL]\n"
      "    security_opt: [\"no-new-privileges:true\"]  # to do\n"
      "    read_only: true\n"
      "    tmpfs: [/tmp]\n",
      Harden("services:\n"
             "  a:\n"
             "    image: example/a\n"
             "    user: \"1000:1000\"\n"
             "    cap_drop: ~\n"
             "    security_opt:  # to do\n"
             "    read_only: true\n"
             "    tmpfs: [/tmp]\n"));
}

TEST(PlannerTest, RefusesWhenAMergedServiceWouldLeakAnAddition) {
  EXPECT_EQ(
      "error: <input>:4:3: error: service \"dash\" merges service \"base\" "
      "(line 2), which gains \"user\", but \"dash\" must not get it; give "
      "\"dash\" its own \"user\" or add x-harden: {skip: [user]} to \"base\"",
      [] {
        auto r = HardenText(
            "services:\n  base: &base\n    image: example/base\n  dash:\n"
            "    <<: *base\n    image: example/dash\n"
            "    x-harden: {skip: [user]}\n",
            LoadBaseline("default").value(), ImageFacts::Shipped());
        Diagnostic d = r.error();
        d.path = "<input>";
        return "error: " + FormatDiagnostic(d);
      }());
}

// A |+ block keeps its trailing blank lines, however deep it is nested:
// new keys go after them.
TEST(PlannerTest, NewKeysGoAfterTheBlankLinesANestedKeepBlockHolds) {
  const std::string block = "    x-cfg:\n      note: |+\n        keep\n\n\n";
  EXPECT_EQ("services:\n  web:\n    image: example/app\n    user: x\n" +
                block +
                "    cap_drop:\n      - ALL\n    security_opt:\n"
                "      - no-new-privileges:true\n    read_only: true\n"
                "    tmpfs:\n      - /tmp\n  db: {x-harden: false}\n",
            Harden("services:\n  web:\n    image: example/app\n    user: x\n" +
                   block + "  db: {x-harden: false}\n"));
}

// A block scalar whose | stands on the line below its tag or anchor, at its
// key's column (libyaml accepts it): new keys go after its text, not between
// the tag and the |.
TEST(PlannerTest, NewKeysGoAfterABlockScalarBelowItsTag) {
  for (const char* props : {"!t", "&a"}) {
    const std::string service =
        std::string("  web:\n    image: example/app\n    user: x\n"
                    "    x-cfg: ") + props + "\n    |\n      text\n";
    EXPECT_EQ("services:\n" + service +
                  "    cap_drop:\n      - ALL\n    security_opt:\n"
                  "      - no-new-privileges:true\n    read_only: true\n"
                  "    tmpfs:\n      - /tmp\n",
              Harden("services:\n" + service))
        << props;
  }
}

// An empty value with only a tag has no content below it: what follows is
// the next service, and the new keys go before it.
TEST(PlannerTest, NewKeysGoBeforeTheServiceAfterATaggedEmptyValue) {
  const std::string tail =
      "    cap_drop:\n      - ALL\n    security_opt:\n"
      "      - no-new-privileges:true\n    read_only: true\n"
      "    tmpfs:\n      - /tmp\n";
  EXPECT_EQ("services:\n  db:\n    user: x\n    command: !reset\n" + tail +
                "  web: {x-harden: false}\n",
            Harden("services:\n  db:\n    user: x\n    command: !reset\n"
                   "  web: {x-harden: false}\n"));
}

// The same when the merged service has the key and harden appends to it.
TEST(PlannerTest, RefusesWhenAMergedListWouldLeakAnAddition) {
  auto r = HardenText(
      "services:\n  base: &base\n    image: example/base\n"
      "    security_opt:\n    - label:disable\n  dash:\n    <<: *base\n"
      "    x-harden: {skip: [security_opt]}\n",
      LoadBaseline("default").value(), ImageFacts::Shipped());
  ASSERT_FALSE(r);
  EXPECT_EQ("service \"dash\" merges service \"base\" (line 2), which gains "
            "\"security_opt\", but \"dash\" must not get it; give \"dash\" "
            "its own \"security_opt\" or add x-harden: {skip: [security_opt]} "
            "to \"base\"",
            r.error().message);
}

// An empty service is filled with one flow mapping in place of what its
// value has written: `~`, a `!!null` tag, an anchor (kept, so that an alias
// still finds it), on the key's line or the line below.
TEST(PlannerTest, EmptyServiceKeepsItsAnchorAndLosesItsNull) {
  const std::string hardened =
      "{user: \"1000:1000\", cap_drop: [ALL], security_opt: "
      "[\"no-new-privileges:true\"], read_only: true, tmpfs: [/tmp]}";
  EXPECT_EQ("services:\n  web: &a " + hardened + "\n  api: *a\n",
            Harden("services:\n  web: &a\n  api: *a\n"));
  EXPECT_EQ("services:\n  web:\n    &a " + hardened + " # c\n  api: *a\n",
            Harden("services:\n  web:\n    &a ~ # c\n  api: *a\n"));
  EXPECT_EQ("services:\n  web: " + hardened + "\n",
            Harden("services:\n  web: !!null\n"));
  EXPECT_EQ("services:\n  web:\n    " + hardened + "\n",
            Harden("services:\n  web:\n    ~\n"));
  // Services written as a flow mapping.
  EXPECT_EQ("services: {web: " + hardened + " , api: &a " + hardened +
                ", job: *a}\n",
            Harden("services: {web: , api: &a ~, job: *a}\n"));
}

// An empty value's `~` or `null` may stand on the line below its key.
TEST(PlannerTest, EmptyValueOnTheLineBelowItsKeyGivesWay) {
  EXPECT_EQ(
      "services:\n  a:\n    image: x\n    user:\n      \"1000:1000\"\n"
      "    read_only:\n      true # c\n    cap_drop:\n      - ALL\n"
      "    security_opt:\n      - no-new-privileges:true\n    tmpfs:\n"
      "      - /tmp\n",
      Harden("services:\n  a:\n    image: x\n    user:\n      ~\n"
             "    read_only:\n      null # c\n"));
}

// The name of an empty service may carry an anchor or a tag of its own.
TEST(PlannerTest, EmptyServiceWithAnAnchoredOrTaggedName) {
  const std::string keys =
      "    user: \"1000:1000\"\n    cap_drop:\n      - ALL\n"
      "    security_opt:\n      - no-new-privileges:true\n"
      "    read_only: true\n    tmpfs:\n      - /tmp\n";
  EXPECT_EQ("services:\n  &a db:\n" + keys + "  !!str api:\n" + keys,
            Harden("services:\n  &a db:\n  !!str api:\n"));
}

TEST(PlannerTest, RefusesAnEmptyServiceWithATag) {
  EXPECT_EQ("error: :3:5: error: service \"web\" is empty and tagged "
            "!override; harden adds keys only to an untagged service",
            Harden("services:\n  web:\n    !override\n"));
}

// A line of spaces deeper than a block scalar's content is content (" "):
// the keys go below it, or the value would change.
TEST(PlannerTest, ABlockScalarsLineOfSpacesStaysInIt) {
  const std::string keys =
      "    user: \"1000:1000\"\n    cap_drop:\n      - ALL\n"
      "    security_opt:\n      - no-new-privileges:true\n"
      "    read_only: true\n    tmpfs:\n      - /tmp\n";
  const std::string head =
      "services:\n  echo:\n    build:\n      dockerfile_inline: |\n"
      "        FROM bash\n         \n";
  EXPECT_EQ(head + keys, Harden(head));
  EXPECT_EQ(head + "       \n" + keys, Harden(head + "       \n"));
  // A blank line that is no deeper than the entries stays below them.
  EXPECT_EQ(head + keys + "\n  db:\n    image: x\n" + keys,
            Harden(head + "\n  db:\n    image: x\n"));
}

// libyaml reads a line of spaces and tabs below a plain value as part of
// it, and anywhere else as a tab that starts no token: such a line stays
// directly below the value, and a value that would become a list is
// refused with the line to fix.
TEST(PlannerTest, ALineOfSpacesAndTabsStaysBelowItsValue) {
  const std::string keys =
      "    user: \"1000:1000\"\n    cap_drop:\n      - ALL\n"
      "    security_opt:\n      - no-new-privileges:true\n"
      "    read_only: true\n    tmpfs:\n      - /tmp\n";
  EXPECT_EQ("services:\n  web:\n    image: example/a\n     \t\t\n" + keys +
                "  db:\n    image: example/b\n" + keys,
            Harden("services:\n  web:\n    image: example/a\n     \t\t\n"
                   "  db:\n    image: example/b\n"));
  EXPECT_EQ("error: :3:19: error: cannot make \"security_opt\" of service "
            "\"web\" a list: line 4 below it holds only spaces and tabs, "
            "which YAML reads only after a plain value; remove its tabs",
            Harden("services:\n  web:\n    security_opt: label=x\n"
                   "     \t\n"));
}

}  // namespace
}  // namespace harden

