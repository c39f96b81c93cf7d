#!/usr/bin/env python3
"""Cuts the kernel's own code out of a kernel source tree for the oracle, unmodified.

Functions are cut by name, each with the preprocessor conditionals that enclose it in its file,
so the C preprocessor (with the shim's CONFIG_* values) picks the variant the Debian kernel
builds (e.g. find_pcpusec() under CONFIG_SMP). Whole files are copied as they are. Also:

- the x86-64 elf_check_arch() macro, from arch/x86/include/asm/elf.h;
- the kernel's message for every check, from the table in docs/checks.md, as a C table the
  driver matches the kernel's printed messages against;
- a check that the members of klpelf's struct load_info appear in the kernel's struct load_info
  (kernel/module/internal.h) in the same order.

Usage: extract.py KERNEL_SRC CHECKS_MD KLPELF_H OUT_DIR
Standard library only.
"""

import re
import sys
from pathlib import Path

# What the oracle compiles, per kernel file (see tests/oracle/kernel_side.c for why each is needed).
FUNCTIONS = {
    "kernel/module/main.c": [
        # The section lookups and .modinfo reader the checks use.
        "find_sec", "find_any_unique_sec", "find_pcpusec",
        "module_next_tag_pair", "get_next_modinfo", "get_modinfo",
        # The checks, validate_section_offset() through elf_validity_cache_copy().
        "validate_section_offset", "elf_validity_ehdr", "elf_validity_cache_sechdrs",
        "elf_validity_cache_secstrings", "elf_validity_cache_index_info",
        "elf_validity_cache_index_mod", "elf_validity_cache_index_sym",
        "elf_validity_cache_index_str", "elf_validity_cache_index_versions",
        "elf_validity_cache_index", "elf_validity_cache_strtab", "elf_validity_cache_copy",
        "module_elf_check_arch",
        # The loader's later steps that read what klpelf's own checks guard.
        "rewrite_section_headers", "ignore_undef_symbol", "simplify_symbols",
        "apply_relocations",
    ],
    "kernel/module/signing.c": ["mod_verify_sig", "module_sig_check"],
    "arch/x86/kernel/module.c": ["__write_relocate_add"],
    "kernel/livepatch/core.c": [
        "klp_resolve_symbols", "klp_write_section_relocs", "klp_apply_section_relocs",
    ],
}
WHOLE_FILES = ["kernel/module/livepatch.c", "kernel/module_signature.c"]

# The one function whose sizeof(struct module) names the running kernel's struct module: see
# neutral_module_size().
MODULE_SIZE_CHECK = "elf_validity_cache_index_mod"

CONDITIONAL_OPEN = re.compile(r"^\s*#\s*(if|ifdef|ifndef)\b")
CONDITIONAL_MID = re.compile(r"^\s*#\s*(elif|else)\b")
CONDITIONAL_CLOSE = re.compile(r"^\s*#\s*endif\b")


def fail(message):
    sys.exit(f"extract.py: {message}")


def definitions(lines, name):
    """Every definition of function `name` in `lines`: (first line, last line, conditionals).

    A definition starts at column 0 with a line naming `name(` that is not a declaration, and
    ends at the first line that is exactly "}". The conditionals are the directive lines of the
    enclosing #if blocks, each block's opening line followed by the #elif/#else lines passed.
    """
    found = []
    stack = []
    start = re.compile(r"^[A-Za-z_].*\b" + re.escape(name) + r"\s*\(")
    i = 0
    while i < len(lines):
        line = lines[i]
        if CONDITIONAL_OPEN.match(line):
            stack.append([line])
        elif CONDITIONAL_MID.match(line) and stack:
            stack[-1].append(line)
        elif CONDITIONAL_CLOSE.match(line) and stack:
            stack.pop()
        elif start.match(line) and not line.rstrip().endswith(";") and "#define" not in line:
            end = i
            while end < len(lines) and lines[end] != "}":
                if lines[end].rstrip().endswith(";") and "{" not in "".join(lines[i:end + 1]):
                    break  # a prototype spread over several lines
                end += 1
            if end < len(lines) and lines[end] == "}":
                found.append((i, end, [list(frame) for frame in stack]))
                i = end
        i += 1
    return found


def wrap(body, conditionals):
    """`body` inside its file's conditionals, each branch passed kept empty."""
    head = [line for frame in conditionals for line in frame]
    tail = ["#endif"] * len(conditionals)
    return "\n".join(head + body + tail)


def neutral_module_size(text):
    """Makes the size check of .gnu.linkonce.this_module neutral.

    The kernel compares the section's size with its own sizeof(struct module); the shim's struct
    module is klpelf's, whose size no real module's section has. Inside this one function (whose
    only sizeof is that one, checked here), sizeof(...) stands for the section's own size, so the
    check passes and every later check still runs. The function's text is unchanged.
    """
    uses = re.findall(r"sizeof\s*\(([^)]*)\)", text)
    if uses != ["struct module"]:
        fail(f"{MODULE_SIZE_CHECK} uses sizeof on {uses}, expected only struct module")
    return ("/* The running kernel's sizeof(struct module) is the section's own size here. */\n"
            "#define sizeof(type) (shdr->sh_size)\n" + text + "\n#undef sizeof")


