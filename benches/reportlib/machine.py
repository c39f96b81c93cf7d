"""The description of the machine the report runs on: CPU, memory, kernel, compilers, libelf and
the crates' versions, with the run's date and the load average around it."""

import datetime
import os
import platform
import re
import subprocess

from reportlib.fmt import table


def run(cmd):
    """The command's standard output, stripped; empty when it cannot run."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def lscpu():
    fields = {}
    for line in run(["lscpu"]).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip()] = v.strip()
    return fields


def lock_version(name):
    """The version of crate `name` in Cargo.lock, or `?`."""
    try:
        text = open("Cargo.lock").read()
    except OSError:
        return "?"
    m = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(name), text)
    return m.group(1) if m else "?"


def meminfo():
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def machine(load_before, load_after, date):
    """Rows of (what, description). An empty `load_after` or `date` is taken now."""
    cpu = lscpu()
    caches = ", ".join(
        f"{k.split()[0]} {cpu[k]}" for k in ("L1d cache", "L2 cache", "L3 cache") if k in cpu
    )
    cc = run([os.environ.get("CC", "cc"), "--version"]).splitlines()
    libelf = run(["dpkg-query", "-W", "-f", "${Version}", "libelf-dev"]) or "not installed"
    if not load_after:
        try:
            load_after = " ".join(open("/proc/loadavg").read().split()[:3])
        except OSError:
            load_after = "?"
    if not date:
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("CPU", cpu.get("Model name", platform.processor() or "?")),
        (
            "cores",
            f"{cpu.get('CPU(s)', os.cpu_count())} logical, "
            f"{cpu.get('Thread(s) per core', '?')} thread(s) per core"
            + (f", {cpu['Hypervisor vendor']} guest" if "Hypervisor vendor" in cpu else ""),
        ),
        ("caches", caches or "?"),
        ("memory", meminfo()),
        ("kernel", " ".join(platform.uname()[i] for i in (0, 2, 4))),
        ("rustc", run(["rustc", "-V"]) or "?"),
        ("C compiler", cc[0] if cc else "?"),
        ("libelf", f"elfutils libelf-dev {libelf}"),
        ("crates", f"goblin {lock_version('goblin')}, criterion {lock_version('criterion')}"),
        ("date (end of the run)", date),
        (
            "load average (1, 5, 15 min)",
            f"before {load_before or '?'}; after {load_after}",
        ),
    ]
    return rows


def machine_section(lines, load_before, load_after, date, settings):
    """Appends the machine table, with criterion's settings when given."""
    lines.append("## Machine\n")
    rows = [f"| {k} | {v} |" for k, v in machine(load_before, load_after, date)]
    if settings:
        rows.append(f"| criterion settings | {settings} |")
    table(lines, "| | |", "|---|---|", rows)
