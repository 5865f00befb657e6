// Validation by Compose itself: two independent judges of "still a valid
// Compose file", run over every corpus and testdata file before and after
// hardening. A file the judge accepts before must be accepted after.
//   - the official compose-spec JSON schema (draft 2020-12) with Debian's
//     python3-jsonschema;
//   - Debian's docker-compose (v1) `config -q`, which rejects some newer
//     keys, so it only answers "still accepted if it was".
// Both run in one Python process over all files (tests/tools/compose_judge.py).
// Without a judge the test skips, except under CI (env CI set), where it fails.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harden/baseline.h"
#include "harden/harden.h"
#include "harden/image_facts.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace harden {
namespace {

struct Shell {
  int status = -1;
  std::string out;
};

// Runs `command` with /bin/sh; stdout is captured, stderr passes through.
Shell RunShell(const std::string& command) {
  Shell r;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Debian's Python, which sees the Debian packages the judges come from.
std::string Python() {
  return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

std::string Judge() {
  return Quote(std::string(HARDEN_SOURCE_DIR) + "/tests/tools/compose_judge.py");
}

// Skips (or, under CI, fails) unless `judge` can run here.
bool JudgeAvailable(const std::string& judge, std::string* why) {
  Shell s = RunShell(Python() + " " + Judge() + " probe " + judge + " 2>&1");
  *why = s.out.empty() ? "python3 not found" : s.out;
  return s.status == 0;
}

#define REQUIRE_JUDGE(judge)                                                  \
  do {                                                                        \
    std::string why;                                                          \
    if (!JudgeAvailable(judge, &why)) {                                       \
      if (std::getenv("CI")) FAIL() << "CI needs the " judge " judge: " << why; \
      GTEST_SKIP() << "the " judge " judge is not installed (scripts/deps.sh " \
                      "--test installs it): "                                 \
                   << why;                                                    \
    }                                                                         \
  } while (0)

// Every Compose file the judges look at: testdata inputs and the corpus.
std::vector<std::string> Inputs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(harden_test::TestdataDir())) {
    fs::path in = e.path() / "input.yaml";
    if (fs::is_regular_file(in)) out.push_back(in.string());
  }
  std::string corpus = harden_test::CorpusDir();
  if (!corpus.empty())
    for (const auto& e : fs::recursive_directory_iterator(corpus)) {
      std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".yml" || ext == ".yaml"))
        out.push_back(e.path().string());
    }
  std::sort(out.begin(), out.end());
  return out;
}

// Hardens every input into `dir` and writes the judge's manifest there.
// Returns the manifest's path and how many files harden changed.
std::string HardenAll(const harden_test::ScopedTempDir& dir, size_t* changed) {
  auto baseline = LoadBaseline("default");
  EXPECT_TRUE(baseline.ok());
  std::ostringstream manifest;
  size_t n = 0;
  *changed = 0;
  for (const std::string& in : Inputs()) {
    auto r = HardenText(harden_test::ReadAll(in), baseline.value(),
                        ImageFacts::Shipped());
    if (!r.ok()) continue;  // corpus_test and golden_test say why
    std::string out =
        dir / (std::to_string(n++) + fs::path(in).extension().string());
    harden_test::WriteAll(out, r->output);
    *changed += r->changed();
    manifest << in << "\t" << out << "\n";
  }
  std::string path = dir / "manifest.tsv";
  harden_test::WriteAll(path, manifest.str());
  return path;
}

struct Verdicts {
  size_t compared = 0;
  std::vector<std::string> failures;
};

Verdicts Parse(const std::string& out) {
  Verdicts v;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, 3, "OK ") == 0) ++v.compared;
    if (line.compare(0, 5, "FAIL ") == 0) {
      ++v.compared;
      v.failures.push_back(line.substr(5));
    }
  }
  return v;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "  " + l + "\n";
  return s;
}

TEST(ValidationTest, SchemaValidFilesStayValid) {
  REQUIRE_JUDGE("schema");
  std::string schema =
      std::string(HARDEN_SOURCE_DIR) + "/../shared/compose-spec/compose-spec.json";
  if (!fs::exists(schema)) {
    if (std::getenv("CI")) FAIL() << "missing " << schema;
    GTEST_SKIP() << "the compose-spec schema is not at " << schema;
  }
  harden_test::ScopedTempDir dir;
  size_t changed = 0;
  std::string manifest = HardenAll(dir, &changed);
  Shell s = RunShell(Python() + " " + Judge() + " schema " + Quote(schema) +
                     " " + Quote(manifest));
  Verdicts v = Parse(s.out);
  EXPECT_TRUE(v.failures.empty())
      << "schema-valid before hardening, invalid after:\n"
      << Join(v.failures);
  EXPECT_NE(std::string::npos, s.out.find("\ncompared ")) << s.out;
  // The judge must really have judged: most files are schema-valid.
  EXPECT_GE(v.compared, harden_test::CorpusDir().empty() ? 20u : 250u)
      << s.out;
  EXPECT_GT(changed, 0u);
}

TEST(ValidationTest, DockerComposeAcceptsWhatItAcceptedBefore) {
  REQUIRE_JUDGE("dc");
  harden_test::ScopedTempDir dir;
  size_t changed = 0;
  std::string manifest = HardenAll(dir, &changed);
  // --crosscheck: every 25th file also goes through the real docker-compose
  // binary, which must agree with the in-process verdicts.
  Shell s = RunShell(Python() + " " + Judge() + " dc " + Quote(manifest) +
                     " --crosscheck 25");
  Verdicts v = Parse(s.out);
  EXPECT_TRUE(v.failures.empty())
      << "docker-compose config accepted these before hardening, not after:\n"
      << Join(v.failures);
  EXPECT_NE(std::string::npos, s.out.find("\ncompared ")) << s.out;
  EXPECT_GE(v.compared, harden_test::CorpusDir().empty() ? 10u : 150u)
      << s.out;
}

}  // namespace
}  // namespace harden
