#include "harden/cli.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "harden/baseline.h"
#include "harden/discover.h"
#include "harden/explain.h"
#include "harden/file_io.h"
#include "harden/harden.h"
#include "harden/overlay.h"
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
  std::string override_file;  ///< overlay mode when set
  int jobs = 0;
  DiscoverOptions discover;
  /// --env-file, in order, and what they set (the later wins).
  std::vector<std::string> env_files;
  std::optional<Variables> env;
};

// What happened to one file; filled by a worker, printed in path order.
// The worker also makes what printing needs (Settle), so that an outcome
// waiting for its turn holds only that.
struct Outcome {
  std::string path;
  /// Kept only for the reports (--format json, sarif, github), which are
  /// built from every result at the end.
  std::optional<FileResult> result;
  std::optional<Diagnostic> error;
  bool changed = false;     ///< the file (in overlay mode: its overlay) changes
  std::string output;       ///< what --stdout prints
  std::string printed;      ///< diff format: the diff, or the explanation
  std::vector<std::string> notes;
  size_t hardened = 0;      ///< services that gain a setting
  size_t findings = 0;
  bool has_findings = false;  ///< other than advice (IsAdvice)
  /// --check under a baseline that fails on findings, diff format: the
  /// findings that fail it, one line each, for stderr.
  std::string failing;
  std::string overlay;      ///< overlay mode: the overlay's path
  bool wrote = false;
  /// --write: the file's ticket in the WriteBatch until it is in place.
  std::optional<size_t> ticket;
  /// Overlay mode, for the reports: the override file and its new text.
  std::optional<FileReport::Overlay> report_overlay;
};

// --write stages files in a WriteBatch and puts them in place this many at
// a time (or at least once a second): two syncs of the file system a batch,
// instead of two fsyncs a file.
constexpr size_t kBatchFiles = 128;
constexpr size_t kBatchBytes = 8u << 20;
// Files staged and not yet in place, at most: the batch being put in place
// and the one being filled. Each holds a file descriptor and its outcome,
// so a disk slower than the workers makes them wait instead of running out
// of either.
constexpr size_t kMaxUnwritten = 2 * kBatchFiles;

constexpr const char* kExamples = R"(
Examples:
  harden compose.yaml                 show the diff of what would change
  harden compose.yaml --write         harden the file in place
  harden --check compose.yaml         exit 1 when the file is not hardened (CI)
  harden repos/ --write --jobs 4      harden every Compose file under repos/
  harden repos/ --exclude 'legacy*'   skip files and directories by glob
  harden --explain compose.yaml       say why, service by service
  harden --stdout - < compose.yaml    read standard input, print the result
  harden --baseline preserve repos/   make capabilities explicit first
  harden --format sarif . > harden.sarif
                                      a code-scanning report of the tree
  harden --override-file compose.hardening.yaml --write third_party/
                                      leave vendored files unchanged; write
                                      compose.hardening.yaml beside each, for
      docker compose -f compose.yaml -f compose.hardening.yaml up

Exit codes: 0 nothing to change (or done), 1 --check found changes,
            2 usage error or a file that could not be processed.
Opt out in the Compose file: a service's `x-harden: false`, or
  x-harden: {skip: [read_only], reason: "writes to /var/lib/app"}
)";

bool EnvSet(const char* name) {
  const char* v = std::getenv(name);
  return v && *v;
}

// --color auto: NO_COLOR (any value) wins, then CLICOLOR_FORCE or FORCE_COLOR
// (other than "0") force colour, then standard output must be a terminal that
// is not "dumb". --color always and never override all of them.
bool UseColor(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  if (EnvSet("NO_COLOR")) return false;
  for (const char* force : {"CLICOLOR_FORCE", "FORCE_COLOR"})
    if (EnvSet(force) && std::string(std::getenv(force)) != "0") return true;
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) && !(term && std::string(term) == "dumb");
}

// The path a diff names: relative ("./a" -> "a"; "/abs" -> "abs", so that
// `patch -p1` applies it from "/"). A path with a ".." in it applies
// nowhere (`git apply` and `patch` refuse it): it is named from "/" too.
std::string DisplayPath(const std::string& path) {
  std::filesystem::path p(path);
  if (std::find(p.begin(), p.end(), "..") != p.end()) {
    std::error_code ec;
    std::filesystem::path cwd = std::filesystem::current_path(ec);
    if (!ec) p = (cwd / p).lexically_normal();
  }
  std::string shown = p.string();
  if (shown.compare(0, 2, "./") == 0) return shown.substr(2);
  if (!shown.empty() && shown[0] == '/') return shown.substr(1);
  return shown;
}

