// ExtendedFiles: the files that `extends: {file: F}` names, resolved service
// by service, each read once, with paths relative to the file that names
// them. The reader here serves texts from memory and counts its reads.
#include "harden/harden.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace harden {
namespace {

class ExtendedFilesTest : public ::testing::Test {
 protected:
  ExtendedFiles::ReadText Reader() {
    return [this](const std::string& path) -> Expected<ExtendedFiles::Text> {
      ++reads_[path];
      auto it = texts_.find(path);
      if (it == texts_.end())
        return Diagnostic{path, 0, 0,
                          "cannot read file: No such file or directory"};
      return ExtendedFiles::Text{path, it->second};
    };
  }

  std::map<std::string, std::string> texts_;  // path -> text
  std::map<std::string, int> reads_;
};

TEST_F(ExtendedFilesTest, ReadsEachFileOnce) {
  texts_["stack/common.yml"] =
      "services:\n  base:\n    user: root\n  app:\n    extends: base\n";
  ExtendedFiles files("stack", Reader());
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

TEST_F(ExtendedFilesTest, PathsAreRelativeToTheFileThatNamesThem) {
  texts_["stack/shared/app.yml"] =
      "services:\n  app:\n    extends: {file: ../base/db.yml, service: db}\n";
  texts_["stack/shared/../base/db.yml"] =
      "services:\n  db:\n    volumes:\n      - data:/tmp\n";
  ExtendedFiles files("stack", Reader());
  auto app = files.Reader()("shared/app.yml", "app");
  ASSERT_TRUE(app) << app.error().message;
  ASSERT_EQ(1u, app->volume_targets.size());
  EXPECT_EQ("/tmp", app->volume_targets[0].value);
  EXPECT_FALSE(app->extends_file) << app->extends_file->value;
}

TEST_F(ExtendedFilesTest, SaysWhyAServiceCannotBeRead) {
  texts_["./a.yml"] =
      "services:\n"
      "  lost:\n    extends: {file: none.yml, service: x}\n"
      "  loop:\n    extends: {file: b.yml, service: back}\n";
  texts_["./b.yml"] =
      "services:\n  back:\n    extends: {file: a.yml, service: loop}\n";
  ExtendedFiles files(".", Reader());
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

}  // namespace
}  // namespace harden
