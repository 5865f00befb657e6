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

// Fingerprints subtrees. Only anchored nodes can be reached more than once
// (through aliases and merge keys), so only they are remembered: an x-
// anchor merged into many services is hashed once.
class Fingerprinter {
 public:
  uint64_t Of(const Node* root) {
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

 private:
  std::unordered_map<const Node*, uint64_t> memo_;
};

uint64_t NameHash(std::string_view name) {
  Hasher h;
  h.Bytes(name);
  return h.h;
}

}  // namespace

uint64_t Fingerprint(const Node* node) { return Fingerprinter().Of(node); }

Expectation Expect(const Document& input, const ComposeModel& model,
                   const std::vector<ServicePlan>& plans) {
  Expectation e;
  Fingerprinter fp;
  const Node* root = input.root() ? input.root()->Resolved() : nullptr;
  e.mapping_root = root && root->IsMapping();
  if (!e.mapping_root) {
    e.root_fingerprint = fp.Of(root);
    return e;
  }
  for (size_t i = 0; i < root->MapSize(); ++i) {
    if (root->Key(i) == model.services_key && model.services)
      e.services_index = i;
    e.top_level.emplace_back(fp.Of(root->Key(i)),
                             e.services_index == i ? 0 : fp.Of(root->Value(i)));
  }
  for (size_t s = 0; s < model.service_nodes.size(); ++s) {
    const ServiceNode& in = model.service_nodes[s];
    const ServicePlan& plan = plans[s];
    Expectation::Service svc;
    svc.name = in.name;
    if (!plan.HasAdditions()) {
      svc.untouched = fp.Of(in.value);
      e.services.push_back(std::move(svc));
      continue;
    }
    for (const Decision& d : plan.decisions) {
      if (d.action != Action::kAdd) continue;
      auto it = std::find_if(svc.added.begin(), svc.added.end(),
                             [&](const Expectation::Added& a) {
                               return a.name == d.key;
                             });
      if (it == svc.added.end()) {
        Expectation::Added a;
        a.name = d.key;
        a.list = d.list;
        a.any_value = d.kind == ValueKind::kYaml;
        a.plain_bool = d.kind == ValueKind::kBool;
        if (d.list && in.mapping) a.values = Values(Lookup(in.mapping, d.key));
        svc.added.push_back(std::move(a));
        it = svc.added.end() - 1;
      }
      it->values.insert(it->values.end(), d.values.begin(), d.values.end());
    }
    if (in.mapping)
      for (const std::string& k : EffectiveKeys(in.mapping))
        if (std::none_of(svc.added.begin(), svc.added.end(),
                         [&](const Expectation::Added& a) { return a.name == k; }))
          svc.kept.push_back({NameHash(k), fp.Of(Lookup(in.mapping, k))});
    e.services.push_back(std::move(svc));
  }
  return e;
}

namespace {

std::optional<Diagnostic> CheckService(const Expectation::Service& want,
                                       const ServiceNode& out,
                                       Fingerprinter& fp) {
  if (out.name != want.name) return Internal("service order");
  if (want.untouched) {
    if (fp.Of(out.value) != *want.untouched)
      return Internal(fmt::format("service \"{}\" changed", want.name));
    return std::nullopt;
  }
  if (!out.mapping)
    return Internal(fmt::format("service \"{}\" has no body", want.name));
  std::vector<std::string> keys = EffectiveKeys(out.mapping);
  if (keys.size() != want.kept.size() + want.added.size())
    return Internal(fmt::format("service \"{}\" has {} keys, not {}",
                                want.name, keys.size(),
                                want.kept.size() + want.added.size()));
  for (const Expectation::Kept& k : want.kept) {
    auto it = std::find_if(keys.begin(), keys.end(), [&](const std::string& n) {
      return NameHash(n) == k.name;
    });
    if (it == keys.end())
      return Internal(fmt::format("service \"{}\" lost a key", want.name));
    if (fp.Of(Lookup(out.mapping, *it)) != k.value)
      return Internal(fmt::format("service \"{}\" key \"{}\" changed",
                                  want.name, *it));
  }
  for (const Expectation::Added& k : want.added) {
    const Node* after = Lookup(out.mapping, k.name);
    if (!after)
      return Internal(fmt::format("service \"{}\" lacks key \"{}\"",
                                  want.name, k.name));
    if (k.any_value) continue;
    if (k.list) {
      if (Values(after) != k.values)
        return Internal(fmt::format("service \"{}\" key \"{}\" is not the "
                                    "planned list", want.name, k.name));
      continue;
    }
    const Node* r = after->Resolved();
    if (!r->IsScalar() || r->value != k.values[0] ||
        (k.plain_bool && !r->plain))
      return Internal(fmt::format("service \"{}\" key \"{}\" is not \"{}\"",
                                  want.name, k.name, k.values[0]));
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
                        const Node* value) -> std::optional<Diagnostic> {
    if (checked >= expected.services.size())
      failure = Internal("the number of services");
    if (failure) return failure;
    auto s = ReadServiceEntry(key, value);
    if (!s)
      failure = Internal(s.error().message);
    else
      failure = CheckService(expected.services[checked++], s.value(), fp);
    return failure;
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
    if (auto err = CheckService(expected.services[i], outs[i], fp)) return err;
  return std::nullopt;
}

}  // namespace harden
