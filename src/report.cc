#include "harden/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <type_traits>
#include <utility>

#include "harden/compose_model.h"
#include "harden/document.h"

namespace harden {
namespace {

// ---------------------------------------------------------------------------
// A JSON value, just enough to build a report. Object members keep the order
// they were set in, so the same results always print the same bytes.
class Json {
 public:
  Json() = default;
  Json(bool b) : kind_(Kind::kBool), bool_(b) {}  // NOLINT: implicit by design
  template <class T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                             int> = 0>
  Json(T n)  // NOLINT
      : kind_(Kind::kNumber), number_(static_cast<long long>(n)) {}
  Json(std::string s)  // NOLINT
      : kind_(Kind::kString), string_(std::move(s)) {}
  Json(std::string_view s) : Json(std::string(s)) {}  // NOLINT
  Json(const char* s) : Json(std::string(s)) {}       // NOLINT

  static Json Object() { return Json(Kind::kObject); }
  static Json Array() { return Json(Kind::kArray); }
  /// JSON text written as it is (an ArrayText).
  static Json Raw(std::string text) {
    Json j(Kind::kRaw);
    j.string_ = std::move(text);
    return j;
  }
  static Json Strings(const std::vector<std::string>& v) {
    Json a = Array();
    for (const std::string& s : v) a.Push(s);
    return a;
  }

  /// Adds a member to an object and returns the object.
  Json& Set(std::string key, Json value) {
    members_.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  /// Appends an item to an array and returns the array.
  Json& Push(Json value) {
    items_.push_back(std::move(value));
    return *this;
  }
  bool empty() const { return members_.empty() && items_.empty(); }

  /// The document, indented by two spaces, with a final newline. Arrays of
  /// scalars stay on one line.
  std::string Dump() const {
    std::string out;
    Write(&out, 0);
    out += '\n';
    return out;
  }

  /// Appends the value as it appears at nesting `depth`.
  void Write(std::string* out, int depth) const {
    switch (kind_) {
      case Kind::kRaw:
        *out += string_;
        return;
      case Kind::kNull:
        *out += "null";
        return;
      case Kind::kBool:
        *out += bool_ ? "true" : "false";
        return;
      case Kind::kNumber:
        *out += std::to_string(number_);
        return;
      case Kind::kString:
        *out += JsonQuote(string_);
        return;
      case Kind::kArray: {
        if (items_.empty()) {
          *out += "[]";
          return;
        }
        bool flat = std::none_of(items_.begin(), items_.end(),
                                 [](const Json& j) { return j.IsContainer(); });
        if (flat) {
          *out += '[';
          for (size_t i = 0; i < items_.size(); ++i) {
            if (i) *out += ", ";
            items_[i].Write(out, depth);
          }
          *out += ']';
          return;
        }
        *out += "[\n";
        for (size_t i = 0; i < items_.size(); ++i) {
          Indent(out, depth + 1);
          items_[i].Write(out, depth + 1);
          *out += i + 1 < items_.size() ? ",\n" : "\n";
        }
        Indent(out, depth);
        *out += ']';
        return;
      }
      case Kind::kObject: {
        if (members_.empty()) {
          *out += "{}";
          return;
        }
        *out += "{\n";
        for (size_t i = 0; i < members_.size(); ++i) {
          Indent(out, depth + 1);
          *out += JsonQuote(members_[i].first);
          *out += ": ";
          members_[i].second.Write(out, depth + 1);
          *out += i + 1 < members_.size() ? ",\n" : "\n";
        }
        Indent(out, depth);
        *out += '}';
        return;
      }
    }
  }

  static void Indent(std::string* out, int depth) {
    out->append(static_cast<size_t>(depth) * 2, ' ');
  }

 private:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject, kRaw };
  explicit Json(Kind k) : kind_(k) {}

  bool IsContainer() const {
    return kind_ == Kind::kArray || kind_ == Kind::kObject ||
           kind_ == Kind::kRaw;
  }

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  long long number_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

// An array written one item at a time, exactly as Json::Write writes it at
// `depth`: a report of many files holds one file's values at a time, and
// the text.
class ArrayText {
 public:
  explicit ArrayText(int depth) : depth_(depth) {}
  void Add(const Json& item) {
    text_ += text_.empty() ? "[\n" : ",\n";
    Json::Indent(&text_, depth_ + 1);
    item.Write(&text_, depth_ + 1);
  }
  /// The array, to be placed at `depth` with Json::Raw.
  std::string Take() {
    if (text_.empty()) return "[]";
    text_ += '\n';
    Json::Indent(&text_, depth_);
    text_ += ']';
    return std::move(text_);
  }

 private:
  int depth_;
  std::string text_;
};

// The code point of the UTF-8 sequence at `s[i]` and its length, or a length
// of 0 when the bytes there are not valid UTF-8 (RFC 3629: no overlong forms,
// no surrogates, nothing past U+10FFFF).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = (c & 0xE0) == 0xC0   ? 2
             : (c & 0xF0) == 0xE0 ? 3
             : (c & 0xF8) == 0xF0 ? 4
                                  : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t v = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    unsigned char b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b & 0x3F);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

// Columns in SARIF count UTF-16 code units (its default columnKind): one per
// character, two for a character past U+FFFF (a 4-byte UTF-8 sequence).
size_t Utf16Units(std::string_view s) {
  size_t n = 0;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) ++n;  // ASCII or the lead byte of a sequence
    if (c >= 0xF0) ++n;
  }
  return n;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// ---------------------------------------------------------------------------
// Places in the original text. Lines are 1-based. `column` counts bytes, like
// `offset` and like harden's PATH:LINE:COL messages; `utf16_column` and
// `utf16_offset` count UTF-16 code units, for SARIF. A UTF-8 byte order mark
// is not part of line 1. The end of a file that ends with a newline is
// column 1 of the line after the last.
struct Position {
  int line = 1;
  int column = 1;
  int utf16_column = 1;
  size_t utf16_offset = 0;
};

class Locator {
 public:
  explicit Locator(const SourceText& src) : src_(src) {
    size_t units = 0;
    line_units_.reserve(src.line_count());
    for (size_t l = 0; l < src.line_count(); ++l) {
      line_units_.push_back(units);
      size_t begin = LineBegin(l);
      units +=
          Utf16Units(src.view().substr(begin, src.LineEndWithEol(l) - begin));
    }
    total_units_ = units;
  }

