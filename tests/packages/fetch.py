#!/usr/bin/env python3
"""Fetches a real Debian package for a test: the newest one whose name matches a regular
expression, from a suite (`sid`, `bookworm`, ...) and an architecture, downloaded with
`apt-get download` and unpacked, both under a cache directory that later runs reuse.

The package lists come through a private apt configuration under the cache (a sources list naming
only the wanted suite, its own lists and package cache), so the system's sources and apt state are
never touched, and foreign architectures (arm64, s390x, ...) are listed without being added to the
system's dpkg. The mirror is the system's Debian mirror, or KLPELF_DEBIAN_MIRROR when set (an
unreachable address shows the skip).

Without the network, or when no package matches, it says "skipped: <why>" and the tests that need
the package skip: they never pass without it.

Command line:  fetch.py --cache DIR --suite SUITE [--arch ARCH] REGEX
               prints "root: PATH" (the unpacked package) or "skipped: ...", exit 0 either way.
From Python:   fetch(cache, suite, regex, arch=None) -> (root, None) or (None, why)
"""
import argparse
import fcntl
import glob
import os
import re
import shutil
import subprocess
import sys

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEFAULT_MIRROR = "http://deb.debian.org/debian"


def system_mirror():
    """The Debian archive the system's sources use (not its security or third-party mirrors)."""
    if os.environ.get("KLPELF_DEBIAN_MIRROR"):
        return os.environ["KLPELF_DEBIAN_MIRROR"]
    uris = []
    for path in glob.glob("/etc/apt/sources.list.d/*.sources"):
        with open(path, encoding="utf-8") as f:
            uris += re.findall(r"^URIs:[ \t]*(.*)$", f.read(), re.M)
    for path in ["/etc/apt/sources.list"] + glob.glob("/etc/apt/sources.list.d/*.list"):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                uris += [l.split()[-3] for l in f if re.match(r"deb\s", l) and len(l.split()) >= 4]
    for uri in " ".join(uris).split():
        if re.search(r"/debian/?$", uri):
            return uri.rstrip("/")
    return DEFAULT_MIRROR


def apt_options(cache, suite, arch):
    """apt options selecting the private configuration of SUITE (and ARCH) under cache."""
    name = f"{suite}-{arch}" if arch else suite
    base = os.path.join(os.path.abspath(cache), "apt", name)
    options = ["-o", f"Dir::Etc::sourcelist={base}/sources.list", "-o", "Dir::Etc::sourceparts=-",
               "-o", f"Dir::State::Lists={base}/lists", "-o", f"Dir::Cache={base}/cache",
               "-o", "APT::Sandbox::User=root"]
    if arch:
        options += ["-o", f"APT::Architectures::={arch}", "-o", f"APT::Architecture={arch}"]
    return base, options


def update(base, options, suite, arch):
    """Fetches SUITE's package lists into base, once. Returns None, or why it could not."""
    lists = os.path.join(base, "lists")
    if glob.glob(os.path.join(lists, "*_Packages*")):
        return None
    os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
    os.makedirs(os.path.join(base, "cache", "archives", "partial"), exist_ok=True)
    only = f" arch={arch}" if arch else ""
    with open(os.path.join(base, "sources.list"), "w", encoding="utf-8") as f:
        f.write(f"deb [signed-by={KEYRING}{only}] {system_mirror()} {suite} main\n")
    done = subprocess.run(["apt-get", *options, "-qq", "update"], capture_output=True, text=True,
                          check=False)
    # apt-get reports an unreachable mirror as a warning and exits 0: look for the lists.
    if not glob.glob(os.path.join(lists, "*_Packages*")):
        lines = (done.stderr or done.stdout or "no output").strip().splitlines()
        return f"cannot fetch Debian {suite}'s package lists (offline?): {lines[-1]}"
    return None


def newest(options, regex):
    """The downloadable package whose whole name matches regex with the highest version, or None."""
    pattern = re.compile(regex)
    names = subprocess.run(["apt-cache", *options, "pkgnames"], capture_output=True, text=True,
                           check=False).stdout.split()
    best = None
    for name in sorted(n for n in names if pattern.fullmatch(n)):
        shown = subprocess.run(["apt-cache", *options, "show", "--no-all-versions", name],
                               capture_output=True, text=True, check=False).stdout
        version = re.search(r"^Version: (\S+)", shown, re.M)
        if not version or "\nFilename:" not in shown:
            continue
        if best is None or subprocess.run(
                ["dpkg", "--compare-versions", version.group(1), "gt", best[1]],
                check=False).returncode == 0:
            best = (name, version.group(1))
    return best[0] if best else None


def fetch(cache, suite, regex, arch=None):
    """(root, None) with root the unpacked package's directory, or (None, why)."""
    for tool in ["apt-get", "apt-cache", "dpkg-deb"]:
        if subprocess.run(["which", tool], capture_output=True, check=False).returncode:
            return None, f"{tool} is not installed"
    if not os.path.exists(KEYRING):
        return None, "debian-archive-keyring is not installed"
    base, options = apt_options(cache, suite, arch)
    # Tests run in parallel may fetch from the same configuration: one at a time.
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, "lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return fetch_locked(base, options, suite, regex, arch)


def fetch_locked(base, options, suite, regex, arch):
    """fetch() with the configuration's lock held."""
    # A finished fetch of the same request is reused without asking the network.
    key = re.sub(r"[^A-Za-z0-9.+-]", "_", regex)
    stamp = os.path.join(base, f"fetched-{key}")
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as f:
            root = f.read().strip()
        if os.path.isdir(root):
            return root, None
    why = update(base, options, suite, arch)
    if why:
        return None, why
    name = newest(options, regex)
    if not name:
        return None, f"no package of Debian {suite} ({arch or 'native'}) matches {regex}"
    debs = os.path.join(base, "debs")
    os.makedirs(debs, exist_ok=True)
    found = glob.glob(os.path.join(debs, f"{name}_*.deb"))
    if not found:
        subprocess.run(["apt-get", *options, "-qq", "download", name], cwd=debs,
                       capture_output=True, check=False)
        found = glob.glob(os.path.join(debs, f"{name}_*.deb"))
    if not found:
        return None, f"cannot download {name} from Debian {suite} (offline?)"
    root = os.path.join(base, "root", name)
    if not os.path.isdir(root):
        # Unpacked beside its final place and renamed, so an interrupted unpack is redone.
        shutil.rmtree(root + ".part", ignore_errors=True)
        os.makedirs(os.path.dirname(root), exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", found[0], root + ".part"], check=True)
        os.rename(root + ".part", root)
    with open(stamp, "w", encoding="utf-8") as f:
        f.write(root + "\n")
    return root, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cache", required=True, help="where lists, packages and trees are kept")
    ap.add_argument("--suite", required=True, help="Debian suite, e.g. sid or bookworm")
    ap.add_argument("--arch", help="Debian architecture (default: the system's)")
    ap.add_argument("regex", help="the package name, a regular expression matching all of it")
    args = ap.parse_args()
    root, why = fetch(args.cache, args.suite, args.regex, args.arch)
    print(f"root: {root}" if root else f"skipped: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
