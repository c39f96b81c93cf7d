#!/usr/bin/env python3
"""ctest driver for klpelf-inspect's relocation pre-flight (--resolve MAP --relocs).

cmake/InspectTests.cmake registers one test per mode, inspect_<mode>:
  relocs         the compiler-made module tests/fixtures/klp_relocs.c (every x86-64 relocation
                 type) against maps written here: every relocation's value and verdict as this
                 script computes them from readelf's reading of the module, text and JSON; a map
                 that makes the kernel refuse (exit 1, the kernel's words), a placement far from the
                 kernel (truncation warnings; --strict refuses), a symbol that does not resolve, and
                 usage errors
  kbuild_relocs  real modules built with kbuild (tests/fixtures/kbuild/relocs: a livepatch module
                 with .klp.rela.vmlinux.* and .klp.rela.klpelf_target.* sections, and klpelf_target)
                 converted by klp_convert; a kallsyms-format map is written from the running
                 kernel's /proc/kallsyms (or the headers' kernel's System.map) and klpelf_target's
                 symbols as if it were loaded; the pre-flight against it, checked as above. The C
                 test c_livepatch_relocs_kbuild applies the same module against the same map.
Without kernel headers, or without a real kallsyms map, kbuild_relocs prints "skipped: <why>".
"""
import os
import pathlib
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import (drive, expect, expect_in, fresh_dir, inspect_json,  # noqa: E402
                    inspect_text, run, skip)
from inspect_test import NO_HEADERS, find_system_map, kbuild, kbuild_setup  # noqa: E402

BASE = 0xffffffffc0000000  # klpelf-inspect's default: the x86-64 module area
TARGET_BASE = 0xffffffffc1000000  # where this script "loads" klpelf_target for the map
KLP_SYM = re.compile(r"\.klp\.sym\.([^.]+)\.([^,]+),([0-9]+)")
SIZES = {"R_X86_64_64": 8, "R_X86_64_PC64": 8, "R_X86_64_32": 4, "R_X86_64_32S": 4,
         "R_X86_64_PC32": 4, "R_X86_64_PLT32": 4, "R_X86_64_NONE": 0}
MASK64 = (1 << 64) - 1

# The compiler-made fixture's symbols (c_tests/support/test_map.c has the same addresses).
FIXTURE_MAP = ("ffffffff81000000 T _stext\n"
               "ffffffff81785530 t cmdline_proc_show\n"
               "ffffffff81756450 t load_elf_binary\n"
               "{elf2} t load_elf_binary\n"
               "ffffffff81004000 t helper.isra.0\n"
               "ffffffffc0001000 t helper\t[ext4]\n"
               "ffffffffc0002000 T ext4_fill_super\t[ext4]\n"
               "ffffffffc0003000 t helper\t[ext4]\n")


# ---- this script's reading of a module (readelf) and of a map --------------------------------

def sections(path):
    """[(index, name, flags, size, align, info)] of every section, as readelf -S -W lists them."""
    out = []
    row = re.compile(r"\s*\[\s*(\d+)\]\s(.*?)\s+\S+\s+[0-9a-f]{16}\s+[0-9a-f]+\s+([0-9a-f]+)\s+"
                     r"[0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+(\d+)\s+(\d+)$")
    for line in run(["readelf", "-S", "-W", path], 0).stdout.splitlines():
        m = row.match(line)
        if m:
            out.append((int(m.group(1)), m.group(2), m.group(4), int(m.group(3), 16),
                        int(m.group(6)), int(m.group(5))))
    return out


# The sections whose SHF_ALLOC the kernel's loader clears (rewrite_section_headers()).
UNPLACED = ("__versions", ".modinfo", "__version_ext_crcs", "__version_ext_names")


def placement(path, base):
    """{index: address}: the SHF_ALLOC sections with bytes that the loader keeps, from base in
    index order, each at the next multiple of its alignment (what docs/inspect.md says
    klpelf-inspect does)."""
    places, nxt = {}, base
    for index, name, flags, size, align, _ in sections(path):
        if "A" in flags and size and name not in UNPLACED:
            align = align or 1
            nxt = (nxt + align - 1) // align * align
            places[index] = nxt
            nxt += size
    return places


