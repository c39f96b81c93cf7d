"""The relocs group's part of the report: applying and clearing 100,000 livepatch relocations
with klpelf's relocation step (`klpelf`) and public API (`klpelf-api`) against the kernel's own
`__write_relocate_add()` (`kernel`), on the same buffers."""

from reportlib.fmt import fmt_ci, fmt_n, fmt_ratio, fmt_time, table, verdict
from reportlib.groups import RELOCS_COUNT, RELOCS_LIMIT, RELOCS_VARIANTS
from reportlib.stats import at, ratio


def relocs_intro(lines):
    lines.append("## relocs: apply + clear 100,000 livepatch relocations\n")
    lines.append(
        "One section of 100,000 relocations against 1,000 livepatch symbols, the seven types the "
        "kernel writes in turn (`R_X86_64_64`, `_PC32`, `_PLT32`, `_32S`, `_PC64`, `_32`, "
        "`_NONE`), each into its own 8 bytes of an 800 KB target; an iteration applies them all "
        "and clears them all, so the target is zero again. `kernel` is the kernel's own "
        "`__write_relocate_add()`, cut from `arch/x86/kernel/module.c` of a kernel source "
        "(`KLPELF_KERNEL_SRC`, or the oracle's download) and compiled unmodified, `-O2` as the "
        "kernel builds (`benches/support/c/kernel_relocs.c`), writing with `memcpy` as for a "
        "module being loaded; the symbols are resolved beforehand. `klpelf` is klpelf's "
        "relocation step (`klpelf::relocate::write_section`), the same work with its bounds "
        "checks, through the caller's placement with plain stores. `klpelf-api` is what a loader "
        "calls: `klpelf_klp_apply_object_relocs()`, which also checks the section's name and "
        "resolves every relocation's symbol through a resolver callback (the kernel's "
        "`klp_resolve_symbols()` does that too, with `sscanf` and a kallsyms search per "
        "relocation, which `kernel` does not include), and `klpelf_klp_clear_object_relocs()`. "
        "Before timing, the bench checks that all three write the same bytes into the same "
        "buffers.\n"
    )


def relocs_section(est, lines):
    """Appends the relocs table. Returns whether the target holds, None when the kernel's
    function was not measured."""
    relocs_intro(lines)
    kernel, klpelf, api = at(est, RELOCS_VARIANTS, RELOCS_COUNT)
    if not klpelf:
        lines.append("(not measured)\n")
        return None
    n = klpelf.throughput.get("Elements", RELOCS_COUNT)
    ok = kernel is not None and ratio(klpelf, kernel) <= RELOCS_LIMIT
    rows = [
        f"| {fmt_n(n)} | {fmt_ci(kernel) if kernel else 'not built (no kernel source)'} | "
        f"{fmt_ci(klpelf)} | {fmt_ci(api) if api else ''} | "
        f"{fmt_ratio(klpelf, kernel) if kernel else 'n/a'} | "
        f"{fmt_ratio(api, kernel) if kernel and api else 'n/a'} | "
        f"{fmt_time(klpelf.median / n)} | {verdict(ok) if kernel else 'not measured'} |"
    ]
    table(
        lines,
        "| relocations | kernel | klpelf | klpelf-api | klpelf / kernel | klpelf-api / kernel | "
        "klpelf per relocation (apply + clear) | target ≤ 1.0× kernel |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
        rows,
    )
    return ok if kernel else None
