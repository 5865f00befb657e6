#include "harden/harden.h"

#include <fmt/format.h>

#include "harden/compose_model.h"
#include "harden/document.h"
#include "harden/planner.h"
#include "harden/verify.h"

namespace harden {

std::optional<Diagnostic> CheckEncoding(const SourceText& src) {
  std::string_view t = src.view();
  auto at = [&](size_t i, std::string msg) {
    size_t line = src.LineOf(i);
    return Diagnostic{{}, static_cast<int>(line) + 1,
                      static_cast<int>(i - src.LineStart(line)) + 1,
                      std::move(msg)};
  };
  for (size_t i = 0; i < t.size();) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (c < 0x80) {
      if (c == 0) return at(i, "NUL byte: this is not a text file");
      ++i;
      continue;
    }
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
             : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = n != 0 && i + n <= t.size() && !(c == 0xC0 || c == 0xC1) &&
              c <= 0xF4;
    for (size_t k = 1; ok && k < n; ++k)
      ok = (static_cast<unsigned char>(t[i + k]) & 0xC0) == 0x80;
    if (!ok) return at(i, "invalid UTF-8");
    i += n;
  }
  return std::nullopt;
}

Expected<FileResult> HardenText(std::string input, const Baseline& baseline,
                                const ImageFacts& images) {
  FileResult result(std::move(input));
  const SourceText& src = *result.source;
  if (auto err = CheckEncoding(src)) return *err;
  Expectation expected;
  {
    // The input's tree lives only until the expectation is recorded, so
    // the output's tree never shares memory with it.
    auto doc = ParseDocument(src.view());
    if (!doc) return doc.error();
    auto model = LocateServices(doc.value());
    if (!model) return model.error();
    if (model->legacy)
      result.notes.push_back(
          "legacy Compose v1 file (services at the top level, no "
          "\"services:\"); docker compose no longer reads it, so harden "
          "leaves it unchanged");
    for (const ServiceNode& s : model->service_nodes)
      result.plans.push_back(Resolve(ReadFacts(s), baseline, images));
    auto edits = PlanEdits(src, model.value(), result.plans);
    if (!edits) return edits.error();
    result.edits = std::move(edits.value());
    if (result.edits.empty()) {
      result.output = src.bytes();
      return result;
    }
    expected = Expect(doc.value(), model.value(), result.plans);
  }
  result.output = ApplyEdits(src.view(), result.edits);
  if (auto err = VerifyOutput(expected, result.output)) return *err;
  return result;
}

}  // namespace harden
