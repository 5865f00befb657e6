// The machine-readable reports: exact output of each format on small inputs,
// the escaping helpers, columns in bytes and in UTF-16 units, the JSON report
// against docs/json-report.schema.json, and SARIF against the official SARIF
// 2.1.0 schema (testdata/sarif-schema-2.1.0.json), for the whole corpus too,
// with every fix applied back to the file. Schema checks run Debian's
// python3-jsonschema through tests/tools/validate_json.py; they are skipped
// when it is missing, unless CI is set.
#include "harden/report.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <set>

#include "test_util.h"

namespace harden {
namespace {

using harden_test::ReadAll;
using harden_test::RunHarden;
using harden_test::ScopedTempDir;
using harden_test::WriteAll;

const std::string kSource = HARDEN_SOURCE_DIR;

// A baseline that does not move when the shipped ones or images.yaml do.
const Baseline& TestBaseline() {
  static const Baseline b = ParseBaseline(R"(name: test
user: "1000:1000"
cap_drop: [ALL]
no_new_privileges: true
read_only: true
tmpfs: [/tmp]
image_facts: false
)",
                                          "test.yaml")
                                .value();
  return b;
}

FileResult Harden(const std::string& input) {
  auto r = HardenText(input, TestBaseline(), ImageFacts::Shipped());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : FormatDiagnostic(r.error()));
  return std::move(r.value());
}

// `text` with every "@VERSION@" replaced by harden's version.
std::string WithVersion(std::string text) {
  for (size_t at = text.find("@VERSION@"); at != std::string::npos;
       at = text.find("@VERSION@", at))
    text.replace(at, 9, HARDEN_VERSION);
  return text;
}

// The part of `text` from the first `from` to the end.
std::string From(const std::string& text, const std::string& from) {
  size_t at = text.find(from);
  return at == std::string::npos ? "(no " + from + ")" : text.substr(at);
}

constexpr char kCompose[] = R"(services:
  web:
    image: example/web
    privileged: true
  db:
    image: example/db
    user: "0:0"
    cap_drop:
      - NET_RAW
    tmpfs: /run
    x-harden: {skip: [read_only], reason: "writes /var/lib/db"}
)";

// --- Escaping ---------------------------------------------------------------

TEST(JsonQuoteTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(R"("plain")", JsonQuote("plain"));
  EXPECT_EQ(R"("a\"b\\c/d")", JsonQuote("a\"b\\c/d"));
  EXPECT_EQ(R"("\n\r\t\b\f\u0001\u001f\u007f")",
            JsonQuote(std::string("\n\r\t\b\f\x01\x1f\x7f")));
  EXPECT_EQ(R"("\u0000")", JsonQuote(std::string("\0", 1)));
}

TEST(JsonQuoteTest, WritesNonAsciiAsUtf16Escapes) {
  EXPECT_EQ(R"("caf\u00e9")", JsonQuote("caf\xC3\xA9"));
  EXPECT_EQ(R"("\u20ac \u2028")", JsonQuote("\xE2\x82\xAC \xE2\x80\xA8"));
  // Verifies that a character past U+FFFF becomes a surrogate pair.
  EXPECT_EQ(R"("\ud83d\ude00")", JsonQuote("\xF0\x9F\x98\x80"));
  EXPECT_EQ(R"("\udbff\udfff")", JsonQuote("\xF4\x8F\xBF\xBF"));
}