  Position At(size_t offset) const {
    Position p;
    if (offset >= src_.size() && src_.ends_with_newline()) {
      p.line = static_cast<int>(src_.line_count()) + 1;
      p.utf16_offset = total_units_;
      return p;
    }
    size_t line = src_.LineOf(offset);
    size_t begin = LineBegin(line);
    offset = std::max(offset, begin);
    std::string_view before = src_.view().substr(begin, offset - begin);
    size_t units = Utf16Units(before);
    p.line = static_cast<int>(line) + 1;
    p.column = static_cast<int>(before.size()) + 1;
    p.utf16_column = static_cast<int>(units) + 1;
    p.utf16_offset = line_units_[line] + units;
    return p;
  }

  /// The first character on 1-based `line` that is not a space or a tab.
  Position LineIndent(int line) const {
    if (line < 1 || static_cast<size_t>(line) > src_.line_count()) {
      Position p;
      p.line = std::max(line, 1);
      return p;
    }
    size_t l = static_cast<size_t>(line) - 1;
    size_t i = LineBegin(l), end = src_.LineEnd(l);
    while (i < end && (src_.bytes()[i] == ' ' || src_.bytes()[i] == '\t')) ++i;
    return At(i == end ? LineBegin(l) : i);
  }

 private:
  size_t LineBegin(size_t line) const {
    return line == 0 ? std::min(src_.bom_size(), src_.size())
                     : src_.LineStart(line);
  }

  const SourceText& src_;
  std::vector<size_t> line_units_;  // UTF-16 units before each line
  size_t total_units_ = 0;
};

// ---------------------------------------------------------------------------
// Which edits belong to which service. The planner writes a service's
// additions between its key and the next service's key, so an edit belongs to
// the last service whose key starts at or before it. (An insertion at the
// start of the next service's line still belongs to the one before: the key
// itself is indented, so its offset is past that line start.)
struct ServiceView {
  const ServicePlan* plan = nullptr;
  std::optional<size_t> key_offset;
  /// The keys of the service's own mapping, with their offsets, in order.
  std::vector<std::pair<std::string, size_t>> own_keys;
  std::vector<const Edit*> edits;  ///< in offset order
};

struct FileView {
  const FileReport* report = nullptr;
  const FileResult* result = nullptr;
  std::optional<Locator> locator;
  std::vector<ServiceView> services;
};

// Whether hardening changes something on disk: the file, or in overlay
// mode its override file.
bool Changes(const FileReport& f) {
  if (f.overlay) return !f.overlay->text.empty();
  return f.result && f.result->changed();
}

FileView MakeView(const FileReport& report) {
  FileView v;
  v.report = &report;
  v.result = report.result;
  if (!v.result) return v;
  const FileResult& r = *v.result;
  const SourceText& src = *r.source;
  v.locator.emplace(src);
  for (const ServicePlan& p : r.plans) v.services.push_back({&p, {}, {}, {}});
  if (v.services.empty()) return v;

  // The parse succeeded once already (HardenText); read the key positions
  // again rather than carry the document around with every result.
  bool located = false;
  auto doc = ParseDocument(src.view());
  if (doc) {
    auto model = LocateServices(doc.value());
    if (model && model->service_nodes.size() == v.services.size()) {
      located = true;
      for (size_t i = 0; i < v.services.size() && located; ++i)
        located = model->service_nodes[i].name == v.services[i].plan->service;
      for (size_t i = 0; i < v.services.size() && located; ++i) {
        const ServiceNode& s = model->service_nodes[i];
        v.services[i].key_offset = s.key->offset;
        if (s.own && s.own->IsMapping())
          for (size_t k = 0; k < s.own->MapSize(); ++k)
            v.services[i].own_keys.emplace_back(
                std::string(s.own->Key(k)->value), s.own->Key(k)->offset);
      }
    }
  }
  if (!located) {
    // Block style puts each service key first on its line.
    for (ServiceView& s : v.services) {
      s.own_keys.clear();
      int line = s.plan->line;
      s.key_offset.reset();
      if (line < 1 || static_cast<size_t>(line) > src.line_count()) continue;
      size_t i = src.LineStart(static_cast<size_t>(line) - 1);
      if (line == 1) i = std::min(src.bom_size(), src.size());
      while (i < src.size() &&
             (src.bytes()[i] == ' ' || src.bytes()[i] == '\t'))
        ++i;
      s.key_offset = i;
    }
  }

  std::vector<ServiceView*> by_offset;
  for (ServiceView& s : v.services)
    if (s.key_offset) by_offset.push_back(&s);
  std::stable_sort(by_offset.begin(), by_offset.end(),
                   [](const ServiceView* a, const ServiceView* b) {
                     return *a->key_offset < *b->key_offset;
                   });
  for (const Edit& e : r.edits) {
    auto it = std::upper_bound(
        by_offset.begin(), by_offset.end(), e.offset,
        [](size_t off, const ServiceView* s) { return off < *s->key_offset; });
    if (it != by_offset.begin()) (*(it - 1))->edits.push_back(&e);
  }
  return v;
}

// True when `text` writes `key` as a mapping key ("  key:" or "{key: ").
bool WritesKey(std::string_view text, std::string_view key) {
  std::string pattern = std::string(key) + ":";
  for (size_t at = text.find(pattern); at != std::string_view::npos;
       at = text.find(pattern, at + 1)) {
    char before = at == 0 ? '\n' : text[at - 1];
    size_t after = at + pattern.size();
    char next = after < text.size() ? text[after] : '\n';
    if ((before == '\n' || before == ' ' || before == '{' || before == ',') &&
        (next == ' ' || next == '\n' || next == '\r'))
      return true;
  }
  return false;
}

// Offset of the edit that writes an addition to `key`: one that writes the
// key itself, else one inside the service's existing entry for it.
std::optional<size_t> ChangeOffset(const ServiceView& s,
                                   const std::string& key) {
  for (const Edit* e : s.edits)
    if (WritesKey(e->text, key)) return e->offset;
  for (size_t i = 0; i < s.own_keys.size(); ++i) {
    if (s.own_keys[i].first != key) continue;
    size_t from = s.own_keys[i].second;
    size_t to = i + 1 < s.own_keys.size() ? s.own_keys[i + 1].second
                                          : std::string::npos;
    for (const Edit* e : s.edits)
      if (e->offset >= from && e->offset < to) return e->offset;
  }
  return std::nullopt;
}

Position ServicePosition(const FileView& v, const ServiceView& s) {
  return s.key_offset ? v.locator->At(*s.key_offset)
                      : v.locator->LineIndent(s.plan->line);
}

// The path a diagnostic names, when it is not the file's own (an override
// file in overlay mode).
std::string ErrorPath(const FileReport& f) {
  const std::string& p = f.error->path;
  if (p.empty() || p == f.path || (p == "<stdin>" && f.path == "-"))
    return f.path;
  return p;
}

// A decision's values as harden writes them, for messages.
std::string ValuesText(const std::vector<std::string>& values) {
  return Join(values, ", ");
}

// The additions of one service, grouped by key in decision order: one SARIF
// result or GitHub annotation each.
struct Addition {
  std::string key;
  std::vector<std::string> values;
  std::vector<std::string> reasons;
};

std::vector<Addition> Additions(const ServicePlan& plan) {
  std::vector<Addition> out;
  for (const Decision& d : plan.decisions) {
    if (d.action != Action::kAdd) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const Addition& a) { return a.key == d.key; });
    if (it == out.end()) {
      out.push_back({d.key, {}, {}});
      it = out.end() - 1;
    }
    it->values.insert(it->values.end(), d.values.begin(), d.values.end());
    if (std::find(it->reasons.begin(), it->reasons.end(), d.reason) ==
        it->reasons.end())
      it->reasons.emplace_back(d.reason);
  }
  return out;
}

