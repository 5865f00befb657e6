// Reading and the atomic write. The write's promise is checked with the fault
// hook: whatever fails, every file is afterwards exactly its old or exactly
// its new version, and on the normal error paths no temporary file
// (.NAME.harden-XXXXXX) is left behind.
#include "harden/file_io.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace fs = std::filesystem;
using harden_test::ReadAll;
using harden_test::RunInProcess;
using harden_test::RunResult;
using harden_test::ScopedTempDir;
using harden_test::WriteAll;

namespace harden {
namespace {

constexpr const char kOld[] = "services:\n  web:\n    image: nginx\n";
constexpr const char kNew[] = "services:\n  web:\n    image: nginx\n    read_only: true\n";

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The temporary files a write left in `dir`.
std::vector<std::string> Leftovers(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& n : Names(dir))
    if (n.find(".harden-") != std::string::npos) out.push_back(n);
  return out;
}

class FileIoTest : public ::testing::Test {
 protected:
  void TearDown() override { SetWriteFaultForTesting(WriteFault::kNone); }
  ScopedTempDir dir_;
};

// ------------------------------------------------------------------ reading

TEST_F(FileIoTest, ReadsBytesExactly) {
  std::string bytes("a\r\nb\0c\xff", 7);
  WriteAll(dir_ / "f", bytes);
  auto r = ReadFile(dir_ / "f");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(bytes, r.value());
}

TEST_F(FileIoTest, ReadsFileOfExactlyTheLimit) {
  int fd = open((dir_ / "f").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(0, ftruncate(fd, kMaxFileSize));
  close(fd);
  auto r = ReadFile(dir_ / "f");
  ASSERT_TRUE(r.ok()) << FormatDiagnostic(r.error());
  EXPECT_EQ(kMaxFileSize, r->size());
}

TEST_F(FileIoTest, RefusesFileOverTheLimitWithoutReadingIt) {
  int fd = open((dir_ / "f").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(0, ftruncate(fd, off_t{1} << 40));  // 1 TiB, sparse
  close(fd);
  auto r = ReadFile(dir_ / "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(dir_.path() + "/f: error: file is 1048576 MiB, over the 64 MiB "
                          "limit",
            FormatDiagnostic(r.error()));
}

TEST_F(FileIoTest, RefusesDirectory) {
  auto r = ReadFile(dir_.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(dir_.path() + ": error: is a directory, not a Compose file",
            FormatDiagnostic(r.error()));
}

// Standard input is read like a file, with the same errors: a directory
// given as stdin is one, not an empty document.
TEST_F(FileIoTest, StandardInputIsReadLikeAFile) {
  WriteAll(dir_ / "c.yaml", kNew);
  const int saved = dup(0);
  const int file = open((dir_ / "c.yaml").c_str(), O_RDONLY);
  dup2(file, 0);
  auto text = ReadFile("-");
  const int folder = open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY);
  dup2(folder, 0);
  auto error = ReadFile("-");
  dup2(saved, 0);
  for (int fd : {saved, file, folder}) close(fd);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(kNew, text.value());
  ASSERT_FALSE(error.ok());
  EXPECT_EQ("is a directory, not a Compose file", error.error().message);
}

TEST_F(FileIoTest, MissingFileNamesTheCause) {
  auto r = ReadFile(dir_ / "none");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(dir_.path() + "/none: error: cannot read file: No such file or "
                          "directory",
            FormatDiagnostic(r.error()));
}

// ------------------------------------------------------------------ writing

TEST_F(FileIoTest, WriteReplacesContentAndKeepsMode) {
  WriteAll(dir_ / "c.yaml", kOld);
  ASSERT_EQ(0, chmod((dir_ / "c.yaml").c_str(), 0640));
  EXPECT_EQ(std::nullopt, WriteFileAtomic(dir_ / "c.yaml", kNew));
  EXPECT_EQ(kNew, ReadAll(dir_ / "c.yaml"));
  struct stat st;
  ASSERT_EQ(0, stat((dir_ / "c.yaml").c_str(), &st));
  EXPECT_EQ(0640u, st.st_mode & 07777);
  EXPECT_EQ(std::vector<std::string>{"c.yaml"}, Names(dir_.path()));
}

TEST_F(FileIoTest, WriteThroughSymlinkUpdatesTargetAndKeepsLink) {
  fs::create_directories(dir_ / "real");
  WriteAll(dir_ / "real/c.yaml", kOld);
  fs::create_symlink("real/c.yaml", dir_ / "link.yaml");
  EXPECT_EQ(std::nullopt, WriteFileAtomic(dir_ / "link.yaml", kNew));
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.yaml"));
  EXPECT_EQ(kNew, ReadAll(dir_ / "real/c.yaml"));
  EXPECT_EQ(std::vector<std::string>{"c.yaml"}, Names(dir_ / "real"));
}

// A FIFO (or a device) read as a Compose file is never replaced by a
// regular file, nor is a symlink that leads to no file that has a name.
TEST_F(FileIoTest, WriteRefusesWhatIsNotARegularFile) {
  ASSERT_EQ(0, mkfifo((dir_ / "pipe.yaml").c_str(), 0644));
  auto err = WriteFileAtomic(dir_ / "pipe.yaml", kNew);
  ASSERT_TRUE(err);
  EXPECT_EQ(dir_ / "pipe.yaml", err->path);
  EXPECT_EQ("not a regular file; --write replaces only regular files",
            err->message);
  struct stat st;
  ASSERT_EQ(0, lstat((dir_ / "pipe.yaml").c_str(), &st));
  EXPECT_TRUE(S_ISFIFO(st.st_mode));

  ASSERT_EQ(0, symlink("/proc/self/fd/0", (dir_ / "stdin.yaml").c_str()));
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  const int saved = dup(0);
  dup2(fds[0], 0);  // fd 0 is now a pipe: the link resolves to no name
  err = WriteFileAtomic(dir_ / "stdin.yaml", kNew);
  dup2(saved, 0);
  close(saved);
  close(fds[0]);
  close(fds[1]);
  ASSERT_TRUE(err);
  EXPECT_EQ(0u, err->message.find("cannot resolve the symlink to write: "))
      << err->message;
  ASSERT_EQ(0, lstat((dir_ / "stdin.yaml").c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ((std::vector<std::string>{"pipe.yaml", "stdin.yaml"}),
            Names(dir_.path()));
}

TEST_F(FileIoTest, WriteToVanishedFileFailsWithoutCreatingIt) {
  auto err = WriteFileAtomic(dir_ / "gone.yaml", kNew);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(dir_.path() + "/gone.yaml: error: cannot write file: No such file "
                          "or directory",
            FormatDiagnostic(*err));
  EXPECT_TRUE(Names(dir_.path()).empty());
}

// ------------------------------------------------------ faults while writing

TEST_F(FileIoTest, FailedWriteKeepsOriginalAndRemovesTemporaryFile) {
  WriteAll(dir_ / "c.yaml", kOld);
  SetWriteFaultForTesting(WriteFault::kWrite);
  auto err = WriteFileAtomic(dir_ / "c.yaml", kNew);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(dir_.path() +
                "/c.yaml: error: cannot write file: No space left on device",
            FormatDiagnostic(*err));
  EXPECT_EQ(kOld, ReadAll(dir_ / "c.yaml"));
  EXPECT_TRUE(Leftovers(dir_.path()).empty());
}

TEST_F(FileIoTest, CrashBeforeRenameLeavesOldFileAndCompleteNewCopy) {
  // Verifies the order of the steps: when the process dies after writing the
  // temporary file, the original is untouched and the temporary file holds
  // the complete new text (it was flushed before the rename would have been).
  WriteAll(dir_ / "c.yaml", kOld);
  SetWriteFaultForTesting(WriteFault::kBeforeRename);
  EXPECT_EQ(std::nullopt, WriteFileAtomic(dir_ / "c.yaml", kNew));
  EXPECT_EQ(kOld, ReadAll(dir_ / "c.yaml"));
  std::vector<std::string> left = Leftovers(dir_.path());
  ASSERT_EQ(1u, left.size());
  EXPECT_EQ(0u, left[0].find(".c.yaml.harden-")) << left[0];
  EXPECT_EQ(kNew, ReadAll(dir_ / left[0]));
}

TEST_F(FileIoTest, BatchReplacesEveryFileAtCommitAndReportsByTicket) {
  WriteBatch batch;
  for (int i = 0; i < 3; ++i) {
    WriteAll(dir_ / ("f" + std::to_string(i)), kOld);
    auto ticket = batch.Stage(dir_ / ("f" + std::to_string(i)),
                              kNew + std::to_string(i));
    ASSERT_TRUE(ticket.ok());
    EXPECT_EQ(static_cast<size_t>(i), ticket.value());
  }
  EXPECT_EQ(3u, batch.files());
  // Staged is not yet written.
  EXPECT_EQ(kOld, ReadAll(dir_ / "f1"));
  std::vector<WriteBatch::Result> results = batch.Commit();
  ASSERT_EQ(3u, results.size());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(i, results[i].first);
    EXPECT_FALSE(results[i].second);
    EXPECT_EQ(kNew + std::to_string(i), ReadAll(dir_ / ("f" + std::to_string(i))));
  }
  EXPECT_TRUE(Leftovers(dir_.path()).empty());
  // Tickets go on counting after a commit.
  auto next = batch.Stage(dir_ / "f0", kOld);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(3u, next.value());
}

TEST_F(FileIoTest, BatchCommittedByManyThreadsFailsOnlyTheFileThatFails) {
  constexpr int kFiles = 40, kBad = 17;
  WriteBatch batch;
  for (int i = 0; i < kFiles; ++i) {
    WriteAll(dir_ / ("f" + std::to_string(i)), kOld);
    ASSERT_TRUE(batch.Stage(dir_ / ("f" + std::to_string(i)),
                            kNew + std::to_string(i))
                    .ok());
  }
  // Between staging and commit, one target becomes a directory.
  const std::string bad = dir_ / ("f" + std::to_string(kBad));
  fs::remove(bad);
  fs::create_directories(bad + "/sub");
  std::vector<WriteBatch::Result> results = batch.Commit(4);
  ASSERT_EQ(static_cast<size_t>(kFiles), results.size());
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(static_cast<size_t>(i), results[i].first);
    if (i == kBad) {
      ASSERT_TRUE(results[i].second);
      EXPECT_EQ(bad, results[i].second->path);
      EXPECT_EQ(0u, results[i].second->message.find("cannot replace file: "))
          << results[i].second->message;
      continue;
    }
    EXPECT_FALSE(results[i].second) << i;
    EXPECT_EQ(kNew + std::to_string(i), ReadAll(dir_ / ("f" + std::to_string(i))));
  }
  EXPECT_TRUE(Leftovers(dir_.path()).empty());
}

TEST_F(FileIoTest, BatchNamesItsFilesThroughProcWhereTheKernelRefusesByFd) {
  SetWriteFaultForTesting(WriteFault::kNoLinkByFd);
  WriteBatch batch;
  for (const char* f : {"a.yaml", "b.yaml"}) {
    WriteAll(dir_ / f, kOld);
    ASSERT_TRUE(batch.Stage(dir_ / f, std::string(kNew) + f).ok());
  }
  for (const WriteBatch::Result& r : batch.Commit()) EXPECT_FALSE(r.second);
  EXPECT_EQ(std::string(kNew) + "a.yaml", ReadAll(dir_ / "a.yaml"));
  EXPECT_EQ(std::string(kNew) + "b.yaml", ReadAll(dir_ / "b.yaml"));
  EXPECT_EQ((std::vector<std::string>{"a.yaml", "b.yaml"}), Names(dir_.path()));
}

TEST_F(FileIoTest, BatchNeverCommittedLeavesEveryFileOldAndNoTemporaryFile) {
  // What a run interrupted before its batch is committed leaves behind.
  WriteAll(dir_ / "a.yaml", kOld);
  WriteAll(dir_ / "b.yaml", kOld);
  {
    WriteBatch batch;
    ASSERT_TRUE(batch.Stage(dir_ / "a.yaml", kNew).ok());
    ASSERT_TRUE(batch.Stage(dir_ / "b.yaml", kNew).ok());
  }
  EXPECT_EQ(kOld, ReadAll(dir_ / "a.yaml"));
  EXPECT_EQ(kOld, ReadAll(dir_ / "b.yaml"));
  EXPECT_EQ((std::vector<std::string>{"a.yaml", "b.yaml"}), Names(dir_.path()));
}

TEST_F(FileIoTest, ReadOnlyDirectoryFailsBeforeTouchingAnything) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root can create files in a read-only directory; "
                    "bad_input_test runs this case as the user nobody";
  fs::create_directories(dir_ / "ro");
  WriteAll(dir_ / "ro/c.yaml", kOld);
  ASSERT_EQ(0, chmod((dir_ / "ro").c_str(), 0555));
  auto err = WriteFileAtomic(dir_ / "ro/c.yaml", kNew);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(dir_.path() + "/ro/c.yaml: error: cannot create a temporary file "
                          "next to it: Permission denied",
            FormatDiagnostic(*err));
  EXPECT_EQ(kOld, ReadAll(dir_ / "ro/c.yaml"));
  EXPECT_EQ(std::vector<std::string>{"c.yaml"}, Names(dir_ / "ro"));
}

// ------------------------------------------ the command line under the faults

class WriteFaultCliTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    for (int i = 0; i < 5; ++i) {
      std::string name = "s" + std::to_string(i) + ".yaml";
      std::string text = "services:\n  app" + std::to_string(i) +
                         ":\n    image: nginx\n";
      WriteAll(dir_ / name, text);
      old_[name] = text;
    }
    WriteAll(dir_ / "hardened.yaml", ReadAll(harden_test::TestdataDir() +
                                             "/already-hardened/input.yaml"));
    old_["hardened.yaml"] = ReadAll(dir_ / "hardened.yaml");
    // What a successful run writes, for comparison.
    ScopedTempDir ok;
    std::vector<std::string> args = {"--write"};
    for (const auto& [name, text] : old_) {
      WriteAll(ok / name, text);
      args.push_back(ok / name);
    }
    RunResult r = RunInProcess(args);
    ASSERT_EQ(0, r.exit_code) << r.err;
    for (const auto& [name, text] : old_) new_[name] = ReadAll(ok / name);
  }
  void TearDown() override { SetWriteFaultForTesting(WriteFault::kNone); }