TEST(JsonQuoteTest, ReplacesBytesThatAreNotUtf8) {
  EXPECT_EQ(R"("a\ufffdb")", JsonQuote("a\xFF"
                                       "b"));
  EXPECT_EQ(R"("\ufffd")", JsonQuote("\xC3"));            // cut short
  EXPECT_EQ(R"("\ufffd\ufffd")", JsonQuote("\xC0\xAF"));  // overlong '/'
  EXPECT_EQ(R"("\ufffd\ufffd\ufffd")", JsonQuote("\xED\xA0\x80"));  // surrogate
  EXPECT_EQ(R"("\ufffd\ufffd\ufffd\ufffd")",
            JsonQuote("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_EQ(R"("\ufffd\ufffdx")", JsonQuote("\xE2\x82x"));  // byte by byte
}

TEST(GithubEscapeTest, EscapesWhatWorkflowCommandsRequire) {
  EXPECT_EQ("50%25%0D%0Aa: b, c", GithubEscape("50%\r\na: b, c", false));
  EXPECT_EQ("50%25%0D%0Aa%3A b%2C c", GithubEscape("50%\r\na: b, c", true));
}

// --- JSON -------------------------------------------------------------------

TEST(JsonReportTest, SmallFile) {
  FileResult r = Harden(kCompose);
  std::string out =
      JsonReport({{"compose.yaml", &r, std::nullopt}}, TestBaseline());
  EXPECT_EQ(WithVersion(R"({
  "version": 1,
  "tool": {
    "name": "harden",
    "version": "@VERSION@"
  },
  "baseline": "test",
  "files": [
    {
      "path": "compose.yaml",
      "status": "changed",
      "notes": [],
      "services": [
        {
          "name": "web",
          "line": 2,
          "column": 3,
          "changes": [
            {
              "key": "cap_drop",
              "action": "add",
              "values": ["ALL"],
              "reason": "drop every capability: no effect while the service is privileged (Docker then gives it every one), in force once privileged: true goes",
              "line": 5
            },
            {
              "key": "security_opt",
              "action": "add",
              "values": ["no-new-privileges:true"],
              "reason": "forbid privilege escalation through setuid binaries",
              "line": 5
            },
            {
              "key": "tmpfs",
              "action": "add",
              "values": ["/tmp"],
              "reason": "writable scratch space for /tmp",
              "line": 5
            }
          ],
          "kept": [],
          "skipped": [
            {
              "key": "user",
              "values": [],
              "reason": "privileged: true gives the service every capability, which only a root process holds; harden adds no user",
              "line": 4
            },
            {
              "key": "read_only",
              "values": [],
              "reason": "privileged: true: the service may remount its root filesystem read-write (it holds every capability), and a system container (Docker in Docker, an agent) writes where harden cannot know; the root filesystem stays writable",
              "line": 4
            }
          ],
          "findings": [
            {
              "id": "privileged",
              "message": "privileged: true gives the container every capability and all devices; cap_drop and cap_add have no effect",
              "line": 4
            }
          ]
        },
        {
          "name": "db",
          "line": 5,
          "column": 3,
          "changes": [
            {
              "key": "cap_drop",
              "action": "add",
              "values": ["ALL"],
              "reason": "drop every capability; cap_add gives back what the service needs: as root, with an image harden does not know, that may be CHOWN, SETUID and SETGID for an entrypoint that changes owners or switches user",
              "line": 10
            },
            {
              "key": "security_opt",
              "action": "add",
              "values": ["no-new-privileges:true"],
              "reason": "forbid privilege escalation through setuid binaries",
              "line": 12
            },
            {
              "key": "tmpfs",
              "action": "add",
              "values": ["/tmp"],
              "reason": "writable scratch space for /tmp",
              "line": 10
            }
          ],
          "kept": [
            {
              "key": "user",
              "values": ["0:0"],
              "reason": "the service sets user \"0:0\" explicitly",
              "line": 7
            }
          ],
          "skipped": [
            {
              "key": "read_only",
              "values": [],
              "reason": "x-harden skips read_only: writes /var/lib/db"
            }
          ],
          "findings": [
            {
              "id": "opt-out",
              "message": "x-harden skips read_only: writes /var/lib/db",
              "line": 5
            },
            {
              "id": "runs-as-root",
              "message": "user \"0:0\" runs the service as root",
              "line": 7
            }
          ]
        }
      ],
      "edits": [
        {
          "offset": 61,
          "length": 0,
          "text": "    cap_drop:\n      - ALL\n    security_opt:\n      - no-new-privileges:true\n    tmpfs:\n      - /tmp\n",
          "line": 5,
          "column": 1
        },
        {
          "offset": 135,
          "length": 0,
          "text": "      - ALL\n",
          "line": 10,
          "column": 1
        },
        {
          "offset": 146,
          "length": 4,
          "text": "[/run, /tmp]",
          "line": 10,
          "column": 12
        },
        {
          "offset": 215,
          "length": 0,
          "text": "    security_opt:\n      - no-new-privileges:true\n",
          "line": 12,
          "column": 1
        }
      ]
    }
  ],
  "summary": {
    "files": 1,
    "changed": 1,
    "unchanged": 0,
    "failed": 0,
    "services": 2,
    "services_hardened": 2,
    "changes": 6,
    "findings": 3,
    "edits": 4
  }
}
)"),
            out);
}

TEST(JsonReportTest, ErrorsNotesAndUnchangedFiles) {
  FileResult legacy = Harden("web:\n  image: x\n");
  FileResult done = Harden(
      "services:\n  web:\n    user: \"1000:1000\"\n    cap_drop: [ALL]\n"
      "    security_opt: [no-new-privileges]\n    read_only: true\n"
      "    tmpfs: [/tmp]\n");
  std::vector<FileReport> files = {
      {"a/broken.yaml", nullptr,
       Diagnostic{"a/broken.yaml", 3, 1, "end of sequence flow not found"}},
      {"b/compose.yaml", &done,
       Diagnostic{"b/compose.hardening.yaml", 0, 0,
                  "exists and was not written by harden"}},
      {"c/legacy.yaml", &legacy, std::nullopt},
  };
  std::string out = JsonReport(files, TestBaseline());
  EXPECT_EQ(R"(  "files": [
    {
      "path": "a/broken.yaml",
      "status": "error",
      "error": {
        "line": 3,
        "column": 1,
        "message": "end of sequence flow not found"
      },
      "notes": [],
      "services": [],
      "edits": []
    },
    {
      "path": "b/compose.yaml",
      "status": "error",
      "error": {
        "path": "b/compose.hardening.yaml",
        "line": 0,
        "column": 0,
        "message": "exists and was not written by harden"
      },
      "notes": [],
      "services": [
        {
          "name": "web",
          "line": 2,
          "column": 3,
          "changes": [],
          "kept": [
            {
              "key": "user",
              "values": ["1000:1000"],
              "reason": "the service sets user \"1000:1000\" explicitly",
              "line": 3
            },
            {
              "key": "cap_drop",
              "values": ["ALL"],
              "reason": "the service already drops them",
              "line": 4
            },
            {
              "key": "security_opt",
              "values": ["no-new-privileges"],
              "reason": "the service already forbids privilege escalation",
              "line": 5
            },
            {
              "key": "read_only",
              "values": ["true"],
              "reason": "the service sets read_only: true explicitly",
              "line": 6
            },
            {
              "key": "tmpfs",
              "values": ["/tmp"],
              "reason": "the service already mounts a tmpfs at /tmp",
              "line": 7
            }
          ],
          "skipped": [],
          "findings": []
        }
      ],
      "edits": []
    },
    {
      "path": "c/legacy.yaml",
      "status": "unchanged",
      "notes": ["legacy Compose v1 file (services at the top level, no \"services:\"); docker compose no longer reads it, so harden leaves it unchanged"],
      "services": [],
      "edits": []
    }
  ],
  "summary": {
    "files": 3,
    "changed": 0,
    "unchanged": 1,
    "failed": 2,
    "services": 1,
    "services_hardened": 0,
    "changes": 0,
    "findings": 0,
    "edits": 0
  }
}
)",
            From(out, "  \"files\": ["));
}