std::string AdditionMessage(const ServicePlan& plan, const Addition& a) {
  return fmt::format("service \"{}\": add {} {} ({})", plan.service, a.key,
                     ValuesText(a.values), Join(a.reasons, "; "));
}

std::string FindingMessage(const ServicePlan& plan, const Finding& f) {
  return fmt::format("service \"{}\": {}", plan.service, f.message);
}

// ---------------------------------------------------------------------------
// The SARIF rules: one per baseline control, one per finding id.
struct Rule {
  std::string id;
  std::string name;
  std::string short_text;
  std::string full_text;
  std::string help;  ///< Markdown; the plain text drops the backquotes
  std::string level;
  std::string severity;  ///< GitHub's security-severity, or empty
  std::vector<std::string> tags;
};

struct RuleData {
  const char* id;
  const char* name;
  const char* short_text;
  const char* full_text;
  const char* help;
  const char* level;
  const char* severity;
  const char* cwe;  // a CWE tag, or null
};

constexpr const char* kOptOutHelp =
    "\n\nTo keep a service as it is on purpose, opt out in the Compose file "
    "with a reason that reviewers can read: `x-harden: {skip: [KEY], reason: "
    "\"...\"}`, or `x-harden: false` for the whole service.";

const RuleData kControlRules[] = {
    {"baseline/user", "RunAsNonRootUser", "Run the service as a non-root user",
     "The service sets no user, so it runs as its image's default user, which "
     "is root for most images. harden adds the baseline's user, or the "
     "image's own account where harden's image facts know it.",
     "A process that runs as root in a container is one kernel or runtime bug "
     "away from root on the host, and can write to everything the container "
     "mounts.\n\nharden adds `user:` with the baseline's uid:gid "
     "(`\"1000:1000\"` in the default baseline), or the image's own "
     "account. Files the service writes in volumes must then belong to that "
     "uid.",
     "warning", "6.0", "external/cwe/cwe-250"},
    {"baseline/cap_drop", "DropAllCapabilities", "Drop every Linux capability",
     "The service keeps Docker's default capabilities (14 of them, among them "
     "CHOWN, DAC_OVERRIDE, NET_RAW, SETUID and SETGID). harden adds "
     "cap_drop: [ALL]; cap_add gives back what the service needs.",
     "Most services need none of Docker's default capabilities once they "
     "have started. `cap_drop: [ALL]` removes them; harden keeps every "
     "explicit "
     "`cap_add` entry and adds the capabilities its image facts say the image "
     "needs, so that what remains is explicit and reviewable.",
     "warning", "6.0", "external/cwe/cwe-250"},
    {"baseline/no-new-privileges", "NoNewPrivileges",
     "Forbid privilege escalation through setuid binaries",
     "Without no-new-privileges, a setuid binary or a file capability in the "
     "image can give a process privileges it did not start with. harden adds "
     "no-new-privileges:true to security_opt.",
     "`security_opt: [no-new-privileges:true]` makes the kernel ignore setuid "
     "bits and file capabilities for the container's processes (Linux "
     "`PR_SET_NO_NEW_PRIVS`). An entrypoint that switches user with `su` or "
     "`sudo` stops working; `gosu`, `su-exec` and `setpriv` keep working.",
     "warning", "5.0", "external/cwe/cwe-269"},
    {"baseline/read_only", "ReadOnlyRootFilesystem",
     "Make the root filesystem read-only",
     "A writable root filesystem lets an intruder change binaries and "
     "configuration inside the container. harden adds read_only: true, and "
     "tmpfs mounts for the paths the service writes at run time.",
     "`read_only: true` mounts the container's root filesystem read-only. "
     "Volumes and tmpfs mounts stay writable; harden adds `/tmp` and the "
     "run-time paths it knows for the image as tmpfs mounts.",
     "warning", "4.0", nullptr},
    {"baseline/tmpfs", "TmpfsScratchSpace",
     "Give a read-only service writable scratch space",
     "Under read_only: true, the paths a service writes at run time need a "
     "tmpfs mount. harden adds them, never over a volume or an existing "
     "tmpfs.",
     "harden adds `/tmp`, and the run-time paths its image facts list for the "
     "image (for example `/var/cache/nginx`), as `tmpfs` mounts, owned by the "
     "service's user where the image has them root-owned.",
     "warning", "2.0", nullptr},
    {"baseline/cap_add", "ExplicitCapabilities",
     "Give back the capabilities the service needs",
     "After cap_drop: [ALL], harden adds the capabilities the image needs to "
     "start (from its image facts), or, with the preserve baseline, Docker's "
     "default capabilities, so that the privileges are explicit.",
     "Each capability harden adds comes with its reason and source. Review "
     "the list: remove what the service does not need, or keep it as the "
     "documented minimum.",
     "warning", "2.0", nullptr},
};

