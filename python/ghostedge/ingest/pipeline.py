"""Live ingest: packet bytes (or decoded reads) -> fused, filtered player frames.

A thin wrapper over the compiled pipeline (cpp/include/ghostedge/pipeline.hpp), which is the
one implementation of decode -> fuse -> filter (docs/filtering.md)::

    pipe = IngestPipeline(Registry.from_csv("roster.csv"), rate_hz=10.0)
    pipe.push(datagram)            # any chunking; bytes, memoryview or numpy uint8
    frame = pipe.tick(time_us)     # FrameState at time_us from reads blinked up to time_us
    frame.x, frame.y, frame.s, frame.dir, frame.o, frame.flags   # one entry per player slot

``tick(t)`` uses every read with blink time in (previous tick + delay, t + delay], where
``delay_s`` (default one 100 ms frame) lets the filter smooth the frame at ``t`` with the reads
just after it: call it once the reads up to ``t + delay`` have arrived. Reads that arrive for
an already-produced tick are counted as late and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _core
from ..constants import FRAME_RATE_HZ, MAX_SPEED_YPS
from .registry import Registry
from .schedule import LATE_PACKET_MARGIN_US, packets_by_frame
from .wire import as_reads

FLAGS: dict[str, int] = dict(_core.FRAME_FLAGS)
FLAG_SINGLE_TAG = FLAGS["SINGLE_TAG"]
FLAG_HELD = FLAGS["HELD"]
FLAG_LOST = FLAGS["LOST"]
FLAG_NEVER_SEEN = FLAGS["NEVER_SEEN"]
FLAG_SPEED_CAPPED = FLAGS["SPEED_CAPPED"]
FLAG_REJECTED = FLAGS["REJECTED"]
FLAG_RESET = FLAGS["RESET"]
FLAG_NO_ORIENTATION = FLAGS["NO_ORIENTATION"]
#: Flags that mean "no estimate": the position arrays hold NaN.
FLAGS_NO_ESTIMATE = FLAG_LOST | FLAG_NEVER_SEEN

READ_REJECT_REASONS = {1: "off_field", 2: "gated"}


@dataclass
class FrameState:
    """One filtered frame. Player arrays are [n_players] in registry slot order (``nfl_ids``);
    positions in yards, speeds yd/s, angles in NGS degrees; NaN where ``flags`` says lost or
    never seen. ``raw_*`` is the fused measurement before smoothing (NaN when none)."""

    time_us: int
    nfl_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    s: np.ndarray
    a: np.ndarray
    dir: np.ndarray
    o: np.ndarray
    flags: np.ndarray
    raw_x: np.ndarray
    raw_y: np.ndarray
    raw_time_us: np.ndarray
    ball_x: float
    ball_y: float
    ball_s: float
    ball_dir: float
    ball_flags: int

    def has_estimate(self) -> np.ndarray:
        return (self.flags & FLAGS_NO_ESTIMATE) == 0


class IngestPipeline:
    """decode -> fuse -> filter for one tracking feed. Not thread-safe: one per thread.

    ``rate_hz`` is the output frame rate; the other keywords tune the filter (defaults are the
    documented ones in docs/filtering.md)."""

    def __init__(self, registry: Registry, rate_hz: float = FRAME_RATE_HZ, **config) -> None:
        if not isinstance(registry, Registry):
            raise TypeError("registry must be a ghostedge.registry.Registry")
        self.registry = registry
        self._core = _core.IngestPipeline(registry.core, rate_hz=float(rate_hz), **config)
        self.nfl_ids = registry.slot_nfl_ids.copy()
        self.n_players = int(self._core.n_players)
        self.rate_hz = float(self._core.rate_hz)
        self.delay_s = float(self._core.delay_s)

    def push(self, data) -> None:
        """Feed packet bytes (bytes, bytearray, memoryview, numpy uint8), any chunking."""
        self._core.push(data)

    def push_reads(self, reads) -> None:
        """Feed already-decoded reads (READ_DTYPE array)."""
        self._core.push_reads(as_reads(reads))

    def finish_stream(self) -> None:
        """End of a capture: decode whatever the decoder still buffers."""
        self._core.finish_stream()

    def tick(self, time_us: int) -> FrameState:
        """Produce the frame at ``time_us`` (copies of the pipeline's buffers)."""
        c = self._core
        c.tick(int(time_us))
        n = self.n_players
        x, y, s, dirn, flags = c.x, c.y, c.s, c.dir, c.flags
        return FrameState(
            time_us=int(c.frame_time_us), nfl_ids=self.nfl_ids,
            x=x[:n].copy(), y=y[:n].copy(), s=s[:n].copy(), a=c.a[:n].copy(),
            dir=dirn[:n].copy(), o=c.o[:n].copy(), flags=flags[:n].copy(),
            raw_x=c.raw_x[:n].copy(), raw_y=c.raw_y[:n].copy(), raw_time_us=c.raw_time_us[:n].copy(),
            ball_x=float(x[n]), ball_y=float(y[n]), ball_s=float(s[n]), ball_dir=float(dirn[n]),
            ball_flags=int(flags[n]),
        )

    def tick_into(self, time_us: int, out: dict[str, np.ndarray], row: int) -> None:
        """Produce the frame at ``time_us`` and write it into row ``row`` of preallocated
        [T, n_players + 1] arrays (players, then the ball) named like the FrameState fields
        (any subset of x, y, s, a, dir, o, flags, raw_x, raw_y, raw_time_us)."""
        c = self._core
        c.tick(int(time_us))
        for name, arr in out.items():
            arr[row] = getattr(c, name)

    def counters(self) -> dict[str, int]:
        """Pipeline counters, then the decoder's (prefixed ``decode_``)."""
        return self._core.counters()

    def timings(self) -> dict[str, float]:
        """Seconds per stage in the last tick and in total (decode, sort, fuse, filter)."""
        return self._core.timings()

    def rejected_reads(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(time_us, tag_id, reason) of the reads rejected in the last tick."""
        return self._core.rejected_reads()

    def reset(self) -> None:
        """Forget tracks, buffered reads and counters (keeps the registry)."""
        self._core.reset()


def filter_tracks(time_us, x, y, o=None, *, meas_sigma_yd: float = 0.03, o_sigma_deg: float = 5.0,
                  is_ball: bool = False, max_speed_yps: float = MAX_SPEED_YPS, jerk_psd: float | None = None,
                  hold_time_s: float = 1.0) -> dict[str, np.ndarray]:
    """Offline: the live filter run over whole [T, N] position arrays (NaN = no measurement),
    e.g. a play or a season of fused positions. Returns x, y, s, a, dir, o, flags ([T, N]) and
    ``rejected`` (measurements refused as outliers). The GIL is released while it runs."""
    return _core.filter_tracks(*track_inputs(time_us, x, y, o), **filter_keywords(
        meas_sigma_yd, o_sigma_deg, is_ball, max_speed_yps, jerk_psd, hold_time_s))


def track_inputs(time_us, x, y, o=None) -> tuple:
    """[T] times and [T, N] x, y (and o) as the compiled batch filters take them (no copy when
    they already are C-contiguous int64 / float64)."""
    return (np.ascontiguousarray(time_us, dtype=np.int64), np.ascontiguousarray(x, dtype=np.float64),
            np.ascontiguousarray(y, dtype=np.float64),
            None if o is None else np.ascontiguousarray(o, dtype=np.float64))


def filter_keywords(meas_sigma_yd: float, o_sigma_deg: float, is_ball: bool, max_speed_yps: float,
                    jerk_psd: float | None, hold_time_s: float) -> dict:
    """The batch filters' keyword arguments (``jerk_psd`` None: the filter's default)."""
    out = dict(meas_sigma_yd=float(meas_sigma_yd), o_sigma_deg=float(o_sigma_deg), is_ball=bool(is_ball),
               max_speed_yps=float(max_speed_yps), hold_time_s=float(hold_time_s))
    if jerk_psd is not None:
        out["jerk_psd"] = float(jerk_psd)
    return out


_FRAME_FIELDS = ("x", "y", "s", "a", "dir", "o", "flags", "raw_x", "raw_y", "raw_time_us")


def replay_packets(pipeline: IngestPipeline, packets, packet_times_us, tick_times_us,
                   latency_margin_us: int = LATE_PACKET_MARGIN_US, on_tick=None) -> dict[str, np.ndarray]:
    """Drive a pipeline with timed packets as a live receiver would (the packet schedule of
    :mod:`ghostedge.ingest.schedule`: before the tick at ``t`` every packet that arrived by
    ``t + delay + latency_margin_us``). Returns [T, n_players + 1] arrays (players, then
    the ball) of the frame fields. ``on_tick(i, pipeline)`` is called after each tick."""
    T, rows = len(tick_times_us), pipeline.n_players + 1
    out = {
        name: np.empty((T, rows), dtype=np.uint16 if name == "flags" else
                       np.int64 if name == "raw_time_us" else np.float64)
        for name in _FRAME_FIELDS
    }
    delay_us = int(round(pipeline.delay_s * 1e6))
    groups = packets_by_frame(packets, packet_times_us, tick_times_us, delay_us, latency_margin_us)
    for i, t in enumerate(np.asarray(tick_times_us, dtype=np.int64)):
        for packet in groups[i]:
            pipeline.push(packet)
        pipeline.tick_into(int(t), out, i)
        if on_tick is not None:
            on_tick(i, pipeline)
    return out
