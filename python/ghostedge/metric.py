"""The composite ghosting metric (definition and constants: docs/metric.md).

The arithmetic lives in the C++ core (`ghostedge._core.metric_batch` and the per-frame
`MetricAccumulator`); this module shapes inputs, scores plays, aggregates per play and overall,
bootstraps intervals over plays, and builds the reference table of `ghostedge evaluate`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from . import _core
from .data.play import Play

MetricAccumulator = _core.MetricAccumulator

DT = 0.1  # s per frame
TOP_SPEED = 11.0  # yd/s, fastest measured NFL players
SPEED_LIMIT = 12.5  # yd/s, no human step is faster
EFFORT_WEIGHT = 0.25
SPEED_PENALTY_WEIGHT = 2.0

# Perturbation of the reference table: which defenders and how (docs/metric.md).
PERTURB_FRACTION = 0.25
PERTURB_SPEED_RANGE = (1.0, 8.0)  # yd/s, ~5th..95th percentile of DB speed at the throw

COMPONENTS = ("value", "closing", "effort", "speed_penalty")


@dataclass
class MetricScores:
    """Per-trajectory metric and its components, each with the batch's leading shape."""

    value: np.ndarray
    closing: np.ndarray
    effort: np.ndarray
    speed_penalty: np.ndarray


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
        dt=DT,
        top_speed=TOP_SPEED,
        speed_limit=SPEED_LIMIT,
        effort_weight=EFFORT_WEIGHT,
        speed_penalty_weight=SPEED_PENALTY_WEIGHT,
    )
    out = out.reshape(*lead, 4)
    return MetricScores(*(out[..., i] for i in range(4)))


def score_ghosts_into(start_xy, ghost_mean, receiver_xy, receiver_vel, step_dt: float, out) -> None:
    """The live engine's per-frame metric, into ``out`` [D, R]: ghost (d, r) is start_xy[d]
    [D, 2] followed by ghost_mean[d, r] [D, R, H, 2]; receiver r runs at constant velocity,
    receiver_xy[r] + k * step_dt * receiver_vel[r] for k = 0..H. Equals :func:`score` on those
    paths; one C++ call, no temporaries. Arrays must be float64 and C-contiguous (ValueError)."""
    _core.metric_ghosts(start_xy, ghost_mean, receiver_xy, receiver_vel, float(step_dt), out,
                        DT, TOP_SPEED, SPEED_LIMIT, EFFORT_WEIGHT, SPEED_PENALTY_WEIGHT)


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


def per_play_mean(values_by_play: Iterable[np.ndarray]) -> np.ndarray:
    """Mean metric of each play over its defenders (NaN entries skipped; NaN if none)."""
    out = []
    for v in values_by_play:
        v = np.asarray(v, dtype=np.float64)
        ok = np.isfinite(v)
        out.append(float(v[ok].mean()) if ok.any() else float("nan"))
    return np.asarray(out)


def average(values_by_play: Iterable[np.ndarray]) -> float:
    """Mean over every defender of every play (each defender counts once; NaN skipped)."""
    flat = [np.asarray(v, dtype=np.float64).ravel() for v in values_by_play]
    allv = np.concatenate(flat) if flat else np.empty(0)
    allv = allv[np.isfinite(allv)]
    return float(allv.mean()) if allv.size else float("nan")