  // harden --write --jobs N FILE...
  RunResult Run() const {
    std::vector<std::string> args = {"--write", "--jobs",
                                     std::to_string(GetParam())};
    for (const auto& [name, text] : old_) args.push_back(dir_ / name);
    return RunInProcess(args);
  }

  ScopedTempDir dir_;
  std::map<std::string, std::string> old_, new_;
};

TEST_P(WriteFaultCliTest, FullDiskLeavesEveryFileOld) {
  SetWriteFaultForTesting(WriteFault::kWrite);
  RunResult r = Run();
  EXPECT_EQ(2, r.exit_code);
  for (const auto& [name, text] : old_)
    EXPECT_EQ(text, ReadAll(dir_ / name)) << name;
  EXPECT_TRUE(Leftovers(dir_.path()).empty());
  // One error per file that needed writing; the hardened one needed none.
  size_t errors = 0;
  for (size_t at = 0; (at = r.err.find("error: cannot write file", at)) !=
                      std::string::npos;
       ++at)
    ++errors;
  EXPECT_EQ(5u, errors) << r.err;
}

TEST_P(WriteFaultCliTest, CrashBeforeRenameLeavesEveryFileOldOrNew) {
  SetWriteFaultForTesting(WriteFault::kBeforeRename);
  Run();
  // The "crash" happens at the same step for every file, so every file is
  // still old, and beside each one a temporary file holds exactly its new
  // version: a rename away from done, never half-written.
  for (const auto& [name, text] : old_) {
    std::string now = ReadAll(dir_ / name);
    EXPECT_TRUE(now == old_[name] || now == new_[name]) << name;
    EXPECT_EQ(old_[name], now) << name;
  }
  for (const std::string& tmp : Leftovers(dir_.path())) {
    std::string name = tmp.substr(1, tmp.find(".harden-") - 1);
    ASSERT_TRUE(new_.count(name)) << tmp;
    EXPECT_EQ(new_[name], ReadAll(dir_ / tmp)) << tmp;
  }
  EXPECT_EQ(5u, Leftovers(dir_.path()).size());
}

