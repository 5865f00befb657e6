// Feeds files to LLVMFuzzerTestOneInput without libFuzzer, so the seeds and
// the regression inputs run under any compiler ({fmt}'s test/fuzzing/main.cc
// pattern). Usage: harden_fuzz_replay FILE_OR_DIR...
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The input being replayed, named when a broken property aborts.
const char* g_current = "";

void OnAbort(int sig) {
  const char* what = "harden_fuzz_replay: failing input: ";
  (void)!write(STDERR_FILENO, what, std::strlen(what));
  (void)!write(STDERR_FILENO, g_current, std::strlen(g_current));
  (void)!write(STDERR_FILENO, "\n", 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (fs::is_directory(argv[i])) {
      for (const auto& e : fs::recursive_directory_iterator(argv[i]))
        if (e.is_regular_file() && e.path().filename() != "README.md")
          files.push_back(e.path());
    } else {
      files.emplace_back(argv[i]);
    }
  }
  // Replayed inputs are known: an internal error among them is a failure.
  setenv("HARDEN_FUZZ_STRICT", "1", 0);
  std::signal(SIGABRT, OnAbort);
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "harden_fuzz_replay: cannot read %s\n", f.c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string data = ss.str();
    g_current = f.c_str();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                           data.size());
  }
  std::fprintf(stderr, "harden_fuzz_replay: %zu inputs, all properties hold\n",
               files.size());
  return 0;
}