const RuleData kFindingRules[] = {
    {"privileged", "PrivilegedContainer", "Service runs privileged",
     "privileged: true gives the container every capability and all host "
     "devices, and turns off seccomp and AppArmor confinement; cap_drop and "
     "cap_add have no effect. harden reports it and does not change it.",
     "Remove `privileged: true`, and give the service only the capabilities "
     "(`cap_add`) and devices (`devices`) it needs.",
     "error", "9.0", "external/cwe/cwe-250"},
    {"host-network", "HostNetwork", "Service shares the host's network",
     "network_mode: host gives the container the host's network stack: it can "
     "bind any host port and reach every service listening on localhost.",
     "Remove `network_mode: host`; use a network and publish only the ports "
     "the service needs with `ports:`.",
     "warning", "7.0", nullptr},
    {"host-pid", "HostPidNamespace", "Service shares the host's PID namespace",
     "pid: host shows every host process to the container, and with enough "
     "capabilities lets it signal or trace them.",
     "Remove `pid: host` unless the service is a host monitoring agent.",
     "warning", "7.0", nullptr},
    {"host-ipc", "HostIpcNamespace", "Service shares the host's IPC namespace",
     "ipc: host shares System V IPC and POSIX shared memory with the host.",
     "Remove `ipc: host`; `ipc: \"service:NAME\"` shares IPC with one other "
     "service only.",
     "warning", "6.0", nullptr},
    {"host-userns", "HostUserNamespace",
     "Service turns off user namespace remapping",
     "userns_mode: host turns off the daemon's user namespace remapping for "
     "this container, so root in the container is root on the host.",
     "Remove `userns_mode: host`.", "warning", "6.0", nullptr},
    {"docker-socket", "DockerSocketMount", "Service mounts the Docker socket",
     "A container that reaches the Docker engine's socket can start a "
     "privileged container, and so controls the host, even when the socket is "
     "mounted read-only.",
     "Remove the mount, or put a proxy in front of the socket that allows "
     "only the API calls the service needs.",
     "error", "9.0", "external/cwe/cwe-250"},
    {"seccomp-unconfined", "SeccompUnconfined",
     "Service turns off the seccomp filter",
     "seccomp:unconfined lets the container make every system call, including "
     "those Docker's default profile blocks.",
     "Remove `seccomp:unconfined` from `security_opt`, or give a profile that "
     "allows only the extra calls the service needs.",
     "warning", "7.0", nullptr},
    {"apparmor-unconfined", "AppArmorUnconfined", "Service turns off AppArmor",
     "apparmor:unconfined removes the AppArmor profile Docker applies by "
     "default.",
     "Remove `apparmor:unconfined` from `security_opt`, or name a profile "
     "written for the service.",
     "warning", "6.0", nullptr},
    {"label-disable", "SelinuxLabelDisabled",
     "Service turns off SELinux labelling",
     "label:disable turns off SELinux separation for the container on hosts "
     "that enforce SELinux.",
     "Remove `label:disable` from `security_opt`; relabel bind mounts with "
     "`:z` or `:Z` instead.",
     "warning", "6.0", nullptr},
    {"cap-add-all", "CapAddAll", "Service adds every capability",
     "cap_add: [ALL] grants every Linux capability, nearly the same as "
     "privileged: true.",
     "Replace `ALL` with the capabilities the service needs.", "error", "9.0",
     "external/cwe/cwe-250"},
    {"cap-add-not-allowed", "CapAddNotAllowed",
     "Service adds a capability the baseline does not allow",
     "The baseline lists the capabilities a service may add "
     "(allowed_cap_add); this one is not on the list.",
     "Remove the capability, or change the baseline's `allowed_cap_add` after "
     "review.",
     "warning", "5.0", "external/cwe/cwe-250"},
    {"runs-as-root", "RootUser", "Service runs as root",
     "The service sets its user to root (or uid 0), an explicit choice harden "
     "keeps; or harden adds no user because the service needs root: its "
     "image must start as root, it adds capabilities (which only root "
     "holds), or it listens on a port below 1024 in the host's network.",
     "Run as a non-root uid:gid that owns the files the service writes. If "
     "the entrypoint needs root to start, keep `cap_drop: [ALL]` with only "
     "the capabilities it needs.",
     "warning", "6.0", "external/cwe/cwe-250"},
    {"nnp-disabled", "NoNewPrivilegesDisabled",
     "Service allows privilege escalation explicitly",
     "security_opt no-new-privileges:false lets setuid binaries gain "
     "privileges. harden keeps an explicit choice and reports it.",
     "Use `no-new-privileges:true` unless the entrypoint switches user with "
     "`su` or `sudo`.",
     "warning", "5.0", "external/cwe/cwe-269"},
    {"read-only-disabled", "ReadOnlyDisabled",
     "Service keeps a writable root filesystem explicitly",
     "read_only: false is the service's explicit choice; harden keeps it and "
     "reports it.",
     "Set `read_only: true` and give the paths the service writes a `tmpfs` "
     "mount or a volume.",
     "note", "3.0", nullptr},
    {"opt-out", "HardenOptOut", "Service opts out of hardening",
     "x-harden: false, or x-harden: {skip: [...]}, leaves some or all "
     "controls out for this service; the reason given is reported.",
     "Review the reason. Remove the opt-out when it no longer applies.", "note",
     "", nullptr},
    {"image-note", "ImageNote", "Something to check for this image",
     "harden's image facts carry a note for this image, for example that its "
     "data volume must belong to the new user.",
     "Read the note and check the service after hardening.", "note", "",
     nullptr},
    {"extends-file", "ExtendsAnotherFile",
     "Service extends a service of another file",
     "extends: {file: ...} takes settings from a file harden could not read "
     "(it is missing, invalid, or lacks the service); a user, a mount or "
     "read_only set there may disagree with what harden adds here.",
     "Check the extended service, or harden the other file too and compare "
     "with `docker compose config`.",
     "note", "", nullptr},
    {"volumes-from-container", "VolumesFromContainer",
     "Service mounts the volumes of a container harden cannot see",
     "volumes_from: [container:NAME] mounts every volume of a container "
     "outside the Compose file; one of them may be at a path where harden "
     "adds a tmpfs, which would hide it.",
     "Check the container's mounts (`docker inspect NAME`), and skip the "
     "tmpfs (`x-harden: {skip: [tmpfs]}`) where one is at that path.",
     "note", "", nullptr},
    {"volumes-from-unknown", "VolumesFromUnknownService",
     "Service mounts the volumes of a service harden cannot find",
     "volumes_from names a service that no file harden reads with this one "
     "defines (the override file docker compose merges with it, the files "
     "they include): it comes from a file given with -f, or an include "
     "harden cannot read. One of its volumes may be at a path where harden "
     "adds a tmpfs, which would hide it.",
     "Check that service's volumes (`docker compose config`), and skip the "
     "tmpfs (`x-harden: {skip: [tmpfs]}`) where one is at that path.",
     "note", "", nullptr},
    {"host-network-low-port", "HostNetworkLowPort",
     "Service cannot bind its image's port in the host's network",
     "The service sets a non-root user and runs in the host's network "
     "(network_mode: host), where Docker's unprivileged-port setting does not "
     "apply; its image listens on a port below 1024 by default, which only "
     "root with NET_BIND_SERVICE may bind there.",
     "Configure the service to listen on a port above 1023, or leave out the "
     "user so that harden keeps root with NET_BIND_SERVICE.",
     "note", "", nullptr},
    {"devices-group", "DeviceNeedsGroup",
     "Service may not open its devices as the user harden adds",
     "A device node keeps the host's owner and group (root, and video, "
     "render or dialout). harden adds a non-root user to a service with "
     "`devices` and no `group_add`: that user opens the devices only "
     "through their group.",
     "Add the devices' group to `group_add`, by the gid it has on the host "
     "(`stat -c %g /dev/dri/renderD128`).",
     "note", "", nullptr},
    {"inherited-hardening", "InheritedHardening",
     "Service inherits hardening it opts out of",
     "The service extends another service of the same file and so inherits "
     "what harden adds to that one (a user, read_only, capability lists), "
     "though it opts out of it with x-harden, or its image runs as a user of "
     "its own. harden cannot take an inherited value away in this service.",
     "Skip the control for the extended service too (`x-harden: {skip: "
     "[user]}`), or set the value in this service explicitly.",
     "warning", "", nullptr},
    {"x-harden-invalid", "InvalidXHarden",
     "The service's x-harden is not valid",
     "x-harden must be false, or a mapping with skip (a list of controls) and "
     "reason (a string). harden ignores what it cannot read.",
     "Fix the `x-harden` entry: `x-harden: {skip: [read_only], reason: "
     "\"...\"}`.",
     "warning", "", nullptr},
};