def cut_functions(src, relpath, names):
    lines = (src / relpath).read_text().split("\n")
    pieces = [f"/* Cut unmodified from {relpath} by tests/oracle/extract.py. */"]
    for name in names:
        defs = definitions(lines, name)
        if not defs:
            fail(f"{relpath}: no definition of {name}()")
        for first, last, conditionals in defs:
            body = [f"#line {first + 1} \"{relpath}\""] + lines[first:last + 1]
            text = wrap(body, conditionals)
            if name == MODULE_SIZE_CHECK:
                text = neutral_module_size(text)
            pieces.append(text)
    return "\n\n".join(pieces) + "\n"


def elf_check_arch(src):
    """The x86-64 definition of elf_check_arch() (the one comparing with EM_X86_64)."""
    text = (src / "arch/x86/include/asm/elf.h").read_text()
    for match in re.finditer(r"#define elf_check_arch\(x\)((?:[^\n]*\\\n)*[^\n]*)", text):
        if "EM_X86_64" in match.group(1):
            return "/* From arch/x86/include/asm/elf.h. */\n" + match.group(0) + "\n"
    fail("arch/x86/include/asm/elf.h: no x86-64 elf_check_arch()")


def c_string(text):
    out = []
    for ch in text.encode("latin-1"):
        if ch in (0x22, 0x5C):
            out.append("\\" + chr(ch))
        elif 0x20 <= ch < 0x7F:
            out.append(chr(ch))
        else:
            out.append(f"\\{ch:03o}")
    return '"' + "".join(out) + '"'


def expected_messages(checks_md):
    """{check name: the kernel's message} from the table of the kernel's checks."""
    rows = {}
    in_table = False
    for line in checks_md.read_text().split("\n"):
        if line.startswith("## "):
            in_table = line.startswith("## The kernel's checks")
            continue
        if not in_table or not line.startswith("| `"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 4:
            fail(f"docs/checks.md: a row of the kernel's checks has {len(cells)} cells: {line}")
        name = cells[0].strip("`")
        # The table escapes | and writes ELFMAG's first byte as \177.
        message = cells[3].replace("\\|", "|").replace("\\177", "\x7f")
        rows[name] = message
    if len(rows) < 20:
        fail(f"docs/checks.md: found only {len(rows)} of the kernel's checks")
    return rows


def messages_header(rows):
    lines = ["/* The kernel's message of each check, from docs/checks.md (generated). */",
             "static const struct expected_message expected_messages[] = {"]
    for name, message in rows.items():
        lines.append(f"\t{{ {c_string(name)}, {c_string(message)} }},")
    lines.append("};")
    return "\n".join(lines) + "\n"


def struct_members(text, *names):
    """Member names of the first struct of `names` in C source `text`, in order."""
    for struct in names:
        match = re.search(r"struct " + struct + r" \{(.*?)\n\};", text, re.S)
        if match:
            break
    else:
        fail(f"no struct {' or '.join(names)}")
    body = re.sub(r"/\*.*?\*/", "", match.group(1), flags=re.S)
    members = []
    for decl in re.split(r"[;{]", body):
        decl = re.sub(r"#[^\n]*", "", decl).strip()
        if decl.startswith("}"):
            decl = decl[1:]
        for part in decl.split(","):
            word = re.findall(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$", part.strip())
            if word and word[0] not in ("struct", "unsigned", "int"):
                members.append(word[0])
    return members


def check_load_info_order(src, klpelf_h):
    kernel = struct_members((src / "kernel/module/internal.h").read_text(), "load_info")
    # klpelf's header names it struct klpelf_load_info (struct load_info by a macro).
    ours = struct_members(klpelf_h.read_text(), "klpelf_load_info", "load_info")
    positions = []
    for member in ours:
        if member not in kernel:
            fail(f"klpelf's struct load_info member {member} is not in the kernel's")
        positions.append(kernel.index(member))
    if positions != sorted(positions):
        fail(f"klpelf's struct load_info members {ours} are not in the kernel's order {kernel}")


def main():
    if len(sys.argv) != 5:
        fail("usage: extract.py KERNEL_SRC CHECKS_MD KLPELF_H OUT_DIR")
    src, checks_md, klpelf_h, out = (Path(a) for a in sys.argv[1:])
    out.mkdir(parents=True, exist_ok=True)
    for relpath, names in FUNCTIONS.items():
        target = out / (relpath.replace("/", "_").replace(".c", "") + "_cut.c")
        target.write_text(cut_functions(src, relpath, names))
    for relpath in WHOLE_FILES:
        (out / Path(relpath).name).write_text((src / relpath).read_text())
    (out / "elf_check_arch.h").write_text(elf_check_arch(src))
    (out / "expected_messages.h").write_text(messages_header(expected_messages(checks_md)))
    check_load_info_order(src, klpelf_h)


if __name__ == "__main__":
    main()
