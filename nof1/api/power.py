"""``nof1.power``: how many cycles of how many weeks a design needs -> :class:`PowerResult`."""

from __future__ import annotations

import html
import json
import math
from functools import cached_property
from numbers import Integral, Real
from pathlib import Path

import pandas as pd

from nof1.api._common import protocol_file, table_html, write_report
from nof1.errors import Nof1Error
from nof1.protocol.load import ProtocolFile

__all__ = ["PowerResult", "power"]

_SHOWN = 40  # designs in the notebook table (every one is in .results)


def power(
    protocol,
    effect,
    *,
    sd: float = 12.0,
    phi: float = 0.5,
    trend: float = 0.0,
    onset_half_life: float = 0.0,
    offset_half_life: float = 0.0,
    missing: float = 0.0,
    patients: int = 1,
    effect_sd: float = 0.0,
    sims: int = 1000,
    seed: int | None = None,
    cycles=None,
    period_days=None,
    analytic_washout_days=None,
    workers: int | None = None,
    client=None,
    event_rate: dict | None = None,
    event_persistence: float = 0.5,
    missed_dose_rate: float = 0.05,
    guess_right: float = 0.5,
    guess_unsure: float = 0.2,
) -> PowerResult:
    """Power of a design by simulation: can it show the effect you hope for?

    What ``nof1 power`` does, without writing files: ``sims`` simulated trials of the
    protocol (and of each design of the grid ``cycles`` x ``period_days`` x
    ``analytic_washout_days``) for each effect, every pre-specified method run on each.

    Parameters
    ----------
    protocol : str, path or ProtocolFile
        A shipped protocol id, a YAML file, or what :func:`nof1.read_protocol` returns.
    effect : float or list of float
        True effects, active minus placebo on the primary outcome in its units (-10: 10
        points lower). Include 0 to see the type I error.
    sd, phi : float
        Day-to-day noise sd (> 0) and its lag-1 autocorrelation (strictly between -1, 1).
    trend, onset_half_life, offset_half_life, missing : float
        Drift per day; days for the effect to build up to half and to decay by half after
        an active period (carryover); probability that a diary day is missing, in [0, 1).
    patients : int
        Patients per series (1 to 1000); with more than 1 also the power of the
        random-effects meta-analysis of their effects.
    effect_sd : float
        With ``patients`` > 1: the between-patient sd of the true effect (each simulated
        patient draws their own, as ``nof1.simulate`` does). 0 gives every patient the same
        effect, which overstates the pooled power.
    sims : int
        Simulated trials per design and effect (1 to 1 000 000).
    seed : int, optional
        The same seed gives the same numbers (as ``nof1 power --seed``). Without it one
        is drawn; it is recorded in ``to_dict()["inputs"]["seed"]``.
    cycles, period_days, analytic_washout_days : int or list of int, optional
        Designs to compare (default: the protocol's own).
    workers : int, optional
        Local worker processes (default 1); the results are the same whatever the number.
    client : dask.distributed.Client, optional
        Run the simulations on its Dask cluster (``pip install 'nof1[dask]'``); the same
        results.
    event_rate : dict, optional
        Adverse event name -> (placebo, active) daily probability, as ``nof1 power
        --event-rate NAME=P:A``; the other events of the protocol get ``nof1 simulate``'s
        defaults (LDN-like). A name the protocol does not declare is an error.
    event_persistence, missed_dose_rate, guess_right, guess_unsure : float
        As the options of the same names: the events' day-to-day persistence in [0, 1),
        the daily probability of a missed dose, the probability that a guess (not unsure)
        is right, and of answering unsure. Only the protocol's own items are simulated;
        the outcome results do not depend on them.

    Returns
    -------
    PowerResult

    Raises
    ------
    nof1.errors.Nof1Error
        A value out of range, named as ``nof1 power`` names it, or an impossible design.

    Examples
    --------
    >>> import nof1
    >>> run = nof1.power("ldn-nof1-multicycle", effect=[0, -10], cycles=[2, 3], sims=50, seed=1)
    >>> primary = run.results.query("method == 'gls_ar1'")
    >>> primary[["cycles", "effect", "rejection_rate"]].reset_index(drop=True)
       cycles  effect  rejection_rate
    0       2     0.0            0.08
    1       2   -10.0            0.72
    2       3     0.0            0.04
    3       3   -10.0            0.80
    >>> run.recommendation[:53]
    'No design tried reaches 80% power; the best, 3 cycles'
    """
    import secrets

    from nof1.power import Scenario, design_grid, power_analysis
    from nof1.power.engine import check_effect_sd

    pf = protocol_file(protocol)
    effects = _numbers("effect", effect, float)
    if not effects:
        raise Nof1Error("effect: give at least one effect (e.g. effect=[0, -10])")
    grid = {
        "cycles": _numbers("cycles", cycles, int, low=1),
        "period_days": _numbers("period_days", period_days, int, low=1),
        "analytic_washout_days": _numbers("analytic_washout_days", analytic_washout_days, int),
    }
    patients = _whole("patients", patients, 1, 1000)
    if not isinstance(effect_sd, Real) or isinstance(effect_sd, bool):
        raise Nof1Error(f"effect_sd: expected a number, got {effect_sd!r}")
    check_effect_sd(float(effect_sd), patients)
    sims = _whole("sims", sims, 1, 1_000_000)
    if seed is None:
        seed = secrets.randbelow(2**31)
    seed = _whole("seed", seed, 0, 2**63 - 1)
    scenario = Scenario(
        sd=sd,
        phi=phi,
        trend=trend,
        onset_half_life=onset_half_life,
        offset_half_life=offset_half_life,
        missing=missing,
    )
    answers = _answers(
        pf, event_rate, event_persistence, missed_dose_rate, guess_right, guess_unsure
    )
    points = design_grid(pf.protocol, **grid)
    run = dict(patients=patients, sims=sims, seed=seed, effect_sd=float(effect_sd), answers=answers)
    data = power_analysis(pf, effects, scenario, points, **run, workers=workers, client=client)
    data["software"]["command"] = None
    return PowerResult(json.dumps(data, indent=2, ensure_ascii=False) + "\n", pf)


