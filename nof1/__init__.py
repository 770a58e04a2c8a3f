"""nof1: n-of-1 trials, from protocol to blinded schedule to analysis and report.

The Python API (the same analyses as the ``nof1`` command line, for notebooks):

- :func:`read_protocol`: a shipped protocol id or a YAML file, validated (it shows its
  summary, as ``nof1 protocols show``);
- :func:`analyze`: one patient's diary (a file or a pandas DataFrame) -> an
  :class:`~nof1.api.analysis.AnalysisResult` (``.effects``, ``.verdict``, ``.report()``);
- :func:`series`: many patients -> a :class:`~nof1.api.series.SeriesResult`
  (``.meta_analysis``, ``.patients``);
- :func:`power`: power of a design by simulation -> a :class:`~nof1.api.power.PowerResult`
  (``.results``, ``.recommendation``).

Each result displays itself in Jupyter, and ``.to_dict()`` is exactly the JSON file the
matching command writes. ``import nof1`` stays cheap: pandas and scipy load on first use.

``nof1.series`` and ``nof1.power`` are also the packages of those stages
(``nof1.series.analyze_series``, ``nof1.power.power_analysis``); calling them runs
:func:`nof1.api.series.series` and :func:`nof1.api.power.power`.

Examples
--------
>>> import nof1
>>> result = nof1.analyze("sample_data/ldn-nof1-multicycle/P01-diary.csv",
...                       "ldn-nof1-multicycle",
...                       allocation="sample_data/ldn-nof1-multicycle/P01-unblinding-key.json")
>>> result.effects.query("outcome == 'pain'")[["method", "estimate", "p_value"]].round(3)
           method  estimate  p_value
0         gls_ar1    -8.883    0.001
1      gls_ar1_kr    -8.883    0.001
2   gls_ar1_trend    -9.012    0.001
3         welch_t    -8.548    0.000
4  paired_periods    -8.540    0.167
5   randomization    -8.548    0.250
6             nap     0.714      NaN
7       bayes_ar1    -8.906      NaN
"""

import sys as _sys

_ModuleType = type(_sys)  # types.ModuleType, without importing types (or importlib) now

__version__ = "0.1.0"

__all__ = [
    "AnalysisResult",
    "PowerResult",
    "SeriesResult",
    "analyze",
    "power",
    "read_protocol",
    "series",
]

# Loaded on first use (module __getattr__), so that `nof1 --help` does not pay for pandas.
_LAZY = {
    "read_protocol": "nof1.api.protocol:read_protocol",
    "analyze": "nof1.api.analysis:analyze",
    "AnalysisResult": "nof1.api.analysis:AnalysisResult",
    "SeriesResult": "nof1.api.series:SeriesResult",
    "PowerResult": "nof1.api.power:PowerResult",
}
# Packages of the same name as an API function: calling the package runs the function.
_CALLABLE = {"series": "nof1.api.series:series", "power": "nof1.api.power:power"}


def _load(target: str):
    import importlib

    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def __getattr__(name: str):
    if name in _LAZY:
        value = globals()[name] = _load(_LAZY[name])
        return value
    if name in _CALLABLE:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")  # made callable as it is bound
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    public = {n for n in globals() if not n.startswith("_") or n.endswith("__")}
    return sorted(public | set(__all__))


class _CallablePackage(_ModuleType):
    """``nof1.series`` and ``nof1.power``: packages that run their API function when called."""

    def __call__(self, *args, **kwargs):
        """Run the API function (``nof1.api.series.series`` or ``nof1.api.power.power``)."""
        return _load(_CALLABLE[self.__name__.rpartition(".")[2]])(*args, **kwargs)

    @property
    def __signature__(self):
        import inspect

        return inspect.signature(_load(_CALLABLE[self.__name__.rpartition(".")[2]]))


class _Package(_ModuleType):
    """The ``nof1`` module: binding the subpackage ``series`` or ``power`` makes it callable."""

    def __setattr__(self, name, value):
        if name in _CALLABLE and getattr(value, "__name__", None) == f"{__name__}.{name}":
            value.__class__ = _CallablePackage
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