Rule MakeRule(const RuleData& d) {
  Rule r{d.id,   d.name,  d.short_text, d.full_text,
         d.help, d.level, d.severity,   {"security"}};
  if (d.cwe) r.tags.push_back(d.cwe);
  return r;
}

std::string ControlRuleId(const std::string& key) {
  return key == "security_opt" ? "baseline/no-new-privileges"
                               : "baseline/" + key;
}

// The rules of one report, found by id; ids the catalog does not know (a
// baseline's own `set:` keys, a finding added later) get a plain rule.
class RuleSet {
 public:
  explicit RuleSet(const Baseline& b) : baseline_(b) {
    for (const RuleData& d : kControlRules) Add(MakeRule(d));
    for (const ExtraKey& e : b.extra) Index(ControlRuleId(e.key));
    for (const RuleData& d : kFindingRules) Add(MakeRule(d));
  }

  /// The index of rule `id`, added when it is new.
  size_t Index(const std::string& id) {
    auto it = index_.find(id);
    if (it != index_.end()) return it->second;
    return Add(Generic(id));
  }
  const Rule& at(size_t i) const { return rules_[i]; }
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  size_t Add(Rule r) {
    index_[r.id] = rules_.size();
    rules_.push_back(std::move(r));
    return rules_.size() - 1;
  }

