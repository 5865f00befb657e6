#include "harden/explain.h"

#include <algorithm>

#include <fmt/format.h>

namespace harden {
namespace {

std::string Values(const Decision& d) {
  std::string out;
  for (const std::string& v : d.values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

}  // namespace

std::string Explain(const std::string& path,
                    const std::vector<ServicePlan>& plans,
                    const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& n : notes) out += fmt::format("{}: note: {}\n", path, n);
  for (const ServicePlan& p : plans) {
    out += fmt::format("{}:{}: service \"{}\"\n", path, p.line, p.service);
    std::vector<std::string_view> sources;  // each named once per service
    for (const Decision& d : p.decisions) {
      std::string what = d.values.empty() ? d.key
                                          : fmt::format("{} {}", d.key, Values(d));
      out += fmt::format("  {:<4} {}: {}", ActionName(d.action), what, d.reason);
      if (d.line) out += fmt::format(" (line {})", d.line);
      out += "\n";
      if (!d.source.empty() &&
          std::find(sources.begin(), sources.end(), d.source) == sources.end()) {
        sources.push_back(d.source);
        out += fmt::format("       source: {}\n", d.source);
      }
    }
    for (const Finding& f : p.findings)
      out += fmt::format("  note [{}] {}{}\n", f.id, f.message,
                         f.line ? fmt::format(" (line {})", f.line) : "");
  }
  return out;
}

}  // namespace harden
