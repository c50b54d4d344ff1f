"""Offline two-sided smoothing of archived tag-read captures (docs/filtering.md, "Offline").

A thin wrapper over the compiled smoother (cpp/include/ghostedge/smoother.hpp)::

    cap = smooth_capture("game.getr", Registry.from_csv("roster.csv"))
    cap.x, cap.y, cap.s, cap.dir, cap.o, cap.flags    # [T, n_players + 1]: players, then the ball
    cap.frame(i)                                      # one tick as an ingest.FrameState

The capture goes through the live pipeline's own decode -> registry -> fusion -> causal filter
(same configuration keywords as ``ingest.IngestPipeline``, same gating and rejections: every
read of the capture is available, so none arrives late), then a Rauch-Tung-Striebel backward
pass over each whole track replaces the one-frame-delay estimates with two-sided ones. Outputs
keep the live conventions: NaN where the live filter has no estimate, the same flags (SPEED_CAPPED
for the smoothed speed), speeds capped at ``max_speed_yps``.

``smooth_tracks`` is the same over [T, N] arrays of fused positions, as ``ingest.filter_tracks``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .. import _core
from ..constants import MAX_SPEED_YPS
from .pipeline import FLAGS_NO_ESTIMATE, FrameState, filter_keywords, track_inputs
from .registry import Registry
from .wire import READ_DTYPE

#: The frame fields of a smoothed capture, each [T, n_players + 1].
FRAME_FIELDS = ("x", "y", "s", "a", "dir", "o", "flags", "raw_x", "raw_y", "raw_time_us")


@dataclass
class SmoothedCapture:
    """A capture smoothed two-sided. Arrays are [T, n_players + 1] (player slots in registry
    order, ``nfl_ids``, then the ball) at ``time_us`` [T]; ``raw_*`` is each tick's fused
    measurement before filtering (NaN: none). ``causal`` holds the causal filter's own outputs
    (x, y, s, a, dir, o, flags: the live filter run on the capture) when asked for."""

    time_us: np.ndarray
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
    counters: dict[str, int]
    rejected_reads: tuple[np.ndarray, np.ndarray, np.ndarray]  # (time_us, tag_id, reason)
    causal: dict[str, np.ndarray] | None = None
    n_players: int = field(init=False)

    def __post_init__(self) -> None:
        self.n_players = int(self.nfl_ids.size)

    @property
    def n_ticks(self) -> int:
        return int(self.time_us.size)

    def arrays(self) -> dict[str, np.ndarray]:
        """The frame fields by name (as ``ingest.replay_packets`` returns them)."""
        return {name: getattr(self, name) for name in FRAME_FIELDS}

    def has_estimate(self) -> np.ndarray:
        return (self.flags & FLAGS_NO_ESTIMATE) == 0

    def frame(self, i: int) -> FrameState:
        """Tick ``i`` as the live pipeline's FrameState (copies)."""
        n = self.n_players
        return FrameState(
            time_us=int(self.time_us[i]), nfl_ids=self.nfl_ids,
            x=self.x[i, :n].copy(), y=self.y[i, :n].copy(), s=self.s[i, :n].copy(),
            a=self.a[i, :n].copy(), dir=self.dir[i, :n].copy(), o=self.o[i, :n].copy(),
            flags=self.flags[i, :n].copy(), raw_x=self.raw_x[i, :n].copy(),
            raw_y=self.raw_y[i, :n].copy(), raw_time_us=self.raw_time_us[i, :n].copy(),
            ball_x=float(self.x[i, n]), ball_y=float(self.y[i, n]), ball_s=float(self.s[i, n]),
            ball_dir=float(self.dir[i, n]), ball_flags=int(self.flags[i, n]),
        )