def _numbers(name: str, values, kind, low: int = 0) -> list | None:
    """One number or a list of them, checked as ``nof1 power`` checks its option; None stays."""
    if values is None:
        return None
    if isinstance(values, Real | str):
        values = [values]
    out = []
    for value in values:
        ok = isinstance(value, Integral) if kind is int else isinstance(value, Real)
        if not ok or isinstance(value, bool):
            what = "whole numbers" if kind is int else "numbers"
            raise Nof1Error(f"{name}: expected {what}, got {value!r}")
        if kind is float and not math.isfinite(value):
            raise Nof1Error(f"{name}: {value!r} is not a finite number")
        if kind is int and value < low:
            raise Nof1Error(f"{name}: each value must be at least {low}, got {value}")
        if kind(value) not in out:
            out.append(kind(value))
    return out


def _answers(pf, event_rate, persistence, missed, right, unsure) -> dict:
    """simulate_answers' settings, each value checked and named as the argument is."""
    from nof1.power.side import answer_settings

    for name, value, open_high in [
        ("event_persistence", persistence, True),
        ("missed_dose_rate", missed, False),
        ("guess_right", right, False),
        ("guess_unsure", unsure, False),
    ]:
        if not isinstance(value, Real) or isinstance(value, bool) or not 0 <= value <= 1:
            raise Nof1Error(f"{name}: expected a probability in [0, 1], got {value!r}")
        if open_high and value == 1:
            raise Nof1Error(f"{name}: expected a number in [0, 1), got {value!r}")
    rates = {}
    for name, pair in (event_rate or {}).items():
        try:
            placebo, active = (float(v) for v in pair)
        except (TypeError, ValueError):
            placebo = active = float("nan")
        if not (0 <= placebo <= 1 and 0 <= active <= 1):
            raise Nof1Error(
                f"event_rate: {name!r} needs (placebo, active), two daily probabilities in "
                f"[0, 1], got {pair!r}"
            )
        rates[name] = (placebo, active)
    settings = {"rates": rates, "persistence": float(persistence)}
    settings |= {"missed_dose_rate": float(missed), "guess_right": float(right)}
    try:
        return answer_settings(pf.protocol, settings | {"guess_unsure": float(unsure)})
    except ValueError as exc:
        raise Nof1Error(f"event_rate: {exc}") from None


