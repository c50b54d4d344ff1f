"""Sim: real tracking turned into live feeds, and the tools that drive the engine with them
(layer 8, the top but for the CLI).

Owns the tag-read simulator (``simulator``: noisy, dropped, reordered packets from real
tracking), fault injection (``faults``), the soak (``soak``, ``soak_plan``) and the replay of
plays through the whole live path (``replay``, the main job).

May import every layer below: ``data``, ``ingest``, ``model``, ``analysis``, ``live``, ``net``,
``viz``.
"""

from .simulator import SimConfig, SimulatedPlay, simulate_play

__all__ = ["SimConfig", "SimulatedPlay", "simulate_play"]