// A file hardened but not written (a full disk) counts as failed, and its
// services as not hardened.
TEST(JsonReportTest, AFileThatCouldNotBeWrittenHardensNoService) {
  FileResult r = Harden(kCompose);
  ASSERT_TRUE(r.changed());
  std::string json = JsonReport(
      {{"c.yaml", &r,
        Diagnostic{"c.yaml", 0, 0, "cannot write file: No space left on device"},
        std::nullopt}},
      TestBaseline());
  EXPECT_NE(std::string::npos, json.find("\"failed\": 1,")) << json;
  EXPECT_NE(std::string::npos, json.find("\"services_hardened\": 0,")) << json;
}

// Verifies that columns count bytes from after a byte order mark, while
// offsets count the mark, and that two services on one line each get an edit.
TEST(JsonReportTest, ColumnsCountBytesAndSkipTheByteOrderMark) {
  FileResult r = Harden(
      "\xEF\xBB\xBF"
      "services: {\"\xC3\xA9\": {image: a}, web: {image: b}}\n");
  std::string out = JsonReport({{"c.yaml", &r, std::nullopt}}, TestBaseline());
  EXPECT_NE(std::string::npos,
            out.find("\"name\": \"\\u00e9\",\n          \"line\": 1,\n"
                     "          \"column\": 12,"))
      << out;
  EXPECT_NE(std::string::npos,
            out.find("\"name\": \"web\",\n          \"line\": 1,\n"
                     "          \"column\": 30,"))
      << out;
  // The é service's edit (before its '}') and web's.
  EXPECT_NE(std::string::npos,
            out.find("\"offset\": 29,\n          \"length\": 0,\n"
                     "          \"text\": \", user: "))
      << out;
  EXPECT_NE(std::string::npos,
            out.find("\"line\": 1,\n          \"column\": 27"))
      << out;
}

// --- SARIF ------------------------------------------------------------------

