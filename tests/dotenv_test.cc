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
