#!/usr/bin/env python3
"""ctest driver of inspect_compressed: klpelf-inspect on compressed modules and standard input.

The sample livepatch module and, when inspect_kbuild built them, the kbuild modules are compressed
with xz, zstd and gzip as scripts/Makefile.modinst does. klpelf-inspect --json on each copy, by
path and as standard input ("-"), must report what it reports for the uncompressed module (but for
the file's name, the compression and the kallsyms address, which differs per process), and the
text report must name the compression. A truncated copy, one with trailing garbage and an empty
standard input are rejected with exit status 1 by klpelf_image_open / klpelf_image_from_fd, naming
the format; a missing file exits 2.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

from inspect_test import Failure, expect, expect_in, fail, fresh_dir, inspect_json, inspect_text

FORMATS = (("xz", "xz", ["xz", "--check=crc32", "--lzma2=dict=1MiB", "-f"]),
           ("zstd", "zst", ["zstd", "-T0", "--rm", "-f", "-q"]),
           ("gzip", "gz", ["gzip", "-n", "-f"]))
VARYING = ("file", "compression")


def stdin_json(args, path, expected_rc):
    """klpelf-inspect --json - with path as standard input."""
    with open(path, "rb") as stdin:
        done = subprocess.run([args.inspect, "--json", "-"], stdin=stdin, capture_output=True,
                              check=False)
    if done.returncode != expected_rc:
        fail(f"klpelf-inspect --json - < {path}: exit {done.returncode}, expected {expected_rc}\n"
             f"{done.stdout!r}{done.stderr!r}")
    return json.loads(done.stdout)


def same_module(what, report, reference, compression):
    expect(f"{what}: compression", report.get("compression"), compression)
    for key in set(reference) | set(report):
        if key not in VARYING:
            expect(f"{what}: {key}", report.get(key), reference.get(key))


def check_module(args, module):
    reference = inspect_json(args, 0, module)
    expect(f"{module}: compression", reference["compression"], "none")
    same_module(f"{module} on standard input", stdin_json(args, module, 0), reference, "none")
    for name, ext, command in FORMATS:
        copy = os.path.join(args.work, os.path.basename(module))
        shutil.copyfile(module, copy)
        subprocess.run([*command, copy], check=True)
        copy += "." + ext
        same_module(copy, inspect_json(args, 0, copy), reference, name)
        same_module(f"{copy} on standard input", stdin_json(args, copy, 0), reference, name)
        expect_in(f"{copy}: the text report", inspect_text(args, 0, copy),
                  [f"compression:   {name}"])
        check_damaged(args, copy, name)


def check_damaged(args, copy, name):
    with open(copy, "rb") as f:
        data = f.read()
    for what, bad, words in (("truncated", data[:len(data) // 2], "truncated stream"),
                             ("trailing", data + b"garbage", "7 bytes of trailing garbage")):
        path = f"{copy}.{what}"
        with open(path, "wb") as f:
            f.write(bad)
        for report in (inspect_json(args, 1, path), stdin_json(args, path, 1)):
            expect(f"{path}: accepted", report["accepted"], False)
            expect(f"{path}: error", report["error_name"], "ENOEXEC")
            expect_in(f"{path}: message", report["message"], [f"{name}: {words}"])
        expect(f"{path}: step", inspect_json(args, 1, path)["step"], "klpelf_image_open")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--inspect", required=True, help="the klpelf-inspect program")
    ap.add_argument("--sample", required=True, help="the sample livepatch module")
    ap.add_argument("--kbuild-work", required=True, help="where inspect_kbuild builds")
    ap.add_argument("--work", required=True, help="this test's own directory")
    args = ap.parse_args()
    try:
        fresh_dir(args.work)
        modules = [args.sample] + [os.path.join(args.kbuild_work, m) for m in (
            "plain/klpelf_plain.ko", "livepatch/klpelf_livepatch.ko", "klpelf_plain_signed.ko")]
        for module in modules:
            if os.path.exists(module):
                check_module(args, module)
            else:
                print(f"{module}: not built (no kernel headers); the sample is checked")
        empty = os.path.join(args.work, "empty")
        open(empty, "wb").close()
        report = stdin_json(args, empty, 1)
        expect("empty standard input: step", report["step"], "klpelf_image_from_fd")
        expect_in("empty standard input", report["message"], ["the module file is empty"])
        missing = subprocess.run([args.inspect, os.path.join(args.work, "missing.ko")],
                                 capture_output=True, text=True, check=False)
        expect("a missing file: exit status", missing.returncode, 2)
        expect_in("a missing file", missing.stderr, ["missing.ko: No such file or directory"])
    except Failure as e:
        print(f"inspect_compressed: {e}", file=sys.stderr)
        return 1
    print("inspect_compressed: every module and its compressed copies reported alike")
    return 0


if __name__ == "__main__":
    sys.exit(main())
