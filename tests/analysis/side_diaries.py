"""Aligned tables with side effects, doses taken and guesses, for the side-analysis tests.

Until the shipped protocols have ``adverse_events``, ``adherence`` and ``blinding_check``
(branch i16data), :func:`with_items` adds them to a protocol through a thin proxy.
"""

from __future__ import annotations

import dataclasses

import numpy as np

EVENTS = [("vivid_dreams", "Vivid dreams"), ("insomnia", "Trouble sleeping")]
ADHERENCE = ("dose_taken", "Took today's capsules", 0.8)
CHECK = ("guess", "Which do you think you took this period?")


class _Protocol:
    """``protocol`` with the given attributes added (or replaced)."""

    def __init__(self, protocol, **extra):
        self._protocol, self._extra = protocol, extra

    def __getattr__(self, name):
        if name in self._extra:
            return self._extra[name]
        return getattr(self._protocol, name)


def with_items(pf, events=EVENTS, adherence=ADHERENCE, check=CHECK):
    """The protocol file with the side items (each None to leave it out)."""
    p = pf.protocol
    if getattr(p, "adverse_events", None) and events is EVENTS:
        return pf  # the protocol has them already
    extra = {"adverse_events": events or [], "adherence": adherence, "blinding_check": check}
    return dataclasses.replace(pf, protocol=_Protocol(p, **extra))


def add_items(table, seed=3, rates=(0.3, 0.05), low_adherence_period=3, guess=None):
    """Columns vivid_dreams (rates on active/placebo days), insomnia (10%, some missing),
    dose_taken (90%, 50% in ``low_adherence_period``) and guess on each period's last day
    (``guess(condition)``; by default "drug" on active and "unsure" on placebo)."""
    rng = np.random.default_rng(seed)
    n = len(table)
    active = table["condition"].isin(["active", "B"]).to_numpy()
    table["vivid_dreams"] = (rng.random(n) < np.where(active, *rates)).astype(float)
    insomnia = (rng.random(n) < 0.1).astype(float)
    insomnia[rng.random(n) < 0.1] = np.nan
    table["insomnia"] = insomnia
    taken = rng.random(n) < np.where(table["period"].to_numpy() == low_adherence_period, 0.5, 0.9)
    table["dose_taken"] = taken.astype(float)
    table["guess"] = None
    guess = guess or (lambda c: "drug" if c in ("active", "B") else "unsure")
    treatment = table[table["phase"] == "treatment"]
    for _, day in treatment.groupby("period")["day"].max().items():
        at = table.index[table["day"] == day]
        table.loc[at, "guess"] = guess(table.loc[at[0], "condition"])
    return table
