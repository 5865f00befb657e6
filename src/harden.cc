#include "harden/harden.h"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harden/compose_model.h"
#include "harden/document.h"
#include "harden/file_io.h"
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
      // YAML ends a line at a lone CR too; harden's edits follow LF and
      // CRLF lines only.
      if (c == '\r' && (i + 1 == t.size() || t[i + 1] != '\n'))
        return at(i, "carriage return without a line feed: save the file "
                     "with LF or CRLF line ends");
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
    // YAML skips a byte order mark at the start of any line, so the
    // columns it counts there are not the bytes harden indents by.
    if (n == 3 && i > 0 && t[i - 1] == '\n' && t.compare(i, 3, "\xEF\xBB\xBF") == 0)
      return at(i, "byte order mark (U+FEFF) at the start of a line: only "
                   "the file's first bytes may hold one");
    i += n;
  }
  return std::nullopt;
}

namespace {

// `f` with what it inherits from the service of another file it extends,
// when that can be read; else its `extends_file` says why not. When that
// service could not read a file it extends in turn, `extends_file` names
// the way there.
ServiceFacts ExtendFromFile(ServiceFacts f, const ExtendsReader& read) {
  auto base = read(f.extends_path, f.extends_service);
  if (!base) {
    const Diagnostic& e = base.error();
    f.extends_file->value += e.line > 0
        ? fmt::format(" ({}:{}:{}: {})", f.extends_path, e.line, e.column,
                      e.message)
        : fmt::format(" ({})", e.message);
    return f;
  }
  Located hop = std::move(*f.extends_file);
  ServiceFacts out = ExtendFacts(base.value(), std::move(f));
  out.extended = hop.value;
  out.extends_file.reset();
  if (const auto& unread = base.value().extends_file) {
    hop.value += ", which extends " + unread->value;
    out.extends_file = std::move(hop);
  }
  return out;
}

std::string TooDeep(const std::string& service) {
  return fmt::format("service \"{}\" extends a chain of more than {} "
                     "services; harden follows {}",
                     service, kMaxExtendsDepth, kMaxExtendsDepth);
}

// Takes the services of one file through resolve -> plan -> expect, each one
// as soon as it can go: while the input is parsed, so that the tree of a
// large file is never held whole. A service waits, its nodes kept, while the
// planner has not yet learnt the file's indentation, while the service it
// `extends` has not been seen or waits, or while a service whose mapping it
// merges waits; Finish() then takes the rest in file order. The result is
// the same whatever the order. In a file that says `extends`, every service
// waits for Finish(): the services that extend one, which may come further
// down, decide where it may get a tmpfs.
class ServicePipeline {
 public:
  ServicePipeline(const SourceText& src, const Baseline& baseline,
                  const ImageFacts& images, Target target,
                  const Partner* partner, OtherFiles* others)
      : planner_(src), baseline_(baseline), images_(images), target_(target),
        partner_(partner), others_(others),
        extends_(others ? others->Reader() : ExtendsReader()),
        // A service extended by one further down must keep its facts until
        // then; a file that never says `extends` (or could, in a quoted
        // key's escapes) keeps none.
        keep_facts_(src.view().find("extends") != std::string_view::npos ||
                    src.view().find('\\') != std::string_view::npos),
        // Where harden may give a service a tmpfs depends on the volumes of
        // the services that extend it, which may come further down. In an
        // overlay too: the same file hardened either way configures alike,
        // whether or not a Compose version applies `extends` after it
        // merges the files.
        // So do those of the services it mounts the volumes of, which this
        // file or the one docker compose merges with it may name.
        hold_(src.view().find("extends") != std::string_view::npos ||
              src.view().find("volumes_from") != std::string_view::npos ||
              (partner && std::any_of(partner->services.begin(),
                                      partner->services.end(), [](auto& s) {
                                        return !s.second.volumes_from.empty();
                                      }))) {}

  // One entry of `services`, in file order. An error is kept for later
  // (EntryError(), Finish()): the parse goes on, because a YAML error
  // further down explains more than what it did to this entry.
  EntryFate Add(const Node* key, const Node* value) {
    auto entry = ReadServiceEntry(key, value);
    if (!entry) {
      if (!entry_error_) entry_error_ = entry.error();
      return EntryFate::kDrop;
    }
    const size_t i = plans_.size();
    index_.emplace(entry->name, i);  // the parser rejects a duplicate
    plans_.emplace_back();
    state_.push_back(kNew);
    depth_.push_back(0);
    Waiting& w = waiting_[i];
    w.node = std::move(entry.value());
    w.extends = w.node.mapping ? ExtendedService(w.node.mapping) : "";
    // Only an anchored mapping can be merged into another service.
    if (w.node.own && w.node.own->anchor_name) waiting_maps_.insert(w.node.own);
    planner_.Register(w.node, &plans_[i]);
    if (!style_known_ && planner_.LearnStyle(w.node)) {
      style_known_ = true;
      // Those that waited only for the style go first, in file order.
      for (auto it = waiting_.begin(); it != waiting_.end();) {
        const size_t j = it->first;
        ++it;  // Process() removes j
        if (Ready(j)) Process(j);
      }
      return state_[i] == kDone ? EntryFate::kDrop : EntryFate::kKeep;
    }
    if (!style_known_ || !Ready(i)) return EntryFate::kKeep;
    Process(i);
    return EntryFate::kDrop;
  }

