#include "harden/harden.h"

#include <functional>
#include <unordered_map>

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
  // Notepad and PowerShell save UTF-16 with a byte order mark; say so
  // rather than point at the first odd byte.
  if (t.compare(0, 2, "\xFF\xFE") == 0 || t.compare(0, 2, "\xFE\xFF") == 0)
    return at(0, "UTF-16 text: save the file as UTF-8");
  for (size_t i = 0; i < t.size();) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (c < 0x80) {
      if (c == 0) return at(i, "NUL byte: this is not a text file");
      // YAML allows no other control character; tab, LF and CR are
      // whitespace.
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
        return at(i, fmt::format("control character 0x{:02X} is not allowed "
                                 "in YAML",
                                 c));
      ++i;
      continue;
    }
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
             : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = n != 0 && i + n <= t.size() && !(c == 0xC0 || c == 0xC1) &&
              c <= 0xF4;
    for (size_t k = 1; ok && k < n; ++k)
      ok = (static_cast<unsigned char>(t[i + k]) & 0xC0) == 0x80;
    if (ok && n > 2) {
      // No overlong forms, UTF-16 surrogates or code points past U+10FFFF
      // (RFC 3629), which Compose's own parser rejects too.
      unsigned char c1 = static_cast<unsigned char>(t[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 > 0x9F) &&
           !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 > 0x8F);
    }
    if (!ok) return at(i, "invalid UTF-8");
    i += n;
  }
  return std::nullopt;
}

namespace {

// Resolves every service. A service that `extends` another service of the
// same file gets that service's tmpfs mounts, volumes included, as its own
// (Compose appends them): so the other is resolved first, and a mount it
// has (or, in the base file, gains) is not added twice.
std::vector<ServicePlan> ResolveAll(const ComposeModel& model,
                                    const Baseline& baseline,
                                    const ImageFacts& images, Target target) {
  const size_t n = model.service_nodes.size();
  std::vector<ServicePlan> plans(n);
  // What a service passes on to those that extend it; its other facts are
  // dropped once it is resolved (a file of 20,000 services would otherwise
  // hold them all).
  std::vector<std::vector<InheritedMount>> mounts(n);
  std::unordered_map<std::string_view, size_t> index;  // names are unique
  for (size_t i = 0; i < n; ++i) index[model.service_nodes[i].name] = i;
  // The service each one extends (n: none in this file), and whether some
  // service extends it.
  std::vector<size_t> base(n, n);
  std::vector<char> extended(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const ServiceNode& s = model.service_nodes[i];
    auto it = s.mapping ? index.find(ExtendedService(s.mapping)) : index.end();
    if (it == index.end() || it->second == i) continue;
    base[i] = it->second;
    extended[it->second] = 1;
  }
  std::vector<int> state(n, 0);  // 0 new, 1 resolving, 2 done
  auto texts = std::make_shared<TextPool>();
  std::function<void(size_t)> resolve = [&](size_t i) {
    if (state[i]) return;
    state[i] = 1;
    ServiceFacts f = ReadFacts(model.service_nodes[i]);
    // A cycle (state 1) is rejected by Compose; harden does not follow it.
    if (const size_t j = base[i]; j != n && state[j] != 1) {
      resolve(j);
      f.inherited_mounts.insert(f.inherited_mounts.end(), mounts[j].begin(),
                                mounts[j].end());
    }
    plans[i] = Resolve(f, baseline, images, texts);
    state[i] = 2;
    if (!extended[i]) return;
    // Mounts it has, inherits, or (in the base file) gains.
    std::vector<InheritedMount>& out = mounts[i];
    for (const Located& t : f.tmpfs) out.push_back({t.value, t.line, f.name});
    for (const Located& v : f.volume_targets)
      out.push_back({v.value, v.line, f.name});
    for (const InheritedMount& m : f.inherited_mounts) out.push_back(m);
    for (const Decision& d : plans[i].decisions)
      if (target == Target::kBaseFile && d.key == "tmpfs" &&
          d.action == Action::kAdd)
        for (const std::string& v : d.values) out.push_back({v, 0, f.name});
  };
  for (size_t i = 0; i < n; ++i) resolve(i);
  return plans;
}

}  // namespace

Expected<FileResult> HardenText(std::string input, const Baseline& baseline,
                                const ImageFacts& images, Target target) {
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
    const Node* root = doc->root();
    if (!root || root->kind == NodeKind::kNull)
      result.notes.push_back(
          "the document is empty (or only comments): nothing to harden");
    if (model->legacy)
      result.notes.push_back(
          "legacy Compose v1 file (services at the top level, no "
          "\"services:\"); docker compose no longer reads it, so harden "
          "leaves it unchanged");
    result.plans = ResolveAll(model.value(), baseline, images, target);
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