  Rule Generic(const std::string& id) const {
    Rule r;
    r.id = id;
    r.level = "warning";
    r.tags = {"security"};
    if (id.compare(0, 9, "baseline/") == 0) {
      std::string key = id.substr(9);
      std::string yaml;
      for (const ExtraKey& e : baseline_.extra)
        if (e.key == key) yaml = e.yaml;
      r.name = "BaselineSets_" + key;
      r.short_text = fmt::format("Set {} as the baseline requires", key);
      r.full_text = yaml.empty()
                        ? fmt::format(
                              "Baseline \"{}\" sets {} on services that do not "
                              "set it.",
                              baseline_.name, key)
                        : fmt::format(
                              "Baseline \"{}\" sets {}: {} on services that do "
                              "not set it.",
                              baseline_.name, key, yaml);
      r.help = r.full_text;
    } else {
      r.name = id;
      r.short_text = fmt::format("harden finding {}", id);
      r.full_text = r.short_text + ".";
      r.help = r.full_text;
    }
    return r;
  }

  const Baseline& baseline_;
  std::vector<Rule> rules_;
  std::map<std::string, size_t> index_;
};

std::string PlainText(std::string markdown) {
  markdown.erase(std::remove(markdown.begin(), markdown.end(), '`'),
                 markdown.end());
  return markdown;
}

Json RuleJson(const Rule& r) {
  bool control = r.id.compare(0, 9, "baseline/") == 0;
  std::string help = r.help;
  if (control) {
    std::string key = r.id.substr(9);
    if (key == "no-new-privileges") key = "security_opt";
    std::string opt_out = kOptOutHelp;
    opt_out.replace(opt_out.find("KEY"), 3, key);
    help += opt_out;
  }
  Json props = Json::Object();
  props.Set("tags", Json::Strings(r.tags));
  props.Set("precision", "very-high");
  if (!r.severity.empty()) props.Set("security-severity", r.severity);
  Json j = Json::Object();
  j.Set("id", r.id)
      .Set("name", r.name)
      .Set("shortDescription", Json::Object().Set("text", r.short_text))
      .Set("fullDescription", Json::Object().Set("text", r.full_text))
      .Set("help",
           Json::Object().Set("text", PlainText(help)).Set("markdown", help))
      .Set("defaultConfiguration", Json::Object().Set("level", r.level))
      .Set("properties", std::move(props));
  return j;
}

// A URI reference for a path: relative paths stay relative ("./" dropped),
// absolute ones become file: URIs; bytes outside RFC 3986's unreserved set
// (and '/') are percent-encoded.
std::string ArtifactUri(std::string_view path) {
  while (path.compare(0, 2, "./") == 0) path.remove_prefix(2);
  std::string out = !path.empty() && path[0] == '/' ? "file://" : "";
  for (char ch : path) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~' || c == '/')
      out += ch;
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

Json ArtifactLocation(const std::string& uri) {
  return Json::Object().Set("uri", uri);
}

Json SarifLocation(const std::string& uri, std::optional<Json> region) {
  Json physical = Json::Object();
  physical.Set("artifactLocation", ArtifactLocation(uri));
  if (region) physical.Set("region", std::move(*region));
  return Json::Object().Set("physicalLocation", std::move(physical));
}

Json PointRegion(const Position& p) {
  return Json::Object()
      .Set("startLine", p.line)
      .Set("startColumn", p.utf16_column);
}

// A SARIF fix that applies the service's edits.
std::optional<Json> SarifFix(const FileView& v, const ServiceView& s,
                             const std::string& uri) {
  if (s.edits.empty()) return std::nullopt;
  std::vector<std::string> keys;
  for (const Addition& a : Additions(*s.plan)) keys.push_back(a.key);
  Json replacements = Json::Array();
  for (const Edit* e : s.edits) {
    Position from = v.locator->At(e->offset);
    Position to = v.locator->At(e->end());
    Json region = Json::Object();
    region.Set("startLine", from.line)
        .Set("startColumn", from.utf16_column)
        .Set("endLine", to.line)
        .Set("endColumn", to.utf16_column)
        .Set("charOffset", from.utf16_offset)
        .Set("charLength", to.utf16_offset - from.utf16_offset);
    Json r = Json::Object();
    r.Set("deletedRegion", std::move(region));
    if (!e->text.empty())
      r.Set("insertedContent", Json::Object().Set("text", e->text));
    replacements.Push(std::move(r));
  }
  Json change = Json::Object();
  change.Set("artifactLocation", ArtifactLocation(uri))
      .Set("replacements", std::move(replacements));
  Json fix = Json::Object();
  fix.Set("description",
          Json::Object().Set("text",
                             fmt::format("harden service \"{}\": add {}",
                                         s.plan->service, Join(keys, ", "))))
      .Set("artifactChanges", Json::Array().Push(std::move(change)));
  return fix;
}

}  // namespace

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  auto unicode = [&](uint32_t cp) { out += fmt::format("\\u{:04x}", cp); };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7F)
            unicode(c);
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0xFFFD;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) {
      cp = 0xFFFD;
      n = 1;
    }
    if (cp < 0x10000) {
      unicode(cp);
    } else {
      cp -= 0x10000;
      unicode(0xD800 + (cp >> 10));
      unicode(0xDC00 + (cp & 0x3FF));
    }
    i += n;
  }
  out += '"';
  return out;
}

