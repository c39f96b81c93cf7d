"""The copy plot, an SVG written by hand: two panels against the section count (log x), the
median time of each variant (log y, the range over rounds as whiskers) and each variant relative
to kernel-c (linear y)."""

import math
import os

from reportlib.fmt import fmt_n, fmt_tick, fmt_time
from reportlib.groups import COPY_SIZES, COPY_VARIANTS
from reportlib.stats import ratio, round_ratios

COLORS = {"klpelf": "#d1495b", "kernel-c": "#00798c", "floor": "#7a7a7a"}


class Plot:
    """The panels' geometry and the scales from values to coordinates: x for section counts, y
    for times in the upper panel, y2 for ratios to kernel-c in the lower one."""

    w, h = 760, 700
    left, right, top = 90, 150, 44
    ph1, gap, ph2 = 380, 70, 150
    xmin, xmax = 10, 2e6

    def __init__(self, est):
        self.pw = self.w - self.left - self.right
        self.top2 = self.top + self.ph1 + self.gap
        self.ymin = 10 ** math.floor(math.log10(min(e.lo for e in est.values())))
        self.ymax = 10 ** math.ceil(math.log10(max(e.hi for e in est.values())))
        self.rel = {
            (v, n): ratio(est[(v, n)], est[("kernel-c", n)])
            for (v, n) in est
            if ("kernel-c", n) in est
        }
        spread = [q for (v, n) in self.rel for q in round_ratios(est[(v, n)], est[("kernel-c", n)])]
        self.rmin = min([0.6] + [q - 0.05 for q in spread])
        self.rmax = max([1.4] + [q + 0.05 for q in spread])

    def x(self, n):
        return self.left + self.pw * math.log10(n / self.xmin) / math.log10(self.xmax / self.xmin)

    def y(self, ns):
        return self.top + self.ph1 * (
            1 - math.log10(ns / self.ymin) / math.log10(self.ymax / self.ymin)
        )

    def y2(self, r):
        return self.top2 + self.ph2 * (1 - (r - self.rmin) / (self.rmax - self.rmin))


def grid(p):
    """The title, the grid lines and tick labels of both panels, their frames and axis titles."""
    w, h, left, pw, top, top2 = p.w, p.h, p.left, p.pw, p.top, p.top2
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{left + pw / 2}" y="24" text-anchor="middle" font-size="15">'
        "copy_module_elf + free_module_elf against section count</text>",
    ]
    for d in range(1, 7):
        xv = p.x(10**d)
        for y0, y1 in ((top, top + p.ph1), (top2, top2 + p.ph2)):
            out.append(
                f'<line x1="{xv:.1f}" y1="{y0}" x2="{xv:.1f}" y2="{y1}" stroke="#e4e4e4"/>'
            )
        for yl in (top + p.ph1 + 18, top2 + p.ph2 + 18):
            out.append(
                f'<text x="{xv:.1f}" y="{yl}" text-anchor="middle">'
                f"10<tspan dy='-6' font-size='9'>{d}</tspan></text>"
            )
    d = round(math.log10(p.ymin))
    while 10**d <= p.ymax * 1.0001:
        yv = p.y(10**d)
        out.append(
            f'<line x1="{left}" y1="{yv:.1f}" x2="{left + pw}" y2="{yv:.1f}" stroke="#e4e4e4"/>'
        )
        out.append(
            f'<text x="{left - 8}" y="{yv + 4:.1f}" text-anchor="end">{fmt_tick(10**d)}</text>'
        )
        d += 1
    step = 0.1 if p.rmax - p.rmin <= 1.2 else 0.25
    r = math.ceil(p.rmin / step) * step
    while r <= p.rmax:
        yv = p.y2(r)
        stroke = "#888" if abs(r - 1) < 1e-9 else "#e4e4e4"
        out.append(
            f'<line x1="{left}" y1="{yv:.1f}" x2="{left + pw}" y2="{yv:.1f}" stroke="{stroke}"/>'
        )
        out.append(f'<text x="{left - 8}" y="{yv + 4:.1f}" text-anchor="end">{r:.1f}×</text>')
        r += step
    return out + frames(p)


