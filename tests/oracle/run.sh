#!/usr/bin/env bash
# Runs the oracle (built by build.sh) on every input it has: the fetched real modules, the kbuild
# test modules when another test built them, the fuzz corpora, the sample livepatch module, the
# oracle's own regression inputs, and the mutations of a few of them.
#
# Usage: run.sh checks|copy|relocs CACHE_DIR ORACLE_DIR BUILD_DIR
#   checks: klpelf_setup_load_info() against the kernel's checks; copy: copy_module_elf() and
#   free_module_elf() on what both accept; relocs: livepatch relocations applied and cleared, on
#   the livepatch modules among the test modules and on generated relocation tables
#   (ORACLE_RELOC_TABLES, 12,000 by default). ORACLE_DIR holds the oracle binary (and gets the log of
#   every verdict); BUILD_DIR is the CMake build directory (kbuild modules, sample module).
# Without the fetched cache or the binary it prints "skipped: <why>" and exits 0.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=${1:?usage: run.sh checks|copy|relocs CACHE_DIR ORACLE_DIR BUILD_DIR}
cache=${2:?}
dir=${3:?}
build=${4:?}

[ -f "$cache/fetch.done" ] || { echo "skipped: nothing fetched (see oracle_fetch)"; exit 0; }
[ -x "$dir/oracle" ] || { echo "skipped: the oracle was not built (see oracle_build)"; exit 0; }

start=$(date +%s)
if [ "$mode" = relocs ]; then
  # Debian's modules hold no livepatch: the test modules that do, and the generated tables.
  args=(--relocs "${ORACLE_RELOC_TABLES:-12000}" --log "$dir/verdicts-relocs.tsv"
        --known "$here/known-differences.txt")
  for modules in "$build/inspect-tests/kbuild" "$build/inspect-tests/kbuild-relocs"; do
    [ -d "$modules" ] && args+=(--kbuild "$modules")
  done
  for object in "$build/tools/sample_livepatch.o" "$build/c_tests/fixtures/klp_relocs.o" \
                "$build/c_tests/fixtures/livepatch.o"; do
    [ -f "$object" ] && args+=(--extra "$object")
  done
  "$dir/oracle" "${args[@]}"
  echo "oracle relocs: $(($(date +%s) - start)) s; every verdict in $dir/verdicts-relocs.tsv"
  exit 0
fi

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

"$dir/oracle" "${args[@]}" --flips "${ORACLE_FLIPS:-1000}"
echo "oracle $mode: $(($(date +%s) - start)) s; every verdict in $dir/verdicts-$mode.tsv"
