#!/usr/bin/env python3
"""Writes BENCHMARKS.md and the copy plot (SVG) from criterion's results of benches/klpelf.rs.

`scripts/bench` runs the benches in rounds, saving round N as criterion baseline `rN`; this reads
target/criterion/<group>/<variant>/<param>/rN/{estimates,benchmark}.json (or `new/` when there
are no rounds) and describes the machine it runs on. Each ratio is taken within a round, where
the variants ran seconds apart, and the report gives the median over rounds: slow drifts of a
shared host's load then cancel. Python 3 standard library only; the SVG is written by hand. The
parts are in benches/reportlib/.

    python3 benches/report.py --criterion target/criterion --out BENCHMARKS.md \
        --svg docs/bench-copy.svg [--objects target/klpelf-bench] [--load-before "..."]
"""

import argparse
import os
import sys

# The report runs from the source tree: no __pycache__ left beside the modules.
sys.dont_write_bytecode = True

from reportlib.copy_group import copy_linearity, copy_section  # noqa: E402
from reportlib.fmt import fmt_n, verdict  # noqa: E402
from reportlib.groups import COPY_SIZES, COPY_VARIANTS  # noqa: E402
from reportlib.groups import IMAGES_PARAMS, IMAGES_VARIANTS  # noqa: E402
from reportlib.groups import INGEST_OBJECTS, INGEST_VARIANTS  # noqa: E402
from reportlib.images_group import images_section  # noqa: E402
from reportlib.ingest_group import ingest_linearity, ingest_section, pipeline_section  # noqa: E402
from reportlib.machine import machine_section  # noqa: E402
from reportlib.groups import RELOCS_COUNT, RELOCS_VARIANTS  # noqa: E402
from reportlib.relocs_group import relocs_section  # noqa: E402
from reportlib.results import load, object_sizes  # noqa: E402
from reportlib.svg import svg_plot  # noqa: E402
from reportlib.groups import VERIFY_VARIANTS  # noqa: E402
from reportlib.verify_group import verify_section  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--criterion", default="target/criterion")
    ap.add_argument("--objects", default="target/klpelf-bench")
    ap.add_argument("--out", default="BENCHMARKS.md")
    ap.add_argument("--svg", default="docs/bench-copy.svg")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("--date", default="")
    ap.add_argument("--settings", default="")
    ap.add_argument("--findings", default="benches/findings.md")
    ap.add_argument("--modinfo", default="",
                    help="benches/modinfo_vs_kmod.py's section (or its skipped: line), kept as is")
    return ap.parse_args()


def intro(lines):
    lines.append(
        "Written by `scripts/bench` from one run of `benches/klpelf.rs` (criterion) and `benches/modinfo_vs_kmod.py`; do not edit "
        "by hand. Every figure comes from the same run on the same machine, so the ratios are "
        "what to read: absolute times move with the host. The run is made of rounds; in each "
        "round every benchmark runs once, the variants of a size seconds apart. A time is the "
        "median over rounds of criterion's median, with the smallest and largest round's median "
        "after it; a ratio is taken within each round, then the median over rounds, with its "
        "smallest and largest value after it. (With a single round, the bracket is criterion's "
        "95% confidence interval instead.)\n"
    )


def summary(copy_results, ingest_results, images_results, relocs_result, verify_result, lines):
    """Appends every target's verdict: copy's by section count, ingest's by object, images' by
    case, then relocs'."""
    lines.append("## Summary of the targets\n")
    for n, (not_slower, faster, floor_ok) in copy_results.items():
        parts = [f"not slower than kernel-c: {verdict(not_slower)}"]
        if n <= 4096:
            parts.append(f"measurably faster: {verdict(faster)}")
        if n >= 4096:
            parts.append(f"≤ 1.10× floor: {verdict(floor_ok)}")
        lines.append(f"- copy, {fmt_n(n)} sections: " + "; ".join(parts))
    for obj, ok in ingest_results.items():
        lines.append(
            f"- ingest, `{obj}`: ≤ 0.5× libelf: "
            + (verdict(ok) if ok is not None else "not measured (no libelf-dev)")
        )
    for case, ok in images_results.items():
        lines.append(f"- images, {case}: {verdict(ok)}")
    lines.append(
        f"- relocs, {RELOCS_COUNT:,} relocations: klpelf ≤ 1.0× the kernel's "
        "`__write_relocate_add()`: "
        + (verdict(relocs_result) if relocs_result is not None else "not measured (no kernel source)")
    )
    lines.append(
        "- verify, one Debian module: klpelf ≤ 1.5× libcrypto's `CMS_verify()`: "
        + (verdict(verify_result) if verify_result is not None else "not measured")
    )
    lines.append("")


