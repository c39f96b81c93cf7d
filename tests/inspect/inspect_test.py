#!/usr/bin/env python3
"""ctest driver for the tests of klpelf-inspect and of the test tool klp_convert.

cmake/InspectTests.cmake registers one test per mode, inspect_<mode>:
  sample          the built-in sample livepatch module, as text and as JSON, checked against readelf
  corrupt         a truncated object: the kernel's verdict and the check that gave it, exit status 1
  resolve         --resolve on the sample against maps written here: each reference resolves to the
                  address written; a missing or ambiguous symbol and a bad map fail with exit
                  status 1 and the kernel's wording
  kallsyms        --resolve against /proc/kallsyms, compared with this script's own scan of it
  kbuild          real modules built with kbuild (plain, livepatch, a signed copy) checked against
                  readelf, and the livepatch module converted by klp_convert
  kbuild_resolve  --resolve on that converted module against its kernel's System.map, compared
                  with this script's own scan of the map
  klp_convert     klp_convert on broken inputs (truncated, mutated, wrong kind): it refuses each
                  with exit status 1 and a message, and never crashes
A test that cannot run here (no kernel headers, no readable /proc/kallsyms, no real System.map)
prints "skipped: <why>" and exits 0; ctest reports it as skipped. A failed check prints what
differed and exits 1.
"""
import functools
import glob
import os
import pathlib
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import (Failure, drive, expect, expect_in, fail, fresh_dir,  # noqa: E402,F401
                    inspect_json, inspect_text, run, skip)

# The sample's .klp.sym symbols (tools/sample_livepatch.c) and the kbuild module's
# (tests/fixtures/kbuild/livepatch/klpelf_livepatch.c).
SAMPLE_KLP_SYMBOLS = [".klp.sym.vmlinux.cmdline_proc_show,0", ".klp.sym.vmlinux.load_elf_binary,1"]
KBUILD_KLP_SYMBOLS = [".klp.sym.vmlinux.cmdline_proc_show,0",
                      ".klp.sym.vmlinux.load_elf_binary,2",
                      ".klp.sym.vmlinux.saved_command_line,0"]
KLP_SYM = re.compile(r"\.klp\.sym\.([^.]+)\.([^,]+),([0-9]+)")
KLP_RELA_SECTION = ".klp.rela.vmlinux..rodata.klp_refs"


# ---- readelf, the independent reading of each object --------------------------------------------

def readelf_sections(path):
    """The (name, type) of each section of an object, as `readelf -S -W` lists them."""
    sections = []
    for line in run(["readelf", "-S", "-W", path], 0).stdout.splitlines():
        row = re.match(r"  \[ *[0-9]+\] (.*)$", line)
        if row:
            fields = re.match(r"([^ ]*) +(\S+) ", row.group(1))
            if not fields:
                fail(f"readelf -S {path}: cannot read {line!r}")
            sections.append((fields.group(1), fields.group(2)))
    return sections


def check_against_readelf(args, path, livepatch):
    """Runs klpelf-inspect --json on path and checks every index and section against readelf."""
    report = inspect_json(args, 0, path)
    elf = readelf_sections(path)
    names = [name for name, _ in elf]
    types = [type_ for _, type_ in elf]
    expect(f"{path}: accepted", report["accepted"], True)
    expect(f"{path}: section_count", report["section_count"], len(elf))
    expect(f"{path}: livepatch", report["livepatch"], livepatch)
    symtab = types.index("SYMTAB") if "SYMTAB" in types else -1

    def first(name):  # the index of the first section named name, 0 when there is none
        return names.index(name) if name in names else 0

    indices = {"sym": symtab, "str": first(".strtab"), "mod": first(".gnu.linkonce.this_module"),
               "vers": first("__versions"), "info": first(".modinfo"),
               "pcpu": first(".data..percpu")}
    for key, want in indices.items():
        expect(f"{path}: index.{key}", report["index"][key], want)
    expect(f"{path}: symndx", report["symndx"], symtab)
    for i, (name, type_) in enumerate(elf):
        section = report["sections"][i]
        expect(f"{path}: section {i} name", section["name"], name)
        if section["type"] != "OTHER":
            expect(f"{path}: section {i} type", section["type"], type_)
    print(f"{path}: {len(elf)} sections, every index matches readelf")
    return report


