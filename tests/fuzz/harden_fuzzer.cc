// libFuzzer entry point: the whole pipeline (bytes -> parse -> resolve ->
// plan -> apply -> verify -> diff) with the default baseline and the shipped
// image facts, and the properties of properties.h checked on every input.
// Build and run: scripts/fuzz.sh SECONDS (docs/fuzzing.md).
//
// A broken property aborts, so libFuzzer keeps the input as a crash. An
// "internal error" rejection (the verifier caught a planner bug; nothing
// would be written) aborts too when HARDEN_FUZZ_STRICT=1; otherwise the
// first input of each kind is saved to $HARDEN_FUZZ_INTERNAL_DIR and the
// run goes on, so one known planner bug does not hide everything else.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "properties.h"

namespace {

bool Strict() {
  static const bool strict = [] {
    const char* s = std::getenv("HARDEN_FUZZ_STRICT");
    return s && std::string_view(s) == "1";
  }();
  return strict;
}

// Saves the first input for each message shape (quoted names and numbers
// blanked, so one bug at many places counts once).
void SaveInternal(std::string_view input, const std::string& message) {
  static std::mutex mu;
  static std::set<std::string> seen;
  const char* dir = std::getenv("HARDEN_FUZZ_INTERNAL_DIR");
  std::string shape;
  bool quoted = false;
  for (char c : message) {
    if (c == '"') {
      quoted = !quoted;
      shape += c;
    } else if (!quoted) {
      shape += std::isdigit(static_cast<unsigned char>(c)) ? '#' : c;
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  if (!seen.insert(shape).second) return;
  std::fprintf(stderr, "harden_fuzzer: internal error #%zu: %s\n", seen.size(),
               message.c_str());
  if (!dir || !*dir) return;
  std::string base = std::string(dir) + "/internal-" + std::to_string(seen.size());
  std::ofstream(base + ".yaml", std::ios::binary) << input;
  std::ofstream(base + ".txt") << message << "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  harden_fuzz::Verdict v = harden_fuzz::Check(input);
  if (v.kind == harden_fuzz::Verdict::kInternal && !Strict()) {
    SaveInternal(input, v.message);
    return 0;
  }
  if (v.kind != harden_fuzz::Verdict::kOk) {
    std::fprintf(stderr, "harden_fuzzer: property broken: %s\n",
                 v.message.c_str());
    std::abort();
  }
  return 0;
}
