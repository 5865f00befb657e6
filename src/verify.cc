#include "harden/verify.h"

#include <algorithm>

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

std::optional<Diagnostic> CheckService(const ServiceNode& in,
                                       const ServiceNode& out,
                                       const ServicePlan& plan) {
  std::vector<std::string> keys = EffectiveKeys(in.mapping);
  std::vector<std::string> added;
  for (const Decision& d : plan.decisions)
    if (d.action == Action::kAdd &&
        std::find(added.begin(), added.end(), d.key) == added.end())
      added.push_back(d.key);
  for (const std::string& k : added)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  std::vector<std::string> out_keys = EffectiveKeys(out.mapping);
  for (const std::string& k : out_keys)
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      return Internal(fmt::format("service \"{}\" gained key \"{}\"", in.name, k));
  for (const std::string& k : keys) {
    const Node* before = Lookup(in.mapping, k);
    const Node* after = Lookup(out.mapping, k);
    if (!after)
      return Internal(fmt::format("service \"{}\" lost key \"{}\"", in.name, k));
    if (std::find(added.begin(), added.end(), k) == added.end()) {
      if (!SameTree(before, after))
        return Internal(fmt::format("service \"{}\" key \"{}\" changed",
                                    in.name, k));
      continue;
    }
    std::vector<std::string> want;
    bool list = false;
    ValueKind kind = ValueKind::kString;
    for (const Decision& d : plan.decisions) {
      if (d.action != Action::kAdd || d.key != k) continue;
      list = d.list;
      kind = d.kind;
      want.insert(want.end(), d.values.begin(), d.values.end());
    }
    if (kind == ValueKind::kYaml) continue;  // checked for presence only
    if (list) {
      std::vector<std::string> have = Values(before);
      have.insert(have.end(), want.begin(), want.end());
      if (Values(after) != have)
        return Internal(fmt::format("service \"{}\" key \"{}\" is not the "
                                    "planned list", in.name, k));
      continue;
    }
    const Node* r = after->Resolved();
    if (!r->IsScalar() || r->value != want[0] ||
        (kind == ValueKind::kBool && !r->plain))
      return Internal(fmt::format("service \"{}\" key \"{}\" is not \"{}\"",
                                  in.name, k, want[0]));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Diagnostic> VerifyOutput(const Document& input,
                                       const ComposeModel& model,
                                       const std::vector<ServicePlan>& plans,
                                       std::string_view output) {
  auto doc = ParseDocument(output);
  if (!doc)
    return Internal(fmt::format("it does not parse: {}:{}: {}",
                                doc.error().line, doc.error().column,
                                doc.error().message));
  auto out_model = LocateServices(doc.value());
  if (!out_model) return Internal(out_model.error().message);
  const Node* a = input.root() ? input.root()->Resolved() : nullptr;
  const Node* b = doc->root() ? doc->root()->Resolved() : nullptr;
  if (!a || !b || !a->IsMapping() || !b->IsMapping())
    return SameTree(a, b) ? std::nullopt
                          : std::optional<Diagnostic>(Internal("top level"));
  if (a->MapSize() != b->MapSize()) return Internal("top-level keys");
  for (size_t i = 0; i < a->MapSize(); ++i) {
    if (!SameTree(a->Key(i), b->Key(i))) return Internal("top-level keys");
    if (a->Key(i) == model.services_key && model.services) continue;
    if (!SameTree(a->Value(i), b->Value(i)))
      return Internal(fmt::format("top-level key \"{}\" changed",
                                  a->Key(i)->value));
  }
  const auto& ins = model.service_nodes;
  const auto& outs = out_model->service_nodes;
  if (ins.size() != outs.size()) return Internal("the number of services");
  for (size_t i = 0; i < ins.size(); ++i) {
    if (ins[i].name != outs[i].name) return Internal("service order");
    if (!ins[i].mapping) {
      if (plans[i].HasAdditions() && !outs[i].mapping)
        return Internal(fmt::format("service \"{}\" is still empty", ins[i].name));
      if (!outs[i].mapping) continue;
      // An empty service that got a body: compare against an empty mapping.
      Node empty;
      empty.kind = NodeKind::kMapping;
      ServiceNode in = ins[i];
      in.mapping = &empty;
      if (auto err = CheckService(in, outs[i], plans[i])) return err;
      continue;
    }
    if (!outs[i].mapping)
      return Internal(fmt::format("service \"{}\" lost its body", ins[i].name));
    if (auto err = CheckService(ins[i], outs[i], plans[i])) return err;
  }
  return std::nullopt;
}

}  // namespace harden
