#!/usr/bin/env python3
"""ctest driver of c_compressed_debian: every module of a real distribution kernel, opened
straight from its .ko.xz.

Fetches the newest linux-image-6.12.*+debNN-cloud-amd64-unsigned package of this machine's Debian
release with `apt-get download` into CACHE (kept between runs), unpacks it there, and runs
  test_compressed debian LIST     every module by path, against `xz -dc`, through the pipeline
  klpelf-inspect MODULE.ko.xz     one process per module, as a user would
All must be accepted. The package is looked up in the system's package lists; when they do not
list it, in lists of the same sources fetched into CACHE (a private sources list and lists
directory: the system's sources and lists are never touched). Without the network the test prints
"skipped: ..." (ctest reports it as skipped), never "passed".
"""
import argparse
import glob
import os
import re
import subprocess
import sys


def release():
    with open("/etc/os-release", encoding="utf-8") as f:
        fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    return fields.get("VERSION_ID", "").strip('"')


def private_apt(cache):
    """apt options for a sources list and lists directory of the test's own, holding the system's
    binary sources (one-line form), or None when the system has none."""
    lines = []
    for path in glob.glob("/etc/apt/sources.list.d/*.sources"):
        with open(path, encoding="utf-8") as f:
            for stanza in f.read().split("\n\n"):
                fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", stanza, re.M))
                if "deb" not in fields.get("Types", "").split():
                    continue
                opts = f"[signed-by={fields['Signed-By']}] " if "Signed-By" in fields else ""
                for uri in fields.get("URIs", "").split():
                    for suite in fields.get("Suites", "").split():
                        lines.append(f"deb {opts}{uri} {suite} {fields.get('Components', '')}")
    for path in ["/etc/apt/sources.list"] + glob.glob("/etc/apt/sources.list.d/*.list"):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                lines += [l.strip() for l in f if l.strip().startswith("deb ")]
    if not lines:
        return None
    apt = os.path.join(cache, "apt")
    os.makedirs(os.path.join(apt, "lists", "partial"), exist_ok=True)
    os.makedirs(os.path.join(apt, "cache", "archives", "partial"), exist_ok=True)
    with open(os.path.join(apt, "sources.list"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return ["-o", f"Dir::Etc::sourcelist={apt}/sources.list", "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::State::Lists={apt}/lists", "-o", f"Dir::Cache={apt}/cache"]


def newest_package(apt_options):
    """The newest matching package that the lists apt_options selects can download, or None."""
    pattern = re.compile(rf"^linux-image-6\.12\.(\d+)\+deb{release()}-cloud-amd64-unsigned$")
    names = subprocess.run(["apt-cache", *apt_options, "pkgnames", "linux-image-6.12."],
                           capture_output=True, text=True, check=False).stdout.split()
    for name in sorted((n for n in names if pattern.match(n)),
                       key=lambda n: int(pattern.match(n).group(1)), reverse=True):
        shown = subprocess.run(["apt-cache", *apt_options, "show", "--no-all-versions", name],
                               capture_output=True, text=True, check=False)
        if shown.returncode == 0 and "\nFilename:" in shown.stdout:
            return name
    return None


def download(cache, apt_options):
    """Downloads the newest package the lists apt_options selects: its name, or None."""
    name = newest_package(apt_options)
    if name:
        subprocess.run(["apt-get", *apt_options, "-qq", "download", name], cwd=cache,
                       capture_output=True, check=False)
    return name if glob.glob(os.path.join(cache, "*.deb")) else None


def fetch(cache):
    """The unpacked package's root in cache, or None (with the reason printed) offline."""
    if not glob.glob(os.path.join(cache, "*.deb")) and not download(cache, []):
        # The system's lists lack the package, or list a version no longer served: fresh lists of
        # the same sources, in the cache.
        apt_options = private_apt(cache)
        updated = apt_options and subprocess.run(
            ["apt-get", *apt_options, "-o", "APT::Sandbox::User=root", "-qq", "update"],
            capture_output=True, check=False).returncode == 0
        if not updated or not download(cache, apt_options):
            print("skipped: no linux-image-6.12.*-cloud-amd64-unsigned package could be "
                  "downloaded (offline?)")
            return None
    debs = glob.glob(os.path.join(cache, "*.deb"))
    root = os.path.join(cache, "root")
    if not os.path.exists(os.path.join(cache, "unpacked")):
        subprocess.run(["dpkg-deb", "-x", debs[0], root], check=True)
        open(os.path.join(cache, "unpacked"), "w").close()
    print(f"package: {os.path.basename(debs[0])}")
    return root


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cache", required=True, help="where the package is downloaded and unpacked")
    ap.add_argument("--checker", required=True, help="the test_compressed program")
    ap.add_argument("--inspect", required=True, help="the klpelf-inspect program")
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    root = fetch(args.cache)
    if not root:
        return 0
    modules = sorted(glob.glob(os.path.join(root, "**", "*.ko.xz"), recursive=True))
    if not modules:
        print(f"no .ko.xz in {root}")
        return 1
    listing = os.path.join(args.cache, "modules.list")
    with open(listing, "w", encoding="utf-8") as f:
        f.write("".join(m + "\n" for m in modules))
    if subprocess.run([args.checker, "debian", listing], check=False).returncode != 0:
        return 1
    failed = [m for m in modules
              if subprocess.run([args.inspect, m], stdout=subprocess.DEVNULL,
                                check=False).returncode != 0]
    for m in failed:
        print(f"klpelf-inspect rejected {m}")
    print(f"klpelf-inspect: {len(modules) - len(failed)} of {len(modules)} modules reported "
          "straight from their .ko.xz")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
