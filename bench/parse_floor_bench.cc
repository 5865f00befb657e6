// The floor and the pipeline on the same bytes, in one process.
//
//   parse_floor_bench [benchmark flags] --corpus=NAME:LISTFILE ...
//
// LISTFILE names one file per line. Every file of a corpus is read into memory
// once; one benchmark iteration then runs the measured work over all of them,
// so bytes_per_second and items_per_second are MB/s and files/s of the whole
// corpus. Measured for each corpus:
//   yaml_load     YAML::Load (builds yaml-cpp's node tree): the floor
//   yaml_events   YAML::Parser with an EventHandler that does nothing
//   harden_parse  harden::ParseDocument (harden's event-built tree)
//   harden_text   harden::HardenText: parse, model, resolve, plan, apply,
//                 re-parse and verify (the pipeline without I/O and diff)
//   harden_diff   HardenText + UnifiedDiff (what diff mode computes per file)
//   libyaml_events  libyaml's (C) event parser, as a reference: what the
//                 events that ParseDocument needs cost from another parser
//                 (built when libyaml-dev is installed)
#include <benchmark/benchmark.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "harden/baseline.h"
#include "harden/document.h"
#include "harden/harden.h"
#include "harden/image_facts.h"
#include "harden/unified_diff.h"

#ifdef HARDEN_BENCH_LIBYAML
#include <yaml.h>
#endif

namespace {

struct Corpus {
  std::string name;
  std::vector<std::string> texts;
  size_t bytes = 0;
};

class NullHandler : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// An istream over bytes already in memory, as harden's own parser uses, so
// neither side pays for a copy into a stringstream.
struct ViewBuf : std::streambuf {
  explicit ViewBuf(const std::string& s) {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

bool ReadAll(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

void Account(benchmark::State& state, const Corpus& c) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(c.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(c.texts.size()));
}

void YamlLoad(benchmark::State& state, const Corpus* c) {
  size_t errors = 0;
  for (auto _ : state) {
    for (const std::string& t : c->texts) {
      ViewBuf buf(t);
      std::istream in(&buf);
      try {
        YAML::Node doc = YAML::Load(in);
        benchmark::DoNotOptimize(doc);
      } catch (const YAML::Exception&) {
        ++errors;
      }
    }
  }
  state.counters["errors"] = static_cast<double>(errors) / state.iterations();
  Account(state, *c);
}

void YamlEvents(benchmark::State& state, const Corpus* c) {
  size_t errors = 0;
  for (auto _ : state) {
    for (const std::string& t : c->texts) {
      ViewBuf buf(t);
      std::istream in(&buf);
      try {
        YAML::Parser parser(in);
        NullHandler h;
        while (parser.HandleNextDocument(h)) {
        }
      } catch (const YAML::Exception&) {
        ++errors;
      }
    }
  }
  state.counters["errors"] = static_cast<double>(errors) / state.iterations();
  Account(state, *c);
}

void HardenParse(benchmark::State& state, const Corpus* c) {
  size_t errors = 0;
  for (auto _ : state) {
    for (const std::string& t : c->texts) {
      auto doc = harden::ParseDocument(t);
      if (!doc) ++errors;
      benchmark::DoNotOptimize(doc);
    }
  }
  state.counters["errors"] = static_cast<double>(errors) / state.iterations();
  Account(state, *c);
}

#ifdef HARDEN_BENCH_LIBYAML
void LibyamlEvents(benchmark::State& state, const Corpus* c) {
  size_t errors = 0;
  for (auto _ : state) {
    for (const std::string& t : c->texts) {
      yaml_parser_t parser;
      yaml_parser_initialize(&parser);
      yaml_parser_set_input_string(
          &parser, reinterpret_cast<const unsigned char*>(t.data()), t.size());
      yaml_event_t event;
      for (bool done = false; !done;) {
        if (!yaml_parser_parse(&parser, &event)) {
          ++errors;
          break;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        benchmark::DoNotOptimize(event.start_mark.index);
        yaml_event_delete(&event);
      }
      yaml_parser_delete(&parser);
    }
  }
  state.counters["errors"] = static_cast<double>(errors) / state.iterations();
  Account(state, *c);
}
#endif

void HardenTextBench(benchmark::State& state, const Corpus* c, bool diff) {
  auto baseline = harden::LoadBaseline("default");
  if (!baseline) {
    state.SkipWithError("cannot load the default baseline");
    return;
  }
  const harden::ImageFacts& images = harden::ImageFacts::Shipped();
  size_t errors = 0, changed = 0;
  for (auto _ : state) {
    for (const std::string& t : c->texts) {
      auto r = harden::HardenText(t, baseline.value(), images);
      if (!r) {
        ++errors;
        continue;
      }
      changed += r->changed();
      if (diff && r->changed()) {
        std::string d = harden::UnifiedDiff(*r->source, r->edits, "compose.yaml",
                                            harden::DiffOptions{3, false});
        benchmark::DoNotOptimize(d);
      }
      benchmark::DoNotOptimize(r);
    }
  }
  state.counters["errors"] = static_cast<double>(errors) / state.iterations();
  state.counters["changed"] = static_cast<double>(changed) / state.iterations();
  Account(state, *c);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::vector<Corpus*> corpora;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--corpus=", 0) != 0) {
      std::cerr << "parse_floor_bench: unknown argument " << a << "\n";
      return 2;
    }
    std::string spec = a.substr(9);
    size_t colon = spec.find(':');
    if (colon == std::string::npos) {
      std::cerr << "parse_floor_bench: --corpus=NAME:LISTFILE\n";
      return 2;
    }
    auto* c = new Corpus{spec.substr(0, colon), {}, 0};
    std::ifstream list(spec.substr(colon + 1));
    if (!list) {
      std::cerr << "parse_floor_bench: cannot read " << spec.substr(colon + 1) << "\n";
      return 2;
    }
    for (std::string path; std::getline(list, path);) {
      if (path.empty()) continue;
      std::string text;
      if (!ReadAll(path, &text)) {
        std::cerr << "parse_floor_bench: cannot read " << path << "\n";
        return 2;
      }
      c->bytes += text.size();
      c->texts.push_back(std::move(text));
    }
    corpora.push_back(c);
  }
  if (corpora.empty()) {
    std::cerr << "usage: parse_floor_bench [benchmark flags] --corpus=NAME:LISTFILE ...\n";
    return 2;
  }
  for (const Corpus* c : corpora) {
    benchmark::RegisterBenchmark(("yaml_load/" + c->name).c_str(), YamlLoad, c);
    benchmark::RegisterBenchmark(("yaml_events/" + c->name).c_str(), YamlEvents, c);
    benchmark::RegisterBenchmark(("harden_parse/" + c->name).c_str(), HardenParse, c);
    benchmark::RegisterBenchmark(("harden_text/" + c->name).c_str(), HardenTextBench, c, false);
    benchmark::RegisterBenchmark(("harden_diff/" + c->name).c_str(), HardenTextBench, c, true);
#ifdef HARDEN_BENCH_LIBYAML
    benchmark::RegisterBenchmark(("libyaml_events/" + c->name).c_str(), LibyamlEvents, c);
#endif
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
