// The bad input catalogue: what harden does with every kind of input it must
// refuse. Each case runs the real binary as `harden --write BAD good.yaml` and
// checks the whole contract: exit 2, the exact "PATH:LINE:COL: error: ..."
// line naming the bad file, the bad file untouched (bytes, mtime, inode), no
// temporary file left, and good.yaml still hardened in the same run.
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harden/baseline.h"
#include "harden/file_io.h"
#include "harden/harden.h"
#include "harden/image_facts.h"
#include "fuzz/properties.h"
#include "test_util.h"

namespace fs = std::filesystem;
using harden_test::ReadAll;
using harden_test::RunHarden;
using harden_test::RunInProcess;
using harden_test::RunResult;
using harden_test::ScopedTempDir;
using harden_test::WriteAll;

namespace {

constexpr const char kGood[] = "services:\n  web:\n    image: nginx\n";

// What harden must make of kGood, computed in-process so the test follows the
// planner rather than a copy of its output.
std::string HardenedGood() {
  auto baseline = harden::LoadBaseline("default");
  auto r = harden::HardenText(kGood, baseline.value(),
                              harden::ImageFacts::Shipped());
  return r.ok() ? r->output : "(kGood does not harden)";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Everything about a file that a write, even of the same bytes, would change.
struct FileState {
  std::string bytes;
  struct timespec mtime = {};
  ino_t inode = 0;
  mode_t mode = 0;
};

FileState StateOf(const std::string& path) {
  FileState s;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return s;
  s.mtime = st.st_mtim;
  s.inode = st.st_ino;
  s.mode = st.st_mode;
  if (S_ISREG(st.st_mode) && st.st_size < (1 << 20)) s.bytes = ReadAll(path);
  return s;
}

void ExpectSameFile(const FileState& before, const FileState& after) {
  EXPECT_EQ(before.bytes, after.bytes);
  EXPECT_EQ(before.mtime.tv_sec, after.mtime.tv_sec);
  EXPECT_EQ(before.mtime.tv_nsec, after.mtime.tv_nsec);
  EXPECT_EQ(before.inode, after.inode) << "the file was replaced";
  EXPECT_EQ(before.mode, after.mode);
}

// An mtime far in the past, so that a rewrite cannot go unnoticed even on a
// file system with coarse timestamps.
void AgeFile(const std::string& path) {
  struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(0, utimensat(AT_FDCWD, path.c_str(), old, AT_SYMLINK_NOFOLLOW));
}

std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteAll(dir_ / "good.yaml", kGood);
    AgeFile(dir_ / "good.yaml");
  }

  // Writes `bytes` to bad.yaml and checks the whole contract.
  void ExpectRejected(const std::string& bytes, const std::string& error) {
    WriteAll(dir_ / "bad.yaml", bytes);
    ExpectRejectedPath("bad.yaml", error);
  }

