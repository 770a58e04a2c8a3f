"""Aligned tables with side effects, doses taken and guesses, for the side-analysis tests.

:func:`with_items` gives a protocol the items ``adverse_events``, ``adherence`` and
``blinding_check`` (the shipped ones may have other names or none).
"""

from __future__ import annotations

import dataclasses

import numpy as np

EVENTS = [("vivid_dreams", "Vivid dreams"), ("insomnia", "Trouble sleeping")]
ADHERENCE = ("dose_taken", "Took today's capsules", 0.8)
CHECK = ("guess", "Which do you think you took this period?")


def with_items(pf, events=EVENTS, adherence=ADHERENCE, check=CHECK, **analysis):
    """The protocol file with these side items (None: without it) and ``analysis`` options."""
    from nof1.protocol.model import Adherence, AdverseEvent, BlindingCheck

    p = pf.protocol
    update = {
        "adverse_events": [AdverseEvent(name=n, label=label) for n, label in events or []],
        "adherence": adherence
        and Adherence(name=adherence[0], label=adherence[1], per_protocol_min=adherence[2]),
        "blinding_check": check and BlindingCheck(name=check[0], label=check[1]),
    }
    if analysis:
        update["analysis"] = p.analysis.model_copy(update=analysis)
    return dataclasses.replace(pf, protocol=p.model_copy(update=update))


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
