"""The top level of results.json, series.json and power.json, as typed records.

Every piece below the top level is the record its writer builds (:mod:`nof1.analysis.summaries`,
:mod:`nof1.series`, :mod:`nof1.power.results`); the top-level keys (software, protocol,
data, ...) are declared here, and the per-method effects of results.json come from the
method registry (:data:`nof1.analysis.registry.METHODS`: one entry per method, its
``fields``). :mod:`nof1.schemas.generate` turns the three documents into JSON Schemas.

Keys marked ``since=2`` (``analysis``, ``comparison``) belong to contract version 2; they
enter a schema when the writer's version constant (``nof1.analysis.patient.SCHEMA``,
``nof1.series.results.SCHEMA``, ``nof1.power.engine.SCHEMA``) says ``/2``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Literal

from nof1.analysis.adherence import Adherence
from nof1.analysis.blinding import Blinding
from nof1.analysis.harms import Harms
from nof1.analysis.patient import SCHEMA as RESULTS_SCHEMA
from nof1.analysis.registry import METHODS, primary_methods
from nof1.analysis.summaries import (
    Arm,
    Condition,
    DataQuality,
    Descriptive,
    EndPoint,
    PercentChange,
    Responder,
    VsBaseline,
)
from nof1.power.document import PowerFile
from nof1.power.engine import SCHEMA as POWER_SCHEMA
from nof1.schemas.records import Json, Record, entry
from nof1.series.adherence import SeriesAdherence
from nof1.series.blinding_check import SeriesBlinding
from nof1.series.comparisons import ResponderTest
from nof1.series.harms import SeriesHarms
from nof1.series.results import SCHEMA as SERIES_SCHEMA
from nof1.series.results import OutcomeSeries, SeriesPatient, Skipped

__all__ = ["DOCUMENTS", "PowerFile", "ResultsFile", "SeriesFile", "effect_record"]

_SHA256 = Json(pattern="^[0-9a-f]{64}$")
_PROBABILITY = Json(minimum=0, maximum=1)
_OPEN_UNIT = Json(exclusiveMinimum=0, exclusiveMaximum=1)
_BLINDING = "What the trial's blinding could and could not hide."


# --- contract v2: what every file says about its analysis ---------------------------------


@dataclass(frozen=True)
class AnalysisContext(Record):
    """What the analysis was: its level, and its primary method and outcome."""

    alpha: Annotated[float, _OPEN_UNIT]
    interval_level: Annotated[float, _OPEN_UNIT]
    primary_method: Literal[primary_methods()]
    primary_outcome: str


@dataclass(frozen=True)
class Comparison(Record):
    """Which condition is compared with which: every effect is treated minus control."""

    treated: Literal["active", "B"]
    control: Literal["placebo", "A"]
    treated_label: str
    control_label: str
    blinded: bool


# --- shared ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Software(Record):
    """What wrote the file."""

    name: Literal["nof1"]
    version: str
    command: str | None = entry(description="The command line that produced the results.")
    seed: int = entry(
        description="Seed of the Monte Carlo randomization test (used only when the scheme "
        "has over 100 000 allocations)."
    )


@dataclass(frozen=True)
class UnblindedLabels(Record):
    """The treatments' labels."""

    active: str
    placebo: str


@dataclass(frozen=True)
class BlindedLabels(Record):
    """The groups' labels (blinded)."""

    A: str
    B: str


# --- results.json ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultsProtocol(Record):
    """The protocol analysed."""

    id: str
    sha256: Annotated[str, _SHA256]
    schedule_sha256: Annotated[str | None, _SHA256] = entry(
        description="SHA-256 of the protocol the allocation was made from (its "
        "protocol_sha256); null without an allocation file. It differs from sha256 only when "
        "the analysis was run with --allow-protocol-change."
    )


@dataclass(frozen=True)
class ResultsData(Record):
    """The diary analysed."""

    sha256: Annotated[str, _SHA256]
    rows: Annotated[int, Json(minimum=0)]


@dataclass(frozen=True)
class Density(Record):
    """Posterior density of the effect on a grid over its central 99.9%, for plotting."""

    x: tuple[float, ...]
    y: tuple[float, ...]


#: The type of an effect field of the registry (float or None unless listed).
_FIELD_TYPES = {
    "p_value": Annotated[float | None, _PROBABILITY],
    "min_p": Annotated[float | None, _PROBABILITY],
    "p_benefit": Annotated[float | None, _PROBABILITY],
    "p_mcid": Annotated[float | None, _PROBABILITY],
    "n_allocations": Annotated[int | None, Json(minimum=1)],
    "exact": bool | None,
    "density": Density | None,
    "interval_reason": str | None,
    "cycles_used": Annotated[int | None, Json(minimum=0)],
    "cycles_left_out": Annotated[int | None, Json(minimum=0)],
}


def effect_record(key: str) -> type:
    """The record of method ``key``'s effect: its registry ``fields`` and ``reason``."""
    fields = [(f, _FIELD_TYPES.get(f, float | None)) for f in METHODS[key].fields]
    name = "".join(part.title() for part in key.split("_")) + "Effect"
    cls = dataclasses.make_dataclass(
        name, [*fields, ("reason", str | None)], bases=(Record,), frozen=True
    )
    cls.__doc__ = f"{METHODS[key].name} ({key}), treated minus control."
    return cls


