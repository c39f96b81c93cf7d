#!/usr/bin/env python3
"""ctest driver for klpelf-inspect's command line: options, files, maps, kernel releases, and the
JSON's encoding and schema.

cmake/InspectTests.cmake registers one test per mode, inspect_cli_<mode>:
  options      -h/--help on standard output with exit status 0, -V/--version with klpelf's
               version, usage errors (no FILE, a missing option argument, an unknown option,
               --relocs without --resolve) with exit status 2 and a message on standard error
  files        several files in one run (one report each, text headers, one JSON document per
               line), the worst exit status, "-" for standard input, -q, and module files that
               cannot be read ("module file X: ..." with the C library's error name, exit 2)
  maps         maps that cannot be used stop the run with exit status 2 and say what to do:
               Debian's placeholder System.map (taken from a real linux-image package when the
               build directory has one cached, else written as the package's debian/rules writes
               it), a zero-address copy of a real map (nm of the sample, addresses zeroed), the
               real /proc/kallsyms read as user nobody (when run as root), a missing map; never
               Rust's "(os error N)"
  release      --kernel-release against modules built here by gcc with a .modinfo vermagic:
               the default from a map named System.map-REL, a mismatch rejects (exit 1), --force
               makes it a warning, no vermagic rejects, /proc/kallsyms defaults to uname -r
  utf8         a module whose section and symbol names hold UTF-8 and invalid bytes, built here
               by gcc and klp_convert: --json is strict UTF-8, valid sequences as they are,
               invalid bytes as U+FFFD
  reproducible the same input twice, text and JSON, with --resolve and --relocs: the same bytes
  schema       every member of real JSON output (accepted, with --resolve, --relocs and the kernel
               release; rejected) is documented in docs/json.md, and every documented member
               appears
  manpage      the man page (docs/klpelf-inspect.1) lists the options --help lists, and
               cmake --install installs it as share/man/man1/klpelf-inspect.1
A failed check prints what differed and exits 1; a test that cannot run here prints "skipped:".
"""
import glob
import json
import os
import pathlib
import platform
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import drive, expect, expect_in, fail, fresh_dir, run  # noqa: E402

PLACEHOLDER = "ffffffffffffffff B The real System.map is in the linux-image-{}-dbg package\n"
SAMPLE_MAP = ("ffffffff81756450 t load_elf_binary\nffffffff817533a0 t load_elf_binary\n"
              "ffffffff81785530 t cmdline_proc_show\n")


def inspect(args, expected_rc, *argv, stdin=None):
    """klpelf-inspect's raw output (bytes): the exit status must be expected_rc."""
    argv = [args.inspect, *map(str, argv)]
    done = subprocess.run(argv, capture_output=True, input=stdin, check=False)
    if done.returncode != expected_rc:
        fail(f"{' '.join(argv)}: exit {done.returncode}, expected {expected_rc}\n"
             f"{done.stdout.decode(errors='replace')}{done.stderr.decode(errors='replace')}")
    if b"os error" in done.stdout + done.stderr:
        fail(f"{' '.join(argv)}: Rust's '(os error N)' in a message:\n{done.stderr!r}")
    return done


def json_lines(what, out):
    """The JSON documents of --json output, one per line; strict UTF-8."""
    try:
        return [json.loads(line) for line in out.decode("utf-8").splitlines()]
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"{what}: not UTF-8 JSON Lines ({e}):\n{out!r}")


def build_module(args, name, body, livepatch=True):
    """A module object compiled by gcc from module_shape.h and `body` (C, bytes allowed), and for
    a livepatch module converted to the livepatch format by klp_convert."""
    source = os.path.join(args.work, f"{name}.c")
    raw = os.path.join(args.work, f"{name}.raw.o")
    out = os.path.join(args.work, f"{name}.o")
    text = body if isinstance(body, bytes) else body.encode()
    pathlib.Path(source).write_bytes(b'#include "module_shape.h"\n' + text)
    run([args.cc, "-c", "-O2", "-fno-pic", "-I", os.path.join(args.source_dir, "tools"), source,
         "-o", raw], 0)
    if not livepatch:
        return raw
    run([args.klp_convert, raw, out], 0)
    return out


def module_with_vermagic(args, name, vermagic):
    """A plain module whose .modinfo has name= and, unless None, vermagic=."""
    lines = [f'MODINFO(name, "{name}");', 'MODINFO(license, "GPL");']
    if vermagic is not None:
        lines.append(f'MODINFO(vermagic, "{vermagic}");')
    lines.append(f'THIS_MODULE("{name}", 0, 0);')
    return build_module(args, name, "\n".join(lines) + "\n", livepatch=False)


