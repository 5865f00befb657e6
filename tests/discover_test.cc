// Which files a run covers: Compose file names, path cleaning, the directory
// walk (skipped folders, globs, symlinks) and docker compose's default file.
#include "harden/discover.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "test_util.h"

namespace fs = std::filesystem;
using harden::CleanPath;
using harden::DefaultComposeFile;
using harden::Diagnostic;
using harden::DiscoverFiles;
using harden::DiscoverOptions;
using harden::IsComposeFileName;
using harden_test::ScopedTempDir;
using harden_test::WriteAll;

namespace {

// Creates `rel` (and its directories) under `root`.
void Touch(const ScopedTempDir& root, const std::string& rel) {
  fs::path p = fs::path(root.path()) / rel;
  fs::create_directories(p.parent_path());
  WriteAll(p.string(), "services: {}\n");
}

// DiscoverFiles on one path, relative to `root`, with no errors expected.
std::vector<std::string> Discover(const ScopedTempDir& root,
                                  const DiscoverOptions& options = {}) {
  std::vector<Diagnostic> errors;
  std::string cwd = fs::current_path().string();
  fs::current_path(root.path());
  std::vector<std::string> files = DiscoverFiles({"."}, options, &errors);
  fs::current_path(cwd);
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: "
                              << (errors.empty() ? "" : errors[0].message);
  return files;
}

TEST(DiscoverTest, RecognisesComposeFileNames) {
  for (const char* n :
       {"compose.yaml", "compose.yml", "docker-compose.yaml",
        "docker-compose.yml", "compose.override.yaml", "compose.prod.yml",
        "docker-compose.override.yml", "docker-compose.ci-test.yaml"})
    EXPECT_TRUE(IsComposeFileName(n, {})) << n;
  for (const char* n : {"compose.json", "mycompose.yaml", "stack.yml",
                        "docker-compose.yaml.bak", "Compose.yaml"})
    EXPECT_FALSE(IsComposeFileName(n, {})) << n;
  EXPECT_TRUE(IsComposeFileName("stack.prod.yml", {"stack*.yml"}));
}

TEST(DiscoverTest, CleanPathDropsDotSegmentsAndRepeatedSlashes) {
  EXPECT_EQ("a/b/compose.yaml", CleanPath("./a//b/./compose.yaml"));
  EXPECT_EQ("/srv/compose.yaml", CleanPath("//srv/./compose.yaml"));
  EXPECT_EQ(".", CleanPath("./"));
  EXPECT_EQ("-", CleanPath("-"));
  // ".." stays: "a/.." is not "." when a is a symlink.
  EXPECT_EQ("a/../compose.yaml", CleanPath("a/../compose.yaml"));
  EXPECT_EQ("../x", CleanPath("../x/"));
}

TEST(DiscoverTest, WalkSkipsVcsDependencyAndVendorFolders) {
  ScopedTempDir root;
  for (const char* f :
       {"compose.yaml", "app/docker-compose.yml", "app/compose.prod.yaml",
        ".git/compose.yaml", "web/node_modules/pkg/compose.yaml",
        "vendor/compose.yaml", "app/vendor/docker-compose.yml",
        "notes.yaml", "app/other.yml"})
    Touch(root, f);
  EXPECT_EQ((std::vector<std::string>{"app/compose.prod.yaml",
                                      "app/docker-compose.yml",
                                      "compose.yaml"}),
            Discover(root));
}

TEST(DiscoverTest, IncludeAndExcludeGlobs) {
  ScopedTempDir root;
  for (const char* f : {"compose.yaml", "stack.prod.yml", "legacy/compose.yaml",
                        "apps/a/compose.yaml", "apps/b/compose.yaml",
                        "apps/b/compose.test.yaml"})
    Touch(root, f);
  DiscoverOptions o;
  o.include = {"stack.*.yml"};
  o.exclude = {"legacy", "*.test.yaml", "apps/a/*"};
  EXPECT_EQ((std::vector<std::string>{"apps/b/compose.yaml", "compose.yaml",
                                      "stack.prod.yml"}),
            Discover(root, o));
}

TEST(DiscoverTest, ExcludeMatchesBelowTheNamedDirectory) {
  ScopedTempDir root;
  Touch(root, "repo/legacy/compose.yaml");
  Touch(root, "repo/new/compose.yaml");
  std::vector<Diagnostic> errors;
  DiscoverOptions o;
  o.exclude = {"legacy/compose.yaml"};
  EXPECT_EQ(std::vector<std::string>{root / "repo/new/compose.yaml"},
            DiscoverFiles({root / "repo"}, o, &errors));
}

TEST(DiscoverTest, NamedFileIsAlwaysKept) {
  ScopedTempDir root;
  Touch(root, "deploy.yaml");
  std::vector<Diagnostic> errors;
  DiscoverOptions o;
  o.exclude = {"*.yaml"};
  std::string named = root.path() + "/./deploy.yaml";
  EXPECT_EQ(std::vector<std::string>{root / "deploy.yaml"},
            DiscoverFiles({named, named}, o, &errors));
  // A missing file is kept too: reading it reports the error.
  EXPECT_EQ(std::vector<std::string>{"missing.yaml"},
            DiscoverFiles({"missing.yaml"}, o, &errors));
  EXPECT_TRUE(errors.empty());
}

// Verifies that a file reached through a symlink and its own path is listed
// once, under the path that is not a symlink, and that dangling links and
// symlinked directories are not followed.
TEST(DiscoverTest, WalkListsEachFileOnce) {
  ScopedTempDir root;
  Touch(root, "real/docker-compose.yml");
  ASSERT_EQ(0, symlink("real/docker-compose.yml",
                       (root / "compose.yaml").c_str()));
  ASSERT_EQ(0, symlink("nowhere.yaml", (root / "docker-compose.yml").c_str()));
  ASSERT_EQ(0, symlink("real", (root / "linked").c_str()));
  EXPECT_EQ(std::vector<std::string>{"real/docker-compose.yml"},
            Discover(root));
}

TEST(DiscoverTest, SymlinkToAFileOutsideTheTreeIsKept) {
  ScopedTempDir root, other;
  Touch(other, "base.yaml");
  Touch(root, "app/keep.txt");
  ASSERT_EQ(0, symlink((other / "base.yaml").c_str(),
                       (root / "app/compose.yaml").c_str()));
  EXPECT_EQ(std::vector<std::string>{"app/compose.yaml"}, Discover(root));
}

TEST(DiscoverTest, UnreadableDirectoryIsAnErrorAndTheWalkGoesOn) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every directory (see "
                                      "PermissionTest in bad_input_test.cc)";
  ScopedTempDir root;
  Touch(root, "compose.yaml");
  Touch(root, "locked/compose.yaml");
  Touch(root, "z/compose.yaml");
  ASSERT_EQ(0, chmod((root / "locked").c_str(), 0));
  std::vector<Diagnostic> errors;
  std::vector<std::string> files =
      DiscoverFiles({root.path()}, DiscoverOptions(), &errors);
  chmod((root / "locked").c_str(), 0755);
  EXPECT_EQ((std::vector<std::string>{root / "compose.yaml",
                                      root / "z/compose.yaml"}),
            files);
  ASSERT_EQ(1u, errors.size());
  EXPECT_EQ(root / "locked", errors[0].path);
  EXPECT_EQ("cannot read directory: Permission denied", errors[0].message);
}

// The pair docker compose reads with no -f: the folder's Compose file it
// picks, and the first override file (compose-go's order).
TEST(DiscoverTest, MergedWithPairsTheDefaultFileAndItsOverride) {
  using harden::MergedWith;
  using Role = harden::Pairing::Role;
  ScopedTempDir root;
  Touch(root, "a/compose.yaml");
  Touch(root, "a/docker-compose.yml");  // not picked: compose.yaml wins
  Touch(root, "a/compose.override.yaml");
  Touch(root, "a/docker-compose.override.yml");  // not picked either
  Touch(root, "a/compose.prod.yaml");
  EXPECT_EQ(Role::kBase, MergedWith(root / "a/compose.yaml").role);
  EXPECT_EQ(root / "a/compose.override.yaml",
            MergedWith(root / "a/compose.yaml").other);
  EXPECT_EQ(Role::kOverride, MergedWith(root / "a/compose.override.yaml").role);
  EXPECT_EQ(root / "a/compose.yaml",
            MergedWith(root / "a/compose.override.yaml").other);
  for (const char* alone : {"a/docker-compose.yml", "a/docker-compose.override.yml",
                            "a/compose.prod.yaml"})
    EXPECT_EQ(Role::kNone, MergedWith(root / alone).role) << alone;

  Touch(root, "b/compose.override.yml");  // an override with no base
  EXPECT_EQ(Role::kNone, MergedWith(root / "b/compose.override.yml").role);
  Touch(root, "c/compose.yaml");  // a base with no override
  EXPECT_EQ(Role::kNone, MergedWith(root / "c/compose.yaml").role);
  Touch(root, "d/docker-compose.yaml");
  Touch(root, "d/compose.override.yml");
  Touch(root, "d/compose.override.yaml");  // .yml is first
  EXPECT_EQ(root / "d/compose.override.yml",
            MergedWith(root / "d/docker-compose.yaml").other);

  // Relative paths keep their form.
  std::string cwd = fs::current_path().string();
  fs::current_path(root / "a");
  EXPECT_EQ("compose.override.yaml", MergedWith("compose.yaml").other);
  fs::current_path(root.path());
  EXPECT_EQ("a/compose.yaml", MergedWith("a/compose.override.yaml").other);
  fs::current_path(cwd);
}

TEST(DiscoverTest, DefaultComposeFileFollowsDockerComposeOrder) {
  ScopedTempDir root;
  EXPECT_EQ("", DefaultComposeFile(root.path()));
  // compose-go's order: docker-compose.yml before docker-compose.yaml.
  Touch(root, "docker-compose.yaml");
  EXPECT_EQ(root / "docker-compose.yaml", DefaultComposeFile(root.path()));
  Touch(root, "docker-compose.yml");
  EXPECT_EQ(root / "docker-compose.yml", DefaultComposeFile(root.path()));
  Touch(root, "compose.yml");
  EXPECT_EQ(root / "compose.yml", DefaultComposeFile(root.path()));
  Touch(root, "compose.yaml");
  EXPECT_EQ(root / "compose.yaml", DefaultComposeFile(root.path()));
}

}  // namespace