def section_named(report, name):
    """The section named name in a JSON report, or fails."""
    for section in report["sections"]:
        if section["name"] == name:
            return section
    return fail(f"{report['file']} has no section {name}")


# ---- symbol maps, scanned by this script ---------------------------------------------------------

@functools.lru_cache(maxsize=None)
def map_addresses(path):
    """This script's own scan of a System.map or /proc/kallsyms: each vmlinux symbol (lines
    without [module]) and its addresses, in file order."""
    table = {}
    with open(path, encoding="ascii", errors="replace") as f:
        for line in f:
            m = re.fullmatch(r"([0-9a-fA-F]+) [A-Za-z] ([^\t]+)", line.rstrip("\n"))
            if m:
                table.setdefault(m.group(2), []).append(int(m.group(1), 16))
    return table


def expected_address(path, name, sympos):
    """The address the kernel's rules pick for name at sympos in the scan of the map at path, or
    None when the scan says it does not resolve (absent, ambiguous, no such position, address 0)."""
    addrs = map_addresses(path).get(name, [])
    want = None
    if sympos == 0 and len(addrs) == 1:
        want = addrs[0]
    elif 0 < sympos <= len(addrs):
        want = addrs[sympos - 1]
    return want or None


def check_references(report, map_path, klp_symbols):
    """Checks the "resolve" object of a JSON report: each reference's object, name and position
    agree with its .klp.sym name; each resolves (or not) as the scan of the map says, to the
    address it finds; the references are the module's klp_symbols. Returns how many do not
    resolve."""
    references = report["resolve"]["references"]
    expect("number of .klp.sym references", len(references), len(klp_symbols))
    unresolved = 0
    for ref in references:
        symbol = ref["symbol"]
        parts = KLP_SYM.fullmatch(symbol)
        if not parts:
            fail(f"{symbol!r} is not a .klp.sym name")
        expect(f"{symbol}: object", ref["object"], parts.group(1))
        expect(f"{symbol}: name", ref["name"], parts.group(2))
        expect(f"{symbol}: sympos", ref["sympos"], int(parts.group(3)))
        expect(f"{symbol}: object (all of these patch vmlinux)", ref["object"], "vmlinux")
        want = expected_address(map_path, ref["name"], ref["sympos"])
        if want is None:
            expect(f"{symbol}: resolved", ref["resolved"], False)
            unresolved += 1
        else:
            expect(f"{symbol}: resolved", ref["resolved"], True)
            expect(f"{symbol}: address", ref["address"], f"{want:#x}")
            print(f"{symbol} -> {ref['address']} (the scan of {map_path}: {want:#x})")
    expect("the module's .klp.sym symbols", sorted(r["symbol"] for r in references),
           sorted(klp_symbols))
    expect("resolve.unresolved", report["resolve"]["unresolved"], unresolved)
    return unresolved


def reference(report, symbol):
    """The reference named symbol in a JSON report's "resolve" object, or fails."""
    for ref in report["resolve"]["references"]:
        if ref["symbol"] == symbol:
            return ref
    return fail(f"no reference {symbol} in the report")


# ---- the modes -----------------------------------------------------------------------------------

