#!/usr/bin/env bash
# The whole benchmark, one command, from the project root or anywhere:
#
#   bench/run.sh            # about 8 minutes on a 2-core machine
#
# Builds harden Release with -DHARDEN_BENCH=ON into build-bench/, generates the
# corpora into bench/out/gen/ (kept while bench/gen_corpus.py is unchanged),
# installs the npm peers into bench/out/node/ (once; skipped when npm or the
# registry is not there), then runs bench/measure.py, which prints the results
# table and every target as MET / NOT MET and writes bench/out/results.md and
# bench/out/results.json. Environment:
#   BENCH_REPS=N      runs per measurement, the median is reported (default 3)
#   BENCH_WRITE_REPS=N  runs of --write on (b) (default: BENCH_REPS)
#   BENCH_PEERS=0     skip the npm peers
#   BENCH_CALLGRIND=0 skip the instruction counts (valgrind)
#   BENCH_BUILD_DIR   build directory (default build-bench)
#   HARDEN_CORPUS     corpus (a) (default ../shared/corpus)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-bench}
out=$here/out
corpus=${HARDEN_CORPUS:-$root/../shared/corpus}
mkdir -p "$out"

echo "== build (Release, HARDEN_BENCH=ON) into $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHARDEN_BENCH=ON \
  -DHARDEN_TESTS=OFF $(command -v ninja >/dev/null && echo -G Ninja) >"$out/cmake.log" 2>&1 \
  || { cat "$out/cmake.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" >"$out/build.log" 2>&1 \
  || { tail -50 "$out/build.log"; exit 1; }

echo "== generate corpora (b), (c), (d) into bench/out/gen"
gen=$out/gen
stamp=$(sha256sum "$here/gen_corpus.py" | cut -c1-16)
if [[ ! -f $gen/.stamp || $(cat "$gen/.stamp") != "$stamp" ]]; then
  rm -rf "$gen"
  python3 "$here/gen_corpus.py" "$gen"
  echo "$stamp" >"$gen/.stamp"
fi

if [[ ${BENCH_PEERS:-1} != 0 ]]; then
  node_dir=$out/node
  if [[ ! -x $node_dir/node_modules/.bin/dclint || ! -d $node_dir/node_modules/yaml ]]; then
    echo "== npm peers into $node_dir"
    mkdir -p "$node_dir"
    [[ -f $node_dir/package.json ]] || echo '{"private": true}' >"$node_dir/package.json"
    if command -v npm >/dev/null; then
      (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error yaml@2 dclint@3 \
        >"$out/npm.log" 2>&1) || echo "   npm install failed (see $out/npm.log): peers not available"
    else
      echo "   npm not found: peers not available"
    fi
  fi
fi

exec python3 "$here/measure.py" --root "$root" --build "$build" --out "$out" \
  --corpus "$corpus" --reps "${BENCH_REPS:-3}" --write-reps "${BENCH_WRITE_REPS:-${BENCH_REPS:-3}}" \
  $([[ ${BENCH_PEERS:-1} == 0 ]] && echo --no-peers)
