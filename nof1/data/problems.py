"""The ``--problems FILE`` table: every problem of a run's inputs, one per line.

A diary with a million bad rows gives a message that lists the first problems and counts
the rest (:data:`nof1.errors.SHOWN_PROBLEMS`); this CSV keeps them all, with the columns
``file``, ``row`` (spreadsheet row, the header is row 1; empty when the problem is not on
one row), ``column`` (empty when not about one column) and ``problem``.
"""

from __future__ import annotations

import csv
import io
import re

from nof1.data._tabular import ROW_NOTE

__all__ = ["PROBLEM_COLUMNS", "problems_csv"]

#: The columns of the problems CSV.
PROBLEM_COLUMNS = ("file", "row", "column", "problem")

_ON_ROW = re.compile(r"\brow ([0-9]+)\b")


def problems_csv(problems) -> str:
    """The CSV text of (file, problem) pairs (see ``DiaryError.sourced_problems``).

    A problem's row and column are its own (:class:`nof1.errors.Problem`), else the row
    its message names, if one.

    Examples
    --------
    >>> from nof1.errors import Problem
    >>> print(problems_csv([("d.csv (row 1 is the header)", Problem("bad", row=3, column="pain")),
    ...                     ("d.csv", "has no date column")]), end="")
    file,row,column,problem
    d.csv,3,pain,bad
    d.csv,,,has no date column
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PROBLEM_COLUMNS)
    for source, problem in problems:
        row = getattr(problem, "row", None)
        if row is None:
            match = _ON_ROW.search(problem)
            row = int(match.group(1)) if match else None
        writer.writerow(
            [
                _cell(source.removesuffix(ROW_NOTE)),
                "" if row is None else row,
                _cell(getattr(problem, "column", None) or ""),
                _cell(str(problem)),
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
