"""Sim: real tracking turned into live feeds, and the tools that drive the engine with them
(layer 8, the top but for the CLI).

Owns the tag-read simulator (``simulator``: noisy, dropped, reordered packets from real
tracking), fault injection (``faults``), the soak (``soak``, ``soak_plan``), the replay of
plays through the whole live path (``replay``, the main job) and ``ghostedge bench`` (``bench``,
``bench_parts``, ``bench_report``: per-frame latency by stage on the machine it runs on).

May import every layer below: ``data``, ``ingest``, ``model``, ``analysis``, ``live``, ``net``,
``viz``.
"""

from .simulator import SimConfig, SimulatedPlay, simulate_play

__all__ = ["SimConfig", "SimulatedPlay", "simulate_play"]
