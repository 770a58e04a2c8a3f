"""The result object every per-patient method returns.

One small frozen dataclass for all methods (as lifelines' result objects): the JSON
(``results.json`` contract v1, DESIGN.md section 5) and the HTML report both read it through
:meth:`Effect.to_dict`, which emits exactly the method's registry fields.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nof1.analysis.registry import METHODS

__all__ = ["Effect", "METHOD_KEYS", "plain_list"]

_CORE = ("estimate", "se", "df", "ci_low", "ci_high", "p_value")


class _MethodKeys(Mapping):
    """Method key -> the keys of its effect: a live view of the registry's fields."""

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return METHODS[key].fields

    def __iter__(self) -> Iterator[str]:
        return iter(METHODS)

    def __len__(self) -> int:
        return len(METHODS)


#: Keys that :meth:`Effect.to_dict` emits per method (``"reason"`` is always added): a view
#: of the registry's :attr:`~nof1.analysis.registry.Method.fields`.
METHOD_KEYS: Mapping[str, tuple[str, ...]] = _MethodKeys()


def _plain(value: Any) -> Any:
    """Turn numpy scalars into plain Python values; non-finite floats into None (JSON null)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def plain_list(values) -> list:
    """:func:`_plain` of every value of an array (a row per series), converted at once."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        out = values.tolist()
        if values.dtype.kind == "f":
            for i in np.flatnonzero(~np.isfinite(values)).tolist():
                out[i] = None
        return out
    return [_plain(v) for v in values]


@dataclass(frozen=True)
class Effect:
    """One method's comparison of active with placebo (active minus placebo).

    Parameters
    ----------
    method : str
        Method key, e.g. ``"gls_ar1"``; decides the key set of :meth:`to_dict`.
    estimate, se, df, ci_low, ci_high, p_value : float or None
        Point estimate (outcome units, or a probability for ``nap``), its standard error,
        degrees of freedom, interval at level 1 - alpha and two-sided p-value. ``None`` where
        the method does not define the quantity or could not run. NaN is stored as ``None``.
    extra : dict
        Method-specific values, e.g. ``phi`` (gls_ar1), ``p_benefit`` and ``p_mcid``
        (bayes_ar1).
    reason : str or None
        Why the method could not run; ``None`` when it ran.

    Examples
    --------
    >>> e = Effect("welch_t", estimate=-2.0, se=1.0, df=10.0, ci_low=-4.2, ci_high=0.2,
    ...            p_value=0.07)
    >>> sorted(e.to_dict())
    ['ci_high', 'ci_low', 'df', 'estimate', 'p_value', 'reason', 'se']
    >>> Effect.unavailable("nap", "no placebo days").to_dict()
    {'estimate': None, 'se': None, 'df': None, 'ci_low': None, 'ci_high': None,
     'interval_reason': None, 'reason': 'no placebo days'}
    """

    method: str
    estimate: float | None = None
    se: float | None = None
    df: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    reason: str | None = None

    def __post_init__(self) -> None:
        # Coerce once here so every consumer (JSON, report, tests) sees plain floats.
        for name in _CORE:
            value = _plain(getattr(self, name))
            object.__setattr__(self, name, None if value is None else float(value))
        object.__setattr__(self, "extra", {k: _plain(v) for k, v in self.extra.items()})

    @property
    def available(self) -> bool:
        """True when the method ran (``reason`` is None).

        Examples
        --------
        >>> Effect.unavailable("gls_ar1", "too few days").available
        False
        """
        return self.reason is None

    @classmethod
    def unavailable(cls, method: str, reason: str) -> Effect:
        """An effect for a method that could not run: every value None, ``reason`` set.

        Parameters
        ----------
        method : str
            Method key.
        reason : str
            Plain-language reason, e.g. ``"needs at least 2 cycles; got 1"``.

        Returns
        -------
        Effect

        Examples
        --------
        >>> Effect.unavailable("paired_periods", "needs at least 2 cycles; got 1").estimate is None
        True
        """
        return cls(method=method, reason=reason)

    @classmethod
    def from_plain(cls, method: str, core: dict, extra: dict, reason: str | None) -> Effect:
        """An effect from values already plain (``float`` or None in ``core``, :func:`_plain`
        values in ``extra``): what :meth:`__post_init__` would give, without its checks
        (a series builds tens of thousands)."""
        effect = object.__new__(cls)
        effect.__dict__.update(
            method=method,
            estimate=core.get("estimate"),
            se=core.get("se"),
            df=core.get("df"),
            ci_low=core.get("ci_low"),
            ci_high=core.get("ci_high"),
            p_value=core.get("p_value"),
            extra=extra,
            reason=reason,
        )
        return effect

    def with_reason(self, reason: str | None) -> Effect:
        """The same effect with another ``reason`` (``dataclasses.replace`` without
        converting the values again)."""
        return Effect.from_plain(self.method, self.__dict__, dict(self.extra), reason)

    def to_dict(self) -> dict[str, Any]:
        """The method's ``results.json`` entry: its documented keys plus ``reason``.

        Methods without a documented key set get the core keys plus every ``extra`` key.

        Returns
        -------
        dict
            Plain Python values (float, int, bool, str or None), never numpy scalars.

        Examples
        --------
        >>> Effect("gls_ar1", estimate=-3.5, extra={"phi": 0.4}).to_dict()["phi"]
        0.4
        """
        keys = METHOD_KEYS.get(self.method, (*_CORE, *self.extra))
        out = {k: getattr(self, k) if k in _CORE else self.extra.get(k) for k in keys}
        out["reason"] = self.reason
        return out