// How messages name a file: standard input is "<stdin>".
std::string Shown(const std::string& path) {
  return path == "-" ? "<stdin>" : path;
}

// Why the override file named `name` (its {stem} filled in) cannot be
// written beside a Compose file, or empty.
std::string OverrideNameProblem(const std::string& name) {
  if (name.empty() || name == "." || name == ".." ||
      name.find('/') != std::string::npos)
    return "--override-file takes a file name, written next to each Compose "
           "file (e.g. compose.hardening.yaml, or {stem}.hardening.yaml)";
  for (const char* n : {"compose.yaml", "compose.yml", "docker-compose.yaml",
                        "docker-compose.yml"})
    if (name == n)
      return fmt::format("--override-file {} would become the file docker "
                         "compose reads by default; choose another name "
                         "(e.g. compose.hardening.yaml)", name);
  return {};
}

// A glob that matches the override files `name` names: exactly, or with
// anything for {stem}.
std::string OverrideGlob(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name.compare(i, 6, "{stem}") == 0) {
      out += '*';
      i += 5;
      continue;
    }
    const char c = name[i];
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Overlay mode for one hardened file: the override file next to it.
void PlanOverlay(const Options& o, const FileResult& r, bool color,
                 Outcome* oc) {
  const std::string& path = oc->path;
  const bool stdin_input = path == "-";
  if (stdin_input && !o.to_stdout) {
    oc->error = Diagnostic{"<stdin>", 0, 0,
                           "standard input has no directory to write an "
                           "override file in; add --stdout to print it"};
    return;
  }
  const std::string name = BaseName(OverlayPath(path, o.override_file));
  if (!stdin_input && BaseName(path) == name) {
    oc->error = Diagnostic{path, 0, 0,
                           "this is the override file itself; name its base "
                           "Compose file instead"};
    return;
  }
  if (std::string e = OverrideNameProblem(name); !e.empty()) {
    oc->error = Diagnostic{Shown(path), 0, 0, std::move(e)};
    return;
  }
  const std::string base = stdin_input ? "-" : BaseName(path);
  std::string text = OverlayText(r, base, name);
  oc->output = text;
  if (stdin_input || o.to_stdout) {
    oc->changed = !text.empty();
    return;
  }
  oc->overlay = OverlayPath(path, o.override_file);
  std::optional<std::string> existing;
  struct stat st;
  if (lstat(oc->overlay.c_str(), &st) == 0) {
    auto old = ReadFile(oc->overlay);
    if (!old) {
      oc->error = old.error();
      return;
    }
    if (!IsGeneratedOverlay(old.value())) {
      if (text.empty()) return;  // not ours, and nothing to write
      oc->error = Diagnostic{oc->overlay, 0, 0,
                             "exists and was not written by harden; not "
                             "replacing it (move it away, or choose another "
                             "--override-file)"};
      return;
    }
    std::string owner = OverlayBaseName(old.value());
    if (owner != base) {
      if (text.empty()) return;
      oc->error = Diagnostic{
          oc->overlay, 0, 0,
          fmt::format("was written for {}, not for {}; not replacing it "
                      "(choose another --override-file for one of them)",
                      owner, base)};
      return;
    }
    // An overlay that must stop adding things is emptied, not removed, so
    // that `docker compose -f base -f overlay` keeps working.
    if (text.empty()) text = OverlayText(r, base, name, true);
    existing = std::move(old.value());
  }
  if (text.empty()) return;  // nothing to add, and no overlay to update
  oc->changed = existing != text;
  if (!oc->changed) return;
  if (o.format == "diff" && !o.explain)
    oc->printed = OverlayDiff(existing, text, DisplayPath(oc->overlay),
                           DiffOptions{3, color});
  if (o.write) {
    if (auto e = WriteOverlayFile(oc->overlay, text))
      oc->error = e;
    else
      oc->wrote = true;
  }
}

