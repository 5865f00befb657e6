// OtherFiles: the files that `extends: {file: F}` and `include` name,
// resolved service by service, each read once, with paths relative to the
// file that names them. The reader here serves texts from memory and counts
// its reads. Then HardenText on what a service mounts through volumes_from
// that harden cannot see.
#include "harden/harden.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

namespace harden {
namespace {

class OtherFilesTest : public ::testing::Test {
 protected:
  OtherFiles::ReadText Reader() {
    return [this](const std::string& path) -> Expected<OtherFiles::Text> {
      ++reads_[path];
      auto it = texts_.find(path);
      if (it == texts_.end())
        return Diagnostic{path, 0, 0,
                          "cannot read file: No such file or directory"};
      return OtherFiles::Text{path, it->second};
    };
  }

  std::map<std::string, std::string> texts_;  // path -> text
  std::map<std::string, int> reads_;
};

TEST_F(OtherFilesTest, ReadsEachFileOnce) {
  texts_["stack/common.yml"] =
      "services:\n  base:\n    user: root\n  app:\n    extends: base\n";
  OtherFiles files("stack", Reader());
  const ExtendsReader read = files.Reader();
  auto app = read("common.yml", "app");
  ASSERT_TRUE(app) << app.error().message;
  ASSERT_TRUE(app->user);
  EXPECT_EQ("root", app->user->value);
  EXPECT_EQ(0, app->user->line) << "a line of another file means nothing here";
  EXPECT_TRUE(read("common.yml", "base"));
  EXPECT_TRUE(read("common.yml", "app"));
  EXPECT_EQ((std::map<std::string, int>{{"stack/common.yml", 1}}), reads_);
}

// A service of another file is built from its context there, read only
// when something extends it.
TEST_F(OtherFilesTest, ReadsTheDockerfilesOfTheServicesExtended) {
  texts_["stack/lib/base.yml"] =
      "services:\n  web:\n    build: web\n  job:\n    build: job\n";
  texts_["stack/lib/web/Dockerfile"] = "FROM nginx:1.27\nUSER 101\n";
  texts_["stack/lib/job/Dockerfile"] = "FROM alpine\n";
  OtherFiles files("stack", Reader());
  auto web = files.Reader()("lib/base.yml", "web");
  ASSERT_TRUE(web) << web.error().message;
  ASSERT_TRUE(web->built);
  EXPECT_EQ("101", web->built->user);
  EXPECT_EQ("lib/web/Dockerfile", web->built_path);
  EXPECT_FALSE(web->build) << "its context is not the Compose file's";
  EXPECT_TRUE(files.Reader()("lib/base.yml", "web"));
  EXPECT_EQ((std::map<std::string, int>{{"stack/.env", 1},
                                        {"stack/lib/base.yml", 1},
                                        {"stack/lib/web/Dockerfile", 1}}),
            reads_);
}

TEST_F(OtherFilesTest, PathsAreRelativeToTheFileThatNamesThem) {
  texts_["stack/shared/app.yml"] =
      "services:\n  app:\n    extends: {file: ../base/db.yml, service: db}\n";
  texts_["stack/shared/../base/db.yml"] =
      "services:\n  db:\n    volumes:\n      - data:/tmp\n";
  OtherFiles files("stack", Reader());
  auto app = files.Reader()("shared/app.yml", "app");
  ASSERT_TRUE(app) << app.error().message;
  ASSERT_EQ(1u, app->volume_targets.size());
  EXPECT_EQ("/tmp", app->volume_targets[0].value);
  EXPECT_FALSE(app->extends_file) << app->extends_file->value;
}

TEST_F(OtherFilesTest, SaysWhyAServiceCannotBeRead) {
  texts_["./a.yml"] =
      "services:\n"
      "  lost:\n    extends: {file: none.yml, service: x}\n"
      "  loop:\n    extends: {file: b.yml, service: back}\n";
  texts_["./b.yml"] =
      "services:\n  back:\n    extends: {file: a.yml, service: loop}\n";
  OtherFiles files(".", Reader());
  const ExtendsReader read = files.Reader();

  auto missing = read("a.yml", "nobody");
  ASSERT_FALSE(missing);
  EXPECT_EQ("no service \"nobody\" there", missing.error().message);

  // A file further down that cannot be read is advice on the service,
  // naming the way there.
  auto lost = read("a.yml", "lost");
  ASSERT_TRUE(lost);
  ASSERT_TRUE(lost->extends_file);
  EXPECT_EQ("service \"x\" of none.yml (cannot read file: No such file or "
            "directory)",
            lost->extends_file->value);

  // Two files that extend each other's services in a cycle.
  auto loop = read("a.yml", "loop");
  ASSERT_TRUE(loop);
  ASSERT_TRUE(loop->extends_file);
  EXPECT_EQ("service \"back\" of b.yml, which extends service \"loop\" of "
            "a.yml (a.yml:4:3: service \"loop\" is part of a cycle of "
            "extends)",
            loop->extends_file->value);
}

// The files `include` adds, at any depth, each path relative to the folder
// its includer's relative paths start from; each file read once.
TEST_F(OtherFilesTest, IncludedServicesAtAnyDepth) {
  texts_["stack/lib/db.yml"] =
      "include: [../common/base.yml, again.yml, gone.yml]\n"
      "services:\n  db:\n    volumes: [data:/tmp]\n  dup:\n    image: a\n";
  texts_["stack/lib/../common/base.yml"] =
      "services:\n  base:\n    image: b\n  loop:\n    extends: base\n"
      "include: [../lib/db.yml]\n";  // back to db.yml: cut
  texts_["stack/lib/again.yml"] = "services:\n  dup:\n    image: c\n";
  texts_["stack/app/one.yml"] =
      "services:\n  app:\n    volumes_from: [db]\n  dup:\n    image: d\n";
  texts_["stack/app/two.yml"] =
      "services:\n  app:\n    volumes: [x:/var/x]\n"
      "include: [nested.yml]\n";
  texts_["stack/app/sub/nested.yml"] = "services:\n  deep:\n    image: e\n";
  OtherFiles files("stack", Reader());
  std::vector<Include> includes(2);
  includes[0].paths = {"lib/db.yml"};
  includes[1].paths = {"app/one.yml", "app/two.yml"};
  includes[1].project_directory = "app/sub";  // for nested.yml
  std::vector<std::string> got;
  for (const IncludedService& s : files.Included(includes)) {
    std::string line = s.facts.name + " in " + s.file;
    for (const Located& v : s.facts.volume_targets) line += " " + v.value;
    if (s.facts.image) line += " image " + s.facts.image->value;
    got.push_back(line);
  }
  // The first of a name wins; the files of one entry merge, in order;
  // a service is read with what it extends.
  EXPECT_THAT(got, ::testing::ElementsAre(
                       "db in lib/db.yml /tmp", "dup in lib/db.yml image a",
                       "app in app/one.yml and app/two.yml /var/x",
                       "base in lib/../common/base.yml image b",
                       "loop in lib/../common/base.yml image b",
                       "deep in app/sub/nested.yml image e"));
  for (const auto& [path, n] : reads_) EXPECT_EQ(1, n) << path;
  EXPECT_EQ(1, reads_.count("stack/lib/gone.yml")) << "tried, and left out";
}

// The findings of `id` in each service of `text`, hardened with the default
// baseline ("service: line: message").
std::vector<std::string> Advice(const std::string& text, const char* id,
                                const Partner* partner = nullptr) {
  auto r = HardenText(text, LoadBaseline("default").value(),
                      ImageFacts::Shipped(), Target::kBaseFile, partner);
  EXPECT_TRUE(r) << r.error().message;
  std::vector<std::string> out;
  if (!r) return out;
  for (const ServicePlan& p : r->plans)
    for (const Finding& f : p.findings)
      if (f.id == id)
        out.push_back(p.service + ": " + std::to_string(f.line) + ": " +
                      std::string(f.message));
  return out;
}

// A service named in volumes_from that no file harden reads defines comes
// from a file given with -f, or an include harden cannot read: harden cannot
// see its volumes, and says so where it adds a tmpfs.
TEST(SharedVolumesTest, AServiceHardenCannotFindIsAdvice) {
  EXPECT_THAT(
      Advice("services:\n"
             "  app:\n"
             "    image: example/app\n"
             "    volumes_from:\n"
             "      - data:ro\n",
             "volumes-from-unknown"),
      ::testing::ElementsAre(
          "app: 5: mounts the volumes of service \"data\" (volumes_from), "
          "which harden cannot find (it may be in a file given with -f, or "
          "an include harden cannot read): check that none of them is at "
          "/tmp, where a tmpfs is added"));
  // No tmpfs added, nothing to check.
  EXPECT_THAT(Advice("services:\n"
                     "  app:\n"
                     "    image: example/app\n"
                     "    volumes_from: [data]\n"
                     "    x-harden: {skip: [tmpfs]}\n",
                     "volumes-from-unknown"),
              ::testing::IsEmpty());
}

// What a service mounts through the services it names, at any depth: a
// service none defines, or a container, that one of them names.
TEST(SharedVolumesTest, WhatTheNamedServicesCannotSeeIsAdviceToo) {
  const std::string text =
      "services:\n"
      "  app:\n"
      "    image: example/app\n"
      "    volumes_from: [worker]\n"
      "  worker:\n"
      "    image: example/worker\n"
      "    volumes_from: [gone, \"container:legacy\", app]\n";
  EXPECT_THAT(
      Advice(text, "volumes-from-unknown"),
      ::testing::ElementsAre(
          "app: 4: mounts the volumes of service \"worker\" (volumes_from), "
          "which mounts those of service \"gone\", which harden cannot find "
          "(it may be in a file given with -f, or an include harden cannot "
          "read): check that none of them is at /tmp, where a tmpfs is added",
          "worker: 7: mounts the volumes of service \"gone\" (volumes_from), "
          "which harden cannot find (it may be in a file given with -f, or "
          "an include harden cannot read): check that none of them is at "
          "/tmp, where a tmpfs is added"));
  // The cycle app -> worker -> app, which Compose rejects, is cut.
  EXPECT_THAT(
      Advice(text, "volumes-from-container"),
      ::testing::ElementsAre(
          "app: 4: mounts the volumes of service \"worker\" (volumes_from), "
          "which mounts those of container \"legacy\", which harden cannot "
          "see: check that none of them is at /tmp, where a tmpfs is added",
          "worker: 7: mounts the volumes of container \"legacy\" "
          "(volumes_from), which harden cannot see: check that none of them "
          "is at /tmp, where a tmpfs is added"));
}

// An entry the override file writes for a service of this one counts too;
// its line is in that file, so the advice stands at the service.
TEST(SharedVolumesTest, AnEntryOfTheOverrideFileIsNamedWithItsFile) {
  auto partner = ReadPartner(
      "services:\n  app:\n    volumes_from: [\"container:cache\", extra]\n"
      "  extra:\n    image: example/extra\n    volumes_from: [elsewhere]\n",
      Partner::Role::kBase, "compose.override.yaml");
  ASSERT_TRUE(partner) << partner.error().message;
  const std::string text = "services:\n  app:\n    image: example/app\n";
  EXPECT_THAT(
      Advice(text, "volumes-from-container", &partner.value()),
      ::testing::ElementsAre(
          "app: 2: mounts the volumes of container \"cache\" (volumes_from "
          "in compose.override.yaml), which harden cannot see: check that "
          "none of them is at /tmp, where a tmpfs is added"));
  EXPECT_THAT(
      Advice(text, "volumes-from-unknown", &partner.value()),
      ::testing::ElementsAre(
          "app: 2: mounts the volumes of service \"extra\" (volumes_from in "
          "compose.override.yaml), which mounts those of service "
          "\"elsewhere\", which harden cannot find (it may be in a file "
          "given with -f, or an include harden cannot read): check that none "
          "of them is at /tmp, where a tmpfs is added"));
}

}  // namespace
}  // namespace harden
