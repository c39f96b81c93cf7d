#!/usr/bin/env python3
"""Boots the ring-0 test kernel (tests/ring0) in QEMU with module files and checks its report.

The kernel loads each multiboot module with the freestanding libklpelf and prints one line per
module on its serial port; this script gives it every module file of --modules that exists (the
compiler-made fixtures always, the kbuild modules when kernel headers built them) and damaged
copies of a livepatch module that it makes itself: cut in half, a section header whose contents
lie past the end of the file, an e_shstrndx past the section count, a broken ELF magic. Then:

- --expect pass: every intact module is accepted, with its section and symbol counts, livepatch
  flag and number of livepatch relocations applied as readelf reads them from the file (a
  livepatch module whose module-specific section uses a vmlinux symbol is refused at apply, as
  the kernel refuses it); every damaged copy is refused with -ENOEXEC and the name of the check
  the kernel's loader fails; the allocator has no live block left; the exit code says pass;
- --expect sse-fault: the kernel faults with #UD (vector 6) on an instruction that objdump shows
  using an SSE register: the archive built for user space runs SSE code, and the kernel runs with
  SSE off.

Prints "skipped: ..." (ctest: skipped) without qemu-system-x86_64 or without the kernel (the
x86_64-unknown-none target missing).
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "inspect"))
from driver import Failure, fail, fresh_dir, run, skip  # noqa: E402

# isa-debug-exit: QEMU exits with (value << 1) | 1 for the value the kernel writes (ring0.h).
EXIT_PASS, EXIT_FAIL, EXIT_EXCEPTION = 1, 3, 5


# ---- damaged copies ------------------------------------------------------------------------------

def truncate(data):
    return data[:len(data) // 2]


def section_past_end(data):
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    shnum, = struct.unpack_from("<H", data, 0x3c)
    out = bytearray(data)
    for i in range(1, shnum):
        at = e_shoff + i * 64
        sh_type, = struct.unpack_from("<I", data, at + 4)
        sh_size, = struct.unpack_from("<Q", data, at + 32)
        if sh_type != 8 and sh_size:  # not SHT_NOBITS: its contents must lie in the file
            struct.pack_into("<Q", out, at + 24, len(data))  # sh_offset: at the end of the file
            return bytes(out)
    return fail("no section with contents to damage")


def bad_shstrndx(data):
    shnum, = struct.unpack_from("<H", data, 0x3c)
    out = bytearray(data)
    struct.pack_into("<H", out, 0x3e, shnum + 5)
    return bytes(out)


def bad_magic(data):
    return b"\x7fELV" + data[4:]


# (suffix, how the bytes are damaged, the check of the kernel's loader that refuses them)
DAMAGE = [("truncated", truncate, "sechdrs_overflow"),
          ("section_past_end", section_past_end, "sechdrs_offset"),
          ("bad_shstrndx", bad_shstrndx, "secstrings_index"),
          ("bad_magic", bad_magic, "ehdr_magic")]


def readelf_expectations(readelf, path):
    """What the kernel must report for an intact module, read by readelf: its section count,
    symbol count, livepatch flag and number of livepatch relocations that write (not NONE)."""
    header = run([readelf, "-h", "-W", path], 0).stdout
    sections = int(re.search(r"Number of section headers: +([0-9]+)", header).group(1))
    symbols = int(re.search(r"Symbol table '\.symtab' contains ([0-9]+) entr",
                            run([readelf, "-s", "-W", path], 0).stdout).group(1))
    modinfo = run([readelf, "-p", ".modinfo", "-W", path], 0).stdout
    klp = 1 if re.search(r"\]  livepatch=", modinfo) else 0
    relocs, in_klp = 0, False
    for line in run([readelf, "-r", "-W", path], 0).stdout.splitlines():
        if line.startswith("Relocation section"):
            in_klp = "'.klp.rela." in line
        elif in_klp and re.match(r"[0-9a-f]{16} ", line) and "R_X86_64_NONE" not in line:
            relocs += 1
    return sections, symbols, klp, relocs


def uses_vmlinux_symbol_in_module_section(readelf, path):
    """Whether a .klp.rela.<module>. section (not vmlinux) names a .klp.sym.vmlinux. symbol: the
    kernel refuses such a livepatch when it applies it."""
    section = None
    for line in run([readelf, "-r", "-W", path], 0).stdout.splitlines():
        if line.startswith("Relocation section"):
            m = re.search(r"'\.klp\.rela\.([^.]+)\.", line)
            section = m.group(1) if m else None
        elif section and section != "vmlinux" and ".klp.sym.vmlinux." in line:
            return True
    return False


def boot(args, modules):
    """Runs the kernel with the modules (name -> path): its serial output and exit status."""
    initrd = ",".join(f"{path.replace(',', ',,')} {name}" for name, path in modules)
    argv = [args.qemu, "-accel", args.accel, "-m", "256M", "-display", "none", "-nodefaults",
            "-serial", "stdio", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", args.kernel, "-initrd", initrd]
    start = time.monotonic()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, errors="replace",
                              timeout=45, check=False, cwd=args.work)
    except subprocess.TimeoutExpired as e:
        fail(f"QEMU did not exit within 45 s; serial output:\n{e.stdout}")
    print(f"QEMU ({args.accel}): {time.monotonic() - start:.2f} s for one boot, "
          f"{len(modules)} modules")
    serial = done.stdout.replace("\r\n", "\n")
    print(serial, end="")
    if done.stderr.strip():
        print(f"(QEMU's messages: {done.stderr.strip()})")
    return serial, done.returncode


def check_pass(args, serial, rc, intact, damaged):
    wrong = []
    for name, path in intact:
        line = re.search(rf"^module {re.escape(name)}: (.*)$", serial, re.M)
        if not line:
            wrong.append(f"{name}: no result line")
            continue
        if uses_vmlinux_symbol_in_module_section(args.readelf, path):
            want = (r"refused -EINVAL \S+ at apply: invalid access to vmlinux symbol '\S+' from "
                    r"module-specific livepatch relocation section")
            if not re.fullmatch(want, line.group(1)):
                wrong.append(f"{name}: got {line.group(1)!r}, expected a refusal at apply")
            continue
        sections, symbols, klp, relocs = readelf_expectations(args.readelf, path)
        want = (rf"accepted name=\S+ klp={klp} sections={sections} symbols={symbols} "
                rf"relocs={relocs if klp else 0}")
        if not re.fullmatch(want, line.group(1)):
            wrong.append(f"{name}: got {line.group(1)!r}, expected {want!r}")
    for name, check in damaged:
        want = f"module {name}: refused -ENOEXEC {check} at setup: "
        if want not in serial:
            wrong.append(f"{name}: expected a line starting {want!r}")
    if "FAILED" in serial:
        wrong.append("the kernel reports a failed check of its own")
    if not re.search(rf"^ring0: {len(intact) + len(damaged)} modules, .* live blocks 0$", serial,
                     re.M):
        wrong.append("the allocator's live block count is not 0 (or the summary is missing)")
    if rc != EXIT_PASS:
        wrong.append(f"QEMU exit status {rc}, expected {EXIT_PASS} (the kernel's pass)")
    if wrong:
        fail("\n".join(wrong))


def check_sse_fault(args, serial, rc):
    m = re.search(r"^exception: vector 6 \(#UD\) at rip 0x([0-9a-f]+)", serial, re.M)
    if not m or rc != EXIT_EXCEPTION:
        fail(f"expected #UD (vector 6) and exit status {EXIT_EXCEPTION}, got status {rc}")
    rip = int(m.group(1), 16)
    elf = args.kernel[:-len("32")] if args.kernel.endswith(".elf32") else args.kernel
    dis = run([args.objdump, "-d", "--no-show-raw-insn", f"--start-address={rip:#x}",
               f"--stop-address={rip + 16:#x}", elf], 0).stdout
    insn = [line for line in dis.splitlines() if re.match(r" +[0-9a-f]+:\t", line)]
    if not insn or "%xmm" not in insn[0]:
        fail(f"the instruction at {rip:#x} uses no SSE register:\n{dis}")
    print(f"#UD at {rip:#x} on an SSE instruction:{insn[0]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--readelf", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--expect", required=True, choices=["pass", "sse-fault"])
    ap.add_argument("--modules", required=True, help="comma-separated module files")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    if not args.qemu or not os.access(args.qemu, os.X_OK):
        skip("qemu-system-x86_64 not found (.ci/run installs qemu-system-x86)")
        return 0
    if not args.kernel:
        skip("no kernel-target archive: rustup target add x86_64-unknown-none")
        return 0
    try:
        fresh_dir(args.work)
        os.makedirs(os.path.join(args.work, "modules"))
        intact = []
        for path in args.modules.split(","):
            if os.path.exists(path):
                name = os.path.basename(path)
                shutil.copyfile(path, os.path.join(args.work, "modules", name))
                intact.append((name, f"modules/{name}"))
            else:
                print(f"(no {path}: kbuild found no kernel headers)")
        if not any(n.endswith(".o") for n, _ in intact):
            fail("none of the compiler-made modules exists")
        # Damage the kbuild livepatch module when there is one, else the compiler-made one.
        base = next((p for n, p in intact if n == "klpelf_livepatch_klp.ko"),
                    next(p for n, p in intact if n == "livepatch.o"))
        with open(os.path.join(args.work, base), "rb") as f:
            data = f.read()
        damaged = []
        for suffix, damage, check in DAMAGE:
            name = f"{os.path.basename(base)}.{suffix}"
            with open(os.path.join(args.work, "modules", name), "wb") as f:
                f.write(damage(data))
            damaged.append((name, check))
        modules = intact + [(n, f"modules/{n}") for n, _ in damaged]
        serial, rc = boot(args, modules)
        intact_abs = [(n, os.path.join(args.work, p)) for n, p in intact]
        if args.expect == "pass":
            check_pass(args, serial, rc, intact_abs, damaged)
        else:
            check_sse_fault(args, serial, rc)
    except Failure as e:
        print(f"ring0: {e}", file=sys.stderr)
        return 1
    print(f"ring0 ({args.expect}): as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