def mode_sample(args):
    text = inspect_text(args, 0, "--sample")
    for want in (r"module: +klpelf_sample", r"livepatch: +yes", "<- livepatch relocations",
                 "persisted sh_addr points at core_kallsyms.symtab"):
        if not re.search(want, text):
            fail(f"the sample's report lacks {want!r}:\n{text}")
    report = check_against_readelf(args, args.sample, True)
    klp = section_named(report, KLP_RELA_SECTION)
    rela = section_named(report, ".rela.rodata.klp_refs")
    expect("the sample's .klp.rela section is flagged SHF_RELA_LIVEPATCH",
           klp["livepatch_relocations"], True)
    expect("the sample's .klp.rela section: type", klp["type"], "RELA")
    expect("the sample's .klp.rela section: flags", klp["flags"], "AIo")
    expect("the sample's .klp.rela section: two Elf64_Rela entries", klp["size"], 48)
    expect("klp_convert emptied .rela.rodata.klp_refs", rela["size"], 0)
    relocs = run(["readelf", "-r", "-W", args.sample], 0).stdout
    for sym in SAMPLE_KLP_SYMBOLS:
        if not re.search(rf"R_X86_64_64 +0+ {re.escape(sym)} \+ 0", relocs):
            fail(f"readelf lists no relocation against {sym}:\n{relocs}")
    symbols = run(["readelf", "-s", "-W", args.sample], 0).stdout
    expect("SHN_LIVEPATCH symbols in the sample (readelf)",
           len(re.findall(r"\[0xff20\] \.klp\.sym\.", symbols)), 2)


def mode_corrupt(args):
    fresh_dir(args.work)
    corrupt = os.path.join(args.work, "truncated.o")
    pathlib.Path(corrupt).write_bytes(pathlib.Path(args.sample).read_bytes()[:200])
    text = inspect_text(args, 1, corrupt)
    report = inspect_json(args, 1, corrupt)
    expect("truncated: accepted", report["accepted"], False)
    expect("truncated: error", report["error"], -8)
    expect("truncated: error_name", report["error_name"], "ENOEXEC")
    run([args.inspect, os.path.join(args.work, "does-not-exist.ko")], 2)
    # The section header table runs past the end of the file: the check that says so, by its code.
    wrong = []
    verdict = f"{corrupt}: rejected by klpelf_setup_load_info: ENOEXEC (-8) [sechdrs_overflow]: "
    if verdict not in text:
        wrong.append(f"the text verdict lacks {verdict!r}:\n{text}")
    if report.get("check") != "sechdrs_overflow":
        wrong.append(f"JSON check: got {report.get('check')!r}, expected 'sechdrs_overflow'")
    if wrong:
        fail("\n".join(wrong))


# System.map lines and /proc/kallsyms lines (a [module] after a tab); the second load_elf_binary
# has the lower address: positions count in file order.
GOOD_MAP = ("ffffffff81000000 T _stext\n"
            "ffffffff81756450 t load_elf_binary\n"
            "ffffffff817533a0 t load_elf_binary\n"
            "ffffffff81785530 t cmdline_proc_show\n"
            "ffffffffc0001000 t cmdline_proc_show\t[ext4]\n")
# Maps on which one symbol does not resolve: the map, the symbol, the kernel's words.
FAILING_MAPS = [
    ("missing", "ffffffff81785530 t cmdline_proc_show\n"
                "ffffffffc0001000 t load_elf_binary\t[binfmt_misc]\n",
     ".klp.sym.vmlinux.load_elf_binary,1",
     "symbol 'load_elf_binary' not found in symbol table"),
    ("ambiguous", "ffffffff81756450 t load_elf_binary\n"
                  "ffffffff81785530 t cmdline_proc_show\n"
                  "ffffffff81785900 t cmdline_proc_show\n",
     ".klp.sym.vmlinux.cmdline_proc_show,0",
     "unresolvable ambiguity for symbol 'cmdline_proc_show' in object 'vmlinux' (2 candidates)"),
    ("zero", "0000000000000000 t load_elf_binary\n"
             "ffffffff81785530 t cmdline_proc_show\n",
     ".klp.sym.vmlinux.load_elf_binary,1",
     "symbol 'load_elf_binary' not found in symbol table"),
]


