"""The Python API behind ``nof1.analyze``, ``nof1.series`` and ``nof1.power``.

One module per stage, each a function and its result object:
:mod:`~nof1.api.analysis` (one patient), :mod:`~nof1.api.series` (many patients, then
pooled), :mod:`~nof1.api.power` (a design's power by simulation). The results are built
from the JSON the matching command writes (``to_dict()``), so the API and the command
line cannot disagree.
"""
