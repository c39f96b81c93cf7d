#!/usr/bin/env python3
"""Differential test: kmod's `modinfo FILE...` against `klpelf-inspect --modinfo FILE...` on every
module of a set, byte for byte (the "filename:" line included: both print the path made
absolute), and `-F FIELD` for a few fields.

A set is either a directory of modules (--dir, e.g. the kbuild test modules) or a real Debian
kernel package, fetched with tests/packages/fetch.py into the cache (--suite/--arch/--package),
so that modules of another architecture and byte order (arm64, s390x) are compared too: kmod's
modinfo reads any architecture's modules.

Both programs get the same files in batches (one process per batch, not per module); when a batch
differs, its files are compared one at a time and the first difference is shown.

Prints "skipped: <why>" (and exits 0) when kmod's modinfo is not installed, the package cannot be
fetched (offline), or there are no modules; "PASS ..." when every batch is identical; exits 1 on a
difference.
"""
import argparse
import difflib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "packages"))

import fetch  # noqa: E402  (tests/packages/fetch.py)

# kmod's modinfo takes a path as a file only when it ends with one of these.
SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")
# The fields compared with -F, beside the whole output: one that every module has, one that has
# several values, the parameters (kmod's own format), the signature's hex and the filename.
FIELDS = ("vermagic", "alias", "parm", "signature", "filename")
BATCH = 200


def modules(root):
    """Every module file under root, sorted. .ko.gz only when this kmod reads gzip (kmod
    reports it in its --version features as +ZLIB)."""
    features = subprocess.run(["modinfo", "--version"], capture_output=True, text=True,
                              check=False).stdout
    suffixes = SUFFIXES if "+ZLIB" in features else SUFFIXES[:-1]
    found = []
    for top, _, files in os.walk(root):
        found += [os.path.join(top, f) for f in files if f.endswith(suffixes)]
    return sorted(found)


def run(argv):
    done = subprocess.run(argv, capture_output=True, check=False)
    return done.returncode, done.stdout


def compare(inspect, files, field):
    """None when kmod and klpelf agree on files, else a description of the first difference."""
    extra = ["-F", field] if field else []
    kmod = run(["modinfo", *extra, *files])
    ours = run([inspect, "--modinfo", *extra, *files])
    if kmod[1] == ours[1] and (kmod[0] == 0) == (ours[0] == 0):
        return None
    if len(files) > 1:
        for one in files:
            why = compare(inspect, [one], field)
            if why:
                return why
        return f"the batch differs but no file alone does (field {field})"
    diff = difflib.unified_diff(kmod[1].decode(errors="replace").splitlines(),
                                ours[1].decode(errors="replace").splitlines(),
                                "modinfo", "klpelf-inspect --modinfo", lineterm="")
    shown = "\n".join(list(diff)[:40])
    return (f"{files[0]} (-F {field or '-'}): kmod exit {kmod[0]}, klpelf-inspect exit "
            f"{ours[0]}\n{shown}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--inspect", required=True, help="the klpelf-inspect program")
    ap.add_argument("--dir", help="compare the modules under this directory")
    ap.add_argument("--cache", help="fetch.py's cache directory (with --package)")
    ap.add_argument("--suite", default="sid")
    ap.add_argument("--arch", help="the package's Debian architecture (default: the system's)")
    ap.add_argument("--package", help="regular expression for the package's name")
    ap.add_argument("--min", type=int, default=1, help="fail with fewer modules than this")
    args = ap.parse_args()

    if not shutil.which("modinfo"):
        print("skipped: kmod's modinfo is not installed (apt-get install kmod)")
        return 0
    if args.package:
        root, why = fetch.fetch(args.cache, args.suite, args.package, args.arch)
        if not root:
            print(f"skipped: {why}")
            return 0
    else:
        root = args.dir
    files = modules(root)
    if not files:
        print(f"skipped: no module files under {root}")
        return 0
    if len(files) < args.min:
        print(f"FAIL: only {len(files)} modules under {root}, expected at least {args.min}")
        return 1
    failures = 0
    for field in (None,) + FIELDS:
        for start in range(0, len(files), BATCH):
            why = compare(args.inspect, files[start:start + BATCH], field)
            if why:
                print(f"FAIL: {why}")
                failures += 1
                break
    if failures:
        return 1
    print(f"PASS: kmod's modinfo and klpelf-inspect --modinfo agree on {len(files)} modules "
          f"under {root} (whole output and -F {', -F '.join(FIELDS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