// The file docker compose merges with `path` by default, read; none when
// there is none. An error is `path`'s: it cannot be hardened as docker
// compose reads it.
Expected<std::optional<Partner>> ReadPartnerOf(const std::string& path) {
  const Pairing pair = MergedWith(path);
  if (pair.role == Pairing::Role::kNone) return std::optional<Partner>();
  auto fail = [&](const Diagnostic& d) {
    return Diagnostic{path, 0, 0,
                      fmt::format("docker compose merges {} with it by default, "
                                  "and that file cannot be read: {}",
                                  pair.other, FormatDiagnostic(d))};
  };
  auto text = ReadFile(pair.other);
  if (!text) return fail(text.error());
  auto partner = ReadPartner(std::move(text.value()),
                             pair.role == Pairing::Role::kBase
                                 ? Partner::Role::kBase
                                 : Partner::Role::kOverride,
                             BaseName(pair.other));
  if (!partner) {
    Diagnostic d = partner.error();
    d.path = pair.other;
    return fail(d);
  }
  return std::optional<Partner>(std::move(partner.value()));
}

// Reads, hardens and (with --write) writes one file. Never throws: a library
// exception becomes this file's error, so one bad file never stops the others.
Outcome ProcessFile(const std::string& path, const Options& o,
                    const Baseline& baseline, const ImageFacts& images,
                    bool color, WriteBatch* batch) {
  Outcome oc;
  oc.path = path;
  const std::string shown = Shown(path);
  try {
    auto text = ReadFile(path);
    if (!text) {
      oc.error = text.error();
      if (path == "-") oc.error->path = shown;
      return oc;
    }
    if (IsGeneratedOverlay(text.value())) {
      // Hardening an overlay as a file of its own would add keys that
      // override the base file's choices (a user it sets, for one).
      oc.result.emplace(std::move(text.value()));
      oc.result->notes.push_back(
          "an override file written by harden --override-file; harden its "
          "base file instead");
      oc.output = oc.result->output = oc.result->source->bytes();
      return oc;
    }
    // docker compose reads a folder's Compose file merged with its override
    // file; so does harden. (With an overlay, the user names the files.)
    std::optional<Partner> partner;
    if (o.override_file.empty() && path != "-") {
      auto p = ReadPartnerOf(path);
      if (!p) {
        oc.error = p.error();
        return oc;
      }
      partner = std::move(p.value());
    }
    // `extends: {file: F}` and `include`: F, relative to the folder of the
    // file that names it, read once.
    OtherFiles others(
        path == "-" ? "." : DirName(path),
        [](const std::string& other) -> Expected<OtherFiles::Text> {
          // Only a regular file: opening a FIFO would wait for a writer.
          struct stat st;
          const bool found = stat(other.c_str(), &st) == 0;
          if (found && !S_ISREG(st.st_mode))
            return Diagnostic{other, 0, 0, "not a regular file"};
          auto text = ReadFile(other);
          if (!text) return text.error();
          return OtherFiles::Text{
              found ? fmt::format("{}:{}", st.st_dev, st.st_ino) : other,
              std::move(text.value())};
        },
        o.env ? &*o.env : nullptr);
    auto r = HardenText(std::move(text.value()), baseline, images,
                        o.override_file.empty() ? Target::kBaseFile
                                                : Target::kOverlay,
                        partner ? &*partner : nullptr, &others);
    if (!r) {
      oc.error = r.error();
      oc.error->path = shown;
      return oc;
    }
    if (!o.override_file.empty()) {
      PlanOverlay(o, r.value(), color, &oc);
    } else {
      oc.changed = r->changed();
      if (o.to_stdout) oc.output = std::move(r->output);
      if (r->changed() && !o.to_stdout && o.format == "diff" && !o.explain)
        oc.printed = UnifiedDiff(*r->source, r->edits,
                              path == "-" ? "-" : DisplayPath(path),
                              DiffOptions{3, color});
      if (o.write && r->changed() && path != "-") {
        auto ticket = batch->Stage(path, r->output);
        if (ticket)
          oc.ticket = ticket.value();
        else
          oc.error = ticket.error();
      }
    }
    oc.result.emplace(std::move(r.value()));
  } catch (const std::exception& e) {
    oc.error = Diagnostic{shown, 0, 0, std::string("internal error: ") + e.what()};
  } catch (...) {
    oc.error = Diagnostic{shown, 0, 0, "internal error"};
  }
  return oc;
}

