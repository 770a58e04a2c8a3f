"""Exceptions raised by nof1 for bad input.

Each carries a message fit for a user: what is wrong, where (file, row, field), and
what was expected. The CLI turns them into one ``Error: ...`` line and exit code 1.
"""

from __future__ import annotations

__all__ = [
    "SHOWN_PROBLEMS",
    "Nof1Error",
    "Problem",
    "ProtocolError",
    "DiaryError",
    "ResultsError",
    "ScheduleError",
    "AnalysisWarning",
]

#: Problems a DiaryError's message lists; the rest are counted (``--problems FILE`` has all).
SHOWN_PROBLEMS = 50


class Nof1Error(Exception):
    """Base class: a problem with the user's input, reported without a traceback."""


class _FileProblems(Nof1Error):
    """Every problem found in one file, each naming where it is (a field or JSON path).

    Parameters
    ----------
    source : str
        The file (or id) the problems are in.
    problems : list of str
        Every problem found, each naming its place and what was expected.
    """

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"{source}: {self.problems[0]}"
        else:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{source}: {len(self.problems)} problems\n{listed}"
        super().__init__(message)

    def __reduce__(self):  # picklable: raised in a worker, reported by the parent
        return type(self), (self.source, self.problems)


class ProtocolError(_FileProblems):
    """A protocol file or id that cannot be used; ``problems`` name each field path."""


class Problem(str):
    """A problem's message that also knows its row and column, when it has them.

    A str, so that it reads and compares as its message; ``row`` (spreadsheet row, the
    header is 1) and ``column`` (a column name) feed the ``--problems`` CSV.

    Examples
    --------
    >>> p = Problem("outcome 'pain' value 'x' on row 3 is not a number", row=3, column="pain")
    >>> p, p.row, p.column
    ("outcome 'pain' value 'x' on row 3 is not a number", 3, 'pain')
    """

    row: int | None
    column: str | None

    def __new__(cls, message: str, row: int | None = None, column: str | None = None):
        self = super().__new__(cls, message)
        self.row, self.column = row, column
        return self


class DiaryError(Nof1Error):
    """A diary that cannot be analysed; ``problems`` lists every problem with its row.

    The message lists the first :data:`SHOWN_PROBLEMS` and counts the rest, so that a
    million bad rows make a short message; ``problems`` keeps them all.
    """

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        shown = self.problems[:SHOWN_PROBLEMS]
        listed = "\n".join(f"  - {p}" for p in shown)
        rest = len(self.problems) - len(shown)
        if rest:
            listed += f"\n  ... and {rest:,} more (--problems FILE lists them all)"
        super().__init__(f"{source}: {len(self.problems):,} problem(s)\n{listed}")

    def __reduce__(self):  # picklable: raised in a worker, reported by the parent
        return type(self), (self.source, self.problems)

    def sourced_problems(self):
        """(file, problem) of each problem, for ``--problems FILE`` (an iterator)."""
        return ((self.source, p) for p in self.problems)

    def one_line(self) -> str:
        """The source and the first problems on one line (the rest counted)."""
        shown = "; ".join(self.problems[:SHOWN_PROBLEMS])
        rest = len(self.problems) - SHOWN_PROBLEMS
        return f"{self.source}: {shown}" + (f"; and {rest:,} more" if rest > 0 else "")


class ResultsError(_FileProblems):
    """A results.json that cannot be reported; ``problems`` name each JSON path at fault."""


class ScheduleError(Nof1Error):
    """A schedule that cannot be produced (bad option, or files that would be overwritten)."""


class AnalysisWarning(UserWarning):
    """Something the analysis could do, but the user should know about."""
