"""Design planning by simulation: ``nof1 power`` (DESIGN.md section 7).

- :mod:`~nof1.power.grid`: design points, the protocol with cycles, period length or
  analytic washout varied;
- :mod:`~nof1.power.trials`: simulated trials as the kernels' input (a row per trial);
- :mod:`~nof1.power.engine`: simulate, analyse and summarise (:func:`power_analysis`);
- :mod:`~nof1.power.side`, :mod:`~nof1.power.side_summary`: the protocol's answer items
  (harms, adherence, blinding check) simulated and analysed beside the outcome;
- :mod:`~nof1.power.results`, :mod:`~nof1.power.document`: power.json's typed records;
- :mod:`~nof1.report.power`: the plain-language recommendation and ``power.html``.

Examples
--------
>>> from nof1.power import Scenario, design_grid, power_analysis
>>> from nof1.protocol import read_protocol
>>> pf = read_protocol("ldn-nof1-multicycle")
>>> grid = design_grid(pf.protocol, cycles=[2, 3])
>>> out = power_analysis(pf, [0, -10], Scenario(sd=12, phi=0.5), grid, sims=20, seed=1)
>>> out["schema"], len(out["results"])
('nof1.power/2', 28)
"""

from __future__ import annotations

from nof1.power.engine import METHODS, SCHEMA, Scenario, chunks_per_point, power_analysis
from nof1.power.grid import DesignPoint, design_grid

__all__ = [
    "METHODS",
    "SCHEMA",
    "DesignPoint",
    "Scenario",
    "chunks_per_point",
    "design_grid",
    "power_analysis",
]
