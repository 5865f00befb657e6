// Helpers shared by the tests: a scoped temporary directory, file helpers,
// running the real binary, and the paths of testdata/ and the shared corpus.
#ifndef HARDEN_TESTS_TEST_UTIL_H_
#define HARDEN_TESTS_TEST_UTIL_H_

#include <string>
#include <vector>

namespace harden_test {

/// testdata/ in the source tree.
std::string TestdataDir();
/// ../shared/corpus beside the project root, or empty when absent.
std::string CorpusDir();
std::string ReadAll(const std::string& path);
void WriteAll(const std::string& path, const std::string& text);

/// A fresh directory under $TMPDIR, removed with everything in it.
class ScopedTempDir {
 public:
  ScopedTempDir();
  ~ScopedTempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const {
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

/// The result of running the harden binary.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
/// Runs build/harden with `args` in `cwd` (stdin from `input`).
RunResult RunHarden(const std::vector<std::string>& args,
                    const std::string& cwd = ".",
                    const std::string& input = "");

/// Runs harden::RunCli in-process (faster; same behaviour).
RunResult RunInProcess(const std::vector<std::string>& args);

}  // namespace harden_test

#endif  // HARDEN_TESTS_TEST_UTIL_H_
