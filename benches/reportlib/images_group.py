"""The images group's part of the report: a real distribution module opened through
klpelf_image_open against the command-line decompressors piped into the bytes API, and an
uncompressed module opened from its file against the same bytes already in memory."""

import os

from reportlib.fmt import fmt_ci, fmt_ratio, table, verdict
from reportlib.groups import IMAGES_CASES
from reportlib.stats import ratio


def module_line(objects):
    """The benchmarked module, as the bench recorded it in <objects>/images-module.txt."""
    try:
        with open(os.path.join(objects, "images-module.txt")) as f:
            name, compressed, size = f.read().split()
    except (OSError, ValueError):
        return "(the module was not recorded)"
    return (f"`{name}`: {int(compressed) / 1024:.0f} KiB as `.ko.xz`, "
            f"{int(size) / 1024:.0f} KiB decompressed")


def images_section(est, lines, objects):
    """Appends the images table; returns {case: target holds} for the summary."""
    lines.append("## images: opening a module file, compressed or not\n")
    lines.append(
        "Every case ends with `klpelf_setup_load_info` on the image. `klpelf` is "
        "`klpelf_image_open` (decoding a `.ko.xz` with liblzma or a `.ko.zst` with libzstd into "
        "one block; mapping a `.ko` privately) + setup + `klpelf_image_close`. `cli` runs "
        "`xz -dc` / `zstd -dc` as a process, reads its output from the pipe into one buffer and "
        "passes it to setup, as a program without klpelf's image API would. `mapped` is setup "
        "on the `.ko`'s bytes already in memory. The module is the largest of Debian's 6.12 "
        "cloud kernel package (the one the test `c_compressed_debian` unpacks), its `.ko.zst` made "
        "by `zstd` at bench time: " + module_line(objects) + ".\n"
    )
    results = {}
    rows = []
    for label, (variant, base, param, limit) in IMAGES_CASES.items():
        a, b = est.get((variant, param)), est.get((base, param))
        if not a or not b:
            rows.append(f"| {label} | (missing) | | | |")
            continue
        results[label] = ratio(a, b) <= limit
        rows.append(
            f"| {label} | {fmt_ci(a)} | {fmt_ci(b)} | {fmt_ratio(a, b)} | "
            f"≤ {limit:.2f}×: {verdict(results[label])} |"
        )
    table(lines, "| case | klpelf | baseline | ratio | target |",
          "|---|--:|--:|--:|---|", rows)
    return results