def klp_relocations(path):
    """{section name: [(offset, type, symbol, addend)]} of the .klp.rela sections (readelf -r)."""
    out, current = {}, None
    head = re.compile(r"Relocation section '([^']+)'")
    entry = re.compile(r"([0-9a-f]+)\s+[0-9a-f]+\s+(R_X86_64_\w+)\s+[0-9a-f]+\s+(.+?) ([+-]) "
                       r"([0-9a-f]+)$")
    for line in run(["readelf", "-r", "-W", path], 0).stdout.splitlines():
        m = head.match(line)
        if m:
            current = m.group(1) if m.group(1).startswith(".klp.rela.") else None
            if current:
                out[current] = []
            continue
        m = entry.match(line)
        if current and m:
            addend = int(m.group(5), 16) * (1 if m.group(4) == "+" else -1)
            out[current].append((int(m.group(1), 16), m.group(2), m.group(3), addend))
    return out


def map_address(path, klp_sym):
    """The address the kernel's rules pick for a .klp.sym name in the map at path, or None."""
    obj, name, pos = KLP_SYM.fullmatch(klp_sym).groups()
    want_module = None if obj == "vmlinux" else f"[{obj}]"
    found = []
    with open(path, encoding="ascii", errors="replace") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 3 and fields[2] == name and \
                    (fields[3] if len(fields) > 3 else None) == want_module:
                found.append(int(fields[0], 16))
    pos = int(pos)
    if pos == 0:
        return found[0] if len(found) == 1 else None
    return found[pos - 1] if pos <= len(found) else None


def expected_value(rtype, s, addend, loc):
    """The psABI's value of a relocation (S + A, or S + A - P), all 64 bits."""
    value = (s + addend) & MASK64
    return (value - loc) & MASK64 if rtype in ("R_X86_64_PC32", "R_X86_64_PLT32",
                                              "R_X86_64_PC64") else value


# ---- the checks -------------------------------------------------------------------------------

def check_relocations(report, module, map_path, base):
    """Every relocation of the JSON report against this script's own computation. Returns the
    statuses seen, {status: count}."""
    relocs = report["relocs"]
    expect("relocs.base", relocs["base"], f"{base:#x}")
    places = placement(module, base)
    expected = klp_relocations(module)
    by_section = {}
    for rel in relocs["relocations"]:
        by_section.setdefault(rel["section"], []).append(rel)
    names = {index: name for index, name, *_ in sections(module)}
    infos = {index: info for index, _, _, _, _, info in sections(module)}
    expect("described sections", sorted(names[i] for i in by_section), sorted(expected))
    statuses = {}
    for index, rels in by_section.items():
        want = expected[names[index]]
        expect(f"{names[index]}: relocations", len(rels), len(want))
        for rel, (offset, rtype, symbol, addend) in zip(rels, want):
            what = f"{names[index]} #{rel['index']} ({rtype} {symbol})"
            loc = places[infos[index]] + offset
            s = map_address(map_path, symbol)
            expect(f"{what}: type", rel["type_name"], rtype)
            expect(f"{what}: symbol", rel["symbol"], symbol)
            expect(f"{what}: offset and addend", (rel["offset"], rel["addend"]), (offset, addend))
            expect(f"{what}: loc", rel["loc"], f"{loc:#x}")
            statuses[rel["status"]] = statuses.get(rel["status"], 0) + 1
            if s is None:
                expect(f"{what}: resolved", rel["resolved"], False)
                continue
            value = expected_value(rtype, s, addend, loc)
            size = SIZES[rtype] if rel["status"] not in ("overflow",) else 0
            expect(f"{what}: value", rel["value"], f"{value:#x}")
            expect(f"{what}: size", rel["size"], size)
            expect(f"{what}: written", rel["written"],
                   f"{value & ((1 << (8 * size)) - 1) if size == 4 else value:#x}")
    print(f"{module}: {len(relocs['relocations'])} relocations as computed here: {statuses}")
    return statuses


