"""The protocol model: every concept of an n-of-1 protocol, typed and checked.

A protocol says who gets what and when (treatments, schedule, randomization), what is
measured (outcomes) and how it will be analysed (analysis plan), all fixed before the
first day. Field-level checks come from the types; the cross-field rules (exactly one
primary outcome, a fixed scheme has a sequence, ...) are in ``Protocol._consistent`` and
are all reported at once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from nof1.analysis.registry import METHODS, primary_methods

__all__ = [
    "GUESSES",
    "PRIMARY_METHODS",
    "ActiveTreatment",
    "Adherence",
    "AdverseEvent",
    "Analysis",
    "BlindingCheck",
    "Outcome",
    "PlaceboTreatment",
    "Protocol",
    "Randomization",
    "ResponderRule",
    "Schedule",
    "TitrationStep",
    "Treatments",
]

#: The methods a protocol may name as its primary method: those of the method registry
#: (:mod:`nof1.analysis.registry`) that give an estimate in outcome units with an interval
#: and a p-value.
PRIMARY_METHODS = primary_methods()
#: The answers to the blinding question (``blinding_check``), as the aligned table holds them.
GUESSES = ("drug", "placebo", "unsure")

Treatment = Literal["active", "placebo"]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
# Every number is strict and finite: YAML reads `true` as a bool and `.inf`/`.nan` as floats,
# and lax pydantic would take them as 1 and as a dose of "inf mg".
Integer = Annotated[int, Strict()]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Flag = Annotated[bool, Strict()]
PositiveDays = Annotated[Integer, Field(ge=1, le=3650)]
Days = Annotated[Integer, Field(ge=0, le=3650)]


class _Model(BaseModel):
    # Unknown keys are almost always typos ("cylces"): refuse them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TitrationStep(_Model):
    """One step of the dose ramp at the start of every active period."""

    days: PositiveDays = Field(description="Days at this dose.")
    dose_mg: Number = Field(gt=0, description="Dose (mg) taken on these days.")


class ActiveTreatment(_Model):
    """The drug under test."""

    label: str = Field(min_length=1, description="Name shown in unblinded reports.")
    drug: str = Field(min_length=1)
    dose_mg: Number = Field(gt=0, description="Target (maintenance) dose in mg.")
    frequency: str = Field(default="once daily", min_length=1)
    titration: list[TitrationStep] = Field(
        default_factory=list,
        description="Dose steps at the start of each active period, before the target dose. "
        "The placebo is titrated identically so capsule counts do not unblind.",
    )


class PlaceboTreatment(_Model):
    """The identical-looking comparator."""

    label: str = Field(min_length=1)


class Treatments(_Model):
    active: ActiveTreatment
    placebo: PlaceboTreatment


class Schedule(_Model):
    """Lengths of every phase in days; a cycle is one active and one placebo period."""

    baseline_days: Days
    cycles: Annotated[Integer, Field(ge=1, le=20)]
    active_days: PositiveDays
    placebo_days: PositiveDays
    washout_days: Days = Field(
        default=0, description="Off-treatment days between consecutive treatment periods."
    )
    follow_up_days: Days = 0


class Randomization(_Model):
    """How the order of treatment periods is decided."""

    scheme: Literal["pairwise", "counterbalanced", "balanced", "fixed"] = Field(
        description="pairwise: order random within each cycle (2^cycles allocations); "
        "counterbalanced: one cycle, equal numbers of each order across a series; "
        "balanced: any order with equal numbers of each (C(2k, k) allocations); "
        "fixed: the given sequence, no randomization."
    )
    sequence: list[Treatment] | None = Field(
        default=None, description="The period order, for the fixed scheme only."
    )


class Outcome(_Model):
    """A daily self-reported outcome on a bounded scale."""

    name: Name
    label: str = Field(min_length=1)
    min: Number
    max: Number
    better: Literal["lower", "higher"]
    mcid: Number = Field(gt=0, description="Minimal clinically important difference.")
    primary: Flag = False


class AdverseEvent(_Model):
    """A daily yes/no diary item: did the patient have this side effect today?"""

    name: Name
    label: str = Field(min_length=1, description="The question as the patient reads it.")


class Adherence(_Model):
    """A daily yes/no diary item: was today's dose taken?"""

    name: Name
    label: str = Field(min_length=1, description="The question as the patient reads it.")
    per_protocol_min: Number = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Share of a period's days with the dose taken for the period to count "
        "in the per-protocol sensitivity analysis.",
    )