TEST(SarifReportTest, SmallFileResultsAndFixes) {
  FileResult r = Harden(kCompose);
  std::string out =
      SarifReport({{"./compose.yaml", &r, std::nullopt}}, TestBaseline());
  const std::string web_fix = R"(
          "fixes": [
            {
              "description": {
                "text": "harden service \"web\": add cap_drop, security_opt, tmpfs"
              },
              "artifactChanges": [
                {
                  "artifactLocation": {
                    "uri": "compose.yaml"
                  },
                  "replacements": [
                    {
                      "deletedRegion": {
                        "startLine": 5,
                        "startColumn": 1,
                        "endLine": 5,
                        "endColumn": 1,
                        "charOffset": 61,
                        "charLength": 0
                      },
                      "insertedContent": {
                        "text": "    cap_drop:\n      - ALL\n    security_opt:\n      - no-new-privileges:true\n    tmpfs:\n      - /tmp\n"
                      }
                    }
                  ]
                }
              ]
            }
          ],)";
  auto result = [](const std::string& rule, int index, const char* level,
                   const std::string& message, int line, int column,
                   const std::string& service, const std::string& fix = "") {
    return "        {\n          \"ruleId\": \"" + rule +
           "\",\n          \"ruleIndex\": " + std::to_string(index) +
           ",\n          \"level\": \"" + level +
           "\",\n          \"message\": {\n            \"text\": \"" + message +
           "\"\n          },\n          \"locations\": [\n            {\n"
           "              \"physicalLocation\": {\n"
           "                \"artifactLocation\": {\n"
           "                  \"uri\": \"compose.yaml\"\n                },\n"
           "                \"region\": {\n                  \"startLine\": " +
           std::to_string(line) +
           ",\n                  \"startColumn\": " + std::to_string(column) +
           "\n                }\n              }\n            }\n          ]," +
           fix + "\n          \"properties\": {\n            \"service\": \"" +
           service + "\"\n          }\n        }";
  };
  const std::string db_fix = R"(
          "fixes": [
            {
              "description": {
                "text": "harden service \"db\": add cap_drop, security_opt, tmpfs"
              },
              "artifactChanges": [
                {
                  "artifactLocation": {
                    "uri": "compose.yaml"
                  },
                  "replacements": [
                    {
                      "deletedRegion": {
                        "startLine": 10,
                        "startColumn": 1,
                        "endLine": 10,
                        "endColumn": 1,
                        "charOffset": 135,
                        "charLength": 0
                      },
                      "insertedContent": {
                        "text": "      - ALL\n"
                      }
                    },
                    {
                      "deletedRegion": {
                        "startLine": 10,
                        "startColumn": 12,
                        "endLine": 10,
                        "endColumn": 16,
                        "charOffset": 146,
                        "charLength": 4
                      },
                      "insertedContent": {
                        "text": "[/run, /tmp]"
                      }
                    },
                    {
                      "deletedRegion": {
                        "startLine": 12,
                        "startColumn": 1,
                        "endLine": 12,
                        "endColumn": 1,
                        "charOffset": 215,
                        "charLength": 0
                      },
                      "insertedContent": {
                        "text": "    security_opt:\n      - no-new-privileges:true\n"
                      }
                    }
                  ]
                }
              ]
            }
          ],)";
  std::string expected =
      "      \"invocations\": [\n        {\n"
      "          \"executionSuccessful\": true\n        }\n      ],\n"
      "      \"columnKind\": \"utf16CodeUnits\",\n      \"results\": [\n" +
      result(
          "baseline/cap_drop", 1, "warning",
          R"(service \"web\": add cap_drop ALL (drop every capability: no effect while the service is privileged (Docker then gives it every one), in force once privileged: true goes))",
          2, 3, "web", web_fix) +
      ",\n" +
      result(
          "baseline/no-new-privileges", 2, "warning",
          R"(service \"web\": add security_opt no-new-privileges:true (forbid privilege escalation through setuid binaries))",
          2, 3, "web") +
      ",\n" +

      result(
          "baseline/tmpfs", 4, "warning",
          R"(service \"web\": add tmpfs /tmp (writable scratch space for /tmp))",
          2, 3, "web") +
      ",\n" +
      result(
          "privileged", 6, "error",
          R"(service \"web\": privileged: true gives the container every capability and all devices; cap_drop and cap_add have no effect)",
          4, 5, "web") +
      ",\n" +
      result(
          "baseline/cap_drop", 1, "warning",
          R"(service \"db\": add cap_drop ALL (drop every capability; cap_add gives back what the service needs: as root, with an image harden does not know, that may be CHOWN, SETUID and SETGID for an entrypoint that changes owners or switches user))",
          5, 3, "db", db_fix) +
      ",\n" +
      result(
          "baseline/no-new-privileges", 2, "warning",
          R"(service \"db\": add security_opt no-new-privileges:true (forbid privilege escalation through setuid binaries))",
          5, 3, "db") +
      ",\n" +
      result(
          "baseline/tmpfs", 4, "warning",
          R"(service \"db\": add tmpfs /tmp (writable scratch space for /tmp))",
          5, 3, "db") +
      ",\n" +
      result("opt-out", 20, "note",
             R"(service \"db\": x-harden skips read_only: writes /var/lib/db)",
             5, 3, "db") +
      ",\n" +
      result("runs-as-root", 17, "warning",
             R"(service \"db\": user \"0:0\" runs the service as root)", 7, 5,
             "db") +
      "\n      ],\n      \"properties\": {\n        \"baseline\": \"test\"\n"
      "      }\n    }\n  ]\n}\n";
  EXPECT_EQ(expected, From(out, "      \"invocations\": ["));
}

