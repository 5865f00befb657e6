#include "harden/resolver.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace harden {

std::string MountPath(std::string_view entry) {
  std::string_view p = entry.substr(0, entry.find(':'));
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

namespace {

bool IsInterpolated(const std::string& s) {
  return s.find('$') != std::string::npos;
}

bool IsTrue(const std::optional<Located>& v) {
  return v && (v->value == "true" || v->value == "True" || v->value == "TRUE");
}
bool IsFalse(const std::optional<Located>& v) {
  return v &&
         (v->value == "false" || v->value == "False" || v->value == "FALSE");
}

bool IsRootUser(const std::string& user) {
  std::string_view u = user;
  u = u.substr(0, u.find(':'));
  return u == "root" || u == "0";
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::vector<std::string> Caps(const std::vector<Located>& list) {
  std::vector<std::string> out;
  for (const Located& l : list) out.push_back(NormalizeCapability(l.value));
  return out;
}

// An NNP entry in any spelling Docker accepts: "no-new-privileges",
// "no-new-privileges:true", "no-new-privileges=true" (and :false).
std::optional<bool> NoNewPrivileges(std::string_view opt) {
  if (opt.substr(0, 17) != "no-new-privileges") return std::nullopt;
  std::string_view rest = opt.substr(17);
  if (rest.empty()) return true;
  if (rest[0] != ':' && rest[0] != '=') return std::nullopt;
  rest.remove_prefix(1);
  if (rest == "true") return true;
  if (rest == "false") return false;
  return std::nullopt;
}

}  // namespace

bool IsAdvice(const Finding& f) {
  return f.id == "image-note" || f.id == "extends-file" ||
         f.id == "volumes-from-container" || f.id == "volumes-from-unknown" ||
         f.id == "host-network-low-port" || f.id == "devices-group";
}

namespace {

// The controls harden adds, where ServiceFacts holds each (a single value
// or a list), and how a single value reads in messages.
struct Control {
  std::optional<Located> ServiceFacts::*one;
  std::vector<Located> ServiceFacts::*many;
  const char* key;
  const char* words;  ///< for `one`: "user \"{}\""
};
constexpr Control kControls[] = {
    {&ServiceFacts::user, nullptr, "user", "user \"{}\""},
    {nullptr, &ServiceFacts::cap_drop, "cap_drop", nullptr},
    {nullptr, &ServiceFacts::cap_add, "cap_add", nullptr},
    {nullptr, &ServiceFacts::security_opt, "security_opt", nullptr},
    {&ServiceFacts::read_only, nullptr, "read_only", "read_only: {}"},
    {nullptr, &ServiceFacts::tmpfs, "tmpfs", nullptr},
};

const Control* ControlOf(std::string_view key) {
  for (const Control& c : kControls)
    if (key == c.key) return &c;
  return nullptr;
}

bool Gained(const Located& l) { return l.gained; }

// Whether `f` holds a value of control `c` that harden added to the
// service it extends.
bool HasGain(const ServiceFacts& f, const Control& c) {
  if (c.one) return (f.*c.one) && (f.*c.one)->gained;
  return std::any_of((f.*c.many).begin(), (f.*c.many).end(), Gained);
}

// The service without what harden adds to the service it extends, when it
// inherits some: each service carries its own hardening, so that it reads
// as hardened on its own (to a reviewer, a scanner that does not follow
// `extends`, and after the `extends` goes). Empty when nothing is gained.
std::optional<ServiceFacts> WithoutGains(const ServiceFacts& f) {
  if (std::none_of(std::begin(kControls), std::end(kControls),
                   [&](const Control& c) { return HasGain(f, c); }))
    return std::nullopt;
  ServiceFacts out = f;
  for (const Control& c : kControls) {
    if (c.one && HasGain(out, c)) (out.*c.one).reset();
    if (c.many) {
      auto& v = out.*c.many;
      v.erase(std::remove_if(v.begin(), v.end(), Gained), v.end());
    }
  }
  return out;
}

class Resolver {
 public:
  Resolver(const ServiceFacts& f, const Baseline& b, const ImageFacts& images,
           std::shared_ptr<TextPool> texts, const Variables& vars)
      : all_(f), own_(WithoutGains(f)), f_(own_ ? *own_ : f), b_(b) {
    plan_.texts = texts ? std::move(texts) : std::make_shared<TextPool>();
    plan_.service = f.name;
    plan_.line = f.line;
    // docker compose builds it: the image its Dockerfile starts from is
    // what harden knows of it, before any name `image:` gives the result.
    const bool built = b.image_facts && f.built && f.built->found &&
                       !f.built->base.empty();
    if (built) image_ = images.Find(f.built->base);
    if (image_) {
      built_from_ = true;
      image_line_ = BuildLine();
    } else if (b.image_facts && f.image) {
      image_line_ = f.image->line;
      image_as_ = ImageWithVariables(f.image->value, vars);
      if (image_as_.known()) image_ = images.Find(image_as_.image);
      if (image_as_.known() && !image_) {
        lookalike_ = images.Lookalike(image_as_.image);
        lookalike_of_ = image_as_.image;
      }
    }
    // An unknown image a Dockerfile starts from may be named like one.
    if (built && !image_ && !lookalike_) {
      lookalike_ = images.Lookalike(f.built->base);
      lookalike_of_ = f.built->base;
      image_line_ = BuildLine();
    }
    for (const std::string& s : f.skip) skip_.push_back(s);
  }

  ServicePlan Run() {
    if (!f_.hardened_in.empty()) {
      // The base file hardens the merged service, and reports on it.
      Skip("all", fmt::format("hardened in {}, which docker compose merges "
                              "this file into by default",
                              f_.hardened_in));
      return plan_;
    }
    Findings();
    if (f_.opt_out) {
      Skip("all", "the service opts out with x-harden: false");
      Note("opt-out", "x-harden: false: the service is left as it is",
           f_.line);
      std::string what;
      for (const Control& c : kControls) {
        const std::string w = GainedOf(c.key);
        if (!w.empty()) what += (what.empty() ? "" : ", ") + w;
      }
      if (!what.empty()) Inherits(what, "it opts out with x-harden: false");
      return plan_;
    }
    // Only where harden hardens: an opted-out service needs no facts.
    if (!image_as_.known()) plan_.image_variables_unknown = image_as_.unknown;
    if (f_.extends_file)
      Note("extends-file",
           fmt::format("extends {}, which harden could not read: check "
                       "that what it sets there (a user, mounts, read_only) "
                       "agrees with what is added here",
                       f_.extends_file->value),
           f_.extends_file->line);
    if (!f_.skip.empty())
      Note("opt-out",
           fmt::format("x-harden skips {}{}", Join(f_.skip),
                       f_.skip_reason.empty() ? "" : ": " + f_.skip_reason),
           f_.line);
    User();
    Devices();
    CapDrop();
    CapAdd();
    SecurityOpt();
    ReadOnly();
    Tmpfs();
    VolumesFromContainers();
    Extra();
    ImageNotes();
    return plan_;
  }

 private:
  // "a, b, c": names, or the values of located entries.
  static const std::string& Word(const std::string& s) { return s; }
  static const std::string& Word(const Located& l) { return l.value; }
  static const std::string& Word(const Located* l) { return l->value; }
  template <typename T>
  static std::string Join(const std::vector<T>& v) {
    std::string out;
    for (const T& x : v) out += (out.empty() ? "" : ", ") + Word(x);
    return out;
  }

  bool Skipped(const std::string& key) {
    if (!Has(skip_, key)) return false;
    Skip(key, fmt::format("x-harden skips {}{}", key,
                          f_.skip_reason.empty() ? ""
                                                 : ": " + f_.skip_reason));
    const std::string what = GainedOf(key);
    if (!what.empty()) Inherits(what, fmt::format("x-harden skips {}", key));
    return true;
  }
  // What harden adds to the service this one extends under `key`, as
  // words: "user \"1000:1000\"", "cap_drop ALL", or empty.
  std::string GainedOf(const std::string& key) const {
    const Control* c = ControlOf(key);
    if (!c || !HasGain(all_, *c)) return {};
    if (c->one)
      return fmt::format(fmt::runtime(c->words), (all_.*c->one)->value);
    std::string out;
    for (const Located& l : all_.*c->many)
      if (l.gained) out += (out.empty() ? key + " " : ", ") + l.value;
    return out;
  }
  void Skip(const std::string& key, std::string reason) {
    Decision d;
    d.key = key;
    d.action = Action::kSkip;
    d.reason = Text(std::move(reason));
    plan_.decisions.push_back(std::move(d));
  }
  std::string_view Text(std::string text) {
    return plan_.texts->Intern(std::move(text));
  }
  void Note(const char* id, std::string message, int line) {
    plan_.findings.push_back({id, Text(std::move(message)), line});
  }
  Decision& Push(std::string key, Action action, std::string reason,
                 int line = 0) {
    Decision d;
    d.key = std::move(key);
    d.action = action;
    d.reason = Text(std::move(reason));
    d.line = line;
    plan_.decisions.push_back(std::move(d));
    return plan_.decisions.back();
  }
  // This service inherits `what`, which harden adds to the one it extends,
  // although `why` (an opt-out, an image with a user of its own) says it
  // should not have it: harden cannot take it away here.
  void Inherits(const std::string& what, const std::string& why) {
    Note("inherited-hardening",
         fmt::format("inherits the {} that harden adds to {}, which it "
                     "extends, though {}; skip it for {} too (x-harden) or set "
                     "it here",
                     what, f_.extended, why, f_.extended),
         f_.line);
  }
  // A container whose volumes the service mounts may have one where a
  // tmpfs is added; harden cannot see it.
  void VolumesFromContainers() {
    std::vector<std::string> added;
    for (const Decision& d : plan_.decisions)
      if (d.key == "tmpfs" && d.action == Action::kAdd)
        for (const std::string& v : d.values) added.push_back(MountPath(v));
    if (added.empty()) return;
    for (const Located& c : f_.volumes_from_containers)
      Note("volumes-from-container",
           fmt::format("mounts the volumes of container \"{}\" "
                       "(volumes_from), which harden cannot see: check that "
                       "none of them is at {}, where a tmpfs is added",
                       c.value, Join(added)),
           c.line);
    for (const ServiceFacts::Unseen& u : f_.unseen_volumes) {
      const std::string entry =
          u.file.empty() ? "volumes_from" : "volumes_from in " + u.file;
      const std::string what = fmt::format(
          "{} \"{}\"", u.container ? "container" : "service", u.name);
      const std::string mounts =
          u.via.empty()
              ? fmt::format("mounts the volumes of {} ({})", what, entry)
              : fmt::format("mounts the volumes of service \"{}\" ({}), "
                            "which mounts those of {}",
                            u.via, entry, what);
      Note(u.container ? "volumes-from-container" : "volumes-from-unknown",
           fmt::format("{}, which harden cannot {}: check that none of them "
                       "is at {}, where a tmpfs is added",
                       mounts,
                       u.container ? "see"
                                   : "find (it may be in a file given with "
                                     "-f, or an include harden cannot read)",
                       Join(added)),
           u.file.empty() ? u.line : f_.line);
    }
  }

  // Who wrote a value: the service, or the one it extends.
  std::string Who(const Located& v) const {
    return v.inherited ? fmt::format("{}, which this one extends,", f_.extended)
                       : "the service";
  }
  // A volume of a service that extends this one, at `path`, where this one
  // mounts nothing of its own: a tmpfs harden gave this one would reach it.
  const ServiceFacts::OtherVolume* ExtenderVolumeAt(
      const std::string& path) const {
    for (const Located& v : f_.volume_targets)
      if (MountPath(v.value) == path) return nullptr;
    for (const Located& t : all_.tmpfs)
      if (MountPath(t.value) == path) return nullptr;
    for (const ServiceFacts::OtherVolume& v : f_.extender_volumes)
      if (MountPath(v.target) == path) return &v;
    return nullptr;
  }
  // Where a volume of another service is written: "line 8", "in
  // compose.override.yaml".
  static std::string Where(const ServiceFacts::OtherVolume& v) {
    return v.file.empty() ? fmt::format("line {}", v.line)
                          : fmt::format("in {}", v.file);
  }
  static std::string ExtenderMounts(const ServiceFacts::OtherVolume& v) {
    if (!v.from.empty())
      return fmt::format("service \"{}\", which extends this one, mounts a "
                         "volume of service \"{}\" at {} (volumes_from; {})",
                         v.service, v.from, MountPath(v.target), Where(v));
    return fmt::format("service \"{}\", which extends this one, mounts a "
                       "volume at {} ({})",
                       v.service, MountPath(v.target), Where(v));
  }
  std::string ImageSource() const {
    return image_ ? image_->source : std::string();
  }

  void Findings() {
    auto add = [&](const char* id, std::string msg, int line) {
      Note(id, std::move(msg), line);
    };
    if (IsTrue(f_.privileged))
      add("privileged",
          "privileged: true gives the container every capability and all "
          "devices; cap_drop and cap_add have no effect",
          f_.privileged->line);
    if (HostNetwork())
      add("host-network", "network_mode: host shares the host's network stack",
          f_.network_mode->line);
    if (f_.pid && f_.pid->value == "host")
      add("host-pid", "pid: host shows the host's processes to the container",
          f_.pid->line);
    if (f_.ipc && f_.ipc->value == "host")
      add("host-ipc", "ipc: host shares the host's IPC namespace",
          f_.ipc->line);
    if (f_.userns_mode && f_.userns_mode->value == "host")
      add("host-userns", "userns_mode: host disables user namespace remapping",
          f_.userns_mode->line);
    if (const Located* v = DockerSocket())
      add("docker-socket",
          fmt::format("{} is mounted: the container controls the Docker "
                      "engine, which is root on the host", v->value),
          v->line);
    for (const Located& o : f_.security_opt) {
      std::string s = o.value;
      std::replace(s.begin(), s.end(), '=', ':');
      if (s == "seccomp:unconfined")
        add("seccomp-unconfined", "seccomp:unconfined turns off the syscall filter", o.line);
      else if (s == "apparmor:unconfined")
        add("apparmor-unconfined", "apparmor:unconfined turns off AppArmor", o.line);
      else if (s == "label:disable")
        add("label-disable", "label:disable turns off SELinux labelling", o.line);
    }
    for (const Located& c : f_.cap_add) {
      std::string cap = NormalizeCapability(c.value);
      if (cap == "ALL") {
        add("cap-add-all", "cap_add: [ALL] grants every capability", c.line);
      } else if (b_.allowed_cap_add && !Has(*b_.allowed_cap_add, cap)) {
        add("cap-add-not-allowed",
            fmt::format("cap_add {} is not allowed by baseline \"{}\" "
                        "(allowed: {})", c.value, b_.name,
                        Join(*b_.allowed_cap_add)),
            c.line);
      }
    }
    if (f_.x_harden_error)
      add("x-harden-invalid", f_.x_harden_error->message,
          f_.x_harden_error->line);
  }

  // Whether the service will run as root: no user and an image that starts
  // as root, or an explicit root user.
  bool RunsAsRoot() const { return runs_as_root_; }
  // The Docker (or Podman) socket, when the service mounts it: named by
  // the host path, or else by the path in the container, where the host
  // path is a variable (`${DOCKER_SOCKET_LOCATION}:/var/run/docker.sock`).
  const Located* DockerSocket() const {
    auto socket = [](const Located& v) {
      return v.value.find("docker.sock") != std::string::npos ||
             v.value.find("podman.sock") != std::string::npos;
    };
    for (const auto* paths : {&f_.volume_sources, &f_.volume_targets})
      for (const Located& v : *paths)
        if (socket(v)) return &v;
    return nullptr;
  }
  // Runs as root for a known reason (a user of its own, or root kept for
  // its cap_add), not on the assumption that an image starts as root.
  bool SurelyRoot() const {
    return runs_as_root_ &&
           (!root_because_.empty() || (f_.user && IsRootUser(f_.user->value)));
  }
  // privileged: true gives every capability; Docker then ignores cap_drop
  // and cap_add, so harden adds no capability back.
  bool Privileged() const { return IsTrue(f_.privileged); }
  // network_mode: host: the host's network stack, where Docker's
  // unprivileged-port setting does not apply.
  bool HostNetwork() const {
    return f_.network_mode && f_.network_mode->value == "host";
  }

  // The capabilities the service adds (cap_add) that only a root process
  // holds: Docker gives a process of another uid no ambient capabilities.
  // Not the image's file capabilities (`caps`), nor NET_BIND_SERVICE where
  // Docker's unprivileged-port setting makes it needless (a network of the
  // container's own, or one it joins).
  std::vector<const Located*> RootOnlyCapAdds() const {
    std::vector<const Located*> out;
    for (const Located& c : f_.cap_add) {
      const std::string cap = NormalizeCapability(c.value);
      if (IsInterpolated(c.value) || (image_ && Has(image_->caps, cap)) ||
          (cap == "NET_BIND_SERVICE" && !HostNetwork()))
        continue;
      out.push_back(&c);
    }
    return out;
  }

  // The ports below 1024 the image listens on, as words ("port 80",
  // "ports 80 and 443"), when the service is in the host's network: there
  // Docker's unprivileged-port setting does not apply, and only root with
  // NET_BIND_SERVICE may bind them. Empty otherwise.
  std::string HostLowPorts() const {
    return HostNetwork() ? LowPorts() : std::string();
  }
  // "port 80", "ports 80 and 443": where the image listens below 1024.
  std::string LowPorts() const {
    if (!image_ || image_->low_ports.empty()) return {};
    const auto& p = image_->low_ports;
    std::string out = p.size() == 1 ? "port " : "ports ";
    for (size_t i = 0; i < p.size(); ++i)
      out += (i == 0 ? "" : i + 1 == p.size() ? " and " : ", ") + p[i];
    return out;
  }

  void User() {
    // A user harden adds to the service this one extends comes with it,
    // unless this one sets one: reconcile.
    const size_t first = plan_.decisions.size();
    DecideUser(f_.user);
    // Where harden keeps root, the service runs as root: a finding, as an
    // explicit root user is (a privileged service has one of its own).
    if (!root_because_.empty() && !Privileged())
      Note("runs-as-root",
           fmt::format("the service runs as root: {}", root_because_),
           root_line_);
    const std::optional<Located>& gained = all_.user;
    if (!gained || !gained->gained || Has(skip_, "user")) return;
    Decision* d = nullptr;
    for (size_t i = first; i < plan_.decisions.size(); ++i)
      if (plan_.decisions[i].key == "user") d = &plan_.decisions[i];
    if (d && d->action == Action::kAdd) return;  // its own wins
    const std::string what = fmt::format("user \"{}\"", gained->value);
    runs_as_root_ = IsRootUser(gained->value);
    if (d && d->action == Action::kSkip && !root_because_.empty()) {
      // It would start as another user; its own default, explicitly.
      d->action = Action::kAdd;
      d->values = {"0:0"};
      d->reason = Text(fmt::format(
          "{}, and would otherwise inherit the {} that harden adds to {}",
          root_because_, what, f_.extended));
      runs_as_root_ = true;
      return;
    }
    Inherits(what, d ? std::string(d->reason)
                     : "harden would give it no user of its own");
  }

  // The user decision for a service whose own (or inherited) user is
  // `user`.
  void DecideUser(const std::optional<Located>& user) {
    if (Skipped("user")) {
      // Without a user it runs as the image's: its own account, or root.
      runs_as_root_ = user                ? IsRootUser(user->value)
                      : !BuiltUser().empty() ? IsRootUser(BuiltUser())
                                             : !(image_ && image_->image_user);
      return;
    }
    if (user) {
      runs_as_root_ = IsRootUser(user->value);
      uid_ = user->value;
      Push("user", Action::kKeep,
           fmt::format("{} sets user \"{}\" explicitly", Who(*user),
                       user->value),
           user->line)
          .values = {user->value};
      if (runs_as_root_)
        Note("runs-as-root",
             fmt::format("user \"{}\" runs the service as root", user->value),
             user->line);
      else
        CannotBindNote(user->value, user->line);
      return;
    }
    if (const std::string& built = BuiltUser(); !built.empty()) {
      const std::string where = BuiltAt(f_.built->user_line);
      if (IsRootUser(built)) {
        runs_as_root_ = true;
        root_because_ = fmt::format("its Dockerfile ({}) sets USER {}",
                                    where, built);
        root_line_ = BuildLine();
        Push("user", Action::kSkip,
             fmt::format("its Dockerfile ({}) sets USER {}: the image is "
                         "built to run as root; harden adds no user",
                         where, built),
             BuildLine());
        return;
      }
      // A user named through a variable the build leaves unset is still
      // the image's own; only its uid is not known here.
      if (built.find('$') == std::string::npos) uid_ = built;
      Push("user", Action::kKeep,
           fmt::format("its Dockerfile ({}) sets USER {}: the image runs as "
                       "its own user; another would not own its files",
                       where, built),
           BuildLine());
      CannotBindNote(built, BuildLine());
      return;
    }
    if (f_.built && !f_.built->drops_root.empty()) {
      const std::string& tool = f_.built->drops_root;
      const auto [who, where] = DropsRootAt();
      runs_as_root_ = true;
      drops_root_ = true;
      root_because_ = fmt::format("{} ({}) uses {}, which starts as root to "
                                  "change to its own user",
                                  who, where, tool);
      root_line_ = BuildLine();
      Push("user", Action::kSkip,
           fmt::format("{} ({}) uses {}: its entrypoint starts as root and "
                       "changes to its own user itself, which fails under "
                       "another user; harden adds no user and gives it the "
                       "capabilities {} needs",
                       who, where, tool, tool),
           BuildLine());
      return;
    }
    if (image_ && image_->image_user) {
      Decision& d = Push("user", Action::kKeep,
                         fmt::format("image {} already runs as its own "
                                     "non-root user; another would not own its "
                                     "files", image_->name));
      d.source = Text(image_->source);
      return;
    }
    if (Privileged()) {
      runs_as_root_ = true;
      root_because_ = "it is privileged (its capabilities reach only a "
                      "root process)";
      root_line_ = f_.privileged->line;
      Push("user", Action::kSkip,
           "privileged: true gives the service every capability, which only "
           "a root process holds; harden adds no user",
           f_.privileged->line);
      return;
    }
    if (const Located* socket = DockerSocket()) {
      runs_as_root_ = true;
      root_because_ = fmt::format("it mounts the Docker socket ({}), which "
                                  "only root and the host's docker group "
                                  "may use", socket->value);
      root_line_ = socket->line;
      Push("user", Action::kSkip,
           fmt::format("{} mounts the Docker socket ({}): as another user it "
                       "could not reach the engine, whose socket only root "
                       "and the host's docker group may use, and with it the "
                       "service is root on the host anyway; harden adds no "
                       "user",
                       Who(*socket), socket->value),
           socket->line);
      return;
    }
    if (const std::string ports = HostLowPorts();
        !ports.empty() && !image_->root) {
      runs_as_root_ = true;
      root_because_ = fmt::format("image {} must run as root to listen on {} "
                                  "in the host's network",
                                  image_->name, ports);
      root_line_ = f_.network_mode->line;
      Decision& d = Push(
          "user", Action::kSkip,
          fmt::format("image {} listens on {}, which in the host's network "
                      "(network_mode: host) only root with NET_BIND_SERVICE "
                      "may bind; it gets the capabilities it needs instead",
                      image_->name, ports));
      d.source = Text(image_->source);
      return;
    }
    if (image_ && image_->root) {
      runs_as_root_ = true;
      root_because_ = fmt::format("image {} must start as root", image_->name);
      root_line_ = image_line_;
      Decision& d = Push("user", Action::kSkip,
                         fmt::format("image {} must start as root; it gets the "
                                     "capabilities its entrypoint needs instead",
                                     image_->name));
      d.source = Text(image_->source);
      return;
    }
    if (image_ && image_->user) {
      uid_ = *image_->user;
      user_added_ = true;
      Decision& d = Push("user", Action::kAdd,
                         fmt::format("image {} runs as {} (its own account)",
                                     image_->name, *image_->user));
      d.values = {*image_->user};
      d.source = Text(image_->source);
      return;
    }
    if (!b_.user) {
      runs_as_root_ = true;  // unknown; assume the image default (root)
      return;
    }
    // An image harden knows nothing about runs as root by default; if the
    // service adds capabilities, it needs them there. (An image with an
    // account of its own, above, drops to it and its capabilities anyway.)
    if (auto caps = RootOnlyCapAdds(); !caps.empty()) {
      const std::string names = Join(caps);
      runs_as_root_ = true;
      root_because_ = fmt::format("it adds {}, which only a root process "
                                  "holds", names);
      root_line_ = caps[0]->line;
      Push("user", Action::kSkip,
           fmt::format("{} adds {} (cap_add), which only a root process "
                       "holds: under a user it would have none; harden adds "
                       "no user",
                       Who(*caps[0]), names),
           caps[0]->line);
      return;
    }
    uid_ = *b_.user;
    Push("user", Action::kAdd,
         fmt::format("the baseline runs services as {}", *b_.user))
        .values = {*b_.user};
  }

  // Device nodes keep the host's owner and group (root and video, render,
  // dialout): under a user harden adds, the service opens them only
  // through their group, whose gid only the host knows.
  void Devices() {
    if (f_.devices.empty() || !f_.group_add.empty()) return;
    for (const Decision& d : plan_.decisions) {
      if (d.key != "user" || d.action != Action::kAdd || d.values.empty() ||
          IsRootUser(d.values[0]))
        continue;
      const std::string paths = Join(f_.devices);
      const bool one = f_.devices.size() == 1;
      Note("devices-group",
           fmt::format("as {} the service can open {} only if group_add "
                       "lists the group that owns {} on the host, by its gid "
                       "(video or render for /dev/dri, dialout for a serial "
                       "port)",
                       d.values[0], paths, one ? "it" : "them"),
           f_.devices[0].line);
      return;
    }
  }

  void CapDrop() {
    if (b_.cap_drop.empty() || Skipped("cap_drop")) return;
    std::vector<std::string> have = Caps(f_.cap_drop);
    std::vector<std::string> missing;
    for (const std::string& c : b_.cap_drop)
      if (!Has(have, NormalizeCapability(c)) && !Has(have, "ALL"))
        missing.push_back(c);
    if (missing.empty()) {
      const Located& first = f_.cap_drop[0];  // `have` is not empty
      Push("cap_drop", Action::kKeep,
           fmt::format("{} already drops them", Who(first)), first.line)
          .values = have;
      return;
    }
    std::string why =
        Privileged() ? "drop every capability: no effect while the service is "
                       "privileged (Docker then gives it every one), in force "
                       "once privileged: true goes"
                     : "drop every capability; cap_add gives back what the "
                       "service needs";
    // What a root entrypoint needs is known only for a known image: say
    // what to look for, rather than give back capabilities on a guess.
    if (!Privileged() && !image_ && SurelyRoot() && Has(missing, "ALL"))
      why += ": as root, with an image harden does not know, that may be "
             "CHOWN, SETUID and SETGID for an entrypoint that changes owners "
             "or switches user";
    Decision& d = Push("cap_drop", Action::kAdd, why);
    d.list = true;
    d.values = missing;
  }

  void CapAdd() {
    for (const Located& c : f_.cap_add)
      Push("cap_add", Action::kKeep,
           fmt::format("{} adds {} explicitly", Who(c), c.value), c.line)
          .values = {c.value};
    if (Has(skip_, "cap_add") || Has(skip_, "cap_drop") || Privileged())
      return;
    std::vector<std::string> have = Caps(f_.cap_add);
    if (Has(have, "ALL")) return;
    auto add = [&](const std::string& cap, std::string reason,
                   std::string source) {
      if (Has(have, cap)) return;
      have.push_back(cap);
      Decision& d = Push("cap_add", Action::kAdd, std::move(reason));
      d.list = true;
      d.values = {cap};
      d.source = Text(std::move(source));
    };
    if (b_.cap_add_docker_defaults) {
      std::vector<std::string> dropped = Caps(f_.cap_drop);
      if (Has(dropped, "ALL")) return;  // already explicit
      for (const std::string& cap : DockerDefaultCapabilities())
        if (!Has(dropped, cap))
          add(cap, "a Docker default capability, kept explicitly", "");
      return;
    }
    if (b_.cap_drop.empty()) return;
    if (drops_root_ && RunsAsRoot()) {
      const std::string& tool = f_.built->drops_root;
      const auto [who, where] = DropsRootAt();
      for (const char* cap : {"SETUID", "SETGID"})
        add(cap,
            fmt::format("{} needs it to change to the image's own user ({}, "
                        "{})",
                        tool, who, where),
            "");
      add("CHOWN",
          fmt::format("an entrypoint that changes user with {} first gives "
                      "its data to that user ({}, {})",
                      tool, who, where),
          "");
      if (tool == kChrootUserspec)
        add("SYS_CHROOT",
            fmt::format("chroot changes the root directory as it changes "
                        "user ({}, {})",
                        who, where),
            "");
    }
    if (!image_) return;
    for (const std::string& cap : image_->caps)
      add(cap, fmt::format("image {} cannot start without it", image_->name),
          image_->source);
    if (RunsAsRoot())
      for (const std::string& cap : image_->root_caps)
        add(cap,
            fmt::format("image {} starts as root and its entrypoint needs it",
                        image_->name),
            image_->source);
    if (const std::string ports = HostLowPorts(); RunsAsRoot() && !ports.empty())
      add("NET_BIND_SERVICE",
          fmt::format("image {} listens on {}; in the host's network "
                      "(network_mode: host) Docker's unprivileged-port "
                      "setting does not apply",
                      image_->name, ports),
          image_->source);
  }

  void SecurityOpt() {
    if (!b_.no_new_privileges || Skipped("security_opt")) return;
    for (const Located& o : f_.security_opt) {
      auto nnp = NoNewPrivileges(o.value);
      if (!nnp) continue;
      Push("security_opt", Action::kKeep,
           *nnp ? fmt::format("{} already forbids privilege escalation",
                              Who(o))
                : fmt::format("{} allows privilege escalation explicitly "
                              "(no-new-privileges:false)",
                              Who(o)),
           o.line)
          .values = {o.value};
      if (!*nnp)
        Note("nnp-disabled", "no-new-privileges:false allows setuid binaries "
                             "to gain privileges", o.line);
      return;
    }
    Decision& d = Push("security_opt", Action::kAdd,
                       "forbid privilege escalation through setuid binaries");
    d.list = true;
    d.values = {"no-new-privileges:true"};
  }

  void ReadOnly() {
    read_only_ = IsTrue(f_.read_only);
    if (!b_.read_only || Skipped("read_only")) return;
    if (f_.read_only) {
      if (IsFalse(f_.read_only))
        Note("read-only-disabled",
             "read_only: false leaves the root filesystem writable",
             f_.read_only->line);
      Push("read_only", Action::kKeep,
           IsInterpolated(f_.read_only->value)
               ? "read_only comes from a variable; it is kept"
               : fmt::format("{} sets read_only: {} explicitly",
                             Who(*f_.read_only), f_.read_only->value),
           f_.read_only->line)
          .values = {f_.read_only->value};
      return;
    }
    if (Privileged()) {
      Push("read_only", Action::kSkip,
           "privileged: true: the service may remount its root filesystem "
           "read-write (it holds every capability), and a system container "
           "(Docker in Docker, an agent) writes where harden cannot know; "
           "the root filesystem stays writable",
           f_.privileged->line);
      return;
    }
    // The tmpfs that a read-only root needs here cannot be added where a
    // service that extends this one mounts a volume: it would inherit both,
    // and Docker refuses two mounts at one path.
    if (!Has(skip_, "tmpfs")) {
      std::vector<std::string> needed = b_.tmpfs;
      if (image_) needed.insert(needed.end(), image_->tmpfs.begin(),
                                image_->tmpfs.end());
      for (const std::string& t : needed)
        if (const auto* v = ExtenderVolumeAt(MountPath(t))) {
          Push("read_only", Action::kSkip,
               fmt::format("{}: the tmpfs that a read-only root would need "
                           "there cannot be added",
                           ExtenderMounts(*v)));
          return;
        }
    }
    read_only_ = true;
    Decision& d = Push("read_only", Action::kAdd,
                       "make the root filesystem read-only; tmpfs gives "
                       "scratch space");
    d.kind = ValueKind::kBool;
    d.values = {"true"};
  }

  void Tmpfs() {
    // A tmpfs harden gives the service this one extends, where a volume of
    // this one's own mounts: Docker refuses two mounts at one path.
    for (const Located& t : all_.tmpfs)
      for (const Located& v : f_.volume_targets)
        if (t.gained && !v.inherited &&
            MountPath(t.value) == MountPath(v.value))
          Inherits("tmpfs " + t.value,
                   fmt::format("a volume of its own mounts {} (line {})",
                               MountPath(v.value), v.line));
    if (b_.tmpfs.empty() && !(image_ && read_only_)) return;
    if (Skipped("tmpfs")) return;
    std::vector<std::string> mounted;
    for (const Located& t : f_.tmpfs) mounted.push_back(MountPath(t.value));
    auto want = [&](const std::string& path, std::string reason,
                    std::string source) {
      std::string p = MountPath(path);
      // One that harden gives the service this one extends comes with it.
      for (const Located& t : all_.tmpfs)
        if (t.gained && MountPath(t.value) == p) {
          Push("tmpfs", Action::kSkip,
               fmt::format("{}, which this one extends, already mounts {}",
                           f_.extended, p))
              .values = {p};
          return;
        }
      if (const auto* v = ExtenderVolumeAt(p)) {
        Push("tmpfs", Action::kSkip,
             fmt::format("{}: it would inherit this tmpfs as well, and Docker "
                         "refuses two mounts at one path",
                         ExtenderMounts(*v)))
            .values = {p};
        return;
      }
      for (const Located& v : f_.volume_targets)
        if (MountPath(v.value) == p) {
          Push("tmpfs", Action::kSkip,
               v.inherited
                   ? fmt::format("a volume of {}, which this one extends, "
                                 "already mounts {}",
                                 f_.extended, p)
                   : fmt::format("a volume already mounts {}", p),
               v.line)
              .values = {p};
          return;
        }
      for (const auto& v : f_.shared_volumes)
        if (MountPath(v.target) == p) {
          Push("tmpfs", Action::kSkip,
               fmt::format("service \"{}\", whose volumes this one mounts "
                           "(volumes_from), mounts a volume at {} ({}): a "
                           "tmpfs would hide it",
                           v.service, p, Where(v)))
              .values = {p};
          return;
        }
      if (Has(mounted, p)) {
        for (const Located& t : f_.tmpfs)
          if (MountPath(t.value) == p)
            Push("tmpfs", Action::kKeep,
                 fmt::format("{} already mounts a tmpfs at {}", Who(t), p),
                 t.line)
                .values = {t.value};
        return;
      }
      mounted.push_back(p);
      std::string entry = path;
      if (image_ && !RunsAsRoot() && !uid_.empty() &&
          Has(image_->root_owned, p) && path.find(':') == std::string::npos) {
        std::string uid = uid_.substr(0, uid_.find(':'));
        std::string gid = uid_.find(':') == std::string::npos
                              ? uid
                              : uid_.substr(uid_.find(':') + 1);
        auto numeric = [](const std::string& s) {
          return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
        };
        if (numeric(uid) && numeric(gid)) {
          entry += fmt::format(":uid={},gid={}", uid, gid);
          reason += fmt::format("; it is root-owned in the image, so the "
                                "tmpfs is given to {}", uid_);
        } else {
          reason += fmt::format("; it is root-owned in the image and user "
                                "\"{}\" is not numeric, so give the tmpfs "
                                "uid=/gid= options by hand", uid_);
        }
      }
      Decision& d = Push("tmpfs", Action::kAdd, std::move(reason));
      d.list = true;
      d.values = {entry};
      d.source = Text(std::move(source));
    };
    for (const std::string& t : b_.tmpfs)
      want(t, "writable scratch space for /tmp", "");
    if (image_ && read_only_)
      for (const std::string& t : image_->tmpfs)
        want(t,
             fmt::format("image {} writes to {} at run time", image_->name, t),
             image_->source);
  }

  void Extra() {
    for (const ExtraKey& e : b_.extra) {
      if (Skipped(e.key)) continue;
      if (Has(f_.keys, e.key)) {
        Push(e.key, Action::kKeep,
             fmt::format("the service sets {} itself", e.key));
        continue;
      }
      Decision& d = Push(e.key, Action::kAdd,
                         fmt::format("baseline \"{}\" sets {}", b_.name, e.key));
      d.kind = ValueKind::kYaml;
      d.values = {e.yaml};
    }
  }

  // What harden knows of the image, or of the one it is named like, that
  // the reviewer should check.
  void ImageNotes() {
    if (lookalike_) {
      std::vector<std::string> needs;
      // A user the service or its Dockerfile sets is its choice.
      if (!f_.user && BuiltUser().empty() && !Has(skip_, "user")) {
        if (lookalike_->user) needs.push_back("user " + *lookalike_->user);
        if (lookalike_->root) needs.push_back("root");
        if (lookalike_->image_user) needs.push_back("no user but its own");
      }
      if (!lookalike_->caps.empty())
        needs.push_back("cap_add " + Join(lookalike_->caps));
      if (!lookalike_->tmpfs.empty() && read_only_)
        needs.push_back("a tmpfs at " + Join(lookalike_->tmpfs));
      Note("image-note",
           fmt::format("image {} is named like {} but is another image, which "
                       "harden does not know{}",
                       ParseImageRef(lookalike_of_).repository,
                       lookalike_->name,
                       needs.empty()
                           ? std::string()
                           : fmt::format(": if it is built on {}, it needs "
                                         "what {} does ({}), which harden "
                                         "does not add",
                                         lookalike_->name, lookalike_->name,
                                         Join(needs))),
           image_line_);
    }
    // What harden knows of an image named through variables is for the
    // image they give when unset: say which.
    if (built_from_)
      Note("image-note",
           fmt::format("built from {} ({}): harden applies what it knows "
                       "of image {}",
                       f_.built->base, BuiltAt(f_.built->base_line),
                       image_->name),
           image_line_);
    else if (image_ && image_as_.image != f_.image->value)
      Note("image-note",
           fmt::format("image \"{}\" is read as \"{}\"{} ({}): check that "
                       "what harden applies for image {} holds for the one "
                       "that runs",
                       f_.image->value, image_as_.image,
                       image_as_.any_tag ? ", any tag" : "",
                       image_as_.from_env ? "variables from .env, the rest unset"
                                           : "its variables unset",
                       image_->name),
           f_.image->line);
    // An image's warnings are about running it hardened: shown unless the
    // service keeps a user of its own over the account harden knows.
    if (image_ && (!image_->user || user_added_ || !root_because_.empty())) {
      for (const ImageWarning& w : image_->warnings)
        if (Holds(w.when)) Note("image-note", w.text, f_.line);
      // As a user, in a network of its own: the engine's setting is what
      // lets it bind there (in the host's network harden keeps root, or
      // gives the advice host-network-low-port).
      if (const std::string ports = LowPorts();
          !ports.empty() && !RunsAsRoot() && !HostNetwork() && !uid_.empty())
        Note("image-note",
             fmt::format("as {}, {} binds {} only because Docker >= 20.10 "
                         "lets any user in a container's own network bind "
                         "ports below 1024 (net.ipv4.ip_unprivileged_port_"
                         "start=0); an older engine needs root",
                         uid_, image_->name, ports),
             f_.line);
    }
  }

  // A user the service keeps cannot bind the image's low ports in the
  // host's network.
  void CannotBindNote(const std::string& user, int line) {
    const std::string ports = HostLowPorts();
    if (ports.empty()) return;
    Note("host-network-low-port",
         fmt::format("user \"{}\" cannot bind {} in the host's network "
                     "(network_mode: host), where image {} listens by "
                     "default: unless its configuration moves to a port "
                     "above 1023, it will not start",
                     user, ports, image_->name),
         line);
  }

  // A line of its Dockerfile: "app/Dockerfile:3".
  std::string BuiltAt(int line) const {
    return f_.built_path == "dockerfile_inline"
               ? fmt::format("dockerfile_inline, line {}", line)
               : fmt::format("{}:{}", f_.built_path, line);
  }

  // What names the tool its entrypoint drops root with, and where.
  std::pair<std::string, std::string> DropsRootAt() const {
    const DockerfileFacts& b = *f_.built;
    if (b.drops_root_file.empty())
      return {"its Dockerfile", BuiltAt(b.drops_root_line)};
    return {"the script its Dockerfile runs",
            fmt::format("{}:{}", b.drops_root_file, b.drops_root_line)};
  }

  // The line of `build`, or of the service where it inherits one from
  // another file.
  int BuildLine() const {
    return f_.build && f_.build->line ? f_.build->line : f_.line;
  }

  // The USER the Dockerfile of its build sets; empty without one.
  const std::string& BuiltUser() const {
    static const std::string kNone;
    return f_.built ? f_.built->user : kNone;
  }

  // Whether an image warning's condition holds for the service as hardened.
  bool Holds(ImageWarning::When when) const {
    switch (when) {
      case ImageWarning::When::kAlways: return true;
      case ImageWarning::When::kAsUser: return !RunsAsRoot();
      case ImageWarning::When::kAsRoot: return RunsAsRoot();
      case ImageWarning::When::kReadOnly: return read_only_;
    }
    return true;
  }

  const ServiceFacts& all_;  // with what it inherits from harden's additions
  const std::optional<ServiceFacts> own_;
  const ServiceFacts& f_;  // without: what decisions are made on
  const Baseline& b_;
  std::optional<ImageFact> image_;
  std::optional<ImageFact> lookalike_;  // an unknown image named like one
  std::string lookalike_of_;            // that image
  ImageAsRead image_as_;  // the image, its variables read
  bool built_from_ = false;  // image_ is what its Dockerfile starts from
  bool drops_root_ = false;  // its Dockerfile's gosu (or su-exec) keeps root
  int image_line_ = 0;       // of what names image_: `image` or `build`
  std::vector<std::string> skip_;
  ServicePlan plan_;
  bool runs_as_root_ = false;
  bool read_only_ = false;
  bool user_added_ = false;
  std::string root_because_;  // why harden keeps root where it adds no user
  int root_line_ = 0;         // where that is said
  std::string uid_;
};

}  // namespace

const char* ActionName(Action a) {
  switch (a) {
    case Action::kAdd: return "add";
    case Action::kKeep: return "keep";
    case Action::kSkip: return "skip";
  }
  return "?";
}

bool ServicePlan::HasAdditions() const {
  for (const Decision& d : decisions)
    if (d.action == Action::kAdd) return true;
  return false;
}

const std::vector<std::string>& DockerDefaultCapabilities() {
  static const std::vector<std::string> caps = {
      "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",
      "MKNOD",  "NET_RAW",      "SETGID",  "SETUID",
      "SETFCAP", "SETPCAP",     "NET_BIND_SERVICE", "SYS_CHROOT",
      "KILL",   "AUDIT_WRITE"};
  return caps;
}

std::string NormalizeCapability(std::string_view cap) {
  std::string out;
  for (char c : cap) out += static_cast<char>(std::toupper(c));
  // Docker adds the prefix before it looks a name up; only a bare "ALL"
  // means every capability ("CAP_ALL" is no capability at all).
  if (out.compare(0, 4, "CAP_") == 0 && out != "CAP_ALL") out.erase(0, 4);
  return out;
}

void AddGains(const ServicePlan& plan, ServiceFacts* facts) {
  auto gain = [](const std::string& value) {
    Located l{value, 0};
    l.gained = true;
    return l;
  };
  for (const Decision& d : plan.decisions) {
    // A key of the baseline's `set:` is added to each service that lacks
    // it, extenders included.
    const Control* c = ControlOf(d.key);
    if (d.action != Action::kAdd || !c) continue;
    if (c->one)
      facts->*c->one = gain(d.values[0]);
    else
      for (const std::string& v : d.values) (facts->*c->many).push_back(gain(v));
  }
}

ServicePlan Resolve(const ServiceFacts& facts, const Baseline& baseline,
                    const ImageFacts& images, std::shared_ptr<TextPool> texts,
                    const Variables& vars) {
  return Resolver(facts, baseline, images, std::move(texts), vars).Run();
}

}  // namespace harden
