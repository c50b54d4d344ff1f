"""The composite metric's reference table (docs/metric.md): actual, predicted and perturbed
trajectories of every defensive back of every pass play, with bootstrap intervals over plays —
the ``"metric"`` section of ``ghostedge evaluate``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..data.play import Play
from ..model.windows import game_split
from .ghosts import PERTURB_FRACTION, model_inputs, perturb_history, play_rng
from .metric import average, bootstrap_ci, flight_of, score
from .rollout import ROLLOUT_BLOCK, rollout_paths


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
    :data:`ghostedge.analysis.rollout.ROLLOUT_BLOCK`; a block as long as the flight = one model call).
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
    rng = play_rng(seed, play)
    perturbed_mask = rng.random(dbs.size) < PERTURB_FRACTION
    if not usable.any():
        return PlayScores(play.game_id, play.play_id, dbs, nan, nan.copy(), nan.copy(), perturbed_mask)

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


def evaluation_metric(dataset, model, split: str = "all", seed: int = 0, n_boot: int = 1000,
                      progress: bool = True) -> dict:
    """The ``"metric"`` section of ``ghostedge evaluate``: :func:`reference_table` over the pass
    plays of ``dataset`` in ``split`` ('all' or a ``ghostedge.model.windows`` split name)."""
    keys = dataset.play_keys()
    if split != "all":
        keys = [k for k in keys if game_split(k[0], getattr(model, "split_games", None)) == split]
    return reference_table(dataset.iter_plays(keys), model, seed=seed, n_boot=n_boot, progress=progress)