TEST(SarifReportTest, DriverAndRules) {
  std::string out = SarifReport({}, TestBaseline());
  EXPECT_EQ(WithVersion(R"({
  "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
  "version": "2.1.0",
  "runs": [
    {
      "tool": {
        "driver": {
          "name": "harden",
          "version": "@VERSION@",
          "semanticVersion": "@VERSION@",
          "informationUri": ")") +
                kHomepage + R"(",
          "rules": [
            {
              "id": "baseline/user",
              "name": "RunAsNonRootUser",
              "shortDescription": {
                "text": "Run the service as a non-root user"
              },
              "fullDescription": {
                "text": "The service sets no user, so it runs as its image's default user, which is root for most images. harden adds the baseline's user, or the image's own account where harden's image facts know it."
              },
              "help": {
                "text": "A process that runs as root in a container is one kernel or runtime bug away from root on the host, and can write to everything the container mounts.\n\nharden adds user: with the baseline's uid:gid (\"1000:1000\" in the default baseline), or the image's own account. Files the service writes in volumes must then belong to that uid.\n\nTo keep a service as it is on purpose, opt out in the Compose file with a reason that reviewers can read: x-harden: {skip: [user], reason: \"...\"}, or x-harden: false for the whole service.",
                "markdown": "A process that runs as root in a container is one kernel or runtime bug away from root on the host, and can write to everything the container mounts.\n\nharden adds `user:` with the baseline's uid:gid (`\"1000:1000\"` in the default baseline), or the image's own account. Files the service writes in volumes must then belong to that uid.\n\nTo keep a service as it is on purpose, opt out in the Compose file with a reason that reviewers can read: `x-harden: {skip: [user], reason: \"...\"}`, or `x-harden: false` for the whole service."
              },
              "defaultConfiguration": {
                "level": "warning"
              },
              "properties": {
                "tags": ["security", "external/cwe/cwe-250"],
                "precision": "very-high",
                "security-severity": "6.0"
              }
            },
)",
            out.substr(0, out.find("            {\n              \"id\": "
                                   "\"baseline/cap_drop\"")));

  // One rule per control, then one per finding, in this order.
  std::vector<std::string> ids;
  std::regex id_re("\\n              \"id\": \"([^\"]+)\"");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), id_re);
       it != std::sregex_iterator(); ++it)
    ids.push_back((*it)[1]);
  std::vector<std::string> expected = {
      "baseline/user",      "baseline/cap_drop", "baseline/no-new-privileges",
      "baseline/read_only", "baseline/tmpfs",    "baseline/cap_add"};
  for (const std::string& id : KnownFindingIds()) expected.push_back(id);
  EXPECT_EQ(expected, ids);
  // Every rule has both kinds of description, help and a level.
  for (const char* field :
       {"\"shortDescription\"", "\"fullDescription\"", "\"help\"",
        "\"markdown\"", "\"defaultConfiguration\""}) {
    size_t n = 0;
    for (size_t at = out.find(field); at != std::string::npos;
         at = out.find(field, at + 1))
      ++n;
    EXPECT_EQ(ids.size(), n) << field;
  }
}

// Verifies that the rules cover every finding id the resolver can report,
// so that no result points at a rule without help text.
TEST(SarifReportTest, RulesCoverEveryFindingOfTheResolver) {
  std::string src = ReadAll(kSource + "/src/resolver.cc");
  std::set<std::string> found;
  std::regex re(R"re((?:add\(|Note\(|\{)\s*"([a-z][a-z-]+)",)re");
  for (auto it = std::sregex_iterator(src.begin(), src.end(), re);
       it != std::sregex_iterator(); ++it)
    found.insert((*it)[1]);
  EXPECT_GE(found.size(), 15u);  // the pattern still matches the source
  std::vector<std::string> known = KnownFindingIds();
  for (const std::string& id : found)
    EXPECT_NE(known.end(), std::find(known.begin(), known.end(), id))
        << "finding \"" << id << "\" has no SARIF rule in src/report.cc";
}

TEST(SarifReportTest, BaselineKeysGetRulesOfTheirOwn) {
  Baseline b = TestBaseline();
  b.extra.push_back({"pids_limit", "100"});
  auto r =
      HardenText("services:\n  web:\n    image: a\n", b, ImageFacts::Shipped());
  ASSERT_TRUE(r.ok());
  std::string out = SarifReport({{"c.yaml", &r.value(), std::nullopt}}, b);
  EXPECT_NE(std::string::npos,
            out.find("\"id\": \"baseline/pids_limit\",\n"
                     "              \"name\": \"BaselineSets_pids_limit\",\n"
                     "              \"shortDescription\": {\n"
                     "                \"text\": \"Set pids_limit as the "
                     "baseline requires\"\n              },\n"
                     "              \"fullDescription\": {\n"
                     "                \"text\": \"Baseline \\\"test\\\" sets "
                     "pids_limit: 100 on services that do not set it.\""))
      << out;
  EXPECT_NE(std::string::npos, out.find("\"ruleId\": \"baseline/pids_limit\",\n"
                                        "          \"ruleIndex\": 6,"))
      << out;
}

TEST(SarifReportTest, ErrorsAndNotesAreNotifications) {
  FileResult legacy = Harden("web:\n  image: x\n");
  std::string out = SarifReport({{"a b/broken,1.yaml", nullptr,
                                  Diagnostic{"a b/broken,1.yaml", 3, 1,
                                             "end of sequence flow not found"}},
                                 {"/abs/legacy.yaml", &legacy, std::nullopt}},
                                TestBaseline());
  EXPECT_EQ(R"(      "invocations": [
        {
          "executionSuccessful": false,
          "toolExecutionNotifications": [
            {
              "level": "error",
              "message": {
                "text": "end of sequence flow not found"
              },
              "locations": [
                {
                  "physicalLocation": {
                    "artifactLocation": {
                      "uri": "a%20b/broken%2C1.yaml"
                    },
                    "region": {
                      "startLine": 3,
                      "startColumn": 1
                    }
                  }
                }
              ]
            },
            {
              "level": "note",
              "message": {
                "text": "legacy Compose v1 file (services at the top level, no \"services:\"); docker compose no longer reads it, so harden leaves it unchanged"
              },
              "locations": [
                {
                  "physicalLocation": {
                    "artifactLocation": {
                      "uri": "file:///abs/legacy.yaml"
                    }
                  }
                }
              ]
            }
          ]
        }
      ],
      "columnKind": "utf16CodeUnits",
      "results": [],
      "properties": {
        "baseline": "test"
      }
    }
  ]
}
)",
            From(out, "      \"invocations\": ["));
}

