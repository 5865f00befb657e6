#include "harden/verify.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

namespace harden {
namespace {

Diagnostic Internal(std::string what) {
  return Diagnostic{{}, 0, 0,
                    "internal error: the hardened text is not what was "
                    "planned (" + what + "); nothing was written"};
}

std::vector<std::string> Values(const Node* n) {
  std::vector<std::string> out;
  for (const Located& l : ScalarList(n)) out.push_back(l.value);
  return out;
}

// FNV-1a over the bytes of a few fields, chained.
struct Hasher {
  uint64_t h = 1469598103934665603ull;
  void Bytes(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // field separator
  }
  void Number(uint64_t v) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xff)) * 1099511628211ull;
  }
};

uint64_t NameHash(std::string_view name) {
  Hasher h;
  h.Bytes(name);
  return h.h;
}

// The fingerprint of a value list, as Values() gives it.
uint64_t ListHash(const std::vector<std::string>& values) {
  Hasher h;
  h.Number(values.size());
  for (const std::string& v : values) h.Bytes(v);
  return h.h;
}

}  // namespace

// Only anchored nodes can be reached more than once (through aliases and
// merge keys), so only they are remembered: an x- anchor merged into many
// services is hashed once.
uint64_t Fingerprinter::Of(const Node* root) {
  if (!root) return 0;
  struct Frame {
    const Node* node;
    size_t next;
    Hasher h;
  };
  // Iterative, so deep trees cannot overflow the stack.
  std::vector<Frame> stack;
  uint64_t result = 0;
  auto open = [&](const Node* n) -> bool {
    if (n->anchor_name) {
      auto it = memo_.find(n);
      if (it != memo_.end()) {
        result = it->second;
        return false;
      }
    }
    Hasher h;
    h.Number(static_cast<uint64_t>(n->kind));
    h.Number(n->kind == NodeKind::kScalar && !n->plain);
    h.Bytes(n->tag());
    h.Bytes(n->anchor());
    h.Bytes(n->value);
    h.Number(n->children.size());
    stack.push_back({n, 0, h});
    return true;
  };
  if (!open(root)) return result;
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next < f.node->children.size()) {
      const Node* c = f.node->children[f.next++];
      if (!open(c)) stack.back().h.Number(result);
      continue;
    }
    result = f.h.h;
    if (f.node->anchor_name) memo_[f.node] = result;
    stack.pop_back();
    if (!stack.empty()) stack.back().h.Number(result);
  }
  return result;
}

uint64_t Fingerprint(const Node* node) { return Fingerprinter().Of(node); }

void ExpectTopLevel(const Document& input, const ComposeModel& model,
                    Fingerprinter& fp, Expectation* e) {
  const Node* root = input.root() ? input.root()->Resolved() : nullptr;
  e->mapping_root = root && root->IsMapping();
  if (!e->mapping_root) {
    e->root_fingerprint = fp.Of(root);
    return;
  }
  for (size_t i = 0; i < root->MapSize(); ++i) {
    if (root->Key(i) == model.services_key && model.services)
      e->services_index = i;
    e->top_level.emplace_back(fp.Of(root->Key(i)),
                              e->services_index == i ? 0 : fp.Of(root->Value(i)));
  }
}

void ExpectService(size_t index, const ServiceNode& in, const ServicePlan& plan,
                   Fingerprinter& fp, Expectation* e) {
  if (e->services.size() <= index) e->services.resize(index + 1);
  Expectation::Service& svc = e->services[index];
  svc.name = NameHash(in.name);
  if (!plan.HasAdditions()) {
    svc.untouched = fp.Of(in.value);
    return;
  }
  // The additions, grouped by key in decision order, with the values each
  // key must then have.
  struct Key {
    const Decision* first;
    std::vector<std::string> values;
  };
  std::vector<Key> keys;
  for (const Decision& d : plan.decisions) {
    if (d.action != Action::kAdd) continue;
    auto it = std::find_if(keys.begin(), keys.end(),
                           [&](const Key& k) { return k.first->key == d.key; });
    if (it == keys.end()) {
      keys.push_back({&d, {}});
      it = keys.end() - 1;
      if (d.list && in.mapping) it->values = Values(Lookup(in.mapping, d.key));
    }
    it->values.insert(it->values.end(), d.values.begin(), d.values.end());
  }
  svc.added_begin = static_cast<uint32_t>(e->added.size());
  for (const Key& k : keys) {
    const Decision& d = *k.first;
    e->added.push_back({&d, d.list ? ListHash(k.values) : 0, d.list,
                        d.kind == ValueKind::kYaml, d.kind == ValueKind::kBool});
  }
  svc.added_end = static_cast<uint32_t>(e->added.size());
  svc.kept_begin = static_cast<uint32_t>(e->kept.size());
  if (in.mapping)
    for (const std::string& name : EffectiveKeys(in.mapping))
      if (std::none_of(keys.begin(), keys.end(),
                       [&](const Key& k) { return k.first->key == name; }))
        e->kept.push_back({NameHash(name), fp.Of(Lookup(in.mapping, name))});
  svc.kept_end = static_cast<uint32_t>(e->kept.size());
}

