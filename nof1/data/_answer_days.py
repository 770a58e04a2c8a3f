"""The answer items on the aligned days: spreading them over the plan, and the rule that
a blinding guess is given only on the last day of a treatment period."""

from __future__ import annotations

import numpy as np

from nof1.data._tabular import with_row_note
from nof1.errors import DiaryError, Problem

__all__ = ["check_guess_days", "spread_answers"]


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


def last_days(table) -> np.ndarray:
    """Bool per aligned row: the last planned day of a treatment period."""
    period = table["period"].to_numpy(dtype=float, na_value=np.nan)
    phase = table["phase"].to_numpy(dtype=object)
    treatment = (phase == "treatment") & ~np.isnan(period)
    following = np.append(period[1:], np.nan)
    return treatment & (following != period)


def check_guess_days(diary, table, protocol) -> None:
    """Refuse a guess on a day the blinding question is not asked (one problem per row)."""
    if protocol.blinding_check is None:
        return
    name = protocol.blinding_check.name
    guess = table[name].to_numpy(dtype=object)
    given = np.array([isinstance(g, str) for g in guess], dtype=bool)
    asked = last_days(table)
    wrong = np.flatnonzero(given & ~asked)
    if not len(wrong):
        return
    days = table["day"].to_numpy()[asked].tolist()
    shown = ", ".join(map(str, days[:12])) + (", ..." if len(days) > 12 else "")
    where = f"days {shown}" if days else "no day of this diary"
    row_of = dict(zip(diary.table["date"], diary.table["row"], strict=True))
    problems = []
    for i in wrong:
        date = table["date"].iloc[i]
        row = int(row_of[date])
        message = (
            f"'{name}' value '{guess[i]}' on row {row} ({date.isoformat()}, day "
            f"{int(table['day'].iloc[i])}) is on a day the blinding question is not asked: "
            f"it is asked on the last day of each treatment period ({where})"
        )
        problems.append(Problem(message, row=row, column=name))
    raise DiaryError(with_row_note(diary.source), problems)
