"""A series of n-of-1 trials on one protocol: every patient's own analysis, then pooling.

Stages (DESIGN.md section 6), one module each:

1. :mod:`~nof1.series.load`: :func:`load_series` reads the diaries (one table with a
   ``patient_id`` column, or a folder of per-patient diaries) and the allocations: one
   :class:`~nof1.data.Diary` per patient, and the problems found, per patient.
2. :mod:`~nof1.series.run`: :func:`analyze_series` aligns each diary
   (:func:`nof1.data.align`), analyses the patients in chunks
   (:func:`nof1.analysis.patient.analyze_patients`; in worker processes for a large
   series) and pools the results per outcome (:mod:`~nof1.series.pooling`, with
   :mod:`nof1.series.meta`, :mod:`nof1.series.pooled` and :mod:`nof1.series.mixed`),
   giving a :class:`SeriesResults`.
3. :mod:`~nof1.series.results`: :func:`series_files` gives every file to write,
   ``series.json`` and per patient ``patients/ID/results.json`` and ``aligned.csv``
   (what ``nof1 analyze`` writes).

The pooled numbers are read from each patient's results.json as written, so series.json
cannot disagree with the per-patient files. Blinded allocations give groups A and B
throughout and effects B minus A.
"""

from nof1.series.load import SeriesError, SeriesInput, load_series
from nof1.series.results import (
    SCHEMA,
    OutcomeSeries,
    SeriesResults,
    patient_files,
    series_files,
)
from nof1.series.run import analyze_series

__all__ = [
    "SCHEMA",
    "OutcomeSeries",
    "SeriesError",
    "SeriesInput",
    "SeriesResults",
    "analyze_series",
    "load_series",
    "patient_files",
    "series_files",
]