class BlindingCheck(_Model):
    """The patient's guess at what they took, asked on the last day of each treatment
    period (see ``nof1.design.timeline.blinding_check_days``); answers drug, placebo or
    unsure."""

    name: Name
    label: str = Field(min_length=1, description="The question as the patient reads it.")


class ResponderRule(_Model):
    """Responder: significant improvement in ``outcome`` plus in any of ``plus_any_of``."""

    outcome: Name
    plus_any_of: list[Name] = Field(default_factory=list)

    def describe(self, outcomes: list[Outcome]) -> str:
        """The rule in words, with the outcomes' labels and directions of improvement.

        Examples
        --------
        >>> from nof1.protocol import load_protocol
        >>> p = load_protocol("ldn-fibromyalgia-2013")
        >>> p.analysis.responder.describe(p.outcomes)
        'a significant reduction in pain plus a significant reduction in fatigue or
        increase in sleep quality'
        """
        by_name = {o.name: o for o in outcomes}
        main = by_name[self.outcome]
        text = f"a significant {_change(main)} in {main.label.lower()}"
        if self.plus_any_of:
            others = [by_name[n] for n in self.plus_any_of]
            if len({o.better for o in others}) == 1:
                text += f" plus a significant {_change(others[0])} in " + " or ".join(
                    o.label.lower() for o in others
                )
            else:
                text += " plus a significant " + " or ".join(
                    f"{_change(o)} in {o.label.lower()}" for o in others
                )
        return text


def _change(outcome: Outcome) -> str:
    """The change that is an improvement: a reduction or an increase."""
    return "reduction" if outcome.better == "lower" else "increase"


class Analysis(_Model):
    """The pre-specified analysis plan."""

    analytic_washout_days: Days = Field(
        default=0,
        description="First days of every treatment period left out of active-vs-placebo "
        "comparisons (absorbs carryover and slow onset).",
    )
    endpoint_days: PositiveDays = Field(
        default=3, description="The last N observed days of a period form its end point."
    )
    alpha: Number = Field(default=0.05, gt=0, lt=0.5)
    primary_method: Literal[PRIMARY_METHODS] = Field(  # type: ignore[valid-type]
        default=PRIMARY_METHODS[0],
        description="The method of the headline, the verdict and the pooled analysis "
        "(one that gives an estimate in outcome units with an interval and a p-value).",
    )
    responder: ResponderRule | None = None

    @field_validator("primary_method", mode="before")
    @classmethod
    def _may_be_primary(cls, value):
        """A method that exists but may not be primary gets its reason, not just 'input
        should be ...'."""
        if isinstance(value, str) and value in METHODS and value not in PRIMARY_METHODS:
            raise ValueError(
                f"'{value}' ({METHODS[value].name}) cannot be the primary method: the headline "
                "needs an estimate in outcome units with a confidence interval and a p-value, "
                f"which it does not give; use one of {', '.join(PRIMARY_METHODS)}"
            )
        return value


class Protocol(_Model):
    """A complete n-of-1 protocol.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> p.primary_outcome.name, p.schedule.cycles, p.total_days
    ('pain', 3, 182)
    """

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
    title: str = Field(min_length=1)
    condition: str = Field(min_length=1)
    reference: str = ""
    version: str = "1"
    blinding: Literal["none", "single", "double"]
    treatments: Treatments
    schedule: Schedule
    randomization: Randomization
    outcomes: list[Outcome] = Field(min_length=1)
    adverse_events: list[AdverseEvent] = Field(
        default_factory=list, description="Daily yes/no side-effect items of the diary."
    )
    adherence: Adherence | None = Field(
        default=None, description="The daily dose-taken item of the diary."
    )
    blinding_check: BlindingCheck | None = Field(
        default=None,
        description="The guess at the treatment, asked on the last day of each treatment period.",
    )
    analysis: Analysis = Field(default_factory=Analysis)

    @property
    def primary_outcome(self) -> Outcome:
        return next(o for o in self.outcomes if o.primary)

    @property
    def n_periods(self) -> int:
        """Number of treatment periods (two per cycle)."""
        return 2 * self.schedule.cycles

    @property
    def total_days(self) -> int:
        """Length of the whole trial in days (the same for every allocation)."""
        s = self.schedule
        return (
            s.baseline_days
            + s.cycles * (s.active_days + s.placebo_days)
            + (self.n_periods - 1) * s.washout_days
            + s.follow_up_days
        )

    @property
    def yes_no_items(self) -> list[str]:
        """Names of the diary's yes/no items: the adverse events, then adherence."""
        return [e.name for e in self.adverse_events] + (
            [self.adherence.name] if self.adherence else []
        )

    @property
    def answer_items(self) -> list[str]:
        """Names of the diary's items besides the outcomes, in the aligned table's order:
        the adverse events, adherence, the blinding guess (those the protocol has)."""
        return self.yes_no_items + ([self.blinding_check.name] if self.blinding_check else [])

    def outcome(self, name: str) -> Outcome:
        """The outcome called ``name`` (KeyError if there is none)."""
        for o in self.outcomes:
            if o.name == name:
                return o
        raise KeyError(name)

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        problems = list(_cross_field_problems(self))
        if problems:
            # One line per problem; the loader splits them back into a list.
            raise ValueError("\n".join(problems))
        return self


