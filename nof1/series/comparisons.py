"""The comparisons across patients that series.json reports besides the meta-analysis:
percent change from baseline (the 2013 primary analysis), the order effect and the
responder rates, each a typed record of the one vocabulary (``estimate``, ``se``, ``df``,
``ci_low``, ``ci_high``, ``p_value``, ``reason``), built on the tests of
:mod:`nof1.series.pooled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np

from nof1.analysis.summaries import Arm
from nof1.schemas.records import Json, PValue, Record, entry
from nof1.series.columns import per_arm
from nof1.series.pooled import ExactMcNemar, mcnemar_exact, paired_comparison, welch

__all__ = [
    "GroupMean",
    "McNemar",
    "OrderEffect",
    "PatientPercentChange",
    "PercentChangeTest",
    "ResponderRate",
    "ResponderTest",
    "order_effect",
    "percent_change_test",
    "responder_test",
]

_PAIRED_TEST = "paired t (scipy.stats.ttest_rel(x, y); R t.test(x, y, paired = TRUE))"
_WILCOXON_TEST = (
    "Wilcoxon signed-rank (scipy.stats.wilcoxon(x, y); R wilcox.test(x, y, paired = TRUE))"
)
_WELCH_TEST = "Welch two-sample t (R t.test(x, y))"


@dataclass(frozen=True, slots=True)  # one per patient: no __dict__ each
class PatientPercentChange(Record):
    """A patient's percent change from baseline per compared condition."""

    patient_id: str
    values: dict[Arm, float | None] = entry(flatten=True)


@dataclass(frozen=True)
class PercentChangeTest(Record):
    """The 2013 primary analysis: percent change from baseline, treated vs control, by
    paired t and Wilcoxon signed-rank tests across patients."""

    means: dict[Arm, float | None] = entry(flatten=True, suffix="_mean")
    n: Annotated[int, Json(minimum=0)] = 0
    estimate: float | None = entry(None, description="Mean of treated - control.")
    se: float | None = None
    df: float | None = None
    t: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: PValue = entry(None, description="Paired t test.")
    cohen_dz: float | None = entry(
        None, description="Cohen's dz: mean of treated - control over its sd (paired)."
    )
    bf10: Annotated[float | None, Json(minimum=0)] = entry(
        None,
        description="JZS Bayes factor of the paired t test, a difference over none (Cauchy "
        "prior scale sqrt(2)/2; Rouder et al. 2009, as pingouin.bayesfactor_ttest).",
    )
    test: str = _PAIRED_TEST
    wilcoxon_p: PValue = None
    wilcoxon_method: Literal["exact", "approx"] | None = None
    rank_biserial: Annotated[float | None, Json(minimum=-1, maximum=1)] = entry(
        None,
        description="Matched-pairs rank-biserial correlation of treated - control "
        "(as pingouin.wilcoxon's RBC).",
    )
    wilcoxon_test: str = _WILCOXON_TEST
    per_patient: tuple[PatientPercentChange, ...] = ()
    reason: str | None = None


def percent_change_test(
    ids, changes, treated: str, control: str, alpha: float = 0.05
) -> PercentChangeTest:
    """The 2013 primary analysis: percent change from baseline, treated vs control.

    Parameters
    ----------
    ids : sequence of str
        Patient ids.
    changes : sequence of dict
        Per patient, the ``percent_change`` of results.json: condition -> percent change
        of its end point from the baseline mean (or None).
    treated, control : str
        The conditions compared (``"active"``, ``"placebo"``; ``"B"``, ``"A"`` blinded).
    alpha : float

    Returns
    -------
    PercentChangeTest
        ``means`` (per condition, over the patients with both; JSON ``{treated}_mean`` and
        ``{control}_mean``), ``estimate`` (treated - control), ``n``, ``se``, ``df``,
        ``t``, ``ci_low``, ``ci_high``, ``p_value``, ``cohen_dz``, ``bf10`` and ``test``
        (paired t), ``wilcoxon_p``, ``wilcoxon_method``, ``rank_biserial`` and
        ``wilcoxon_test`` (signed-rank),
        ``per_patient`` (``patient_id`` and the two values), ``reason``.

    Examples
    --------
    >>> r = percent_change_test(["P1", "P2", "P3"],
    ...     [{"active": -30.0, "placebo": -10.0}, {"active": -20.0, "placebo": -15.0},
    ...      {"active": -25.0, "placebo": None}], "active", "placebo")
    >>> r.means, r.estimate, r.n
    ({'active': -25.0, 'placebo': -12.5}, -12.5, 2)
    >>> list(r.to_dict())[:3]
    ['active_mean', 'placebo_mean', 'n']
    """
    x = [np.nan if c.get(treated) is None else c[treated] for c in changes]
    y = [np.nan if c.get(control) is None else c[control] for c in changes]
    test = paired_comparison(x, y, alpha)
    if len(ids) != len(changes):
        raise ValueError(f"{len(ids)} patient ids for {len(changes)} percent changes")
    per_patient = per_arm(PatientPercentChange, ids, (treated, control), changes)
    return PercentChangeTest(
        means={treated: test.x_mean, control: test.y_mean},
        n=test.n,
        estimate=test.estimate,
        se=test.se,
        df=test.df,
        t=test.t,
        ci_low=test.ci_low,
        ci_high=test.ci_high,
        p_value=test.p_value,
        cohen_dz=test.cohen_dz,
        bf10=test.bf10,
        wilcoxon_p=test.wilcoxon_p,
        wilcoxon_method=test.wilcoxon_method,
        rank_biserial=test.rank_biserial,
        per_patient=per_patient,
        reason=test.reason,
    )


