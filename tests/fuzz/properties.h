// What must hold for any input, checked by the fuzzer (harden_fuzzer.cc), by
// its replay tool (replay_main.cc) and by the regression test in the normal
// suite (FuzzRegressionTest). Header-only so the three share one definition
// without a library of their own.
//
// A rejection (a Diagnostic) is fine, except one that says "internal error":
// the verifier caught the planner out (safely: nothing would be written), so
// it is reported as a Verdict of its own. An accepted input must give: output == input with the edits applied, every byte outside
// the edits unchanged, an output that parses, and an output that hardening
// leaves alone (idempotence).
#ifndef HARDEN_TESTS_FUZZ_PROPERTIES_H_
#define HARDEN_TESTS_FUZZ_PROPERTIES_H_

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "harden/baseline.h"
#include "harden/document.h"
#include "harden/harden.h"
#include "harden/image_facts.h"
#include "harden/unified_diff.h"

namespace harden_fuzz {

/// The baseline under test: "default", or $HARDEN_FUZZ_BASELINE.
inline const harden::Baseline& FuzzBaseline() {
  static const harden::Baseline* baseline = [] {
    const char* name = std::getenv("HARDEN_FUZZ_BASELINE");
    auto b = harden::LoadBaseline(name && *name ? name : "default");
    if (!b) {
      fmt::print(stderr, "{}\n", harden::FormatDiagnostic(b.error()));
      std::abort();
    }
    return new harden::Baseline(std::move(b.value()));
  }();
  return *baseline;
}

struct Verdict {
  enum Kind {
    kOk,        ///< accepted with every property holding, or rejected cleanly
    kInternal,  ///< rejected with "internal error": a planner bug, caught
    kBroken,    ///< a property does not hold
  };
  Kind kind = kOk;
  std::string message;
};

/// Runs `input` through the whole pipeline and checks the properties. Every
/// file an `extends: {file: F}` or an `include` names, at any depth, is the
/// input itself (as it was), so that the fuzzer reaches the resolution of
/// other files: their cycles, depths and errors. By its size, one input in three is read
/// with itself as its override file, and one as its base file, so that the
/// merge of the two files docker compose reads by default is fuzzed too.
inline Verdict Check(std::string_view input) {
  auto broken = [](std::string m) { return Verdict{Verdict::kBroken, m}; };
  using harden::Edit;
  const harden::ImageFacts& images = harden::ImageFacts::Shipped();
  auto itself = [&](const std::string&)
      -> harden::Expected<harden::OtherFiles::Text> {
    return harden::OtherFiles::Text{"input", std::string(input)};
  };
  harden::OtherFiles files(".", itself);
  std::optional<harden::Partner> partner;
  if (input.size() % 3 != 0) {
    auto p = harden::ReadPartner(std::string(input),
                                 input.size() % 3 == 1
                                     ? harden::Partner::Role::kBase
                                     : harden::Partner::Role::kOverride,
                                 "partner.yaml");
    if (p) partner = std::move(p.value());
  }
  const harden::Partner* merged = partner ? &*partner : nullptr;
  auto r = harden::HardenText(std::string(input), FuzzBaseline(), images,
                              harden::Target::kBaseFile, merged, &files);
  if (!r) {
    const harden::Diagnostic& d = r.error();
    if (d.message.empty()) return broken("rejected without a message");
    if (d.line < 0 || d.column < 0)
      return broken("rejected at a negative place: " +
                    harden::FormatDiagnostic(d));
    if (d.message.rfind("internal error", 0) == 0)
      return {Verdict::kInternal, harden::FormatDiagnostic(d)};
    return {};
  }
  const std::string& out = r->output;
  if (r->changed() == r->edits.empty())
    return broken("changed() disagrees with the edits");

  // Walk the edits: each gap between them must reappear verbatim at its
  // shifted place, and each edit's text must stand where the edit put it.
  size_t in_pos = 0, out_pos = 0;
  for (const Edit& e : r->edits) {
    if (e.offset < in_pos || e.end() > input.size())
      return broken(fmt::format("edit {} is out of order or outside the input",
                                harden::ToString(e)));
    size_t gap = e.offset - in_pos;
    if (out.compare(out_pos, gap, input.substr(in_pos, gap)) != 0)
      return broken(fmt::format("bytes [{}, {}) changed outside the edits",
                                in_pos, e.offset));
    out_pos += gap;
    if (out.compare(out_pos, e.text.size(), e.text) != 0)
      return broken(fmt::format("edit {} is not in the output at {}",
                                harden::ToString(e), out_pos));
    out_pos += e.text.size();
    in_pos = e.end();
  }
  if (out.compare(out_pos, std::string::npos, input.substr(in_pos)) != 0)
    return broken(fmt::format("bytes after offset {} changed", in_pos));
  if (!r->changed()) return {};

  auto reparsed = harden::ParseDocument(out);
  if (!reparsed)
    return broken("output does not parse: " +
                  harden::FormatDiagnostic(reparsed.error()));
  if (harden::UnifiedDiff(*r->source, r->edits, "f", {}).empty())
    return broken("a change without a diff");

  harden::OtherFiles files_again(".", itself);
  auto again = harden::HardenText(out, FuzzBaseline(), images,
                                  harden::Target::kBaseFile, merged,
                                  &files_again);
  if (!again)
    return broken("output rejected: " +
                  harden::FormatDiagnostic(again.error()));
  if (again->changed()) {
    std::string edits;
    for (const Edit& e : again->edits) edits += " " + harden::ToString(e);
    return broken("not idempotent: a second run adds" + edits);
  }
  return {};
}

}  // namespace harden_fuzz

#endif  // HARDEN_TESTS_FUZZ_PROPERTIES_H_
