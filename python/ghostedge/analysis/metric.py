"""The composite ghosting metric (definition and constants: docs/metric.md).

The arithmetic lives in the C++ core (`ghostedge._core.metric_batch` and the per-frame
`MetricAccumulator`); this module shapes inputs, aggregates per play and overall and bootstraps
intervals over plays. The reference table of `ghostedge evaluate` is in ``reference.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .. import _core
from ..constants import DT_S, MAX_SPEED_YPS, TOP_SPEED_YPS
from ..data.play import Play

MetricAccumulator = _core.MetricAccumulator

DT = DT_S  # s per frame
TOP_SPEED = TOP_SPEED_YPS  # yd/s, fastest measured NFL players
SPEED_LIMIT = MAX_SPEED_YPS  # yd/s, no human step is faster
EFFORT_WEIGHT = 0.25
SPEED_PENALTY_WEIGHT = 2.0
REACTION_TIME_S = 0.3  # frame k after the throw weighs exp(-k dt / REACTION_TIME_S)
MISDIRECTION_WEIGHT = 1.0
PROXIMITY_WEIGHT = 1.0
RELEVANCE_RANGE = 0.5  # relevance = exp(-sep0 / (RELEVANCE_RANGE * top-speed distance of the flight))


def metric_params() -> _core.MetricParams:
    """The definition's constants (docs/metric.md) as the core's parameter object."""
    p = _core.MetricParams()
    p.dt, p.top_speed, p.speed_limit = DT, TOP_SPEED, SPEED_LIMIT
    p.effort_weight, p.speed_penalty_weight = EFFORT_WEIGHT, SPEED_PENALTY_WEIGHT
    p.reaction_time, p.misdirection_weight = REACTION_TIME_S, MISDIRECTION_WEIGHT
    p.proximity_weight, p.relevance_range = PROXIMITY_WEIGHT, RELEVANCE_RANGE
    return p


PARAMS = metric_params()
COMPONENTS = tuple(_core.METRIC_FIELDS)  # value, closing, misdirection, proximity, effort, speed_penalty, relevance


@dataclass
class MetricScores:
    """Per-trajectory metric, its parts and the defender's relevance, each with the batch's
    leading shape (see docs/metric.md for what each part is)."""

    value: np.ndarray
    closing: np.ndarray
    misdirection: np.ndarray
    proximity: np.ndarray
    effort: np.ndarray
    speed_penalty: np.ndarray
    relevance: np.ndarray


def score(defender, receiver, lengths=None) -> MetricScores:
    """Score trajectories: defender [..., T, 2], receiver broadcastable to it (e.g. [T, 2]).

    ``lengths`` (shape of the leading dims) is the number of frames used per trajectory, for
    flights of different lengths padded into one array. Rows with a non-finite coordinate in
    their used frames, or fewer than 2 frames, come back NaN (see docs/metric.md).
    """
    d = np.asarray(defender, dtype=np.float64)
    r = np.asarray(receiver, dtype=np.float64)
    if d.ndim < 2 or d.shape[-1] != 2:
        raise ValueError(f"defender must have shape [..., T, 2], got {d.shape}")
    try:
        r = np.broadcast_to(r, d.shape)
    except ValueError:
        raise ValueError(
            f"receiver shape {r.shape} does not broadcast to the defender's {d.shape}"
        ) from None
    lead = d.shape[:-2]
    k = int(np.prod(lead, dtype=np.int64))
    t = d.shape[-2]
    flat_len = None
    if lengths is not None:
        ln = np.asarray(lengths)
        if ln.shape != lead:
            raise ValueError(f"lengths must have shape {lead}, got {ln.shape}")
        if not np.issubdtype(ln.dtype, np.integer):
            raise ValueError("lengths must be integers (frames per trajectory)")
        flat_len = np.ascontiguousarray(ln.reshape(k), dtype=np.int64)
    out = _core.metric_batch(
        np.ascontiguousarray(d.reshape(k, t, 2)),
        np.ascontiguousarray(r.reshape(k, t, 2)),
        flat_len,
        PARAMS,
    )
    out = out.reshape(*lead, len(COMPONENTS))
    return MetricScores(*(out[..., i] for i in range(len(COMPONENTS))))


def score_ghosts_into(start_xy, ghost_mean, receiver_xy, receiver_vel, step_dt: float, out) -> None:
    """The live engine's per-frame metric, into ``out`` [D, R]: ghost (d, r) is start_xy[d]
    [D, 2] followed by ghost_mean[d, r] [D, R, H, 2]; receiver r runs at constant velocity,
    receiver_xy[r] + k * step_dt * receiver_vel[r] for k = 0..H. Equals :func:`score` on those
    paths; one C++ call, no temporaries. Arrays must be float64 and C-contiguous (ValueError)."""
    _core.metric_ghosts(start_xy, ghost_mean, receiver_xy, receiver_vel, float(step_dt), out, PARAMS)


def ghost_paths(start_xy, ghost_mean) -> np.ndarray:
    """Prepend each defender's tracked position at the throw to his ghost: [D, ..., H+1, 2].

    start_xy [D, 2]; ghost_mean [D, R, H, 2] (or [D, H, 2]) holding frames t+1..t+H.
    """
    start = np.asarray(start_xy, dtype=np.float64)
    mean = np.asarray(ghost_mean, dtype=np.float64)
    if start.ndim != 2 or start.shape[1] != 2 or mean.shape[0] != start.shape[0] or mean.shape[-1] != 2:
        raise ValueError(f"start_xy [D, 2] and ghost_mean [D, ..., H, 2] disagree: {start.shape}, {mean.shape}")
    head = start.reshape(start.shape[0], *([1] * (mean.ndim - 2)), 2)
    head = np.broadcast_to(head, mean.shape[:-2] + (1, 2))
    return np.concatenate([head, mean], axis=-2)


# --------------------------------------------------------------------------- aggregation


def _pairs(values_by_play, weights_by_play):
    """Per play: finite values and their weights (1 each when no weights are given)."""
    for i, v in enumerate(values_by_play):
        v = np.asarray(v, dtype=np.float64).ravel()
        w = np.ones_like(v) if weights_by_play is None else np.asarray(weights_by_play[i], dtype=np.float64).ravel()
        if w.shape != v.shape:
            raise ValueError(f"play {i}: {w.size} weights for {v.size} values")
        ok = np.isfinite(v) & np.isfinite(w)
        yield v[ok], w[ok]


def per_play_mean(values_by_play: Iterable[np.ndarray], weights_by_play=None) -> np.ndarray:
    """Mean metric of each play over its defenders, weighted by ``weights_by_play`` (e.g. each
    defender's relevance) when given; NaN entries skipped; NaN for a play with none."""
    out = []
    for v, w in _pairs(list(values_by_play), weights_by_play):
        out.append(float(np.sum(w * v) / np.sum(w)) if w.sum() > 0 else float("nan"))
    return np.asarray(out)


def _sums(values_by_play, weights_by_play) -> tuple[np.ndarray, np.ndarray]:
    pairs = list(_pairs(list(values_by_play), weights_by_play))
    return (np.array([np.sum(w * v) for v, w in pairs], dtype=np.float64),
            np.array([np.sum(w) for _, w in pairs], dtype=np.float64))


def average(values_by_play: Iterable[np.ndarray], weights_by_play=None) -> float:
    """Mean over every defender of every play, each defender weighted by ``weights_by_play``
    (1 each by default; NaN skipped)."""
    num, den = _sums(values_by_play, weights_by_play)
    return float(num.sum() / den.sum()) if den.sum() > 0 else float("nan")


def bootstrap_ci(values_by_play: list[np.ndarray], n_boot: int = 1000, seed: int = 0,
                 level: float = 0.95, weights_by_play=None) -> list[float]:
    """Percentile interval of :func:`average` when whole plays are resampled with replacement."""
    num, den = _sums(values_by_play, weights_by_play)
    if num.size == 0 or den.sum() == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num.size, size=(int(n_boot), num.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    means = means[np.isfinite(means)]
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return [float(lo), float(hi)]


# --------------------------------------------------------------------------- plays


@dataclass
class Flight:
    """The scored window of one pass play: rows t0 (throw) .. t1 (arrival) of its arrays."""

    t0: int
    t1: int
    defenders: np.ndarray  # [D] player indices (defensive backs)
    target: int  # player index of the actual target

    @property
    def n_steps(self) -> int:
        return self.t1 - self.t0


def flight_of(play: Play) -> Flight | None:
    """The throw-to-arrival window of a pass play with a known target, else None."""
    if play.pass_forward_frame is None or play.pass_arrived_frame is None or play.target_nfl_id is None:
        return None
    try:
        t0 = play.frame_index(play.pass_forward_frame)
        t1 = play.frame_index(play.pass_arrived_frame)
        target = play.player_index(play.target_nfl_id)
    except KeyError:
        return None
    if t1 <= t0 or t0 < 2:  # the model needs frames t-2..t before the throw
        return None
    return Flight(t0=t0, t1=t1, defenders=play.defensive_backs(), target=target)
