#include "harden/image_facts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace harden {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(ImageFactsTest, ShippedFactsCoverThePopularImagesWithSources) {
  const ImageFacts& facts = ImageFacts::Shipped();
  EXPECT_GE(facts.size(), 25u);
  for (const auto& fam : facts.families()) {
    EXPECT_FALSE(fam.fact.source.empty()) << fam.fact.name;
    EXPECT_FALSE(fam.match.empty()) << fam.fact.name;
    EXPECT_FALSE(fam.fact.user && fam.fact.image_user) << fam.fact.name;
  }
  for (const char* image :
       {"postgres", "mysql", "mariadb", "mongo", "redis", "valkey/valkey",
        "memcached", "rabbitmq", "nginx", "nginxinc/nginx-unprivileged",
        "httpd", "php:8-apache", "wordpress", "nextcloud", "adminer", "ghost",
        "caddy", "traefik", "haproxy", "grafana/grafana", "prom/prometheus",
        "elasticsearch", "opensearchproject/opensearch", "minio/minio",
        "bitnami/postgresql", "node", "python", "golang", "alpine", "busybox"})
    EXPECT_TRUE(facts.Find(image)) << image;
}

TEST(ImageFactsTest, MatchesWithRegistryLibraryTagDigestAndVariants) {
  const ImageFacts& facts = ImageFacts::Shipped();
  auto pg = facts.Find("docker.io/library/postgres:16.4-alpine3.20@sha256:ab");
  ASSERT_TRUE(pg);
  EXPECT_EQ("70:70", pg->user.value_or(""));
  EXPECT_EQ("999:999", facts.Find("postgres:17-bookworm")->user.value_or(""));
  EXPECT_FALSE(facts.Find("bitnami/postgresql")->user);
  EXPECT_TRUE(facts.Find("bitnami/postgresql")->image_user);
  EXPECT_FALSE(facts.Find("ghcr.io/acme/postgres"));  // another namespace
  EXPECT_FALSE(facts.Find("${IMAGE}"));
}

// The ports below 1024 an image listens on by default, tag by tag: they
// decide whether it can run as a user in the host's network.
TEST(ImageFactsTest, LowPortsFollowTheTag) {
  const ImageFacts& facts = ImageFacts::Shipped();
  using V = std::vector<std::string>;
  EXPECT_EQ(V{"80"}, facts.Find("nginx:1.27-alpine")->low_ports);
  EXPECT_EQ(V{"80"}, facts.Find("php:8.3-apache")->low_ports);
  EXPECT_EQ(V{}, facts.Find("php:8.3-fpm")->low_ports);
  EXPECT_EQ(V{"80"}, facts.Find("wordpress:6")->low_ports);
  EXPECT_EQ(V{}, facts.Find("wordpress:6-fpm-alpine")->low_ports);
  EXPECT_EQ((V{"80", "443"}), facts.Find("caddy:2")->low_ports);
  EXPECT_EQ(V{}, facts.Find("nginxinc/nginx-unprivileged")->low_ports);
}

// docker compose reads `${VAR:-default}` as its default when VAR is unset;
// so does harden, to know the image. A tag from a variable is any tag; a
// repository from one is unknown.
TEST(ImageWithVariablesTest, UnsetGiveDefaultsAndAnyTag) {
  auto as = [](std::string_view image) {
    auto u = ImageWithVariables(image);
    return u.known() ? u.image + (u.any_tag ? " (any tag)" : "") : "(unknown)";
  };
  EXPECT_EQ("postgres:16", as("postgres:16"));
  EXPECT_EQ("postgres (any tag)", as("postgres:${PG_VERSION}"));
  EXPECT_EQ("postgres (any tag)", as("postgres:$PG_VERSION"));
  EXPECT_EQ("postgres:16-alpine", as("${PG_IMAGE:-postgres:16-alpine}"));
  EXPECT_EQ("postgres:17", as("postgres:${PG-17}"));
  EXPECT_EQ("nginx (any tag)", as("nginx:${TAG:?set TAG}@sha256:ab"));
  EXPECT_EQ("nginx:1.27", as("nginx:1.27${SUFFIX:+-alpine}"));
  EXPECT_EQ("ghcr.io/acme/app (any tag)", as("ghcr.io/acme/app:1${V}"));
  EXPECT_EQ("localhost:5000/frappe/erpnext (any tag)",
            as("localhost:5000/frappe/erpnext:${ERPNEXT_VERSION}"));
  EXPECT_EQ("redis:7", as("${R:-redis:${V:-7}}"));
  EXPECT_EQ("a$b", as("a$$b"));
  for (const char* unknown : {"${IMAGE}", "${REGISTRY}/postgres:16",
                              "acme/${APP}:1", "${UNCLOSED:-postgres"})
    EXPECT_EQ("(unknown)", as(unknown)) << unknown;
  // Defaults nested deeper than any real file: unknown, at once.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "${A:-";
  deep += "x" + std::string(100000, '}');
  EXPECT_EQ("(unknown)", as(deep));
  EXPECT_EQ("redis:7", as("${A:-${B:-${C:-redis:7}}}"));
}

