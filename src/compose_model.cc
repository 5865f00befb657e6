#include "harden/compose_model.h"

#include <algorithm>

#include <fmt/format.h>

namespace harden {
namespace {

Diagnostic At(const Node* n, std::string message) {
  return Diagnostic{{}, n->line + 1, n->column + 1, std::move(message)};
}

bool LooksLikeService(const Node* v) {
  v = v->Resolved();
  return v->IsMapping() && (OwnEntry(v, "image") || OwnEntry(v, "build"));
}

}  // namespace

std::vector<const Node*> MergeSources(const Node* mapping) {
  std::vector<const Node*> out;
  const Node* m = OwnEntry(mapping, "<<");
  if (!m) return out;
  m = m->Resolved();
  if (m->IsMapping()) {
    out.push_back(m);
  } else if (m->IsSequence()) {
    for (const Node* item : m->children)
      if (item->Resolved()->IsMapping()) out.push_back(item->Resolved());
  }
  return out;
}

namespace {

// Merge sources form a graph, not a tree: `<<: [*a, *a]` at every level of
// a chain of anchors reaches the same mapping 2^n ways. A walk visits each
// mapping once; what a second path would find, the first path found first,
// so precedence stays YAML's (own keys, then sources in order, depth first).
// Chains deeper than kMaxMergeDepth (real files use one or two levels) are
// not followed, which keeps the recursion's stack bounded.
constexpr size_t kMaxMergeDepth = 64;

// True the first time a walk reaches `mapping` within the depth bound.
bool Enter(const Node* mapping, std::vector<const Node*>* seen, size_t depth) {
  if (!mapping || !mapping->IsMapping() || depth > kMaxMergeDepth) return false;
  if (std::find(seen->begin(), seen->end(), mapping) != seen->end())
    return false;
  seen->push_back(mapping);
  return true;
}

const Node* LookupOnce(const Node* mapping, std::string_view key,
                       std::vector<const Node*>* seen, size_t depth) {
  if (!Enter(mapping, seen, depth)) return nullptr;
  if (const Node* v = OwnEntry(mapping, key)) return v;
  for (const Node* src : MergeSources(mapping))
    if (const Node* v = LookupOnce(src, key, seen, depth + 1)) return v;
  return nullptr;
}

void CollectKeys(const Node* mapping, std::vector<const Node*>* seen,
                 size_t depth, std::vector<std::string>* out) {
  if (!Enter(mapping, seen, depth)) return;
  for (size_t i = 0; i < mapping->MapSize(); ++i) {
    const Node* k = mapping->Key(i)->Resolved();
    if (!k->IsScalar() || k->value == "<<") continue;
    if (std::find(out->begin(), out->end(), k->value) == out->end())
      out->emplace_back(k->value);
  }
  for (const Node* src : MergeSources(mapping))
    CollectKeys(src, seen, depth + 1, out);
}

std::optional<Located> ScalarAt(const Node* mapping, std::string_view key) {
  const Node* v = Lookup(mapping, key);
  if (!v) return std::nullopt;
  const Node* r = v->Resolved();
  if (!r->IsScalar()) return std::nullopt;
  return Located{std::string(r->value), v->line + 1};
}

// Container (and host) paths of `volumes`, short and long syntax.
void ReadVolumes(const Node* list, ServiceFacts* f) {
  if (!list) return;
  list = list->Resolved();
  if (!list->IsSequence()) return;
  for (const Node* item : list->children) {
    const Node* r = item->Resolved();
    if (r->IsScalar()) {
      // SOURCE:TARGET[:MODE] or TARGET; a Windows drive letter is rare here.
      std::string_view s = r->value;
      size_t c1 = s.find(':');
      if (c1 == std::string_view::npos) {
        f->volume_targets.push_back({std::string(s), item->line + 1});
        continue;
      }
      f->volume_sources.push_back({std::string(s.substr(0, c1)), item->line + 1});
      std::string_view rest = s.substr(c1 + 1);
      f->volume_targets.push_back(
          {std::string(rest.substr(0, rest.find(':'))), item->line + 1});
    } else if (r->IsMapping()) {
      if (auto t = ScalarAt(r, "target")) f->volume_targets.push_back(*t);
      if (auto s = ScalarAt(r, "source")) f->volume_sources.push_back(*s);
    }
  }
}

}  // namespace

const Node* OwnEntry(const Node* mapping, std::string_view key) {
  if (!mapping || !mapping->IsMapping()) return nullptr;
  for (size_t i = 0; i < mapping->MapSize(); ++i) {
    const Node* k = mapping->Key(i)->Resolved();
    if (k->IsScalar() && k->value == key) return mapping->Value(i);
  }
  return nullptr;
}

const Node* Lookup(const Node* mapping, std::string_view key) {
  if (!mapping || !mapping->IsMapping()) return nullptr;
  if (const Node* v = OwnEntry(mapping, key)) return v;  // the common case
  std::vector<const Node*> sources = MergeSources(mapping);
  if (sources.empty()) return nullptr;  // no `<<`: nothing to allocate
  std::vector<const Node*> seen{mapping};
  for (const Node* src : sources)
    if (const Node* v = LookupOnce(src, key, &seen, 1)) return v;
  return nullptr;
}

std::vector<std::string> EffectiveKeys(const Node* mapping) {
  std::vector<std::string> out;
  std::vector<const Node*> seen;
  CollectKeys(mapping, &seen, 0, &out);
  return out;
}

std::vector<Located> ScalarList(const Node* node) {
  std::vector<Located> out;
  if (!node) return out;
  const Node* r = node->Resolved();
  if (r->IsScalar()) {
    out.push_back({std::string(r->value), node->line + 1});
  } else if (r->IsSequence()) {
    for (const Node* item : r->children) {
      const Node* ri = item->Resolved();
      if (ri->IsScalar()) out.push_back({std::string(ri->value), item->line + 1});
    }
  }
  return out;
}

Expected<ComposeModel> LocateServices(const Document& doc) {
  ComposeModel model;
  const Node* root = doc.root();
  if (!root || root->kind == NodeKind::kNull) return model;  // empty file
  if (!root->Resolved()->IsMapping())
    return At(root, fmt::format("the top level is {}, not a mapping",
                                KindName(root)));
  root = root->Resolved();
  const Node* services = nullptr;
  for (size_t i = 0; i < root->MapSize(); ++i) {
    const Node* k = root->Key(i);
    if (k->IsScalar() && k->value == "services") {
      model.services_key = k;
      services = root->Value(i);
    }
  }
  if (!model.services_key) {
    // Compose v1 put services at the top level. docker compose v2 no longer
    // reads such files, so harden reports them and leaves them alone.
    for (size_t i = 0; i < root->MapSize(); ++i)
      if (LooksLikeService(root->Value(i))) model.legacy = true;
    return model;
  }
  if (services->kind == NodeKind::kNull) return model;
  if (!services->Resolved()->IsMapping())
    return At(services, fmt::format("\"services\" is {}, not a mapping",
                                    KindName(services)));
  model.services = services->Resolved();
  for (size_t i = 0; i < model.services->MapSize(); ++i) {
    auto s = ReadServiceEntry(model.services->Key(i), model.services->Value(i));
    if (!s) return s.error();
    model.service_nodes.push_back(std::move(s.value()));
  }
  return model;
}

Expected<ServiceNode> ReadServiceEntry(const Node* key, const Node* value) {
  if (!key->IsScalar()) return At(key, "a service name must be a scalar");
  ServiceNode s{std::string(key->value), key, value, nullptr, nullptr};
  const Node* r = value->Resolved();
  if (r->IsMapping()) {
    s.mapping = r;
    if (value->kind != NodeKind::kAlias) s.own = value;
    // YAML merges only mappings (Compose's parser rejects anything else),
    // and what harden adds to a merged service depends on it.
    if (const Node* m = OwnEntry(r, "<<")) {
      const Node* v = m->Resolved();
      bool ok = v->IsMapping() || v->IsSequence();
      if (v->IsSequence())
        for (const Node* item : v->children)
          ok = ok && item->Resolved()->IsMapping();
      if (!ok)
        return At(m, fmt::format("the merge key (<<) of service \"{}\" is {}; "
                                 "it takes a mapping or a list of mappings",
                                 key->value,
                                 v->IsSequence() ? "a list with an item that "
                                                   "is not a mapping"
                                                 : KindName(m)));
    }
  } else if (r->kind != NodeKind::kNull &&
             !(r->IsScalar() && r->plain && r->value.empty())) {
    return At(value, fmt::format("service \"{}\" is {}, not a mapping",
                                 key->value, KindName(value)));
  }
  return s;
}

std::vector<Include> ReadIncludes(const Node* root) {
  std::vector<Include> out;
  const Node* list = root ? Lookup(root->Resolved(), "include") : nullptr;
  if (!list || !list->Resolved()->IsSequence()) return out;
  for (const Node* item : list->Resolved()->children) {
    const Node* r = item->Resolved();
    Include inc;
    if (r->IsScalar()) {
      inc.paths.emplace_back(r->value);
    } else if (r->IsMapping()) {
      for (Located& p : ScalarList(Lookup(r, "path")))
        inc.paths.push_back(std::move(p.value));
      if (auto dir = ScalarAt(r, "project_directory"))
        inc.project_directory = std::move(dir->value);
    }
    if (!inc.paths.empty()) out.push_back(std::move(inc));
  }
  return out;
}

std::string ExtendedService(const Node* mapping) {
  const Node* e = Lookup(mapping, "extends");
  if (!e) return {};
  const Node* r = e->Resolved();
  if (r->IsScalar()) return std::string(r->value);
  if (r->IsMapping() && !Lookup(r, "file"))
    if (auto svc = ScalarAt(r, "service")) return svc->value;
  return {};
}

const char* KindName(const Node* n) {
  switch (n->Resolved()->kind) {
    case NodeKind::kScalar: return "a scalar";
    case NodeKind::kSequence: return "a sequence";
    case NodeKind::kMapping: return "a mapping";
    default: return "null";
  }
}

// `build: DIR`, or a mapping with context, dockerfile, dockerfile_inline,
// target and args (a mapping, or a list of `NAME=VALUE`).
std::optional<ServiceFacts::Build> ReadBuild(const Node* node) {
  if (!node) return std::nullopt;
  const Node* r = node->Resolved();
  ServiceFacts::Build b;
  b.line = node->line + 1;
  if (r->IsScalar()) {
    b.context = std::string(r->value);
    return b;
  }
  if (!r->IsMapping()) return std::nullopt;
  if (auto c = ScalarAt(r, "context")) b.context = c->value;
  if (auto d = ScalarAt(r, "dockerfile")) b.dockerfile = d->value;
  if (auto i = ScalarAt(r, "dockerfile_inline")) b.inline_text = i->value;
  if (auto t = ScalarAt(r, "target")) b.target = t->value;
  if (const Node* args = Lookup(r, "args")) {
    const Node* a = args->Resolved();
    if (a->IsMapping()) {
      for (size_t i = 0; i < a->MapSize(); ++i)
        if (const Node* v = a->Value(i)->Resolved(); v->IsScalar())
          b.args[std::string(a->Key(i)->value)] = std::string(v->value);
    } else {
      for (const Located& item : ScalarList(a))
        if (size_t eq = item.value.find('='); eq != std::string::npos)
          b.args[item.value.substr(0, eq)] = item.value.substr(eq + 1);
    }
  }
  return b;
}

ServiceFacts ReadFacts(const ServiceNode& service) {
  ServiceFacts f;
  f.name = service.name;
  f.line = service.key->line + 1;
  const Node* m = service.mapping;
  if (!m) return f;
  f.image = ScalarAt(m, "image");
  f.user = ScalarAt(m, "user");
  f.read_only = ScalarAt(m, "read_only");
  f.privileged = ScalarAt(m, "privileged");
  f.network_mode = ScalarAt(m, "network_mode");
  f.pid = ScalarAt(m, "pid");
  f.ipc = ScalarAt(m, "ipc");
  f.userns_mode = ScalarAt(m, "userns_mode");
  f.cap_add = ScalarList(Lookup(m, "cap_add"));
  f.cap_drop = ScalarList(Lookup(m, "cap_drop"));
  f.security_opt = ScalarList(Lookup(m, "security_opt"));
  f.tmpfs = ScalarList(Lookup(m, "tmpfs"));
  f.group_add = ScalarList(Lookup(m, "group_add"));
  // `HOST[:CONTAINER[:PERMISSIONS]]`, or a mapping with `source`.
  const Node* devices = Lookup(m, "devices");
  if (devices && devices->Resolved()->IsSequence())
    for (const Node* item : devices->Resolved()->children) {
      const Node* r = item->Resolved();
      if (r->IsScalar())
        f.devices.push_back(
            {std::string(r->value.substr(0, r->value.find(':'))),
             item->line + 1});
      else if (auto src = ScalarAt(r, "source"))
        f.devices.push_back(*src);
    }
  ReadVolumes(Lookup(m, "volumes"), &f);
  f.build = ReadBuild(Lookup(m, "build"));
  // SERVICE[:MODE], service:SERVICE[:MODE] or container:NAME[:MODE].
  for (Located& from : ScalarList(Lookup(m, "volumes_from"))) {
    std::string_view v = from.value;
    if (v.rfind("container:", 0) == 0) {
      v.remove_prefix(10);
      f.volumes_from_containers.push_back(
          {std::string(v.substr(0, v.find(':'))), from.line});
      continue;
    }
    if (v.rfind("service:", 0) == 0) v.remove_prefix(8);
    from.value = std::string(v.substr(0, v.find(':')));
    f.volumes_from.push_back(std::move(from));
  }
  f.keys = EffectiveKeys(m);
  if (const Node* e = Lookup(m, "extends")) {
    const Node* r = e->Resolved();
    auto file = r->IsMapping() ? ScalarAt(r, "file") : std::nullopt;
    if (file) {
      auto svc = ScalarAt(r, "service");
      f.extends_path = file->value;
      f.extends_service = svc ? svc->value : f.name;
      f.extends_file = Located{
          fmt::format("service \"{}\" of {}", f.extends_service, file->value),
          file->line};
    }
  }
  if (const Node* x = Lookup(m, "x-harden")) {
    const Node* r = x->Resolved();
    if (r->IsScalar() && (r->value == "false" || r->value == "False")) {
      f.opt_out = true;
    } else if (r->IsMapping()) {
      for (const Located& s : ScalarList(Lookup(r, "skip")))
        f.skip.push_back(s.value);
      if (auto reason = ScalarAt(r, "reason")) f.skip_reason = reason->value;
      for (size_t i = 0; i < r->MapSize(); ++i) {
        const Node* k = r->Key(i);
        if (k->value != "skip" && k->value != "reason")
          f.x_harden_error = At(k, fmt::format(
              "unknown key \"{}\" in x-harden (expected skip, reason)",
              k->value));
      }
    } else if (!(r->IsScalar() && (r->value == "true" || r->value == "True"))) {
      f.x_harden_error =
          At(x, "x-harden must be false or a mapping with skip and reason");
    }
  }
  return f;
}

namespace {

constexpr std::optional<Located> ServiceFacts::*kScalars[] = {
    &ServiceFacts::image,        &ServiceFacts::user,
    &ServiceFacts::read_only,    &ServiceFacts::privileged,
    &ServiceFacts::network_mode, &ServiceFacts::pid,
    &ServiceFacts::ipc,          &ServiceFacts::userns_mode};
constexpr std::vector<Located> ServiceFacts::*kLists[] = {
    &ServiceFacts::cap_add, &ServiceFacts::cap_drop,
    &ServiceFacts::security_opt, &ServiceFacts::tmpfs,
    &ServiceFacts::volume_sources, &ServiceFacts::devices,
    &ServiceFacts::group_add};

// Calls `fn` on every value of `f` (not its name, line or errors).
template <typename Fn>
void ForEachValue(ServiceFacts* f, Fn fn) {
  for (auto field : kScalars)
    if (f->*field) fn(*(f->*field));
  for (auto field : kLists)
    for (Located& l : f->*field) fn(l);
  for (Located& l : f->volume_targets) fn(l);
}

// Compose's merge of `over` into `base`, for the values (not the service's
// name, line or errors). `same_file`: the values of `over` keep their lines.
void Combine(ServiceFacts* base, ServiceFacts over, bool same_file) {
  if (!same_file) Unlocate(&over);
  for (auto field : kScalars)
    if (over.*field) base->*field = std::move(over.*field);
  for (auto field : kLists) {
    auto& to = base->*field;
    to.insert(to.end(), std::make_move_iterator((over.*field).begin()),
              std::make_move_iterator((over.*field).end()));
  }
  // Volumes are unique by target: the later mount replaces one with the
  // same target, so the targets are a set.
  for (Located& t : over.volume_targets) {
    auto same = std::find_if(
        base->volume_targets.begin(), base->volume_targets.end(),
        [&](const Located& b) { return b.value == t.value; });
    if (same == base->volume_targets.end())
      base->volume_targets.push_back(std::move(t));
    else if (same_file)
      *same = std::move(t);
  }
  // What it is built from: the later build, with what its Dockerfile says.
  if (over.build || over.built) {
    base->build = std::move(over.build);
    base->built = std::move(over.built);
    base->built_path = std::move(over.built_path);
  }
  for (std::string& k : over.keys)
    if (std::find(base->keys.begin(), base->keys.end(), k) == base->keys.end())
      base->keys.push_back(std::move(k));
  // x-harden: a mapping merges (skip appended, reason replaced), `false`
  // replaces.
  if (over.opt_out) {
    base->opt_out = true;
  } else if (!over.skip.empty() || !over.skip_reason.empty()) {
    base->opt_out = false;
    base->skip.insert(base->skip.end(), over.skip.begin(), over.skip.end());
    if (!over.skip_reason.empty()) base->skip_reason = std::move(over.skip_reason);
  }
}

}  // namespace

ServiceFacts MergeFacts(ServiceFacts base, ServiceFacts over) {
  // The errors of `over` are the other file's to report.
  Combine(&base, std::move(over), /*same_file=*/false);
  return base;
}

void Unlocate(ServiceFacts* f) {
  ForEachValue(f, [](Located& l) { l.line = 0; });
  if (f->build) f->build->line = 0;
}

ServiceFacts ExtendFacts(const ServiceFacts& base, ServiceFacts own) {
  ServiceFacts out = base;
  ForEachValue(&out, [](Located& l) { l.inherited = true; });
  out.name = std::move(own.name);
  out.line = own.line;
  out.x_harden_error = std::move(own.x_harden_error);
  // A file the base could not read is one this service inherits from too.
  if (own.extends_file)
    out.extends_file = std::move(own.extends_file);
  else if (out.extends_file)
    out.extends_file->value = fmt::format("service \"{}\", which extends {}",
                                          base.name, out.extends_file->value);
  out.extends_path = std::move(own.extends_path);
  out.extends_service = std::move(own.extends_service);
  out.hardened_in = std::move(own.hardened_in);
  out.extended = fmt::format("service \"{}\"", base.name);
  out.extender_volumes = std::move(own.extender_volumes);
  out.volumes_from = std::move(own.volumes_from);  // never shared
  out.volumes_from_containers = std::move(own.volumes_from_containers);
  out.shared_volumes = std::move(own.shared_volumes);
  out.unseen_volumes = std::move(own.unseen_volumes);
  Combine(&out, std::move(own), /*same_file=*/true);
  return out;
}

}  // namespace harden
