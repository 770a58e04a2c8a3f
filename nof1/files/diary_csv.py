"""The diaries nof1 writes: ``ID-diary-template.csv`` (``nof1 schedule``), ``ID-diary.csv``
and ``series-diary.csv`` (``nof1 simulate``).

One row per day of the trial, in the wide layout: ``patient_id``, ``date``, ``day``, one
column per outcome, one per answer item the protocol has (adverse events, adherence, the
blinding guess: ``Protocol.answer_items``; all empty in the template) and ``note``.

Read back by :func:`nof1.data.read_diary`, the importer of every diary a patient or a
study brings (CSV or XLSX, wide or long, other column names): a diary nof1 wrote is one
of the layouts it takes, not a format of its own, so the reader stays in ``nof1.data``.
``tests/data/test_diary.py`` checks that the template reads as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nof1.files.text import csv_text
from nof1.protocol.model import Protocol

if TYPE_CHECKING:
    from nof1.design.blinding import PatientSchedule

__all__ = ["diary_columns", "diary_csv", "diary_template_csv"]


def diary_columns(protocol: Protocol) -> list[str]:
    """The columns of a diary nof1 writes, in order.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> diary_columns(load_protocol("ldn-fibromyalgia-2013"))
    ['patient_id', 'date', 'day', 'pain', 'fatigue', 'sleep_quality', 'mood',
     'life_satisfaction', 'vivid_dreams', 'insomnia', 'headache', 'nausea', 'dose_taken',
     'guess', 'note']
    """
    items = [o.name for o in protocol.outcomes] + protocol.answer_items
    return ["patient_id", "date", "day", *items, "note"]


def diary_template_csv(protocol: Protocol, s: PatientSchedule) -> str:
    """``ID-diary-template.csv``: a row per day with the outcome and answer cells left empty.

    The same for every allocation of a design whose periods look alike (nothing in it
    depends on the treatment); the calendar says on which days the guess is asked.
    """
    items = [o.name for o in protocol.outcomes] + protocol.answer_items
    rows = [
        {"patient_id": s.patient_id, "date": row.date.isoformat(), "day": row.day}
        | dict.fromkeys(items, "")
        | {"note": ""}
        for row in s.timeline.itertuples(index=False)
    ]
    return csv_text(rows)


def diary_csv(frame) -> str:
    """A filled diary (a pandas.DataFrame with :func:`diary_columns`) as CSV text."""
    return frame.to_csv(index=False, lineterminator="\n")
