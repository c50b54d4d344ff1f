"""Shared-memory output: every published result written into one fixed-layout block that
graphics engines on the same machine map and read (docs/shared-memory.md: the layout, the
seqlock, a reader in C). The writer is the core's (``ghostedge._core.ShmWriter``: 8-byte
atomic stores under a seqlock, the GIL released); this module maps a :class:`GhostResult`
onto it and reads blocks back (:class:`ShmReader`).

    engine = Engine(EngineConfig(shm_name="ghostedge"))    # or: ghostedge serve --shm ghostedge
    reader = ShmReader("ghostedge")                        # any process on the machine
    frame = reader.read()                                   # newest complete frame, or None
"""

from __future__ import annotations

import math
import time
import weakref

from .. import _core
from .events import PHASES
from .result import GhostResult

#: Phase codes in the block (``phase`` field): index in this tuple.
PHASE_CODES = {name: i for i, name in enumerate(PHASES)}
FLAG_OK = int(_core.SHM_LAYOUT["FLAG_OK"])
LAYOUT_VERSION = int(_core.SHM_LAYOUT["VERSION"])


def _or_minus_one(value: int | None) -> int:
    return -1 if value is None else int(value)


class ShmOutput:
    """The engine's writer: creates the block (replacing one of that name left by a writer
    that died), writes one frame per published result, unlinks the block on :meth:`close`."""

    def __init__(self, name: str, max_defenders: int, max_receivers: int, horizon: int) -> None:
        self._writer = _core.ShmWriter(name, int(max_defenders), int(max_receivers), int(horizon))
        self.name = self._writer.name
        # Unlinked also when the engine is dropped unclosed, or at interpreter exit.
        self._finalizer = weakref.finalize(self, self._writer.close)

    @property
    def frames_written(self) -> int:
        return int(self._writer.frames_written)

    def write(self, res: GhostResult) -> None:
        """One result (the worker thread, after publishing it)."""
        tick_ns = int(res._tick_monotonic * 1e9) if math.isfinite(res._tick_monotonic) else 0
        self._writer.write(
            int(res.frame_id), int(res.time_us), int(res.sequence), tick_ns,
            FLAG_OK if res.ok else 0, PHASE_CODES.get(res.phase, -1), int(res.target_index),
            _or_minus_one(res.target_nfl_id), _or_minus_one(res.pass_forward_frame),
            _or_minus_one(res.pass_arrived_frame), float(res.dt_s), float(res.ball_xy[0]),
            float(res.ball_xy[1]), res.defender_ids, res.receiver_ids, res.defender_xy,
            res.receiver_xy, res.mean, res.sigma, res.metric)

    def close(self) -> None:
        self._finalizer()


class ShmReader:
    """Reads a ghostedge shared-memory block from any process: :meth:`read` returns the newest
    complete frame (a dict of the header fields and numpy arrays over its counts, with
    ``phase`` as its name and ``age_s`` since its tick), or None before the first frame. The
    copy is taken by the core's seqlock reader, so it is never a mix of two frames; the
    writer never waits for a reader."""

    def __init__(self, name: str) -> None:
        self._reader = _core.ShmReader(name)
        self.dims = tuple(self._reader.dims)

    @property
    def sequence(self) -> int:
        """The seqlock's value: 2 x frames written (odd while one is being written)."""
        return int(self._reader.sequence)

    def read(self, max_tries: int = 10000) -> dict | None:
        frame = self._reader.read(max_tries)
        if frame is None:
            return None
        code = frame["phase"]
        frame["phase"] = PHASES[code] if 0 <= code < len(PHASES) else "unknown"
        frame["ok"] = bool(frame["flags"] & FLAG_OK)
        # CLOCK_MONOTONIC is one clock for every process of the machine (Linux).
        frame["age_s"] = (time.monotonic_ns() - frame["tick_monotonic_ns"]) / 1e9
        return frame

    def close(self) -> None:
        self._reader.close()