def bootstrap_ci(values_by_play: list[np.ndarray], n_boot: int = 1000, seed: int = 0,
                 level: float = 0.95) -> list[float]:
    """Percentile interval of :func:`average` when whole plays are resampled with replacement."""
    sums = np.array([np.nansum(v) for v in values_by_play], dtype=np.float64)
    counts = np.array([np.isfinite(np.asarray(v, float)).sum() for v in values_by_play], dtype=np.float64)
    if sums.size == 0 or counts.sum() == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, sums.size, size=(int(n_boot), sums.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
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


def model_inputs(play: Play, t: int) -> dict[str, Any]:
    """Model input history at row t (frames t-2..t), raw field coordinates, copies."""
    return {
        "xy_hist": play.xy[t - 2 : t + 1].copy(),
        "o_hist": play.o[t - 2 : t + 1].copy(),
        "ball_hist": play.ball_xy[t - 2 : t + 1].copy(),
    }


def perturb_history(xy_hist, o_hist, players, rng: np.random.Generator,
                    speed_range=PERTURB_SPEED_RANGE, dt: float = DT):
    """Give ``players`` a random starting velocity and orientation, in place.

    Direction and orientation uniform in [0, 360) (independent), speed uniform in
    ``speed_range``; positions at t-2, t-1 rewritten as x(t) - k dt v so that the history is
    consistent with the new velocity; the position at t is kept.
    """
    players = np.asarray(players, dtype=np.int64)
    n = players.size
    direction = rng.uniform(0.0, 360.0, n)
    orientation = rng.uniform(0.0, 360.0, n)
    speed = rng.uniform(speed_range[0], speed_range[1], n)
    rad = np.deg2rad(direction)
    v = np.stack([speed * np.sin(rad), speed * np.cos(rad)], axis=1)  # NGS: 0 deg = +y, clockwise
    h = xy_hist.shape[0]
    for k in range(h):
        back = h - 1 - k
        xy_hist[k, players] = xy_hist[h - 1, players] - back * dt * v
        o_hist[k, players] = orientation
    return xy_hist, o_hist


def _play_rng(seed: int, play: Play) -> np.random.Generator:
    # Per-play stream: a play's perturbation does not depend on which other plays are scored.
    return np.random.default_rng([int(seed), int(play.game_id), int(play.play_id)])


def predict_ghosts(model, play: Play, t: int, defenders, receivers, horizon: int,
                   inputs: dict | None = None) -> np.ndarray:
    """Ghost means [D, R, H, 2] (raw field coordinates, frames t+1..t+H) from ``model``'s
    ``predict_frame`` for the play's history at row t, or for ``inputs`` (a possibly perturbed
    :func:`model_inputs`)."""
    from .model.features import offense_mask
    from .model.frames import PlayContext

    if inputs is None:
        inputs = model_inputs(play, t)
    ghosts = model.predict_frame(
        inputs["xy_hist"], inputs["o_hist"], inputs["ball_hist"],
        np.asarray(defenders, dtype=np.int64), np.asarray(receivers, dtype=np.int64),
        PlayContext.from_play(play), int(horizon), is_offense=offense_mask(play),
    )
    return np.asarray(ghosts.mean, dtype=np.float64)


@dataclass
class PlayScores:
    """Metric values of one play's defensive backs (NaN where a defender was skipped)."""

    game_id: int
    play_id: int
    defenders: np.ndarray  # [D] player indices
    actual: np.ndarray  # [D]
    predicted: np.ndarray  # [D]
    perturbed: np.ndarray  # [D]
    perturbed_mask: np.ndarray  # [D] bool
    # Squared position error of the predicted ghosts against the tracked defenders, summed over
    # the kept defenders' flight frames t0+1..t1 and both axes, and how many points that is.
    ghost_sq_error: float = 0.0
    ghost_points: int = 0


def score_play(play: Play, model, seed: int = 0, block: int | None = None) -> PlayScores | None:
    """Actual, predicted and perturbed metric for every defensive back of one pass play.

    Ghosts are rolled out over the flight in blocks of ``block`` frames (default
    :data:`ghostedge.rollout.ROLLOUT_BLOCK`; a block as long as the flight = one model call).
    None when the play has no usable flight (no throw/arrival/target, or the target's track
    misses a frame of the flight). A defender whose track misses a frame of the flight or of
    the input history is NaN in all three, so the three averages cover the same defenders.
    """
    flight = flight_of(play)
    if flight is None or flight.defenders.size == 0:
        return None
    t0, t1, dbs = flight.t0, flight.t1, flight.defenders
    receiver = play.xy[t0 : t1 + 1, flight.target]  # [n+1, 2]
    if not np.isfinite(receiver).all():
        return None
    actual_paths = np.transpose(play.xy[t0 : t1 + 1, dbs], (1, 0, 2))  # [D, n+1, 2]
    usable = np.isfinite(actual_paths).all(axis=(1, 2)) & np.isfinite(play.xy[t0 - 2 : t0 + 1, dbs]).all(axis=(0, 2))
    nan = np.full(dbs.size, np.nan)
    rng = _play_rng(seed, play)
    perturbed_mask = rng.random(dbs.size) < PERTURB_FRACTION
    if not usable.any():
        return PlayScores(play.game_id, play.play_id, dbs, nan, nan.copy(), nan.copy(), perturbed_mask)

    from .rollout import ROLLOUT_BLOCK, rollout_paths  # here: rollout imports this module

    block = ROLLOUT_BLOCK if block is None else int(block)
    actual = score(actual_paths, receiver).value
    inputs = model_inputs(play, t0)
    predicted_paths = rollout_paths(model, play, t0, dbs, flight.target, flight.n_steps, inputs, block)
    predicted = score(predicted_paths, receiver).value
    if perturbed_mask.any():
        perturb_history(inputs["xy_hist"], inputs["o_hist"], dbs[perturbed_mask], rng)
        perturbed_paths = rollout_paths(model, play, t0, dbs, flight.target, flight.n_steps, inputs, block)
        perturbed = score(perturbed_paths, receiver).value
    else:
        perturbed = predicted.copy()
    keep = usable & np.isfinite(actual) & np.isfinite(predicted) & np.isfinite(perturbed)
    error = predicted_paths[keep, 1:] - actual_paths[keep, 1:]
    return PlayScores(
        play.game_id, play.play_id, dbs,
        np.where(keep, actual, np.nan), np.where(keep, predicted, np.nan),
        np.where(keep, perturbed, np.nan), perturbed_mask & keep,
        float(np.sum(error**2)), int(error.shape[0] * error.shape[1]),
    )


def reference_table(plays: Iterable[Play], model, seed: int = 0, n_boot: int = 1000,
                    progress: bool = False, block: int | None = None) -> dict:
    """The reference table (docs/metric.md): actual / predicted / perturbed averages with 95%
    bootstrap intervals over plays, every defensive back of every pass play with a target;
    ``block``: see :func:`score_play`."""
    from tqdm import tqdm

    scored: list[PlayScores] = []
    n_seen = 0
    for play in tqdm(plays, desc="metric", unit="play", file=sys.stderr, disable=not progress):
        n_seen += 1
        ps = score_play(play, model, seed=seed, block=block)
        if ps is not None and np.isfinite(ps.actual).any():
            scored.append(ps)
    actual = [p.actual for p in scored]
    predicted = [p.predicted for p in scored]
    perturbed = [p.perturbed for p in scored]
    diff = [p.perturbed - p.predicted for p in scored]
    n_defenders = int(sum(np.isfinite(a).sum() for a in actual))
    a, pr, pe = average(actual), average(predicted), average(perturbed)
    gap = abs(pr - a)
    return {
        "actual": a,
        "predicted": pr,
        "perturbed": pe,
        "n_defenders": n_defenders,
        "ci95": {
            "actual": bootstrap_ci(actual, n_boot, seed),
            "predicted": bootstrap_ci(predicted, n_boot, seed),
            "perturbed": bootstrap_ci(perturbed, n_boot, seed),
            "perturbed_minus_predicted": bootstrap_ci(diff, n_boot, seed),
        },
        "n_plays": len(scored),
        "n_plays_skipped": n_seen - len(scored),
        "n_perturbed": int(sum(p.perturbed_mask.sum() for p in scored)),
        # the scored ghosts against the tracked defenders, sqrt((MSE_x + MSE_y) / 2) over flights
        "ghost_rmse_yd": float(np.sqrt(sum(p.ghost_sq_error for p in scored)
                                       / max(2 * sum(p.ghost_points for p in scored), 1))),
        # (perturbed - predicted) / |predicted - actual|; None when the gap is 0
        "separation_ratio": float((pe - pr) / gap) if gap > 0 else None,
    }


@dataclass
class BaselineGhosts:
    mean: np.ndarray  # [D, R, H, 2]
    sigma: np.ndarray  # [D, R, H, 2]


class ConstantVelocityModel:
    """Physics baseline with the model's call signature: each defender keeps the velocity of
    his last input step (t-1 -> t) and ignores the target (``ghostedge.model.baselines``).
    Used to test the metric machinery without the trained model, and as a reference."""

    horizon = 50  # frames it can predict (any: it is closed-form), like GhostModel.horizon

    def predict_frame(self, xy_hist, o_hist, ball_hist, defenders, receivers, context=None,
                      horizon: int = 10, *, is_offense=None) -> BaselineGhosts:
        from .model.baselines import constant_velocity

        xy = np.asarray(xy_hist, dtype=np.float64)
        d = np.asarray(defenders, dtype=np.int64)
        r = np.asarray(receivers, dtype=np.int64)
        path = constant_velocity(xy[-3, d], xy[-2, d], xy[-1, d], int(horizon))  # [D, H, 2]
        mean = np.broadcast_to(path[:, None], (d.size, r.size, int(horizon), 2)).copy()
        return BaselineGhosts(mean=mean, sigma=np.zeros_like(mean))


def evaluation_metric(dataset, model, split: str = "all", seed: int = 0, n_boot: int = 1000,
                      progress: bool = True) -> dict:
    """The ``"metric"`` section of ``ghostedge evaluate``: :func:`reference_table` over the pass
    plays of ``dataset`` in ``split`` ('all' or a ``ghostedge.model.windows`` split name)."""
    from .model.windows import game_split

    keys = dataset.play_keys()
    if split != "all":
        keys = [k for k in keys if game_split(k[0]) == split]
    return reference_table(dataset.iter_plays(keys), model, seed=seed, n_boot=n_boot, progress=progress)
