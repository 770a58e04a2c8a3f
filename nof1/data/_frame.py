"""Tables to and from plain arrays, fast: a series aligns one table per patient.

``pandas.DataFrame(dict)`` infers and checks every column, and ``table[name]`` makes a
Series each time: for a patient's 19 columns of 182 days that is most of aligning them.
Here a table is built once from arrays whose dtypes are already settled (as its blocks,
through ``pandas.api.internals``), and a table's columns are read in one pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["column_arrays", "frame_from_columns", "settled"]

try:  # pandas >= 3
    from pandas.api.internals import create_dataframe_from_blocks
except ImportError:  # pragma: no cover - older pandas: the ordinary constructor
    create_dataframe_from_blocks = None

#: The column Index of each list of names, and a RangeIndex per length (both immutable,
#: so a series' tables share them as pandas' own operations do).
_COLUMNS: dict = {}
_INDEXES: dict = {}


def frame_from_columns(columns: dict) -> pd.DataFrame:
    """The DataFrame ``pandas.DataFrame(columns)`` gives for columns of settled dtypes.

    Parameters
    ----------
    columns : dict of str to numpy.ndarray or pandas ExtensionArray
        In column order, all of one length, of the dtypes the table has (no inference:
        ``settled`` gives a Series' own). numpy columns are copied into the table's
        blocks; an ExtensionArray is taken as it is (pass a copy if it is shared).

    Returns
    -------
    pandas.DataFrame
        With a RangeIndex; same-dtype numpy columns in one block, as the constructor
        consolidates them.

    Examples
    --------
    >>> t = frame_from_columns({"a": np.array([1.0, 2.0]), "b": pd.array([1, None], "Int64"),
    ...                         "c": np.array([3.0, np.nan])})
    >>> t.dtypes.astype(str).tolist(), t["c"].tolist()[0]
    (['float64', 'Int64', 'float64'], 3.0)
    """
    names = tuple(columns)
    arrays = list(columns.values())
    n = len(arrays[0]) if arrays else 0
    index = _INDEXES.get(n)
    if index is None:
        index = _INDEXES[n] = pd.RangeIndex(n)
    labels = _COLUMNS.get(names)
    if labels is None:
        if len(_COLUMNS) >= 256:
            _COLUMNS.clear()
        labels = _COLUMNS[names] = pd.Index(list(names))
    if create_dataframe_from_blocks is None or not names:  # pragma: no cover
        return pd.DataFrame(
            {
                name: pd.Series(a, dtype=a.dtype, copy=False) if isinstance(a, np.ndarray) else a
                for name, a in columns.items()
            },
            index=index,
        )
    groups: dict = {}  # numpy dtype -> column positions, in column order
    blocks = []
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            groups.setdefault(a.dtype, []).append(i)
        else:
            blocks.append((a, np.array([i], dtype=np.intp)))
    for dtype, at in groups.items():
        block = np.empty((len(at), n), dtype=dtype)
        for row, i in enumerate(at):
            block[row] = arrays[i]
        blocks.append((block, np.array(at, dtype=np.intp)))
    return create_dataframe_from_blocks(blocks, index=index, columns=labels)


def settled(values):
    """A Series' values as a table keeps them: its ExtensionArray (pandas' str, Int64),
    else its numpy array."""
    if isinstance(values.dtype, np.dtype):
        return values.to_numpy()
    return values.array


def column_arrays(table: pd.DataFrame) -> dict:
    """Every column of a table as stored (numpy or pandas arrays, read-only views), by
    name, without making a Series of each."""
    arrays = getattr(table, "_iter_column_arrays", None)  # pandas' own
    if arrays is None or not table.columns.is_unique:  # pragma: no cover
        return {name: col.array for name, col in table.items()}
    return dict(zip(table.columns, arrays(), strict=True))
