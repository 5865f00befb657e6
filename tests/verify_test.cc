#include "harden/verify.h"

#include <gtest/gtest.h>

#include "harden/harden.h"

namespace harden {
namespace {

class VerifyTest : public ::testing::Test {
 protected:
  // Plans and records the expectation for `input` under the default baseline.
  std::optional<Diagnostic> Check(const std::string& input,
                                  const std::string& output) {
    auto doc = ParseDocument(input);
    EXPECT_TRUE(doc.ok());
    auto model = LocateServices(doc.value());
    EXPECT_TRUE(model.ok());
    Baseline b = LoadBaseline("default").value();
    std::vector<ServicePlan> plans;
    for (const ServiceNode& s : model->service_nodes)
      plans.push_back(Resolve(ReadFacts(s), b, ImageFacts::Shipped()));
    Expectation e = Expect(doc.value(), model.value(), plans);
    return VerifyOutput(e, output);
  }
  const std::string in_ =
      "x-env: &env\n  A: 1\nservices:\n  app:\n    image: example/app\n"
      "    environment: *env\n";
  const std::string good_ =
      "x-env: &env\n  A: 1\nservices:\n  app:\n    image: example/app\n"
      "    environment: *env\n    user: \"1000:1000\"\n    cap_drop: [ALL]\n"
      "    security_opt: [no-new-privileges:true]\n    read_only: true\n"
      "    tmpfs: [/tmp]\n";
};

TEST_F(VerifyTest, AcceptsTheInputPlusThePlannedChanges) {
  EXPECT_FALSE(Check(in_, good_));
}

TEST_F(VerifyTest, RejectsAChangedForeignKey) {
  std::string bad = good_;
  bad.replace(bad.find("example/app"), 11, "example/other");
  auto err = Check(in_, bad);
  ASSERT_TRUE(err);
  EXPECT_EQ("internal error: the hardened text is not what was planned "
            "(service \"app\" key \"image\" changed); nothing was written",
            err->message);
}

TEST_F(VerifyTest, RejectsAChangeOutsideServices) {
  std::string bad = good_;
  bad.replace(bad.find("A: 1"), 4, "A: 2");
  auto err = Check(in_, bad);
  ASSERT_TRUE(err);
  EXPECT_NE(std::string::npos, err->message.find("top-level key \"x-env\""));
}

TEST_F(VerifyTest, RejectsAMissingOrWrongAddition) {
  std::string bad = good_;
  bad.replace(bad.find("read_only: true"), 15, "read_only: \"true\"");
  auto err = Check(in_, bad);
  ASSERT_TRUE(err);
  EXPECT_NE(std::string::npos, err->message.find("key \"read_only\" is not"));
  bad = good_;
  bad.replace(bad.find("[ALL]"), 5, "[ALL, NET_RAW]");
  err = Check(in_, bad);
  ASSERT_TRUE(err);
  EXPECT_NE(std::string::npos, err->message.find("key \"cap_drop\" is not the planned list"));
}

TEST_F(VerifyTest, RejectsAnExtraKeyAndUnparseableText) {
  auto err = Check(in_, good_ + "    privileged: true\n");
  ASSERT_TRUE(err);
  EXPECT_NE(std::string::npos, err->message.find("has 8 keys, not 7"))
      << err->message;
  err = Check(in_, good_ + "  - oops: [\n");
  ASSERT_TRUE(err);
  EXPECT_NE(std::string::npos, err->message.find("it does not parse"));
}

TEST(FingerprintTest, AgreesWithSameTree) {
  auto a = ParseDocument("a: [1, '2', {b: c}]\n");
  auto b = ParseDocument("a:\n  - 1\n  - '2'\n  - b: c\n");
  auto c = ParseDocument("a: [1, 2, {b: c}]\n");  // 2 is plain, not quoted
  EXPECT_TRUE(SameTree(a->root(), b->root()));
  EXPECT_EQ(Fingerprint(a->root()), Fingerprint(b->root()));
  EXPECT_FALSE(SameTree(a->root(), c->root()));
  EXPECT_NE(Fingerprint(a->root()), Fingerprint(c->root()));
}

}  // namespace
}  // namespace harden
