#include "harden/image_facts.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>


namespace harden {
namespace {

Diagnostic At(const std::string& path, const YAML::Node& n, std::string msg) {
  YAML::Mark m = n.Mark();
  return Diagnostic{path, m.line + 1, m.column + 1, std::move(msg)};
}

std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsScalar()) out.push_back(n.Scalar());
  if (n.IsSequence())
    for (const auto& i : n) out.push_back(i.Scalar());
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(c));
  return out;
}

// A list of warnings: each a string (always shown) or a one-key mapping
// whose key says when it holds.
Expected<std::vector<ImageWarning>> Warnings(const YAML::Node& n,
                                             const std::string& path) {
  using When = ImageWarning::When;
  std::vector<ImageWarning> out;
  if (!n.IsSequence()) return At(path, n, "warnings must be a list");
  for (const auto& item : n) {
    if (item.IsScalar()) {
      out.push_back({When::kAlways, item.Scalar()});
      continue;
    }
    if (!item.IsMap() || item.size() != 1 || !item.begin()->second.IsScalar())
      return At(path, item, "a warning is a string, or one of as_user, "
                            "as_root, read_only with a string");
    const std::string k = item.begin()->first.Scalar();
    When when;
    if (k == "as_user") when = When::kAsUser;
    else if (k == "as_root") when = When::kAsRoot;
    else if (k == "read_only") when = When::kReadOnly;
    else
      return At(path, item.begin()->first,
                fmt::format("unknown warning condition \"{}\" (as_user, "
                            "as_root, read_only)", k));
    out.push_back({when, item.begin()->second.Scalar()});
  }
  return out;
}

bool IsLowPort(const std::string& s) {
  int n = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, n);
  return ec == std::errc() && p == end && n >= 1 && n <= 1023;
}

// Reads the keys an entry and a variant share. Returns an error for a key
// that neither knows.
std::optional<Diagnostic> ReadFactKeys(const YAML::Node& entry,
                                       const std::string& path, bool variant,
                                       ImageFact* f, bool* has) {
  for (const auto& kv : entry) {
    const std::string k = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (k == "user") { f->user = v.Scalar(); has[0] = true; }
    else if (k == "root_caps") { f->root_caps = Strings(v); has[1] = true; }
    else if (k == "tmpfs") { f->tmpfs = Strings(v); has[2] = true; }
    else if (k == "root_owned") { f->root_owned = Strings(v); has[3] = true; }
    else if (k == "warnings") {
      auto w = Warnings(v, path);
      if (!w) return w.error();
      f->warnings = std::move(w.value());
      has[4] = true;
    }
    else if (k == "low_ports") {
      f->low_ports = Strings(v);
      for (const std::string& port : f->low_ports)
        if (!IsLowPort(port))
          return At(path, v, fmt::format("low_ports: \"{}\" is not a port "
                                         "below 1024", port));
      has[5] = true;
    }
    else if (k == "source") f->source = v.Scalar();
    else if (k == "note") {}
    else if (variant && k == "tag_contains") {}
    else if (!variant && k == "name") f->name = v.Scalar();
    else if (!variant && k == "match") {}
    else if (!variant && k == "variants") {}
    else if (!variant && k == "image_user") f->image_user = v.as<bool>();
    else if (!variant && k == "root") f->root = v.as<bool>();
    else if (!variant && k == "caps") f->caps = Strings(v);
    else
      return At(path, kv.first, fmt::format("unknown key \"{}\" in an image {}",
                                            k, variant ? "variant" : "entry"));
  }
  return std::nullopt;
}

}  // namespace

ImageRef ParseImageRef(std::string_view image) {
  ImageRef ref;
  std::string_view s = image;
  if (size_t at = s.find('@'); at != std::string_view::npos) s = s.substr(0, at);
  // A first component with a '.' or ':' (or "localhost") is a registry host.
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    std::string_view first = s.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos ||
        first == "localhost")
      s = s.substr(slash + 1);
  }
  size_t last_slash = s.rfind('/');
  size_t colon = s.find(':', last_slash == std::string_view::npos ? 0 : last_slash);
  if (colon != std::string_view::npos) {
    ref.tag = std::string(s.substr(colon + 1));
    s = s.substr(0, colon);
  }
  if (s.substr(0, 8) == "library/") s = s.substr(8);
  ref.repository = Lower(s);
  return ref;
}

