"""An allocation's timeline as the aligned table's columns, made once per schedule.

In a series most patients share a handful of allocations and one start date: the planned
days' columns (dates, phases, periods, conditions, included days) are the same for all of
them, so they are made once (from ``AllocationFile.timeline``) and copied per patient.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np
import pandas as pd

from nof1.data._frame import settled

__all__ = ["PLANNED", "PlanColumns", "plan_columns", "planned_columns"]

#: The aligned table's columns a timeline gives (``ALIGNED_COLUMNS`` but ``observed``).
PLANNED = ("date", "day", "phase", "cycle", "period", "condition", "included")


class PlanColumns(NamedTuple):
    """One allocation's planned days.

    ``columns`` holds the aligned table's planned columns as the table keeps them (numpy
    arrays or pandas' str and Int64 arrays: copy before use); ``arrays`` the same as
    plain numpy arrays (object for text, 0 for a missing cycle or period), as
    ``nof1.analysis.days.PatientDays`` holds them; ``dates`` the dates as a list and
    ``first`` the ordinal of day 1.
    """

    columns: dict
    arrays: dict
    dates: list
    first: int

    def day_numbers(self, dates: np.ndarray) -> np.ndarray:
        """Day numbers (1 on the start date) of an array of dates: found by comparing
        with the plan's dates when they are a run of them, as a diary's usually are."""
        m, n = len(dates), len(self.dates)
        if m:
            listed = dates.tolist()
            offset = listed[0].toordinal() - self.first
            if 0 <= offset and offset + m <= n and listed == self.dates[offset : offset + m]:
                return np.arange(offset + 1, offset + m + 1)
        ordinals = np.fromiter(map(_ORDINAL, dates), dtype=int, count=m)
        return ordinals - self.first + 1


#: ``date.toordinal()`` called from C.
_ORDINAL = operator.methodcaller("toordinal")

_PLANS: dict = {}


def planned_columns(columns: dict) -> dict:
    """The planned columns as the aligned table keeps them: as the DataFrame constructor
    infers them from ``columns`` (pandas' str for texts in an object array)."""
    table = pd.DataFrame(columns)
    return {name: settled(table[name]) for name in PLANNED}


def plan_columns(allocation, protocol) -> PlanColumns:
    """The planned columns of ``allocation.timeline(protocol)``, made once per protocol
    and schedule.

    Raises
    ------
    DiaryError
        As ``AllocationFile.timeline``: the allocation does not fit the protocol.
    """
    a = allocation
    key = (id(protocol), a.protocol_id, a.blinded, a.labels, a.spans, a.start_date)
    hit = _PLANS.get(key)
    # The cache holds the protocol itself, so its id cannot be reused by another one.
    if hit is None or hit[0] is not protocol:
        plan = a.timeline(protocol)  # raises when it does not fit the protocol
        columns = planned_columns({name: plan[name].array for name in PLANNED})
        arrays = {
            "date": plan["date"].to_numpy(dtype=object),
            "day": plan["day"].to_numpy(dtype=int),
            "phase": plan["phase"].to_numpy(dtype=object),
            "condition": plan["condition"].to_numpy(dtype=object),
            "period": plan["period"].to_numpy(dtype=int, na_value=0),
            "cycle": plan["cycle"].to_numpy(dtype=int, na_value=0),
            "included": plan["included"].to_numpy(dtype=bool),
        }
        dates = arrays["date"].tolist()
        if len(_PLANS) >= 256:
            _PLANS.clear()
        plan = PlanColumns(columns, arrays, dates, a.start_date.toordinal())
        hit = _PLANS[key] = (protocol, plan)
    return hit[1]