  // The first entry that is not a service (in file order).
  const std::optional<Diagnostic>& EntryError() const { return entry_error_; }

  // Takes the services that waited, once every service has been seen
  // (`root`: the document's, for its `include`). Returns the first
  // service's planning error, in file order.
  std::optional<Diagnostic> Finish(const Node* root) {
    if (hold_) {
      // Every service waits: how many extend each is known.
      extenders_.assign(plans_.size(), 0);
      for (const auto& [i, w] : waiting_)
        if (size_t base = BaseOf(i); base != std::string::npos) ++extenders_[base];
      ReadAllFacts();
      FindSharedVolumes(root);
      FindExtenderVolumes();
    }
    while (!waiting_.empty()) Process(waiting_.begin()->first);
    if (plan_error_) return plan_error_->second;
    return std::nullopt;
  }

  std::vector<ServicePlan> TakePlans() {
    return {std::make_move_iterator(plans_.begin()),
            std::make_move_iterator(plans_.end())};
  }
  Expected<EditList> TakeEdits() { return planner_.Take(); }
  // What the output must be: the services, as recorded, and the top level
  // of the parsed input.
  Expectation TakeExpectation(const Document& input, const ComposeModel& model) {
    ExpectTopLevel(input, model, fp_, &expected_);
    return std::move(expected_);
  }

 private:
  enum State : char { kNew, kResolving, kResolved, kDone };
  struct Waiting {
    ServiceNode node;
    std::string extends;  ///< the service of this file it extends, if any
    std::optional<ServiceFacts> facts;  ///< as written, once read
  };

  // The service `i` extends in this file, or npos.
  size_t BaseOf(size_t i) const {
    auto it = index_.find(waiting_.at(i).extends);
    return it == index_.end() || it->second == i ? std::string::npos
                                                 : it->second;
  }

  // Whether waiting service `i` can go now, before the file is parsed to
  // its end.
  bool Ready(size_t i) const {
    if (hold_) return false;
    const Waiting& w = waiting_.at(i);
    if (!w.extends.empty()) {
      const size_t base = BaseOf(i);
      // Not seen yet: it may come later.
      if (w.extends != w.node.name && (base == std::string::npos ||
                                       state_[base] != kDone))
        return false;
    }
    if (w.node.own)
      for (const Node* source : MergeSources(w.node.own))
        if (waiting_maps_.count(source)) return false;
    return true;
  }

  // Resolves, plans and records service `i` (which waits), and the
  // services it extends first if they wait too.
  void Process(size_t i) {
    Resolve(i);
    const ServiceNode& s = waiting_.at(i).node;
    if (auto err = too_deep_ == i ? DepthError(s) : planner_.Plan(s, plans_[i])) {
      if (!plan_error_ || i < plan_error_->first) plan_error_.emplace(i, *err);
    } else {
      ExpectService(i, s, plans_[i], fp_, &expected_);
    }
    state_[i] = kDone;
    waiting_maps_.erase(s.own);
    waiting_.erase(i);
  }

  // Resolves `i` after the chain of services it extends (iteratively: a
  // chain may be as long as the file). A cycle, which Compose rejects, is
  // not followed.
  void Resolve(size_t i) {
    std::vector<size_t> chain;
    for (size_t k = i; k != std::string::npos && state_[k] == kNew;
         k = BaseOf(k)) {
      state_[k] = kResolving;
      chain.push_back(k);
    }
    for (auto k = chain.rbegin(); k != chain.rend(); ++k) ResolveOne(*k);
  }

  // Once the whole file is read, and every service waits.
  void ReadAllFacts() {
    for (auto& [i, w] : waiting_) w.facts = ReadFacts(w.node);
  }

  // The paths where harden might add a tmpfs: the baseline's and any
  // image's. Only a volume there can meet one.
  const std::unordered_set<std::string>& TmpfsPaths() {
    if (tmpfs_paths_) return *tmpfs_paths_;
    auto& paths = tmpfs_paths_.emplace();
    for (const std::string& t : baseline_.tmpfs) paths.insert(MountPath(t));
    for (const ImageFacts::Family& family : images_.families()) {
      for (const std::string& t : family.fact.tmpfs) paths.insert(MountPath(t));
      for (const auto& variant : family.variants)
        for (const std::string& t : variant.overrides.tmpfs)
          paths.insert(MountPath(t));
    }
    return paths;
  }