def _cross_field_problems(p: Protocol):
    """Yield 'field.path: problem' for every rule that spans several fields."""
    names = [o.name for o in p.outcomes]
    primaries = [o.name for o in p.outcomes if o.primary]
    if len(primaries) != 1:
        yield (
            f"outcomes: exactly one outcome must have primary: true "
            f"(found {len(primaries)}: {', '.join(primaries) or 'none'})"
        )
    for name in sorted({n for n in names if names.count(n) > 1}):
        yield f"outcomes: the name '{name}' is used more than once"
    yield from _item_name_problems(p)
    for i, o in enumerate(p.outcomes):
        if o.min >= o.max:
            yield f"outcomes.{i}.max: must be above min ({o.min:g}), got {o.max:g}"
        elif o.mcid >= o.max - o.min:
            yield f"outcomes.{i}.mcid: must be below the range {o.max - o.min:g}, got {o.mcid:g}"

    s, r, a = p.schedule, p.randomization, p.analysis
    ramp = sum(step.days for step in p.treatments.active.titration)
    if ramp >= s.active_days:
        yield (
            f"treatments.active.titration: the steps last {ramp} days, "
            f"which must be fewer than schedule.active_days ({s.active_days})"
        )
    if r.scheme == "counterbalanced" and s.cycles != 1:
        yield f"randomization.scheme: counterbalanced needs schedule.cycles 1, got {s.cycles}"
    if r.scheme == "fixed":
        if r.sequence is None:
            yield "randomization.sequence: required when scheme is fixed (e.g. [placebo, active])"
        elif len(r.sequence) != p.n_periods or r.sequence.count("active") != s.cycles:
            yield (
                f"randomization.sequence: needs {s.cycles} active and {s.cycles} placebo "
                f"periods ({p.n_periods} in all) for {s.cycles} cycle(s), got {r.sequence}"
            )
    elif r.sequence is not None:
        yield f"randomization.sequence: only allowed with scheme fixed, not {r.scheme}"

    shortest = min(s.active_days, s.placebo_days)
    if a.analytic_washout_days >= shortest:
        yield (
            f"analysis.analytic_washout_days: must be fewer than the shortest treatment "
            f"period ({shortest} days), got {a.analytic_washout_days}"
        )
    if a.endpoint_days > shortest:
        yield (
            f"analysis.endpoint_days: must not exceed the shortest treatment period "
            f"({shortest} days), got {a.endpoint_days}"
        )
    if a.responder is not None:
        for field, name in [("outcome", a.responder.outcome)] + [
            (f"plus_any_of.{i}", n) for i, n in enumerate(a.responder.plus_any_of)
        ]:
            if name not in names:
                yield (
                    f"analysis.responder.{field}: unknown outcome '{name}' "
                    f"(outcomes are: {', '.join(names)})"
                )


def _item_name_problems(p: Protocol):
    """Each diary item's name must differ from every other's (they are diary columns)."""
    first_use = {}
    for i, o in enumerate(p.outcomes):
        first_use.setdefault(o.name, f"outcomes.{i}.name")
    items = [(f"adverse_events.{i}.name", e.name) for i, e in enumerate(p.adverse_events)]
    if p.adherence is not None:
        items.append(("adherence.name", p.adherence.name))
    if p.blinding_check is not None:
        items.append(("blinding_check.name", p.blinding_check.name))
    for path, name in items:
        if name in _RESERVED:
            yield f"{path}: '{name}' is a diary column of its own; choose another name"
        elif name in first_use:
            yield f"{path}: the name '{name}' is already used by {first_use[name]}"
        else:
            first_use[name] = path


#: Column names of the diary and the aligned table that are not items.
_RESERVED = frozenset(
    ("date", "patient_id", "day", "note", "condition", "period", "outcome", "value", "row")
    + ("phase", "cycle", "included", "observed")
)
