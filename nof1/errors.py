"""Exceptions raised by nof1 for bad input.

Each carries a message fit for a user: what is wrong, where (file, row, field), and
what was expected. The CLI turns them into one ``Error: ...`` line and exit code 1.
"""

from __future__ import annotations

__all__ = [
    "Nof1Error",
    "ProtocolError",
    "DiaryError",
    "ResultsError",
    "ScheduleError",
    "AnalysisWarning",
]


class Nof1Error(Exception):
    """Base class: a problem with the user's input, reported without a traceback."""


class ProtocolError(Nof1Error):
    """A protocol file or id that cannot be used.

    Parameters
    ----------
    source : str
        The file (or id) the problem is in.
    problems : list of str
        Every problem found, each naming the field path and what was expected.
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


class DiaryError(Nof1Error):
    """A diary that cannot be analysed; ``problems`` lists every problem with its row."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s)\n{listed}")


class ResultsError(Nof1Error):
    """A results.json that cannot be reported; ``problems`` name each JSON path at fault."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"{source}: {self.problems[0]}"
        else:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{source}: {len(self.problems)} problems\n{listed}"
        super().__init__(message)


class ScheduleError(Nof1Error):
    """A schedule that cannot be produced (bad option, or files that would be overwritten)."""


class AnalysisWarning(UserWarning):
    """Something the analysis could do, but the user should know about."""
