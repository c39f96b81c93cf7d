#!/usr/bin/env python3
"""Benchmark: `klpelf-inspect --modinfo` against kmod's `modinfo` over every module of a real
Debian kernel package (sid's linux-modules-7.2.*-cloud-amd64 unless told otherwise, fetched with
tests/packages/fetch.py into the cache), and prints the BENCHMARKS.md section.

Both programs get the same files in the same batches (200 paths a process, as
tests/kmod/modinfo_diff.py runs them), their output thrown away; both decompress each .ko.xz and
print the same bytes (the differential test proves it). Then the same over plain .ko copies
(decompressed once into the cache with Python's lzma), where only the reading is measured. A round runs kmod then klpelf, or klpelf
then kmod (alternating), over the whole package; the report gives the median wall time over the
rounds with the fastest and slowest round, and the median of the per-round ratios.

    benches/modinfo_vs_kmod.py --inspect build/klpelf-inspect --cache build/packages [--rounds 5]
"""
import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "packages"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "kmod"))

import lzma  # noqa: E402

import fetch  # noqa: E402
from modinfo_diff import BATCH, modules  # noqa: E402


KMOD = ["modinfo"]


def cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_package(argv0, files):
    """(wall seconds, CPU seconds: user + system) to run argv0 over every file, BATCH paths a
    process. On a shared machine the CPU time is the steadier figure."""
    start, cpu = time.perf_counter(), cpu_of_children()
    for at in range(0, len(files), BATCH):
        subprocess.run([*argv0, *files[at:at + BATCH]], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, cpu_of_children() - cpu


def plain_copies(files, cache, package):
    """The modules decompressed into cache/plain/package (made once), in the same order."""
    out = os.path.join(os.path.abspath(cache), "plain", package)
    plain = []
    for i, path in enumerate(files):
        name = os.path.join(out, f"{i:05d}-{os.path.basename(path).removesuffix('.xz')}")
        if not os.path.exists(name):
            os.makedirs(out, exist_ok=True)
            with lzma.open(path) as f, open(name + ".part", "wb") as g:
                g.write(f.read())
            os.rename(name + ".part", name)
        plain.append(name)
    return plain


def measure(ours, files, rounds):
    """{program: [(wall, cpu) per round]} and the per-round klpelf/kmod ratios (wall, cpu)."""
    runs = {"kmod": [], "klpelf": []}
    for r in range(rounds):
        order = [("kmod", KMOD), ("klpelf", ours)]
        if r % 2:
            order.reverse()
        for name, argv in order:
            runs[name].append(whole_package(argv, files))
    ratios = [(b[0] / a[0], b[1] / a[1]) for a, b in zip(runs["kmod"], runs["klpelf"])]
    return runs, ratios


def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        return out.splitlines()[0] if out else "?"
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--inspect", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--suite", default="sid")
    ap.add_argument("--arch")
    ap.add_argument("--package", default=r"linux-modules-7\.2\..*-cloud-amd64")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if not shutil.which("modinfo"):
        print("skipped: kmod's modinfo is not installed")
        return 0
    root, why = fetch.fetch(args.cache, args.suite, args.package, args.arch)
    if not root:
        print(f"skipped: {why}")
        return 0
    files = modules(root)
    ours = [args.inspect, "--modinfo"]
    plain = plain_copies(files, args.cache, os.path.basename(root))
    # One untimed pass each: the files in the page cache for both.
    for each in (files, plain):
        whole_package(KMOD, each)
        whole_package(ours, each)
    before = os.getloadavg()
    xz_runs, xz_ratios = measure(ours, files, args.rounds)
    # The plain files take some 50 ms a pass: three times the rounds.
    plain_runs, plain_ratios = measure(ours, plain, 3 * args.rounds)
    after = os.getloadavg()

    def span(values, unit=" s"):
        return (f"{statistics.median(values):.3f}{unit} "
                f"[{min(values):.3f}{unit}, {max(values):.3f}{unit}]")

    def rows(kind, runs, ratios):
        lines = []
        for name, label in (("kmod", f"kmod `modinfo` ({first_line(['modinfo', '--version'])})"),
                            ("klpelf", "`klpelf-inspect --modinfo`")):
            wall = [w for w, _ in runs[name]]
            cpu = [c for _, c in runs[name]]
            per = statistics.median(cpu) / len(files) * 1e6
            lines.append(f"| {kind} | {label} | {span(wall)} | {span(cpu)} | {per:.0f} µs |")
        wall_r = [w for w, _ in ratios]
        cpu_r = [c for _, c in ratios]
        lines.append(f"| {kind} | ratio klpelf / kmod | {span(wall_r, '×')} | {span(cpu_r, '×')} | |")
        return "\n".join(lines)

    package = os.path.basename(root)
    kernel = platform.release()
    cpu = "?"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    print(f"""## modinfo: a whole kernel package, klpelf-inspect --modinfo against kmod's modinfo

Measured by `benches/modinfo_vs_kmod.py` (part of `scripts/bench`'s run): {len(files)} modules of
`{package}` (`.ko.xz`, signed), {BATCH} paths a process for both programs, output discarded;
both decompress every module (liblzma, in both) and print the same bytes
(`tests/kmod/modinfo_diff.py`); then the same modules as plain `.ko` files. Median
over {args.rounds} rounds ({3 * args.rounds} for the `.ko` files) of the wall time and of the CPU time (user + system, of the processes)
over the whole package [fastest, slowest round]; a ratio is taken within each round, then the
median [smallest, largest].

| files | program | wall, whole package | CPU, whole package | CPU per module |
|---|---|---|---|---|
{rows("`.ko.xz`", xz_runs, xz_ratios)}
{rows("`.ko`", plain_runs, plain_ratios)}

Machine: {cpu}, {os.cpu_count()} logical cores, Linux {kernel}; load average before
{before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f};
{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}.
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