  // Gives each service the volumes of the services that extend it, at any
  // depth: their own, and those they mount through volumes_from; only at
  // the paths where harden might add a tmpfs, so that a long chain holds
  // no copies of volumes that cannot matter.
  void FindExtenderVolumes() {
    const std::unordered_set<std::string>& paths = TmpfsPaths();
    for (auto& [i, w] : waiting_) {
      std::vector<ServiceFacts::OtherVolume> mine;
      for (const Located& v : w.facts->volume_targets)
        if (paths.count(MountPath(v.value)))
          mine.push_back({w.node.name, v.value, v.line});
      for (const auto& v : w.facts->shared_volumes)
        mine.push_back({w.node.name, v.target, v.line, v.service, v.file});
      if (mine.empty()) continue;
      // Up the chain (a cycle, which Compose rejects, ends at its start).
      size_t k = i;
      for (size_t steps = 0; steps < kMaxExtendsDepth; ++steps) {
        k = BaseOf(k);
        if (k == std::string::npos || k == i) break;
        auto& to = extender_volumes_[k];
        to.insert(to.end(), mine.begin(), mine.end());
      }
    }
  }

  // Gives each service what it mounts through volumes_from: the volumes of
  // the services it names, of the services those extend, and of those they
  // name in turn (a cycle, which Compose rejects, is cut). Only at the
  // paths where harden might add a tmpfs, so that the cost stays linear
  // in the file however many volumes it shares.
  void FindSharedVolumes(const Node* root) {
    // A file held for `extends` alone has nothing to find.
    auto says = [](const ServiceFacts& f) { return !f.volumes_from.empty(); };
    bool any = std::any_of(waiting_.begin(), waiting_.end(),
                           [&](const auto& w) { return says(*w.second.facts); });
    if (partner_)
      for (const auto& [name, f] : partner_->services) any = any || says(f);
    if (!any) return;
    const std::unordered_set<std::string>& paths = TmpfsPaths();
    // This file's services, then those that only the file docker compose
    // merges with it defines, then those of the files it includes; what
    // the first sets for a service of this one counts too. Theirs are
    // marked with their file's name: their lines are not this file's.
    const size_t own_count = state_.size();
    struct Their {
      const ServiceFacts* facts;
      const std::string* file;
    };
    std::vector<Their> theirs;  // by number - own_count
    std::unordered_map<std::string, size_t> their_index;
    auto partner_of = [&](const std::string& name) -> const ServiceFacts* {
      if (!partner_) return nullptr;
      auto it = partner_->services.find(name);
      return it == partner_->services.end() ? nullptr : &it->second;
    };
    auto add_their = [&](const ServiceFacts& f, const std::string& file) {
      if (!index_.count(f.name) &&
          their_index.emplace(f.name, own_count + theirs.size()).second)
        theirs.push_back({&f, &file});
    };
    if (partner_)
      for (const auto& [name, f] : partner_->services)
        add_their(f, partner_->name);
    // Docker compose includes files once the two are merged, and keeps
    // the first of a name (warning of the others).
    std::vector<Include> includes = ReadIncludes(root);
    if (partner_)
      includes.insert(includes.end(), partner_->includes.begin(),
                      partner_->includes.end());
    const std::vector<IncludedService> included =
        others_ ? others_->Included(includes) : std::vector<IncludedService>();
    for (const IncludedService& s : included) add_their(s.facts, s.file);
    const size_t n = own_count + theirs.size();
    auto name_of = [&](size_t k) -> const std::string& {
      return k < own_count ? waiting_.at(k).node.name
                           : theirs[k - own_count].facts->name;
    };
    using Volumes = std::vector<ServiceFacts::OtherVolume>;
    using Unseen = std::vector<ServiceFacts::Unseen>;
    // One volume a path.
    auto add = [](const ServiceFacts::OtherVolume& v, Volumes* to) {
      for (const auto& m : *to)
        if (MountPath(m.target) == MountPath(v.target)) return;
      to->push_back(v);
    };
    // The volumes of `f` at those paths; `file`: the partner's name, for
    // a service of the partner.
    auto add_volumes = [&](const ServiceFacts* f, const std::string& file,
                           Volumes* to) {
      if (!f) return;
      for (const Located& v : f->volume_targets)
        if (paths.count(MountPath(v.value)))
          add({f->name, v.value, v.line, {}, file}, to);
    };
    // What service k mounts itself at those paths, with the services it
    // extends in this file.
    std::vector<std::optional<Volumes>> owned(n);
    auto own = [&](size_t k) -> const Volumes& {
      if (owned[k]) return *owned[k];
      Volumes& out = owned[k].emplace();
      if (k >= own_count) {
        const Their& t = theirs[k - own_count];
        add_volumes(t.facts, *t.file, &out);
        return out;
      }
      if (partner_) add_volumes(partner_of(name_of(k)), partner_->name, &out);
      for (size_t i = k, steps = 0;
           i != std::string::npos && steps <= kMaxExtendsDepth;
           ++steps, i = BaseOf(i))
        add_volumes(&*waiting_.at(i).facts, {}, &out);
      return out;
    };
    // The services k names, and what it names that harden cannot see.
    struct Source {
      size_t j;
      int line;          // of k's entry
      std::string file;  // that entry's, when it is the partner's
    };
    struct Named {
      std::vector<Source> services;
      Unseen unseen;
    };
    auto sources = [&](size_t k) {
      Named out;
      auto from_list = [&](const ServiceFacts& f, const std::string& file) {
        for (const Located& from : f.volumes_from) {
          auto it = index_.find(from.value);
          size_t j = it != index_.end() ? it->second : n;
          if (j == n) {
            auto their = their_index.find(from.value);
            if (their != their_index.end()) j = their->second;
          }
          if (j == n)
            out.unseen.push_back({from.value, false, {}, from.line, file});
          else if (j != k)
            out.services.push_back({j, from.line, file});
        }
        for (const Located& c : f.volumes_from_containers)
          out.unseen.push_back({c.value, true, {}, c.line, file});
      };
      if (k >= own_count) {
        const Their& t = theirs[k - own_count];
        from_list(*t.facts, *t.file);
        return out;
      }
      from_list(*waiting_.at(k).facts, {});
      if (const ServiceFacts* f = partner_of(name_of(k)))
        from_list(*f, partner_->name);
      return out;
    };
    // Depth first, iteratively (a chain may be as long as the file): a
    // service once all it names are done.
    enum : char { kUnseen, kOpen, kClosed };
    std::vector<char> mark(n, kUnseen);
    std::vector<Volumes> shared(n);
    // What each mounts that harden cannot see, with what it names itself
    // (for those that name it).
    std::vector<Unseen> unseen(n);
    struct Frame {
      size_t k;
      Named named;
      size_t left;  // sources not yet visited, from the back
    };
    auto add_unseen = [](ServiceFacts::Unseen u, Unseen* to) {
      for (const auto& m : *to)
        if (m.name == u.name && m.container == u.container) return;
      to->push_back(std::move(u));
    };
    for (size_t root = 0; root < n; ++root) {
      if (mark[root] != kUnseen) continue;
      std::vector<Frame> stack;
      auto open = [&](size_t k) {
        mark[k] = kOpen;
        Named named = sources(k);
        const size_t left = named.services.size();
        stack.push_back({k, std::move(named), left});
      };
      open(root);
      while (!stack.empty()) {
        Frame& top = stack.back();
        if (top.left > 0) {
          const size_t j = top.named.services[--top.left].j;
          if (mark[j] == kUnseen) open(j);  // `top` is stale from here
          continue;
        }
        const size_t k = top.k;
        // Named for the service this one names, which mounts them all.
        Volumes mine;
        Unseen hidden = std::move(top.named.unseen);
        for (const Source& from : top.named.services) {
          const size_t j = from.j;
          if (mark[j] != kClosed) continue;  // on a cycle
          const std::string& name = name_of(j);
          for (const auto& v : own(j))
            add({name, v.target, v.line, {}, v.file}, &mine);
          for (const auto& v : shared[j])
            add({name, v.target, v.line, {}, v.file}, &mine);
          for (const auto& u : unseen[j])
            add_unseen({u.name, u.container, name, from.line, from.file},
                       &hidden);
        }
        shared[k] = std::move(mine);
        unseen[k] = std::move(hidden);
        mark[k] = kClosed;
        stack.pop_back();
      }
    }
    for (size_t k = 0; k < own_count; ++k) {
      ServiceFacts& f = *waiting_.at(k).facts;
      if (!shared[k].empty()) f.shared_volumes = std::move(shared[k]);
      // The containers it names itself, in this file, the resolver sees in
      // volumes_from_containers.
      for (auto& u : unseen[k])
        if (!(u.container && u.via.empty() && u.file.empty()))
          f.unseen_volumes.push_back(std::move(u));
    }
  }

