"""Descriptive summaries of an aligned diary: per-condition statistics, percent change from
baseline at the end points, and data quality; and the typed records of results.json's
per-patient pieces (:class:`Descriptive`, :class:`DataQuality`, :class:`VsBaseline`,
:class:`Responder`).

All read the aligned table (``nof1.data``, as :class:`~nof1.analysis.days.PatientDays`),
which has already decided which day belongs to which condition and which days are
included in comparisons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np

from nof1.analysis.days import PatientDays
from nof1.schemas.records import Json, PValue, Record, entry

__all__ = [
    "Arm",
    "Condition",
    "DataQuality",
    "Descriptive",
    "EndPoint",
    "Excluded",
    "Interim",
    "PercentChange",
    "Period",
    "Responder",
    "VsBaseline",
    "data_quality",
    "describe",
    "described",
    "end_points",
    "percent_change",
    "percent_changes",
]

#: A compared condition: active/placebo, or the groups B/A of a blinded analysis.
Arm = Literal["active", "placebo", "A", "B"]
#: A condition of the diary's days.
Condition = Literal["baseline", "active", "placebo", "A", "B"]
#: Per compared condition, the percent change of its end point from baseline (or None).
PercentChange = dict[Arm, float | None]

_QUARTILES = np.array([0.25, 0.5, 0.75])
_DATE = Json(format="date", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class Descriptive(Record):
    """n, mean, sd, median and quartiles of a condition's observed values (None where
    there are too few)."""

    n: Annotated[int, Json(minimum=0)]
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None


@dataclass(frozen=True)
class Period(Record):
    """Completeness of one (phase, period, condition) of the diary."""

    phase: str
    period: Annotated[int | None, Json(minimum=1)]
    condition: str
    first_date: Annotated[str | None, _DATE] = entry(description="null when the diary has no dates")
    last_date: Annotated[str | None, _DATE] = entry(description="null when the diary has no dates")
    days: Annotated[int, Json(minimum=0)]
    observed: Annotated[int, Json(minimum=0)]
    included: Annotated[int, Json(minimum=0)]
    completeness: Annotated[float, Json(minimum=0, maximum=1)]


@dataclass(frozen=True)
class Excluded(Record):
    """Observed days left out of the comparisons, by why."""

    analytic_washout: Annotated[int, Json(minimum=0)]
    not_a_treatment_period: Annotated[int, Json(minimum=0)]


@dataclass(frozen=True)
class Interim(Record):
    """An interim analysis: the diary ends before the schedule's last day."""

    days_so_far: Annotated[int, Json(minimum=0)] = entry(
        description="Planned days up to the last observed date (the days that count)."
    )
    days_planned: Annotated[int, Json(minimum=0)] = entry(
        description="Every planned day of the schedule."
    )
    last_date: Annotated[str | None, _DATE] = entry(description="The last observed date.")


@dataclass(frozen=True)
class DataQuality(Record):
    """Completeness per phase and period, missing dates, and days excluded and why.

    In an interim analysis (``interim`` not null) the days after the last observed date
    are not yet due: completeness, missing dates, missing values and the periods count
    only the days so far, while ``days_planned`` stays the whole schedule.
    """

    days_planned: Annotated[int, Json(minimum=0)]
    days_observed: Annotated[int, Json(minimum=0)]
    completeness: Annotated[float, Json(minimum=0, maximum=1)]
    missing_dates: tuple[Annotated[str, Json(format="date")], ...]
    missing_values: dict[str, Annotated[int, Json(minimum=0)]]
    analytic_washout_days: Annotated[int, Json(minimum=0, maximum=3650)]
    excluded: Excluded
    periods: tuple[Period, ...]
    warnings: tuple[str, ...] = entry(
        (),
        description="How the diary's periods differ from the protocol's (a condition "
        "column off the protocol's timeline); empty when they follow it.",
    )
    interim: Interim | None = entry(
        None, description="Set when the diary ends before the schedule's last day."
    )