// Verifies that SARIF columns and offsets count UTF-16 code units: the emoji
// is 4 bytes of UTF-8 and 2 units, and the byte order mark counts nothing.
TEST(SarifReportTest, ColumnsCountUtf16Units) {
  FileResult r = Harden(
      "\xEF\xBB\xBF"
      "services: {\"\xF0\x9F\x98\x80\": {image: a}, "
      "web: {image: b}}\n");
  std::string out = SarifReport({{"c.yaml", &r, std::nullopt}}, TestBaseline());
  // web's key: 11 + 4 ("😀" quoted) + 14 units before it.
  EXPECT_NE(
      std::string::npos,
      out.find("\"startLine\": 1,\n                  \"startColumn\": 30\n"))
      << out;
  // web's insertion, before its '}': column 44, offset 43 (no BOM).
  EXPECT_NE(std::string::npos,
            out.find("\"startLine\": 1,\n"
                     "                        \"startColumn\": 44,\n"
                     "                        \"endLine\": 1,\n"
                     "                        \"endColumn\": 44,\n"
                     "                        \"charOffset\": 43,\n"
                     "                        \"charLength\": 0\n"))
      << out;
}

// --- GitHub -----------------------------------------------------------------

TEST(GithubReportTest, SmallFile) {
  FileResult r = Harden(kCompose);
  FileResult legacy = Harden("web:\n  image: x\n");
  std::string out =
      GithubReport({{"bad,dir/x:y.yaml", nullptr,
                     Diagnostic{"bad,dir/x:y.yaml", 2, 8, "bad\nthing 100%"}},
                    {"compose.yaml", &r, std::nullopt},
                    {"legacy.yaml", &legacy, std::nullopt}},
                   TestBaseline());
  EXPECT_EQ(
      "::error file=bad%2Cdir/x%3Ay.yaml,line=2,col=8::bad%0Athing 100%25\n"
      "::warning file=compose.yaml,line=2,title=harden%3A baseline/cap_drop::"
      "service \"web\": add cap_drop ALL (drop every capability: no effect "
      "while the service is privileged (Docker then gives it every one), in "
      "force once privileged: true goes)\n"
      "::warning file=compose.yaml,line=2,title=harden%3A "
      "baseline/no-new-privileges::service \"web\": add security_opt "
      "no-new-privileges:true (forbid privilege escalation through setuid "
      "binaries)\n"
      "::warning file=compose.yaml,line=2,title=harden%3A baseline/tmpfs::"
      "service \"web\": add tmpfs /tmp (writable scratch space for /tmp)\n"
      "::warning file=compose.yaml,line=4,title=harden%3A privileged::service "
      "\"web\": privileged: true gives the container every capability and all "
      "devices; cap_drop and cap_add have no effect\n"
      "::warning file=compose.yaml,line=5,title=harden%3A baseline/cap_drop::"
      "service \"db\": add cap_drop ALL (drop every capability; cap_add gives "
      "back what the service needs: as root, with an image harden does not "
      "know, that may be CHOWN, SETUID and SETGID for an entrypoint that "
      "changes owners or switches user)\n"
      "::warning file=compose.yaml,line=5,title=harden%3A "
      "baseline/no-new-privileges::service \"db\": add security_opt "
      "no-new-privileges:true (forbid privilege escalation through setuid "
      "binaries)\n"
      "::warning file=compose.yaml,line=5,title=harden%3A baseline/tmpfs::"
      "service \"db\": add tmpfs /tmp (writable scratch space for /tmp)\n"
      "::notice file=compose.yaml,line=5,title=harden%3A opt-out::service "
      "\"db\": x-harden skips read_only: writes /var/lib/db\n"
      "::warning file=compose.yaml,line=7,title=harden%3A runs-as-root::"
      "service \"db\": user \"0:0\" runs the service as root\n"
      "::notice file=legacy.yaml::legacy Compose v1 file (services at the top "
      "level, no \"services:\"); docker compose no longer reads it, so harden "
      "leaves it unchanged\n",
      out);
}

