"""The answer items on the aligned days: spreading them over the plan, and the rule that
a blinding guess is given only on the last day of a treatment period."""

from __future__ import annotations

import numpy as np

from nof1.data._tabular import with_row_note
from nof1.errors import DiaryError, Problem

__all__ = ["check_guess_days", "guesses", "spread_answers"]


def spread_answers(diary, protocol, at: np.ndarray, n: int) -> dict:
    """The answer columns over ``n`` planned days, the diary's dates at positions ``at``."""
    columns = {}
    for name in protocol.yes_no_items:
        values = np.full(n, np.nan)
        values[at] = diary.table[name].to_numpy(dtype=float)
        columns[name] = values
    if protocol.blinding_check is not None:
        name = protocol.blinding_check.name
        values = np.full(n, None, dtype=object)
        values[at] = diary.table[name].to_numpy(dtype=object)
        columns[name] = values
    return columns


def guesses(values: np.ndarray) -> np.ndarray:
    """In place: what is not a text (NaN that pandas may have put for None) becomes None.

    Returns the bool array of the days with a guess."""
    given = ~np.equal(values, None)
    for i in np.flatnonzero(given).tolist():  # the few days with something
        if not isinstance(values[i], str):
            values[i] = None
            given[i] = False
    return given


def last_days(phase: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Bool per aligned row: the last planned day of a treatment period (``period`` 0
    outside one)."""
    treatment = (phase == "treatment") & (period > 0)
    following = np.append(period[1:], 0)
    return treatment & (following != period)


def check_guess_days(diary, days: dict, guess: np.ndarray, given: np.ndarray, protocol) -> None:
    """Refuse a guess on a day the blinding question is not asked (one problem per row).

    ``days`` holds the aligned days' ``day``, ``date``, ``phase`` and ``period`` (0
    outside a treatment period) as numpy arrays, ``guess`` the guesses and ``given`` the
    days with one (:func:`guesses`)."""
    if protocol.blinding_check is None:
        return
    asked = last_days(days["phase"], days["period"])
    wrong = np.flatnonzero(given & ~asked)
    if not len(wrong):
        return
    name = protocol.blinding_check.name
    day = days["day"]
    shown_days = day[asked].tolist()
    shown = ", ".join(map(str, shown_days[:12])) + (", ..." if len(shown_days) > 12 else "")
    where = f"days {shown}" if shown_days else "no day of this diary"
    row_of = dict(zip(diary.table["date"], diary.table["row"], strict=True))
    problems = []
    for i in wrong:
        date = days["date"][i]
        row = int(row_of[date])
        message = (
            f"'{name}' value '{guess[i]}' on row {row} ({date.isoformat()}, day "
            f"{int(day[i])}) is on a day the blinding question is not asked: "
            f"it is asked on the last day of each treatment period ({where})"
        )
        problems.append(Problem(message, row=row, column=name))
    raise DiaryError(with_row_note(diary.source), problems)
