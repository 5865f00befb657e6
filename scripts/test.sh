#!/usr/bin/env bash
# Installs what the tests need, builds harden, and runs every test: the unit,
# golden, CLI and corpus tests (ctest), then the same suite under ASan+UBSan
# (clang, in the fuzzer's build), then the fuzzer for 60 seconds. CI runs
# exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh --test
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [[ "${HARDEN_QUICK:-}" != 1 ]]; then
  # The whole suite again under ASan + UBSan, then 60 s of fuzzing: one
  # clang build serves both (scripts/fuzz.sh), which keeps CI well under
  # 15 minutes on 2 cores.
  HARDEN_FUZZ_TESTS=ON scripts/fuzz.sh 60
fi