// --- Schemas, the whole corpus, and the command line -------------------------

// A Python with jsonschema: Debian's python3-jsonschema first.
const std::string& Python() {
  static const std::string python = [] {
    for (const char* p : {"/usr/bin/python3", "python3"}) {
      std::string probe =
          std::string(p) + " -c 'import jsonschema' >/dev/null 2>&1";
      if (std::system(probe.c_str()) == 0) return std::string(p);
    }
    return std::string();
  }();
  return python;
}

#define REQUIRE_VALIDATOR()                                             \
  do {                                                                  \
    if (Python().empty()) {                                             \
      if (std::getenv("CI")) FAIL() << "python3-jsonschema is missing"; \
      GTEST_SKIP() << "python3-jsonschema is missing (apt-get install " \
                      "python3-jsonschema python3-rfc3987)";            \
    }                                                                   \
  } while (0)

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Validation {
  int exit_code = -1;
  std::string output;
};

// Validates `document` against `schema` (relative to the source tree); with
// `check_fixes`, also applies the SARIF fixes to the files, read from the
// source tree, and compares them with `harden --stdout`.
Validation Validate(const std::string& document, const std::string& schema,
                    bool check_fixes = false) {
  ScopedTempDir tmp;
  WriteAll(tmp / "doc.json", document);
  std::string cmd = "cd " + Quote(kSource) + " && " + Python() +
                    " tests/tools/validate_json.py " + Quote(schema) + " " +
                    Quote(tmp / "doc.json");
  if (check_fixes) cmd += " --check-fixes " + Quote(HARDEN_BINARY);
  cmd += " 2>&1";
  Validation v;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return v;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;)
    v.output.append(buf, n);
  int status = pclose(p);
  v.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return v;
}

constexpr char kJsonSchema[] = "docs/json-report.schema.json";
constexpr char kSarifSchema[] = "testdata/sarif-schema-2.1.0.json";

TEST(ReportSchemaTest, VendoredSarifSchemaIsTheOasisErrata01File) {
  std::string schema = ReadAll(kSource + "/" + kSarifSchema);
  EXPECT_EQ(112768u, schema.size());
  EXPECT_EQ(0u, schema.find("{\n  \"$schema\": \"http://json-schema.org/"
                            "draft-04/schema#\",\n  \"title\": \"Static "
                            "Analysis Results Format (SARIF) Version 2.1.0 "
                            "JSON Schema\",\n  \"id\": \"https://docs.oasis-"
                            "open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                            "sarif-schema-2.1.0.json\""));
}