  // Runs `harden --write PATH good.yaml` in the temporary directory, where
  // PATH already exists (or deliberately does not).
  void ExpectRejectedPath(const std::string& path, const std::string& error,
                          const std::vector<std::string>& extra_args = {}) {
    // System files (/dev/zero, /proc/self/mem) are named as they are and
    // never touched.
    const bool ours = path[0] != '/';
    std::string full = ours ? dir_ / path : path;
    if (ours && fs::exists(full)) AgeFile(full);
    FileState before = ours ? StateOf(full) : FileState();
    std::vector<std::string> listing = Listing(dir_.path());

    std::vector<std::string> args = {"--write", path, "good.yaml"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto start = std::chrono::steady_clock::now();
    RunResult r = RunHarden(args, dir_.path());
    elapsed_ = std::chrono::steady_clock::now() - start;

    EXPECT_EQ(2, r.exit_code) << r.err;
    // Exactly one error line, and it is the expected one (files are
    // reported in path order, so it need not come first).
    std::vector<std::string> errors;
    for (const std::string& line : Lines(r.err))
      if (line.find("error:") != std::string::npos) errors.push_back(line);
    EXPECT_EQ(std::vector<std::string>{error}, errors) << r.err;
    if (ours) ExpectSameFile(before, StateOf(full));
    // good.yaml was still hardened, and nothing else appeared or vanished.
    EXPECT_EQ(HardenedGood(), ReadAll(dir_ / "good.yaml"));
    EXPECT_EQ(listing, Listing(dir_.path()));
    // The diff --write prints shows good.yaml only.
    EXPECT_EQ(0u, r.out.find("diff --git a/good.yaml b/good.yaml\n")) << r.out;
    EXPECT_EQ(std::string::npos, r.out.find("diff --git", 1)) << r.out;
  }

  ScopedTempDir dir_;
  std::chrono::duration<double> elapsed_{};
};

// ---------------------------------------------------------------- invalid YAML

TEST_F(BadInputTest, UnclosedFlowMapping) {
  ExpectRejected("services: {web: {image: nginx}\n",
                 "bad.yaml:2:1: error: did not find expected ',' or '}' "
                 "(while parsing a flow mapping that starts at 1:11)");
}

TEST_F(BadInputTest, UnclosedFlowSequence) {
  ExpectRejected("services:\n  web:\n    image: nginx\n    cap_add: [CHOWN\n",
                 "bad.yaml:5:1: error: did not find expected ',' or ']' "
                 "(while parsing a flow sequence that starts at 4:14)");
}

TEST_F(BadInputTest, TabIndentation) {
  ExpectRejected("services:\n\tweb:\n\t\timage: nginx\n",
                 "bad.yaml:2:1: error: tab character in indentation (YAML "
                 "indents with spaces only)");
}

TEST_F(BadInputTest, TabAfterSpacesInIndentation) {
  ExpectRejected("services:\n  web:\n    image: nginx\n  \tuser: x\n",
                 "bad.yaml:4:3: error: tab character in indentation (YAML "
                 "indents with spaces only)");
}

TEST_F(BadInputTest, UnknownEscapeInDoubleQuotes) {
  ExpectRejected("services:\n  web:\n    image: \"ng\\qinx\"\n",
                 "bad.yaml:3:15: error: found unknown escape character "
                 "(while parsing a quoted scalar that starts at 3:12)");
}

TEST_F(BadInputTest, UnclosedQuoteOnTheLastLine) {
  // yaml-cpp 0.7 accepts this; Compose does not, and neither does harden.
  ExpectRejected("services:\n  web:\n    image: 'nginx\n",
                 "bad.yaml:3:12: error: quoted scalar without its closing "
                 "quote");
}

TEST_F(BadInputTest, UnclosedDoubleQuoteAtTheEnd) {
  ExpectRejected("services:\n  web:\n    image: \"nginx\n    user: x\n",
                 "bad.yaml:3:12: error: quoted scalar without its closing "
                 "quote");
}

TEST_F(BadInputTest, UnknownAlias) {
  ExpectRejected("services:\n  web: *nowhere\n",
                 "bad.yaml:2:8: error: unknown alias *nowhere (no &nowhere "
                 "before it)");
}

// ------------------------------------------------------------ wrong structure

TEST_F(BadInputTest, RootIsASequence) {
  ExpectRejected("- web\n- db\n",
                 "bad.yaml:1:1: error: the top level is a sequence, not a "
                 "mapping");
}

TEST_F(BadInputTest, RootIsAScalar) {
  ExpectRejected("just some text\n",
                 "bad.yaml:1:1: error: the top level is a scalar, not a "
                 "mapping");
}

TEST_F(BadInputTest, ServicesIsASequence) {
  ExpectRejected("services:\n  - web\n  - db\n",
                 "bad.yaml:2:3: error: \"services\" is a sequence, not a "
                 "mapping");
}

TEST_F(BadInputTest, ServicesIsAScalar) {
  ExpectRejected("services: web\n",
                 "bad.yaml:1:11: error: \"services\" is a scalar, not a "
                 "mapping");
}

TEST_F(BadInputTest, ServiceIsAScalar) {
  ExpectRejected("services:\n  web: nginx\n",
                 "bad.yaml:2:8: error: service \"web\" is a scalar, not a "
                 "mapping");
}

TEST_F(BadInputTest, ServiceIsASequence) {
  ExpectRejected("services:\n  web:\n    - image: nginx\n",
                 "bad.yaml:3:5: error: service \"web\" is a sequence, not a "
                 "mapping");
}

// Shapes the fuzzer found that harden used to refuse only as an "internal
// error": each is now a plain error at its place.
TEST_F(BadInputTest, ReadOnlyIsAList) {
  ExpectRejected("services:\n  web:\n    image: example/app\n    read_only:\n"
                 "      - /tmp\n",
                 "bad.yaml:5:7: error: \"read_only\" of service \"web\" is a "
                 "sequence, not a single value");
}

TEST_F(BadInputTest, ListItemIsAMapping) {
  ExpectRejected("services:\n  web:\n    image: example/app\n    cap_drop:\n"
                 "      - NET_RAW\n      - {a: b}\n",
                 "bad.yaml:6:9: error: an item of \"cap_drop\" of service "
                 "\"web\" is a mapping, not a single value");
}

// Each service holds what it inherits, so an `extends` chain as long as
// the file would cost memory quadratic in it (20,000 deep: tens of GB).
// harden follows 64 services deep; a chain of 64 works.
TEST_F(BadInputTest, ExtendsChainDeeperThanHardenFollows) {
  auto chain = [](int n) {
    std::string text = "services:\n  s0:\n    image: example/app\n";
    for (int i = 1; i <= n; ++i)
      text += fmt::format("  s{}:\n    extends: s{}\n    volumes: [v{}:/d{}]\n",
                          i, i - 1, i, i);
    return text;
  };
  ExpectRejected(chain(70),
                 "bad.yaml:196:3: error: service \"s65\" extends a chain of "
                 "more than 64 services; harden follows 64");
  auto r = harden::HardenText(chain(64), harden::LoadBaseline("default").value(),
                              harden::ImageFacts::Shipped());
  EXPECT_TRUE(r) << r.error().message;
}

TEST_F(BadInputTest, EmptyKeyInAService) {
  ExpectRejected("services:\n  web:\n    ?\n    image: example/app\n",
                 "bad.yaml:3:6: error: service \"web\" has an empty key; "
                 "harden edits only \"key: value\" entries");
}

// `? ` with the key on the line below it.
TEST_F(BadInputTest, ExplicitKeyOnTheLineBelowInAService) {
  ExpectRejected("services:\n  web:\n   ? \n    image  - x\n",
                 "bad.yaml:4:5: error: service \"web\" has a key written as "
                 "\"? key\"; harden edits only \"key: value\" entries");
}

// `? ` with a mapping on the lines below it: the key is that mapping.
TEST_F(BadInputTest, MappingAsAKeyInAService) {
  ExpectRejected("services:\n  web:\n   ? \n    extends: base\n",
                 "bad.yaml:4:5: error: service \"web\" has a key that is a "
                 "mapping; harden edits only \"key: value\" entries");
}

TEST_F(BadInputTest, ExplicitKeyInAService) {
  ExpectRejected("services:\n  web:\n    ? image: alpine\n    init: true\n",
                 "bad.yaml:3:7: error: service \"web\" has a key written as "
                 "\"? key\"; harden edits only \"key: value\" entries");
}

// A service name after `?` with no value has no ':' to write after; a tag
// that ends in ':' (`!t:`) is no such colon.
TEST_F(BadInputTest, ExplicitServiceNameWithoutAValue) {
  ExpectRejected("services:\n  ? web\n  db:\n    image: example/app\n",
                 "bad.yaml:2:5: error: service \"web\" is written as \"? "
                 "name\" with no value; harden edits only \"name: value\" "
                 "entries");
}

TEST_F(BadInputTest, ExplicitServiceNameWithATagThatEndsInAColon) {
  ExpectRejected("services:\n  ?  !t: false\n",
                 "bad.yaml:2:6: error: service \"false\" is written as \"? "
                 "name\" with no value; harden edits only \"name: value\" "
                 "entries");
}

// A tagged empty name: the ':' that starts the next, less indented line
// (`:im` is a scalar there) is not its value's.
TEST_F(BadInputTest, ExplicitTaggedEmptyNameBeforeAScalarThatStartsWithAColon) {
  ExpectRejected("services:\n  ? !o\n:im: 1a\n",
                 "bad.yaml:2:5: error: service \"\" is written as \"? "
                 "name\" with no value; harden edits only \"name: value\" "
                 "entries");
}

// Filling an anchored empty value would hand the new value to every alias
// of it.
TEST_F(BadInputTest, AnchoredEmptyValueInAService) {
  ExpectRejected("services:\n  web:\n    image: example/app\n    user: &u\n"
                 "  api:\n    image: example/app\n    user: *u\n",
                 "bad.yaml:4:11: error: \"user\" of service \"web\" is empty "
                 "and anchored &u; harden fills only an empty value without "
                 "an anchor or a tag");
}

// `tmpfs: !reset` clears what a base file sets; a list harden wrote there
// would change what it means.
TEST_F(BadInputTest, TaggedEmptyList) {
  ExpectRejected("services:\n  web:\n    image: example/app\n"
                 "    tmpfs: !reset\n",
                 "bad.yaml:4:12: error: \"tmpfs\" of service \"web\" is empty "
                 "and tagged !reset; harden adds to a list only without a tag");
}

TEST_F(BadInputTest, BlockScalarEndsTheFileWithoutANewline) {
  ExpectRejected("services:\n  web:\n    image: example/app\n    command: |\n"
                 "      run",
                 "bad.yaml:4:14: error: a | or > block ends the file without "
                 "a final newline: keys added after it would change its text; "
                 "end the file with a newline");
}

TEST_F(BadInputTest, LoneCarriageReturn) {
  ExpectRejected("services:\n  web:\r    image: example/app\n",
                 "bad.yaml:2:7: error: carriage return without a line feed: "
                 "save the file with LF or CRLF line ends");
}

TEST_F(BadInputTest, ByteOrderMarkAtTheStartOfALaterLine) {
  ExpectRejected("services:\n  web:\n\xEF\xBB\xBF    image: example/app\n",
                 "bad.yaml:3:1: error: byte order mark (U+FEFF) at the start "
                 "of a line: only the file's first bytes may hold one");
}

TEST_F(BadInputTest, ServiceMergesItself) {
  ExpectRejected("services:\n  web: &web\n    image: example/app\n"
                 "    <<: *web\n",
                 "bad.yaml:4:9: error: alias *web is inside the node it names");
}

TEST_F(BadInputTest, YamlErrorFurtherDownWinsOverAServiceShape) {
  // A lost indent makes `image` look like a service; the YAML error below
  // it says what really went wrong. Services are handled while the file is
  // parsed, but their errors wait for the parse to succeed.
  ExpectRejected("services:\n  image: nginx\n  web:\n    image: x\n  - oops\n",
                 "bad.yaml:5:3: error: did not find expected key (while "
                 "parsing a block mapping that starts at 2:3)");
}

TEST_F(BadInputTest, FirstServiceShapeErrorWinsWhateverWaits) {
  // `a` waits (it extends a later service); `b` is not a service. The
  // first in file order is reported.
  ExpectRejected("services:\n  a:\n    extends: c\n  b: 1\n  c: 2\n",
                 "bad.yaml:4:6: error: service \"b\" is a scalar, not a "
                 "mapping");
}

// -------------------------------------------------------------- duplicate keys

TEST_F(BadInputTest, DuplicateTopLevelKey) {
  ExpectRejected(
      "services:\n  web:\n    image: nginx\nservices:\n  db:\n    image: x\n",
      "bad.yaml:4:1: error: duplicate key \"services\"");
}

TEST_F(BadInputTest, DuplicateServiceName) {
  ExpectRejected("services:\n  web:\n    image: nginx\n  web:\n    image: x\n",
                 "bad.yaml:4:3: error: duplicate key \"web\"");
}

TEST_F(BadInputTest, DuplicateServiceNameFarApart) {
  // Each service is dropped from the parse tree once it is handled; the
  // first duplicate is still found, and reported where it stands.
  std::string text = "services:\n";
  for (int i = 0; i < 100; ++i)
    text += "  s" + std::to_string(i) + ":\n    image: x\n";
  text += "  s7:\n    image: y\n  s9: {image: z}\n";
  ExpectRejected(text, "bad.yaml:202:3: error: duplicate key \"s7\"");
}

TEST_F(BadInputTest, DuplicateKeyInService) {
  ExpectRejected("services:\n  web:\n    image: nginx\n    image: redis\n",
                 "bad.yaml:4:5: error: duplicate key \"image\"");
}

TEST_F(BadInputTest, DuplicateKeyNestedInService) {
  ExpectRejected(
      "services:\n  web:\n    image: nginx\n    environment:\n"
      "      A: 1\n      B: 2\n      A: 3\n",
      "bad.yaml:7:7: error: duplicate key \"A\"");
}

TEST_F(BadInputTest, DuplicateKeyInFlowMapping) {
  ExpectRejected("services: {web: {image: nginx, image: redis}}\n",
                 "bad.yaml:1:32: error: duplicate key \"image\"");
}

TEST_F(BadInputTest, DuplicateKeySpelledDifferently) {
  // Verifies that keys compare by value, as Compose reads them: a quoted
  // "image" is the same key as a plain one.
  ExpectRejected("services:\n  web:\n    image: nginx\n    \"image\": redis\n",
                 "bad.yaml:4:5: error: duplicate key \"image\"");
}

// ------------------------------------------------------------------ documents

TEST_F(BadInputTest, TwoDocuments) {
  ExpectRejected(
      "services:\n  web:\n    image: nginx\n---\nservices:\n  db:\n"
      "    image: x\n",
      "bad.yaml:5:1: error: more than one YAML document; harden handles one "
      "Compose document per file");
}

// ------------------------------------------------------- hostile or huge input

TEST_F(BadInputTest, DeepFlowNestingFailsFast) {
  const int n = 100000;
  ExpectRejected(std::string(n, '[') + std::string(n, ']') + "\n",
                 "bad.yaml:1:401: error: nesting deeper than 400 levels");
  EXPECT_LT(elapsed_.count(), 5.0);
}

TEST_F(BadInputTest, DeepUnclosedFlowMappingFailsFast) {
  std::string text = "services:\n  web:\n    labels: ";
  for (int i = 0; i < 100000; ++i) text += "{a: ";
  ExpectRejected(text + "\n",
                 "bad.yaml:3:1601: error: nesting deeper than 400 levels");
  EXPECT_LT(elapsed_.count(), 5.0);
}

TEST_F(BadInputTest, DeepBlockSequenceFailsFast) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "- ";
  ExpectRejected(text + "x\n",
                 "bad.yaml:1:801: error: nesting deeper than 400 levels");
  EXPECT_LT(elapsed_.count(), 5.0);
}