def mode_resolve(args):
    fresh_dir(args.work)
    good = os.path.join(args.work, "good.map")
    pathlib.Path(good).write_text(GOOD_MAP, encoding="ascii")
    report = inspect_json(args, 0, "--sample", "--resolve", good)
    expect("good map: unresolved", check_references(report, good, SAMPLE_KLP_SYMBOLS), 0)
    expect("load_elf_binary,1 is the first line's",
           reference(report, ".klp.sym.vmlinux.load_elf_binary,1")["address"],
           "0xffffffff81756450")
    expect("cmdline_proc_show,0 is vmlinux's, not ext4's",
           reference(report, ".klp.sym.vmlinux.cmdline_proc_show,0")["address"],
           "0xffffffff81785530")
    expect("good map: walk_sections", report["resolve"]["walk_sections"], 1)
    expect("good map: walk_error", report["resolve"]["walk_error"], None)
    expect("good map: map", report["resolve"]["map"], good)
    expect_in("the --resolve report", inspect_text(args, 0, "--sample", "--resolve", good), [
        "livepatch symbols resolved against",
        "load_elf_binary pos 1 -> 0xffffffff81756450",
        "cmdline_proc_show pos 0 -> 0xffffffff81785530",
        "2 of 2 resolved; relocation walk over 1 section(s) wrote 2 address(es), as listed"])
    for which, contents, symbol, words in FAILING_MAPS:
        check_failing_map(args, which, contents, symbol, words)

    # A map that is not a symbol map, and one that does not exist.
    bad = os.path.join(args.work, "bad.map")
    pathlib.Path(bad).write_text("ffffffff81785530 t cmdline_proc_show\nthis is not a symbol map\n",
                                 encoding="ascii")
    # Neither gives a report: the run stops with exit status 2 and says why on standard error.
    done = run([args.inspect, "--json", "--sample", "--resolve", bad], 2)
    expect("bad map: standard output", done.stdout, "")
    expect_in("bad map: the message", done.stderr,
              [f"map file {bad}: symbol map line 2 is not 'address type name [module]' (EINVAL)"])
    missing = os.path.join(args.work, "no-such.map")
    done = run([args.inspect, "--json", "--sample", "--resolve", missing], 2)
    expect_in("missing map file: the message", done.stderr,
              [f"map file {missing}: No such file or directory (ENOENT)"])


def check_failing_map(args, which, contents, symbol, words):
    """A map on which symbol does not resolve: exit status 1, the kernel's words, no walk."""
    path = os.path.join(args.work, f"{which}.map")
    pathlib.Path(path).write_text(contents, encoding="ascii")
    report = inspect_json(args, 1, "--sample", "--resolve", path)
    expect(f"{which} map: unresolved", check_references(report, path, SAMPLE_KLP_SYMBOLS), 1)
    ref = reference(report, symbol)
    expect(f"{which} map: {symbol} resolved", ref["resolved"], False)
    if words not in ref["error"]:
        fail(f"{which} map: the error for {symbol} is {ref['error']!r}, not {words!r}")
    expect(f"{which} map: no walk when a symbol does not resolve",
           report["resolve"]["walk_sections"], 0)
    expect_in(f"{which} map: the text report", inspect_text(args, 1, "--sample", "--resolve", path),
              [f"UNRESOLVED: {words}", "1 of 2 resolved; the kernel would refuse this patch"])
    print(f"{which} map: {symbol}: {ref['error']}")


def mode_kallsyms(args):
    kallsyms = "/proc/kallsyms"
    try:
        with open(kallsyms, encoding="ascii", errors="replace") as f:
            lines = [line for line in f if re.match(r"[0-9a-fA-F]+ ", line)]
    except OSError:
        lines = []
    if not lines:
        return skip(f"{kallsyms} is not readable here")
    if not any(re.match(r"0*[1-9a-fA-F][0-9a-fA-F]* ", line) for line in lines):
        return skip(f"{kallsyms} shows every address as 0 "
                    "(kernel.kptr_restrict, or not privileged)")
    for sym in SAMPLE_KLP_SYMBOLS:
        parts = KLP_SYM.fullmatch(sym)
        if expected_address(kallsyms, parts.group(2), int(parts.group(3))) is None:
            return skip(f"{sym} does not resolve in the running kernel's {kallsyms}")
    # The sample has no vermagic, which the running kernel would refuse without --force.
    report = inspect_json(args, 0, "--sample", "--force", "--resolve", kallsyms)
    expect("/proc/kallsyms: unresolved", check_references(report, kallsyms, SAMPLE_KLP_SYMBOLS), 0)
    expect("/proc/kallsyms: walk_error", report["resolve"]["walk_error"], None)