def modinfo_section(path, lines):
    """The whole-package modinfo comparison, which runs two programs rather than criterion: its
    section as benches/modinfo_vs_kmod.py printed it, or why it was not measured."""
    text = ""
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
    if text.startswith("## "):
        lines.append(text + "\n")
        return
    lines.append("## modinfo: a whole kernel package, klpelf-inspect --modinfo against kmod's "
                 "modinfo\n")
    lines.append(f"Not measured in this run: {text or 'no result'}.\n")


def reproducing(lines):
    lines.append("## Reproducing\n")
    lines.append(
        "`scripts/bench` (it names any missing package, e.g. `libelf-dev`, and runs "
        "`cargo bench --bench klpelf` in rounds, then `benches/report.py`). "
        "`KLPELF_BENCH_ROUNDS` (5), `KLPELF_BENCH_WARMUP` (1) and `KLPELF_BENCH_MEASURE` (3) "
        "set the rounds and criterion's warm-up and "
        "measurement seconds per benchmark and round; `KLPELF_KERNEL_SRC` names the kernel "
        "source the `relocs` group compiles `__write_relocate_add()` from (default: the oracle's "
        "download, `build/oracle-cache/src`); `scripts/bench --report-only` rewrites "
        "this file from the last run. One case alone, for a profiler: "
        "`KLPELF_BENCH_PROFILE=copy/klpelf/4096 KLPELF_BENCH_ITERS=100000 "
        "valgrind --tool=callgrind target/release/deps/klpelf-<hash>` (ids as in the tables: "
        "`GROUP/VARIANT/PARAM`). The modinfo section alone: `benches/modinfo_vs_kmod.py "
        "--inspect build/klpelf-inspect --cache build/packages` (it needs kmod's `modinfo` and "
        "fetches the package once).\n"
    )


def main():
    args = parse_args()
    copy = load(args.criterion, "copy", COPY_VARIANTS, COPY_SIZES)
    ingest = load(args.criterion, "ingest", INGEST_VARIANTS, INGEST_OBJECTS)
    pipeline = load(args.criterion, "pipeline", ["klpelf"], INGEST_OBJECTS)
    images = load(args.criterion, "images", IMAGES_VARIANTS, IMAGES_PARAMS)
    relocs = load(args.criterion, "relocs", RELOCS_VARIANTS, [RELOCS_COUNT])
    verify = load(args.criterion, "verify", VERIFY_VARIANTS, ["module"])
    if not copy and not ingest and not relocs:
        sys.exit(f"no criterion results under {args.criterion}: run scripts/bench")

    lines = ["# Benchmarks\n"]
    intro(lines)
    machine_section(lines, args.load_before, args.load_after, args.date, args.settings)

    svg_plot(copy, args.svg)
    copy_results = copy_section(copy, lines)
    rel = os.path.relpath(args.svg, os.path.dirname(os.path.abspath(args.out)) or ".")
    lines.append(f"![median time against section count, log-log]({rel})\n")
    copy_linearity(copy, lines)
    ingest_results = ingest_section(ingest, lines, object_sizes(args.objects))
    ingest_linearity(ingest, lines)
    pipeline_section(pipeline, ingest, lines)
    images_results = images_section(images, lines, args.objects)

    relocs_result = relocs_section(relocs, lines)
    verify_result = verify_section(verify, lines, args.objects)
    modinfo_section(args.modinfo, lines)

    summary(copy_results, ingest_results, images_results, relocs_result, verify_result, lines)
    if args.findings and os.path.exists(args.findings):
        with open(args.findings) as f:
            lines.append(f.read().strip() + "\n")
    reproducing(lines)
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {args.out} and {args.svg}")


if __name__ == "__main__":
    main()