  void ResolveOne(size_t i) {
    Waiting& w = waiting_.at(i);
    const ServiceNode& s = w.node;
    ServiceFacts f = w.facts ? std::move(*w.facts) : ReadFacts(s);
    if (f.extends_file && extends_) f = ExtendFromFile(std::move(f), extends_);
    // What the service it extends sets, as Compose reads it: inherited
    // (nothing through a cycle). Within this file: an override file's
    // changes to that service do not reach this one.
    const size_t base = BaseOf(i);
    const bool base_done = base != std::string::npos && state_[base] >= kResolved;
    bool extends = base_done;
    if (extends) depth_[i] = depth_[base] + 1;
    if (depth_[i] > kMaxExtendsDepth) {
      extends = false;
      if (too_deep_ == std::string::npos) too_deep_ = i;
    }
    if (extends && keep_facts_) f = ExtendFacts(facts_[base], std::move(f));
    // Kept only while a service that extends it is to come: a chain of
    // 20,000 services would otherwise hold each one's inheritance at once.
    if (base_done && !extenders_.empty() && --extenders_[base] == 0)
      facts_.erase(base);
    const bool keep = keep_facts_ && (extenders_.empty() || extenders_[i] > 0);
    if (keep) facts_[i] = f;
    if (partner_) {
      auto other = partner_->services.find(f.name);
      if (other != partner_->services.end()) {
        if (partner_->role == Partner::Role::kBase)
          f = MergeFacts(std::move(f), other->second);
        else
          f.hardened_in = partner_->name;
      }
    }
    // The volumes of the services that extend it are its own to know, not
    // theirs to inherit: given last, so that facts_ holds none of them.
    auto volumes = extender_volumes_.find(i);
    if (volumes != extender_volumes_.end()) {
      f.extender_volumes = std::move(volumes->second);
      extender_volumes_.erase(volumes);
    }
    // Built by docker compose: its Dockerfile tells the image it starts
    // from, and the user it runs as.
    if (f.build && others_)
      if (auto built = others_->Dockerfile(*f.build)) {
        f.built = std::move(built->facts);
        f.built_path = std::move(built->path);
      }
    // An image named through variables: docker compose fills them from
    // the .env file beside the Compose file.
    static const Variables kNone;
    const bool vars = others_ && f.image &&
                      f.image->value.find('$') != std::string::npos;
    plans_[i] = harden::Resolve(f, baseline_, images_, texts_,
                                vars ? others_->DotEnv() : kNone);
    state_[i] = kResolved;
    // What harden adds to it in this file comes with it to the services
    // that extend it (what an overlay file adds does not: Compose resolves
    // `extends` in each file before it merges them).
    if (keep && target_ == Target::kBaseFile) AddGains(plans_[i], &facts_[i]);
  }

