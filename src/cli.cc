#include "harden/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "harden/baseline.h"
#include "harden/discover.h"
#include "harden/explain.h"
#include "harden/file_io.h"
#include "harden/harden.h"
#include "harden/report.h"
#include "harden/unified_diff.h"

namespace harden {
namespace {

struct Options {
  std::vector<std::string> paths;
  bool to_stdout = false;
  bool check = false;
  bool write = false;
  bool explain = false;
  bool list_baselines = false;
  std::string color = "auto";
  std::string baseline = "default";
  std::string format = "diff";
  int jobs = 0;
  DiscoverOptions discover;
};

// What happened to one file; filled by a worker, printed in path order.
struct Outcome {
  std::string path;
  std::optional<FileResult> result;
  std::optional<Diagnostic> error;
  std::string diff;
  bool wrote = false;
};

constexpr const char* kExamples = R"(
Examples:
  harden compose.yaml                 show the diff of what would change
  harden compose.yaml --write         harden the file in place
  harden --check compose.yaml         exit 1 when the file is not hardened (CI)
  harden repos/ --write --jobs 4      harden every Compose file under repos/
  harden --explain compose.yaml       say why, service by service
  harden --stdout - < compose.yaml    read standard input, print the result
  harden --baseline preserve repos/   make capabilities explicit first

Exit codes: 0 nothing to change (or done), 1 --check found changes,
            2 usage error or a file that could not be processed.
Opt out in the Compose file: a service's `x-harden: false`, or
  x-harden: {skip: [read_only], reason: "writes to /var/lib/app"}
)";

bool UseColor(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) && !(term && std::string(term) == "dumb");
}

std::string DisplayPath(const std::string& path) {
  if (path.compare(0, 2, "./") == 0) return path.substr(2);
  if (!path.empty() && path[0] == '/') return path.substr(1);
  return path;
}

