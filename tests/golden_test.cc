// Golden cases: testdata/<case>/input.yaml hardened must give exactly
// expected.yaml, and hardening expected.yaml again must change nothing.
// A case may hold `args` (extra command-line arguments, one per line, e.g.
// a baseline) and `explain.txt` (the expected --explain output).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace fs = std::filesystem;
using harden_test::ReadAll;
using harden_test::RunInProcess;
using harden_test::TestdataDir;

namespace {

// Case folders under testdata/ that hold `file`.
std::vector<std::string> Cases(const char* file) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(TestdataDir()))
    if (fs::exists(e.path() / file))
      out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Args(const fs::path& dir) {
  std::vector<std::string> args;
  if (!fs::exists(dir / "args")) return args;
  std::ifstream in(dir / "args");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) args.push_back(line);
  return args;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, HardensToExpected) {
  fs::path dir = fs::path(TestdataDir()) / GetParam();
  std::vector<std::string> args = Args(dir);
  args.push_back("--stdout");
  args.push_back((dir / "input.yaml").string());
  auto r = RunInProcess(args);
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(ReadAll((dir / "expected.yaml").string()), r.out);
}

TEST_P(GoldenTest, ExpectedIsAlreadyHardened) {
  fs::path dir = fs::path(TestdataDir()) / GetParam();
  std::vector<std::string> args = Args(dir);
  args.push_back("--stdout");
  args.push_back((dir / "expected.yaml").string());
  auto r = RunInProcess(args);
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(ReadAll((dir / "expected.yaml").string()), r.out);
}

class ExplainTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExplainTest, ExplainsAsExpected) {
  fs::path dir = fs::path(TestdataDir()) / GetParam();
  std::vector<std::string> args = Args(dir);
  args.push_back("--explain");
  args.push_back("input.yaml");
  fs::path cwd = fs::current_path();
  fs::current_path(dir);
  auto r = RunInProcess(args);
  fs::current_path(cwd);
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(ReadAll((dir / "explain.txt").string()), r.out);
}

std::string Name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Testdata, GoldenTest,
                         ::testing::ValuesIn(Cases("expected.yaml")), Name);
INSTANTIATE_TEST_SUITE_P(Testdata, ExplainTest,
                         ::testing::ValuesIn(Cases("explain.txt")), Name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ExplainTest);

}  // namespace

namespace {

// docker compose reads a folder's compose.yaml merged with its
// compose.override.yaml (testdata/override-pair). The base file is hardened
// for the merged services, keeping the explicit choices of either file
// (a user, read_only: false, an opt-out, an image that only the override
// names) and mounting no tmpfs over a volume of the other, also where a
// service mounts it through volumes_from of a service of either; the override
// file is hardened only for the service it alone defines. The merged
// configuration is judged by docker-compose itself.
TEST(OverridePairTest, HardensWhatDockerComposeMerges) {
  const fs::path dir = fs::path(TestdataDir()) / "override-pair";
  harden_test::ScopedTempDir tmp;
  for (const char* f : {"compose.yaml", "compose.override.yaml"})
    fs::copy_file(dir / f, fs::path(tmp.path()) / f);
  auto r = harden_test::RunHarden({"--write", "."}, tmp.path());
  ASSERT_EQ(0, r.exit_code) << r.err;
  for (const char* f : {"compose.yaml", "compose.override.yaml"})
    EXPECT_EQ(ReadAll((dir / "expected" / f).string()), ReadAll(tmp / f)) << f;
  EXPECT_EQ(0, harden_test::RunHarden({"--check", "."}, tmp.path()).exit_code);

  if (std::system("command -v docker-compose >/dev/null") != 0) {
    if (std::getenv("CI")) FAIL() << "docker-compose is needed in CI";
    GTEST_SKIP() << "docker-compose is not installed";
  }
  fs::create_directories(tmp / "db");  // the build context
  const std::string merged = tmp / "merged.yaml";
  const std::string cmd = "cd '" + tmp.path() +
                          "' && docker-compose config > merged.yaml 2>&1";
  ASSERT_EQ(0, std::system(cmd.c_str())) << ReadAll(merged);
  std::string text = ReadAll(merged);
  for (size_t at; (at = text.find(tmp.path())) != std::string::npos;)
    text.replace(at, tmp.path().size(), "{DIR}");
  EXPECT_EQ(ReadAll((dir / "expected/merged.yaml").string()), text);
}

// Services that share settings or volumes with another of the same file,
// and docker-compose judges the result as it resolves them:
// - extends-explicit: the user and read_only: false that the base chose
//   explicitly stay in force for its extenders, and an extender's own
//   read_only: true gets the tmpfs its image needs;
// - extends-volume: where an extender mounts a volume, the base gets no
//   tmpfs (Compose appends the base's tmpfs to the extender's, and Docker
//   refuses a tmpfs and a volume at one path);
// - volumes-from: no tmpfs where a service mounts the volumes of another
//   (at any depth), nor on the service such a one extends.
class ComposeConfigTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ComposeConfigTest, DockerComposeReadsTheHardenedServices) {
  const fs::path dir = fs::path(TestdataDir()) / GetParam();
  if (std::system("command -v docker-compose >/dev/null") != 0) {
    if (std::getenv("CI")) FAIL() << "docker-compose is needed in CI";
    GTEST_SKIP() << "docker-compose is not installed";
  }
  harden_test::ScopedTempDir tmp;
  fs::copy_file(dir / "expected.yaml", fs::path(tmp.path()) / "compose.yaml");
  const std::string merged = tmp / "merged.yaml";
  const std::string cmd = "cd '" + tmp.path() +
                          "' && docker-compose config > merged.yaml 2>&1";
  ASSERT_EQ(0, std::system(cmd.c_str())) << ReadAll(merged);
  EXPECT_EQ(ReadAll((dir / "merged.yaml").string()), ReadAll(merged));
}

INSTANTIATE_TEST_SUITE_P(Testdata, ComposeConfigTest,
                         ::testing::Values("extends-explicit",
                                           "extends-volume", "volumes-from"),
                         Name);

TEST(StrictBaselineTest, CheckFailsOnFindingsEvenWhenHardened) {
  fs::path dir = fs::path(TestdataDir()) / "baseline-strict";
  auto r = RunInProcess({"--baseline", "strict", "--check",
                         (dir / "expected.yaml").string()});
  EXPECT_EQ(1, r.exit_code);
  EXPECT_EQ("", r.out);
  // Nothing would change, so the findings are the reason, and say so.
  const std::string file = (dir / "expected.yaml").string();
  EXPECT_EQ(file + ":4: finding [cap-add-not-allowed]: service \"app\": cap_add "
                   "SYS_ADMIN is not allowed by baseline \"strict\" (allowed: "
                   "NET_BIND_SERVICE)\n" +
                file + ":4: finding [runs-as-root]: service \"app\": the "
                       "service runs as root: it adds SYS_ADMIN, which only a "
                       "root process holds\n",
            r.err);
  r = RunInProcess({"--check", (dir / "expected.yaml").string()});
  EXPECT_EQ(0, r.exit_code) << "the default baseline reports, never fails";
}

}  // namespace
