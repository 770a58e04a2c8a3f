"""The descriptive statistics and end points of many patients and outcomes at once.

:func:`outcome_summaries` gives, for every patient of a chunk and every outcome, what
:func:`~nof1.analysis.summaries.described`, :func:`~nof1.analysis.summaries.end_points`
and :func:`~nof1.analysis.summaries.percent_changes` give one at a time, bit for bit: the
same sums in the same order, done for every group of days in a few array operations
(the one-at-a-time functions cost most of a patient's assembly in a series).

Exactness rests on :func:`row_sums`, numpy's own summation (``np.add.reduce``: pairwise,
with eight accumulators per block of 128) replayed on the rows of a matrix; a test
checks it against ``np.add.reduce`` for every length up to a few hundred. Groups with a
negative zero (whose sign a sum of padded rows could lose) go one at a time.
"""

from __future__ import annotations

import numpy as np

from nof1.analysis.days import PatientDays
from nof1.analysis.summaries import described, end_points, percent_changes

__all__ = ["outcome_summaries", "row_sums"]

_BLOCK = 128  # numpy's pairwise block: rows longer than this are summed one by one
_QUARTILES = (0.25, 0.5, 0.75)
_DESCRIPTIVE = ("n", "mean", "sd", "median", "q1", "q3")