int Run(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.list_baselines) {
    for (const auto& [name, desc] : ShippedBaselines())
      out << fmt::format("{:<10} {}\n", name, desc);
    return kExitOk;
  }
  auto baseline = LoadBaseline(o.baseline);
  if (!baseline) {
    err << FormatDiagnostic(baseline.error()) << "\n";
    return kExitError;
  }
  if (o.to_stdout && (o.check || o.write)) {
    err << "harden: error: --stdout cannot be combined with --check or --write\n";
    return kExitError;
  }
  std::vector<std::string> paths = o.paths;
  if (paths.empty()) {
    std::string f = DefaultComposeFile(".");
    if (f.empty()) {
      err << "harden: error: no Compose file here (compose.yaml, "
             "compose.yml, docker-compose.yaml, docker-compose.yml); name "
             "one or a directory\n";
      return kExitError;
    }
    paths.push_back(f);
  }
  std::vector<Diagnostic> errors;
  std::vector<std::string> files = DiscoverFiles(paths, o.discover, &errors);
  if (o.to_stdout && files.size() != 1) {
    err << "harden: error: --stdout takes exactly one file\n";
    return kExitError;
  }
  const ImageFacts& images = ImageFacts::Shipped();
  const bool color = o.format == "diff" && UseColor(o.color);

  std::vector<Outcome> outcomes(files.size());
  std::atomic<size_t> next{0}, done{0};
  auto work = [&] {
    for (size_t i; (i = next++) < files.size(); ++done) {
      Outcome& oc = outcomes[i];
      oc.path = files[i];
      auto text = ReadFile(files[i]);
      if (!text) {
        oc.error = text.error();
        continue;
      }
      auto r = HardenText(std::move(text.value()), baseline.value(), images);
      if (!r) {
        oc.error = r.error();
        oc.error->path = files[i] == "-" ? "<stdin>" : files[i];
        continue;
      }
      if (r->changed() && !o.to_stdout && o.format == "diff" && !o.explain)
        oc.diff = UnifiedDiff(*r->source, r->edits,
                              files[i] == "-" ? "-" : DisplayPath(files[i]),
                              DiffOptions{3, color});
      if (o.write && r->changed() && files[i] != "-") {
        if (auto e = WriteFileAtomic(files[i], r->output))
          oc.error = e;
        else
          oc.wrote = true;
      }
      oc.result.emplace(std::move(r.value()));
    }
  };
  unsigned jobs = o.jobs > 0 ? static_cast<unsigned>(o.jobs)
                             : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, std::max<size_t>(files.size(), 1));
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(work);
  const bool progress = files.size() > 50 && isatty(STDERR_FILENO);
  if (progress) {
    std::thread ticker([&] {
      while (done < files.size()) {
        err << fmt::format("\rharden: {}/{} files", done.load(), files.size())
            << std::flush;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      err << "\r\033[K" << std::flush;
    });
    work();
    for (auto& t : threads) t.join();
    ticker.join();
  } else {
    work();
    for (auto& t : threads) t.join();
  }

  // Print in path order, whatever the number of jobs.
  bool failed = !errors.empty();
  bool would_change = false, has_findings = false;
  size_t changed = 0, clean = 0, services = 0, findings = 0;
  for (const Diagnostic& d : errors) err << FormatDiagnostic(d) << "\n";
  std::vector<FileReport> reports;
  for (const Outcome& oc : outcomes) {
    reports.push_back({oc.path, oc.result ? &*oc.result : nullptr, oc.error});
    if (oc.error) {
      failed = true;
      if (o.format == "diff") err << FormatDiagnostic(*oc.error) << "\n";
      continue;
    }
    const FileResult& r = *oc.result;
    for (const std::string& n : r.notes)
      err << fmt::format("{}: note: {}\n", oc.path, n);
    for (const ServicePlan& p : r.plans) {
      if (p.HasAdditions()) ++services;
      findings += p.findings.size();
    }
    for (const ServicePlan& p : r.plans)
      for (const Finding& f : p.findings)
        if (f.id != "image-note") has_findings = true;
    r.changed() ? ++changed : ++clean;
    would_change |= r.changed();
    if (o.to_stdout) {
      out << r.output;
    } else if (o.explain) {
      out << Explain(oc.path, r.plans, r.notes);
    } else if (o.format == "diff") {
      out << oc.diff;
    }
    if (oc.wrote) {
      size_t n = 0;
      for (const ServicePlan& p : r.plans) n += p.HasAdditions();
      err << fmt::format("hardened {} ({} service{})\n", oc.path, n,
                         n == 1 ? "" : "s");
    }
  }
  if (o.format == "json") out << JsonReport(reports, baseline.value());
  if (o.format == "sarif") out << SarifReport(reports, baseline.value());
  if (o.format == "github") out << GithubReport(reports, baseline.value());
  if (files.size() > 1 || paths.size() != files.size() || files.empty())
    err << fmt::format(
        "harden: {} file{} scanned, {} {}, {} already hardened, {} failed; "
        "{} service{} hardened, {} finding{}\n",
        files.size(), files.size() == 1 ? "" : "s", changed,
        o.write ? "changed" : "to change", clean,
        std::count_if(outcomes.begin(), outcomes.end(),
                      [](const Outcome& x) { return x.error.has_value(); }) +
            errors.size(),
        services, services == 1 ? "" : "s", findings, findings == 1 ? "" : "s");
  if (failed) return kExitError;
  if (o.check && (would_change ||
                  (baseline->fail_on_findings && has_findings)))
    return kExitWouldChange;
  return kExitOk;
}

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out,
           std::ostream& err) {
  Options o;
  CLI::App app{
      "harden: make Docker Compose files least-privilege by default.\n"
      "Applies a baseline (non-root user, cap_drop ALL, no-new-privileges,\n"
      "read-only root with tmpfs) to every service, keeping every byte it\n"
      "does not need to change.",
      "harden"};
  app.footer(kExamples);
  app.add_option("paths", o.paths,
                 "Compose files or directories (default: the Compose file "
                 "in the current directory; - reads standard input)");
  app.add_flag("--stdout", o.to_stdout, "print the whole hardened document");
  app.add_flag("--check", o.check,
               "print the diff; exit 1 when any file would change");
  app.add_flag("-w,--write", o.write, "rewrite changed files in place");
  app.add_flag("--explain", o.explain,
               "say what is added, kept or skipped for each service, and why");
  app.add_option("--baseline", o.baseline,
                 "shipped baseline name or a baseline file")
      ->default_str("default");
  app.add_flag("--list-baselines", o.list_baselines, "list shipped baselines");
  app.add_option("--format", o.format, "output: diff, json, sarif, github")
      ->check(CLI::IsMember({"diff", "json", "sarif", "github"}))
      ->default_str("diff");
  app.add_option("--color", o.color, "colour the diff: auto, always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->default_str("auto");
  app.add_option("-j,--jobs", o.jobs, "files processed in parallel (default: cores)")
      ->check(CLI::PositiveNumber);
  app.add_option("--include", o.discover.include,
                 "also treat file names matching GLOB as Compose files");
  app.add_option("--exclude", o.discover.exclude, "skip paths matching GLOB");
  app.set_version_flag("--version", std::string("harden ") + HARDEN_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "harden: error: " << e.what() << "\n"
        << "Run 'harden --help' for usage.\n";
    return kExitError;
  }
  try {
    return Run(o, out, err);
  } catch (const std::exception& e) {
    err << "harden: internal error: " << e.what() << "\n";
    return kExitError;
  }
}

}  // namespace harden