@dataclass(frozen=True)
class VsBaseline(Record):
    """A condition against baseline (the condition minus baseline, by the primary method where
    it is an AR(1) regression, else gls_ar1), and whether it is a significant change in the
    better direction."""

    estimate: float | None
    se: float | None
    df: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: PValue
    phi: float | None
    reason: str | None
    improved: bool

    @classmethod
    def from_effect(cls, effect, improved: bool) -> VsBaseline:
        """From the :class:`~nof1.analysis.effect.Effect` of condition vs baseline."""
        core = ("estimate", "se", "df", "ci_low", "ci_high", "p_value")
        values = {k: getattr(effect, k) for k in core}
        return cls(**values, phi=effect.extra.get("phi"), reason=effect.reason, improved=improved)


@dataclass(frozen=True)
class Responder(Record):
    """Per compared condition: responder (True/False) or not assessable (None); and the rule."""

    conditions: dict[Arm, bool | None] = entry(flatten=True)
    rule: str | None = entry(
        description="The protocol's responder rule in words; null without one."
    )


@dataclass(frozen=True)
class EndPoint(Record):
    """The end points that ``percent_change`` compares with the baseline mean."""

    days: Annotated[int, Json(minimum=1)] = entry(
        description="A period's end point is the mean of its last `days` observed values."
    )
    baseline: float | None = entry(description="The mean of the baseline days; null without one.")
    conditions: dict[Arm, float | None] = entry(
        flatten=True, description="Per compared condition, the mean of its periods' end points."
    )


def describe(values) -> Descriptive:
    """n, mean, sd, median, q1, q3 of the observed values (NaN ignored).

    Quantiles are R's default (type 7, linear interpolation); sd has n - 1 in the
    denominator. Statistics that need more days than there are come back as None.

    Examples
    --------
    >>> describe([1.0, 2.0, 3.0, 4.0, float("nan")]).to_dict()
    {'n': 4, 'mean': 2.5, 'sd': 1.2909944487358056, 'median': 2.5, 'q1': 1.75, 'q3': 3.25}
    """
    return Descriptive(**_described(values))


def described(values) -> dict:
    """``describe(values).to_dict()``: the same numbers as a dict, for results.json.

    Examples
    --------
    >>> described([1.0, 2.0, 3.0, 4.0, float("nan")]) == describe([1, 2, 3, 4]).to_dict()
    True
    """
    out = _described(values)
    return {k: out.get(k) if k == "n" else _finite(out.get(k)) for k in _DESCRIPTIVE}


_DESCRIPTIVE = ("n", "mean", "sd", "median", "q1", "q3")


def _finite(value):
    return value if value is None or math.isfinite(value) else None


def _described(values) -> dict:
    """The fields of :func:`describe`: the arithmetic of ``x.mean()``, ``x.std(ddof=1)``
    and ``np.quantile`` (pairwise sums, then one division) without their overhead."""
    x = np.asarray(values, dtype=float)
    x = np.sort(x[np.isfinite(x)])
    n = len(x)
    if n == 0:
        return {"n": 0}
    mean = float(np.add.reduce(x)) / n
    sd = None
    if n > 1:
        d = x - np.add.reduce(x, keepdims=True) / n
        sd = math.sqrt(float(np.add.reduce(d * d)) / (n - 1))
    q1, median, q3 = _sorted_quartiles(x.tolist())
    return {"n": n, "mean": mean, "sd": sd, "median": median, "q1": q1, "q3": q3}


def _sorted_quartiles(x: list) -> list:
    """:func:`_quartiles` of a sorted list, the same float operations one value at a time
    (numpy's per-call overhead was most of a patient's descriptive statistics).

    Examples
    --------
    >>> x = np.sort(np.random.default_rng(1).normal(size=11))
    >>> _sorted_quartiles(x.tolist()) == _quartiles(x).tolist()
    True
    """
    out = []
    last = len(x) - 1
    for q in (0.25, 0.5, 0.75):
        h = last * q
        below = math.floor(h)
        t = h - below
        a, b = x[below], x[min(below + 1, last)]
        diff = b - a
        out.append(b - diff * (1 - t) if t >= 0.5 else a + diff * t)
    return out


