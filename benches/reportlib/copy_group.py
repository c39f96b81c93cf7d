"""The copy group's part of the report: `copy_module_elf` + `free_module_elf` through klpelf's C
ABI against the kernel's code as plain C (`kernel-c`) and one malloc + memcpy + free (`floor`)."""

from reportlib.fmt import fmt_ci, fmt_n, fmt_ratio, table, verdict
from reportlib.groups import COPY_SIZES, COPY_VARIANTS, FLOOR_LIMIT
from reportlib.linearity import linearity_section
from reportlib.stats import at, ratio, rounds_where


def copy_times(est, lines):
    """Appends the section's introduction and the table of times and ratios."""
    lines.append("## copy: `copy_module_elf` + `free_module_elf`\n")
    lines.append(
        "One call of each and the matching free, per iteration. `klpelf` goes through the C ABI "
        "(`klpelf::ffi::copy_module_elf` / `free_module_elf`); `kernel-c` is the kernel's code as "
        "plain C (three `malloc`s, the header copied by value, two `memcpy`s, three `free`s); "
        "`floor` is one `malloc` of the bytes the kernel allocates, one `memcpy` of the bytes it "
        "copies and one `free`. The C is compiled `-O2` in `benches/support`. The tables are "
        "synthetic but shaped like a `-ffunction-sections` object (names about 21 bytes a "
        "section), laid out like the front of a file: header, section headers, names.\n"
    )
    lines.append(
        "At 1,000,000 sections the tables use extended numbering (`e_shnum = 0`, "
        "`e_shstrndx = SHN_XINDEX`, count and name-table index in section 0). The kernel cannot "
        "express that count, so the `kernel-c` baseline there takes the count and index from "
        "section 0 and copies exactly the bytes it would copy if `e_shnum` could hold the count: "
        "the comparison stays byte for byte the same work.\n"
    )
    rows = []
    for n in COPY_SIZES:
        k, c, f = at(est, COPY_VARIANTS, n)
        if not (k and c and f):
            rows.append(f"| {fmt_n(n)} | | (missing) | | | | | |")
            continue
        nbytes = k.throughput.get("Bytes", 0)
        gib = nbytes / k.median  # bytes per ns = GB/s
        rows.append(
            f"| {fmt_n(n)} | {fmt_n(nbytes)} | {fmt_ci(k)} | {fmt_ci(c)} | {fmt_ci(f)} | "
            f"{fmt_ratio(k, c)} | {fmt_ratio(k, f)} | {gib * 1e9 / 2**30:.1f} GiB/s |"
        )
    table(
        lines,
        "| sections | bytes copied | klpelf | kernel-c | floor | klpelf / kernel-c | "
        "klpelf / floor | klpelf throughput |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        rows,
    )


def target_row(n, k, c, f):
    """((not slower, faster, within the floor limit), the table row) at n sections."""
    slower_ok, rounds = rounds_where(k, c, lambda x, y: x.lo <= y.hi)
    faster_ok, _ = rounds_where(k, c, lambda x, y: x.hi < y.lo)
    not_slower = 2 * slower_ok > rounds
    faster = 2 * faster_ok > rounds
    floor_ok = ratio(k, f) <= FLOOR_LIMIT
    faster_cell = f"{faster_ok}/{rounds} rounds: " + (
        verdict(faster) if n <= 4096 else ("yes" if faster else "no") + " (not wanted)"
    )
    floor_cell = (
        f"{ratio(k, f):.2f}×: {verdict(floor_ok)}"
        if n >= 4096
        else f"{ratio(k, f):.2f}× (not wanted)"
    )
    row = (
        f"| {fmt_n(n)} | {slower_ok}/{rounds} rounds: {verdict(not_slower)} | "
        f"{faster_cell} | {floor_cell} |"
    )
    return (not_slower, faster, floor_ok), row


def copy_targets(est, lines):
    """Appends the targets table; returns {sections: (not slower, faster, floor ok)}."""
    lines.append("### Targets\n")
    lines.append(
        "Checked round by round, on criterion's 95% confidence intervals of the two medians of "
        "that round; a target holds when it holds in most rounds.\n"
    )
    results = {}
    rows = []
    for n in COPY_SIZES:
        k, c, f = at(est, COPY_VARIANTS, n)
        if k and c and f:
            results[n], row = target_row(n, k, c, f)
            rows.append(row)
    table(
        lines,
        "| sections | not slower than kernel-c (CIs overlap or favour klpelf) | measurably "
        "faster than kernel-c (CIs apart), wanted up to 4,096 | ≤ 1.10× floor (median ratio), "
        "wanted from 4,096 up |",
        "|---:|---|---|---|",
        rows,
    )
    return results


def copy_section(est, lines):
    """Appends the times and the targets; returns the targets as copy_targets does."""
    copy_times(est, lines)
    return copy_targets(est, lines)


def copy_linearity(est, lines):
    """Appends the linearity table of the copy group, against the floor from 4,096 up."""
    linearity_section(
        "copy, median time per section",
        est,
        COPY_VARIANTS,
        COPY_SIZES,
        COPY_SIZES,
        lines,
        "Time divided by the section count, and the exponent *k* in time ∝ n^k between "
        "neighbouring sizes (1 is linear). The work is two `memcpy`s of n·64 + ~21·n bytes; "
        "below 256 sections the fixed cost of the allocations and the call dominates (k < 1), "
        "and as the tables outgrow L2 (4,096 → 65,279) and L3, and need fresh pages from the "
        "kernel (1,000,000), each byte costs more: memory-bound, not a growing algorithm. Below "
        "4,096 sections klpelf's fixed cost per call (the C boundary, one allocation) still "
        "shows in its ratio to the floor. At 1,000,000 klpelf's block (85 MB) is past 32 MiB, "
        "from which its default allocator maps blocks itself, populated at once and with huge "
        "pages where the kernel allows, while the floor's and kernel-c's `malloc` fault their "
        "pages in one at a time.",
        against=("klpelf", "floor", 4096),
    )
