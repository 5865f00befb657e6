#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "harden/cli.h"

namespace harden_test {
namespace fs = std::filesystem;

std::string TestdataDir() { return std::string(HARDEN_SOURCE_DIR) + "/testdata"; }

std::string CorpusDir() {
  std::string p = std::string(HARDEN_SOURCE_DIR) + "/../shared/corpus";
  return fs::is_directory(p) ? fs::canonical(p).string() : std::string();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

ScopedTempDir::ScopedTempDir() {
  std::string tmpl = (fs::temp_directory_path() / "harden-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ec;
  // Tests may remove write permission to simulate read-only directories.
  for (auto& e : fs::recursive_directory_iterator(path_, ec))
    fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

RunResult RunHarden(const std::vector<std::string>& args,
                    const std::string& cwd, const std::string& input) {
  ScopedTempDir io;
  std::string in = io / "in", out = io / "out", err = io / "err";
  WriteAll(in, input);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    freopen(in.c_str(), "r", stdin);
    freopen(out.c_str(), "w", stdout);
    freopen(err.c_str(), "w", stderr);
    std::vector<char*> argv;
    std::string bin = HARDEN_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

RunResult RunInProcess(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"harden"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  RunResult r;
  r.exit_code = harden::RunCli(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace harden_test