@dataclass(frozen=True)
class GroupMean(Record):
    """The patients who started on one condition: how many, and their mean effect."""

    n: Annotated[int, Json(minimum=0)]
    mean: float | None


@dataclass(frozen=True)
class OrderEffect(Record):
    """Effects of the patients who started on the treated condition against those who
    started on the control condition, by Welch's t test (period or carryover effects)."""

    first: Annotated[dict[Arm, GroupMean], Json(maxProperties=2)]
    estimate: float | None = entry(None, description="Treated-first minus control-first.")
    se: float | None = None
    df: float | None = None
    t: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: PValue = None
    test: str = _WELCH_TEST
    reason: str | None = None


def order_effect(estimates, first, treated: str, control: str, alpha: float = 0.05) -> OrderEffect:
    """Effects of the patients who started on ``treated`` against those who started on
    ``control``, by Welch's t test (a check for period or carryover effects).

    Parameters
    ----------
    estimates : array_like
        Per patient effect (NaN when there is none).
    first : sequence of str or None
        Per patient, the condition of their first treatment period.

    Returns
    -------
    OrderEffect
        ``first``: ``{treated: GroupMean(n, mean), control: ...}``; ``estimate``
        (treated-first minus control-first), ``se``, ``df``, ``t``, ``ci_low``,
        ``ci_high``, ``p_value``, ``test``, ``reason``.

    Examples
    --------
    >>> r = order_effect([-12.0, -8.0, -15.0, -9.0, -6.0, -10.0, -4.0],
    ...                  ["active"] * 4 + ["placebo"] * 3, "active", "placebo")
    >>> r.first["active"].to_dict(), round(r.p_value, 4)
    ({'n': 4, 'mean': -11.0}, 0.1327)
    """
    estimates = np.asarray(estimates, dtype=float)
    first = np.asarray(first, dtype=object)
    test = welch(estimates[first == treated], estimates[first == control], alpha)
    reason = test.reason
    if reason and len(set(first[np.isfinite(estimates)]) - {None}) == 1:
        reason = "every patient started on the same condition"
    return OrderEffect(
        first={
            treated: GroupMean(test.n_x, test.x_mean),
            control: GroupMean(test.n_y, test.y_mean),
        },
        estimate=test.estimate,
        se=test.se,
        df=test.df,
        t=test.t,
        ci_low=test.ci_low,
        ci_high=test.ci_high,
        p_value=test.p_value,
        reason=reason,
    )


@dataclass(frozen=True)
class ResponderRate(Record):
    """Responders among the patients assessed on a condition, with the exact
    (Clopper-Pearson) interval of the rate."""

    n: Annotated[int, Json(minimum=0)]
    responders: Annotated[int, Json(minimum=0)]
    rate: PValue
    ci_low: PValue
    ci_high: PValue


@dataclass(frozen=True)
class McNemar(Record):
    """The paired 2 x 2 table of responders and McNemar's exact test on it."""

    both: Annotated[int, Json(minimum=0)]
    neither: Annotated[int, Json(minimum=0)]
    only: Annotated[dict[Arm, Annotated[int, Json(minimum=0)]], Json(maxProperties=2)]
    exact: ExactMcNemar = entry(flatten=True)


@dataclass(frozen=True)
class ResponderTest(Record):
    """Responder rates per condition, and McNemar's exact test between them."""

    rule: str | None
    conditions: Annotated[dict[Arm, ResponderRate], Json(maxProperties=2)]
    mcnemar: McNemar | None = None
    reason: str | None = None


def responder_test(
    flags, treated: str, control: str, rule: str | None, alpha: float = 0.05
) -> ResponderTest:
    """Responder rates per condition, and McNemar's exact test between them.

    Parameters
    ----------
    flags : sequence of dict
        Per patient, the ``responder`` of results.json: condition -> True, False or None
        (not assessable).
    treated, control : str
    rule : str or None
        The protocol's responder rule, in words; None when it has none.

    Returns
    -------
    ResponderTest
        ``rule``; ``conditions``: per condition ``n`` (assessed), ``responders``, ``rate``
        and its exact (Clopper-Pearson) ``ci_low``, ``ci_high``; ``mcnemar``: the paired
        2 x 2 table (``both``, ``neither``, ``only`` per condition) and :func:`mcnemar_exact`;
        ``reason``.

    Examples
    --------
    >>> flags = [{"active": True, "placebo": False}] * 5 + [{"active": False, "placebo": False}]
    >>> r = responder_test(flags, "active", "placebo", "pain")
    >>> r.conditions["active"].responders, r.mcnemar.exact.p_value
    (5, 0.0625)
    """
    from scipy import stats

    if rule is None:
        return ResponderTest(None, {}, reason="the protocol defines no responder rule")
    conditions = {}
    for condition in (treated, control):
        seen = [f[condition] for f in flags if f.get(condition) is not None]
        k, n = int(sum(seen)), len(seen)
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha) if n else None
        conditions[condition] = ResponderRate(
            n, k, k / n if n else None, ci.low if ci else None, ci.high if ci else None
        )
    pairs = [
        (f[treated], f[control])
        for f in flags
        if f.get(treated) is not None and f.get(control) is not None
    ]
    both = sum(a and b for a, b in pairs)
    x_only = sum(a and not b for a, b in pairs)
    y_only = sum(b and not a for a, b in pairs)
    neither = len(pairs) - both - x_only - y_only
    test = mcnemar_exact(both, x_only, y_only, neither)
    table = McNemar(both, neither, {treated: x_only, control: y_only}, test)
    return ResponderTest(rule, conditions, table)
