"""How the report writes counts, times, ratios, verdicts and Markdown tables."""

from reportlib.stats import middle, round_ratios


def fmt_n(n):
    return f"{n:,}"


def fmt_time(ns):
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_tick(ns):
    """A time as an axis label: the largest unit it reaches, no trailing zeros."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3), ("ns", 1)):
        if ns >= scale:
            return f"{ns / scale:g} {unit}"
    return f"{ns:g} ns"


def fmt_ci(e):
    """The median over rounds with the range of the rounds' medians; with one round, criterion's
    median with its confidence interval."""
    if len(e.rounds) == 1:
        r = e.rounds[0]
        return f"{fmt_time(r.median)} <sub>[{fmt_time(r.lo)}, {fmt_time(r.hi)}]</sub>"
    return f"{fmt_time(e.median)} <sub>{fmt_time(e.lo)}–{fmt_time(e.hi)}</sub>"


def fmt_ratio(a, b):
    """a / b: the median over rounds with the smallest and largest round's ratio."""
    rs = round_ratios(a, b)
    if len(rs) == 1:
        return f"{rs[0]:.2f}"
    return f"{middle(rs):.2f} <sub>{min(rs):.2f}–{max(rs):.2f}</sub>"


def verdict(ok):
    return "**holds**" if ok else "**missed**"


def table(lines, head, align, rows):
    """Appends a Markdown table: its head line, its alignment line, the rows, a blank line."""
    lines.append(head)
    lines.append(align)
    lines.extend(rows)
    lines.append("")