def write_fixture_map(args, name, elf2):
    path = os.path.join(args.work, f"{name}.map")
    pathlib.Path(path).write_text(FIXTURE_MAP.format(elf2=elf2), encoding="ascii")
    return path


def mode_relocs(args):
    fresh_dir(args.work)
    good = write_fixture_map(args, "good", "ffffffff817533a0")
    report = inspect_json(args, 0, "--resolve", good, "--relocs", args.fixture)
    statuses = check_relocations(report, args.fixture, good, BASE)
    expect("statuses on the good map", statuses, {"ok": 11, "none": 1})
    expect("objects", [(o["object"], o["error"]) for o in report["relocs"]["objects"]],
           [("vmlinux", 0), ("ext4", 0)])
    expect("refused", report["relocs"]["refused"], False)
    expect_in("the text report", inspect_text(args, 0, "--resolve", good, "--relocs", args.fixture),
              ["livepatch relocations, SHF_ALLOC sections placed from 0xffffffffc0000000",
               "12 relocation(s) in 3 section(s), 0 warning(s)", "applying for ext4: ok",
               "every relocation would apply"])

    # load_elf_binary,2 far from the kernel's text: R_X86_64_32S overflows, which the kernel
    # refuses; R_X86_64_PC32 to it does not fit either, which the kernel writes truncated.
    far = write_fixture_map(args, "far", "00007f0000001000")
    report = inspect_json(args, 1, "--resolve", far, "--relocs", args.fixture)
    statuses = check_relocations(report, args.fixture, far, BASE)
    expect("statuses on the far map", statuses, {"ok": 9, "none": 1, "truncated": 1, "overflow": 1})
    relocs = report["relocs"]
    expect("far map: refused", (relocs["refused"], relocs["error"], relocs["error_name"]),
           (True, -8, "ENOEXEC"))
    expect_in("far map: message", relocs["message"],
              ["vmlinux: overflow in relocation type 11", "likely not compiled with -mcmodel"])
    expect_in("far map: text", inspect_text(args, 1, "--resolve", far, "--relocs", args.fixture),
              ["the kernel would refuse this patch: vmlinux: overflow", "WARNING: does not fit"])

    # Placed at 4 GiB, far from the kernel: PC-relative references truncated; only --strict fails.
    report = inspect_json(args, 0, "--resolve", good, "--relocs", "--base", "0x100000000",
                          args.fixture)
    statuses = check_relocations(report, args.fixture, good, 0x100000000)
    expect("truncations at 4 GiB", statuses.get("truncated"), 6)
    expect("warnings", report["relocs"]["warnings"], 6)
    report = inspect_json(args, 1, "--resolve", good, "--relocs", "--strict", "--base",
                          "0x100000000", args.fixture)
    expect("--strict: refused, no kernel error", (report["relocs"]["refused"],
                                                  report["relocs"]["error"]), (True, 0))
    expect_in("--strict: text", inspect_text(args, 1, "--resolve", good, "--relocs", "--strict",
                                             "--base", "0x100000000", args.fixture),
              ["refused with --strict: 6 relocation(s) would be truncated"])
    check_unresolved_and_usage(args)


def check_unresolved_and_usage(args):
    """A map without helper.isra.0: the resolver's failure is the kernel's first; usage errors."""
    missing = os.path.join(args.work, "missing.map")
    pathlib.Path(missing).write_text(FIXTURE_MAP.format(elf2="ffffffff817533a0").replace(
        "ffffffff81004000 t helper.isra.0\n", ""), encoding="ascii")
    report = inspect_json(args, 1, "--resolve", missing, "--relocs", args.fixture)
    relocs = report["relocs"]
    unresolved = [r for r in relocs["relocations"] if not r["resolved"]]
    expect("unresolved relocations", [r["symbol"] for r in unresolved],
           [".klp.sym.vmlinux.helper.isra.0,0"])
    expect_in("missing map: message", relocs["message"],
              ["vmlinux:", "symbol 'helper.isra.0' not found in symbol table"])
    run([args.inspect, "--relocs", args.fixture], 2)
    run([args.inspect, "--resolve", missing, "--relocs", "--base", "zz", args.fixture], 2)