INSTANTIATE_TEST_SUITE_P(Jobs, WriteFaultCliTest, ::testing::Values(1, 4));

// A disk slower than the workers makes them wait, instead of staging every
// file: each staged file holds a descriptor, and a run over a large tree
// must not run out of them (nor hold every outcome in memory).
TEST(WriteBatchCli, SlowDiskKeepsFewFilesOpen) {
  ScopedTempDir dir;
  constexpr int kFiles = 1000;
  for (int i = 0; i < kFiles; ++i) {
    fs::create_directories(dir / fmt::format("p{:04}", i));
    WriteAll(dir / fmt::format("p{:04}/compose.yaml", i),
             "services:\n  app:\n    image: nginx\n");
  }
  struct rlimit old_limit;
  ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old_limit));
  struct rlimit low = old_limit;
  low.rlim_cur = std::min<rlim_t>(old_limit.rlim_cur, 400);
  ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
  SetWriteFaultForTesting(WriteFault::kSlowDisk);
  RunResult r = RunInProcess({"--write", "--jobs", "4", dir.path()});
  SetWriteFaultForTesting(WriteFault::kNone);
  setrlimit(RLIMIT_NOFILE, &old_limit);
  EXPECT_EQ(0, r.exit_code) << r.err.substr(0, 2000);
  EXPECT_NE(std::string::npos,
            r.err.find("1000 files scanned, 1000 changed, 0 already hardened, 0 failed"))
      << r.err.substr(r.err.size() > 300 ? r.err.size() - 300 : 0);
  for (int i = 0; i < kFiles; i += 111)
    EXPECT_NE(std::string::npos,
              ReadAll(dir / fmt::format("p{:04}/compose.yaml", i)).find("read_only: true"))
        << i;
}

}  // namespace
}  // namespace harden