def frames(p):
    """The panels' frames and the axis titles."""
    left, pw, top, top2 = p.left, p.pw, p.top, p.top2
    out = []
    for y0, hh in ((top, p.ph1), (top2, p.ph2)):
        out.append(
            f'<rect x="{left}" y="{y0}" width="{pw}" height="{hh}" fill="none" stroke="#444"/>'
        )
    out.append(
        f'<text x="{left + pw / 2}" y="{p.h - 14}" text-anchor="middle">'
        "sections (log scale)</text>"
    )
    out.append(
        f'<text transform="translate(20 {top + p.ph1 / 2}) rotate(-90)" text-anchor="middle">'
        "median time per call (log scale)</text>"
    )
    out.append(
        f'<text transform="translate(20 {top2 + p.ph2 / 2}) rotate(-90)" text-anchor="middle">'
        "relative to kernel-c</text>"
    )
    return out


def times(p, v, series, dx, color):
    """Variant v's median times as a line, with a whisker over the rounds' range per point."""
    poly = " ".join(f"{p.x(n) + dx:.1f},{p.y(e.median):.1f}" for n, e in series)
    out = [f'<polyline points="{poly}" fill="none" stroke="{color}" stroke-width="1.8"/>']
    for n, e in series:
        cx, cy = p.x(n) + dx, p.y(e.median)
        out.append(
            f'<line x1="{cx:.1f}" y1="{p.y(e.lo):.1f}" x2="{cx:.1f}" y2="{p.y(e.hi):.1f}" '
            f'stroke="{color}" stroke-width="1.5"/>'
        )
        out.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{color}">'
            f"<title>{v}, {fmt_n(n)} sections: {fmt_time(e.median)}</title></circle>"
        )
    return out


def ratios(p, est, v, series, dx, color):
    """Variant v relative to kernel-c as a line, with a whisker over the rounds' ratios."""
    rs = [(n, p.rel[(v, n)]) for n, _ in series if (v, n) in p.rel]
    if not rs:
        return []
    poly = " ".join(f"{p.x(n) + dx:.1f},{p.y2(q):.1f}" for n, q in rs)
    out = [f'<polyline points="{poly}" fill="none" stroke="{color}" stroke-width="1.8"/>']
    for n, q in rs:
        rr = round_ratios(est[(v, n)], est[("kernel-c", n)])
        out.append(
            f'<line x1="{p.x(n) + dx:.1f}" y1="{p.y2(min(rr)):.1f}" x2="{p.x(n) + dx:.1f}" '
            f'y2="{p.y2(max(rr)):.1f}" stroke="{color}" stroke-width="1.5"/>'
        )
        out.append(
            f'<circle cx="{p.x(n) + dx:.1f}" cy="{p.y2(q):.1f}" r="3.5" fill="{color}">'
            f"<title>{v} / kernel-c, {fmt_n(n)} sections: {q:.2f}</title></circle>"
        )
    return out


def legend_entry(p, i, v, color):
    ly = p.top + 20 + 22 * i
    lx = p.left + p.pw + 16
    return [
        f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="{color}" '
        'stroke-width="2.5"/>',
        f'<circle cx="{lx + 12}" cy="{ly}" r="3.5" fill="{color}"/>',
        f'<text x="{lx + 32}" y="{ly + 4}">{v}</text>',
    ]


def notes(p):
    """The notes beside the panels: what the whiskers are, which way is faster."""
    out = []
    for k, text in enumerate(("whiskers: range", "over rounds")):
        out.append(
            f'<text x="{p.left + p.pw + 16}" y="{p.top + 100 + 13 * k}" font-size="10" '
            f'fill="#555">{text}</text>'
        )
    out.append(
        f'<text x="{p.left + p.pw + 16}" y="{p.top2 + 14}" font-size="10" fill="#555">'
        "below 1: faster</text>"
    )
    out.append(
        f'<text x="{p.left + p.pw + 16}" y="{p.top2 + 28}" font-size="10" fill="#555">'
        "than kernel-c</text>"
    )
    return out


def svg_plot(est, path):
    """Writes the plot of the copy group's results `est` to `path`; nothing without results."""
    if not est:
        return
    p = Plot(est)
    out = grid(p)
    for i, v in enumerate(COPY_VARIANTS):
        series = [(n, est[(v, n)]) for n in COPY_SIZES if (v, n) in est]
        if not series:
            continue
        color = COLORS[v]
        # Markers are offset a little sideways per variant so overlapping points stay visible.
        dx = (i - 1) * 4
        out += times(p, v, series, dx, color)
        out += ratios(p, est, v, series, dx, color)
        out += legend_entry(p, i, v, color)
    out += notes(p)
    out.append("</svg>")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
