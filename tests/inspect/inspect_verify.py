#!/usr/bin/env python3
"""ctest driver of inspect_verify: klpelf-inspect --verify CERT and --verify-kernel IMAGE.

On the kbuild module inspect_kbuild signs with the kernel's sign-file and a fresh RSA key, and a
fresh key of each other kind made here:
- the signing certificate, as PEM and as DER (openssl x509), verifies it: exit 0, a "verified: yes"
  line naming the algorithms, the signer and the serial number (as openssl prints it), and the
  JSON "verify" member;
- another certificate: exit 1, unknown-key (ENOKEY); the unsigned module: exit 1, unsigned
  (ENODATA); a changed byte of the ELF part: exit 1, invalid (EKEYREJECTED), and openssl cms
  -verify refuses it too;
- several files: the worst status; a certificate file that is missing, or is not a certificate,
  and a kernel image that is not one: exit 2 with the file named on standard error;
- --verify-kernel on a vmlinux linked here (as and ld) with the certificate in its
  system_certificate_list: exit 0.
Prints "skipped: ..." without the kbuild modules (no kernel headers).
"""
import argparse
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import (Failure, expect, expect_in, fresh_dir, inspect_json,  # noqa: E402
                    inspect_text, run, skip)


def openssl_serial(cert):
    out = run(["openssl", "x509", "-noout", "-serial", "-in", cert], 0).stdout
    digits = out.strip().split("=", 1)[1].lstrip("0")
    digits = ("0" if len(digits) % 2 else "") + digits
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2)).upper()


def vmlinux_with(work, cert_der):
    """A vmlinux whose system_certificate_list holds cert_der, as certs/system_certificates.S
    lays it out."""
    source = os.path.join(work, "certs.S")
    with open(source, "w", encoding="ascii") as f:
        f.write(f"""\t.section .init.rodata,"a"
\t.globl system_certificate_list
system_certificate_list:
1:\t.incbin "{cert_der}"
2:\t.fill 256, 1, 0
\t.align 8
\t.globl system_certificate_list_size
system_certificate_list_size:
\t.quad 2b - 1b
\t.text
\t.globl _start
_start:\tret
""")
    run(["as", "-o", os.path.join(work, "certs.o"), source], 0)
    image = os.path.join(work, "vmlinux")
    run(["ld", "-static", "-o", image, os.path.join(work, "certs.o")], 0)
    return image


def check(args):
    signed = os.path.join(args.kbuild_work, "klpelf_plain_signed.ko")
    plain = os.path.join(args.kbuild_work, "plain", "klpelf_plain.ko")
    cert = os.path.join(args.kbuild_work, "cert.pem")
    if not all(os.path.exists(p) for p in (signed, plain, cert)):
        skip("no signed kbuild module (inspect_kbuild found no kernel headers)")
        return
    fresh_dir(args.work)
    der = os.path.join(args.work, "cert.der")
    run(["openssl", "x509", "-in", cert, "-outform", "DER", "-out", der], 0)
    serial = openssl_serial(cert)

    for c in (cert, der):
        text = inspect_text(args, 0, "--verify", c, signed)
        expect_in(f"--verify {c}", text, [
            f"verified:      yes, rsa/sha256 signature by 'klpelf-test', key {serial}"])
        report = inspect_json(args, 0, "--verify", c, signed)
        expect("JSON verify", report["verify"], {
            "valid": True, "verdict": "valid", "errno": 0, "signer": "klpelf-test",
            "key_id": serial, "hash_algo": "sha256", "pkey_algo": "rsa"})

    other_key, other = os.path.join(args.work, "other.key"), os.path.join(args.work, "other.pem")
    run(["openssl", "req", "-new", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-384", "-nodes", "-days", "1", "-subj", "/CN=other",
         "-keyout", other_key, "-out", other], 0)
    report = inspect_json(args, 1, "--verify", other, signed)
    expect("another key: verdict", report["verify"]["verdict"], "unknown-key")
    expect("another key: error", report["verify"]["error"], "ENOKEY")
    # With both, the right one is found.
    inspect_json(args, 0, "--verify", other, "--verify", cert, signed)

    report = inspect_json(args, 1, "--verify", cert, plain)
    expect("unsigned: verdict", report["verify"]["verdict"], "unsigned")
    expect("unsigned: no signer", "signer" in report["verify"], False)

    changed = os.path.join(args.work, "changed.ko")
    shutil.copyfile(signed, changed)
    with open(changed, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0x10]))
    text = inspect_text(args, 1, "--verify", cert, changed)
    expect_in("a changed byte", text, ["verified:      NO, invalid: ", "(EKEYREJECTED)"])
    size = os.path.getsize(changed)
    with open(changed, "rb") as f:
        data = f.read()
    sig_len = int.from_bytes(data[size - 28 - 4:size - 28], "big")
    elf_end = size - 28 - 12 - sig_len
    for name, part in (("elf", data[:elf_end]), ("p7s", data[elf_end:elf_end + sig_len])):
        with open(os.path.join(args.work, f"changed.{name}"), "wb") as f:
            f.write(part)
    cms = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-noverify",
                          "-in", os.path.join(args.work, "changed.p7s"), "-content",
                          os.path.join(args.work, "changed.elf"), "-certfile", cert,
                          "-out", "/dev/null"], capture_output=True, check=False)
    expect("openssl cms -verify on the changed module", cms.returncode != 0, True)

    # Several files: the worst status.
    run([args.inspect, "-q", "--verify", cert, signed, plain], 1)
    run([args.inspect, "-q", "--verify", cert, signed, signed], 0)

    missing = run([args.inspect, "--verify", os.path.join(args.work, "missing.pem"), signed], 2)
    expect_in("a missing certificate", missing.stderr,
              ["certificate file", "missing.pem: No such file or directory (ENOENT)"])
    notcert = run([args.inspect, "--verify", plain, signed], 2)
    expect_in("a module given as a certificate", notcert.stderr, ["certificate file", "EBADMSG"])
    notkernel = run([args.inspect, "--verify-kernel", cert, signed], 2)
    expect_in("a certificate given as a kernel", notkernel.stderr, ["kernel image", "not a kernel image"])

    image = vmlinux_with(args.work, der)
    report = inspect_json(args, 0, "--verify-kernel", image, signed)
    expect("--verify-kernel: verdict", report["verify"]["verdict"], "valid")
    print("inspect_verify: valid, unsigned, unknown key, changed and unreadable cases as expected")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--inspect", required=True, help="the klpelf-inspect program")
    ap.add_argument("--kbuild-work", required=True, help="where inspect_kbuild builds")
    ap.add_argument("--work", required=True, help="this test's own directory")
    args = ap.parse_args()
    try:
        check(args)
    except Failure as e:
        print(f"inspect_verify: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
