"""How a condition column's periods differ from the protocol's timeline, in words.

A diary whose ``condition`` column does not fit the protocol's timeline is analysed by its
own runs of one condition (``nof1.data.align``'s rule 2). That changes the analysis (more
or fewer periods, no randomization test), so ``nof1 analyze``, ``nof1 series`` and the
report say so, naming what differs.
"""

from __future__ import annotations

import numpy as np

from nof1.protocol.model import Protocol

__all__ = ["period_warnings"]

_TREATMENTS = ("active", "placebo")


def period_warnings(protocol: Protocol, dates, condition, period) -> tuple[str, ...]:
    """What differs between the diary's periods and the protocol's, one sentence each.

    Parameters
    ----------
    protocol : Protocol
    dates : sequence of datetime.date
        Every planned day, from the diary's first date.
    condition, period : numpy.ndarray of object
        Per planned day: the condition ("" unknown) and the treatment period (None
        outside one), as aligned by the diary's own runs.

    Returns
    -------
    tuple of str
        Empty when nothing differs; else a first sentence saying the protocol's timeline
        was not used, then one per difference.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> import datetime as dt
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> s = p.schedule
    >>> cond = ["baseline"] * (s.baseline_days - 3) + ["active"] * s.active_days
    >>> per = [None] * (s.baseline_days - 3) + [1] * s.active_days
    >>> d = [dt.date(2026, 1, 1) + dt.timedelta(k) for k in range(len(cond))]
    >>> w = period_warnings(p, d, np.array(cond, object), np.array(per, object))
    >>> "3 days shorter" in w[-1]
    True
    """
    s = protocol.schedule
    condition = np.asarray(condition, dtype=object)
    treatment = np.isin(condition, _TREATMENTS)
    found = []  # (period, condition, days, is_last, last index)
    numbers = list(dict.fromkeys(period[treatment].tolist()))
    for k, p in enumerate(numbers):
        at = np.flatnonzero(treatment & (period == p))
        found.append((p, condition[at[0]], at.size, k == len(numbers) - 1, at[-1]))
    problems = []
    if len(found) != protocol.n_periods:
        problems.append(
            f"the condition column gives {len(found)} treatment period"
            f"{'s' * (len(found) != 1)}, the protocol has {protocol.n_periods}"
        )
    odd = []
    for p, cond, days, last, end in found:
        planned = s.active_days if cond == "active" else s.placebo_days
        running = last and days < planned and end == len(condition) - 1
        if days != planned and not running:
            odd.append(f"period {p} ({cond}) {days} day{'s' * (days != 1)}")
    if odd:
        problems.append(
            f"treatment periods of other lengths than the protocol's (active "
            f"{s.active_days} days, placebo {s.placebo_days} days): {', '.join(odd)}"
        )
    baseline = _leading(condition, "baseline")
    if found and baseline != s.baseline_days:
        first = dates[0].isoformat()
        if baseline < s.baseline_days:
            k = s.baseline_days - baseline
            problems.append(
                f"the baseline is {baseline} days from the diary's first date ({first}), "
                f"{k} day{'s' * (k != 1)} shorter than the protocol's {s.baseline_days}: if "
                f"the first {k} baseline day{'s' * (k != 1)} are missing from the diary, "
                f"day 1 is {k} day{'s' * (k != 1)} late and every day number is shifted"
            )
        else:
            problems.append(
                f"the baseline is {baseline} days from the diary's first date ({first}), "
                f"the protocol's is {s.baseline_days}"
            )
    if not problems:
        problems.append("the periods found differ from the protocol's timeline")
    head = (
        "the diary's condition column does not follow the protocol's timeline from its "
        f"first date ({dates[0].isoformat()}), so its own periods are analysed and there "
        "is no randomization test; check the condition column"
    )
    return (head, *problems)


def _leading(condition, value: str) -> int:
    """How many days from the start hold ``value``."""
    n = 0
    while n < len(condition) and condition[n] == value:
        n += 1
    return n
