"""The linearity tables: median time per section for each variant, and the exponent k in
time ∝ n^k between neighbouring sizes."""

from reportlib.fmt import fmt_n, table
from reportlib.stats import linearity, ratio


def against_line(est, params, counts, against):
    """The sentence on mine / ref from count `from_n` up, or None when there are no results."""
    mine, ref, from_n = against
    rs = [
        (n, ratio(est[(mine, p)], est[(ref, p)]))
        for p, n in zip(params, counts)
        if n >= from_n and (mine, p) in est and (ref, p) in est
    ]
    if not rs:
        return None
    first, last = rs[0][1], rs[-1][1]
    trend = (
        "no trend with the count: what klpelf adds per section does not grow"
        if abs(last - first) <= 0.15 * first
        else "it changes with the count; the findings below say why"
    )
    values = ", ".join(f"{q:.2f} at {fmt_n(n)}" for n, q in rs)
    return (
        f"Against the memory system's own curve, {mine} / {ref} (median of rounds): "
        f"{values}; {trend}.\n"
    )


def linearity_section(title, est, variants, params, counts, lines, note, against=None):
    """Appends the table; `against` = (mine, ref, from_n) adds how mine / ref moves with the
    count from from_n sections up."""
    lines.append(f"### Linearity: {title}\n")
    lines.append(note + "\n")
    if against:
        sentence = against_line(est, params, counts, against)
        if sentence:
            lines.append(sentence)
    rows = []
    for v, per, exps in linearity(est, variants, params, counts):
        cells = " | ".join(f"{x:.2f} ns" if x is not None else "" for x in per)
        ex = ", ".join(f"{x:.2f}" for x in exps if x is not None)
        rows.append(f"| {v} | {cells} | {ex} |")
    head = " | ".join(f"{fmt_n(n)}" for n in counts)
    table(
        lines,
        f"| variant | {head} | exponent between neighbouring sizes |",
        "|---|" + "---:|" * len(counts) + "---|",
        rows,
    )