TEST_F(BadInputTest, InvalidUtf8) {
  ExpectRejected("services:\n  web:\n    image: \"\xff\xfe\"\n",
                 "bad.yaml:3:13: error: invalid UTF-8");
}

TEST_F(BadInputTest, Utf8Surrogate) {
  ExpectRejected("services:\n  web:\n    image: \"\xed\xa0\x80\"\n",
                 "bad.yaml:3:13: error: invalid UTF-8");
}

TEST_F(BadInputTest, Utf16File) {
  std::string utf16 = "\xff\xfe";
  for (char c : std::string(kGood)) utf16 += std::string{c, '\0'};
  ExpectRejected(utf16, "bad.yaml:1:1: error: UTF-16 text: save the file as "
                        "UTF-8");
}

TEST_F(BadInputTest, BinaryGarbage) {
  // The start of an ELF executable.
  ExpectRejected(std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10),
                 "bad.yaml:1:1: error: control character 0x7F is not allowed "
                 "in YAML");
}

TEST_F(BadInputTest, NulByte) {
  ExpectRejected(std::string("services:\n  web:\0\n", 18),
                 "bad.yaml:2:7: error: NUL byte: this is not a text file");
}

TEST_F(BadInputTest, ControlCharacter) {
  ExpectRejected("services:\n  web:\n    image: \x1b[31mnginx\n",
                 "bad.yaml:3:12: error: control character 0x1B is not allowed "
                 "in YAML");
}

