"""The aligned table: the one place that decides which day counts for what.

Every analysis reads :class:`Aligned`; nobody re-derives conditions, periods or
included days. The conditions come from an allocation file (the protocol's timeline
from its start date) or, without one, from the diary's own ``condition`` column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from nof1.data._aligned_csv import ALIGNED_COLUMNS, aligned_csv_text, aligned_table
from nof1.data._aligned_days import from_allocation, from_table
from nof1.data._answer_days import check_guess_days, guesses
from nof1.data._conditions import from_conditions
from nof1.data._frame import frame_from_columns
from nof1.data.allocation_file import AllocationFile, read_allocation, read_allocations
from nof1.data.diary import Diary, read_diary
from nof1.errors import DiaryError
from nof1.protocol.model import GUESSES, Protocol

__all__ = [
    "ALIGNED_COLUMNS",
    "Aligned",
    "align",
    "aligned_columns",
    "load_aligned",
    "read_aligned_csv",
]


@dataclass(frozen=True)
class Aligned:
    """A diary aligned with its schedule, one row per planned day.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per planned day, in order. Columns, exactly:

        - ``date`` (datetime.date), ``day`` (int, 1 on the start date);
        - ``phase``: baseline, treatment, washout, follow_up ("" when unknown);
        - ``cycle``, ``period`` (Int64; NA outside treatment periods);
        - ``condition``: active or placebo on treatment days (``A`` or ``B`` when
          blinded), else the phase; "" for a gap in a diary whose neighbours disagree;
        - ``included`` (bool): counts in treated-vs-control comparisons (a treatment day
          past the protocol's ``analytic_washout_days``, see ``is_included``);
        - ``observed`` (bool): at least one outcome was recorded that day;
        - one float column per protocol outcome, in protocol order (NaN = missing);
        - then, named by the protocol's ``name``s and only when the protocol has them
          (``Protocol.answer_items``): one float column per adverse event, in protocol
          order, and the adherence column (1.0 yes / dose taken, 0.0 no, NaN missing),
          then the blinding guess (object: "drug", "placebo", "unsure" or None; only on
          the last day of a treatment period, see ``blinding_check_days``). A diary
          without these columns gives them all missing.
    patient_id : str or None
    blinded : bool
        Conditions are the groups A and B, not the treatments.
    protocol : Protocol
    allocation : numpy.ndarray of bool or None
        Per treatment period: active (unblinded) or group B (blinded). None when a
        condition-column diary does not follow the protocol's timeline.
    source, sha256 : str
        The diary file and the SHA-256 of its bytes.
    rows : int
        The diary's data rows.
    missing_days : list of datetime.date
        Planned days outside washout and follow-up with no observation.
    schedule : AllocationFile or None
        The allocation file the conditions came from (None for a condition column).
    notes : tuple of str
        How the diary was read, when not as nof1's template (``Diary.notes``).
    warnings : tuple of str
        How a condition column's periods differ from the protocol's timeline (their
        number, odd lengths, a shifted day 1); empty when they follow it.
    cache : dict
        What the analyses read once from ``table`` (``nof1.analysis.days.patient_days``);
        ``align`` leaves the columns it made there as arrays (:func:`aligned_columns`), so
        the table is not read back. A table changed in place afterwards is not re-read.
    """

    table: pd.DataFrame
    patient_id: str | None
    blinded: bool
    protocol: Protocol
    allocation: np.ndarray | None
    source: str
    sha256: str
    rows: int
    missing_days: list[dt.date]
    schedule: AllocationFile | None = None
    notes: tuple = ()
    warnings: tuple = ()
    cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def arms(self) -> tuple[str, str]:
        """(treated, control) condition labels: ("active", "placebo") or ("B", "A")."""
        from nof1.design.comparison import arms

        return arms(self.blinded)

    def to_csv(self) -> str:
        """The table as ``aligned.csv`` text.

        Dates ISO (``YYYY-MM-DD``), booleans ``true``/``false``, missing values empty,
        ``\\n`` line ends; the same table always gives the same text.
        """
        return aligned_csv_text(self.table)

    # The cache's keys end in id(table) (a replaced table is not read from it); pickled,
    # they name "the table" instead, so that an Aligned read back (nof1 series' check
    # cache) keeps what align made and the analysis does not read the table again.
    def __getstate__(self) -> dict:
        mine = id(self.table)
        cache = {k[:-1]: v for k, v in self.cache.items() if type(k) is tuple and k[-1] == mine}
        return {**self.__dict__, "cache": cache}

    def __setstate__(self, state: dict) -> None:
        mine = id(state["table"])
        cache = {(*k, mine): v for k, v in state["cache"].items()}
        self.__dict__.update(state, cache=cache)


def align(
    diary: Diary, protocol: Protocol, allocation: AllocationFile | str | Path | None = None
) -> Aligned:
    """Align a diary with its schedule: one row per planned day.

    Parameters
    ----------
    diary : Diary
    protocol : Protocol
    allocation : AllocationFile or path, optional
        The schedule (blinded or not): one row per day of the protocol's timeline from
        its start date. Without it the diary needs a ``condition`` column (see Notes).

    Returns
    -------
    Aligned

    Raises
    ------
    DiaryError
        Neither an allocation nor a condition column; an allocation that does not fit
        the protocol, the patient or the diary's dates and conditions.

    Notes
    -----
    Without an allocation, day 1 is the diary's first date, and:

    1. if every stated condition (and period) fits the protocol's timeline from that
       date for some allocation its scheme allows, that timeline is the plan, exactly as
       with an allocation file (so a missing first day of a period does not move its
       analytic washout), and ``allocation`` is that allocation;
    2. otherwise every calendar day from the first to the last diary date is planned;
       periods are the ``period`` column, or else the runs of one treatment condition;
       a missing date takes the condition (and period) of the dates either side when
       they agree, else its condition is "" and it is not included; ``cycle`` =
       (period + 1) // 2, and ``allocation`` is None.

    Included days always follow ``nof1.design.timeline.is_included``.

    Examples
    --------
    >>> import tempfile
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> path = Path(tempfile.mkdtemp()) / "diary.csv"
    >>> _ = path.write_text("date,pain,condition\\n2026-01-05,60,active\\n"
    ...                     "2026-01-07,50,active\\n2026-01-08,40,placebo\\n")
    >>> a = align(read_diary(path, p), p)
    >>> a.table[["day", "condition", "period", "observed"]].values.tolist()
    [[1, 'active', 1, True], [2, 'active', 1, False], [3, 'active', 1, True],
     [4, 'placebo', 2, True]]
    >>> a.missing_days, a.allocation is None
    ([datetime.date(2026, 1, 6)], True)
    """
    if allocation is not None and not isinstance(allocation, AllocationFile):
        allocation = read_allocation(allocation, diary.patient_id)
    warnings = ()
    if allocation is not None:
        planned, days, values, guess = from_allocation(diary, protocol, allocation)
        treated = allocation.treated
        patient_id, blinded = diary.patient_id or allocation.patient_id, allocation.blinded
    elif diary.has_condition:
        table, treated, warnings = from_conditions(diary, protocol)
        planned, days, values, guess = from_table(table, protocol)
        patient_id, blinded = diary.patient_id, False
    else:
        raise DiaryError(
            diary.source,
            [
                "says nothing about conditions: pass --allocation (the "
                "*-allocation-blinded.csv or *-unblinding-key.json from nof1 schedule) or "
                "add a condition column (baseline, active, placebo, washout, follow_up)"
            ],
        )
    outcomes = [o.name for o in protocol.outcomes]
    observed = np.zeros(len(days["day"]), dtype=bool)
    for name in outcomes:
        observed |= ~np.isnan(values[name])
    columns = planned | {"observed": observed}
    columns |= {name: values[name] for name in outcomes}
    columns |= {name: values[name] for name in protocol.yes_no_items}
    if protocol.blinding_check is not None:
        given = guesses(guess)  # pandas may have turned None into NaN on the way
        check_guess_days(diary, days, guess, given, protocol)
        columns[protocol.blinding_check.name] = guess
    table = frame_from_columns(columns)
    phase = days["phase"]
    counted = observed | (phase == "washout") | (phase == "follow_up")
    aligned = Aligned(
        table=table,
        patient_id=patient_id,
        blinded=blinded,
        protocol=protocol,
        allocation=treated,
        source=diary.source,
        sha256=diary.sha256,
        rows=diary.rows,
        missing_days=days["date"][~counted].tolist(),
        schedule=allocation,
        warnings=tuple(warnings),
    )
    made = days | {"observed": observed, "values": values, "guess": guess}
    aligned.cache[("columns", id(table))] = made
    return aligned


def aligned_columns(aligned: Aligned) -> dict | None:
    """The table's columns as ``align`` made them, as numpy arrays, or None (an Aligned
    made otherwise, or a table that is not the one ``align`` made).

    Keys ``date``, ``phase``, ``condition`` (object), ``day``, ``period`` and ``cycle``
    (int; 0 outside treatment periods), ``included`` and ``observed`` (bool),
    ``values``: the float column of each outcome and yes/no item by name, and ``guess``:
    the blinding guesses (object: a text or None; None without a blinding check). Read
    them, never change them: the analyses share them."""
    cache = getattr(aligned, "cache", None)
    if not isinstance(cache, dict):
        return None
    return cache.get(("columns", id(aligned.table)))


def nothing_to_compare(aligned: Aligned) -> str | None:
    """Why an aligned diary cannot be analysed at all (no observed day is compared), or None.

    A report of "0 of 182 days" would look like a result: ``nof1 analyze`` stops instead,
    and ``nof1 series`` names the patient.
    """
    columns = aligned_columns(aligned)
    if columns is None:
        table = aligned.table
        columns = {c: table[c].to_numpy(bool) for c in ("observed", "included")}
    observed = columns["observed"]
    if (observed & columns["included"]).any():
        return None
    empty = "" if observed.any() else " (every outcome cell is empty: an unfilled template?)"
    return (
        "has no observed value on any day that is compared (the treatment periods after "
        f"the analytic washout), so there is nothing to analyse{empty}"
    )


def load_aligned(
    path: str | Path,
    protocol: Protocol,
    allocation: str | Path | None = None,
    patient_id: str | None = None,
    options=None,
) -> Aligned:
    """Read, validate and align one patient's diary from files (what ``nof1 analyze`` does).

    Parameters
    ----------
    path : str or Path
        The diary (CSV or XLSX, or a pandas DataFrame).
    protocol : Protocol
    allocation : str or Path, optional
        Blinded allocation CSV or unblinding key JSON (one patient or a series).
    patient_id : str, optional
        Which patient, when the diary or the allocation holds several. Without it, a
        series allocation file is narrowed to the diary's patient.
    options : nof1.data.ReadOptions, optional
        A mapping file and the date order, for files not in nof1's template.

    Returns
    -------
    Aligned
    """
    alloc = None
    if allocation is not None:
        found = read_allocations(allocation)
        if patient_id is not None or len(found) == 1:
            alloc = read_allocation(allocation, patient_id)
    diary = read_diary(path, protocol, allocation=alloc, patient_id=patient_id, options=options)
    if allocation is not None and alloc is None:
        # A series allocation: the diary says whose it is.
        alloc = read_allocation(allocation, diary.patient_id)
    aligned = align(diary, protocol, alloc)
    noted = replace(aligned, notes=diary.notes)
    noted.cache.update(aligned.cache)  # the same table: what align read of it holds
    return noted


def read_aligned_csv(path: str | Path, protocol: Protocol | None = None) -> pd.DataFrame:
    """Load an ``aligned.csv`` back into the table :class:`Aligned` holds.

    Parameters
    ----------
    path : str or Path
    protocol : Protocol, optional
        Names the guess column (object dtype even when empty); without it a column of
        guesses is recognised by its values.

    Returns
    -------
    pandas.DataFrame
        The columns of ``Aligned.table`` with their types; outcome (and answer) columns
        are the ones after ``observed``. A column holding only guesses (drug, placebo,
        unsure) is read as the guess column (object); an empty one as floats.

    Raises
    ------
    DiaryError
        Not an aligned table, or a cell that does not parse.
    """
    source = str(path)
    try:
        if hasattr(path, "read"):
            text = path.read()
            text = text.decode("utf-8-sig") if isinstance(text, bytes) else text
        else:
            text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DiaryError(source, [f"cannot be read as an aligned table ({exc})"]) from None
    guess = protocol.blinding_check.name if protocol and protocol.blinding_check else None
    try:
        return aligned_table(text, GUESSES, guess)
    except ValueError as exc:
        raise DiaryError(source, [str(exc)]) from None
