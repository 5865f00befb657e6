// The command line as a black box: bulk runs over directory trees, output
// that does not depend on --jobs, exit codes, --write, the summary and the
// progress line, --help and --version, colour, diffs that `patch -p1` and
// `git apply` accept, and standard input.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harden/file_io.h"
#include "test_util.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using harden_test::ReadAll;
using harden_test::RunHarden;
using harden_test::RunInProcess;
using harden_test::RunResult;
using harden_test::ScopedTempDir;
using harden_test::TestdataDir;
using harden_test::WriteAll;

namespace {

std::string Testdata(const std::string& rel) {
  return ReadAll(TestdataDir() + "/" + rel);
}

const std::string& Example() {
  static const std::string text = Testdata("example/compose.yaml");
  return text;
}
const std::string& Hardened() {
  static const std::string text = Testdata("already-hardened/input.yaml");
  return text;
}
constexpr const char kBroken[] = "services:\n  web: [unclosed\n";

// Writes `text` to `rel` under `root`, creating directories.
void Put(const ScopedTempDir& root, const std::string& rel,
         const std::string& text) {
  fs::path p = fs::path(root.path()) / rel;
  fs::create_directories(p.parent_path());
  WriteAll(p.string(), text);
}

// The paths named by the "diff --git a/P b/P" lines of a diff, in order.
std::vector<std::string> DiffedFiles(const std::string& diff) {
  std::vector<std::string> out;
  const std::string prefix = "diff --git a/";
  for (size_t pos = 0; pos < diff.size();) {
    size_t end = diff.find('\n', pos);
    if (end == std::string::npos) end = diff.size();
    std::string line = diff.substr(pos, end - pos);
    if (line.compare(0, prefix.size(), prefix) == 0)
      out.push_back(line.substr(prefix.size(),
                                line.find(" b/") - prefix.size()));
    pos = end + 1;
  }
  return out;
}

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

bool HaveTools(const char* tools) {
  std::string cmd = std::string("for t in ") + tools +
                    "; do command -v $t >/dev/null || exit 1; done";
  return std::system(cmd.c_str()) == 0;
}

// --- Directory walk ----------------------------------------------------------

TEST(CliTest, WalkHardensComposeFilesAndSkipsVendoredFolders) {
  ScopedTempDir root;
  for (const char* f :
       {"compose.yaml", "app/docker-compose.yml", "app/compose.prod.yaml",
        ".git/compose.yaml", "web/node_modules/pkg/compose.yaml",
        "vendor/compose.yaml", "app/vendor/docker-compose.yml",
        "notes.yaml", "app/other.yml"})
    Put(root, f, Example());
  auto r = RunHarden({"--check", "."}, root.path());
  EXPECT_EQ(1, r.exit_code) << r.err;
  EXPECT_EQ((std::vector<std::string>{"app/compose.prod.yaml",
                                      "app/docker-compose.yml",
                                      "compose.yaml"}),
            DiffedFiles(r.out));
}

TEST(CliTest, IncludeAndExcludeGlobs) {
  ScopedTempDir root;
  for (const char* f : {"compose.yaml", "deploy/stack.prod.yml",
                        "legacy/compose.yaml", "apps/a/compose.yaml",
                        "apps/b/compose.test.yaml"})
    Put(root, f, Example());
  auto r = RunHarden({".", "--include", "stack.*.yml", "--exclude", "legacy",
                      "--exclude", "*.test.yaml"},
                     root.path());
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ((std::vector<std::string>{"apps/a/compose.yaml", "compose.yaml",
                                      "deploy/stack.prod.yml"}),
            DiffedFiles(r.out));
}

// Each --include and --exclude takes one glob: a path written after one is
// still a path, not a second pattern (which left no path, so harden took
// the Compose file of the current directory instead of the tree).
TEST(CliTest, GlobOptionsTakeOneValueEach) {
  ScopedTempDir root;
  for (const char* f : {"repos/a/compose.yaml", "repos/legacy/compose.yaml",
                        "repos/b/stack.yml"})
    Put(root, f, Example());
  auto r = RunHarden({"--exclude", "legacy", "--include", "stack.yml",
                      "repos"},
                     root.path());
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ((std::vector<std::string>{"repos/a/compose.yaml",
                                      "repos/b/stack.yml"}),
            DiffedFiles(r.out));
}

TEST(CliTest, NoPathTakesTheFileDockerComposePicks) {
  ScopedTempDir root;
  Put(root, "docker-compose.yml", Example());
  Put(root, "compose.yaml", Example());
  auto r = RunHarden({}, root.path());
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(std::vector<std::string>{"compose.yaml"}, DiffedFiles(r.out));
  EXPECT_EQ("", r.err);  // one file named implicitly: no summary

  ScopedTempDir empty;
  auto none = RunHarden({}, empty.path());
  EXPECT_EQ(2, none.exit_code);
  EXPECT_EQ("harden: error: no Compose file here (compose.yaml, compose.yml, "
            "docker-compose.yml, docker-compose.yaml); name one or a "
            "directory\n",
            none.err);
}

TEST(CliTest, SymlinkedComposeFileIsDiffedOnce) {
  ScopedTempDir root;
  Put(root, "real/docker-compose.yml", Example());
  ASSERT_EQ(0, symlink("real/docker-compose.yml",
                       (root / "compose.yaml").c_str()));
  auto r = RunHarden({"."}, root.path());
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(std::vector<std::string>{"real/docker-compose.yml"},
            DiffedFiles(r.out));
}

// --- --jobs ------------------------------------------------------------------

// A tree of `n` files: most would change, some are hardened, some broken.
void MakeBulkTree(const ScopedTempDir& root, int n) {
  for (int i = 0; i < n; ++i) {
    std::string dir = "repo" + std::to_string(i % 7) + "/svc" + std::to_string(i);
    const std::string& text =
        i % 11 == 5 ? std::string(kBroken) : i % 3 == 0 ? Hardened() : Example();
    Put(root, dir + (i % 2 ? "/compose.yaml" : "/docker-compose.yml"), text);
  }
}

TEST(CliTest, OutputDoesNotDependOnJobs) {
  ScopedTempDir root;
  MakeBulkTree(root, 40);
  for (const char* format : {"diff", "json"}) {
    auto one = RunHarden({".", "--format", format, "--jobs", "1"}, root.path());
    auto four = RunHarden({".", "--format", format, "--jobs", "4"}, root.path());
    EXPECT_EQ(2, one.exit_code) << format;
    EXPECT_EQ(one.exit_code, four.exit_code) << format;
    EXPECT_EQ(one.out, four.out) << format;
    EXPECT_EQ(one.err, four.err) << format;
    if (std::string(format) == "diff") {
      std::vector<std::string> files = DiffedFiles(one.out);
      EXPECT_EQ(23u, files.size());
      EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
    }
  }
}

// --- Exit codes in bulk mode -------------------------------------------------

TEST(CliTest, BulkExitCodes) {
  ScopedTempDir root;
  Put(root, "a/compose.yaml", Hardened());
  EXPECT_EQ(0, RunInProcess({"--check", root.path()}).exit_code);

  Put(root, "b/compose.yaml", Example());
  EXPECT_EQ(1, RunInProcess({"--check", root.path()}).exit_code);
  EXPECT_EQ(0, RunInProcess({root.path()}).exit_code);  // a diff is fine

  // A file that fails wins over one that would change, and does not stop
  // the others.
  Put(root, "c/compose.yaml", kBroken);
  auto r = RunInProcess({"--check", root.path()});
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ(std::vector<std::string>{root.path().substr(1) + "/b/compose.yaml"},
            DiffedFiles(r.out));
  EXPECT_NE(std::string::npos, r.err.find(root / "c/compose.yaml" + ":3:1: error:"))
      << r.err;
  EXPECT_EQ(2, RunInProcess({root.path()}).exit_code);

  // So does a path that does not exist.
  auto missing = RunInProcess({"--check", root / "a", root / "nowhere.yaml"});
  EXPECT_EQ(2, missing.exit_code);
  EXPECT_NE(std::string::npos,
            missing.err.find(root / "nowhere.yaml" +
                             ": error: cannot read file: No such file or "
                             "directory\n"))
      << missing.err;
}

// --- --write -----------------------------------------------------------------

TEST(CliTest, WriteChangesOnlyWhatMustChange) {
  ScopedTempDir root;
  Put(root, "new/compose.yaml", Example());
  Put(root, "done/compose.yaml", Hardened());
  ASSERT_EQ(0, chmod((root / "new/compose.yaml").c_str(), 0640));
  // Verifies that an already hardened file is not rewritten: its mtime stays.
  struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(0, utimensat(AT_FDCWD, (root / "done/compose.yaml").c_str(), old, 0));
  std::string expected =
      RunInProcess({"--stdout", root / "new/compose.yaml"}).out;

  auto r = RunHarden({"--write", "."}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(expected, ReadAll(root / "new/compose.yaml"));
  EXPECT_EQ(Hardened(), ReadAll(root / "done/compose.yaml"));
  struct stat st;
  ASSERT_EQ(0, stat((root / "done/compose.yaml").c_str(), &st));
  EXPECT_EQ(1000000000, st.st_mtim.tv_sec);
  ASSERT_EQ(0, stat((root / "new/compose.yaml").c_str(), &st));
  EXPECT_EQ(0640u, st.st_mode & 07777);
  EXPECT_EQ(
      "hardened new/compose.yaml (3 services)\n"
      "harden: 2 files scanned, 1 changed, 1 already hardened, 0 failed; "
      "3 services hardened, 2 findings\n",
      r.err);

  auto again = RunHarden({"--check", "."}, root.path());
  EXPECT_EQ(0, again.exit_code);
  EXPECT_EQ("", again.out);
}

TEST(CliTest, WriteThroughSymlinkUpdatesTheTargetAndKeepsTheLink) {
  ScopedTempDir root;
  Put(root, "shared/base.yaml", Example());
  ASSERT_EQ(0, symlink("shared/base.yaml", (root / "compose.yaml").c_str()));
  std::string expected = RunInProcess({"--stdout", root / "compose.yaml"}).out;
  auto r = RunHarden({"--write", "compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  struct stat st;
  ASSERT_EQ(0, lstat((root / "compose.yaml").c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(expected, ReadAll(root / "shared/base.yaml"));
}

TEST(CliTest, WriteFailureIsReportedAndTheOthersGoOn) {
  ScopedTempDir root;
  Put(root, "a/compose.yaml", Example());
  Put(root, "b/compose.yaml", Example());
  harden::SetWriteFaultForTesting(harden::WriteFault::kWrite);
  auto r = RunInProcess({"--write", root.path()});
  harden::SetWriteFaultForTesting(harden::WriteFault::kNone);
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ(Example(), ReadAll(root / "a/compose.yaml"));
  EXPECT_EQ(Example(), ReadAll(root / "b/compose.yaml"));
  EXPECT_EQ(root / "a/compose.yaml" +
                ": error: cannot write file: No space left on device\n" +
                root / "b/compose.yaml" +
                ": error: cannot write file: No space left on device\n"
                "harden: 2 files scanned, 0 changed, 0 already hardened, "
                "2 failed; 0 services hardened, 0 findings\n",
            r.err);
}

// --- stderr: summary and progress --------------------------------------------

TEST(CliTest, SummaryLineEndsABulkRun) {
  ScopedTempDir root;
  Put(root, "a/compose.yaml", Example());
  Put(root, "b/compose.yaml", Hardened());
  Put(root, "c/compose.yaml", kBroken);
  auto r = RunHarden({"."}, root.path());
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ(
      "c/compose.yaml:3:1: error: did not find expected ',' or ']' (while "
      "parsing a flow sequence that starts at 2:8)\n"
      "harden: 3 files scanned, 1 to change, 1 already hardened, 1 failed; "
      "3 services to harden, 2 findings\n",
      r.err);

  // A directory with one Compose file is a bulk run too.
  auto one = RunHarden({"a"}, root.path());
  EXPECT_EQ(
      "harden: 1 file scanned, 1 to change, 0 already hardened, 0 failed; "
      "3 services to harden, 2 findings\n",
      one.err);
  // A single named file is not.
  EXPECT_EQ("", RunHarden({"a/compose.yaml"}, root.path()).err);
}

// A file's notes go to stderr, except with --explain, which prints them
// with its services: a terminal shows each once.
TEST(CliTest, ExplainPrintsTheNotesOnceOnStandardOutput) {
  ScopedTempDir root;
  Put(root, "compose.yaml", "services:\n  app:\n    image: example/app\n");
  Put(root, "compose.override.yaml",
      "services:\n  app:\n    environment: [DEBUG=1]\n");
  const std::string note =
      "compose.yaml: note: read with compose.override.yaml, which docker "
      "compose merges into it by default: what that file sets for a service "
      "counts here too\n";
  auto diff = RunHarden({"compose.yaml"}, root.path());
  EXPECT_EQ(note, diff.err);
  auto explain = RunHarden({"--explain", "compose.yaml"}, root.path());
  ASSERT_EQ(0, explain.exit_code) << explain.err;
  EXPECT_EQ("", explain.err);
  EXPECT_EQ(0u, explain.out.find(note)) << explain.out;
  EXPECT_EQ(explain.out.rfind(note), explain.out.find(note));
}

// Run without the project's .env (a fresh CI clone often has none), images
// named through its variables are unknown: a diff alone would not show
// that postgres got the baseline of any image, so a note says it.
TEST(CliTest, ImagesFromVariablesWithoutValueAreNamedInANote) {
  ScopedTempDir root;
  std::string compose = "services:\n";
  for (const char* s : {"a", "b", "c", "d"})
    compose += fmt::format("  {}:\n    image: ${{IMAGE}}:${{TAG}}-{}\n", s, s);
  compose += "  db:\n    image: ${DB_IMAGE}\n";
  compose += "  cache:\n    image: redis:${REDIS_TAG}\n";
  // Left as it is: no image facts to miss.
  compose += "  vendor:\n    image: ${VENDOR_IMAGE}\n    x-harden: false\n";
  Put(root, "compose.yaml", compose);
  auto r = RunHarden({"compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(
      "compose.yaml: note: services \"a\", \"b\", \"c\" and 2 more name "
      "their image through variables that .env beside the file does not set "
      "(IMAGE, TAG, DB_IMAGE): harden cannot tell which images they are, so "
      "it applies no image facts (postgres, for one, needs its own user and "
      "writable paths); run harden with the project's .env in place\n",
      r.err);
  // With the .env in place, there is nothing to say.
  Put(root, ".env", "IMAGE=ghcr.io/acme/app\nDB_IMAGE=postgres:17\n");
  EXPECT_EQ("", RunHarden({"compose.yaml"}, root.path()).err);
}

// A service docker compose builds is the image its Dockerfile starts
// from: found from the Compose file's folder, through the variables of
// .env beside it, the build's args and an inline Dockerfile.
TEST(CliTest, ABuildIsReadThroughItsDockerfile) {
  ScopedTempDir root;
  Put(root, "app/compose.yaml",
      "services:\n"
      "  inline:\n"
      "    build:\n"
      "      dockerfile_inline: \"FROM postgres:16\\nUSER postgres\\n\"\n"
      "  env:\n"
      "    build:\n"
      "      context: ${CTX}\n"
      "      args: [\"BASE=${BASE_IMAGE}\"]\n"
      "  unset:\n"
      "    build: {context: web, args: {BASE: \"${NOPE}\"}}\n"
      "  gone:\n"
      "    build: ${NOPE}\n");
  Put(root, "app/.env", "CTX=./web/\nBASE_IMAGE=nginx:1.27\n");
  Put(root, "app/web/Dockerfile", "ARG BASE=postgres:16\nFROM ${BASE}\n");
  auto r = RunHarden({"--explain", "app/compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_THAT(r.out, HasSubstr("keep user: its Dockerfile (dockerfile_inline, "
                               "line 2) sets USER postgres"));
  EXPECT_THAT(r.out, HasSubstr("built from postgres:16 (dockerfile_inline, "
                               "line 1): harden applies what it knows of "
                               "image postgres"));
  EXPECT_THAT(r.out, HasSubstr("built from nginx:1.27 (web/Dockerfile:2)"));
  EXPECT_THAT(r.out, HasSubstr("add  user 101:101: image nginx"));
  // An arg with no value is not its default: the image is unknown.
  const size_t unset = r.out.find("service \"unset\"");
  ASSERT_NE(std::string::npos, unset);
  EXPECT_THAT(r.out.substr(unset),
              HasSubstr("add  user 1000:1000: the baseline runs services"));
  EXPECT_EQ(std::string::npos, r.out.find("built from", unset));
}

// A service of another file is built from its context there; one that
// extends it with a build of its own is built from that.
TEST(CliTest, AServiceExtendedFromAnotherFileKeepsItsBuild) {
  ScopedTempDir root;
  Put(root, "app/compose.yaml",
      "services:\n"
      "  ext:\n"
      "    extends: {file: lib/base.yaml, service: web}\n"
      "  own:\n"
      "    extends: {file: lib/base.yaml, service: web}\n"
      "    build: ./web\n");
  Put(root, "app/lib/base.yaml", "services:\n  web:\n    build: ./web\n");
  Put(root, "app/lib/web/Dockerfile", "FROM nginx:1.27\nUSER 101:101\n");
  Put(root, "app/web/Dockerfile", "FROM postgres:16\n");
  auto r = RunHarden({"--explain", "app/compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  const size_t own = r.out.find("service \"own\"");
  ASSERT_NE(std::string::npos, own);
  EXPECT_THAT(r.out.substr(0, own),
              HasSubstr("keep user: its Dockerfile (lib/web/Dockerfile:2) "
                        "sets USER 101:101"));
  EXPECT_THAT(r.out.substr(own),
              HasSubstr("add  user 999:999: image postgres"));
  EXPECT_THAT(r.out.substr(own),
              HasSubstr("built from postgres:16 (web/Dockerfile:1)"));
}

// An entrypoint script that changes user with gosu, copied in by a
// Dockerfile that does not name it (its base image ships gosu): root is
// kept, with the capabilities gosu needs, and the script's line is named.
TEST(CliTest, AnEntrypointScriptThatDropsRootKeepsRoot) {
  ScopedTempDir root;
  Put(root, "app/compose.yaml",
      "services:\n"
      "  app:\n    build: ./app\n"
      "  user:\n    build: {context: ./app, dockerfile: User.Dockerfile}\n");
  Put(root, "app/app/Dockerfile",
      "FROM ghcr.io/acme/base-with-gosu:1\n"
      "COPY docker-entrypoint.sh /usr/local/bin/\n"
      "ENTRYPOINT [\"docker-entrypoint.sh\"]\n");
  Put(root, "app/app/User.Dockerfile",
      "FROM ghcr.io/acme/base-with-gosu:1\nUSER 10001\n"
      "COPY docker-entrypoint.sh /usr/local/bin/\n"
      "ENTRYPOINT [\"docker-entrypoint.sh\"]\n");
  Put(root, "app/app/docker-entrypoint.sh",
      "#!/bin/sh\nset -e\n# drop to app\nexec gosu app \"$@\"\n");
  auto r = RunHarden({"--explain", "app/compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  const size_t user = r.out.find("service \"user\"");
  ASSERT_NE(std::string::npos, user);
  const std::string app = r.out.substr(0, user);
  EXPECT_THAT(app, HasSubstr("skip user: the script its Dockerfile runs "
                             "(app/docker-entrypoint.sh:4) uses gosu"));
  EXPECT_THAT(app, HasSubstr("add  cap_add SETUID: gosu needs it to change "
                             "to the image's own user (the script its "
                             "Dockerfile runs, app/docker-entrypoint.sh:4)"));
  // With a USER of its own, the image never starts as root.
  EXPECT_THAT(r.out.substr(user),
              HasSubstr("keep user: its Dockerfile (app/User.Dockerfile:2) "
                        "sets USER 10001"));
  EXPECT_EQ(std::string::npos, r.out.find("gosu", user));
}

// BuildKit reads "dockerfile" where "Dockerfile" is missing; harden too,
// but no other spelling, and not in place of a name the build gives.
TEST(CliTest, ALowercaseDockerfileIsRead) {
  ScopedTempDir root;
  Put(root, "app/compose.yaml",
      "services:\n"
      "  lower:\n    build: ./lower\n"
      "  both:\n    build: ./both\n"
      "  named:\n    build: {context: ./lower, dockerfile: Web.Dockerfile}\n"
      "  upper:\n    build: {context: ./lower, dockerfile: ./Dockerfile}\n");
  Put(root, "app/lower/dockerfile", "FROM nginx:1.27\n");
  Put(root, "app/lower/web.dockerfile", "FROM nginx:1.27\n");
  Put(root, "app/both/Dockerfile", "FROM postgres:16\n");
  Put(root, "app/both/dockerfile", "FROM nginx:1.27\n");
  auto r = RunHarden({"--explain", "app/compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_THAT(r.out, HasSubstr("built from nginx:1.27 (lower/dockerfile:1)"));
  EXPECT_THAT(r.out, HasSubstr("built from postgres:16 (both/Dockerfile:1)"));
  const size_t named = r.out.find("service \"named\"");
  const size_t upper = r.out.find("service \"upper\"");
  ASSERT_NE(std::string::npos, named);
  ASSERT_NE(std::string::npos, upper);
  EXPECT_EQ(std::string::npos,
            r.out.substr(named, upper - named).find("built from"));
  EXPECT_THAT(r.out.substr(upper),
              HasSubstr("built from nginx:1.27 (lower/dockerfile:1)"));
}

// --env-file replaces the .env beside each file, as in docker compose: for
// a CI job that knows the project's variables, or a tree of projects.
TEST(CliTest, AnEnvFileGivesTheVariables) {
  ScopedTempDir root;
  Put(root, "app/compose.yaml",
      "services:\n  db:\n    image: ${DB_IMAGE}\n"
      "  web:\n    build: ${WEB}\n");
  Put(root, "app/.env", "DB_IMAGE=redis:7\n");
  Put(root, "app/web/Dockerfile", "FROM nginx:1.27\n");
  Put(root, "ci.env", "DB_IMAGE=postgres:16\nWEB=web\n");
  Put(root, "more.env", "DB_IMAGE=postgres:${PG:-17}\n");
  auto r = RunHarden({"--explain", "--env-file", "ci.env", "app/compose.yaml"},
                     root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_THAT(r.out, HasSubstr("add  user 999:999: image postgres"));
  EXPECT_THAT(r.out, HasSubstr("built from nginx:1.27 (web/Dockerfile:1)"));
  // The later file wins; .env is not read at all.
  r = RunHarden({"--explain", "--env-file", "ci.env", "--env-file",
                 "more.env", "app/compose.yaml"},
                root.path());
  EXPECT_THAT(r.out, HasSubstr("image \"${DB_IMAGE}\" is read as "
                               "\"postgres:17\""));
  // A variable it does not set is named, and where to set it.
  Put(root, "empty.env", "# nothing\n");
  r = RunHarden({"--env-file", "empty.env", "app/compose.yaml"}, root.path());
  EXPECT_EQ(0, r.exit_code);
  EXPECT_THAT(r.err, HasSubstr("through a variable that --env-file does not "
                               "set (DB_IMAGE)"));
  EXPECT_THAT(r.err, HasSubstr("set it in the file --env-file names"));
  // One it cannot read is an error before any file is read.
  r = RunHarden({"--env-file", "missing.env", "app/compose.yaml"},
                root.path());
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ("", r.out);
  EXPECT_THAT(r.err, StartsWith("missing.env: error: "));
}

TEST(CliTest, AWalkThatFindsNothingWarnsAndPasses) {
  ScopedTempDir root;
  Put(root, "docs/README.md", "# no Compose file here\n");
  auto r = RunHarden({"--check", "docs"}, root.path());
  EXPECT_EQ(0, r.exit_code);
  EXPECT_EQ("", r.out);
  EXPECT_EQ(
      "harden: warning: no Compose files found (compose.yaml, compose.yml, "
      "docker-compose.yaml, docker-compose.yml and their variants; --include "
      "adds patterns)\n"
      "harden: 0 files scanned, 0 to change, 0 already hardened, 0 failed; "
      "0 services to harden, 0 findings\n",
      r.err);
}

TEST(CliTest, NoProgressLineWhenStderrIsNotATerminal) {
  ScopedTempDir root;
  MakeBulkTree(root, 60);
  auto r = RunHarden({"--jobs", "2", "."}, root.path());
  EXPECT_EQ(std::string::npos, r.err.find('\r'));
  EXPECT_EQ(std::string::npos, r.err.find("\033["));
  EXPECT_EQ(0u, r.err.find("repo")) << r.err;  // the first error, no progress
}

// --- --help, --version, usage errors -----------------------------------------

TEST(CliTest, HelpShowsOptionsAndExamples) {
  auto r = RunHarden({"--help"});
  EXPECT_EQ(0, r.exit_code);
  EXPECT_EQ("", r.err);
  for (const char* s : {"--check", "--write", "--jobs", "--exclude",
                        "--override-file", "\nExamples:\n",
                        "harden repos/ --write --jobs 4", "\nExit codes:"})
    EXPECT_NE(std::string::npos, r.out.find(s)) << s;
}

TEST(CliTest, VersionPrintsTheVersion) {
  auto r = RunHarden({"--version"});
  EXPECT_EQ(0, r.exit_code);
  EXPECT_EQ(std::string("harden ") + HARDEN_VERSION + "\n", r.out);
}

TEST(CliTest, UsageErrorsExitTwo) {
  auto r = RunInProcess({"--jobs", "0", "x.yaml"});
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(std::string::npos, r.err.find("Run 'harden --help' for usage."));
  EXPECT_EQ(2, RunInProcess({"--color", "sometimes"}).exit_code);
  EXPECT_EQ(2, RunInProcess({"--stdout", "--write", "x.yaml"}).exit_code);
  ScopedTempDir root;
  Put(root, "a/compose.yaml", Example());
  Put(root, "b/compose.yaml", Example());
  auto two = RunInProcess({"--stdout", root.path()});
  EXPECT_EQ(2, two.exit_code);
  EXPECT_EQ("harden: error: --stdout takes exactly one file\n", two.err);
}

// --- Colour ------------------------------------------------------------------

TEST(CliTest, ColorAlwaysColoursTheDiff) {
  ScopedEnv no_color("NO_COLOR", "1");  // the flag wins over the environment
  auto r = RunInProcess({"--color", "always", TestdataDir() + "/example/compose.yaml"});
  EXPECT_NE(std::string::npos, r.out.find("\033[32m+    read_only: true\033[m\n"));
  EXPECT_EQ(0u, r.out.find("\033[1mdiff --git"));
}

TEST(CliTest, NoColorAndColorNeverDoNotColour) {
  const std::string file = TestdataDir() + "/example/compose.yaml";
  {
    ScopedEnv force("CLICOLOR_FORCE", "1");
    ScopedEnv no_color("NO_COLOR", nullptr);
    // Verifies that auto mode can colour here, so the cases below mean it.
    EXPECT_NE(std::string::npos, RunInProcess({file}).out.find("\033["));
    EXPECT_EQ(std::string::npos,
              RunInProcess({"--color", "never", file}).out.find("\033["));
  }
  ScopedEnv force("CLICOLOR_FORCE", "1");
  ScopedEnv no_color("NO_COLOR", "1");
  EXPECT_EQ(std::string::npos, RunInProcess({file}).out.find("\033["));
  EXPECT_EQ(std::string::npos,
            RunInProcess({"--color", "auto", file}).out.find("\033["));
}

TEST(CliTest, NoColourWhenStdoutIsNotATerminal) {
  ScopedEnv force("CLICOLOR_FORCE", nullptr);
  ScopedEnv force2("FORCE_COLOR", nullptr);
  ScopedEnv no_color("NO_COLOR", nullptr);
  auto r = RunHarden({TestdataDir() + "/example/compose.yaml"});
  EXPECT_EQ(std::string::npos, r.out.find("\033["));
}

// --- Diffs apply -------------------------------------------------------------

TEST(CliTest, PrintedDiffAppliesWithPatchAndGitApply) {
  if (!HaveTools("patch git")) {
    if (std::getenv("CI")) FAIL() << "patch and git are needed in CI";
    GTEST_SKIP() << "patch or git is not installed";
  }
  ScopedTempDir root;
  Put(root, "compose.yaml", Example());
  Put(root, "crlf/docker-compose.yml", Testdata("crlf/input.yaml"));
  Put(root, "tail/compose.yaml", Testdata("no-final-newline/input.yaml"));
  Put(root, "bom/compose.yml", Testdata("bom/input.yaml"));
  Put(root, "deep/er/compose.override.yaml", Testdata("merge-keys/input.yaml"));
  Put(root, "with space/compose.yaml", Example());
  Put(root, "done/compose.yaml", Hardened());
  ScopedTempDir out;
  auto r = RunHarden({"."}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  ASSERT_EQ(6u, DiffedFiles(r.out).size()) << r.out;
  WriteAll(out / "all.diff", r.out);
  for (const char* tool : {"patch -s -p1 <", "git apply"}) {
    ScopedTempDir copy;
    fs::copy(root.path(), copy.path(), fs::copy_options::recursive);
    std::string cmd = "cd '" + copy.path() + "' && " + tool + " '" +
                      (out / "all.diff") + "'";
    ASSERT_EQ(0, std::system(cmd.c_str())) << cmd;
    for (const std::string& f : DiffedFiles(r.out))
      EXPECT_EQ(RunInProcess({"--stdout", root / f}).out, ReadAll(copy / f))
          << tool << " " << f;
  }
}

// A file named through ".." is named from "/" in the diff, as an absolute
// path is: `patch` and `git apply` refuse a path that climbs.
TEST(CliTest, DiffOfAPathThatClimbsAppliesFromTheRoot) {
  if (!HaveTools("patch")) {
    if (std::getenv("CI")) FAIL() << "patch is needed in CI";
    GTEST_SKIP() << "patch is not installed";
  }
  ScopedTempDir root;
  Put(root, "repo/README", "");
  Put(root, "other/compose.yaml", Example());
  const std::string expected =
      RunInProcess({"--stdout", root / "other/compose.yaml"}).out;
  auto r = RunHarden({"../other/compose.yaml"}, root / "repo");
  ASSERT_EQ(0, r.exit_code) << r.err;
  const std::string shown =
      fs::canonical(root.path()).string().substr(1) + "/other/compose.yaml";
  EXPECT_THAT(r.out, HasSubstr("\n--- a/" + shown + "\n+++ b/" + shown + "\n"));
  ScopedTempDir out;
  WriteAll(out / "p.diff", r.out);
  std::string cmd = "cd / && patch -s -p1 < '" + (out / "p.diff") + "'";
  ASSERT_EQ(0, std::system(cmd.c_str())) << cmd;
  EXPECT_EQ(expected, ReadAll(root / "other/compose.yaml"));
}

// --- Standard input ----------------------------------------------------------

TEST(CliTest, DashReadsStandardInput) {
  auto out = RunHarden({"--stdout", "-"}, ".", Example());
  EXPECT_EQ(0, out.exit_code) << out.err;
  EXPECT_EQ(RunInProcess({"--stdout", TestdataDir() + "/example/compose.yaml"}).out,
            out.out);

  auto diff = RunHarden({"-"}, ".", Example());
  EXPECT_EQ(0, diff.exit_code);
  EXPECT_EQ(0u, diff.out.find("diff --git a/- b/-\n--- a/-\n+++ b/-\n"));
  EXPECT_EQ(1, RunHarden({"--check", "-"}, ".", Example()).exit_code);
  EXPECT_EQ(0, RunHarden({"--check", "-"}, ".", Hardened()).exit_code);

  auto broken = RunHarden({"-"}, ".", kBroken);
  EXPECT_EQ(2, broken.exit_code);
  EXPECT_EQ("<stdin>:3:1: error: did not find expected ',' or ']' (while parsing "
            "a flow sequence that starts at 2:8)\n", broken.err);
}

TEST(CliTest, WriteRefusesStandardInput) {
  auto r = RunHarden({"--write", "-"}, ".", Example());
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ("", r.out);
  EXPECT_EQ("harden: error: --write cannot write standard input back; use "
            "--stdout to print the hardened document\n",
            r.err);
}

// --- Usage errors -------------------------------------------------------------

// A report is all a program reads from standard output: nothing else may be
// printed there with it.
TEST(CliTest, ReportFormatsKeepStandardOutputToThemselves) {
  const std::string file = TestdataDir() + "/example/compose.yaml";
  auto explain = RunInProcess({"--format", "json", "--explain", file});
  EXPECT_EQ(2, explain.exit_code);
  EXPECT_EQ("", explain.out);
  EXPECT_EQ("harden: error: --format json prints the report on standard output; "
            "it cannot be combined with --explain\n",
            explain.err);
  auto stdout_too = RunInProcess({"--format", "sarif", "--stdout", file});
  EXPECT_EQ(2, stdout_too.exit_code);
  EXPECT_EQ("harden: error: --format sarif prints the report on standard output; "
            "it cannot be combined with --stdout\n",
            stdout_too.err);
}

// Errors go to stderr in every format, so a job that keeps the report as a
// file still shows in its log why it failed.
TEST(CliTest, ErrorsGoToStandardErrorBesideAReport) {
  ScopedTempDir root;
  Put(root, "bad/compose.yaml", kBroken);
  Put(root, "good/compose.yaml", Example());
  for (const char* format : {"json", "sarif", "github"}) {
    auto r = RunHarden({"--format", format, "."}, root.path());
    EXPECT_EQ(2, r.exit_code) << format;
    EXPECT_EQ("bad/compose.yaml:3:1: error: did not find expected ',' or ']' "
              "(while parsing a flow sequence that starts at 2:8)\n"
              "harden: 2 files scanned, 1 to change, 0 already hardened, 1 "
              "failed; 3 services to harden, 2 findings\n",
              r.err)
        << format;
    EXPECT_NE(std::string::npos, r.out.find("bad/compose.yaml")) << format;
  }
}

TEST(CliTest, JobsMustBeBetweenOneAnd1024) {
  auto zero = RunInProcess({"-j", "0", "compose.yaml"});
  EXPECT_EQ(2, zero.exit_code);
  EXPECT_EQ("harden: error: --jobs: Value 0 not in range 1 to 1024\n"
            "Run 'harden --help' for usage.\n",
            zero.err);
}

// --- harden's own compose.yaml -----------------------------------------------

TEST(CliTest, ProjectComposeFileIsAlreadyHardened) {
  auto r = RunHarden({"compose.yaml"}, HARDEN_SOURCE_DIR);
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("", r.out);
  EXPECT_EQ("", r.err);
  EXPECT_EQ(0, RunHarden({"--check", "compose.yaml"}, HARDEN_SOURCE_DIR).exit_code);
}

// `extends: {file: F, service: S}`: S of F, relative to the Compose file,
// counts as it does for docker compose; F itself is left alone. A file that
// cannot be read, or lacks the service, is advice that says why.
TEST(CliTest, ExtendsReadsTheServiceOfTheOtherFile) {
  ScopedTempDir root;
  const std::string common =
      "services:\n"
      "  web-base:\n"
      "    image: example/app\n"
      "    user: root\n"
      "    read_only: false\n"
      "  cached:\n"
      "    extends: web-base\n"
      "    volumes:\n"
      "      - ./cache:/tmp\n";
  Put(root, "stack/common.yml", common);
  Put(root, "stack/compose.yaml",
      "services:\n"
      "  web:\n"
      "    extends:\n"
      "      file: common.yml\n"
      "      service: cached\n"
      "  lost:\n"
      "    extends: {file: missing.yml, service: x}\n"
      "    image: example/app\n");
  auto r = RunHarden({"--write", "stack/compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(
      "services:\n"
      "  web:\n"
      "    extends:\n"
      "      file: common.yml\n"
      "      service: cached\n"
      "    cap_drop:\n"
      "      - ALL\n"
      "    security_opt:\n"
      "      - no-new-privileges:true\n"
      "  lost:\n"
      "    extends: {file: missing.yml, service: x}\n"
      "    image: example/app\n"
      "    user: \"1000:1000\"\n"
      "    cap_drop:\n"
      "      - ALL\n"
      "    security_opt:\n"
      "      - no-new-privileges:true\n"
      "    read_only: true\n"
      "    tmpfs:\n"
      "      - /tmp\n",
      ReadAll(root / "stack/compose.yaml"));
  EXPECT_EQ(common, ReadAll(root / "stack/common.yml"));
  auto explain = RunHarden({"--explain", "stack/compose.yaml"}, root.path());
  EXPECT_THAT(explain.out,
              HasSubstr("keep user root: service \"cached\" of common.yml, "
                        "which this one extends, sets user \"root\" "
                        "explicitly"));
  EXPECT_THAT(explain.out,
              HasSubstr("skip tmpfs /tmp: a volume of service \"cached\" of "
                        "common.yml, which this one extends, already mounts "
                        "/tmp"));
  EXPECT_THAT(explain.out,
              HasSubstr("extends service \"x\" of missing.yml (cannot read "
                        "file: No such file or directory), which harden could "
                        "not read"));
}

// docker compose includes the files that either of a folder's pair
// includes, once it has merged the two: a service of the base file that
// mounts the volumes of a service such a file defines gets no tmpfs where
// that one mounts a volume. An include that cannot be read adds nothing.
TEST(CliTest, IncludesOfTheOverrideFileCountForVolumesFrom) {
  ScopedTempDir root;
  Put(root, "stack/compose.yaml",
      "services:\n"
      "  app:\n"
      "    image: example/app\n"
      "    volumes_from: [data]\n");
  Put(root, "stack/compose.override.yaml",
      "include:\n"
      "  - missing.yaml\n"
      "  - path: shared/data.yaml\n"
      "services:\n"
      "  app:\n"
      "    environment: [DEBUG=1]\n");
  Put(root, "stack/shared/data.yaml",
      "services:\n"
      "  data:\n"
      "    image: busybox\n"
      "    volumes:\n"
      "      - scratch:/tmp\n"
      "volumes:\n"
      "  scratch:\n");
  auto r = RunHarden({"--explain", "stack/compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("skip tmpfs /tmp: service \"data\", whose volumes "
                        "this one mounts (volumes_from), mounts a volume at "
                        "/tmp (in shared/data.yaml): a tmpfs would hide it"));
  EXPECT_THAT(r.out, Not(HasSubstr("volumes-from-unknown")));
}

// The other file may extend a service of a third, relative to its own
// folder, as Compose reads it: what that one sets counts too. What cannot
// be read at any hop is advice that names the whole way there.
TEST(CliTest, ExtendsFollowsTheFilesTheOtherFileExtends) {
  ScopedTempDir root;
  Put(root, "stack/base/db.yml",
      "services:\n"
      "  base:\n"
      "    image: example/app\n"
      "    user: root\n"
      "    volumes:\n"
      "      - data:/tmp\n");
  Put(root, "stack/shared/common.yml",
      "services:\n"
      "  app:\n"
      "    extends: {file: ../base/db.yml, service: base}\n"
      "  app-cached:\n"
      "    extends: app\n"
      "  gone:\n"
      "    extends: {file: nowhere.yml, service: x}\n"
      "  a:\n"
      "    extends: {file: loop.yml, service: b}\n"
      "  c:\n"
      "    extends: {file: loop.yml, service: d}\n"
      "  e:\n"
      "    user: root\n");
  Put(root, "stack/shared/loop.yml",
      "services:\n"
      "  b:\n"
      "    extends: {file: ./common.yml, service: a}\n"
      "  d:\n"
      "    extends: {file: common.yml, service: e}\n");
  const std::string hardened =
      "services:\n"
      "  web:\n"
      "    extends: {file: shared/common.yml, service: app-cached}\n"
      "    cap_drop:\n"
      "      - ALL\n"
      "    security_opt:\n"
      "      - no-new-privileges:true\n"
      "    read_only: true\n";
  Put(root, "stack/compose.yaml",
      "services:\n"
      "  web:\n"
      "    extends: {file: shared/common.yml, service: app-cached}\n"
      "  lost:\n"
      "    extends: {file: shared/common.yml, service: gone}\n"
      "  looped:\n"
      "    extends: {file: shared/common.yml, service: a}\n"
      "  mutual:\n"
      "    extends: {file: shared/common.yml, service: c}\n"
      "  lost-too:\n"
      "    extends: lost\n");
  auto r = RunHarden({"--explain", "stack/compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("keep user root: service \"app-cached\" of "
                        "shared/common.yml, which this one extends, sets user "
                        "\"root\" explicitly"));
  EXPECT_THAT(r.out,
              HasSubstr("skip tmpfs /tmp: a volume of service \"app-cached\" "
                        "of shared/common.yml, which this one extends, "
                        "already mounts /tmp"));
  EXPECT_THAT(r.out,
              HasSubstr("extends service \"gone\" of shared/common.yml, which "
                        "extends service \"x\" of nowhere.yml (cannot read "
                        "file: No such file or directory), which harden could "
                        "not read"));
  EXPECT_THAT(r.out,
              HasSubstr("extends service \"a\" of shared/common.yml, which "
                        "extends service \"b\" of loop.yml, which extends "
                        "service \"a\" of ./common.yml (./common.yml:8:3: "
                        "service \"a\" is part of a cycle of extends), which "
                        "harden could not read"));
  // A service that extends one of its own file inherits what that one
  // could not read.
  EXPECT_THAT(r.out,
              HasSubstr("extends service \"lost\", which extends service "
                        "\"gone\" of shared/common.yml, which extends service "
                        "\"x\" of nowhere.yml (cannot read file: No such file "
                        "or directory), which harden could not read"));
  // Two files may extend each other's services; only services make a
  // cycle.
  EXPECT_THAT(r.out,
              HasSubstr("service \"mutual\"\n  keep user root: service \"c\" "
                        "of shared/common.yml, which this one extends, sets "
                        "user \"root\" explicitly"));
  r = RunHarden({"--write", "stack/compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_THAT(ReadAll(root / "stack/compose.yaml"), StartsWith(hardened));
}

// The other file is input too: invalid YAML there is advice with its place,
// and a cycle of `extends` in it (which Compose rejects) is advice too, not
// followed forever.
TEST(CliTest, ExtendsOfABrokenOrCyclicFileIsAdvice) {
  ScopedTempDir root;
  Put(root, "bad.yml", "services:\n  a: [unclosed\n");
  Put(root, "cycle.yml",
      "services:\n  a:\n    extends: b\n    user: root\n"
      "  b:\n    extends: a\n");
  Put(root, "compose.yaml",
      "services:\n"
      "  one:\n    extends: {file: bad.yml, service: a}\n"
      "  two:\n    extends: {file: cycle.yml, service: b}\n");
  auto r = RunHarden({"--explain", "compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_THAT(r.out, HasSubstr("extends service \"a\" of bad.yml (bad.yml:3:1: "
                               "did not find expected ',' or ']'"));
  EXPECT_THAT(r.out, HasSubstr("service \"two\"\n  add  user 1000:1000"));
  EXPECT_THAT(r.out, HasSubstr("extends service \"b\" of cycle.yml "
                               "(cycle.yml:5:3: service \"b\" is part of a "
                               "cycle of extends)"));

  // A FIFO named as the file would wait for a writer forever: refused
  // unopened.
  ASSERT_EQ(0, mkfifo((root / "pipe.yml").c_str(), 0600));
  Put(root, "compose.yaml",
      "services:\n  one:\n    extends: {file: pipe.yml, service: a}\n");
  r = RunHarden({"--explain", "compose.yaml"}, root.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_THAT(r.out, HasSubstr("extends service \"a\" of pipe.yml (not a "
                               "regular file)"));

  // A chain deeper than harden follows (its memory would grow with the
  // square of its length) is advice too; a service part of the way down
  // it, within the limit, is read. In either order: what was read for s60
  // does not carry s70's chain past the limit (one service at a time, each
  // holding all it inherits, a chain of 20,000 took 24 GB).
  std::string chain =
      "services:\n  s0:\n    image: example/app\n    user: root\n";
  for (int i = 1; i <= 70; ++i)
    chain += "  s" + std::to_string(i) + ":\n    extends: s" +
             std::to_string(i - 1) + "\n";
  Put(root, "chain.yml", chain);
  const std::string one = "  one:\n    extends: {file: chain.yml, service: s70}\n";
  const std::string two = "  two:\n    extends: {file: chain.yml, service: s60}\n";
  for (const std::string& services : {one + two, two + one}) {
    Put(root, "compose.yaml", "services:\n" + services);
    r = RunHarden({"--explain", "compose.yaml"}, root.path());
    ASSERT_EQ(0, r.exit_code) << r.err;
    EXPECT_THAT(r.out,
                HasSubstr("extends service \"s70\" of chain.yml "
                          "(chain.yml:15:3: the chain of extends goes on "
                          "past 64 services here; harden follows 64)"))
        << services;
    EXPECT_THAT(r.out, HasSubstr("service \"two\"\n  keep user root"));
  }
}

}  // namespace
