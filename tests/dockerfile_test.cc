#include "harden/dockerfile.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace harden {
namespace {

TEST(DockerfileTest, TheLastStageItsImageAndItsUser) {
  DockerfileFacts f = ReadDockerfile(
      "# syntax=docker/dockerfile:1\n"
      "FROM node:22 AS build\n"
      "RUN npm ci\n"
      "\n"
      "FROM nginx:1.27-alpine\n"
      "COPY --from=build /app/dist /usr/share/nginx/html\n",
      {});
  EXPECT_TRUE(f.found);
  EXPECT_EQ("nginx:1.27-alpine", f.base);
  EXPECT_EQ(5, f.base_line);
  EXPECT_EQ("", f.user);
}

TEST(DockerfileTest, AStageBuiltOnAnotherHasItsImageAndUser) {
  const char* text =
      "FROM python:3.12-slim AS base\n"
      "RUN useradd -u 10001 app\n"
      "USER app\n"
      "FROM base AS dev\n"
      "USER root\n"
      "from BASE as final\n"
      "CMD [\"python\", \"-m\", \"app\"]\n";
  DockerfileFacts f = ReadDockerfile(text, {});
  EXPECT_EQ("python:3.12-slim", f.base);
  EXPECT_EQ(1, f.base_line);
  EXPECT_EQ("app", f.user);
  EXPECT_EQ(3, f.user_line);
  // The build's target picks the stage.
  f = ReadDockerfile(text, {}, "dev");
  EXPECT_EQ("python:3.12-slim", f.base);
  EXPECT_EQ("root", f.user);
  EXPECT_EQ(5, f.user_line);
  EXPECT_FALSE(ReadDockerfile(text, {}, "missing").found);
}

TEST(DockerfileTest, ArgsFillTheImageAndEnvTheUser) {
  const char* text =
      "ARG NODE_VERSION=20\n"
      "ARG REGISTRY\n"
      "FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-alpine\n"
      "ENV APP_USER=node\n"
      "USER ${APP_USER}:${APP_GROUP:-node}\n";
  DockerfileFacts f = ReadDockerfile(text, {});
  EXPECT_EQ("node:20-alpine", f.base);
  EXPECT_EQ("node:node", f.user);
  f = ReadDockerfile(text, {{"NODE_VERSION", "22"}});
  EXPECT_EQ("node:22-alpine", f.base);
  // A variable with no value: the image is unknown; the user as written.
  f = ReadDockerfile("ARG REGISTRY\nFROM ${REGISTRY}/app\nUSER $UID\n", {});
  EXPECT_TRUE(f.found);
  EXPECT_EQ("", f.base);
  EXPECT_EQ("$UID", f.user);
  f = ReadDockerfile("ARG REGISTRY\nFROM ${REGISTRY}/app\n",
                     {{"REGISTRY", "ghcr.io/acme"}});
  EXPECT_EQ("ghcr.io/acme/app", f.base);
  // An ARG declared again in a stage takes the global value.
  f = ReadDockerfile("ARG UID=1001\nFROM alpine\nARG UID\nUSER ${UID}\n", {});
  EXPECT_EQ("1001", f.user);
  f = ReadDockerfile("ARG UID=1001\nFROM alpine\nUSER ${UID:-app}\n", {});
  EXPECT_EQ("app", f.user);  // not declared in the stage: unset there
}

TEST(DockerfileTest, ContinuationsCommentsHeredocsAndTheEscapeDirective) {
  DockerfileFacts f = ReadDockerfile(
      "FROM debian:12 \\\n"
      "  # a comment inside\n"
      "  AS app\n"
      "RUN <<EOF\n"
      "USER nobody\n"
      "FROM evil\n"
      "EOF\n"
      "COPY <<-\"END\" /etc/x\n"
      "\tUSER nobody\n"
      "\tEND\n"
      "# USER commented\n"
      "USER 1000:1000\r\n",
      {});
  EXPECT_EQ("debian:12", f.base);
  EXPECT_EQ("1000:1000", f.user);
  EXPECT_EQ(12, f.user_line);
  f = ReadDockerfile(
      "# escape=`\n"
      "FROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n"
      "  AS win\n"
      "USER ContainerUser\n",
      {});
  EXPECT_EQ("mcr.microsoft.com/windows/servercore:ltsc2022", f.base);
  EXPECT_EQ("ContainerUser", f.user);
}

TEST(DockerfileTest, TextWithoutAFromSaysNothing) {
  EXPECT_FALSE(ReadDockerfile("", {}).found);
  EXPECT_FALSE(ReadDockerfile("services:\n  web:\n    image: nginx\n", {}).found);
  EXPECT_FALSE(ReadDockerfile("FROM\n", {}).found);
  DockerfileFacts scratch = ReadDockerfile("FROM scratch\nCOPY app /\n", {});
  EXPECT_EQ("scratch", scratch.base);
}

// As BuildKit scopes them: a stage built on another has its ENV, not its
// ARGs; an ENV wins over an ARG of the same name, build arg or not.
TEST(DockerfileTest, AStageInheritsEnvButNotArgs) {
  const char* text =
      "FROM alpine AS base\n"
      "ARG U=argu\n"
      "ENV E=${U}-env\n"
      "FROM base\n"
      "USER ${U:-none}:${E}\n";
  DockerfileFacts f = ReadDockerfile(text, {});
  EXPECT_EQ("none:argu-env", f.user);
  EXPECT_EQ("alpine", f.base);
  f = ReadDockerfile("FROM alpine\nENV U=app\nARG U\nUSER $U\n",
                     {{"U", "root"}});
  EXPECT_EQ("app", f.user);
  // Only what comes before USER counts.
  f = ReadDockerfile("FROM alpine\nENV U=app\nUSER $U\nENV U=root\n", {});
  EXPECT_EQ("app", f.user);
}

// A chain of many stages, each built on the one before, is followed to its
// image at a cost linear in the file (no copy of every stage's variables).
TEST(DockerfileTest, ALongChainOfStagesEndsAtItsImage) {
  std::string text = "FROM debian:12 AS s0\n";
  for (int i = 1; i <= 20000; ++i)
    text += "FROM s" + std::to_string(i - 1) + " AS s" + std::to_string(i) +
            "\nENV V" + std::to_string(i) + "=x\n";
  text += "USER ${V20000}${V1}\n";
  DockerfileFacts f = ReadDockerfile(text, {});
  EXPECT_EQ("debian:12", f.base);
  EXPECT_EQ("xx", f.user);
  EXPECT_EQ("debian:12", ReadDockerfile(text, {}, "s7").base);
}

// A byte order mark and CRLF line ends, as an editor on Windows saves.
TEST(DockerfileTest, AByteOrderMarkAndCrlfLineEndsAreRead) {
  DockerfileFacts f = ReadDockerfile("\xEF\xBB\xBF" "FROM alpine:3.20\r\nUSER app\r\n", {});
  EXPECT_EQ("alpine:3.20", f.base);
  EXPECT_EQ("app", f.user);
  f = ReadDockerfile("\xEF\xBB\xBF# escape=`\r\nFROM alpine:3.20 `\r\n"
                     "  AS base\r\nFROM base\r\n",
                     {});
  EXPECT_EQ("alpine:3.20", f.base);
}

// gosu or su-exec, installed, copied or run in the stage built or those it
// starts from, means an entrypoint that starts as root.
TEST(DockerfileTest, AToolThatDropsRootIsFound) {
  const char* text =
      "FROM golang:1.22 AS tools\n"
      "RUN go install github.com/tianon/gosu@latest\n"
      "FROM debian:12 AS base\n"
      "RUN apt-get update \\\n"
      "  && apt-get install -y su-exec\n"
      "FROM base\n"
      "COPY --from=tools /go/bin/gosu /usr/local/bin/gosu\n"
      "ENTRYPOINT [\"docker-entrypoint.sh\"]\n";
  DockerfileFacts f = ReadDockerfile(text, {});
  EXPECT_EQ("gosu", f.drops_root);  // the stage built first
  EXPECT_EQ(7, f.drops_root_line);
  f = ReadDockerfile(text, {}, "base");
  EXPECT_EQ("su-exec", f.drops_root);
  EXPECT_EQ(4, f.drops_root_line);  // where the instruction starts
  // Only in a stage it does not start from, or not as a word: none.
  EXPECT_EQ("", ReadDockerfile("FROM golang AS tools\nRUN go get gosu\n"
                               "FROM alpine\nCOPY --from=tools /x /x\n",
                               {})
                    .drops_root);
  EXPECT_EQ("", ReadDockerfile("FROM alpine\nRUN apk add gosuper\n", {})
                    .drops_root);
  // A heredoc's body is the instruction's.
  f = ReadDockerfile("FROM debian\nRUN <<EOF\nset -e\napt-get install -y gosu\n"
                     "EOF\n",
                     {});
  EXPECT_EQ("gosu", f.drops_root);
  EXPECT_EQ(2, f.drops_root_line);
}

// The files of the context the image runs: copied in by the stage, or by
// one it starts from, to where its ENTRYPOINT or CMD names them.
TEST(DockerfileTest, TheScriptsItRunsAreFound) {
  using Scripts = std::vector<std::string>;
  auto scripts = [](const char* text) {
    return ReadDockerfile(text, {}).scripts;
  };
  // By name, on the PATH.
  EXPECT_EQ(Scripts{"docker/docker-entrypoint.sh"},
            scripts("FROM debian:12\n"
                    "COPY --chmod=755 docker/docker-entrypoint.sh "
                    "/usr/local/bin/\n"
                    "ENTRYPOINT [\"docker-entrypoint.sh\"]\n"));
  // By path, in a folder copied whole, through tini.
  EXPECT_EQ(Scripts{"bin/start.sh"},
            scripts("FROM debian:12 AS base\nCOPY . /app/\n"
                    "FROM base\n"
                    "ENTRYPOINT [\"/usr/bin/tini\", \"--\", "
                    "\"/app/bin/start.sh\"]\n"));
  // Renamed on the way, in the exec form of COPY; the shell form of CMD.
  EXPECT_EQ(Scripts{"scripts/run.sh"},
            scripts("FROM alpine\nCOPY [\"scripts/run.sh\", \"/run\"]\n"
                    "CMD /run --port 80\n"));
  // Relative to WORKDIR, from a copy of the context.
  EXPECT_EQ(Scripts{"start.sh"},
            scripts("FROM node:22\nWORKDIR /srv\nCOPY . .\n"
                    "CMD [\"./start.sh\"]\n"));
  // Into WORKDIR (relative to the one before, kept by a stage built on
  // that one), and into the root of the image.
  EXPECT_EQ(Scripts{"docker/run.sh"},
            scripts("FROM node:22 AS base\nWORKDIR /srv\nWORKDIR app\n"
                    "FROM base\nCOPY docker/ ./bin/\n"
                    "ENTRYPOINT [\"/srv/app/bin/run.sh\"]\n"));
  EXPECT_EQ(Scripts{"rootfs/init"},
            scripts("FROM alpine\nCOPY rootfs/ /\nENTRYPOINT [\"/init\"]\n"));
  // Nothing outside the context, whatever the Dockerfile says.
  EXPECT_EQ(Scripts{},
            scripts("FROM alpine\nCOPY ../secret/run.sh /run.sh\n"
                    "COPY /etc/passwd /bin/\n"
                    "CMD [\"/run.sh\", \"passwd\"]\n"));
  // Not what another stage built, nor what the image does not run.
  EXPECT_EQ(Scripts{},
            scripts("FROM golang AS build\nCOPY entry.sh /entry.sh\n"
                    "FROM alpine\nCOPY --from=build /entry.sh /entry.sh\n"
                    "COPY other.sh /usr/local/bin/\n"
                    "ENTRYPOINT [\"/entry.sh\"]\n"));
}

TEST(DockerfileTest, AScriptThatDropsRootIsFound) {
  // "tool@line" of the first use; "" for none.
  auto use = [](std::string_view script) {
    auto u = DropsRootIn(script);
    return u ? u->tool + "@" + std::to_string(u->line) : "";
  };
  EXPECT_EQ("gosu@5", use("#!/bin/sh\n"
                          "# runs as root first, then gosu drops to app\n"
                          "set -e\n"
                          "if [ \"$(id -u)\" = 0 ]; then\n"
                          "  exec gosu app \"$0\" \"$@\"\n"
                          "fi\n"));
  EXPECT_EQ("su-exec@2", use("#!/bin/sh\r\nexec su-exec app:app \"$@\"\r\n"));
  EXPECT_EQ("", use("#!/bin/sh\n# no gosu here\nexec \"$@\"\n"));
  // setpriv and chroot change user only with the option that says so.
  EXPECT_EQ("setpriv@2",
            use("setpriv --nnp true\n"
                "exec setpriv --reuid=app --regid=app --init-groups \"$@\"\n"));
  EXPECT_EQ("chroot --userspec@2",
            use("chroot /jail true\nexec chroot --userspec=app:app / app\n"));
  EXPECT_EQ("", use("apk add setpriv\n"));
  // A program, not a script.
  EXPECT_EQ("", use(std::string("\x7f" "ELF\x02\x01", 6) + "gosu"));
}

}  // namespace
}  // namespace harden

