"""The top level of power.json as typed records (``nof1.schemas.documents`` lists it
with results.json and series.json; its rows are in :mod:`nof1.power.results`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from nof1.analysis.registry import primary_methods
from nof1.power.engine import SCHEMA as POWER_SCHEMA
from nof1.power.results import (
    AdherencePowerRow,
    BlindingPowerRow,
    HarmsPowerRow,
    PowerRow,
    Scheme,
)
from nof1.schemas.records import Json, Record, entry

__all__ = [
    "Design",
    "PowerAnalysisContext",
    "PowerFile",
    "PowerInputs",
    "PowerProtocol",
    "PowerSoftware",
]

_SHA256 = Json(pattern="^[0-9a-f]{64}$")
_OPEN_UNIT = Json(exclusiveMinimum=0, exclusiveMaximum=1)


@dataclass(frozen=True)
class PowerAnalysisContext(Record):
    """The level of the simulated analyses."""

    alpha: Annotated[float, _OPEN_UNIT]
    interval_level: Annotated[float, _OPEN_UNIT]


@dataclass(frozen=True)
class PowerSoftware(Record):
    """What wrote the file."""

    name: Literal["nof1"]
    version: str
    command: str | None = entry(
        description="The command line that reproduces the run.", required=False
    )


@dataclass(frozen=True)
class PowerProtocol(Record):
    """The protocol whose designs were simulated."""

    id: str
    sha256: Annotated[str, _SHA256]


_UNIT_RATE = Json(minimum=0, maximum=1)


@dataclass(frozen=True)
class PowerInputs(Record):
    """The simulation's assumptions and settings."""

    effects: Annotated[tuple[float, ...], Json(minItems=1)]
    sd: Annotated[float, Json(exclusiveMinimum=0)]
    phi: Annotated[float, Json(exclusiveMinimum=-1, exclusiveMaximum=1)]
    trend: float
    onset_half_life: Annotated[float, Json(minimum=0)]
    offset_half_life: Annotated[float, Json(minimum=0)]
    missing: Annotated[float, Json(minimum=0, exclusiveMaximum=1)]
    patients: Annotated[int, Json(minimum=1)]
    sims: Annotated[int, Json(minimum=1)]
    seed: Annotated[int, Json(minimum=0)]
    alpha: Annotated[float, _OPEN_UNIT]
    outcome: str = entry(description="The primary outcome simulated.")
    better: Literal["lower", "higher"] = entry()
    mcid: float = entry()
    primary_method: Literal[primary_methods()] = entry()
    effect_sd: Annotated[float, Json(minimum=0)] = entry(
        description="Between-patient sd of the true effect (patients > 1): each simulated "
        "patient draws its own effect from N(effect, effect_sd^2); 0 = the same effect for "
        "all, which overstates the pooled power.",
        required=False,
    )
    event_rates: dict[str, Annotated[tuple[float, ...], Json(minItems=2, maxItems=2)]] = entry(
        None,
        description="Per adverse event of the protocol, the simulated daily probability "
        "[placebo, active] (--event-rate; absent without adverse events).",
        required=False,
    )
    event_persistence: Annotated[float, Json(minimum=0, exclusiveMaximum=1)] = entry(
        None, description="Lag-1 autocorrelation of every event's daily chain.", required=False
    )
    missed_dose_rate: Annotated[float, _UNIT_RATE] = entry(
        None,
        description="Daily probability of a missed dose on a treatment day (absent without "
        "an adherence item).",
        required=False,
    )
    guess_right: Annotated[float, _UNIT_RATE] = entry(
        None,
        description="Probability that a guess that is not unsure is right (absent without a "
        "blinding check).",
        required=False,
    )
    guess_unsure: Annotated[float, _UNIT_RATE] = entry(
        None, description="Probability of answering unsure.", required=False
    )


@dataclass(frozen=True)
class Design(Record):
    """One design point of the grid."""

    label: str
    cycles: Annotated[int, Json(minimum=1)]
    period_days: Annotated[int | None, Json(minimum=1)] = entry(
        description="Length of each treatment period when active and placebo periods are "
        "equally long, else null."
    )
    active_days: Annotated[int, Json(minimum=1)] = entry()
    placebo_days: Annotated[int, Json(minimum=1)] = entry()
    analytic_washout_days: Annotated[int, Json(minimum=0)] = entry()
    total_days: Annotated[int, Json(minimum=1)] = entry()
    scheme: Scheme = entry()


@dataclass(frozen=True)
class PowerFile(Record):
    """Power by simulation: one result per design point, effect and method. Effects are
    active minus placebo on the primary outcome, in its units."""

    schema: Literal[POWER_SCHEMA]
    software: PowerSoftware
    protocol: PowerProtocol
    analysis: PowerAnalysisContext = entry(since=2)
    inputs: PowerInputs = entry()
    designs: Annotated[tuple[Design, ...], Json(minItems=1)] = entry()
    results: Annotated[tuple[PowerRow, ...], Json(minItems=1)] = entry()
    recommendation: Annotated[str, Json(minLength=1)] = entry(
        description="Plain-language answer: the shortest design with 80% power for the "
        "primary method, and caveats."
    )
    harms: tuple[HarmsPowerRow, ...] | None = entry(
        None,
        description="Per design point and adverse event (then 'any'): the harms test's "
        "power, or type I error with equal rates; null when the protocol has no adverse "
        "events.",
        required=False,
    )
    adherence: tuple[AdherencePowerRow, ...] | None = entry(
        None,
        description="Per design point and effect: the periods the per-protocol analysis "
        "leaves out and its power; null without an adherence item.",
        required=False,
    )
    blinding: tuple[BlindingPowerRow, ...] | None = entry(
        None,
        description="Per design point: Bang's index per arm and how often the guesses look "
        "better than chance; null without a blinding check.",
        required=False,
    )
