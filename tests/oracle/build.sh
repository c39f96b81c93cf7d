#!/usr/bin/env bash
# Builds the oracle from a fetched cache (fetch.sh): cuts the kernel's code out of the source
# (extract.py), checks the shim's CONFIG_* values against the fetched kernel configuration, and
# compiles the kernel's code, the shim and the driver with clang under AddressSanitizer and the
# alignment sanitizer, linked with klpelf's static library.
#
# Usage: build.sh CACHE_DIR OUT_DIR LIBKLPELF_A [EXTRA_FLAGS...]
#   OUT_DIR/oracle is the comparison driver; EXTRA_FLAGS are added to every compile and the link
#   (fuzz.sh passes -fsanitize=fuzzer and builds fuzz.c instead of main.c through ORACLE_MAIN).
# Without a complete cache it prints "skipped: <why>" and exits 0.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${1:?usage: build.sh CACHE_DIR OUT_DIR LIBKLPELF_A [EXTRA_FLAGS...]}
out=${2:?}
lib=${3:?}
shift 3
main=${ORACLE_MAIN:-$here/main.c}

[ -f "$cache/fetch.done" ] || { echo "skipped: no kernel source fetched (oracle_fetch skipped)"; exit 0; }
cc=${ORACLE_CC:-$(command -v clang || true)}
[ -n "$cc" ] || { echo "skipped: clang is not installed"; exit 0; }
command -v python3 >/dev/null || { echo "skipped: python3 is not installed"; exit 0; }

# A failed build must not leave an earlier oracle behind for the tests to run.
rm -f "$out/oracle"
mkdir -p "$out/gen" "$out/obj"
python3 "$here/extract.py" "$cache/src" "$repo/docs/checks.md" "$repo/include/klpelf.h" "$out/gen"

# The shim's configuration is the Debian kernel's.
config=$(ls "$cache"/config/config-* 2>/dev/null | head -n 1 || true)
if [ -n "$config" ]; then
  for option in $(sed -n 's/^#define \(CONFIG_[A-Z0-9_]*\) 1$/\1/p' "$here/shim/kernel_shim.h"); do
    grep -qx "$option=y" "$config" ||
      { echo "oracle: the shim sets $option, $(basename "$config") does not"; exit 1; }
  done
fi

sanitize=(-fsanitize=address,alignment -fno-sanitize-recover=all -fno-omit-frame-pointer)
common=(-std=gnu11 -O1 -g "${sanitize[@]}" -I"$repo/include" -I"$here" -I"$out/gen" "$@")
# The kernel's exported names, renamed so that they cannot clash with klpelf's or the C library's
# (copy_module_elf and free_module_elf are renamed in the shim, after klpelf.h maps them).
renames=(-Dmod_check_sig=kernel_mod_check_sig -Dmod_verify_sig=kernel_mod_verify_sig
         -Dmodule_sig_check=kernel_module_sig_check
         -Dmodule_next_tag_pair=kernel_module_next_tag_pair
         -Dmodule_elf_check_arch=kernel_module_elf_check_arch
         -Dklp_apply_section_relocs=kernel_klp_apply_section_relocs)
# As the kernel builds: wrapping arithmetic, no strict aliasing, NULL checks kept.
kernel=("${common[@]}" "${renames[@]}" -I"$here/shim" -I"$cache/src/include"
        -fwrapv -fno-strict-aliasing -fno-delete-null-pointer-checks -w)
driver=("${common[@]}" -Wall -Wextra -Werror)

objs=()
compile() { # compile OBJECT FLAGS... SOURCE
  local obj=$out/obj/$1
  shift
  "$cc" "$@" -c -o "$obj"
  objs+=("$obj")
}
compile kernel_side.o "${kernel[@]}" "$here/kernel_side.c"
# (see kernel_relocs.c for why it is built without the alignment sanitizer)
compile kernel_relocs.o "${kernel[@]}" -fno-sanitize=alignment "$here/kernel_relocs.c"
compile relocs_kernel.o "${kernel[@]}" -fno-sanitize=alignment "$here/relocs_kernel.c"
compile kernel_shim.o "${kernel[@]}" "$here/kernel_shim.c"
compile livepatch.o "${kernel[@]}" "$out/gen/livepatch.c"
compile module_signature.o "${kernel[@]}" "$out/gen/module_signature.c"
for unit in run corpus mutate compare copy loader checks relocs relocs_case relocs_image; do
  compile "$unit.o" "${driver[@]}" "$here/$unit.c"
done
compile main.o "${driver[@]}" "$main"

"$cc" "${sanitize[@]}" "$@" "${objs[@]}" "$lib" -lpthread -ldl -lm -lrt -lutil -lgcc_s \
  -o "$out/oracle"
echo "built $out/oracle"