std::string GithubEscape(std::string_view s, bool property) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<std::string> KnownFindingIds() {
  std::vector<std::string> ids;
  for (const RuleData& d : kFindingRules) ids.push_back(d.id);
  return ids;
}

// ---------------------------------------------------------------------------
// JSON (docs/json-report.md)

namespace {

Json DecisionJson(const Decision& d, std::optional<int> line, bool action) {
  Json j = Json::Object();
  j.Set("key", d.key);
  if (action) j.Set("action", ActionName(d.action));
  j.Set("values", Json::Strings(d.values)).Set("reason", d.reason);
  if (!d.source.empty()) j.Set("source", d.source);
  if (line && *line > 0) j.Set("line", *line);
  return j;
}

struct Summary {
  size_t files = 0, changed = 0, unchanged = 0, failed = 0, services = 0,
         services_hardened = 0, changes = 0, findings = 0, edits = 0;
};

Json FileJson(const FileView& v, Summary* sum) {
  const FileReport& f = *v.report;
  const FileResult* r = v.result;
  const bool changed = Changes(f);
  const char* status = f.error ? "error" : changed ? "changed" : "unchanged";
  ++sum->files;
  if (f.error)
    ++sum->failed;
  else if (changed)
    ++sum->changed;
  else
    ++sum->unchanged;

  Json j = Json::Object();
  j.Set("path", f.path).Set("status", status);
  if (f.error) {
    Json e = Json::Object();
    std::string path = ErrorPath(f);
    if (path != f.path) e.Set("path", path);
    e.Set("line", f.error->line)
        .Set("column", f.error->column)
        .Set("message", f.error->message);
    j.Set("error", std::move(e));
  }
  j.Set("notes", r ? Json::Strings(r->notes) : Json::Array());

  Json services = Json::Array();
  for (const ServiceView& s : v.services) {
    const ServicePlan& p = *s.plan;
    Position at = ServicePosition(v, s);
    Json changes = Json::Array(), kept = Json::Array(), skipped = Json::Array();
    for (const Decision& d : p.decisions) {
      if (d.action == Action::kAdd) {
        std::optional<int> line;  // where it goes; not in this file (overlay)
        if (auto off = ChangeOffset(s, d.key); off && !f.overlay)
          line = v.locator->At(*off).line;
        changes.Push(DecisionJson(d, line, true));
        ++sum->changes;
      } else {
        (d.action == Action::kKeep ? kept : skipped)
            .Push(DecisionJson(d, d.line, false));
      }
    }
    Json findings = Json::Array();
    for (const Finding& fd : p.findings) {
      Json fj = Json::Object();
      fj.Set("id", fd.id).Set("message", fd.message);
      if (fd.line > 0) fj.Set("line", fd.line);
      findings.Push(std::move(fj));
    }
    sum->findings += p.findings.size();
    ++sum->services;
    if (!f.error && changed && p.HasAdditions()) ++sum->services_hardened;
    Json sj = Json::Object();
    sj.Set("name", p.service)
        .Set("line", p.line)
        .Set("column", at.column)
        .Set("changes", std::move(changes))
        .Set("kept", std::move(kept))
        .Set("skipped", std::move(skipped))
        .Set("findings", std::move(findings));
    services.Push(std::move(sj));
  }
  j.Set("services", std::move(services));

  if (f.overlay && changed)
    j.Set("overlay", Json::Object()
                         .Set("path", f.overlay->path)
                         .Set("text", f.overlay->text));
  Json edits = Json::Array();
  if (r && !f.overlay) {
    for (const Edit& e : r->edits) {
      Position at = v.locator->At(e.offset);
      edits.Push(Json::Object()
                     .Set("offset", e.offset)
                     .Set("length", e.length)
                     .Set("text", e.text)
                     .Set("line", at.line)
                     .Set("column", at.column));
    }
    sum->edits += r->edits.size();
  }
  j.Set("edits", std::move(edits));
  return j;
}

}  // namespace

std::string JsonReport(const std::vector<FileReport>& files,
                       const Baseline& baseline) {
  Summary sum;
  ArrayText list(1);  // the value of a top-level member
  for (const FileReport& f : files) list.Add(FileJson(MakeView(f), &sum));
  Json doc = Json::Object();
  doc.Set("version", kJsonReportVersion)
      .Set("tool",
           Json::Object().Set("name", "harden").Set("version", HARDEN_VERSION))
      .Set("baseline", baseline.name)
      .Set("files", Json::Raw(list.Take()))
      .Set("summary", Json::Object()
                          .Set("files", sum.files)
                          .Set("changed", sum.changed)
                          .Set("unchanged", sum.unchanged)
                          .Set("failed", sum.failed)
                          .Set("services", sum.services)
                          .Set("services_hardened", sum.services_hardened)
                          .Set("changes", sum.changes)
                          .Set("findings", sum.findings)
                          .Set("edits", sum.edits));
  return doc.Dump();
}

// ---------------------------------------------------------------------------
// SARIF 2.1.0

