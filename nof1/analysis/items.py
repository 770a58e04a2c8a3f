"""The diary's daily yes/no items and blinding guess, read once per patient.

The protocol names them (``adverse_events``, ``adherence``, ``blinding_check``); the aligned
table holds them after the outcome columns, in the order of
:class:`~nof1.analysis.days.PatientDays` (1.0/0.0/NaN for the yes/no items,
``"drug"``/``"placebo"``/``"unsure"``/None for the guess).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DiaryItems", "name_label"]


def name_label(item) -> tuple[str, str]:
    """``(name, label)`` of a protocol item (a pair, or an object with both attributes)."""
    if hasattr(item, "name"):
        return str(item.name), str(item.label)
    name, label = item[0], item[1]
    return str(name), str(label)


@dataclass(frozen=True, eq=False)
class DiaryItems:
    """Per day: each adverse event (float), the dose taken (float) and the guess (object).

    Attributes
    ----------
    events : dict of str to ndarray of float
        Per protocol event, in protocol order: 1 (yes), 0 (no), NaN (not answered).
    adherence : ndarray of float or None
        The dose taken (1/0/NaN); None when the protocol has no adherence item.
    guess : ndarray of object or None
        "drug", "placebo", "unsure" or None; None when the protocol has no blinding check.
    """

    events: dict
    adherence: np.ndarray | None
    guess: np.ndarray | None

    @classmethod
    def from_table(cls, table, protocol, columns: dict | None = None) -> DiaryItems:
        """Read the protocol's item columns (a missing column reads as not answered);
        ``columns``: the table's columns as ``align`` made them
        (:func:`nof1.data.align.aligned_columns`), read in place of the table's."""
        n = len(table)
        adherence = getattr(protocol, "adherence", None)
        names = [name_label(e)[0] for e in _events(protocol)]
        names += [name_label(adherence)[0]] if adherence is not None else []
        made = columns["values"] if columns is not None else {}

        def numbers(name: str) -> np.ndarray:
            if name in made:
                return made[name]
            if name not in table:
                return np.full(n, np.nan)
            return table[name].to_numpy(dtype=float)

        events = {name: numbers(name) for name in names[: len(_events(protocol))]}
        check = getattr(protocol, "blinding_check", None)
        guess = None
        if check is not None:
            name = name_label(check)[0]
            if columns is not None and columns.get("guess") is not None:
                raw = columns["guess"]
            elif name in table:
                raw = table[name].to_numpy(dtype=object)
            else:
                raw = np.full(n, None)
            answered = (raw == "drug") | (raw == "placebo") | (raw == "unsure")
            guess = np.where(answered, raw, None).astype(object)
        return cls(
            events=events,
            adherence=None if adherence is None else numbers(name_label(adherence)[0]),
            guess=guess,
        )


def _events(protocol) -> list:
    return list(getattr(protocol, "adverse_events", None) or [])