def _capture_data(packets_or_path):
    """Packet bytes (or decoded reads) of a capture given as a path, bytes-like, reads or an
    iterable of packets."""
    if isinstance(packets_or_path, (str, os.PathLike)):
        with open(packets_or_path, "rb") as f:
            return f.read()
    if isinstance(packets_or_path, np.ndarray) and packets_or_path.dtype.names is not None:
        if packets_or_path.dtype != READ_DTYPE:
            raise ValueError(f"reads must have dtype ghostedge.wire.READ_DTYPE, got {packets_or_path.dtype}")
        return np.ascontiguousarray(packets_or_path)
    if isinstance(packets_or_path, (bytes, bytearray, memoryview, np.ndarray)):
        return packets_or_path
    if isinstance(packets_or_path, Iterable):
        return b"".join(bytes(p) for p in packets_or_path)
    raise TypeError("a capture is a path, packet bytes, an iterable of packets or a READ_DTYPE array, "
                    f"not {type(packets_or_path).__name__}")


def smooth_capture(packets_or_path, registry: Registry, tick_times_us=None, *, causal: bool = False,
                   player_jerk_psd: float | None = None, ball_jerk_psd: float | None = None,
                   orientation_rate_psd: float | None = None, **config) -> SmoothedCapture:
    """Decode -> fuse -> causal filter -> two-sided smoother over a whole capture.

    ``packets_or_path``: a capture file path, its bytes, an iterable of packets (bytes) or an
    array of already decoded reads (``wire.READ_DTYPE``). ``tick_times_us``: the output frame
    times (strictly increasing); default every 1/``rate_hz`` from the first read. ``config``:
    the ``ingest.IngestPipeline`` keywords (rate_hz, delay_s, jerk_psd, ...).
    ``player_jerk_psd`` / ``ball_jerk_psd`` / ``orientation_rate_psd``: process noise of the
    two-sided pass (default: the tuned smoother values, the ball filter's own for the ball;
    <= 0: the causal filter's). ``causal=True`` also returns the causal filter's own outputs.
    The GIL is released while it runs. Damage in the capture is skipped and counted
    (``counters["decode_*"]``), never fatal."""
    if not isinstance(registry, Registry):
        raise TypeError("registry must be a ghostedge.registry.Registry")
    data = _capture_data(packets_or_path)
    ticks = None if tick_times_us is None else np.ascontiguousarray(tick_times_us, dtype=np.int64)
    psd = {}
    if player_jerk_psd is not None:
        psd["player_smoother_jerk_psd"] = float(player_jerk_psd)
    if ball_jerk_psd is not None:
        psd["ball_smoother_jerk_psd"] = float(ball_jerk_psd)
    if orientation_rate_psd is not None:
        psd["smoother_orientation_rate_psd"] = float(orientation_rate_psd)
    out = _core.smooth_capture(registry.core, data, ticks, causal=bool(causal), **psd, **config)
    return SmoothedCapture(
        time_us=out["time_us"], nfl_ids=registry.slot_nfl_ids.copy(),
        **{name: out[name] for name in FRAME_FIELDS},
        counters=dict(out["counters"]), rejected_reads=tuple(out["rejected_reads"]),
        causal=out.get("causal"),
    )


def smooth_tracks(time_us, x, y, o=None, *, meas_sigma_yd: float = 0.03, o_sigma_deg: float = 5.0,
                  is_ball: bool = False, max_speed_yps: float = MAX_SPEED_YPS, jerk_psd: float | None = None,
                  hold_time_s: float = 1.0, smoother_jerk_psd: float | None = None,
                  smoother_orientation_rate_psd: float | None = None) -> dict[str, np.ndarray]:
    """``ingest.filter_tracks`` followed by the two-sided pass, over [T, N] arrays of fused
    positions (NaN = no measurement). Same outputs (x, y, s, a, dir, o, flags [T, N] and
    ``rejected``, the causal filter's count). ``smoother_*``: process noise of the two-sided
    pass (default as in :func:`smooth_capture`)."""
    kwargs = filter_keywords(meas_sigma_yd, o_sigma_deg, is_ball, max_speed_yps, jerk_psd, hold_time_s)
    if smoother_jerk_psd is not None:
        kwargs["smoother_jerk_psd"] = float(smoother_jerk_psd)
    if smoother_orientation_rate_psd is not None:
        kwargs["smoother_orientation_rate_psd"] = float(smoother_orientation_rate_psd)
    return _core.smooth_tracks(*track_inputs(time_us, x, y, o), **kwargs)