// Makes what printing the outcome needs, in the worker that made it: the
// explanation, the notes, the counts of the summary line. Only the reports
// keep the result itself (less its output, which they do not print).
void Settle(Outcome& oc, const Options& o, bool report, bool fail_on_findings) {
  if (oc.error || !oc.result) return;
  FileResult& r = *oc.result;
  // A --check that fails on findings says which: nothing else would (a
  // report lists them itself).
  const bool say = o.check && fail_on_findings && !report;
  for (const ServicePlan& p : r.plans) {
    if (p.HasAdditions()) ++oc.hardened;
    oc.findings += p.findings.size();
    for (const Finding& f : p.findings) {
      if (IsAdvice(f)) continue;
      oc.has_findings = true;
      if (say)
        oc.failing += fmt::format("{}:{}: finding [{}]: service \"{}\": {}\n",
                                  Shown(oc.path), f.line,
                                  f.id, p.service, f.message);
    }
  }
  if (o.explain && !o.to_stdout) oc.printed = Explain(oc.path, r.plans, r.notes);
  if (report) {
    oc.notes = r.notes;
    std::string().swap(r.output);
    if (!o.override_file.empty())
      oc.report_overlay = FileReport::Overlay{
          oc.overlay, oc.changed ? oc.output : std::string()};
    return;
  }
  oc.notes = std::move(r.notes);
  oc.result.reset();
}