# ---- kbuild --------------------------------------------------------------------------------------

def real_kallsyms(work):
    """A real map of vmlinux (this script's choice: /proc/kallsyms when it shows addresses and
    the symbols the module uses, else the headers' kernel's System.map), or None."""
    try:
        text = pathlib.Path("/proc/kallsyms").read_text(encoding="ascii", errors="replace")
    except OSError:
        text = ""
    if re.search(r"^[0-9a-f]*[1-9a-f][0-9a-f]* t cmdline_proc_show$", text, re.M) and \
            re.search(r"^[0-9a-f]+ T schedule$", text, re.M):
        return text
    version = pathlib.Path(work, "kernel-version").read_text(encoding="ascii")
    system_map = find_system_map(version)
    return pathlib.Path(system_map).read_text(encoding="ascii") if system_map else None


def target_lines(target_ko):
    """klpelf_target's symbols in /proc/kallsyms's format, as if loaded at TARGET_BASE."""
    places = placement(target_ko, TARGET_BASE)
    lines = []
    row = re.compile(r"\s*\d+:\s+([0-9a-f]+)\s+\d+\s+(FUNC|OBJECT)\s+\w+\s+\w+\s+(\d+)\s+(\S+)$")
    for line in run(["readelf", "-s", "-W", target_ko], 0).stdout.splitlines():
        m = row.match(line)
        if m and int(m.group(3)) in places:
            letter = "t" if m.group(2) == "FUNC" else "d"
            addr = places[int(m.group(3))] + int(m.group(1), 16)
            lines.append(f"{addr:016x} {letter} {m.group(4)}\t[klpelf_target]\n")
    return "".join(lines)


def mode_kbuild_relocs(args):
    found = kbuild_setup(os.path.join(args.kbuild_sources, "relocs"), args.work)
    if not found:
        return skip(NO_HEADERS)
    kdir, version = found
    work = args.work
    pathlib.Path(work, "kernel-version").write_text(version, encoding="ascii")
    kbuild(kdir, work)
    module = os.path.join(work, "klpelf_relocs_klp.ko")
    run([args.klp_convert, os.path.join(work, "klpelf_relocs.ko"), module], 0)
    vmlinux = real_kallsyms(work)
    if vmlinux is None:
        return skip(f"no real kallsyms: /proc/kallsyms hides addresses and there is no System.map "
                    f"for {version}")
    map_path = os.path.join(work, "kallsyms")
    pathlib.Path(map_path).write_text(
        vmlinux + target_lines(os.path.join(work, "klpelf_target.ko")), encoding="ascii")
    report = inspect_json(args, 0, "--resolve", map_path, "--relocs", module)
    statuses = check_relocations(report, module, map_path, BASE)
    expect("statuses of the real module", statuses, {"ok": 12, "none": 1})
    expect("objects", [(o["object"], o["error"]) for o in report["relocs"]["objects"]],
           [("vmlinux", 0), ("klpelf_target", 0)])
    expect_in("the text report", inspect_text(args, 0, "--resolve", map_path, "--relocs", module),
              ["13 relocation(s) in 4 section(s), 0 warning(s)", "every relocation would apply"])


MODES = {"relocs": mode_relocs, "kbuild_relocs": mode_kbuild_relocs}


def main():
    return drive(__doc__, MODES, [
        ("--inspect", "the klpelf-inspect program"),
        ("--klp-convert", "the klp_convert program"),
        ("--fixture", "klp_relocs.o, converted"),
        ("--kbuild-sources", "tests/fixtures/kbuild"),
        ("--work", "this test's own directory")])


if __name__ == "__main__":
    sys.exit(main())
