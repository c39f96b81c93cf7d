"""Reading a run's results: criterion's estimates of every round, and the bench objects' sizes.

`scripts/bench` saves round N as criterion baseline `rN`; the estimates are read from
<criterion>/<group>/<variant>/<param>/rN/{estimates,benchmark}.json, or from `new/` when there
are no rounds.
"""

import json
import os
import re

from reportlib.stats import middle


class Estimate:
    """One round of one benchmark: criterion's median and its 95% confidence interval, in ns."""

    def __init__(self, path):
        with open(os.path.join(path, "estimates.json")) as f:
            median = json.load(f)["median"]
        with open(os.path.join(path, "benchmark.json")) as f:
            self.throughput = json.load(f).get("throughput") or {}
        self.median = median["point_estimate"]
        self.lo = median["confidence_interval"]["lower_bound"]
        self.hi = median["confidence_interval"]["upper_bound"]


class Bench:
    """All rounds of one benchmark. `median` is the median of the rounds' medians; `lo` and `hi`
    are the smallest and largest round median."""

    def __init__(self, rounds):
        self.rounds = rounds
        self.throughput = rounds[0].throughput
        medians = [r.median for r in rounds]
        self.median = middle(medians)
        self.lo = min(medians)
        self.hi = max(medians)


def round_dirs(path):
    """The round directories of one benchmark, r1, r2, ... in order, or `new` when there are no
    rounds; only those that hold estimates."""
    names = []
    if os.path.isdir(path):
        names = [d for d in os.listdir(path) if re.fullmatch(r"r[0-9]+", d)]
    names.sort(key=lambda d: int(d[1:]))
    if not names and os.path.isdir(os.path.join(path, "new")):
        names = ["new"]
    dirs = [os.path.join(path, d) for d in names]
    return [d for d in dirs if os.path.exists(os.path.join(d, "estimates.json"))]


def load(root, group, variants, params):
    """{(variant, param): Bench} for the results that exist."""
    out = {}
    for v in variants:
        for p in params:
            dirs = round_dirs(os.path.join(root, group, v, str(p)))
            if dirs:
                out[(v, p)] = Bench([Estimate(d) for d in dirs])
    return out


def object_sizes(dirpath):
    """{object: size in bytes} of the ingest group's objects that the bench compiled."""
    sizes = {}
    for obj, name in (("module", "klpelf_bench_mod.o"), ("many", "klpelf_bench_many.o")):
        try:
            sizes[obj] = os.path.getsize(os.path.join(dirpath, name))
        except OSError:
            pass
    return sizes
