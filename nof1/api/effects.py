"""results.json's effects as a tidy table: one row per outcome and method."""

from __future__ import annotations

import pandas as pd

from nof1.analysis.registry import METHODS

__all__ = ["EFFECT_COLUMNS", "effects_frame"]

#: The leading columns of :func:`effects_frame`; each method's other scalar fields follow.
EFFECT_COLUMNS = (
    "outcome",
    "method",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "df",
    "reason",
)
_FLOAT = ("estimate", "se", "ci_low", "ci_high", "p_value", "df")
_NOT_SCALAR = {"density"}  # a curve per row: in to_dict() only


def _extra_fields() -> list[str]:
    out: list[str] = []
    for m in METHODS.values():
        for name in m.fields:
            if name not in EFFECT_COLUMNS and name not in _NOT_SCALAR and name not in out:
                out.append(name)
    return out


def effects_frame(outcomes: list[dict], key: dict | None = None) -> pd.DataFrame:
    """The effects of results.json's ``outcomes``, methods in registry order.

    Parameters
    ----------
    outcomes : list of dict
        results.json ``outcomes``.
    key : dict, optional
        Columns put first on every row (``{"patient_id": "P01"}`` for a series).

    Returns
    -------
    pandas.DataFrame
        :data:`EFFECT_COLUMNS`, then every other scalar field of a method (``phi``,
        ``n_allocations``, ``exact``, ``min_p``, ``p_benefit``, ``p_mcid``, ...), missing
        where the method has no such field. Numbers are floats (NaN where undefined),
        counts nullable integers, flags nullable booleans.
    """
    extra = _extra_fields()
    columns = [*(key or {}), *EFFECT_COLUMNS, *extra]
    rows = []
    for outcome in outcomes:
        effects = outcome["effects"]
        order = [k for k in METHODS if k in effects] + [k for k in effects if k not in METHODS]
        for method in order:
            effect = effects[method]
            row = dict(key or {}) | {"outcome": outcome["name"], "method": method}
            row |= {c: effect.get(c) for c in (*EFFECT_COLUMNS[2:], *extra)}
            rows.append(row)
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    for column in (*_FLOAT, *extra):
        frame[column] = _typed(frame[column], float_column=column in _FLOAT)
    return frame


def _typed(values: pd.Series, float_column: bool) -> pd.Series:
    present = [v for v in values if v is not None and v == v]
    if float_column or not present:
        return pd.to_numeric(values, errors="coerce").astype(float)
    if all(isinstance(v, bool) for v in present):
        return values.astype("boolean")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return values.astype("Int64")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.to_numeric(values).astype(float)
    return values
