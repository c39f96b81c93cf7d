#!/usr/bin/env bash
# Runs the oracle (built by build.sh) on every input it has: the fetched real modules, the kbuild
# test modules when another test built them, the fuzz corpora, the sample livepatch module, the
# oracle's own regression inputs, and the mutations of a few of them.
#
# Usage: run.sh checks|copy CACHE_DIR ORACLE_DIR BUILD_DIR
#   checks: klpelf_setup_load_info() against the kernel's checks; copy: copy_module_elf() and
#   free_module_elf() on what both accept. ORACLE_DIR holds the oracle binary (and gets the log of
#   every verdict); BUILD_DIR is the CMake build directory (kbuild modules, sample module).
# Without the fetched cache or the binary it prints "skipped: <why>" and exits 0.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=${1:?usage: run.sh checks|copy CACHE_DIR ORACLE_DIR BUILD_DIR}
cache=${2:?}
dir=${3:?}
build=${4:?}

[ -f "$cache/fetch.done" ] || { echo "skipped: nothing fetched (see oracle_fetch)"; exit 0; }
[ -x "$dir/oracle" ] || { echo "skipped: the oracle was not built (see oracle_build)"; exit 0; }

args=(--"$mode" --log "$dir/verdicts-$mode.tsv" --known "$here/known-differences.txt"
      --min-real 2000 --min-mutated 50000)
for modules in "$cache"/modules/*/; do
  args+=(--real "${modules%/}")
done
[ -d "$build/inspect-tests/kbuild" ] && args+=(--kbuild "$build/inspect-tests/kbuild")
for corpus in "$repo/fuzz/seeds/setup_pipeline" "$repo/fuzz/regressions/setup_pipeline"; do
  [ -d "$corpus" ] && args+=(--fuzz "$corpus")
done
[ -f "$build/tools/sample_livepatch.o" ] && args+=(--extra "$build/tools/sample_livepatch.o")
# Inputs that once showed a fault of the oracle itself.
args+=(--extra "$here/regressions")

start=$(date +%s)
"$dir/oracle" "${args[@]}" --flips "${ORACLE_FLIPS:-1000}"
echo "oracle $mode: $(($(date +%s) - start)) s; every verdict in $dir/verdicts-$mode.tsv"