  Diagnostic DepthError(const ServiceNode& s) const {
    return Diagnostic{{}, s.key->line + 1, s.key->column + 1, TooDeep(s.name)};
  }

  EditPlanner planner_;
  const Baseline& baseline_;
  const ImageFacts& images_;
  const Target target_;
  const Partner* const partner_;  // or null
  OtherFiles* const others_;      // or null
  const ExtendsReader extends_;   // or empty
  std::shared_ptr<TextPool> texts_ = std::make_shared<TextPool>();
  std::deque<ServicePlan> plans_;  // stable: the planner points into it
  std::vector<State> state_;
  std::vector<size_t> depth_;  // how many services deep it extends
  size_t too_deep_ = std::string::npos;  // the first service past the limit
  std::optional<std::unordered_set<std::string>> tmpfs_paths_;
  const bool keep_facts_;
  const bool hold_;  // every service waits for Finish()
  // As inherited, by service number, when keep_facts_.
  std::unordered_map<size_t, ServiceFacts> facts_;
  // How many services of the file are still to extend each; empty where
  // not known (services went before the whole file was seen).
  std::vector<size_t> extenders_;
  std::map<size_t, std::vector<ServiceFacts::OtherVolume>> extender_volumes_;
  std::unordered_map<std::string, size_t> index_;  // service name -> number
  std::map<size_t, Waiting> waiting_;              // in file order
  std::unordered_set<const Node*> waiting_maps_;   // their own mappings
  bool style_known_ = false;
  std::optional<Diagnostic> entry_error_;
  std::optional<std::pair<size_t, Diagnostic>> plan_error_;  // service, error
  Fingerprinter fp_;
  Expectation expected_;
};

}  // namespace

namespace {

// Parses the text of another file and hands its services (and its root,
// for what else it says) to `use`, while the tree they point into lives.
std::optional<Diagnostic> WithServices(
    std::string text,
    const std::function<void(const ComposeModel&, const Node* root)>& use) {
  const SourceText src(std::move(text));
  if (auto err = CheckEncoding(src)) return err;
  auto doc = ParseDocument(src.view());
  if (!doc) return doc.error();
  auto model = LocateServices(doc.value());
  if (!model) return model.error();
  use(model.value(), doc->root());
  return std::nullopt;
}

}  // namespace

Expected<Partner> ReadPartner(std::string text, Partner::Role role,
                              std::string name) {
  Partner p;
  p.role = role;
  p.name = std::move(name);
  auto err = WithServices(std::move(text), [&](const ComposeModel& model,
                                               const Node* root) {
    for (const ServiceNode& s : model.service_nodes) {
      ServiceFacts f = ReadFacts(s);
      std::string key = f.name;
      p.services.emplace(std::move(key), std::move(f));
    }
    p.includes = ReadIncludes(root);
  });
  if (err) return *err;
  return p;
}

struct OtherFiles::File {
  struct Service {
    ServiceFacts facts;  // as written, without lines
    std::string base;    // the service it extends in this file, if any
    int line = 0, column = 0;
  };
  std::unordered_map<std::string, Service> services;
  std::vector<std::string> order;  // the services' names, in file order
  std::vector<Include> includes;
};

OtherFiles::OtherFiles(std::string dir, ReadText read, const Variables* env)
    : dir_(std::move(dir)), read_(std::move(read)), env_(env) {}

