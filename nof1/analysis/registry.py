"""The per-patient methods, each declared once.

Everything that names a method reads this module: the protocol's allowed
``primary_method`` values, the analysis (which kernels run, in which order), the verdict and
the report (plain-language names and the methods text), ``nof1 power`` (how a simulated trial
counts as a rejection) and the JSON Schemas (which keys a method's effect has).

A method is a **kernel**: a function from :class:`Trials` (one row per series: a patient's
outcome, or a simulated trial) to :class:`Estimates` (one value per row and field). The same
kernel serves ``nof1 analyze`` (one row per outcome), ``nof1 series`` (a row per patient and
outcome) and ``nof1 power`` (a row per simulated trial).

Adding a method: write its kernel in one module under :mod:`nof1.analysis`, add its
:class:`Method` entry to :data:`METHODS` below, and test it (against R where R has it).

This module stays cheap to import (no numpy at import time): kernels are loaded by name on
first use, so ``nof1 --help`` and protocol validation do not pay for scipy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "METHODS",
    "Estimates",
    "Method",
    "Trials",
    "method",
    "primary_methods",
]

#: Core fields of a method with an estimate in outcome units, an interval and a p-value.
_T_FIELDS = ("estimate", "se", "df", "ci_low", "ci_high", "p_value")

PowerRule = Literal["p_value", "p_benefit", "interval_excludes_null"]


@dataclass(frozen=True)
class Trials:
    """``m`` series on one grid of days: the input of every kernel, one row per series.

    Attributes
    ----------
    y : ndarray of float, shape (m, T)
        Daily values; NaN where there is no value (missing, or a day the row does not use).
    day : ndarray of int, shape (T,)
        Study day of each column (calendar days; gaps between columns are allowed).
    arm : ndarray of int8, shape (m, T)
        1 = a compared day of the treated condition, 0 = a compared day of the control
        condition, -1 = not compared (baseline, washout, excluded, outside the series).
        Every effect is treated minus control.
    period : ndarray of int, shape (m, T)
        The treatment period each day belongs to, numbered 1, 2, ... in time order;
        0 outside treatment periods.
    better : ndarray of float, shape (m,)
        +1 where higher values are better, -1 where lower values are better.
    mcid : ndarray of float, shape (m,)
        Minimal clinically important difference of the row's outcome (points, > 0).
    alpha : float
        Two-sided level; intervals are at level 1 - alpha.
    reference : object or None
        What the randomization test needs beyond the daily series (the protocol's scheme
        and each row's allocation, with a reason per row where there is none); ``None``
        when no row has one. Defined by :mod:`nof1.analysis.randomization`.
    n_grid : int, default 100
        Grid points over phi for the Bayesian integral (``nof1 power`` uses fewer; see
        :func:`~nof1.analysis.bayes_batch.posterior_ar1_batch` for the accuracy).
    density : bool, default True
        Whether kernels return per-row curves (the Bayesian posterior density for the
        report); ``nof1 power`` needs none.
    truth : float, default NaN
        The true treated-minus-control effect, known only for simulated rows (``nof1
        power``). A kernel may then report ``covered`` (1/0: its interval holds the truth)
        and leave out what only results.json reads (interval ends that need root finding,
        ``p_mcid``).
    cache : dict
        Work shared between kernels on these same rows (the AR(1) sufficient statistics
        serve gls_ar1 and bayes_ar1); filled by the kernels, never by the caller.
    cycle : ndarray of int, shape (m, T), optional
        The cycle each day belongs to (1, 2, ...; 0 outside treatment periods), as the
        aligned table's ``cycle``; ``None`` = ``(period + 1) // 2``, two periods per cycle as
        the protocol's timeline numbers them. ``paired_periods`` pairs within cycles.
    """

    y: np.ndarray
    day: np.ndarray
    arm: np.ndarray
    period: np.ndarray
    better: np.ndarray
    mcid: np.ndarray
    alpha: float
    reference: Any = None
    n_grid: int = 100
    density: bool = True
    truth: float = float("nan")
    cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    cycle: np.ndarray | None = None

    def cycles(self) -> np.ndarray:
        """:attr:`cycle`, or where it is ``None`` the cycle implied by :attr:`period`."""
        import numpy as np

        if self.cycle is not None:
            return np.asarray(self.cycle)
        period = np.asarray(self.period)
        return np.where(period > 0, (period + 1) // 2, 0)

    @property
    def m(self) -> int:
        """Number of rows (series)."""
        return int(self.y.shape[0])


@dataclass(frozen=True)
class Estimates:
    """One method's results on ``m`` series.

    Attributes
    ----------
    method : str
        The method's key.
    values : dict of str to ndarray
        Per field of the method (:attr:`Method.fields`) an array of ``m`` values, NaN where
        undefined; non-scalar fields (``density``) hold an object array of per-row values.
    reason : ndarray of object, shape (m,)
        ``None`` where the method ran, else why it could not (plain language; the two arms
        are called "active" and "placebo" and reworded by the caller).
    """

    method: str
    values: dict[str, Any]
    reason: Any

    def effect(self, row: int):
        """Row ``row`` as an :class:`~nof1.analysis.effect.Effect`."""
        from nof1.analysis.effect import Effect

        reason = self.reason[row]
        if reason is not None:
            return Effect.unavailable(self.method, reason)
        core = {k: self.values[k][row] for k in _T_FIELDS if k in self.values}
        extra = {k: v[row] for k, v in self.values.items() if k not in _T_FIELDS}
        return Effect(self.method, **core, extra=extra)

    def effects(self) -> list:
        """Every row as an :class:`~nof1.analysis.effect.Effect`: :meth:`effect` of each row,
        each field converted once for all rows (a series has a row per patient and outcome)."""
        from nof1.analysis.effect import Effect, plain_list

        m = len(self.reason)
        reasons = list(self.reason)
        core = {
            k: [None if v is None else float(v) for v in plain_list(self.values[k])]
            for k in _T_FIELDS
            if k in self.values
        }
        extra = {k: plain_list(v) for k, v in self.values.items() if k not in _T_FIELDS}
        out = []
        for row in range(m):
            reason = reasons[row]
            if reason is not None:
                out.append(Effect.from_plain(self.method, {}, {}, reason))
            else:
                out.append(
                    Effect.from_plain(
                        self.method,
                        {k: v[row] for k, v in core.items()},
                        {k: v[row] for k, v in extra.items()},
                        None,
                    )
                )
        return out


@dataclass(frozen=True)
class Method:
    """One per-patient method.

    Attributes
    ----------
    key : str
        Its name in files (``results.json``, protocols, ``power.json``).
    name : str
        Short plain-language name for tables, legends and power curves.
    words : str
        How the verdict says it ("a regression that allows for day-to-day correlation").
    description : str
        Its sentence in the report's methods text: enough to reproduce it.
    fields : tuple of str
        The keys of its effect in ``results.json`` (``reason`` is always added).
    kernel : str
        ``"module:function"``: the function ``(Trials) -> Estimates``, loaded on first use.
    may_be_primary : bool
        Whether a protocol may name it as ``primary_method``: the headline needs an
        estimate in outcome units with an interval and a p-value.
    power_rule : {"p_value", "p_benefit", "interval_excludes_null"}
        When ``nof1 power`` counts a simulated trial as a rejection: two-sided
        ``p_value <= alpha``; ``p_benefit > 1 - alpha / 2``; or the interval excludes
        :attr:`null`.
    power_note : str or None
        A caveat shown beside its power results; ``{alpha}``, ``{threshold}`` (1 - alpha/2)
        and ``{half_alpha}`` are filled in.
    null : float
        The estimate's value under no effect (0 for differences; 0.5 for NAP).
    outcome_units : bool
        Whether the estimate is in outcome units (drawn in the forest plot, bias reported).
    in_power : bool
        Whether ``nof1 power`` runs it.
    """

    key: str
    name: str
    words: str
    description: str
    fields: tuple[str, ...]
    kernel: str
    may_be_primary: bool
    power_rule: PowerRule = "p_value"
    power_note: str | None = None
    null: float = 0.0
    outcome_units: bool = True
    in_power: bool = True

    def run(self, trials: Trials) -> Estimates:
        """The kernel on ``trials``."""
        module, function = self.kernel.split(":")
        fn: Callable[[Trials], Estimates] = getattr(importlib.import_module(module), function)
        return fn(trials)


#: Every per-patient method, in the order results.json, the report and power list them.
METHODS: dict[str, Method] = {
    m.key: m
    for m in [
        Method(
            key="gls_ar1",
            name="AR(1) regression",
            words="a regression that allows for day-to-day correlation",
            description=(
                "generalized least squares of the daily value on treatment with first-order "
                "autoregressive errors over calendar days (gaps allowed), fitted by restricted "
                "maximum likelihood, t-test with n - 2 degrees of freedom"
            ),
            fields=(*_T_FIELDS, "phi"),
            kernel="nof1.analysis.ar1:gls_ar1",
            may_be_primary=True,
        ),
        Method(
            key="gls_ar1_kr",
            name="Corrected AR(1) regression",
            words=(
                "a regression that allows for day-to-day correlation, with a small-sample "
                "correction for how uncertain that correlation is"
            ),
            description=(
                "generalized least squares of the daily value on treatment with first-order "
                "autoregressive errors over calendar days (gaps allowed), fitted by restricted "
                "maximum likelihood, with Kenward-Roger small-sample inference: the standard "
                "error adjusted for the uncertainty in the estimated autocorrelation and "
                "variance (Kenward-Roger covariance with its second-order term, the "
                "autocorrelation on the atanh scale, observed REML information) and a t-test "
                "with Satterthwaite degrees of freedom"
            ),
            fields=(*_T_FIELDS, "phi"),
            kernel="nof1.analysis.ar1_kr:gls_ar1_kr",
            may_be_primary=True,
        ),
        Method(
            key="gls_ar1_trend",
            name="AR(1) regression with a time trend",
            words="a regression that allows for day-to-day correlation and a time trend",
            description=(
                "generalized least squares of the daily value on treatment and a linear "
                "time trend with first-order autoregressive errors over calendar days, "
                "fitted by restricted maximum likelihood, t-test with n - 3 degrees of freedom"
            ),
            fields=(*_T_FIELDS, "phi"),
            kernel="nof1.analysis.ar1:gls_ar1_trend",
            may_be_primary=True,
            in_power=False,
        ),
        Method(
            key="welch_t",
            name="Welch t-test (ignores correlation)",
            words="a t-test that ignores day-to-day correlation",
            description=(
                "Welch's t-test of the compared days, which treats the days as independent "
                "(it ignores autocorrelation)"
            ),
            fields=_T_FIELDS,
            kernel="nof1.analysis.classic:welch_t",
            may_be_primary=True,
            power_note="ignores autocorrelation: with phi > 0 its type I error is inflated",
        ),
        Method(
            key="paired_periods",
            name="Paired t-test over cycles",
            words="a paired t-test over cycles",
            description=(
                "a paired t-test over cycles of the mean of the treated period minus the "
                "mean of the control period of the same cycle, with cycles - 1 degrees of "
                "freedom; cycles without an observed period of each condition are left out"
            ),
            fields=(*_T_FIELDS, "cycles_used", "cycles_left_out"),
            kernel="nof1.analysis.classic:paired_periods",
            may_be_primary=True,
        ),
        Method(
            key="randomization",
            name="Randomization test",
            words="a randomization test",
            description="a randomization test over every allocation the scheme could have produced",
            fields=("estimate", "p_value", "n_allocations", "exact", "min_p"),
            kernel="nof1.analysis.randomization:randomization",
            may_be_primary=False,
        ),
        Method(
            key="nap",
            name="Non-overlap of all pairs",
            words="the non-overlap of all pairs of days",
            description=(
                "non-overlap of all pairs: the share of pairs of a treated and a control day "
                "in which the treated day is better (ties count half; 50% means no "
                "difference), with an interval from its placement values whose variance is "
                "estimated across treatment periods (so it allows for day-to-day "
                "correlation), t with periods - 2 degrees of freedom, and never narrower than "
                "Newcombe's independent-days interval; no interval with fewer than 2 periods "
                "of a condition"
            ),
            fields=("estimate", "se", "df", "ci_low", "ci_high", "interval_reason"),
            kernel="nof1.analysis.nonoverlap:nap",
            may_be_primary=False,
            power_rule="interval_excludes_null",
            power_note=(
                "interval from a variance across treatment periods (allows for day-to-day "
                "correlation); a probability, so no bias is reported"
            ),
            null=0.5,
            outcome_units=False,
        ),
        Method(
            key="bayes_ar1",
            name="Bayesian AR(1)",
            words="a Bayesian regression that allows for day-to-day correlation",
            description=(
                "a Bayesian AR(1) model with flat priors on the effect, 1/sigma on sigma and "
                "uniform phi, integrated exactly over phi, giving the probability of benefit "
                "and of a benefit of at least the minimal clinically important difference"
            ),
            fields=("estimate", "ci_low", "ci_high", "p_benefit", "p_mcid", "density"),
            kernel="nof1.analysis.bayes:bayes_ar1",
            may_be_primary=False,
            power_rule="p_benefit",
            power_note=(
                "claims benefit when P(benefit) > {threshold:g}: the benefit half of a "
                "two-sided {alpha:g} test, so with no effect it errs about {half_alpha:.1%} of "
                "the time, and it never rejects for harm"
            ),
        ),
    ]
}


def method(key: str) -> Method:
    """The method ``key``; ``KeyError`` naming the known keys if there is none."""
    try:
        return METHODS[key]
    except KeyError:
        raise KeyError(f"no method {key!r}; known: {', '.join(METHODS)}") from None


def primary_methods() -> tuple[str, ...]:
    """The keys a protocol may name as ``primary_method``."""
    return tuple(k for k, m in METHODS.items() if m.may_be_primary)