# ---- the modes -----------------------------------------------------------------------------------

def mode_options(args):
    fresh_dir(args.work)
    for flag in ("-h", "--help"):
        done = inspect(args, 0, flag)
        expect_in(f"{flag} on standard output", done.stdout.decode(),
                  ["usage:", "--sample", "--resolve MAP", "--kernel-release REL", "--force",
                   "--quiet", "--json", "--version", "Exit status"])
        expect(f"{flag}: nothing on standard error", done.stderr, b"")
    version = re.search(r'^version = "([^"]+)"',
                        pathlib.Path(args.source_dir, "Cargo.toml").read_text(encoding="utf-8"),
                        re.M).group(1)
    for flag in ("-V", "--version"):
        expect(flag, inspect(args, 0, flag).stdout.decode(), f"klpelf-inspect {version}\n")
    usage = [
        ([], "no module FILE given"),
        (["--resolve", "some.map"], "no module FILE given"),   # the FILE forgotten after MAP
        (["--resolve"], "option '--resolve' needs an argument"),
        (["--bogus", "x.ko"], "unknown or ambiguous option '--bogus'"),
        (["--s", "x.ko"], "unknown or ambiguous option '--s'"),  # --sample or --strict
        (["-qx", "x.ko"], "unknown or ambiguous option '-x'"),
        (["--relocs", "x.ko"], "need --resolve MAP"),
        (["--resolve", "m", "--base", "12z", "--relocs", "x.ko"], "--base '12z' is not an address"),
        (["--sample", "x.ko"], "--sample takes no FILE"),
        (["--force", "x.ko"], "need --resolve MAP"),
    ]
    for argv, words in usage:
        done = inspect(args, 2, *argv)
        expect(f"{argv}: nothing on standard output", done.stdout, b"")
        expect_in(f"{argv}: the message", done.stderr.decode(), [words, "--help"])


def mode_files(args):
    fresh_dir(args.work)
    sample = args.sample
    truncated = os.path.join(args.work, "truncated.o")
    pathlib.Path(truncated).write_bytes(pathlib.Path(sample).read_bytes()[:200])
    missing = os.path.join(args.work, "missing.ko")

    text = inspect(args, 1, sample, truncated, sample).stdout.decode()
    expect("text headers", re.findall(r"^==> (.*) <==$", text, re.M), [sample, truncated, sample])
    expect("text: reports", len(re.findall(r"^module: +klpelf_sample$", text, re.M)), 2)
    expect_in("text: the rejection", text, [f"{truncated}: rejected by klpelf_setup_load_info"])
    docs = json_lines("JSON Lines", inspect(args, 1, "--json", sample, truncated).stdout)
    expect("JSON: one document per file", [(d["file"], d["accepted"]) for d in docs],
           [(sample, True), (truncated, False)])
    expect("one file: no header", inspect(args, 0, sample).stdout.startswith(b"file:"), True)

    # Standard input, alone and among files.
    data = pathlib.Path(sample).read_bytes()
    docs = json_lines("stdin", inspect(args, 0, "--json", "-", sample, stdin=data).stdout)
    expect("-: standard input", [d["file"] for d in docs], ["(standard input)", sample])
    expect("-: the same module", docs[0]["sections"], docs[1]["sections"])

    # -q: the exit status only.
    for argv, rc in (([sample], 0), ([sample, truncated], 1), (["--json", truncated], 1)):
        done = inspect(args, rc, "-q", *argv)
        expect(f"-q {argv}: standard output", done.stdout, b"")
        expect(f"-q {argv}: standard error", done.stderr, b"")

    # Files that cannot be read: exit status 2, named, with the C library's error name.
    done = inspect(args, 2, sample, missing, truncated)
    expect_in("missing file", done.stderr.decode(),
              [f"module file {missing}: No such file or directory (ENOENT)"])
    expect_in("the other files are still reported", done.stdout.decode(),
              [f"==> {truncated} <==", "module:        klpelf_sample"])
    done = inspect(args, 2, "-q", args.work)
    expect_in("a directory", done.stderr.decode(),
              [f"module file {args.work}: Is a directory (EISDIR)"])