def row_sums(x: np.ndarray, n) -> np.ndarray:
    """``np.add.reduce(x[r, :n[r]])`` for every row r, bit for bit, without a call per row.

    Up to 128 values numpy adds every eighth value into eight accumulators, adds those
    pairwise and then the rest one by one; that is done here for all rows at once, the
    values beyond ``n[r]`` left out (adding 0.0 changes no sum without a negative zero:
    rows must hold none). Longer rows are summed by numpy itself.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(4, 40)) * 1e6
    >>> n = np.array([0, 7, 23, 40])
    >>> row_sums(x, n).tolist() == [float(np.add.reduce(r[:k])) for r, k in zip(x, n)]
    True
    """
    n = np.asarray(n, dtype=np.intp)
    out = np.empty(x.shape[0])
    long = np.flatnonzero(n > _BLOCK)
    for r in long.tolist():
        out[r] = np.add.reduce(x[r, : n[r]])
    small = n <= _BLOCK
    if not small.any():
        return out
    xs, ns = (x, n) if long.size == 0 else (x[small], n[small])
    rows, width = xs.shape
    lanes = ns - ns % 8  # values in the eight accumulators; the rest are added after
    w8 = min(width, _BLOCK) // 8 * 8
    if w8:
        block = np.where(np.arange(w8) < lanes[:, None], xs[:, :w8], 0.0)
        block = block.reshape(rows, w8 // 8, 8)
        acc = block[:, 0].copy()
        for b in range(1, w8 // 8):
            acc += block[:, b]
    else:
        acc = np.zeros((rows, 8))
    total = ((acc[:, 0] + acc[:, 1]) + (acc[:, 2] + acc[:, 3])) + (
        (acc[:, 4] + acc[:, 5]) + (acc[:, 6] + acc[:, 7])
    )
    at = np.arange(rows)
    for t in range(7):
        col = lanes + t
        take = col < ns
        if not take.any():
            break
        total += np.where(take, xs[at, np.minimum(col, width - 1)], 0.0)
    out[small] = total
    return out


def _grouped(group: np.ndarray, value: np.ndarray, groups: int, order=None, ascending=False):
    """(rows, counts): row g holds group g's values in the given order (or by ``order``;
    sorted with ``ascending``), NaN after its ``counts[g]``."""
    if order is not None:
        idx = np.lexsort((order, group))
    else:  # a radix sort for up to 65 536 groups
        idx = np.argsort(group.astype(np.uint16 if groups <= 1 << 16 else np.intp), kind="stable")
    g = group[idx]
    counts = np.bincount(g, minlength=groups)
    starts = np.cumsum(counts) - counts
    rows = np.full((groups, max(int(counts.max(initial=0)), 1)), np.nan)
    rows[g, np.arange(g.size) - starts[g]] = value[idx]
    if ascending:
        rows.sort(axis=1)  # NaN last
    return rows, counts


def _descriptive(rows: np.ndarray, n: np.ndarray) -> list[dict]:
    """:func:`~nof1.analysis.summaries.described` of each row (sorted, NaN after n)."""
    with np.errstate(all="ignore"):
        nn = np.maximum(n, 1)
        mean = row_sums(rows, n) / nn
        d = rows - mean[:, None]
        sd = np.sqrt(row_sums(d * d, n) / np.maximum(n - 1, 1))
        last = nn - 1
        quartiles = []
        at = np.arange(rows.shape[0])
        for q in _QUARTILES:
            h = last * q
            below = np.floor(h)
            t = h - below
            a = rows[at, below.astype(np.intp)]
            b = rows[at, np.minimum(below.astype(np.intp) + 1, last)]
            diff = b - a
            quartiles.append(np.where(t >= 0.5, b - diff * (1 - t), a + diff * t))
    mean[n == 0], sd[n < 2] = np.nan, np.nan
    columns = [n.tolist()]
    for c in (mean, sd, quartiles[1], quartiles[0], quartiles[2]):
        columns.append(_nulls(c))
    return [dict(zip(_DESCRIPTIVE, row, strict=True)) for row in zip(*columns, strict=True)]


def _nulls(values: np.ndarray) -> list:
    """The values as floats, None where not finite."""
    out = values.tolist()
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        out[i] = None
    return out


def outcome_summaries(
    patients: list[PatientDays], outcomes: list[str], conditions: list, endpoint_days: int
) -> list[list[tuple[dict, dict, dict]]]:
    """Per patient and outcome: ``(descriptive, end_point, percent_change)`` as results.json
    has them, for the patients' compared ``conditions`` (each patient's two, sorted).

    ``descriptive`` is ``{"baseline": described(...), c: described(...), ...}`` (a
    condition's included days), ``end_point`` is ``end_points(...).to_dict()`` and
    ``percent_change`` is ``percent_changes(end_points(...))``, bit for bit.
    """
    k, n_pat = len(outcomes), len(patients)
    if not patients or not k:
        return [[] for _ in patients]
    size = [d.day.size for d in patients]
    values = np.concatenate(
        [np.array([d.values[o] for o in outcomes], dtype=float).reshape(k, -1) for d in patients],
        axis=1,
    )

    def joined(mask) -> np.ndarray:  # a mask of each patient's days, end to end
        return np.concatenate([mask(d, c) for d, c in zip(patients, conditions, strict=True)])

    baseline = joined(lambda d, c: d.is_condition("baseline"))
    one, two = joined(lambda d, c: d.is_condition(c[0])), joined(lambda d, c: d.is_condition(c[1]))
    included = joined(lambda d, c: d.included)
    period = joined(lambda d, c: d.period).astype(np.int64)
    slot = np.full(baseline.size, -1)  # 0 baseline, 1 and 2 a condition's included days
    slot[baseline], slot[included & one], slot[included & two] = 0, 1, 2
    cslot = np.full(baseline.size, -1)  # a condition's days in its periods
    cslot[one & (period > 0)], cslot[two & (period > 0)] = 0, 1
    who = np.repeat(np.arange(n_pat), size)
    day = np.concatenate([d.day for d in patients])
    finite = np.isfinite(values)
    signed = finite & (values == 0) & np.signbit(values)  # -0.0: one at a time
    one_by_one = set()
    if signed.any():
        j, t = np.nonzero(signed)
        one_by_one = set(zip(who[t].tolist(), j.tolist(), strict=True))
    series = who[None, :] * k + np.arange(k)[:, None]  # patient and outcome of each value

    # Descriptive statistics: each group's values sorted.
    use = finite & (slot >= 0)
    group = (series * 3 + slot)[use]
    rows, n = _grouped(group, values[use], n_pat * k * 3, ascending=True)
    descriptive = _descriptive(rows, n)

    # End points: the baseline mean (in day order), each period's last values, their mean.
    use = finite & (slot == 0)
    rows, n = _grouped(series[use], values[use], n_pat * k)
    with np.errstate(all="ignore"):
        base = row_sums(rows, n) / np.maximum(n, 1)
    base[n == 0] = np.nan  # None
    use = finite & (cslot >= 0)
    top = int(period.max(initial=0)) + 1
    key = ((series * 2 + cslot) * top + period)[use]
    space = n_pat * k * 2 * top
    later = (np.diff(day) > 0) | (who[1:] != who[:-1])
    if space <= 1 << 16 and later.all():  # in day order: each (period) group as it comes
        rows, n = _grouped(key, values[use], space)
        keys = np.flatnonzero(n)
        rows, n = rows[keys], n[keys]
    else:
        keys, group = np.unique(key, return_inverse=True)
        order = np.broadcast_to(day, use.shape)[use]
        rows, n = _grouped(group.ravel(), values[use], keys.size, order=order)
    kept = np.minimum(n, endpoint_days)
    rows = _last(rows, n, kept)
    with np.errstate(all="ignore"):
        ends = row_sums(rows, kept) / np.maximum(kept, 1)
    rows, n = _grouped(keys // top, ends, n_pat * k * 2)
    with np.errstate(all="ignore"):
        means = row_sums(rows, n) / np.maximum(n, 1)
        means[n == 0] = np.nan  # None
        bases = np.repeat(base, 2)
        percent = (means - bases) / np.abs(bases) * 100  # None where either is, or base 0
        percent[bases == 0] = np.nan
    base, means, percent = _nulls(base), _nulls(means), _nulls(percent)
    out = []
    for i, (d, (c1, c2)) in enumerate(zip(patients, conditions, strict=True)):
        mine = []
        for j, name in enumerate(outcomes):
            s = i * k + j
            if (i, j) in one_by_one:
                mine.append(_one_by_one(d, name, [c1, c2], endpoint_days))
                continue
            desc = dict(zip(("baseline", c1, c2), descriptive[3 * s : 3 * s + 3], strict=True))
            b, e1, e2 = base[s], means[2 * s], means[2 * s + 1]
            point = {"days": endpoint_days, "baseline": b, c1: e1, c2: e2}
            mine.append((desc, point, {c1: percent[2 * s], c2: percent[2 * s + 1]}))
        out.append(mine)
    return out


def _last(rows: np.ndarray, n: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Each row's last ``kept`` of its ``n`` values, moved to its start."""
    width = max(int(kept.max(initial=0)), 1)
    at = (n - kept)[:, None] + np.arange(width)
    inside = at < n[:, None]
    picked = np.take_along_axis(rows, np.minimum(at, rows.shape[1] - 1), axis=1)
    return np.where(inside, picked, np.nan)


def _one_by_one(days: PatientDays, name: str, conditions: list, endpoint_days: int) -> tuple:
    """The one-at-a-time functions themselves (for values with a negative zero)."""
    values = days.values[name]
    counted = days.included & ~np.isnan(values)
    desc = {"baseline": described(values[days.is_condition("baseline")])}
    for c in conditions:
        desc[c] = described(values[counted & days.is_condition(c)])
    ends = end_points(days, name, conditions, endpoint_days)
    return desc, ends.to_dict(), percent_changes(ends)
