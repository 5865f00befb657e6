#!/usr/bin/env bash
# Installs the Debian packages harden needs to build (and, with --test, to run
# every test: the schema validator and docker-compose used as judges, clang
# for the fuzzer). Safe to run again; does nothing when all are present.
set -euo pipefail
pkgs=(build-essential cmake libyaml-cpp-dev libyaml-dev libcli11-dev libdtl-dev libfmt-dev
      libgtest-dev libgmock-dev)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(libbenchmark-dev python3 python3-yaml python3-jsonschema docker-compose
         clang libclang-rt-14-dev ninja-build patch git)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
