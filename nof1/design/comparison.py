"""Which condition is compared with which: decided here, once, for every stage.

Every effect nof1 reports is *treated minus control*. Unblinded, treated is ``active`` and
control ``placebo``; blinded, the analysis cannot know which group had the drug, so treated
is group ``B`` and control group ``A``. The analysis decides it with :meth:`Comparison.of`
and writes it to results.json and series.json as ``comparison``; the reports read it back
with :meth:`Comparison.from_dict` and never re-derive it.

Examples
--------
>>> from nof1.protocol import load_protocol
>>> c = Comparison.of(load_protocol("ldn-nof1-multicycle"), blinded=False)
>>> c.treated, c.control, c.treated_label, c.control_label
('active', 'placebo', 'LDN 4.5 mg', 'Placebo')
>>> Comparison.of(load_protocol("ldn-nof1-multicycle"), blinded=True).labels
{'B': 'group B', 'A': 'group A'}
>>> Comparison.from_dict(c.to_dict()) == c
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Comparison", "arms"]


def arms(blinded: bool) -> tuple[str, str]:
    """(treated, control): ``("B", "A")`` when blinded, else ``("active", "placebo")``."""
    return ("B", "A") if blinded else ("active", "placebo")


@dataclass(frozen=True)
class Comparison:
    """The two conditions compared, with the names people read.

    Attributes
    ----------
    treated, control : str
        Condition names in files: ``active``/``placebo``, or ``B``/``A`` when blinded.
    treated_label, control_label : str
        How reports name them: the protocol's treatment labels, or ``group B``/``group A``.
    blinded : bool
        Whether the analysis compares blinded groups.
    """

    treated: str
    control: str
    treated_label: str
    control_label: str
    blinded: bool

    @classmethod
    def of(cls, protocol, blinded: bool) -> Comparison:
        """The comparison of ``protocol``'s treatments, blinded or not."""
        treated, control = arms(bool(blinded))
        if blinded:
            return cls(treated, control, "group B", "group A", True)
        t = protocol.treatments
        return cls(treated, control, t.active.label, t.placebo.label, False)

    @classmethod
    def from_dict(cls, data: dict) -> Comparison:
        """From results.json's or series.json's ``comparison`` (other keys are ignored)."""
        return cls(
            treated=data["treated"],
            control=data["control"],
            treated_label=data["treated_label"],
            control_label=data["control_label"],
            blinded=bool(data["blinded"]),
        )

    def to_dict(self) -> dict:
        """``comparison`` of results.json and series.json."""
        return asdict(self)

    @property
    def arms(self) -> tuple[str, str]:
        """(treated, control)."""
        return self.treated, self.control

    @property
    def labels(self) -> dict[str, str]:
        """Condition -> label, treated first (results.json's ``labels``)."""
        return {self.treated: self.treated_label, self.control: self.control_label}

    def label(self, condition: str) -> str:
        """The label of ``condition``: one of the two compared, or e.g. ``Baseline``."""
        if condition in self.labels:
            return self.labels[condition]
        return condition.replace("_", "-").capitalize()
