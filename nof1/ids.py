"""Patient ids: one rule for every place an id enters nof1.

An id becomes part of file and folder names (``P01-calendar.csv``, ``patients/P01/``) and a
cell of every CSV nof1 writes, so it is held to a small character set:

- 1 to :data:`MAX_LENGTH` (64) characters;
- ASCII letters, digits, ``-`` and ``_`` only;
- the first character a letter or digit: a leading ``-`` makes a file name that reads as
  a command-line option, and a leading ``-``, ``=``, ``+`` or ``@`` makes every CSV cell
  holding it a spreadsheet formula.

``--patient`` (schedule, simulate, analyze), a diary's ``patient_id`` column, a StudyU
``participant_id``, blinded allocation files and unblinding keys all check ids with
:func:`patient_id_problem`.
"""

from __future__ import annotations

import re

__all__ = ["MAX_LENGTH", "PATIENT_ID_RULE", "patient_id_problem", "patient_id_problems"]

MAX_LENGTH = 64
#: The rule, as said in messages and docs.
PATIENT_ID_RULE = (
    f"1 to {MAX_LENGTH} ASCII letters, digits, '-' and '_', starting with a letter or digit"
)
_VALID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_LENGTH - 1}}}")


def patient_id_problem(value: object) -> str | None:
    """What is wrong with a patient id, or None when it is a valid one.

    Examples
    --------
    >>> patient_id_problem("P01") is None
    True
    >>> patient_id_problem("-A1")
    "patient id '-A1' must start with a letter or digit (ids: 1 to 64 ASCII letters, ..."
    >>> patient_id_problem("A" * 300)
    "patient id 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...' is 300 characters long, more than 64"
    """
    if isinstance(value, str) and _VALID.fullmatch(value):
        return None
    if not isinstance(value, str) or not value:
        return f"patient id {value!r} is not an id ({PATIENT_ID_RULE})"
    shown = value if len(value) <= 30 else value[:30] + "..."
    shown = repr(shown) if not shown.isprintable() else f"'{shown}'"
    if len(value) > MAX_LENGTH:
        return f"patient id {shown} is {len(value)} characters long, more than {MAX_LENGTH}"
    if not value[0].isascii() or not value[0].isalnum():
        return f"patient id {shown} must start with a letter or digit (ids: {PATIENT_ID_RULE})"
    bad = sorted({c for c in value if not (c.isascii() and (c.isalnum() or c in "-_"))})
    listed = ", ".join(repr(c) for c in bad)
    return f"patient id {shown} has the character(s) {listed} (ids: {PATIENT_ID_RULE})"


def patient_id_problems(patient_of: dict, column: str = "patient_id") -> list[tuple[int, str]]:
    """``(row, message)`` for each invalid id in a table, at the first row that has it.

    Parameters
    ----------
    patient_of : dict
        Row number -> the id in that row (``""`` where there is none: not checked here).
    column : str
        The column's name, for the message.

    Examples
    --------
    >>> patient_id_problems({2: "P01", 3: "=HYPERLINK()", 4: "=HYPERLINK()", 5: ""})
    [(3, "row 3, column patient_id (and 1 more row): patient id '=HYPERLINK()' must ...")]
    """
    rows: dict[str, list[int]] = {}
    for number, pid in patient_of.items():
        if pid:
            rows.setdefault(pid, []).append(number)
    problems = []
    for pid, numbers in rows.items():
        problem = patient_id_problem(pid)
        if problem:
            more = len(numbers) - 1
            extra = f" (and {more} more row{'s' if more > 1 else ''})" if more else ""
            problems.append((numbers[0], f"row {numbers[0]}, column {column}{extra}: {problem}"))
    return problems