def find_kernel_headers():
    """The kbuild directory of the installed kernel headers and its kernel version, or None."""
    for kdir in sorted(glob.glob("/lib/modules/*/build")):
        return kdir, kdir.split("/")[3]  # /lib/modules/VERSION/build
    for kdir in sorted(glob.glob("/usr/src/linux-headers-*-amd64")):
        return kdir, kdir[len("/usr/src/linux-headers-"):]
    return None


def kbuild(kdir, directory):
    """Builds the modules in directory with the kbuild of kdir. Livepatch modules' .klp.sym.*
    symbols are undefined for modpost: warnings, not errors."""
    built = subprocess.run(["make", "-C", kdir, f"M={directory}", "KBUILD_MODPOST_WARN=1",
                            "modules"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", check=False)
    expect(f"kbuild of {directory}:\n{built.stdout}\nexit status", built.returncode, 0)


NO_HEADERS = "no kernel headers (install linux-headers-amd64 to build real modules)"


def kbuild_setup(sources, work):
    """(kbuild directory, kernel version) of the installed headers, or None; with headers, work
    is a fresh copy of sources."""
    found = find_kernel_headers()
    if found:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(sources, work)
    return found


def mode_kbuild(args):
    found = kbuild_setup(args.kbuild_sources, args.work)
    if not found:
        return skip(NO_HEADERS)
    kdir, kernel_version = found
    work = args.work
    for module in ("plain", "livepatch"):
        kbuild(kdir, f"{work}/{module}")
    plain = os.path.join(work, "plain", "klpelf_plain.ko")
    check_against_readelf(args, plain, False)
    check_against_readelf(args, os.path.join(work, "livepatch", "klpelf_livepatch.ko"), True)
    # Converted to the livepatch format; kbuild_resolve resolves it against the kernel's System.map.
    converted = os.path.join(work, "livepatch", "klpelf_livepatch_klp.ko")
    run([args.klp_convert, os.path.join(work, "livepatch", "klpelf_livepatch.ko"), converted], 0)
    klp = section_named(check_against_readelf(args, converted, True), KLP_RELA_SECTION)
    expect("kbuild module: the .klp.rela section is flagged", klp["livepatch_relocations"], True)
    expect("kbuild module: three Elf64_Rela entries", klp["size"], 72)
    pathlib.Path(work, "kernel-version").write_text(kernel_version, encoding="ascii")

    # Sign a copy with the kernel's own sign-file and a throwaway key.
    signed = os.path.join(work, "klpelf_plain_signed.ko")
    shutil.copyfile(plain, signed)
    key, cert = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
    run(["openssl", "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=klpelf-test", "-keyout", key, "-out", cert], 0)
    run([os.path.join(kdir, "scripts", "sign-file"), "sha256", key, cert, signed], 0)
    report = check_against_readelf(args, signed, False)
    unsigned_size = os.path.getsize(plain)
    expect("signed: ELF part", report["elf_size"], unsigned_size)
    expect("signed: signature offset", report["signature"]["sig_offset"], unsigned_size)
    expect("signed: PKCS#7 id type", report["signature"]["id_type"], 2)


def find_system_map(version):
    """A real System.map of the kernel version, or None. Debian's linux-image package ships a
    placeholder /boot/System.map; the real one is in the -dbg package, under /usr/lib/debug/boot
    (.ci/run extracts it). A real map lists _stext."""
    for candidate in (f"/boot/System.map-{version}", f"/usr/lib/debug/boot/System.map-{version}"):
        if os.path.exists(candidate):
            if map_addresses(candidate).get("_stext"):
                return candidate
            print(f"{candidate} is not a real System.map (Debian's placeholder?)")
    return None


def mode_kbuild_resolve(args):
    module = os.path.join(args.kbuild_work, "livepatch", "klpelf_livepatch_klp.ko")
    version_file = os.path.join(args.kbuild_work, "kernel-version")
    if not os.path.exists(module) or not os.path.exists(version_file):
        return skip("no converted kbuild livepatch module (inspect_kbuild found no kernel headers)")
    version = pathlib.Path(version_file).read_text(encoding="ascii")
    system_map = find_system_map(version)
    if not system_map:
        return skip(f"no System.map for kernel {version}, the headers' version (looked for "
                    f"/boot/System.map-{version} and /usr/lib/debug/boot/System.map-{version}; "
                    f".ci/run extracts it from linux-image-{version}-dbg)")
    print(f"resolving {module} against {system_map}")
    report = inspect_json(args, 0, "--resolve", system_map, module)
    expect("System.map: unresolved", check_references(report, system_map, KBUILD_KLP_SYMBOLS), 0)
    expect("System.map: walk_sections", report["resolve"]["walk_sections"], 1)
    expect("System.map: walk_error", report["resolve"]["walk_error"], None)
    expect_in("the --resolve report", inspect_text(args, 0, "--resolve", system_map, module), [
        "3 of 3 resolved; relocation walk over 1 section(s) wrote 3 address(es), as listed"])


def convert(args, data, allowed, what=None):
    """Runs klp_convert on an input (a path, or the bytes of a file, which `what` describes): the
    exit status must be one of allowed, never a crash, and a refusal (1) comes with a message.
    Returns what it printed on stderr."""
    path = data
    if isinstance(data, bytes):
        path = os.path.join(args.work, "input.o")
        pathlib.Path(path).write_bytes(data)
    what = what or path
    done = subprocess.run([args.klp_convert, path, os.path.join(args.work, "out.o")],
                          capture_output=True, text=True, errors="replace", check=False)
    if done.returncode not in allowed:
        fail(f"klp_convert on {what}: exit {done.returncode}, expected one of {allowed}\n"
             f"{done.stdout}{done.stderr}")
    if done.returncode == 1 and not done.stderr.startswith("klp_convert: "):
        fail(f"klp_convert on {what}: refused without a message:\n{done.stdout}{done.stderr}")
    return done.stderr


def mode_klp_convert(args):
    fresh_dir(args.work)
    raw = pathlib.Path(args.sample_raw).read_bytes()
    convert(args, args.sample_raw, [0])
    err = convert(args, args.sample, [1])  # already converted
    if "already a relocation section" not in err:
        fail(f"converting twice: {err}")
    convert(args, args.inspect, [1])  # an executable, not a relocatable object
    convert(args, os.path.join(args.work, "does-not-exist.o"), [2])
    # Every truncation point in the first 128 bytes, then every 37th byte: refused.
    last = len(raw) - 1
    cuts = [*range(0, 129), *range(129, last + 1, 37), last]
    for n in cuts:
        convert(args, raw[:n], [1], f"the sample cut to {n} bytes")
    # Each 8-byte word of the ELF header and the section header table, in turn set to all ones,
    # then to zeros: converted or refused, never a crash.
    header = run(["readelf", "-h", args.sample_raw], 0).stdout
    shoff = int(re.search(r"Start of section headers: +([0-9]+)", header).group(1))
    shnum = int(re.search(r"Number of section headers: +([0-9]+)", header).group(1))
    words = [*range(0, 64, 8), *range(shoff, shoff + shnum * 64, 8)]
    mutations = 0
    for fill in (b"\xff" * 8, b"\0" * 8):
        for at in words:
            convert(args, raw[:at] + fill + raw[at + 8:], [0, 1],
                    f"the sample with the word at {at} set to {fill.hex()}")
            mutations += 1
    print(f"klp_convert refused {len(cuts)} truncations and survived {mutations} mutations")


MODES = {"sample": mode_sample, "corrupt": mode_corrupt, "resolve": mode_resolve,
         "kallsyms": mode_kallsyms, "kbuild": mode_kbuild, "kbuild_resolve": mode_kbuild_resolve,
         "klp_convert": mode_klp_convert}


def main():
    return drive(__doc__, MODES, [
        ("--inspect", "the klpelf-inspect program"), ("--klp-convert", "the klp_convert program"),
        ("--sample", "the sample livepatch module it embeds"), ("--kbuild-sources", "tests/kbuild"),
        ("--sample-raw", "the sample before klp_convert"), ("--work", "this test's own directory"),
        ("--kbuild-work", "where inspect_kbuild builds")])


if __name__ == "__main__":
    sys.exit(main())
