// Every real Compose file in ../shared/corpus goes through harden. For each:
// it is accepted, the output parses, every key harden does not own is
// unchanged in every service, every comment line survives, no line outside
// the hardened keys is rewritten, and hardening the output changes nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "harden/compose_model.h"
#include "harden/document.h"
#include "harden/harden.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace harden {
namespace {

const char* kHardenedKeys[] = {"user", "cap_drop", "cap_add", "security_opt",
                               "read_only", "tmpfs"};

bool IsHardenedKey(const std::string& k) {
  for (const char* h : kHardenedKeys)
    if (k == h) return true;
  return false;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    out.push_back(l);
  }
  return out;
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> out;
  std::string dir = harden_test::CorpusDir();
  if (dir.empty()) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yml" || ext == ".yaml"))
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Figures {
  size_t files = 0, changed = 0, services = 0, hardened = 0, rewritten = 0;
};

TEST(CorpusTest, EveryFileHardensFaithfully) {
  std::vector<std::string> files = CorpusFiles();
  if (files.empty()) {
    if (std::getenv("CI")) FAIL() << "../shared/corpus is missing";
    GTEST_SKIP() << "../shared/corpus not found beside the project";
  }
  auto baseline = LoadBaseline("default");
  ASSERT_TRUE(baseline.ok());
  const std::regex key_line(
      R"(^\s*(-\s+)?["']?(user|cap_drop|cap_add|security_opt|read_only|tmpfs)["']?\s*:)");
  Figures fig;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    std::string input = harden_test::ReadAll(path);
    auto r = HardenText(input, baseline.value(), ImageFacts::Shipped());
    ASSERT_TRUE(r.ok()) << FormatDiagnostic(r.error());
    ++fig.files;
    fig.changed += r->changed();
    fig.services += r->plans.size();
    for (const ServicePlan& p : r->plans) fig.hardened += p.HasAdditions();

    // The output parses, and services keep every key harden does not own.
    auto in_doc = ParseDocument(input);
    auto out_doc = ParseDocument(r->output);
    ASSERT_TRUE(out_doc.ok()) << out_doc.error().message;
    auto in_model = LocateServices(in_doc.value());
    auto out_model = LocateServices(out_doc.value());
    ASSERT_TRUE(out_model.ok());
    ASSERT_EQ(in_model->service_nodes.size(), out_model->service_nodes.size());
    for (size_t i = 0; i < in_model->service_nodes.size(); ++i) {
      const Node* a = in_model->service_nodes[i].mapping;
      const Node* b = out_model->service_nodes[i].mapping;
      if (!a) continue;
      ASSERT_TRUE(b);
      for (const std::string& k : EffectiveKeys(a)) {
        if (IsHardenedKey(k)) continue;
        EXPECT_TRUE(SameTree(Lookup(a, k), Lookup(b, k)))
            << "service " << in_model->service_nodes[i].name << " key " << k;
      }
    }

    // Every comment line survives, and no untouched line is rewritten: an
    // edit may replace bytes only on lines that hold a hardened key or a
    // service written in one line (flow, alias or empty).
    std::vector<std::string> out_lines = Lines(r->output);
    std::multiset<std::string> have(out_lines.begin(), out_lines.end());
    for (const std::string& l : Lines(input)) {
      size_t i = l.find_first_not_of(' ');
      if (i != std::string::npos && l[i] == '#') {
        auto it = have.find(l);
        EXPECT_TRUE(it != have.end()) << "comment lost: " << l;
        if (it != have.end()) have.erase(it);
      }
    }
    for (const Edit& e : r->edits) {
      if (e.length == 0) continue;
      size_t first = r->source->LineOf(e.offset);
      size_t last = r->source->LineOf(e.end() - 1);
      for (size_t l = first; l <= last; ++l) {
        std::string line(r->source->Line(l));
        bool service_line = false;
        for (const ServiceNode& s : in_model->service_nodes)
          service_line |= static_cast<size_t>(s.key->line) == l && !s.own;
        for (const ServiceNode& s : in_model->service_nodes)
          service_line |= s.own && s.own->flow &&
                          static_cast<size_t>(s.key->line) == l;
        if (!std::regex_search(line, key_line) && !service_line) {
          ++fig.rewritten;
          ADD_FAILURE() << "untouched line rewritten: " << line;
        }
      }
    }

    // Idempotent.
    auto again = HardenText(r->output, baseline.value(), ImageFacts::Shipped());
    ASSERT_TRUE(again.ok()) << FormatDiagnostic(again.error());
    EXPECT_FALSE(again->changed()) << "second run changes the output";
  }
  std::printf("corpus: %zu files, %zu changed, %zu services, %zu hardened, "
              "%zu untouched lines rewritten\n",
              fig.files, fig.changed, fig.services, fig.hardened, fig.rewritten);
  RecordProperty("files", static_cast<int>(fig.files));
  RecordProperty("services_hardened", static_cast<int>(fig.hardened));
  EXPECT_EQ(280u, fig.files);
}

}  // namespace
}  // namespace harden
