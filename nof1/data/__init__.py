"""Diary data in: allocation files, diaries (CSV/XLSX/DataFrame, wide/long, REDCap, any
table through a mapping file), StudyU exports (``nof1.data.studyu``), and the aligned
table every analysis reads.

Typical use::

    from nof1.data import align, read_allocation, read_diary
    allocation = read_allocation("P01-allocation-blinded.csv")
    diary = read_diary("diary.csv", protocol, allocation=allocation)
    aligned = align(diary, protocol, allocation)

or in one step, ``load_aligned("diary.csv", protocol, allocation="P01-allocation-blinded.csv")``.
"""

from nof1.data.align import ALIGNED_COLUMNS, Aligned, align, load_aligned, read_aligned_csv
from nof1.data.allocation_file import (
    AllocationFile,
    read_allocation,
    read_allocations,
    schedule_problems,
)
from nof1.data.diary import (
    CONDITIONS,
    Diary,
    PatientTable,
    read_diary,
    read_diary_table,
    read_patients,
)
from nof1.data.mapping import DiaryMap, read_map
from nof1.data.reading import ReadOptions

__all__ = [
    "ALIGNED_COLUMNS",
    "CONDITIONS",
    "Aligned",
    "AllocationFile",
    "Diary",
    "PatientTable",
    "DiaryMap",
    "ReadOptions",
    "align",
    "load_aligned",
    "read_aligned_csv",
    "read_allocation",
    "read_allocations",
    "read_diary",
    "read_diary_table",
    "read_patients",
    "read_map",
    "schedule_problems",
]
