#!/usr/bin/env bash
# Builds the oracle's libFuzzer target (fuzz.c: the same comparison, in the fuzzer's process) and
# runs it from a corpus of the fuzz seeds and the smallest fetched real modules.
#
# Usage: fuzz.sh CACHE_DIR WORK_DIR LIBKLPELF_A [LIBFUZZER_FLAGS...]
#   e.g. fuzz.sh build/oracle-cache build/oracle-fuzz build/cargo/release/libklpelf.a -runs=10000000
# Findings land in WORK_DIR/artifacts/; the corpus grows in WORK_DIR/corpus/.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: fuzz.sh CACHE_DIR WORK_DIR LIBKLPELF_A [LIBFUZZER_FLAGS...]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
ORACLE_MAIN="$here/fuzz.c" "$here/build.sh" "$1" "$2" "$3" -fsanitize=fuzzer
cache=$1
work=$2
shift 3
repo=$(cd "$here/../.." && pwd)
mkdir -p "$work/corpus" "$work/artifacts"
if [ -z "$(ls -A "$work/corpus")" ]; then
  cp "$repo"/fuzz/seeds/setup_pipeline/* "$repo"/fuzz/regressions/setup_pipeline/* "$work/corpus/"
  # The 40 smallest real modules of each kernel.
  for modules in "$cache"/modules/*/; do
    find "$modules" -name '*.ko' -printf '%s %p\n' | sort -n | head -n 40 | cut -d' ' -f2- |
      while read -r ko; do cp "$ko" "$work/corpus/$(basename "$modules")-$(basename "$ko")"; done
  done
fi
cd "$work"
exec ./oracle corpus -artifact_prefix=artifacts/ -max_len=32768 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$@"
