#!/usr/bin/env bash
# Fetches what the kernel-source oracle compares klpelf with, into a cache directory:
#   src/       the kernel's own source files (from Debian sid's linux-source-7.2), only those the
#              oracle compiles or reads;
#   modules/   real modules, decompressed: Debian sid's 7.2 cloud flavour and Debian stable's 6.12
#              cloud flavour;
#   config/    the 6.12 package's kernel configuration (the oracle checks its shim against it).
# Packages come through a private apt configuration under the cache (sources list, lists, package
# cache), so the system's sources and apt state are never touched. A second run finds everything
# in the cache and downloads nothing.
#
# Usage: fetch.sh CACHE_DIR
# Without network or without the packages it prints "skipped: <why>" and exits 0: the ctest test
# that runs it reports itself skipped, and the tests that need the cache skip too.
# ORACLE_DEBIAN_MIRROR replaces http://deb.debian.org/debian (another mirror, or an unreachable
# address to see the skip).
set -euo pipefail

cache=${1:?usage: fetch.sh CACHE_DIR}
mirror=${ORACLE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
stamp=$cache/fetch.done

# The kernel files the oracle needs: the code it compiles unmodified, the headers that code needs
# beyond the oracle's shim, and the struct load_info it checks klpelf's member order against.
kernel_files=(
  kernel/module/livepatch.c
  kernel/module/main.c
  kernel/module/internal.h
  kernel/module/signing.c
  kernel/module_signature.c
  kernel/livepatch/core.c
  include/linux/module_signature.h
  include/uapi/linux/module_signature.h
  arch/x86/kernel/module.c
  arch/x86/include/asm/elf.h
)

skip() {
  echo "skipped: $*"
  exit 0
}

if [ -f "$stamp" ]; then
  echo "oracle cache is complete ($cache):"
  cat "$stamp"
  exit 0
fi

for tool in apt-get apt-cache dpkg-deb xz tar; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || skip "debian-archive-keyring is not installed"

# apt_private SUITE ARGS...: apt-get/apt-cache with a sources list holding only SUITE, and lists
# and caches under the oracle's cache.
apt_opts() {
  local dir=$cache/apt/$1
  echo "-o Dir::Etc::sourcelist=$dir/sources.list -o Dir::Etc::sourceparts=-" \
       "-o Dir::State::Lists=$dir/lists -o Dir::Cache=$dir/cache" \
       "-o APT::Sandbox::User=root"
}

# update_suite SUITE: fetches SUITE's package lists into the private directory.
update_suite() {
  local suite=$1 dir=$cache/apt/$1
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
       "$mirror $suite main" >"$dir/sources.list"
  # shellcheck disable=SC2046 # the options are meant to be split
  apt-get $(apt_opts "$suite") update -qq >"$dir/update.log" 2>&1 || true
  # apt-get update reports an unreachable mirror as a warning and exits 0: look for the list.
  ls "$dir/lists/"*_Packages* >/dev/null 2>&1 ||
    skip "cannot fetch Debian's $suite package list (no network?): $(tail -n 1 "$dir/update.log")"
}

# newest SUITE REGEX: the newest package of SUITE whose whole name matches REGEX.
newest() {
  local suite=$1 regex=$2
  # shellcheck disable=SC2046
  apt-cache $(apt_opts "$suite") pkgnames 2>/dev/null | grep -E "^($regex)\$" | sort -V | tail -n 1
}

# download SUITE PACKAGE: downloads PACKAGE's .deb into debs/ and sets $deb to its path. (Not
# called as $(...): a skip must end the script, not a subshell.)
download() {
  local suite=$1 pkg=$2
  mkdir -p "$cache/debs"
  # shellcheck disable=SC2046
  (cd "$cache/debs" && apt-get $(apt_opts "$suite") download -qq "$pkg" >/dev/null 2>&1) ||
    skip "apt-get download $pkg from $suite failed"
  deb=$(ls "$cache/debs/${pkg}_"*.deb | head -n 1)
}

# kernel_source DEB: extracts only the oracle's files from the source tarball inside DEB.
kernel_source() {
  local deb=$1 tarball
  tarball=$(dpkg-deb -c "$deb" | grep -o './usr/src/linux-source-[0-9.]*\.tar\.xz' || true)
  tarball=${tarball%%$'\n'*}
  [ -n "$tarball" ] || skip "no source tarball in $(basename "$deb")"
  local top=${tarball#./usr/src/}
  top=${top%.tar.xz}
  rm -rf "$cache/src.tmp" && mkdir -p "$cache/src.tmp"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -O "$tarball" | xz -dc |
    tar -x -C "$cache/src.tmp" "${kernel_files[@]/#/$top/}"
  rm -rf "$cache/src" && mv "$cache/src.tmp/$top" "$cache/src" && rm -rf "$cache/src.tmp"
}

# modules DEB LABEL: extracts DEB's modules into modules/LABEL, decompressed, and its kernel
# configuration (if it has one) into config/; appends a line to $summary.
modules() {
  local deb=$1 label=$2 tmp=$cache/modules.tmp
  local members=('./usr/lib/modules/*')
  rm -rf "$tmp" && mkdir -p "$tmp"
  if dpkg-deb -c "$deb" | grep -c ' \./boot/config-' >/dev/null; then
    members+=('./boot/config-*')
  fi
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards "${members[@]}"
  if find "$tmp" -name '*.ko.zst' | grep -q .; then
    skip "$(basename "$deb") has zstd-compressed modules"
  fi
  find "$tmp" -name '*.ko.xz' -print0 | xargs -0 -r -n 200 xz -d -T1
  rm -rf "${cache:?}/modules/$label" && mkdir -p "$cache/modules" "$cache/config"
  mv "$tmp"/usr/lib/modules/*/kernel "$cache/modules/$label"
  if ls "$tmp"/boot/config-* >/dev/null 2>&1; then
    mv "$tmp"/boot/config-* "$cache/config/"
  fi
  rm -rf "$tmp"
  summary+="$label: $(find "$cache/modules/$label" -name '*.ko' | wc -l) modules ($(basename "$deb"))"$'\n'
}

update_suite sid
update_suite trixie
src_pkg=linux-source-7.2
mod_pkg=$(newest sid 'linux-modules-7\.2\.[0-9]+\+deb[0-9]+-cloud-amd64')
[ -n "$mod_pkg" ] || skip "no linux-modules-7.2.*-cloud-amd64 package in sid"
stable_pkg=$(newest trixie 'linux-image-6\.12\.[0-9]+\+deb[0-9]+-cloud-amd64-unsigned')
[ -n "$stable_pkg" ] || skip "no linux-image-6.12.*-cloud-amd64-unsigned package in trixie"

summary=""
download sid "$src_pkg"
kernel_source "$deb"
summary+="kernel source: $(basename "$deb") ($(find "$cache/src" -type f | wc -l) files)"$'\n'
download sid "$mod_pkg"
modules "$deb" sid-7.2
download trixie "$stable_pkg"
modules "$deb" trixie-6.12
# The packages are no longer needed once extracted.
rm -rf "$cache/debs"

printf '%s' "$summary" >"$stamp"
cat "$stamp"