OtherFiles::~OtherFiles() = default;

namespace {

// F of `extends: {file: F}`, as named by a file in `dir`.
std::string JoinPath(const std::string& dir, const std::string& file) {
  return !file.empty() && file[0] == '/' ? file : dir + "/" + file;
}

// The same, as shown: from the Compose file's folder (`dir` empty).
std::string ShownPath(const std::string& dir, const std::string& file) {
  return dir.empty() ? file : JoinPath(dir, file);
}

// The folder of a file as shown (empty: the Compose file's).
std::string ShownDir(const std::string& shown) {
  return shown.find('/') == std::string::npos ? "" : DirName(shown);
}

// Says which services' images harden could not read for want of a
// variable: the commonest cause is a run without the project's .env, and
// the diff alone would not show that image facts were left out.
std::optional<std::string> UnknownImagesNote(
    const std::vector<ServicePlan>& plans, bool env_file) {
  std::vector<std::string> services, variables;
  for (const ServicePlan& p : plans) {
    if (p.image_variables_unknown.empty()) continue;
    services.push_back(fmt::format("\"{}\"", p.service));
    for (const std::string& v : p.image_variables_unknown)
      if (std::find(variables.begin(), variables.end(), v) == variables.end())
        variables.push_back(v);
  }
  if (services.empty()) return std::nullopt;
  constexpr size_t kShown = 3;
  const size_t shown = std::min(services.size(), kShown);
  std::string who =
      fmt::format("{} {}", services.size() == 1 ? "service" : "services",
                  fmt::join(services.begin(), services.begin() + shown, ", "));
  if (services.size() > kShown)
    who += fmt::format(" and {} more", services.size() - kShown);
  const bool one = services.size() == 1;
  return fmt::format(
      "{} name{} {} image through {} that {} does not set "
      "({}): harden cannot tell which image{} {}, so it applies no image "
      "facts (postgres, for one, needs its own user and writable paths); "
      "{}",
      who, one ? "s" : "", one ? "its" : "their",
      variables.size() == 1 ? "a variable" : "variables",
      env_file ? "--env-file" : ".env beside the file",
      fmt::join(variables, ", "),
      one ? "" : "s", one ? "it is" : "they are",
      !env_file ? "run harden with the project's .env in place"
      : variables.size() == 1 ? "set it in the file --env-file names"
                              : "set them in the file --env-file names");
}

}  // namespace

// A path of dir_'s, as shown: from the Compose file's folder.
std::string OtherFiles::Shown(const std::string& path) const {
  const std::string prefix = dir_ + "/";
  return path.compare(0, prefix.size(), prefix) == 0
             ? path.substr(prefix.size())
             : path;
}

ExtendsReader OtherFiles::Reader() {
  return [this](const std::string& file, const std::string& service) {
    return Resolve(JoinPath(dir_, file), service, 1);
  };
}

const Variables& OtherFiles::DotEnv() {
  if (env_) return *env_;
  if (!dotenv_) {
    auto text = read_(JoinPath(dir_, ".env"));
    dotenv_ = text ? ParseDotEnv(text->text) : Variables();
  }
  return *dotenv_;
}

std::optional<OtherFiles::Built> OtherFiles::Dockerfile(
    const ServiceFacts::Build& build) {
  return Dockerfile(build, dir_, "");
}

std::optional<OtherFiles::Built> OtherFiles::Dockerfile(
    const ServiceFacts::Build& build, const std::string& dir,
    const std::string& shown_dir) {
  const Variables& env = DotEnv();
  Variables args;
  for (const auto& [name, value] : build.args)
    args[name] = Interpolate(value, env).text;  // kNoValue where unknown
  Built out;
  const auto context = InterpolateKnown(build.context, env);
  // A Git URL or another remote context is not on this machine.
  const bool local = context && context->find("://") == std::string::npos &&
                     context->rfind("git@", 0) != 0;
  // As a reviewer would write it: "app/Dockerfile", not "./app//Dockerfile".
  auto tidy = [](std::string p) {
    while (p.size() > 2 && p.compare(0, 2, "./") == 0) p.erase(0, 2);
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p.empty() ? std::string(".") : p;
  };
  const std::string ctx = local ? tidy(*context) : "";
  // A path in the context, from the Compose file's folder.
  auto in_context = [&](const std::string& p) {
    return ctx == "." ? p : JoinPath(ctx, p);
  };
  if (build.inline_text) {
    // docker compose interpolates it with the rest of the file.
    out.facts = ReadDockerfile(Interpolate(*build.inline_text, env).text, args,
                               build.target);
    out.path = "dockerfile_inline";
  } else {
    const auto file = InterpolateKnown(
        build.dockerfile.empty() ? "Dockerfile" : build.dockerfile, env);
    if (!local || !file) return std::nullopt;
    std::string path = in_context(tidy(*file));
    const std::optional<std::string>* text =
        &DockerfileText(JoinPath(dir, path));
    // BuildKit reads "dockerfile" where "Dockerfile" is missing
    // (moby/moby#10858).
    if (!*text && BaseName(path) == "Dockerfile") {
      path.replace(path.size() - 10, 1, "d");
      text = &DockerfileText(JoinPath(dir, path));
    }
    if (!*text) return std::nullopt;
    out.facts = ReadDockerfile(**text, args, build.target);
    out.path = ShownPath(shown_dir, path);
  }
  // Without a USER or such a tool in the Dockerfile, the entrypoint it
  // copies in may change user itself.
  if (local && out.facts.user.empty() && out.facts.drops_root.empty())
    for (const std::string& script : out.facts.scripts) {
      const std::string path = in_context(script);
      auto [use, fresh] = scripts_.try_emplace(JoinPath(dir, path));
      if (fresh)
        if (auto text = read_(use->first)) use->second = DropsRootIn(text->text);
      if (!use->second) continue;
      out.facts.drops_root = use->second->tool;
      out.facts.drops_root_line = use->second->line;
      out.facts.drops_root_file = ShownPath(shown_dir, path);
      break;
    }
  return out;
}