TEST(ReportSchemaTest, SmallReportsMatchTheirSchemas) {
  REQUIRE_VALIDATOR();
  FileResult r = Harden(kCompose);
  FileResult legacy = Harden("web:\n  image: x\n");
  FileResult bom = Harden(
      "\xEF\xBB\xBF"
      "services: {\"\xF0\x9F\x98\x80\": "
      "{image: a}, web: {image: b}}\n");
  std::vector<FileReport> files = {
      {"a b/broken,1.yaml", nullptr,
       Diagnostic{"a b/broken,1.yaml", 3, 1, "bad \xFF input"}},
      {"compose.yaml", &r, std::nullopt},
      {"/abs/legacy.yaml", &legacy, std::nullopt},
      {"b/compose.yaml", &bom,
       Diagnostic{"b/compose.hardening.yaml", 0, 0, "not ours"}},
      // Overlay mode, the override file to write.
      {"o/compose.yaml", &r, std::nullopt,
       FileReport::Overlay{"o/compose.hardening.yaml", "services: {}\n"}},
  };
  Validation json = Validate(JsonReport(files, TestBaseline()), kJsonSchema);
  EXPECT_EQ(0, json.exit_code) << json.output;
  Validation sarif = Validate(SarifReport(files, TestBaseline()), kSarifSchema);
  EXPECT_EQ(0, sarif.exit_code) << sarif.output;
  Validation empty = Validate(SarifReport({}, TestBaseline()), kSarifSchema);
  EXPECT_EQ(0, empty.exit_code) << empty.output;
}

TEST(ReportSchemaTest, ValidatorRejectsWhatTheSchemasForbid) {
  REQUIRE_VALIDATOR();
  FileResult r = Harden(kCompose);
  std::string json = JsonReport({{"c.yaml", &r, std::nullopt}}, TestBaseline());
  json.replace(json.find("\"status\": \"changed\""), 19,
               "\"status\": \"done\"");
  EXPECT_EQ(1, Validate(json, kJsonSchema).exit_code);
  std::string sarif =
      SarifReport({{"c.yaml", &r, std::nullopt}}, TestBaseline());
  sarif.replace(sarif.find("\"startLine\": 2"), 14, "\"startLine\": 0");
  EXPECT_EQ(1, Validate(sarif, kSarifSchema).exit_code);
}

// Every golden input: odd layouts (anchors, flow style, CRLF, a byte order
// mark, no final newline) all give fixes that rebuild harden's output.
TEST(ReportCliTest, TestdataSarifValidatesAndItsFixesApply) {
  REQUIRE_VALIDATOR();
  auto r = RunHarden({"testdata", "--include", "input.yaml", "--format",
                      "sarif", "--baseline", "default"},
                     kSource);
  ASSERT_NE(std::string::npos, r.out.find("\"results\"")) << r.err;
  Validation v = Validate(r.out, kSarifSchema, true);
  EXPECT_EQ(0, v.exit_code) << v.output;
}

TEST(ReportCliTest, CorpusSarifValidatesAgainstTheSarifSchema) {
  if (harden_test::CorpusDir().empty()) GTEST_SKIP() << "no ../shared/corpus";
  REQUIRE_VALIDATOR();
  auto r = RunHarden({"../shared/corpus", "--format", "sarif"}, kSource);
  ASSERT_NE(std::string::npos, r.out.find("\"results\"")) << r.err;
  Validation v = Validate(r.out, kSarifSchema, true);
  EXPECT_EQ(0, v.exit_code) << v.output;
}

TEST(ReportCliTest, CorpusJsonValidatesAgainstItsSchema) {
  if (harden_test::CorpusDir().empty()) GTEST_SKIP() << "no ../shared/corpus";
  REQUIRE_VALIDATOR();
  auto r = RunHarden({"../shared/corpus", "--format", "json"}, kSource);
  ASSERT_NE(std::string::npos, r.out.find("\"summary\"")) << r.err;
  Validation v = Validate(r.out, kJsonSchema);
  EXPECT_EQ(0, v.exit_code) << v.output;
}

TEST(ReportCliTest, ReportsAreTheSameWhateverTheJobs) {
  std::string tree =
      harden_test::CorpusDir().empty() ? "testdata" : "../shared/corpus";
  for (const char* format : {"json", "sarif", "github"}) {
    auto one = RunHarden(
        {tree, "--include", "input.yaml", "--format", format, "--jobs", "1"},
        kSource);
    auto four = RunHarden(
        {tree, "--include", "input.yaml", "--format", format, "--jobs", "4"},
        kSource);
    EXPECT_FALSE(one.out.empty()) << format;
    EXPECT_TRUE(one.out == four.out) << format;
  }
}

TEST(ReportCliTest, StandardInputIsNamedDash) {
  auto r = RunHarden({"-", "--format", "github"}, kSource,
                     "services:\n  web:\n    privileged: true\n");
  EXPECT_NE(std::string::npos,
            r.out.find("::warning file=-,line=3,title=harden%3A privileged::"))
      << r.out;
}

}  // namespace
}  // namespace harden