// With a project's .env, its variables give their values; those it does
// not set are read as unset.
TEST(ImageWithVariablesTest, DotEnvValuesComeFirst) {
  // REF stands for `REF=x${NOT_IN_ENV}` in .env (ParseDotEnv).
  const Variables env = {{"DB_IMAGE", "postgres:17-alpine"},
                         {"TAG", "1.27"},
                         {"EMPTY", ""},
                         {"REF", std::string("x") + kNoValue}};
  auto as = [&](std::string_view image) {
    auto u = ImageWithVariables(image, env);
    std::string unknown;
    for (const std::string& v : u.unknown) unknown += " " + v;
    return (u.known() ? u.image + (u.any_tag ? " (any tag)" : "") +
                            (u.from_env ? " (.env)" : "")
                      : "(unknown)") +
           (unknown.empty() ? "" : " (no value:" + unknown + ")");
  };
  EXPECT_EQ("postgres:17-alpine (.env)", as("${DB_IMAGE}"));
  EXPECT_EQ("postgres:17-alpine (.env)", as("${DB_IMAGE:-postgres:16}"));
  EXPECT_EQ("nginx:1.27 (.env)", as("nginx:$TAG"));
  EXPECT_EQ("nginx:1.27-alpine (.env)", as("nginx:${TAG}${TAG:+-alpine}"));
  EXPECT_EQ("redis:7 (.env)", as("redis:${EMPTY:-7}"));  // ':' : empty is unset
  EXPECT_EQ("redis: (.env)", as("redis:${EMPTY-7}"));
  EXPECT_EQ("redis:7", as("redis:${UNSET:-7}"));
  EXPECT_EQ("redis (any tag) (.env) (no value: REF)", as("redis:${REF}"));
  EXPECT_EQ("(unknown) (no value: OTHER)", as("${OTHER}"));
  EXPECT_EQ("(unknown) (no value: REGISTRY V)",
            as("${REGISTRY}/app:${V}-${REGISTRY}"));
  EXPECT_EQ("(unknown) (no value: REF)", as("${REF}/postgres"));
}

TEST(ImageFactsTest, ParseRejectsUnknownKeysWithTheirPlace) {
  auto f = ImageFacts::Parse(
      "images:\n  - name: x\n    source: s\n    usr: \"1:1\"\n", "images.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ("images.yaml:4:5: error: unknown key \"usr\" in an image entry",
            FormatDiagnostic(f.error()));
  f = ImageFacts::Parse("images:\n  - name: x\n", "images.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ("images.yaml:2:5: error: an image entry needs a name and a source",
            FormatDiagnostic(f.error()));
  f = ImageFacts::Parse(
      "images:\n  - name: x\n    source: s\n    low_ports: [80, 8080]\n",
      "images.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ("images.yaml:4:16: error: low_ports: \"8080\" is not a port below "
            "1024",
            FormatDiagnostic(f.error()));
}

TEST(ImageFactsTest, ALookalikeIsAnImageNamedLikeAFamilyItIsNot) {
  const ImageFacts& facts = ImageFacts::Shipped();
  auto name = [&](const char* image) {
    auto f = facts.Lookalike(image);
    return f ? f->name : std::string("-");
  };
  EXPECT_EQ("postgres", name("ghcr.io/immich-app/postgres:14"));
  EXPECT_EQ("postgres", name("supabase/postgres"));
  EXPECT_EQ("redis", name("example.com:5000/team/redis@sha256:abc"));
  EXPECT_EQ("-", name("postgres:17"));             // the image itself
  EXPECT_EQ("-", name("library/postgres"));        // so is this
  EXPECT_EQ("-", name("grafana/grafana"));         // a match with a '/'
  EXPECT_EQ("-", name("bitnami/postgresql"));      // a namespace it knows
  EXPECT_EQ("-", name("example/postgres-exporter"));
  EXPECT_EQ("70:70", *facts.Lookalike("example/postgres:16-alpine")->user);
}

TEST(ImageFactsTest, AWarningSaysWhenItHolds) {
  auto f = ImageFacts::Parse(
      "images:\n  - name: x\n    match: [x]\n    source: s\n"
      "    warnings:\n      - always\n      - as_user: u\n"
      "      - as_root: r\n      - read_only: ro\n",
      "images.yaml");
  ASSERT_TRUE(f.ok()) << FormatDiagnostic(f.error());
  using When = ImageWarning::When;
  std::vector<std::pair<When, std::string>> got;
  const std::optional<ImageFact> x = f->Find("x");
  ASSERT_TRUE(x);
  for (const ImageWarning& w : x->warnings)
    got.emplace_back(w.when, w.text);
  EXPECT_THAT(got, ElementsAre(Pair(When::kAlways, "always"),
                               Pair(When::kAsUser, "u"),
                               Pair(When::kAsRoot, "r"),
                               Pair(When::kReadOnly, "ro")));
  f = ImageFacts::Parse(
      "images:\n  - name: x\n    source: s\n    warnings:\n"
      "      - as_admin: a\n",
      "images.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ("images.yaml:5:9: error: unknown warning condition \"as_admin\" "
            "(as_user, as_root, read_only)",
            FormatDiagnostic(f.error()));
  f = ImageFacts::Parse(
      "images:\n  - name: x\n    source: s\n    warnings:\n"
      "      - {as_user: a, as_root: b}\n",
      "images.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ("images.yaml:5:9: error: a warning is a string, or one of "
            "as_user, as_root, read_only with a string",
            FormatDiagnostic(f.error()));
}

}  // namespace
}  // namespace harden