def _whole(name: str, value, low: int, high: int) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool) or not low <= value <= high:
        raise Nof1Error(f"{name}: expected a whole number from {low} to {high:,}, got {value!r}")
    return int(value)


class PowerResult:
    """A power analysis: what ``nof1 power`` writes, as Python objects.

    Made by :func:`power`.

    Attributes
    ----------
    results : pandas.DataFrame
        power.json's ``results``: one row per design, effect and method, with the design
        (``cycles``, ``period_days``, ``analytic_washout_days``, ``total_days``...), the
        ``effect``, the ``rule`` of rejection, ``rejection_rate`` (power; the type I
        error when the effect is 0) and its ``mc_se``, ``bias``, ``coverage``...
    recommendation : str
        The shortest design with enough power for the primary method, in words.
    protocol : ProtocolFile
    """

    def __init__(self, power_json: str, protocol: ProtocolFile):
        self._json = power_json
        self._data = json.loads(power_json)
        self.protocol = protocol

    def to_dict(self) -> dict:
        """power.json (a fresh copy), as ``nof1 power`` writes it but for
        ``software.command`` (None)."""
        return json.loads(self._json)

    @property
    def recommendation(self) -> str:
        return self._data["recommendation"]

    @property
    def results(self) -> pd.DataFrame:
        return self._results.copy()  # a copy: changing it changes nothing here

    @cached_property
    def _results(self) -> pd.DataFrame:
        return pd.DataFrame(self._data["results"])

    def report(self, path, *, overwrite: bool = False) -> Path:
        """Write the page ``nof1 power`` writes (power.html; opens offline).

        An existing ``path`` is replaced only with ``overwrite=True``. Returns the path.
        """
        from nof1.report.power import power_html

        return write_report(
            path,
            power_html(self.to_dict(), self.protocol.protocol),
            overwrite,
            {"--protocol": self.protocol.path},
        )

    def __repr__(self) -> str:
        d = self._data
        return (
            f"<nof1 PowerResult: protocol {d['protocol']['id']}, {len(d['designs'])} design(s) "
            f"x {len(d['inputs']['effects'])} effect(s), {d['inputs']['sims']} sims each; "
            ".results, .recommendation, .report(path)>"
        )

    def _repr_html_(self) -> str:
        d = self._data
        inputs = d["inputs"]
        main = inputs["primary_method"]
        effects = inputs["effects"]
        rate = {}
        for r in d["results"]:
            if r["method"] == main:
                key = (_design_key(r), r["effect"])
                rate[key] = "–" if r["rejection_rate"] is None else f"{r['rejection_rate']:.0%}"
                if r["mc_se"] is not None:
                    rate[key] += f" ± {r['mc_se']:.0%}"
        designs = d["designs"]
        rows = [
            [x["label"], *(rate.get((_design_key(x), e), "–") for e in effects)]
            for x in designs[:_SHOWN]
        ]
        if len(designs) > _SHOWN:
            rows.append([f"... and {len(designs) - _SHOWN} more designs", *[""] * len(effects)])
        table = table_html(
            ["Design", *(f"effect {e:g}" for e in effects)],
            rows,
            f"Rejection rate of {main} ± its Monte Carlo SE (power; the type I error at effect "
            f"0), {inputs['sims']} simulated trials per design and effect, seed {inputs['seed']}",
        )
        return (
            '<div class="nof1-result">'
            f"<p><b>nof1 power</b> · protocol {html.escape(d['protocol']['id'])} · sd "
            f"{inputs['sd']:g}, phi {inputs['phi']:g}, {inputs['patients']} patient(s)</p>"
            f"<p>{html.escape(self.recommendation)}</p>{table}"
            '<p style="color:#666">Every method: <code>.results</code> (a DataFrame); the '
            "curves: <code>.report(&quot;power.html&quot;)</code>.</p></div>"
        )


def _design_key(row: dict) -> tuple:
    """What tells the designs of a grid apart, in power.json's designs and results."""
    return tuple(row[k] for k in ("cycles", "active_days", "placebo_days", "analytic_washout_days"))
