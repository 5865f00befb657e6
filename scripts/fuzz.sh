#!/usr/bin/env bash
# Builds the libFuzzer target with clang (ASan + UBSan) in build-fuzz/ and
# runs it for SECONDS (default 60), seeded from testdata/, ../shared/corpus
# and tests/fuzz/regressions/. Exits non-zero when an input breaks a property;
# the input is then in build-fuzz/artifacts/. Extra arguments go to libFuzzer
# (e.g. -jobs=4 -workers=4). Inputs the verifier refuses with "internal error"
# (a planner bug, caught before anything is written) are saved to
# build-fuzz/internal/ and listed, but fail the run only with
# HARDEN_FUZZ_STRICT=1. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
build="${HARDEN_FUZZ_BUILD:-build-fuzz}"

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
# HARDEN_FUZZ_TESTS=ON builds the whole test suite in the same tree and runs
# it first: under the fuzzer's ASan + UBSan, so one sanitized build serves
# both (scripts/test.sh does this).
tests="${HARDEN_FUZZ_TESTS:-OFF}"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHARDEN_FUZZ=ON -DHARDEN_TESTS="$tests" \
  >/dev/null
if [[ $tests == ON ]]; then
  cmake --build "$build"
  ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
else
  cmake --build "$build" --target harden_fuzzer harden_fuzz_replay
fi

# The fixed crashes first: they must pass before any new fuzzing.
"$build/tests/fuzz/harden_fuzz_replay" tests/fuzz/regressions

# The working corpus lives in the build tree (never committed); seeds are
# copied in on every run, and what libFuzzer finds stays for the next run.
corpus="${HARDEN_FUZZ_CORPUS:-$build/corpus}"
artifacts="$build/artifacts"
export HARDEN_FUZZ_INTERNAL_DIR="$build/internal"
rm -rf "$HARDEN_FUZZ_INTERNAL_DIR"
mkdir -p "$corpus" "$artifacts" "$HARDEN_FUZZ_INTERNAL_DIR"
seed() {
  local src="$1" f
  [[ -d "$src" ]] || return 0
  while IFS= read -r -d '' f; do
    cp -f "$f" "$corpus/seed-$(printf '%s' "$f" | md5sum | cut -c1-16)"
  done < <(find "$src" -type f \( -name '*.yaml' -o -name '*.yml' \
             -o -path '*/regressions/*' -o -path '*/bad/*' \) -print0)
}
seed testdata
seed ../shared/corpus
seed tests/fuzz/regressions

log="$build/fuzz.log"
echo "fuzz.sh: fuzzing for ${seconds}s; corpus $corpus ($(ls "$corpus" | wc -l) inputs), log $log"
status=0
"$build/tests/fuzz/harden_fuzzer" "$corpus" \
  -dict=tests/fuzz/yaml.dict -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$@" 2>"$log" || status=$?
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|stat::new_units_added)' "$log" || true
tail -n 3 "$log" | grep -E 'Done|cov:' || true
internal=$(find "$HARDEN_FUZZ_INTERNAL_DIR" -name '*.txt' | wc -l)
if ((internal > 0)); then
  echo "fuzz.sh: $internal kind(s) of input refused with \"internal error\" (planner bugs, nothing written):"
  for t in "$HARDEN_FUZZ_INTERNAL_DIR"/*.txt; do echo "  ${t%.txt}.yaml: $(head -c 200 "$t")"; done
fi
if ((status != 0)); then
  grep -B2 -A30 -E 'ERROR|property broken|deadly signal|timeout' "$log" | head -60 >&2 || true
  echo "fuzz.sh: FAILED; the input is in $artifacts/. Once fixed, add it to tests/fuzz/regressions/." >&2
  exit 1
fi
echo "fuzz.sh: no property broken"
