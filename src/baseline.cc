#include "harden/baseline.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "harden/embedded.h"

namespace harden {
namespace {

Diagnostic At(const std::string& path, const YAML::Node& n, std::string msg) {
  YAML::Mark m = n.Mark();
  if (m.is_null()) return Diagnostic{path, 0, 0, std::move(msg)};
  return Diagnostic{path, m.line + 1, m.column + 1, std::move(msg)};
}

std::vector<std::string> StringList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else {
    for (const auto& item : n) out.push_back(item.Scalar());
  }
  return out;
}

bool IsStringList(const YAML::Node& n) {
  if (n.IsScalar()) return true;
  if (!n.IsSequence()) return false;
  for (const auto& item : n)
    if (!item.IsScalar()) return false;
  return true;
}

std::string FlowYaml(const YAML::Node& n) {
  YAML::Emitter out;
  out << YAML::Flow << n;
  return out.c_str();
}

}  // namespace

Expected<Baseline> ParseBaseline(std::string_view text,
                                 const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Diagnostic{path, e.mark.line + 1, e.mark.column + 1, e.msg};
  }
  if (!root.IsMap())
    return At(path, root, "a baseline must be a mapping of controls");
  Baseline b;
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    const YAML::Node& v = entry.second;
    auto want_bool = [&](bool* out) -> std::optional<Diagnostic> {
      bool value = false;
      if (!v.IsScalar() || !YAML::convert<bool>::decode(v, value))
        return At(path, v, fmt::format("\"{}\" must be true or false", key));
      *out = value;
      return std::nullopt;
    };
    auto want_list = [&](std::vector<std::string>* out)
        -> std::optional<Diagnostic> {
      if (!IsStringList(v))
        return At(path, v, fmt::format("\"{}\" must be a list of strings", key));
      *out = StringList(v);
      return std::nullopt;
    };
    std::optional<Diagnostic> err;
    if (key == "name" || key == "description") {
      if (!v.IsScalar())
        err = At(path, v, fmt::format("\"{}\" must be a string", key));
      else
        (key == "name" ? b.name : b.description) = v.Scalar();
    } else if (key == "user") {
      if (!v.IsScalar() || v.Scalar().empty())
        err = At(path, v, "\"user\" must be a string such as \"1000:1000\"");
      else
        b.user = v.Scalar();
    } else if (key == "cap_drop") {
      err = want_list(&b.cap_drop);
    } else if (key == "cap_add") {
      if (!v.IsScalar() || v.Scalar() != "docker-defaults")
        err = At(path, v, "\"cap_add\" may only be \"docker-defaults\"");
      else
        b.cap_add_docker_defaults = true;
    } else if (key == "no_new_privileges") {
      err = want_bool(&b.no_new_privileges);
    } else if (key == "read_only") {
      err = want_bool(&b.read_only);
    } else if (key == "tmpfs") {
      err = want_list(&b.tmpfs);
    } else if (key == "image_facts") {
      err = want_bool(&b.image_facts);
    } else if (key == "fail_on_findings") {
      err = want_bool(&b.fail_on_findings);
    } else if (key == "allowed_cap_add") {
      std::vector<std::string> caps;
      err = want_list(&caps);
      b.allowed_cap_add = caps;
    } else if (key == "set") {
      if (!v.IsMap()) {
        err = At(path, v, "\"set\" must be a mapping of service keys");
      } else {
        for (const auto& e : v) {
          std::string k = e.first.Scalar();
          static const char* kOwned[] = {"user", "cap_drop", "cap_add",
                                         "security_opt", "read_only", "tmpfs"};
          for (const char* owned : kOwned)
            if (k == owned)
              err = At(path, e.first, fmt::format(
                  "\"{}\" is a control: set it at the top level, not in \"set\"",
                  k));
          b.extra.push_back({k, FlowYaml(e.second)});
        }
      }
    } else {
      err = At(path, entry.first, fmt::format(
          "unknown key \"{}\" (expected name, description, user, cap_drop, "
          "cap_add, no_new_privileges, read_only, tmpfs, image_facts, "
          "fail_on_findings, allowed_cap_add, set)", key));
    }
    if (err) return *err;
  }
  return b;
}

const char* EmbeddedText(std::string_view file_name) {
  for (int i = 0; i < kEmbeddedFileCount; ++i)
    if (file_name == kEmbeddedFiles[i].name) return kEmbeddedFiles[i].text;
  return nullptr;
}

Expected<Baseline> LoadBaseline(const std::string& name_or_path) {
  auto ends_with = [&](std::string_view suffix) {
    return name_or_path.size() > suffix.size() &&
           name_or_path.compare(name_or_path.size() - suffix.size(),
                                suffix.size(), suffix) == 0;
  };
  bool is_path = name_or_path.find('/') != std::string::npos ||
                 ends_with(".yaml") || ends_with(".yml");
  if (!is_path) {
    if (name_or_path != "images")
      if (const char* text = EmbeddedText(name_or_path + ".yaml"))
        return ParseBaseline(text, "baselines/" + name_or_path + ".yaml");
    std::string names;
    for (const auto& [name, desc] : ShippedBaselines())
      names += (names.empty() ? "" : ", ") + name;
    return Diagnostic{name_or_path, 0, 0,
                      fmt::format("no such baseline (shipped: {}; or give a "
                                  "file path)", names)};
  }
  std::ifstream in(name_or_path, std::ios::binary);
  if (!in) return Diagnostic{name_or_path, 0, 0, "cannot read baseline file"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseBaseline(ss.str(), name_or_path);
}

std::vector<std::pair<std::string, std::string>> ShippedBaselines() {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < kEmbeddedFileCount; ++i) {
    std::string file = kEmbeddedFiles[i].name;
    if (file == "images.yaml") continue;
    std::string name = file.substr(0, file.rfind('.'));
    auto b = ParseBaseline(kEmbeddedFiles[i].text, file);
    out.emplace_back(name, b.ok() ? b->description : "(invalid)");
  }
  return out;
}

}  // namespace harden
