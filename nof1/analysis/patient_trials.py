"""Patients' aligned days as kernel input: one :class:`~nof1.analysis.registry.Trials` row per
patient and outcome.

Every row lies on one grid of days, from the earliest to the latest day of any patient
(diaries aligned by their own condition column may differ in length: shorter ones are padded
with days without a value). ``y`` holds every value of the row's outcome; ``arm`` says which
days a comparison uses, so the same ``y`` serves the treated-vs-control comparison, the
randomization test (which compares other days under other allocations) and each condition
against baseline.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nof1.analysis.days import PatientDays
from nof1.analysis.randomization import Reference, patient_allocation
from nof1.analysis.registry import Trials
from nof1.protocol.model import Protocol

__all__ = [
    "VS_BASELINE_METHODS",
    "Patient",
    "compared_trials",
    "vs_baseline_method",
    "vs_baseline_trials",
]


class Patient(NamedTuple):
    """One patient to analyse: the aligned days and the conditions compared."""

    days: PatientDays
    treated: str
    control: str
    blinded: bool


def _grid(patients: list[Patient]) -> np.ndarray:
    every_day = np.concatenate([p.days.day for p in patients])
    first = int(every_day.min(initial=1))
    return np.arange(first, int(every_day.max(initial=first)) + 1)


def _rows(patients, protocol: Protocol, grid, arms):
    """y, arm and period of every (patient, outcome, comparison) row; ``arms(patient)``
    gives the comparisons as (days coded 1, days coded 0) masks over the patient's days."""
    comparisons = [arms(p) for p in patients]
    per_patient = len(protocol.outcomes) * len(comparisons[0]) if comparisons else 0
    shape = (len(patients) * per_patient, grid.size)
    y = np.full(shape, np.nan)
    arm = np.full(shape, -1, dtype=np.int8)
    period = np.zeros(shape, dtype=int)
    cycle = np.zeros(shape, dtype=int)
    row = 0
    for p, masks in zip(patients, comparisons, strict=True):
        column = p.days.day - grid[0]
        for o in protocol.outcomes:
            for one, zero in masks:
                y[row, column] = p.days.values[o.name]
                arm[row, column[zero]] = 0
                arm[row, column[one]] = 1
                period[row, column] = p.days.period
                if p.days.cycle is not None:
                    cycle[row, column] = p.days.cycle
                else:
                    cycle[row, column] = np.where(p.days.period > 0, (p.days.period + 1) // 2, 0)
                row += 1
    return y, arm, period, cycle


def _outcome_columns(protocol: Protocol, patients: int, repeat: int):
    better = np.array([1.0 if o.better == "higher" else -1.0 for o in protocol.outcomes])
    mcid = np.array([float(o.mcid) for o in protocol.outcomes])
    return np.tile(np.repeat(better, repeat), patients), np.tile(np.repeat(mcid, repeat), patients)


def compared_trials(patients: list[Patient], protocol: Protocol, seed: int = 0) -> Trials:
    """Treated (1) against control (0) on the included days: row ``i * k + j`` is patient i's
    outcome j (k outcomes), with the randomization :class:`Reference` of each patient."""
    grid = _grid(patients)

    def arms(p: Patient):
        d = p.days
        return [(d.included & (d.condition == p.treated), d.included & (d.condition == p.control))]

    y, arm, period, cycle = _rows(patients, protocol, grid, arms)
    better, mcid = _outcome_columns(protocol, len(patients), 1)
    k = len(protocol.outcomes)
    allocation = np.zeros((len(patients) * k, protocol.n_periods), dtype=bool)
    sign = np.ones(len(patients) * k)
    reason = np.full(len(patients) * k, None, dtype=object)
    for i, p in enumerate(patients):
        rows = slice(i * k, (i + 1) * k)
        found = patient_allocation(p.days, protocol, p.blinded)
        if isinstance(found, str):
            reason[rows] = found
        else:
            allocation[rows], sign[rows] = found
    reference = Reference.build(protocol, allocation, sign, reason, np.random.default_rng(seed))
    alpha = protocol.analysis.alpha
    return Trials(y, grid, arm, period, better, mcid, alpha, reference, cycle=cycle)


#: The methods that can compare a condition with baseline (a regression of the daily values
#: on the condition; a paired or randomization test needs cycles that baseline lacks).
VS_BASELINE_METHODS = ("gls_ar1", "gls_ar1_kr")


def vs_baseline_method(protocol: Protocol) -> str:
    """The method that compares each condition with baseline: the protocol's primary method
    where it is one of :data:`VS_BASELINE_METHODS`, else ``gls_ar1``."""
    primary = protocol.analysis.primary_method
    return primary if primary in VS_BASELINE_METHODS else "gls_ar1"


def vs_baseline_trials(patients: list[Patient], protocol: Protocol) -> Trials:
    """Each compared condition's included days (1) against the baseline days (0): rows
    ``2 (i * k + j) + h`` for the conditions of patient i in sorted order (h = 0, 1)."""
    grid = _grid(patients)

    def arms(p: Patient):
        d = p.days
        baseline = d.condition == "baseline"
        return [(d.included & (d.condition == c), baseline) for c in sorted([p.treated, p.control])]

    y, arm, period, cycle = _rows(patients, protocol, grid, arms)
    better, mcid = _outcome_columns(protocol, len(patients), 2)
    return Trials(y, grid, arm, period, better, mcid, protocol.analysis.alpha, cycle=cycle)
