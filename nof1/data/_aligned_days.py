"""A diary's days on its plan, as the aligned table's columns (``nof1.data.align``).

The planned days come from the allocation file's timeline (``_plan_columns``, made once
per schedule) or from the table ``_conditions`` made of a condition column; the diary's
values are put on them as numpy arrays, and ``align`` builds the table once of these.
"""

from __future__ import annotations

import numpy as np

from nof1.data._frame import column_arrays
from nof1.data._plan_columns import PLANNED, plan_columns, planned_columns
from nof1.data._tabular import with_row_note
from nof1.data.allocation_file import AllocationFile, schedule_problems
from nof1.data.diary import Diary
from nof1.errors import DiaryError
from nof1.protocol.model import Protocol

__all__ = ["from_allocation", "from_table"]


# --- with an allocation ------------------------------------------------------------------


def from_allocation(diary: Diary, protocol: Protocol, allocation: AllocationFile):
    """A diary on its allocation's timeline: ``(planned, days, values, guess)``.

    ``planned`` holds the table's planned columns (``PLANNED``, as the table keeps them),
    ``days`` the same as numpy arrays (see ``nof1.data.align.aligned_columns``),
    ``values`` a float array per outcome and yes/no item, ``guess`` the blinding guesses
    (object; None without a blinding check).

    Raises
    ------
    DiaryError
        The diary is another patient's, the allocation does not fit the protocol, or a
        diary row falls outside the schedule or contradicts it (``schedule_problems``).
    """
    if diary.patient_id and diary.patient_id != allocation.patient_id:
        raise DiaryError(
            diary.source,
            [
                f"is the diary of patient '{diary.patient_id}', but {allocation.source} is "
                f"for patient '{allocation.patient_id}'"
            ],
        )
    plan = plan_columns(allocation, protocol)  # raises when it does not fit the protocol
    diary_columns = column_arrays(diary.table)
    day = plan.day_numbers(diary_columns["date"])
    problems = schedule_problems(diary.table, allocation, protocol, day=day)
    if problems:
        raise DiaryError(with_row_note(diary.source), problems)
    at = day - 1  # all inside: checked
    n = len(plan.dates)
    planned = {
        name: a if isinstance(a, np.ndarray) else a.copy() for name, a in plan.columns.items()
    }
    days = {name: a.copy() for name, a in plan.arrays.items()}
    values = {}
    for name in [o.name for o in protocol.outcomes] + list(protocol.yes_no_items):
        column = np.full(n, np.nan)
        column[at] = np.asarray(diary_columns[name], dtype=float)
        values[name] = column
    guess = None
    if protocol.blinding_check is not None:
        guess = np.full(n, None, dtype=object)
        guess[at] = diary_columns[protocol.blinding_check.name]
    return planned, days, values, guess


# --- with a condition column ------------------------------------------------------------


def from_table(table, protocol: Protocol):
    """What ``from_allocation`` gives, of the table ``from_conditions`` made."""
    planned = planned_columns({name: table[name] for name in PLANNED})
    days = {
        "date": table["date"].to_numpy(dtype=object),
        "day": table["day"].to_numpy(dtype=int),
        "phase": table["phase"].to_numpy(dtype=object),
        "condition": table["condition"].to_numpy(dtype=object),
        "period": table["period"].to_numpy(dtype=int, na_value=0),
        "cycle": table["cycle"].to_numpy(dtype=int, na_value=0),
        "included": table["included"].to_numpy(dtype=bool),
    }
    names = [o.name for o in protocol.outcomes] + list(protocol.yes_no_items)
    values = {name: np.array(table[name], dtype=float) for name in names}
    guess = None
    if protocol.blinding_check is not None:
        guess = np.array(table[protocol.blinding_check.name], dtype=object)
    return planned, days, values, guess
