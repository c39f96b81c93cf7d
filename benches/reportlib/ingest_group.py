"""The ingest and pipeline groups' part of the report: klpelf_setup_load_info against libelf and
goblin on two compiled objects, and the whole setup → prepare → copy → release per module."""

from reportlib.fmt import fmt_ci, fmt_n, fmt_ratio, fmt_time, table, verdict
from reportlib.groups import INGEST_LIMIT, INGEST_OBJECTS, INGEST_VARIANTS
from reportlib.linearity import linearity_section
from reportlib.stats import at, ratio


def ingest_intro(lines):
    lines.append("## ingest: from image bytes to a filled `load_info`\n")
    lines.append(
        "`klpelf` is `klpelf_setup_load_info` (the kernel's ELF checks, the "
        "bounds checks the kernel lacks, and every `load_info` index). `libelf` is elfutils "
        "libelf doing the same finding: `elf_memory`, `elf_getshdrnum`, `elf_getshdrstrndx`, one "
        "pass over the sections for the symbol table, `.modinfo`, `.gnu.linkonce.this_module` "
        "and `__versions`, then `elf_end`; it checks far less than klpelf. `goblin` is "
        "`goblin::elf::Elf::parse` plus the same pass. Before timing, the bench checks that all "
        "three find the same sections.\n"
    )
    lines.append(
        "Objects, compiled at bench time by the system C compiler (`tests/fixtures/bench/`): "
        "`module` is a kbuild-shaped livepatch module (`-ffunction-sections -fdata-sections`, "
        "`.modinfo` with `livepatch=Y`, `__versions`, `.gnu.linkonce.this_module`, "
        "`.init.text`/`.exit.text`); `many` is assembled with `.rept` and a macro using `\\@` "
        "for unique section names: one `.text.*` section and one global function symbol per "
        "section, 65,279 sections, the most plain ELF numbering allows.\n"
    )


def ingest_row(obj, k, lib, gob, size):
    """(the target's verdict, None without libelf; the table row) of one object."""
    n = k.throughput.get("Elements", 0)
    size_cell = f"{size / 1024:.0f} KiB" if size else ""
    r_lib = fmt_ratio(k, lib) if lib else "n/a"
    r_gob = fmt_ratio(k, gob) if gob else "n/a"
    ok = lib is not None and ratio(k, lib) <= INGEST_LIMIT
    row = (
        f"| {obj} | {fmt_n(n)} | {size_cell} | {fmt_ci(k)} | "
        f"{fmt_ci(lib) if lib else 'not built (no libelf-dev)'} | "
        f"{fmt_ci(gob) if gob else ''} | {r_lib} | {r_gob} | "
        f"{verdict(ok) if lib else 'not measured'} |"
    )
    return (ok if lib else None), row


def ingest_section(est, lines, objects):
    """Appends the ingest table; `objects` is {object: size}. Returns {object: target holds},
    None where libelf was not measured."""
    ingest_intro(lines)
    results = {}
    rows = []
    for obj in INGEST_OBJECTS:
        k, lib, gob = at(est, INGEST_VARIANTS, obj)
        if k:
            results[obj], row = ingest_row(obj, k, lib, gob, objects.get(obj))
        else:
            row = f"| {obj} | | | (missing) | | | | | |"
        rows.append(row)
    table(
        lines,
        "| object | sections | size | klpelf | libelf | goblin | klpelf / libelf | "
        "klpelf / goblin | target ≤ 0.5× libelf |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        rows,
    )
    return results


def ingest_linearity(est, lines):
    """Appends the linearity table of the ingest group, the objects' section counts as n."""
    module_sections, many_sections = (
        est[("klpelf", o)].throughput.get("Elements", 1) if ("klpelf", o) in est else 1
        for o in INGEST_OBJECTS
    )
    linearity_section(
        "ingest, median time per section",
        est,
        INGEST_VARIANTS,
        INGEST_OBJECTS,
        [module_sections, many_sections],
        lines,
        "The two objects differ in everything that is counted (sections, symbols, names), "
        "so the exponent compares cost per section between a small and a huge object.",
    )


def pipeline_section(est, ingest, lines):
    """Appends the pipeline table, with the share of klpelf's ingest time in it."""
    lines.append("## pipeline: setup → prepare → copy → release, per module\n")
    lines.append(
        "`klpelf_setup_load_info`, `klpelf_prepare_module` (name, livepatch flag, the full "
        "`core_kallsyms` copy of the symbol and string tables), `copy_module_elf`, then "
        "`klpelf_release_module`, on the ingest group's objects.\n"
    )
    rows = []
    for obj in INGEST_OBJECTS:
        p = est.get(("klpelf", obj))
        if not p:
            rows.append(f"| {obj} | | (missing) | | |")
            continue
        n = p.throughput.get("Elements", 0)
        s = ingest.get(("klpelf", obj))
        share = f"{100 * ratio(s, p):.0f}%" if s else ""
        rows.append(f"| {obj} | {fmt_n(n)} | {fmt_ci(p)} | {fmt_time(p.median / n)} | {share} |")
    table(
        lines,
        "| object | sections | pipeline | per section | setup alone (ingest group, same round) "
        "/ pipeline |",
        "|---|---:|---:|---:|---:|",
        rows,
    )