Expectation Expect(const Document& input, const ComposeModel& model,
                   const std::vector<ServicePlan>& plans) {
  Expectation e;
  Fingerprinter fp;
  ExpectTopLevel(input, model, fp, &e);
  if (e.mapping_root)
    for (size_t i = 0; i < model.service_nodes.size(); ++i)
      ExpectService(i, model.service_nodes[i], plans[i], fp, &e);
  return e;
}

namespace {

std::optional<Diagnostic> CheckService(const Expectation& e,
                                       const Expectation::Service& want,
                                       const ServiceNode& out,
                                       Fingerprinter& fp) {
  if (NameHash(out.name) != want.name) return Internal("service order");
  const std::string& name = out.name;
  if (want.untouched) {
    if (fp.Of(out.value) != *want.untouched)
      return Internal(fmt::format("service \"{}\" changed", name));
    return std::nullopt;
  }
  if (!out.mapping)
    return Internal(fmt::format("service \"{}\" has no body", name));
  std::vector<std::string> keys = EffectiveKeys(out.mapping);
  const size_t n_kept = want.kept_end - want.kept_begin;
  const size_t n_added = want.added_end - want.added_begin;
  if (keys.size() != n_kept + n_added)
    return Internal(fmt::format("service \"{}\" has {} keys, not {}", name,
                                keys.size(), n_kept + n_added));
  for (size_t i = want.kept_begin; i < want.kept_end; ++i) {
    const Expectation::Kept& k = e.kept[i];
    auto it = std::find_if(keys.begin(), keys.end(), [&](const std::string& n) {
      return NameHash(n) == k.name;
    });
    if (it == keys.end())
      return Internal(fmt::format("service \"{}\" lost a key", name));
    if (fp.Of(Lookup(out.mapping, *it)) != k.value)
      return Internal(fmt::format("service \"{}\" key \"{}\" changed",
                                  name, *it));
  }
  for (size_t i = want.added_begin; i < want.added_end; ++i) {
    const Expectation::Added& k = e.added[i];
    const std::string& key = k.decision->key;
    const Node* after = Lookup(out.mapping, key);
    if (!after)
      return Internal(fmt::format("service \"{}\" lacks key \"{}\"", name,
                                  key));
    if (k.any_value) continue;
    if (k.list) {
      if (ListHash(Values(after)) != k.values)
        return Internal(fmt::format("service \"{}\" key \"{}\" is not the "
                                    "planned list", name, key));
      continue;
    }
    const Node* r = after->Resolved();
    if (!r->IsScalar() || r->value != k.decision->values[0] ||
        (k.plain_bool && !r->plain))
      return Internal(fmt::format("service \"{}\" key \"{}\" is not \"{}\"",
                                  name, key, k.decision->values[0]));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Diagnostic> VerifyOutput(const Expectation& expected,
                                       std::string_view output) {
  // Each service is checked as soon as it is parsed, and its nodes are then
  // dropped: the output's tree is never held whole (a 5 MB file would
  // otherwise need a tree ten times its size).
  Fingerprinter fp;
  size_t checked = 0;
  std::optional<Diagnostic> failure;
  EntryStream stream{"services", nullptr};
  stream.on_entry = [&](const Node* key,
                        const Node* value) -> Expected<EntryFate> {
    if (checked >= expected.services.size())
      failure = Internal("the number of services");
    if (!failure) {
      auto s = ReadServiceEntry(key, value);
      if (!s)
        failure = Internal(s.error().message);
      else
        failure = CheckService(expected, expected.services[checked++],
                               s.value(), fp);
    }
    if (failure) return *failure;
    return EntryFate::kDrop;
  };
  auto doc = ParseDocument(output, expected.mapping_root ? &stream : nullptr);
  if (failure) return failure;
  if (!doc)
    return Internal(fmt::format("it does not parse: {}:{}: {}",
                                doc.error().line, doc.error().column,
                                doc.error().message));
  const Node* root = doc->root() ? doc->root()->Resolved() : nullptr;
  if (!expected.mapping_root) {
    if (fp.Of(root) != expected.root_fingerprint) return Internal("top level");
    return std::nullopt;
  }
  if (!root || !root->IsMapping() ||
      root->MapSize() != expected.top_level.size())
    return Internal("top-level keys");
  for (size_t i = 0; i < root->MapSize(); ++i) {
    if (fp.Of(root->Key(i)) != expected.top_level[i].first)
      return Internal("top-level keys");
    if (i == expected.services_index) continue;
    if (fp.Of(root->Value(i)) != expected.top_level[i].second)
      return Internal(fmt::format("top-level key \"{}\" changed",
                                  root->Key(i)->value));
  }
  if (stream.found) {
    if (checked != expected.services.size())
      return Internal("the number of services");
    return std::nullopt;
  }
  // `services` reached through an alias, or absent: the tree is whole.
  auto model = LocateServices(doc.value());
  if (!model) return Internal(model.error().message);
  const auto& outs = model->service_nodes;
  if (outs.size() != expected.services.size())
    return Internal("the number of services");
  for (size_t i = 0; i < outs.size(); ++i)
    if (auto err = CheckService(expected, expected.services[i], outs[i], fp))
      return err;
  return std::nullopt;
}

}  // namespace harden
