#!/usr/bin/env bash
# Installs what the tests need, builds harden, and runs every test: the unit,
# golden, CLI and corpus tests (ctest), then the same suite under ASan+UBSan,
# then the fuzzer for 60 seconds. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh --test
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [[ "${HARDEN_QUICK:-}" != 1 ]]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHARDEN_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
  if [[ -x scripts/fuzz.sh ]]; then
    scripts/fuzz.sh 60
  fi
fi
