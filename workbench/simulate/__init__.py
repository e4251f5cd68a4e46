"""A deterministic synthetic cluster history in the stored schemas (``workbench simulate``).

The simulated cluster looks like a real one: daily and weekly traffic cycles, growth, skewed
partitions, consumers that keep up with a lag that jitters between commits, and a timetable of incidents
(stall, stop, rewind, capacity-bound consumer, empty groups, retention overtaking a group,
partition expansion, a never-committed partition). See :mod:`workbench.simulate.incidents`
and ``data/README.md``.
"""

from workbench.simulate.incidents import Incident
from workbench.simulate.run import DEFAULT_END, SimulationSummary, simulate

__all__ = ["DEFAULT_END", "Incident", "SimulationSummary", "simulate"]