def real_placeholder(args):
    """Debian's placeholder System.map from a linux-image package cached in the build directory
    (c_compressed_debian downloads one), or None."""
    for deb in sorted(glob.glob(os.path.join(args.build_dir, "debian-*", "linux-image-*.deb"))):
        extracted = os.path.join(args.work, "deb")
        fresh_dir(extracted)
        tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, check=False)
        if tar.returncode != 0:
            continue
        subprocess.run(["tar", "-x", "-C", extracted, "--wildcards", "./boot/System.map-*"],
                       input=tar.stdout, capture_output=True, check=False)
        found = glob.glob(os.path.join(extracted, "boot", "System.map-*"))
        if found:
            print(f"the placeholder of {os.path.basename(deb)}")
            return found[0]
    return None


def mode_maps(args):
    fresh_dir(args.work)
    maps = []
    real = real_placeholder(args)
    if real:
        maps.append(real)
    else:
        print("no linux-image package cached: the placeholder is written as debian/rules does")
    # As the kernel package's debian/rules writes it (echo "... linux-image-$(REAL_VERSION)-dbg
    # package" > .../boot/System.map-$(REAL_VERSION)), and with <version> as some releases have it.
    for release in ("6.1.0-57-amd64", "<version>"):
        path = os.path.join(args.work, "generated", f"System.map-{release.strip('<>')}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        run(["sh", "-c", f'echo "{PLACEHOLDER.strip().format(release)}" > "$0"', path], 0)
        maps.append(path)
    for path in maps:
        for json_flag in ([], ["--json"]):
            done = inspect(args, 2, *json_flag, "--resolve", path, args.sample)
            expect(f"{path}: no report", done.stdout, b"")
            expect_in(f"{path}: the message", done.stderr.decode(), [
                f"map file {path}: ", "use the System.map from the kernel's -dbg package",
                "(ENODATA)"])

    # A real map (nm of the sample's object) with every address zeroed: /proc/kallsyms as a
    # reader without privilege sees it.
    nm = run(["nm", args.sample_raw], 0).stdout
    zeroed = os.path.join(args.work, "kallsyms-unprivileged")
    lines = [re.sub(r"^[0-9a-f]{16}", "0" * 16, line) for line in nm.splitlines()
             if re.match(r"[0-9a-f]{16} ", line)]
    if not lines:
        fail(f"nm {args.sample_raw} lists no defined symbol:\n{nm}")
    pathlib.Path(zeroed).write_text("\n".join(lines) + "\n", encoding="ascii")
    done = inspect(args, 2, "--resolve", zeroed, args.sample)
    expect_in("zero addresses", done.stderr.decode(),
              [f"map file {zeroed}: ", "are 0", "run as root", "(EPERM)"])
    unprivileged_kallsyms(args)
    missing = os.path.join(args.work, "no-such.map")
    done = inspect(args, 2, "--resolve", missing, args.sample)
    expect_in("a missing map", done.stderr.decode(),
              [f"map file {missing}: No such file or directory (ENOENT)"])


def unprivileged_kallsyms(args):
    """The real /proc/kallsyms read as user nobody without capabilities, when this test runs as
    root and the kernel hides the addresses from such a reader: refused, "run as root"."""
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all"]
    if os.geteuid() != 0 or not run_ok([*drop, "true"]):
        return print("not root, or no setpriv: /proc/kallsyms not read as another user")
    head = subprocess.run([*drop, "head", "-1", "/proc/kallsyms"], capture_output=True,
                          text=True, check=False).stdout
    if not head.startswith("0" * 16):
        return print(f"/proc/kallsyms shows addresses to user nobody here: {head.strip()!r}")
    done = subprocess.run([*drop, args.inspect, "--resolve", "/proc/kallsyms", "--sample"],
                          capture_output=True, text=True, check=False)
    expect("/proc/kallsyms as nobody: exit status", done.returncode, 2)
    expect_in("/proc/kallsyms as nobody", done.stderr,
              ["map file /proc/kallsyms: ", "run as root", "(EPERM)"])


def mode_release(args):
    fresh_dir(args.work)
    built = module_with_vermagic(args, "klpelf_rel_a", "6.1.0-42-amd64 SMP preempt mod_unload ")
    other = module_with_vermagic(args, "klpelf_rel_b", "6.12.9-cloud SMP mod_unload ")
    none = module_with_vermagic(args, "klpelf_rel_none", None)
    map_a = os.path.join(args.work, "System.map-6.1.0-42-amd64")
    plain = os.path.join(args.work, "symbols.map")
    for path in (map_a, plain):
        pathlib.Path(path).write_text(SAMPLE_MAP, encoding="ascii")

    doc, = json_lines("same release", inspect(args, 0, "--json", "--resolve", map_a, built).stdout)
    expect("same release", doc["kernel_release"], {
        "vermagic": "6.1.0-42-amd64 SMP preempt mod_unload ", "module_release": "6.1.0-42-amd64",
        "map_release": "6.1.0-42-amd64", "source": "map file name", "matches": True,
        "forced": False})
    expect_in("same release: text", inspect(args, 0, "--resolve", map_a, built).stdout.decode(),
              ["kernel:        built for 6.1.0-42-amd64; the map is kernel 6.1.0-42-amd64's "
               "(map file name): the same"])

    # Another kernel's module: rejected, as the kernel rejects a wrong vermagic (-ENOEXEC).
    done = inspect(args, 1, "--json", "--resolve", map_a, built, other)
    docs = json_lines("mismatch", done.stdout)
    expect("mismatch: the first accepted", docs[0]["accepted"], True)
    expect("mismatch: step", (docs[1]["accepted"], docs[1]["step"], docs[1]["error_name"]),
           (False, "vermagic", "ENOEXEC"))
    expect_in("mismatch: message", docs[1]["message"],
              ["built for kernel 6.12.9-cloud", "kernel 6.1.0-42-amd64's", "--force"])
    done = inspect(args, 0, "--force", "--json", "--resolve", map_a, other)
    doc, = json_lines("--force", done.stdout)
    expect("--force: matches, forced", (doc["kernel_release"]["matches"],
                                        doc["kernel_release"]["forced"]), (False, True))
    expect_in("--force: the warning", done.stderr.decode(), ["warning:", "6.12.9-cloud"])

    # --kernel-release names the map's kernel; without it, a map with another name has none.
    inspect(args, 0, "--kernel-release", "6.12.9-cloud", "--resolve", map_a, other)
    inspect(args, 1, "--kernel-release", "6.12.9-cloud", "--resolve", map_a, built)
    doc, = json_lines("unknown", inspect(args, 0, "--json", "--resolve", plain, other).stdout)
    expect("no release known", (doc["kernel_release"]["map_release"],
                                doc["kernel_release"]["matches"]), (None, True))
    # No vermagic: the kernel refuses such a module unless forced.
    doc, = json_lines("no vermagic",
                      inspect(args, 1, "--json", "--resolve", map_a, none).stdout)
    expect_in("no vermagic: message", doc["message"], ["has no vermagic"])
    inspect(args, 0, "--force", "--resolve", map_a, none)

    # /proc/kallsyms: the running kernel's release, from uname -r.
    try:
        readable = any(not line.startswith("0000000000000000")
                       for line in open("/proc/kallsyms", encoding="ascii", errors="replace"))
    except OSError:
        readable = False
    if not readable:
        return print("/proc/kallsyms is not readable with addresses: its default not checked")
    release = platform.release()
    running = module_with_vermagic(args, "klpelf_rel_running", f"{release} SMP mod_unload ")
    doc, = json_lines("kallsyms",
                      inspect(args, 0, "--json", "--resolve", "/proc/kallsyms", running).stdout)
    expect("kallsyms: release", (doc["kernel_release"]["map_release"],
                                 doc["kernel_release"]["source"]), (release, "uname -r"))
    inspect(args, 1, "--resolve", "/proc/kallsyms", built)


def mode_utf8(args):
    fresh_dir(args.work)
    module = build_module(args, "klpelf_utf8", b'''
MODINFO(name, "klpelf_utf8");
MODINFO(license, "GPL");
MODINFO(livepatch, "Y");
__attribute__((section(".text.caf\\xc3\\xa9"), used)) int fn_utf8(void) { return 1; }
__attribute__((section(".data.bad\\xff\\xfe"), used)) int data_bad = 2;
__attribute__((section(".data.cut\\xe2\\x82"), used)) int data_cut = 3;
THIS_MODULE("klpelf_utf8", 0, 0);
KLP_SYMBOL(klp_cafe, ".klp.sym.vmlinux.caf\\xc3\\xa9_\\xe2\\x82\\xac,0");
KLP_SYMBOL(klp_bad, ".klp.sym.vmlinux.bad\\xff\\xc3\\x28\\xed\\xa0\\x80,0");
KLP_RELA_SECTION(vmlinux, klp_refs, klp_cafe, klp_bad);
''')
    names = [s for s in run(["readelf", "-S", "-W", module], 0).stdout.splitlines() if "caf" in s]
    if not names:
        fail(f"readelf finds no .text.caf* section in {module}")
    symbol_map = os.path.join(args.work, "utf8.map")
    pathlib.Path(symbol_map).write_bytes(b"ffffffff81000000 T caf\xc3\xa9_\xe2\x82\xac\n"
                                         b"ffffffff81000010 T bad\xff\xc3\x28\xed\xa0\x80\n")
    out = inspect(args, 0, "--json", "--resolve", symbol_map, "--relocs", module).stdout
    doc, = json_lines("utf8", out)
    sections = [s["name"] for s in doc["sections"]]
    for want in (".text.caf\u00e9", ".data.bad\ufffd\ufffd", ".data.cut\ufffd\ufffd"):
        if want not in sections:
            fail(f"section {want!r} not in {sections}")
    refs = {r["name"]: r for r in doc["resolve"]["references"]}
    expect("UTF-8 and invalid bytes in symbol names", sorted(refs),
           ["bad\ufffd\ufffd(\ufffd\ufffd\ufffd", "caf\u00e9_\u20ac"])
    expect("both resolve", [r["resolved"] for r in refs.values()], [True, True])
    if "caf\u00e9_\u20ac".encode() not in out:
        fail("the valid UTF-8 is not emitted as it is")
    expect("relocation symbols", sorted(r["symbol"] for r in doc["relocs"]["relocations"]),
           [".klp.sym.vmlinux.bad\ufffd\ufffd(\ufffd\ufffd\ufffd,0",
            ".klp.sym.vmlinux.caf\u00e9_\u20ac,0"])


def mode_reproducible(args):
    fresh_dir(args.work)
    symbol_map = os.path.join(args.work, "sample.map")
    pathlib.Path(symbol_map).write_text(SAMPLE_MAP, encoding="ascii")
    for argv in (["--sample"], ["--json", "--sample"],
                 ["--resolve", symbol_map, "--relocs", args.sample],
                 ["--json", "--resolve", symbol_map, "--relocs", args.sample]):
        first = inspect(args, 0, *argv).stdout
        second = inspect(args, 0, *argv).stdout
        if first != second:
            fail(f"{argv}: two runs differ:\n{first.decode()}\n---\n{second.decode()}")
        if re.search(rb"0x(5[5-6]|7f)[0-9a-f]{10}\b", first):
            fail(f"{argv}: what looks like a heap or mapping address:\n{first.decode()}")


def documented_members(path):
    """The members docs/json.md documents, per document kind ("accepted", "rejected"): bullets
    "- `name` (type)" nested by two spaces, as paths like "resolve.references[].symbol"."""
    kinds, kind, stack = {}, None, []
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## (Accepted|Rejected) module", line)
        if heading:
            kind = heading.group(1).lower()
            kinds[kind] = set()
            stack = []
            continue
        if line.startswith("## "):
            kind = None
        bullet = re.match(r"( *)- `([a-z_]+)` \(([^)]*)\)", line)
        if kind is None or not bullet:
            continue
        depth = len(bullet.group(1)) // 2
        stack = stack[:depth]
        parent = ".".join(stack)
        name = bullet.group(2)
        kinds[kind].add(f"{parent}.{name}" if parent else name)
        stack.append(name + ("[]" if bullet.group(3).startswith("array") else ""))
    return kinds


def members(value, prefix=""):
    """The member paths of a JSON value, arrays' elements as "[]"."""
    found = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            found |= members(inner, path)
    elif isinstance(value, list):
        for inner in value:
            found |= members(inner, prefix + "[]")
    return found


def mode_schema(args):
    fresh_dir(args.work)
    documented = documented_members(os.path.join(args.source_dir, "docs", "json.md"))
    if set(documented) != {"accepted", "rejected"}:
        fail(f"docs/json.md: sections found {sorted(documented)}")
    signed = sorted(glob.glob(os.path.join(args.build_dir, "inspect-tests", "kbuild",
                                           "*signed*.ko")))
    symbol_map = os.path.join(args.work, "System.map-6.1.0-test")
    pathlib.Path(symbol_map).write_text(SAMPLE_MAP, encoding="ascii")
    accepted = set()
    outputs = [["--json", "--force", "--resolve", symbol_map, "--relocs", args.sample],
               ["--json", args.sample, *signed[:1]]]
    # A map without load_elf_binary: a reference that does not resolve has "error" (exit 1).
    partial = os.path.join(args.work, "partial.map")
    pathlib.Path(partial).write_text("ffffffff81785530 t cmdline_proc_show\n", encoding="ascii")
    for argv, rc in [(argv, 0) for argv in outputs] + [
            (["--json", "--resolve", partial, args.sample], 1)]:
        for doc in json_lines(str(argv), inspect(args, rc, *argv).stdout):
            expect(f"{argv}: schema", doc["schema"], 1)
            accepted |= members(doc)
    truncated = os.path.join(args.work, "truncated.o")
    pathlib.Path(truncated).write_bytes(pathlib.Path(args.sample).read_bytes()[:200])
    rejected = set()
    for doc in json_lines("rejected", inspect(args, 1, "--json", truncated).stdout):
        rejected |= members(doc)
    for kind, real in (("accepted", accepted), ("rejected", rejected)):
        undocumented = sorted(real - documented[kind])
        if undocumented:
            fail(f"{kind}: members not in docs/json.md: {undocumented}")
        absent = documented[kind] - real
        if not signed:  # the signature's members need a signed module (inspect_kbuild's)
            absent = {m for m in absent if not m.startswith("signature.")}
        if absent:
            fail(f"{kind}: documented members no output had: {sorted(absent)}")
    if not signed:
        print("no signed kbuild module: the signature's members were not seen")


def help_options(text):
    """The options a usage text lists: -x and --long, from its option lines."""
    found = set()
    for line in text.splitlines():
        row = re.match(r" {2,6}(-[A-Za-z], )?(--[a-z-]+)", line)
        if row:
            found.add(row.group(2))
            if row.group(1):
                found.add(row.group(1)[:2])
    return found


def man_options(text):
    """The options the man page's OPTIONS section lists (.TP items: \\fB\\-x\\fR, \\fB\\-\\-long)."""
    section = re.search(r"^\.SH OPTIONS$(.*?)^\.SH ", text, re.M | re.S)
    if not section:
        fail("the man page has no OPTIONS section")
    found = set()
    for item in re.findall(r"^\.TP\n(.*)$", section.group(1), re.M):
        plain = item.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace(
            "\\fI", "")
        found |= set(re.findall(r"(?<![\w-])(--[a-z-]+|-[A-Za-z])\b", plain))
    return found


def mode_manpage(args):
    fresh_dir(args.work)
    page = os.path.join(args.source_dir, "docs", "klpelf-inspect.1")
    text = pathlib.Path(page).read_text(encoding="utf-8")
    from_help = help_options(inspect(args, 0, "--help").stdout.decode())
    from_man = man_options(text)
    expect("the options of --help and of the man page", sorted(from_man), sorted(from_help))
    for status in ("0", "1", "2"):
        if not re.search(rf"^\.B {status}$|^\.IP {status}\b|^{status}$", text, re.M):
            fail(f"the man page does not describe exit status {status}")
    if run_ok(["groff", "--version"]):
        warnings = run(["groff", "-man", "-ww", "-z", page], 0).stderr
        expect("groff's warnings on the man page", warnings, "")
        rendered = re.sub(r".\x08", "", run(["groff", "-man", "-Tutf8", page], 0).stdout)
        expect_in("the rendered man page", " ".join(rendered.split()), [
            "NAME klpelf-inspect - check kernel modules", "--kernel-release REL", "EXIT STATUS"])
    else:
        print("no groff: the man page was not rendered")
    prefix = os.path.join(args.work, "prefix")
    run(["cmake", "--install", args.build_dir, "--prefix", prefix], 0)
    installed = os.path.join(prefix, "share", "man", "man1", "klpelf-inspect.1")
    if not os.path.exists(installed):
        fail(f"cmake --install did not install {installed}")
    expect("the installed man page", pathlib.Path(installed).read_text(encoding="utf-8"), text)


def run_ok(argv):
    try:
        return subprocess.run(argv, capture_output=True, check=False).returncode == 0
    except OSError:
        return False


MODES = {"options": mode_options, "files": mode_files, "maps": mode_maps, "release": mode_release,
         "utf8": mode_utf8, "reproducible": mode_reproducible, "schema": mode_schema,
         "manpage": mode_manpage}

if __name__ == "__main__":
    sys.exit(drive(__doc__, MODES, [
        ("--inspect", "the klpelf-inspect program"),
        ("--sample", "the sample livepatch object (tools/sample_livepatch.c, converted)"),
        ("--sample-raw", "the sample's object before klp_convert"),
        ("--klp-convert", "the test tool klp_convert"),
        ("--cc", "the C compiler"),
        ("--source-dir", "the source tree"),
        ("--build-dir", "the build tree"),
        ("--work", "a scratch directory for this test"),
    ]))