def _quartiles(x: np.ndarray) -> np.ndarray:
    """Quartiles of sorted values, as ``np.quantile(x, [0.25, 0.5, 0.75])`` (its linear
    method and rounding) without its overhead, which mattered in a series.

    Examples
    --------
    >>> x = np.sort(np.random.default_rng(0).normal(size=17))
    >>> bool(np.all(_quartiles(x) == np.quantile(x, [0.25, 0.5, 0.75])))
    True
    """
    h = (x.size - 1) * _QUARTILES
    below = np.floor(h)
    t = h - below
    a = x[below.astype(int)]
    b = x[np.minimum(below.astype(int) + 1, x.size - 1)]
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def end_points(
    days: PatientDays, outcome: str, conditions: list[str], endpoint_days: int
) -> EndPoint:
    """The baseline mean and each condition's end point (None without an observed day).

    End point of a period = mean of its last ``endpoint_days`` observed values; a
    condition's end point = the mean over its periods.
    """
    baseline = days.values[outcome][days.is_condition("baseline")]
    baseline = baseline[np.isfinite(baseline)]
    out: dict[str, float | None] = {}
    for condition in conditions:
        # Means as ndarray.mean() computes them (a pairwise sum, then one division).
        ends = [
            np.add.reduce(v[-endpoint_days:]) / v[-endpoint_days:].size
            for v in days.period_values(outcome, condition, False)
            if len(v)
        ]
        out[condition] = float(np.add.reduce(np.array(ends)) / len(ends)) if ends else None
    base = float(np.add.reduce(baseline) / baseline.size) if len(baseline) else None
    return EndPoint(days=endpoint_days, baseline=base, conditions=out)


def percent_change(
    days: PatientDays, outcome: str, conditions: list[str], endpoint_days: int
) -> PercentChange:
    """Percent change of each condition's end point from the baseline mean.

    End point of a period = mean of its last ``endpoint_days`` observed values; a
    condition's end point = the mean over its periods (:func:`end_points`). Percent =
    (end point - baseline mean) / baseline mean x 100, so negative is a decrease (Younger
    et al. 2013's primary end point). None when there is no baseline, a zero baseline
    mean, or no observed day in the condition.
    """
    return percent_changes(end_points(days, outcome, conditions, endpoint_days))


def percent_changes(ends: EndPoint) -> PercentChange:
    """:func:`percent_change` from the :func:`end_points` already found."""
    base = ends.baseline
    out: dict[str, float | None] = {}
    for condition, end in ends.conditions.items():
        if base is None or end is None or base == 0:
            out[condition] = None
        else:
            out[condition] = float((end - base) / abs(base) * 100)
    return out


def data_quality(
    days: PatientDays, analytic_washout_days: int, warnings: tuple[str, ...] = ()
) -> DataQuality:
    """Completeness per phase and period, missing dates, and days excluded and why.

    A day is observed when at least one outcome was recorded on it. ``periods`` has one
    entry per (phase, period, condition), in order of first appearance. When the last
    observed day comes before the last planned day the analysis is interim: the later
    days are not yet due, and are not counted as missing (see :class:`DataQuality`).
    The record of :func:`nof1.analysis.quality.quality_entry` (its ``to_dict()``).
    """
    from nof1.analysis.quality import quality_entry

    q = quality_entry(days, analytic_washout_days, warnings)
    return DataQuality(
        **q
        | {
            "missing_dates": tuple(q["missing_dates"]),
            "excluded": Excluded(**q["excluded"]),
            "periods": tuple(Period(**period) for period in q["periods"]),
            "warnings": tuple(q["warnings"]),
            "interim": Interim(**q["interim"]) if q["interim"] else None,
        }
    )