// A Dockerfile's text, read once per run; none where it cannot be read.
const std::optional<std::string>& OtherFiles::DockerfileText(
    const std::string& path) {
  auto [slot, fresh] = dockerfiles_.try_emplace(path);
  if (fresh) {
    auto text = read_(path);
    if (text) slot->second = std::move(text->text);
  }
  return slot->second;
}

const Expected<OtherFiles::File>& OtherFiles::Read(
    const std::string& path) {
  auto known = identity_.find(path);
  if (known != identity_.end()) return *files_.at(known->second);
  auto text = read_(path);
  const std::string identity = text ? text->identity : path;
  identity_.emplace(path, identity);
  auto& slot = files_[identity];
  if (slot) return *slot;
  if (!text) {
    slot = std::make_unique<Expected<File>>(text.error());
    return *slot;
  }
  File file;
  auto err = WithServices(std::move(text->text), [&](const ComposeModel& m,
                                                     const Node* root) {
    for (const ServiceNode& n : m.service_nodes) {
      File::Service s{ReadFacts(n), n.mapping ? ExtendedService(n.mapping) : "",
                      n.key->line + 1, n.key->column + 1};
      Unlocate(&s.facts);
      if (file.services.emplace(n.name, std::move(s)).second)
        file.order.push_back(n.name);
    }
    file.includes = ReadIncludes(root);
  });
  slot = err ? std::make_unique<Expected<File>>(*err)
             : std::make_unique<Expected<File>>(std::move(file));
  return *slot;
}

// Lazily, service by service: a file is read only as far as some service
// needs it, and a cycle is one of services (two files may well extend
// each other's services).
Expected<ServiceFacts> OtherFiles::Resolve(const std::string& path,
                                              const std::string& service,
                                              size_t depth) {
  const Expected<File>& parsed = Read(path);
  if (!parsed) return parsed.error();
  auto it = parsed->services.find(service);
  if (it == parsed->services.end())
    return Diagnostic{path, 0, 0,
                      fmt::format("no service \"{}\" there", service)};
  const File::Service& s = it->second;
  const auto key = std::make_pair(identity_.at(path), service);
  // Kept only while the chain from the first service stays within the
  // limit: a result built from kept ones would otherwise grow past it,
  // one service at a time, each holding all it inherits.
  if (auto done = done_.find(key); done != done_.end() &&
                                   depth - 1 + done->second.length <=
                                       kMaxExtendsDepth) {
    deepest_ = std::max(deepest_, depth - 1 + done->second.length);
    return done->second.facts;
  }
  if (resolving_.count(key))
    return Diagnostic{path, s.line, s.column,
                      fmt::format("service \"{}\" is part of a cycle of "
                                  "extends", service)};
  if (depth > kMaxExtendsDepth) {
    ++cuts_;
    return Diagnostic{path, s.line, s.column,
                      fmt::format("the chain of extends goes on past {} "
                                  "services here; harden follows {}",
                                  kMaxExtendsDepth, kMaxExtendsDepth)};
  }
  const size_t cuts = cuts_;
  const size_t deepest = std::max(deepest_, depth);
  deepest_ = depth;
  resolving_.insert(key);
  ServiceFacts own = s.facts;
  // Its build context is relative to that file's folder: read here, and
  // only for a service something needs.
  if (own.build) {
    if (auto built =
            Dockerfile(*own.build, DirName(path), ShownDir(Shown(path)))) {
      own.built = std::move(built->facts);
      own.built_path = std::move(built->path);
    }
    own.build.reset();
  }
  Expected<ServiceFacts> out = own;
  if (!s.base.empty() && s.base != service) {
    // Within the file: what fails for the base fails for this one.
    auto base = Resolve(path, s.base, depth + 1);
    if (base)
      out = ExtendFacts(base.value(), own);
    else
      out = base.error();
  } else if (own.extends_file) {
    const ExtendsReader next = [&](const std::string& f, const std::string& v) {
      return Resolve(JoinPath(DirName(path), f), v, depth + 1);
    };
    out = ExtendFromFile(own, next);
  }
  resolving_.erase(key);
  const size_t length = deepest_ - depth + 1;
  deepest_ = std::max(deepest, deepest_);
  // Cut short by the depth limit, the result holds only from this depth:
  // not kept for the next request.
  if (cuts_ != cuts) return out;
  return done_.insert_or_assign(key, Done{std::move(out), length})
      .first->second.facts;
}

