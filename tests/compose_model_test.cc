// The model as the resolver sees it: services read through merge keys and
// aliases, and two files merged as docker compose merges them.
#include "harden/compose_model.h"

#include <algorithm>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harden/document.h"

namespace harden {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Values(const std::vector<Located>& v) {
  std::vector<std::string> out;
  for (const Located& l : v) out.push_back(l.value);
  return out;
}

// The facts of every service of `yaml`, by name.
std::map<std::string, ServiceFacts> FactsOf(const std::string& yaml) {
  auto doc = ParseDocument(yaml);
  EXPECT_TRUE(doc.ok());
  auto model = LocateServices(doc.value());
  EXPECT_TRUE(model.ok());
  std::map<std::string, ServiceFacts> out;
  for (const ServiceNode& s : model->service_nodes) out[s.name] = ReadFacts(s);
  return out;
}

TEST(MergeFactsTest, TheLaterFileWinsAppendsAndAddsUp) {
  auto base = FactsOf(R"(services:
  web:
    image: nginx
    user: "0:0"
    cap_add: [NET_ADMIN]
    tmpfs: [/tmp]
    volumes:
      - data:/var/lib/web
)")["web"];
  auto over = FactsOf(R"(services:
  web:
    image: nginx:alpine
    read_only: false
    cap_add: [SYS_TIME]
    volumes:
      - ./data:/var/lib/web
      - ./cache:/var/cache/nginx
)")["web"];
  ServiceFacts m = MergeFacts(base, over);
  EXPECT_EQ("web", m.name);
  EXPECT_EQ(2, m.line);  // the service is where the base file defines it
  ASSERT_TRUE(m.image && m.user && m.read_only);
  EXPECT_EQ("nginx:alpine", m.image->value);
  EXPECT_EQ(0, m.image->line);  // in the other file: no line here
  EXPECT_EQ("0:0", m.user->value);
  EXPECT_EQ(4, m.user->line);
  EXPECT_EQ("false", m.read_only->value);
  EXPECT_THAT(Values(m.cap_add), ElementsAre("NET_ADMIN", "SYS_TIME"));
  EXPECT_THAT(Values(m.tmpfs), ElementsAre("/tmp"));
  // Volumes are unique by target.
  EXPECT_THAT(Values(m.volume_targets),
              ElementsAre("/var/lib/web", "/var/cache/nginx"));
  EXPECT_NE(m.keys.end(), std::find(m.keys.begin(), m.keys.end(), "read_only"));
  EXPECT_NE(m.keys.end(), std::find(m.keys.begin(), m.keys.end(), "user"));
}

TEST(MergeFactsTest, XHardenOfTheLaterFileCounts) {
  auto base = FactsOf("services:\n  a:\n    x-harden: {skip: [user]}\n"
                      "  b:\n    image: redis\n")["a"];
  auto off = FactsOf("services:\n  a:\n    x-harden: false\n")["a"];
  EXPECT_TRUE(MergeFacts(base, off).opt_out);
  auto more = FactsOf("services:\n  a:\n    x-harden:\n      skip: [read_only]\n"
                      "      reason: writes to /srv\n")["a"];
  ServiceFacts m = MergeFacts(base, more);
  EXPECT_FALSE(m.opt_out);
  EXPECT_THAT(m.skip, ElementsAre("user", "read_only"));
  EXPECT_EQ("writes to /srv", m.skip_reason);
  // Without x-harden, the later file changes nothing of it.
  auto none = FactsOf("services:\n  a:\n    ports: [\"80:80\"]\n")["a"];
  EXPECT_THAT(MergeFacts(base, none).skip, ElementsAre("user"));
}

// `extends` within a file: the extender's own values win, lists add up,
// and what comes from the base keeps its line and is marked inherited.
TEST(ExtendFactsTest, OwnValuesWinAndInheritedOnesAreMarked) {
  auto facts = FactsOf(R"(services:
  app:
    image: nginx
    user: root
    read_only: false
    cap_add: [NET_ADMIN]
    volumes:
      - cache:/var/cache/nginx
      - ./conf:/etc/nginx
    x-harden: {skip: [tmpfs]}
  web:
    extends: app
    read_only: true
    cap_add: [SYS_TIME]
    volumes:
      - ./web.conf:/etc/nginx
)");
  ServiceFacts m = ExtendFacts(facts["app"], facts["web"]);
  EXPECT_EQ("web", m.name);
  EXPECT_EQ(11, m.line);
  EXPECT_EQ("service \"app\"", m.extended);
  ASSERT_TRUE(m.image && m.user && m.read_only);
  EXPECT_EQ("nginx", m.image->value);
  EXPECT_TRUE(m.image->inherited);
  EXPECT_EQ(4, m.user->line);
  EXPECT_TRUE(m.user->inherited);
  EXPECT_EQ("true", m.read_only->value);  // its own wins
  EXPECT_EQ(13, m.read_only->line);
  EXPECT_FALSE(m.read_only->inherited);
  EXPECT_THAT(Values(m.cap_add), ElementsAre("NET_ADMIN", "SYS_TIME"));
  EXPECT_TRUE(m.cap_add[0].inherited);
  EXPECT_FALSE(m.cap_add[1].inherited);
  // Its own volume replaces the base's at the same target.
  EXPECT_THAT(Values(m.volume_targets),
              ElementsAre("/var/cache/nginx", "/etc/nginx"));
  EXPECT_TRUE(m.volume_targets[0].inherited);
  EXPECT_FALSE(m.volume_targets[1].inherited);
  EXPECT_EQ(16, m.volume_targets[1].line);
  EXPECT_THAT(m.skip, ElementsAre("tmpfs"));
  EXPECT_NE(m.keys.end(), std::find(m.keys.begin(), m.keys.end(), "user"));
}

TEST(ReadFactsTest, ExtendsOfAnotherFileIsNamedWithItsLine) {
  auto f = FactsOf("services:\n  app:\n    image: x\n    extends:\n"
                   "      file: common.yaml\n      service: web\n"
                   "  near:\n    extends: app\n")["app"];
  ASSERT_TRUE(f.extends_file);
  EXPECT_EQ("service \"web\" of common.yaml", f.extends_file->value);
  EXPECT_EQ(5, f.extends_file->line);  // where the file is named
  EXPECT_FALSE(FactsOf("services:\n  a: {}\n  b:\n    extends: a\n")["b"]
                   .extends_file);
}

// `devices`: the host path of each entry, short or long syntax, on its
// own line; `group_add` as written.
TEST(ReadFactsTest, DevicesAndGroupAdd) {
  auto f = FactsOf("services:\n  app:\n    image: x\n    group_add: [video]\n"
                   "    devices:\n      - /dev/dri:/dev/dri:rwm\n"
                   "      - /dev/kfd\n"
                   "      - source: /dev/ttyUSB0\n        target: /dev/zigbee\n"
                   "      - [not, a, device]\n")["app"];
  EXPECT_THAT(Values(f.devices),
              ElementsAre("/dev/dri", "/dev/kfd", "/dev/ttyUSB0"));
  EXPECT_EQ(6, f.devices[0].line);
  EXPECT_EQ(8, f.devices[2].line);
  EXPECT_THAT(Values(f.group_add), ElementsAre("video"));
}

// `include`: short and long entries, through an anchor; what is not an
// entry docker compose reads is left out.
TEST(ReadIncludesTest, ShortAndLongEntries) {
  auto doc = ParseDocument(R"(x-lib: &lib lib/common.yaml
include:
  - db/compose.yaml
  - *lib
  - path: [app/compose.yaml, app/compose.override.yaml]
    project_directory: app
    env_file: app/.env
  - path: one.yaml
  - {project_directory: nowhere}
  - [not, an, entry]
services: {}
)");
  ASSERT_TRUE(doc.ok());
  std::vector<std::string> got;
  for (const Include& inc : ReadIncludes(doc->root())) {
    std::string line;
    for (const std::string& p : inc.paths) line += p + " ";
    got.push_back(line + "@" + inc.project_directory);
  }
  EXPECT_THAT(got, ElementsAre("db/compose.yaml @", "lib/common.yaml @",
                               "app/compose.yaml app/compose.override.yaml @app",
                               "one.yaml @"));
  auto none = ParseDocument("services: {}\ninclude: lib.yaml\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(ReadIncludes(none->root()).empty()) << "not a list";
}

}  // namespace
}  // namespace harden
