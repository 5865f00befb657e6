#include "harden/dotenv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace harden {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(DotEnvTest, ReadsWhatDockerComposeReads) {
  Variables v = ParseDotEnv(
      "\xEF\xBB\xBF# images\n"
      "POSTGRES_IMAGE=postgres:17.6\r\n"
      "export REDIS_IMAGE = redis:7.4-alpine  # pinned\n"
      "\n"
      "SINGLE='nginx:${NOT_EXPANDED} # kept'\n"
      "DOUBLE=\"a\\\"b\\\\c\" # comment\n"
      "HASH=a#b\n"
      "EMPTY=\n"
      "TAG=1\n"
      "TAG=2\n");
  EXPECT_THAT(v, ElementsAre(Pair("DOUBLE", "a\"b\\c"), Pair("EMPTY", ""),
                             Pair("HASH", "a#b"),
                             Pair("POSTGRES_IMAGE", "postgres:17.6"),
                             Pair("REDIS_IMAGE", "redis:7.4-alpine"),
                             Pair("SINGLE", "nginx:${NOT_EXPANDED} # kept"),
                             Pair("TAG", "2")));
}

// docker compose fills `${VAR}` in a .env value from the lines before it
// (and its own environment, which harden does not read): a variable the
// file does not set has no value here.
TEST(DotEnvTest, SubstitutesTheVariablesOfEarlierLines) {
  Variables v = ParseDotEnv(
      "REGISTRY=ghcr.io/acme\n"
      "PG_TAG=17.6-alpine\n"
      "DB_IMAGE=postgres:${PG_TAG}\n"
      "APP_IMAGE=\"${REGISTRY}/app:${APP_TAG:-1.2}\"\n"
      "LITERAL='${PG_TAG}'\n"
      "ESCAPED=a$$b\n"
      "LATER=${DEFINED_BELOW}\n"
      "DEFINED_BELOW=x\n"
      "CACHE_IMAGE=redis:${REDIS_TAG}\n");
  const std::string none(1, kNoValue);
  EXPECT_THAT(v, ElementsAre(Pair("APP_IMAGE", "ghcr.io/acme/app:1.2"),
                             Pair("CACHE_IMAGE", "redis:" + none),
                             Pair("DB_IMAGE", "postgres:17.6-alpine"),
                             Pair("DEFINED_BELOW", "x"),
                             Pair("ESCAPED", "a$b"),
                             Pair("LATER", none),
                             Pair("LITERAL", "${PG_TAG}"),
                             Pair("PG_TAG", "17.6-alpine"),
                             Pair("REGISTRY", "ghcr.io/acme")));
}

// Each line twice the one before: sixty lines would ask for 2^60 bytes.
// A value stops growing at 64 KiB, and the rest has no value.
TEST(DotEnvTest, AValueThatWouldOutgrowMemoryHasNone) {
  std::string env = "V0=xxxxxxxx\n";
  for (int i = 1; i <= 60; ++i)
    env += "V" + std::to_string(i) + "=${V" + std::to_string(i - 1) + "}${V" +
           std::to_string(i - 1) + "}\n";
  Variables v = ParseDotEnv(env);
  EXPECT_EQ(std::string(16, 'x'), v.at("V1"));
  EXPECT_EQ(std::string(65536, 'x'), v.at("V13"));
  EXPECT_EQ(std::string(65536, 'x') + kNoValue, v.at("V14"));
  EXPECT_LE(v.at("V60").size(), 65537u);
}

TEST(DotEnvTest, LeavesOutLinesItCannotRead) {
  Variables v = ParseDotEnv(
      "NO_EQUALS\n"
      "1BAD=x\n"
      "OPEN=\"over\n"
      "lines\"\n"
      "TRAILING='x' y\n"
      "GOOD=yes");
  EXPECT_THAT(v, ElementsAre(Pair("GOOD", "yes")));
}

}  // namespace
}  // namespace harden
