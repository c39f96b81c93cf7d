"""The statistics of the report. Each ratio is taken within a round, where the variants ran
seconds apart, and the report gives the median over rounds: slow drifts of a shared host's load
then cancel."""

import math
import statistics


def middle(xs):
    return statistics.median(xs)


def at(est, variants, param):
    """The benchmark of each variant at one parameter, None where there is no result."""
    return [est.get((v, param)) for v in variants]


def round_ratios(a, b):
    """a / b within each round both have."""
    return [x.median / y.median for x, y in zip(a.rounds, b.rounds)]


def ratio(a, b):
    """The median over rounds of a / b within a round."""
    return middle(round_ratios(a, b))


def rounds_where(a, b, test):
    """How many rounds pass `test(a_round, b_round)`, and how many there are."""
    pairs = list(zip(a.rounds, b.rounds))
    return sum(1 for x, y in pairs if test(x, y)), len(pairs)


def linearity(est, variants, params, counts):
    """Rows of (variant, [ns per section for each param], exponents between neighbours)."""
    rows = []
    for v in variants:
        per = []
        exps = []
        prev = None
        for p, n in zip(params, counts):
            e = est.get((v, p))
            per.append(e.median / n if e else None)
            if e and prev:
                exps.append(math.log(e.median / prev[1]) / math.log(n / prev[0]))
            elif prev is not None or e is None:
                exps.append(None)
            prev = (n, e.median) if e else None
        rows.append((v, per, exps))
    return rows