def _effects_record() -> type:
    cls = dataclasses.make_dataclass(
        "Effects", [(key, effect_record(key)) for key in METHODS], bases=(Record,), frozen=True
    )
    cls.__doc__ = "Every method of the registry, in its order."
    return cls


Effects = _effects_record()


@dataclass(frozen=True)
class OutcomeResults(Record):
    """Everything computed for one outcome."""

    name: str
    primary: bool
    better: Literal["lower", "higher"]
    mcid: float
    descriptive: dict[Condition, Descriptive]
    percent_change: PercentChange
    effects: Effects
    p_holm: Annotated[float | None, _PROBABILITY]
    vs_baseline: dict[Arm, VsBaseline]
    end_point: EndPoint = entry(
        required=False, description="The end points behind percent_change (absent in older files)."
    )


@dataclass(frozen=True)
class ResultsFile(Record):
    """Effects are treated minus control in outcome units: active minus placebo, or B minus
    A when blinded. p-values two-sided; intervals at 1 - alpha."""

    schema: Literal[RESULTS_SCHEMA]
    software: Software
    protocol: ResultsProtocol
    data: ResultsData
    analysis: AnalysisContext = entry(since=2)
    comparison: Comparison = entry(since=2)
    patient_id: str | None = entry()
    blinded: bool = entry()
    blinding: Blinding = entry(description=_BLINDING)
    labels: UnblindedLabels | BlindedLabels = entry()
    data_quality: DataQuality = entry()
    outcomes: Annotated[tuple[OutcomeResults, ...], Json(minItems=1)] = entry()
    responder: Responder = entry()
    verdict: str = entry()
    harms: Harms | None = entry(
        required=False,
        description="Side effects by condition; null when the protocol has no "
        "adverse_events (absent in files written before them).",
    )
    adherence: Adherence | None = entry(
        required=False,
        description="Doses taken and the per-protocol analysis; null when the protocol "
        "has no adherence item (absent in files written before it).",
    )


# --- series.json ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesProtocol(Record):
    """The protocol of the series."""

    id: str
    sha256: Annotated[str, _SHA256]
    title: str
    schedule_sha256: tuple[Annotated[str, _SHA256], ...] = entry(
        description="SHA-256 of the protocol the allocations were made from (their "
        "protocol_sha256, each distinct one once); empty without allocation files. Differs "
        "from sha256 only with --allow-protocol-change."
    )


@dataclass(frozen=True)
class SeriesData(Record):
    """The diaries and allocations of the series."""

    source: str
    sha256: Annotated[str | None, _SHA256]
    allocations: tuple[str, ...]


@dataclass(frozen=True)
class SeriesComparisonV1(Record):
    """Which condition is compared with which (contract v1)."""

    treated: Literal["active", "B"]
    control: Literal["placebo", "A"]
    effect: str
    note: str


@dataclass(frozen=True)
class SeriesComparison(Comparison):
    """Which condition is compared with which: every effect is treated minus control."""

    effect: str = entry(required=False)
    note: str = entry(required=False)


@dataclass(frozen=True)
class Counts(Record):
    """Patients in the series, analysed and skipped."""

    patients: Annotated[int, Json(minimum=0)]
    analysed: Annotated[int, Json(minimum=0)]
    skipped: Annotated[int, Json(minimum=0)]


@dataclass(frozen=True)
class SeriesFile(Record):
    """Effects are treated minus control in outcome units: active minus placebo, or B minus
    A when blinded (then every condition is a group letter). p-values two-sided; intervals at
    1 - alpha of the protocol."""

    schema: Literal[SERIES_SCHEMA]
    software: Software
    protocol: SeriesProtocol
    data: SeriesData
    analysis: AnalysisContext = entry(since=2)
    blinded: bool = entry()
    blinding: SeriesBlinding = entry(description=_BLINDING)
    labels: UnblindedLabels | BlindedLabels = entry()
    comparison_v1: SeriesComparisonV1 = entry(key="comparison", until=1)
    comparison: SeriesComparison = entry(since=2)
    counts: Counts = entry()
    outcomes: Annotated[tuple[OutcomeSeries, ...], Json(minItems=1)] = entry()
    responders: ResponderTest = entry(
        description="Responder rates per condition (each patient's results.json responder) "
        "and McNemar's exact test."
    )
    harms: SeriesHarms | None = entry(
        required=False, description="Side effects across patients; null without adverse_events."
    )
    adherence: SeriesAdherence | None = entry(
        required=False, description="Adherence across patients; null without adherence."
    )
    patients: tuple[SeriesPatient, ...] = entry()
    skipped: tuple[Skipped, ...] = entry()


# --- power.json: nof1.power.document ---------------------------------------------------------


#: File name -> (document record, its contract's version constant, a title).
DOCUMENTS = {
    "results": (ResultsFile, RESULTS_SCHEMA, "nof1 per-patient results (results.json)"),
    "series": (SeriesFile, SERIES_SCHEMA, "nof1 series results (series.json)"),
    "power": (PowerFile, POWER_SCHEMA, "nof1 power analysis (power.json)"),
}