ImageAsRead ImageWithVariables(std::string_view image, const Variables& vars) {
  ImageAsRead r;
  Interpolated in = Interpolate(image, vars);
  r.from_env = in.used;
  r.unknown = std::move(in.unknown);
  std::string& out = in.text;
  if (out.find(kNoValue) != std::string::npos) {
    // The tag (after the last ':' past the last '/') or the digest may be
    // unknown; anything before them may not.
    size_t cut = out.find('@');
    const size_t slash = out.rfind('/', cut);
    const size_t colon =
        out.find(':', slash == std::string::npos ? 0 : slash);
    cut = std::min(cut, colon);
    if (cut == std::string::npos || out.find(kNoValue) < cut) return r;
    out.resize(cut);
    r.any_tag = true;
  }
  r.image = std::move(out);
  return r;
}

Expected<ImageFacts> ImageFacts::Parse(std::string_view text,
                                       const std::string& path) {
  ImageFacts facts;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    const YAML::Node images = root["images"];
    if (!images.IsSequence())
      return Diagnostic{path, 0, 0, "\"images\" must be a list"};
    for (const auto& entry : images) {
      Family fam;
      bool has[6] = {};
      if (auto err = ReadFactKeys(entry, path, false, &fam.fact, has))
        return *err;
      if (fam.fact.name.empty() || fam.fact.source.empty())
        return At(path, entry, "an image entry needs a name and a source");
      for (const auto& m : Strings(entry["match"])) fam.match.push_back(Lower(m));
      if (entry["variants"]) {
        for (const auto& v : entry["variants"]) {
          Variant var;
          bool vh[6] = {};
          if (auto err = ReadFactKeys(v, path, true, &var.overrides, vh))
            return *err;
          var.tag_contains = v["tag_contains"].Scalar();
          var.has_user = vh[0];
          var.has_root_caps = vh[1];
          var.has_tmpfs = vh[2];
          var.has_root_owned = vh[3];
          var.has_warnings = vh[4];
          var.has_low_ports = vh[5];
          fam.variants.push_back(std::move(var));
        }
      }
      facts.families_.push_back(std::move(fam));
    }
  } catch (const YAML::Exception& e) {
    return Diagnostic{path, e.mark.line + 1, e.mark.column + 1, e.msg};
  }
  return facts;
}

std::optional<ImageFact> ImageFacts::Find(std::string_view image) const {
  ImageRef ref = ParseImageRef(image);
  if (ref.repository.empty()) return std::nullopt;
  for (const Family& fam : families_) {
    bool hit = false;
    for (const std::string& m : fam.match) {
      if (m.size() > 2 && m.compare(m.size() - 2, 2, "/*") == 0)
        hit = ref.repository.compare(0, m.size() - 1, m, 0, m.size() - 1) == 0;
      else
        hit = m == ref.repository;
      if (hit) break;
    }
    if (hit) return WithVariants(fam, ref.tag);
  }
  return std::nullopt;
}

std::optional<ImageFact> ImageFacts::Lookalike(std::string_view image) const {
  if (Find(image)) return std::nullopt;
  ImageRef ref = ParseImageRef(image);
  const size_t slash = ref.repository.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  const std::string_view last =
      std::string_view(ref.repository).substr(slash + 1);
  for (const Family& fam : families_)
    for (const std::string& m : fam.match)
      if (m == last) return WithVariants(fam, ref.tag);
  return std::nullopt;
}

ImageFact ImageFacts::WithVariants(const Family& fam,
                                    const std::string& tag_in) {
  ImageFact f = fam.fact;
  std::string tag = Lower(tag_in);
  for (const Variant& v : fam.variants) {
    if (tag.find(v.tag_contains) == std::string::npos) continue;
    if (v.has_user) f.user = v.overrides.user;
    if (v.has_root_caps) f.root_caps = v.overrides.root_caps;
    if (v.has_tmpfs) f.tmpfs = v.overrides.tmpfs;
    if (v.has_root_owned) f.root_owned = v.overrides.root_owned;
    if (v.has_warnings) f.warnings = v.overrides.warnings;
    if (v.has_low_ports) f.low_ports = v.overrides.low_ports;
    if (!v.overrides.source.empty())
      f.source += "; " + v.overrides.source;
  }
  return f;
}

}  // namespace harden
