"""Designs that cannot be blind: what a patient or analyst sees that differs by treatment.

Blinding holds only if an active period and a placebo period look the same in every
file handed out. The kit codes and letters are random (``nof1.design.blinding``), but the
protocol itself can give the game away: periods of different lengths show in the
calendar (one kit code for 84 days, another for 28) and in the blinded allocation; a
fixed order is printed in the protocol; dose instructions that differ (a titration
applied to one treatment only) show on the calendar. :func:`visible_differences` names
each such difference and what it reveals.

The warnings never name a treatment, so that blinded outputs can carry them as they are.
"""

from __future__ import annotations

from nof1.protocol.model import Protocol

__all__ = ["visible_differences"]

_CANNOT = "This design cannot be blind."
#: The last protocols' warnings, by identity (a protocol is frozen): every patient of a
#: series asks for them twice, and working them out enumerates the allocations (ms each).
_SEEN: dict[int, tuple[Protocol, tuple[str, ...]]] = {}


def visible_differences(protocol: Protocol) -> list[str]:
    """Warnings, one per difference between the treatments that the trial's files show.

    Parameters
    ----------
    protocol : Protocol

    Returns
    -------
    list of str
        Empty when active and placebo periods look the same in the calendar, the diary
        template and the blinded allocation, and the order is randomized.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> visible_differences(load_protocol("ldn-nof1-multicycle"))
    []
    >>> print(visible_differences(load_protocol("ldn-fibromyalgia-2013"))[0])
    The two treatments' periods differ in length (84 and 28 days): the patient's calendar
    shows each kit code for as long as its period lasts and the blinded allocation shows
    every period's length, so anyone who has either and the protocol can tell which
    group is which treatment. This design cannot be blind.
    """
    seen = _SEEN.get(id(protocol))
    if seen is None or seen[0] is not protocol:
        if len(_SEEN) > 8:
            _SEEN.clear()
        seen = _SEEN[id(protocol)] = (protocol, tuple(_differences(protocol)))
    return list(seen[1])


def _differences(protocol: Protocol) -> list[str]:
    s = protocol.schedule
    out = []
    if s.active_days != s.placebo_days:
        out.append(
            f"The two treatments' periods differ in length ({s.active_days} and "
            f"{s.placebo_days} days): the patient's calendar shows each kit code for as long "
            "as its period lasts and the blinded allocation shows every period's length, so "
            "anyone who has either and the protocol can tell which group is which treatment. "
            + _CANNOT
        )
    if protocol.randomization.scheme == "fixed":
        out.append(
            "The protocol fixes the order of the treatment periods, so anyone who has read "
            "it knows which period, and so which group, is which treatment. " + _CANNOT
        )
    instructions = _instruction_difference(protocol)
    if instructions:
        out.append(instructions)
    return out


def _instruction_difference(protocol: Protocol) -> str | None:
    """The first day on which the calendar's dose instruction differs by treatment."""
    from nof1.design.allocation import enumerate_allocations
    from nof1.design.blinding import PatientSchedule
    from nof1.design.timeline import build_timeline
    from nof1.files.calendar import calendar_days

    allocation = enumerate_allocations(protocol)[0]
    if allocation.all() or not allocation.any():
        return None  # nothing to compare against
    schedule = PatientSchedule(
        patient_id="P",
        allocation=allocation,
        kit_codes=("KIT",) * protocol.n_periods,
        group_of={"active": "A", "placebo": "B"},
        timeline=build_timeline(protocol, allocation),
    )
    by_period: dict[int, list[str]] = {}
    for row, _kit, instruction in calendar_days(protocol, schedule):
        if row.phase == "treatment":
            by_period.setdefault(int(row.period), []).append(instruction)
    active = by_period[int(allocation.argmax()) + 1]
    placebo = by_period[int((~allocation).argmax()) + 1]
    for day, (a, p) in enumerate(zip(active, placebo, strict=False), start=1):
        if a != p:
            return (
                f"The calendar's dose instructions differ between the two treatments (on day "
                f"{day} of a period one says '{a}', the other '{p}'), so the patient can tell "
                f"the kits apart. {_CANNOT}"
            )
    return None