std::string SarifReport(const std::vector<FileReport>& files,
                        const Baseline& baseline) {
  RuleSet rules(baseline);
  ArrayText results(3);  // in runs[0]
  Json notifications = Json::Array();
  bool failed = false;

  for (const FileReport& f : files) {
    FileView v = MakeView(f);
    const std::string uri = ArtifactUri(f.path);
    if (f.error) {
      failed = true;
      std::optional<Json> region;
      // Diagnostic columns count bytes: the same as UTF-16 units on a line
      // that is ASCII up to the error.
      if (f.error->line > 0) {
        Json r = Json::Object();
        r.Set("startLine", f.error->line);
        if (f.error->column > 0) r.Set("startColumn", f.error->column);
        region = std::move(r);
      }
      notifications.Push(
          Json::Object()
              .Set("level", "error")
              .Set("message", Json::Object().Set("text", f.error->message))
              .Set("locations",
                   Json::Array().Push(SarifLocation(ArtifactUri(ErrorPath(f)),
                                                    std::move(region)))));
    }
    if (!v.result) continue;
    for (const std::string& note : v.result->notes)
      notifications.Push(Json::Object()
                             .Set("level", "note")
                             .Set("message", Json::Object().Set("text", note))
                             .Set("locations", Json::Array().Push(SarifLocation(
                                                   uri, std::nullopt))));

    const bool changed = Changes(f);
    for (const ServiceView& s : v.services) {
      const ServicePlan& p = *s.plan;
      // The edits are this file's; in overlay mode it never changes.
      std::optional<Json> fix =
          f.overlay ? std::nullopt : SarifFix(v, s, uri);
      Position at = ServicePosition(v, s);
      for (const Addition& a : Additions(p)) {
        if (!changed) break;  // an overlay that is up to date hardens it
        std::string id = ControlRuleId(a.key);
        size_t index = rules.Index(id);
        Json r = Json::Object();
        r.Set("ruleId", id)
            .Set("ruleIndex", index)
            .Set("level", "warning")
            .Set("message", Json::Object().Set("text", AdditionMessage(p, a)))
            .Set("locations",
                 Json::Array().Push(SarifLocation(uri, PointRegion(at))));
        // The service's edits write all its additions at once: the fix goes
        // on its first result only, so that applying fixes one by one never
        // writes an edit twice.
        if (fix) {
          r.Set("fixes", Json::Array().Push(std::move(*fix)));
          fix.reset();
        }
        r.Set("properties", Json::Object().Set("service", p.service));
        results.Add(r);
      }
      for (const Finding& fd : p.findings) {
        size_t index = rules.Index(fd.id);
        Position fat = fd.line > 0 ? v.locator->LineIndent(fd.line) : at;
        Json r = Json::Object();
        r.Set("ruleId", fd.id)
            .Set("ruleIndex", index)
            .Set("level", rules.at(index).level)
            .Set("message", Json::Object().Set("text", FindingMessage(p, fd)))
            .Set("locations",
                 Json::Array().Push(SarifLocation(uri, PointRegion(fat))))
            .Set("properties", Json::Object().Set("service", p.service));
        results.Add(r);
      }
    }
  }

  Json rule_list = Json::Array();
  for (const Rule& r : rules.rules()) rule_list.Push(RuleJson(r));
  Json invocation = Json::Object();
  invocation.Set("executionSuccessful", !failed);
  if (!notifications.empty())
    invocation.Set("toolExecutionNotifications", std::move(notifications));

  Json driver = Json::Object();
  driver.Set("name", "harden")
      .Set("version", HARDEN_VERSION)
      .Set("semanticVersion", HARDEN_VERSION)
      .Set("informationUri", kHomepage)
      .Set("rules", std::move(rule_list));
  Json run = Json::Object();
  run.Set("tool", Json::Object().Set("driver", std::move(driver)))
      .Set("invocations", Json::Array().Push(std::move(invocation)))
      .Set("columnKind", "utf16CodeUnits")
      .Set("results", Json::Raw(results.Take()))
      .Set("properties", Json::Object().Set("baseline", baseline.name));
  Json doc = Json::Object();
  doc.Set("$schema",
          "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/"
          "schemas/sarif-schema-2.1.0.json")
      .Set("version", "2.1.0")
      .Set("runs", Json::Array().Push(std::move(run)));
  return doc.Dump();
}

// ---------------------------------------------------------------------------
// GitHub workflow commands

std::string GithubReport(const std::vector<FileReport>& files,
                         const Baseline& baseline) {
  RuleSet rules(baseline);
  std::string out;
  auto command = [&](const char* level, const std::string& file, int line,
                     int col, const std::string& title,
                     const std::string& message) {
    out += fmt::format("::{} file={}", level, GithubEscape(file, true));
    if (line > 0) out += fmt::format(",line={}", line);
    if (col > 0) out += fmt::format(",col={}", col);
    if (!title.empty()) out += ",title=" + GithubEscape(title, true);
    out += "::" + GithubEscape(message, false) + "\n";
  };
  for (const FileReport& f : files) {
    FileView v = MakeView(f);
    if (f.error)
      command("error", ErrorPath(f), f.error->line,
              f.error->line > 0 ? f.error->column : 0, "", f.error->message);
    if (!v.result) continue;
    for (const std::string& note : v.result->notes)
      command("notice", f.path, 0, 0, "", note);
    const bool changed = Changes(f);
    for (const ServiceView& s : v.services) {
      const ServicePlan& p = *s.plan;
      for (const Addition& a : Additions(p)) {
        if (!changed) break;  // an overlay that is up to date hardens it
        command("warning", f.path, p.line, 0, "harden: " + ControlRuleId(a.key),
                AdditionMessage(p, a));
      }
      for (const Finding& fd : p.findings) {
        const Rule& rule = rules.at(rules.Index(fd.id));
        command(rule.level == "note" ? "notice" : "warning", f.path,
                fd.line > 0 ? fd.line : p.line, 0, "harden: " + fd.id,
                FindingMessage(p, fd));
      }
    }
  }
  return out;
}

}  // namespace harden