TEST_F(BadInputTest, HundredMegabyteFileIsRefusedUnread) {
  // Sparse: 100 MiB that take no disk space and no time to create.
  int fd = open((dir_ / "bad.yaml").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(0, ftruncate(fd, 100 << 20));
  close(fd);
  ExpectRejectedPath("bad.yaml",
                     "bad.yaml: error: file is 100 MiB, over the 64 MiB limit");
  EXPECT_LT(elapsed_.count(), 5.0);
}

TEST_F(BadInputTest, FileJustOverTheLimit) {
  int fd = open((dir_ / "bad.yaml").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(0, ftruncate(fd, (64 << 20) + 1));
  close(fd);
  ExpectRejectedPath("bad.yaml",
                     "bad.yaml: error: file is 65 MiB, over the 64 MiB limit");
}

TEST_F(BadInputTest, EndlessDeviceIsCutOffAtTheLimit) {
  // /dev/zero has no size to check up front: reading stops at the limit.
  ExpectRejectedPath("/dev/zero",
                     "/dev/zero: error: file is over the 64 MiB limit");
  EXPECT_LT(elapsed_.count(), 10.0);
}

// ------------------------------------------------------------ file system

TEST_F(BadInputTest, MissingFile) {
  ExpectRejectedPath("missing.yaml",
                     "missing.yaml: error: cannot read file: No such file or "
                     "directory");
}

TEST_F(BadInputTest, FileThatFailsToRead) {
  // Reading /proc/self/mem at offset 0 fails with EIO, even for root: a
  // read error after a successful open.
  ExpectRejectedPath("/proc/self/mem",
                     "/proc/self/mem: error: cannot read file: Input/output "
                     "error");
}

TEST_F(BadInputTest, DirectoryInsideATreeIsNotReadAsAFile) {
  // A directory is a place to look for Compose files, also when it is named
  // like one: it is walked, never read.
  fs::create_directories(dir_ / "tree/compose.yaml");
  WriteAll(dir_ / "tree/compose.yaml/compose.yaml", kGood);
  RunResult r = RunHarden({"--write", "tree"}, dir_.path());
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(HardenedGood(), ReadAll(dir_ / "tree/compose.yaml/compose.yaml"));
}

TEST_F(BadInputTest, DirectoryIsRefusedByReadFile) {
  fs::create_directories(dir_ / "adir");
  auto r = harden::ReadFile(dir_ / "adir");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(dir_.path() + "/adir: error: is a directory, not a Compose file",
            harden::FormatDiagnostic(r.error()));
}

// ------------------------------------------ files that parse but hold nothing

TEST_F(BadInputTest, EmptyFileHasNothingToHarden) {
  // Not an error: an empty file is a valid (empty) Compose file, and in a
  // bulk run it must not fail the run. It is left alone, with a note.
  for (const char* text : {"", "\n", "# only a comment\n# and another\n",
                           "---\n", "\xEF\xBB\xBF"}) {
    SCOPED_TRACE(text);
    WriteAll(dir_ / "empty.yaml", text);
    AgeFile(dir_ / "empty.yaml");
    FileState before = StateOf(dir_ / "empty.yaml");
    RunResult r = RunHarden({"--check", "empty.yaml"}, dir_.path());
    EXPECT_EQ(0, r.exit_code) << r.err;
    EXPECT_EQ("", r.out);
    EXPECT_EQ(
        "empty.yaml: note: the document is empty (or only comments): nothing "
        "to harden\n",
        r.err);
    r = RunHarden({"--write", "empty.yaml"}, dir_.path());
    EXPECT_EQ(0, r.exit_code) << r.err;
    ExpectSameFile(before, StateOf(dir_ / "empty.yaml"));
  }
}

// ------------------------------------------------------- aliases, never expanded

// "Billion laughs": ten levels of ten aliases each, 10^10 scalars if expanded.
std::string AliasBomb() {
  std::string text = "x-lol:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, "
                     "lol, lol, lol]\n";
  for (int i = 1; i <= 10; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    text += "  l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  return text + "services:\n  web:\n    image: nginx\n    command: *l10\n";
}

// Runs the real binary and reports its peak memory (KiB) and wall time.
struct Measured {
  int exit_code = -1;
  long max_rss_kib = 0;
  double seconds = 0;
};
Measured MeasureHarden(const std::vector<std::string>& args,
                       const std::string& cwd) {
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<std::string> copy = args;
    std::vector<char*> argv{const_cast<char*>(HARDEN_BINARY)};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(HARDEN_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru = {};
  wait4(pid, &status, 0, &ru);
  Measured m;
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  m.max_rss_kib = ru.ru_maxrss;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start).count();
  return m;
}

TEST_F(BadInputTest, AliasBombIsHardenedWithoutExpanding) {
  // Valid YAML and valid for harden: the aliases stay pointers, so the run
  // is as fast and small as for any file of this size.
  WriteAll(dir_ / "bomb.yaml", AliasBomb());
  Measured m = MeasureHarden({"--write", "bomb.yaml", "good.yaml"},
                             dir_.path());
  EXPECT_EQ(0, m.exit_code);
  EXPECT_LT(m.seconds, 5.0);
  EXPECT_LT(m.max_rss_kib, 256 * 1024);
  std::string out = ReadAll(dir_ / "bomb.yaml");
  EXPECT_EQ(0u, out.find(AliasBomb().substr(0, AliasBomb().size() - 18)))
      << "the anchors and aliases are kept as written";
  EXPECT_NE(std::string::npos, out.find("cap_drop")) << out;
  EXPECT_EQ(HardenedGood(), ReadAll(dir_ / "good.yaml"));
}

TEST_F(BadInputTest, AliasBombInServicePosition) {
  // The services themselves come from the bomb: each is a sequence, which
  // harden reports without walking into it.
  std::string text = AliasBomb();
  text = text.substr(0, text.find("services:")) + "services:\n  web: *l10\n";
  ExpectRejected(text,
                 "bad.yaml:14:8: error: service \"web\" is a sequence, not a "
                 "mapping");
  EXPECT_LT(elapsed_.count(), 5.0);
}

// Merge keys that merge merges: 2^30 paths if followed naively.
std::string MergeBomb() {
  std::string text = "x-m:\n  m0: &m0 {image: nginx}\n";
  for (int i = 1; i <= 30; ++i) {
    std::string prev = "*m" + std::to_string(i - 1);
    text += "  m" + std::to_string(i) + ": &m" + std::to_string(i) +
            " {<<: [" + prev + ", " + prev + "]}\n";
  }
  return text + "services:\n  web:\n    <<: *m30\n";
}

// Each level merges the previous one twice: 2^30 paths to m0. A walk that
// does not remember what it visited runs for hours (the limit is generous:
// this is a hang detector, not a benchmark).
TEST_F(BadInputTest, MergeKeyBombFinishesFast) {
  WriteAll(dir_ / "bomb.yaml", MergeBomb());
  Measured m = MeasureHarden({"--stdout", "bomb.yaml"}, dir_.path());
  EXPECT_EQ(0, m.exit_code);
  EXPECT_LT(m.seconds, 5.0);
}

// ------------------------------------------ writing where it cannot be written

// Runs the binary as the unprivileged user `nobody`, so that permissions
// apply even when the tests run as root. Returns false when the process
// cannot drop its privileges (then the caller skips).
bool RunAsNobody(const std::vector<std::string>& args, const std::string& cwd,
                 RunResult* result) {
  ScopedTempDir io;
  std::string out = io / "out", err = io / "err";
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    int e = open(err.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(125);
    if (geteuid() == 0 &&
        (setgroups(0, nullptr) != 0 || setgid(65534) != 0 ||
         setuid(65534) != 0))
      _exit(124);
    if (chdir(cwd.c_str()) != 0) _exit(125);
    std::vector<std::string> copy = args;
    std::vector<char*> argv{const_cast<char*>(HARDEN_BINARY)};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(HARDEN_BINARY, argv.data());
    _exit(123);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  if (code == 124 || code == 123) return false;
  result->exit_code = code;
  result->out = ReadAll(out);
  result->err = ReadAll(err);
  return true;
}

// Hands `path` to nobody (when root) so the unprivileged run owns it.
void GiveToNobody(const std::string& path) {
  if (geteuid() == 0) ASSERT_EQ(0, chown(path.c_str(), 65534, 65534));
}

class PermissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The temporary directory is private to its creator; open the way in.
    ASSERT_EQ(0, chmod(dir_.path().c_str(), 0755));
    fs::create_directories(dir_ / "w");
    ASSERT_EQ(0, chmod((dir_ / "w").c_str(), 0755));
    GiveToNobody(dir_ / "w");
    WriteAll(dir_ / "w/good.yaml", kGood);
    GiveToNobody(dir_ / "w/good.yaml");
  }
  ScopedTempDir dir_;
};

TEST_F(PermissionTest, UnreadableFile) {
  WriteAll(dir_ / "w/bad.yaml", kGood);
  GiveToNobody(dir_ / "w/bad.yaml");
  ASSERT_EQ(0, chmod((dir_ / "w/bad.yaml").c_str(), 0));
  AgeFile(dir_ / "w/bad.yaml");
  FileState before = StateOf(dir_ / "w/bad.yaml");
  RunResult r;
  if (!RunAsNobody({"--write", "w/bad.yaml", "w/good.yaml"}, dir_.path(), &r))
    GTEST_SKIP() << "running as root and cannot switch to the user nobody, "
                    "so chmod 000 would not stop the read";
  EXPECT_EQ(2, r.exit_code) << r.err;
  EXPECT_EQ("w/bad.yaml: error: cannot read file: Permission denied",
            Lines(r.err).at(0));
  ExpectSameFile(before, StateOf(dir_ / "w/bad.yaml"));
  EXPECT_EQ(HardenedGood(), ReadAll(dir_ / "w/good.yaml"));
}

TEST_F(PermissionTest, WriteIntoReadOnlyDirectory) {
  fs::create_directories(dir_ / "ro");
  WriteAll(dir_ / "ro/compose.yaml", kGood);
  GiveToNobody(dir_ / "ro/compose.yaml");
  GiveToNobody(dir_ / "ro");
  ASSERT_EQ(0, chmod((dir_ / "ro").c_str(), 0555));
  AgeFile(dir_ / "ro/compose.yaml");
  FileState before = StateOf(dir_ / "ro/compose.yaml");
  RunResult r;
  if (!RunAsNobody({"--write", "ro/compose.yaml", "w/good.yaml"}, dir_.path(),
                   &r))
    GTEST_SKIP() << "running as root and cannot switch to the user nobody, "
                    "so a read-only directory would still be writable";
  EXPECT_EQ(2, r.exit_code) << r.err;
  EXPECT_EQ(
      "ro/compose.yaml: error: cannot create a temporary file next to it: "
      "Permission denied",
      Lines(r.err).at(0));
  ExpectSameFile(before, StateOf(dir_ / "ro/compose.yaml"));
  EXPECT_EQ(std::vector<std::string>{"compose.yaml"}, Listing(dir_ / "ro"));
  EXPECT_EQ(HardenedGood(), ReadAll(dir_ / "w/good.yaml"));
}

TEST_F(PermissionTest, UnreadableFolderInAWalkIsInTheReport) {
  fs::create_directories(dir_ / "w/locked");
  WriteAll(dir_ / "w/compose.yaml", kGood);
  GiveToNobody(dir_ / "w/compose.yaml");
  ASSERT_EQ(0, chmod((dir_ / "w/locked").c_str(), 0));
  RunResult r;
  if (!RunAsNobody({"--format", "json", "w"}, dir_.path(), &r))
    GTEST_SKIP() << "running as root and cannot switch to the user nobody, "
                    "so chmod 000 would not stop the walk";
  EXPECT_EQ(2, r.exit_code) << r.err;
  // The report accounts for the failure, and the log says it too (a CI
  // job that keeps the report as a file shows only stderr).
  EXPECT_NE(std::string::npos, r.out.find(R"("path": "w/locked")")) << r.out;
  EXPECT_NE(std::string::npos,
            r.out.find("cannot read directory: Permission denied"))
      << r.out;
  EXPECT_NE(std::string::npos, r.out.find(R"("failed": 1)")) << r.out;
  EXPECT_EQ("w/locked: error: cannot read directory: Permission denied",
            Lines(r.err).at(0));

  ASSERT_TRUE(RunAsNobody({"--check", "w"}, dir_.path(), &r));
  EXPECT_EQ(2, r.exit_code) << r.err;
  EXPECT_EQ("w/locked: error: cannot read directory: Permission denied",
            Lines(r.err).at(0));
}

TEST_F(PermissionTest, FolderThatCanBeListedButNotEnteredIsAnError) {
  // r-- without x: its names can be read, its files cannot be reached.
  fs::create_directories(dir_ / "w/listed");
  WriteAll(dir_ / "w/listed/compose.yaml", kGood);
  WriteAll(dir_ / "w/compose.yaml", kGood);
  ASSERT_EQ(0, chmod((dir_ / "w/listed").c_str(), 0444));
  RunResult r;
  if (!RunAsNobody({"--check", "w"}, dir_.path(), &r))
    GTEST_SKIP() << "running as root and cannot switch to the user nobody, "
                    "so chmod 444 would not stop the walk";
  EXPECT_EQ(2, r.exit_code) << r.err;
  EXPECT_EQ("w/listed: error: cannot read directory: Permission denied",
            Lines(r.err).at(0));
  EXPECT_EQ(
      "harden: 1 file scanned, 1 to change, 0 already hardened, 1 failed; "
      "1 service to harden, 3 findings",
      Lines(r.err).back());
}

// ---------------------------------------------------------------- full disk

class FullDiskTest : public ::testing::Test {
 protected:
  void TearDown() override {
    harden::SetWriteFaultForTesting(harden::WriteFault::kNone);
  }
  ScopedTempDir dir_;
};

TEST_F(FullDiskTest, OriginalsStayIntactAndNoTemporaryFileIsLeft) {
  WriteAll(dir_ / "a.yaml", kGood);
  WriteAll(dir_ / "b.yaml", "services:\n  db:\n    image: postgres\n");
  AgeFile(dir_ / "a.yaml");
  AgeFile(dir_ / "b.yaml");
  FileState a = StateOf(dir_ / "a.yaml"), b = StateOf(dir_ / "b.yaml");
  harden::SetWriteFaultForTesting(harden::WriteFault::kWrite);
  RunResult r = RunInProcess({"--write", "--jobs", "1", dir_ / "a.yaml",
                              dir_ / "b.yaml"});
  EXPECT_EQ(2, r.exit_code);
  std::vector<std::string> lines = Lines(r.err);
  ASSERT_GE(lines.size(), 2u) << r.err;
  EXPECT_EQ(dir_.path() +
                "/a.yaml: error: cannot write file: No space left on device",
            lines[0]);
  EXPECT_EQ(dir_.path() +
                "/b.yaml: error: cannot write file: No space left on device",
            lines[1]);
  ExpectSameFile(a, StateOf(dir_ / "a.yaml"));
  ExpectSameFile(b, StateOf(dir_ / "b.yaml"));
  EXPECT_EQ((std::vector<std::string>{"a.yaml", "b.yaml"}),
            Listing(dir_.path()));
}

// ------------------------------------------------------ fuzzing regressions

// Inputs the fuzzer once broke harden with (tests/fuzz/regressions/), and the
// seeds it starts from, checked for the fuzzer's properties in every build,
// gcc included (tests/fuzz/properties.h).
TEST(FuzzRegressionTest, EveryInputKeepsTheFuzzProperties) {
  std::vector<std::string> inputs;
  const std::string root = HARDEN_SOURCE_DIR;
  for (const auto& e :
       fs::recursive_directory_iterator(root + "/tests/fuzz/regressions"))
    if (e.is_regular_file() && e.path().filename() != "README.md")
      inputs.push_back(e.path().string());
  for (const auto& e : fs::recursive_directory_iterator(root + "/testdata")) {
    std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
      inputs.push_back(e.path().string());
  }
  std::sort(inputs.begin(), inputs.end());
  ASSERT_GT(inputs.size(), 10u);
  for (const std::string& path : inputs) {
    harden_fuzz::Verdict v = harden_fuzz::Check(ReadAll(path));
    EXPECT_EQ(harden_fuzz::Verdict::kOk, v.kind) << path << ": " << v.message;
  }
}

// Planner gaps the fuzzer found (minimised by hand). Each input is valid
// YAML that Compose reads; harden used to refuse them with "internal error"
// when the verifier caught the planner's broken edit.
TEST(FuzzRegressionTest, PlannerEdgeCasesKeepTheFuzzProperties) {
  const char* inputs[] = {
      // A scalar reused inside [..] without quoting: flow indicators.
      "services:\n  web:\n    image: nginx\n    tmpfs: /a{b\n",
      "services:\n  web:\n    image: nginx\n    tmpfs: /a,b\n",
      "services:\n  web:\n    image: nginx\n    cap_drop: NET_RAW]\n",
      // A plain scalar over several lines.
      "services:\n  web:\n    image: nginx\n    tmpfs:\n      /run\n"
      "      /var\n",
      // An empty value followed by a comment.
      "services:\n  web:\n    image: example/app\n    user: # set later\n",
      "services:\n  web:\n    image: example/app\n    read_only: # x\n",
      // The last entry of a flow mapping, a scalar made a list: the edit
      // swallows the closing brace.
      "services:\n  web: {image: nginx, tmpfs: /run}\n",
      "services:\n  web: {image: nginx, security_opt: true}\n",
      // Empty values in a flow mapping, and explicit nulls.
      "services:\n  web: {image: example/app, user:, tmpfs: }\n",
      "services:\n  web: {image: example/app, cap_drop: ~}\n",
      "services:\n  web:\n    image: example/app\n    user: null # x\n",
      // Quoted scalars over several lines, made lists.
      "services:\n  web:\n    image: nginx\n    tmpfs: \"/run\n      /x\"\n",
      "services:\n  web:\n    image: nginx\n    tmpfs: '/a''b'\n",
      // A less indented line with "- " where the keys start is no item.
      "services:\n  web:\n    image: example/app\n  ab- c:\n"
      "    image: example/app\n",
      // A merge of a service that harden fills (Compose rejects the null).
      "services:\n  child: &child\n  mirror:\n    <<: *child\n",
      // A flow mapping whose last value is empty: `key: }`.
      "services:\n  web: {image: example/app, x: }\n",
      // A service that aliases an empty value: nothing to merge.
      "services:\n  x: {a: &e }\n  web: *e\n",
      // An anchor's name ends where its letters do: `&a:b` anchors `:b`.
      "services:\n  web:\n    image: example/app\n    tmpfs: &a:b c]\n",
      // A leading `?` is text outside brackets, a key inside them.
      "services:\n  web:\n    image: example/app\n    tmpfs: ?x\n",
      // A block that strips its line break ends the file without one: keys
      // go after it, its text unchanged.
      "services:\n  web:\n    image: example/app\n    command: |-\n      run",
  };
  for (const char* input : inputs) {
    harden_fuzz::Verdict v = harden_fuzz::Check(input);
    EXPECT_EQ(harden_fuzz::Verdict::kOk, v.kind) << input << "\n" << v.message;
  }
}

}  // namespace
