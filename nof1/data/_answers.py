"""The diary's answer items: yes/no (adverse events, adherence) and the blinding guess.

A yes/no cell reads as 1.0 (yes) or 0.0 (no), NaN when missing; a guess as ``drug``,
``placebo`` or ``unsure`` (None when missing). Spellings are case-insensitive and
ignore outer spaces:

- yes: ``yes``, ``y``, ``true``, ``1`` (a workbook TRUE and the number 1 too);
- no: ``no``, ``n``, ``false``, ``0`` (a workbook FALSE and the number 0 too);
- a guess: ``drug``, ``placebo``, ``unsure``.

The readers know no other language's words for numbers or dates, so none for these
either: a file in another language is read through a map's ``recode`` (see
docs/input-formats.md). Anything else is a problem naming its row and column.
"""

from __future__ import annotations

import numpy as np

from nof1.data._cells import cell_text, is_missing
from nof1.data._layouts import cells_of
from nof1.errors import Problem
from nof1.protocol.model import GUESSES

__all__ = ["NO", "YES", "guesses", "yes_no"]

#: Texts read as yes (case-insensitive).
YES = ("yes", "y", "true", "1")
#: Texts read as no (case-insensitive).
NO = ("no", "n", "false", "0")
_YES_NO = {t: 1.0 for t in YES} | {t: 0.0 for t in NO} | {"1.0": 1.0, "0.0": 0.0}
_GUESS = {g: g for g in GUESSES}
# The usual spellings as written, looked up before any stripping or case folding (a series
# of thousands of patients reads millions of these cells).
_FAST_YES_NO = {form(t): v for t, v in _YES_NO.items() for form in (str, str.title, str.upper)}
_FAST_GUESS = {form(g): g for g in GUESSES for form in (str, str.title, str.upper)}
# Whole columns of those spellings and empty cells are read at once (anything else, cell
# by cell below). Keys are texts and None only: a workbook TRUE or 1 takes the long way.
_PLAIN_YES_NO = _FAST_YES_NO | {"": np.nan, None: np.nan}
_PLAIN_GUESS = _FAST_GUESS | {"": None, None: None}
_ODD = object()


def yes_no(days, name: str, problems) -> np.ndarray:
    """One yes/no item over the days: 1.0, 0.0 or NaN; bad cells become problems."""
    found = [_PLAIN_YES_NO.get(cell, _ODD) for cell in cells_of(days, name)]
    if _ODD not in found:  # every cell a usual spelling or empty: the column at once
        return np.array(found, dtype=float)
    out = np.full(len(days), np.nan)
    for i, day in enumerate(days):
        cell, row = day.cell(name) or (None, None)
        if cell.__class__ is str:
            found = _FAST_YES_NO.get(cell)
            if found is not None:
                out[i] = found
                continue
        if cell is None or cell == "" or is_missing(cell):
            continue
        if cell.__class__ is bool:  # a workbook TRUE/FALSE
            out[i] = 1.0 if cell else 0.0
            continue
        if isinstance(cell, int | float) and cell in (0, 1):
            out[i] = float(cell)
            continue
        found = _YES_NO.get(cell_text(cell).casefold())
        if found is None:
            message = (
                f"'{name}' value '{cell_text(cell)}' on row {row} is not yes or no "
                "(yes/no, y/n, true/false or 1/0)"
            )
            problems.append((row, Problem(message, row=row, column=name)))
        else:
            out[i] = found
    return out


def guesses(days, name: str, problems) -> np.ndarray:
    """The blinding guess over the days: drug, placebo, unsure or None (object array)."""
    found = [_PLAIN_GUESS.get(cell, _ODD) for cell in cells_of(days, name)]
    out = np.full(len(days), None, dtype=object)
    if _ODD not in found:  # every cell a usual spelling or empty
        out[:] = found
        return out
    for i, day in enumerate(days):
        cell, row = day.cell(name) or (None, None)
        if cell.__class__ is str and cell in _FAST_GUESS:
            out[i] = _FAST_GUESS[cell]
            continue
        if cell is None or cell == "" or is_missing(cell):
            continue
        found = _GUESS.get(cell_text(cell).casefold())
        if found is None:
            message = (
                f"'{name}' value '{cell_text(cell)}' on row {row} is not one of "
                f"{', '.join(GUESSES)}"
            )
            problems.append((row, Problem(message, row=row, column=name)))
        else:
            out[i] = found
    return out