std::vector<IncludedService> OtherFiles::Included(
    const std::vector<Include>& includes) {
  std::vector<IncludedService> out;
  std::unordered_set<std::string> names, seen;  // services; files read
  struct Pending {
    std::vector<Include> includes;
    std::string dir, shown_dir;  // where their paths start; as shown
  };
  // Breadth first: a file's own includes before those they include.
  std::deque<Pending> todo{{includes, dir_, ""}};
  for (; !todo.empty(); todo.pop_front()) {
    const Pending& p = todo.front();
    for (const Include& inc : p.includes) {
      // The files of one entry are one project: the later merge into the
      // first, and relative paths in them start from its folder.
      std::vector<IncludedService> project;
      std::unordered_map<std::string, size_t> index;
      for (const std::string& name : inc.paths) {
        const std::string path = JoinPath(p.dir, name);
        const Expected<File>& file = Read(path);
        if (!file || !seen.insert(identity_.at(path)).second) continue;
        for (const std::string& service : file->order) {
          auto resolved = Resolve(path, service, 1);
          ServiceFacts f = resolved ? resolved.value()
                                    : file->services.at(service).facts;
          auto [at, fresh] = index.emplace(service, project.size());
          if (fresh) {
            project.push_back({ShownPath(p.shown_dir, name), std::move(f)});
            continue;
          }
          // Where it is written: "lib/app.yaml and lib/app.override.yaml".
          IncludedService& merged = project[at->second];
          merged.file += " and " + ShownPath(p.shown_dir, name);
          merged.facts = MergeFacts(std::move(merged.facts), std::move(f));
        }
        const std::string& first = inc.paths.front();
        const bool own_dir = inc.project_directory.empty();
        todo.push_back(
            {file->includes,
             own_dir ? DirName(JoinPath(p.dir, first))
                     : JoinPath(p.dir, inc.project_directory),
             own_dir ? ShownDir(ShownPath(p.shown_dir, first))
                     : ShownPath(p.shown_dir, inc.project_directory)});
      }
      for (IncludedService& s : project)
        if (names.insert(s.facts.name).second) out.push_back(std::move(s));
    }
  }
  return out;
}

Expected<FileResult> HardenText(std::string input, const Baseline& baseline,
                                const ImageFacts& images, Target target,
                                const Partner* partner, OtherFiles* others) {
  FileResult result(std::move(input));
  const SourceText& src = *result.source;
  if (auto err = CheckEncoding(src)) return *err;
  if (partner && partner->role == Partner::Role::kBase)
    result.notes.push_back(fmt::format(
        "read with {}, which docker compose merges into it by default: what "
        "that file sets for a service counts here too",
        partner->name));
  if (partner && partner->role == Partner::Role::kOverride)
    result.notes.push_back(fmt::format(
        "docker compose merges this file into {} by default: a service both "
        "define is hardened there",
        partner->name));
  Expectation expected;
  {
    // The input's tree lives only until the expectation is recorded, and
    // the services' nodes only until each is planned, so that the output's
    // tree never shares memory with it.
    ServicePipeline pipeline(src, baseline, images, target, partner, others);
    EntryStream stream{"services", [&](const Node* key, const Node* value) {
                         return Expected<EntryFate>(pipeline.Add(key, value));
                       }};
    auto doc = ParseDocument(src.view(), &stream);
    if (!doc) return doc.error();
    if (pipeline.EntryError()) return *pipeline.EntryError();
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
    // `services` reached through an alias is not streamed: its services
    // go now.
    if (!stream.found)
      for (const ServiceNode& s : model->service_nodes)
        pipeline.Add(s.key, s.value);
    if (auto err = pipeline.Finish(doc->root())) return *err;
    result.plans = pipeline.TakePlans();
    if (auto note = UnknownImagesNote(result.plans,
                                      others && others->FromEnvFile()))
      result.notes.push_back(std::move(*note));
    auto edits = pipeline.TakeEdits();
    if (!edits) return edits.error();
    result.edits = std::move(edits.value());
    if (result.edits.empty()) {
      result.output = src.bytes();
      return result;
    }
    expected = pipeline.TakeExpectation(doc.value(), model.value());
  }
  result.output = ApplyEdits(src.view(), result.edits);
  if (auto err = VerifyOutput(expected, result.output)) return *err;
  return result;
}

}  // namespace harden