int Run(Options o, std::ostream& out, std::ostream& err) {
  if (o.list_baselines) {
    for (const auto& [name, desc] : ShippedBaselines())
      out << fmt::format("{:<10} {}\n", name, desc);
    return kExitOk;
  }
  if (o.to_stdout && (o.check || o.write)) {
    err << "harden: error: --stdout cannot be combined with --check or --write\n";
    return kExitError;
  }
  // A report is standard output's only content, or a program could not read it.
  if (o.format != "diff" && (o.to_stdout || o.explain)) {
    err << fmt::format("harden: error: --format {} prints the report on standard "
                       "output; it cannot be combined with {}\n",
                       o.format, o.to_stdout ? "--stdout" : "--explain");
    return kExitError;
  }
  if (o.write && std::find(o.paths.begin(), o.paths.end(), "-") != o.paths.end()) {
    err << "harden: error: --write cannot write standard input back; "
           "use --stdout to print the hardened document\n";
    return kExitError;
  }
  if (!o.override_file.empty()) {
    // With {stem}, each file's name is checked again as it is made.
    std::string e = OverrideNameProblem(OverlayPath("stem.yaml", o.override_file));
    if (!e.empty()) {
      err << "harden: error: " << e << "\n";
      return kExitError;
    }
    // A walk must not take an overlay for a Compose file of its own.
    o.discover.exclude.push_back(OverrideGlob(o.override_file));
  }
  auto baseline = LoadBaseline(o.baseline);
  if (!baseline) {
    err << FormatDiagnostic(baseline.error()) << "\n";
    return kExitError;
  }
  // As docker compose, which refuses an --env-file it cannot read.
  if (!o.env_files.empty()) {
    Variables& env = o.env.emplace();
    for (const std::string& f : o.env_files) {
      auto text = ReadFile(f);
      if (!text) {
        err << FormatDiagnostic(text.error()) << "\n";
        return kExitError;
      }
      for (auto& [name, value] : ParseDotEnv(text.value()))
        env[name] = std::move(value);
    }
  }
  std::vector<std::string> paths = o.paths;
  if (paths.empty()) {
    std::string f = DefaultComposeFile(".");
    if (f.empty()) {
      err << "harden: error: no Compose file here (compose.yaml, "
             "compose.yml, docker-compose.yml, docker-compose.yaml); name "
             "one or a directory\n";
      return kExitError;
    }
    paths.push_back(f);
  }
  bool walked = false;
  for (const std::string& p : paths) {
    std::error_code ec;
    walked |= p != "-" && std::filesystem::is_directory(p, ec);
  }
  std::vector<Diagnostic> errors;
  std::vector<std::string> files = DiscoverFiles(paths, o.discover, &errors);
  if (files.empty() && errors.empty())
    // Not an error (a repository may have no Compose file yet), but a
    // --check that looked at nothing should not pass unremarked.
    err << "harden: warning: no Compose files found (compose.yaml, "
           "compose.yml, docker-compose.yaml, docker-compose.yml and their "
           "variants; --include adds patterns)\n";
  if (o.to_stdout && files.size() != 1) {
    err << "harden: error: --stdout takes exactly one file\n";
    return kExitError;
  }
  // Overlay mode: two Compose files in one directory would write one
  // override file in turn; neither gets it.
  std::map<std::string, std::string> refused;  // path -> why
  if (!o.override_file.empty()) {
    std::map<std::string, std::vector<std::string>> bases;
    for (const std::string& f : files)
      if (f != "-") bases[OverlayPath(f, o.override_file)].push_back(f);
    for (const auto& [overlay, same] : bases) {
      if (same.size() < 2) continue;
      for (const std::string& f : same) {
        std::string others;
        for (const std::string& b : same)
          if (b != f) others += (others.empty() ? "" : ", ") + BaseName(b);
        refused[f] = fmt::format(
            "shares the override file {} with {}; put {{stem}} in the "
            "--override-file name (e.g. {{stem}}.hardening.yaml) to give each "
            "its own",
            DisplayPath(overlay), others);
      }
    }
  }
  const ImageFacts& images = ImageFacts::Shipped();
  const bool color = o.format == "diff" && UseColor(o.color);

  // Outcomes are printed in path order, whatever the number of jobs, as
  // soon as they and all before them are done; then their texts are freed,
  // so a run over thousands of files holds only those in flight (reports
  // keep the results they are built from).
  const bool report = o.format != "diff";
  size_t failed = errors.size();
  bool would_change = false, has_findings = false;
  size_t changed = 0, clean = 0, services = 0, findings = 0;
  // Folders that cannot be walked are failures of the run: on stderr, for
  // whoever reads the log, and in the report, which accounts for every
  // failure.
  for (const Diagnostic& d : errors) err << FormatDiagnostic(d) << "\n";
  const bool progress = files.size() > 50 && isatty(STDERR_FILENO);
  auto emit = [&](Outcome& oc) {
    if (progress) err << "\r\033[K";  // the progress line comes back
    if (oc.error) {
      ++failed;
      err << FormatDiagnostic(*oc.error) << "\n";
      if (!report) oc.result.reset();
      return;
    }
    // --explain prints the notes with the services, on standard output.
    if (!o.explain || o.to_stdout)
      for (const std::string& n : oc.notes)
        err << fmt::format("{}: note: {}\n", Shown(oc.path), n);
    err << oc.failing;
    findings += oc.findings;
    has_findings |= oc.has_findings;
    if (oc.changed) services += oc.hardened;
    oc.changed ? ++changed : ++clean;
    would_change |= oc.changed;
    if (o.to_stdout)
      out << oc.output;
    else if (o.explain || !report)
      out << oc.printed;
    if (oc.wrote) {
      std::string what = oc.overlay.empty()
                             ? "hardened " + oc.path
                             : "wrote " + oc.overlay + " for " + oc.path;
      err << fmt::format("{} ({} service{})\n", what, oc.hardened,
                         oc.hardened == 1 ? "" : "s");
    }
    std::string().swap(oc.output);
    std::string().swap(oc.printed);
    std::vector<std::string>().swap(oc.notes);
  };

  std::vector<Outcome> outcomes(files.size());
  std::vector<char> ready(files.size(), 0);
  std::mutex print_mutex;  // guards all below, and the output streams
  size_t printed = 0;
  std::atomic<size_t> next{0}, done{0};
  // --write: a file is printed as written only once it is in place, so
  // outcomes wait here, in order, for the commit of their batch.
  WriteBatch batch;
  std::deque<size_t> held;
  std::map<size_t, std::optional<Diagnostic>> committed;  // ticket -> result
  std::condition_variable commit_due, room;
  size_t unwritten = 0;  // files staged and not yet in place
  bool all_staged = false;
  auto flush = [&] {
    for (; !held.empty(); held.pop_front()) {
      Outcome& oc = outcomes[held.front()];
      if (oc.ticket) {
        auto it = committed.find(*oc.ticket);
        if (it == committed.end()) return;  // not in place yet
        if (it->second)
          oc.error = std::move(it->second);
        else
          oc.wrote = true;
        committed.erase(it);
      }
      emit(oc);
    }
  };
  auto work = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      Outcome oc;
      auto why = refused.find(files[i]);
      if (why != refused.end()) {
        oc.path = files[i];
        oc.error = Diagnostic{files[i], 0, 0, why->second};
      } else {
        oc = ProcessFile(files[i], o, baseline.value(), images, color, &batch);
        Settle(oc, o, report, baseline->fail_on_findings);
      }
      std::unique_lock<std::mutex> lock(print_mutex);
      if (oc.ticket) ++unwritten;
      outcomes[i] = std::move(oc);
      ready[i] = 1;
      for (; printed < files.size() && ready[printed]; ++printed)
        held.push_back(printed);
      flush();
      ++done;
      if (batch.files() >= kBatchFiles || batch.bytes() >= kBatchBytes)
        commit_due.notify_one();
      room.wait(lock, [&] { return unwritten < kMaxUnwritten; });
    }
  };
  unsigned jobs = o.jobs > 0 ? static_cast<unsigned>(o.jobs)
                             : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, std::max<size_t>(files.size(), 1));
  // Commits batches on a thread of its own, putting as many files in place
  // at once as there are jobs; the workers wait for the disk only when it
  // falls two batches behind.
  std::thread committer;
  if (o.write)
    committer = std::thread([&] {
      std::unique_lock<std::mutex> lock(print_mutex);
      for (;;) {
        commit_due.wait_for(lock, std::chrono::seconds(1), [&] {
          return all_staged || batch.files() >= kBatchFiles ||
                 batch.bytes() >= kBatchBytes;
        });
        const bool last = all_staged;
        if (batch.files()) {
          lock.unlock();
          std::vector<WriteBatch::Result> results = batch.Commit(jobs);
          lock.lock();
          for (auto& [ticket, result] : results)
            committed.emplace(ticket, std::move(result));
          unwritten -= results.size();
          room.notify_all();
          flush();
        }
        if (last) return;
      }
    });
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(work);
  std::thread ticker;
  if (progress)
    ticker = std::thread([&] {
      while (done < files.size()) {
        {
          std::lock_guard<std::mutex> lock(print_mutex);
          err << fmt::format("\rharden: {}/{} files", done.load(),
                             files.size())
              << std::flush;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      err << "\r\033[K" << std::flush;
    });
  work();
  for (auto& t : threads) t.join();
  if (committer.joinable()) {
    {
      std::lock_guard<std::mutex> lock(print_mutex);
      all_staged = true;
    }
    commit_due.notify_one();
    committer.join();
  }
  if (ticker.joinable()) ticker.join();

  std::vector<FileReport> reports;
  if (report) {
    for (const Diagnostic& d : errors)
      reports.push_back({d.path, nullptr, d, std::nullopt});
    for (const Outcome& oc : outcomes)
      reports.push_back({oc.path, oc.result ? &*oc.result : nullptr, oc.error,
                         oc.report_overlay});
  }
  if (o.format == "json") out << JsonReport(reports, baseline.value());
  if (o.format == "sarif") out << SarifReport(reports, baseline.value());
  if (o.format == "github") out << GithubReport(reports, baseline.value());
  if (walked || files.size() != 1)
    err << fmt::format(
        "harden: {} file{} scanned, {} {}, {} already hardened, {} failed; "
        "{} service{} {}, {} finding{}\n",
        files.size(), files.size() == 1 ? "" : "s", changed,
        o.write ? "changed" : "to change", clean, failed, services,
        services == 1 ? "" : "s", o.write ? "hardened" : "to harden", findings,
        findings == 1 ? "" : "s");
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
      ->check(CLI::Range(1, 1024));
  // One GLOB per use (repeat the option for more), so that a path after it
  // is a path: `harden --exclude legacy repos/` must not exclude "repos/".
  app.add_option("--include", o.discover.include,
                 "also treat file names matching GLOB as Compose files "
                 "(repeatable)")
      ->type_name("GLOB")
      ->allow_extra_args(false);
  app.add_option("--exclude", o.discover.exclude,
                 "skip paths matching GLOB (repeatable)")
      ->type_name("GLOB")
      ->allow_extra_args(false);
  app.add_option("--override-file", o.override_file,
                 "write the hardening to override file NAME beside each "
                 "Compose file, which stays unchanged (as a diff; --write "
                 "writes it); {stem} in NAME stands for the Compose file's "
                 "name without its extension")
      ->type_name("NAME");
  app.add_option("--env-file", o.env_files,
                 "read ${VAR} in Compose files (image names, build paths) "
                 "from FILE instead of the .env beside each, as docker "
                 "compose --env-file does (repeatable; the later wins)")
      ->type_name("FILE")
      ->allow_extra_args(false);
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
