"""The verify group's part of the report: one real distribution module's signature verified by
klpelf_verify_signature() against libcrypto's CMS_verify() in-process, on the same bytes."""

import os

from reportlib.fmt import fmt_ci, fmt_ratio, table, verdict
from reportlib.groups import VERIFY_LIMIT, VERIFY_VARIANTS
from reportlib.stats import at, ratio


def module_line(objects):
    """The benchmarked module, as the bench recorded it in <objects>/verify-module.txt."""
    try:
        with open(os.path.join(objects, "verify-module.txt")) as f:
            name, size = f.read().split()
    except (OSError, ValueError):
        return "(the module was not recorded)"
    return f"`{os.path.basename(name)}`, {int(size) / 1024:.0f} KiB decompressed"


def verify_section(est, lines, objects):
    """Appends the verify table. Returns whether the target holds, None when not measured."""
    lines.append("## verify: a module's signature\n")
    lines.append(
        "One module of Debian sid's 7.2 cloud kernel (signed by its build with an ECDSA P-384 key "
        "over SHA-256), decompressed once before timing: " + module_line(objects) + ". `klpelf` is "
        "`klpelf_verify_signature()` against a certificate set holding the certificate found in "
        "that kernel's `vmlinuz`: the trailer, the PKCS#7 parse, the digest of the ELF part, the "
        "key lookup and the ECDSA verification (RustCrypto's `sha2` and `p384`). `libcrypto` is "
        "OpenSSL's `CMS_verify()` in-process (`benches/support/c/cms_verify.c`, `-O2`), as "
        "`openssl cms -verify -binary -noverify` runs it: `d2i_CMS_ContentInfo`, the digest, the "
        "signer among the same certificate (parsed once) and the verification. Both say the "
        "signature is valid before timing.\n"
    )
    klpelf, libcrypto = at(est, VERIFY_VARIANTS, "module")
    if not klpelf or not libcrypto:
        lines.append("(not measured: no module, or no libssl-dev)\n")
        return None
    ok = ratio(klpelf, libcrypto) <= VERIFY_LIMIT
    table(
        lines,
        f"| klpelf | libcrypto | klpelf / libcrypto | target ≤ {VERIFY_LIMIT:.1f}× |",
        "|---:|---:|---:|---|",
        [f"| {fmt_ci(klpelf)} | {fmt_ci(libcrypto)} | {fmt_ratio(klpelf, libcrypto)} | "
         f"{verdict(ok)} |"],
    )
    return ok
