"""The composite metric's reference table (docs/metric.md): actual, predicted and perturbed
trajectories of every defensive back of every pass play, averaged with each defender's
relevance to the target, with bootstrap intervals over plays and the outcome check (do the
actual trajectories of incomplete passes score as closer coverage?) - the ``"metric"`` section
of ``ghostedge evaluate``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..data.play import Play
from ..model.windows import game_split
from .ghosts import (
    PERTURB_FRACTION,
    Perturbation,
    apply_perturbation,
    draw_perturbation,
    model_inputs,
    play_rng,
)
from .metric import average, bootstrap_ci, flight_of, per_play_mean, score
from .rollout import ROLLOUT_BLOCK, rollout_paths
from .validation import outcome_auc, pass_incomplete

# Every defender is perturbed in exactly one of PERTURB_GROUPS groups (so a quarter of them in
# each), and every draw also with its reverse: 2 * PERTURB_GROUPS perturbed ghost sets per play.
PERTURB_GROUPS = round(1.0 / PERTURB_FRACTION)


@dataclass
class PlayScores:
    """Metric values of one play's defensive backs (NaN where a defender was skipped)."""

    game_id: int
    play_id: int
    defenders: np.ndarray  # [D] player indices
    actual: np.ndarray  # [D]
    predicted: np.ndarray  # [D]
    perturbed: np.ndarray  # [D] mean over the play's perturbed ghost sets
    relevance: np.ndarray  # [D] weight of each defender in the play's averages
    n_sets: int = 0  # perturbed ghost sets (each with a quarter of the defenders perturbed)
    # Squared position error of the predicted ghosts against the tracked defenders, summed over
    # the kept defenders' flight frames t0+1..t1 and both axes, and how many points that is.
    ghost_sq_error: float = 0.0
    ghost_points: int = 0
    incomplete: bool | None = None  # the pass result (None: not a completion/incompletion)


def perturbation_sets(defenders, rng: np.random.Generator,
                      groups: int = PERTURB_GROUPS) -> list[Perturbation]:
    """The perturbations of one play (docs/metric.md, "Perturbation"): ``defenders`` split at
    random into ``groups`` groups of (nearly) equal size; each group gets a random start
    (:func:`ghostedge.analysis.ghosts.draw_perturbation`) and, as a second set, its reverse.
    Each set perturbs about ``1 / groups`` of the defenders, and every defender is perturbed
    in exactly two of the sets: the average over the sets is the expected metric of the
    study's perturbation without the luck of which defenders were drawn."""
    defenders = np.asarray(defenders, dtype=np.int64)
    group = rng.permutation(defenders.size) % groups
    out = []
    for g in range(groups):
        if not (group == g).any():
            continue
        draw = draw_perturbation(defenders[group == g], rng)
        out += [draw, draw.reversed()]
    return out


def score_play(play: Play, model, seed: int = 0, block: int | None = None) -> PlayScores | None:
    """Actual, predicted and perturbed metric for every defensive back of one pass play.

    Ghosts are rolled out over the flight in blocks of ``block`` frames (default
    :data:`ghostedge.analysis.rollout.ROLLOUT_BLOCK`; a block as long as the flight = one model
    call). None when the play has no usable flight (no throw/arrival/target, or the target's
    track misses a frame of the flight). A defender whose track misses a frame of the flight or
    of the input history is NaN in all three, so the three averages cover the same defenders.
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
    incomplete = pass_incomplete(play)
    if not usable.any():
        return PlayScores(play.game_id, play.play_id, dbs, nan, nan.copy(), nan.copy(), nan.copy(),
                          incomplete=incomplete)

    block = ROLLOUT_BLOCK if block is None else int(block)
    actual = score(actual_paths, receiver)
    predicted_paths = rollout_paths(model, play, t0, dbs, flight.target, flight.n_steps, None, block)
    predicted = score(predicted_paths, receiver).value
    sets = perturbation_sets(dbs[usable], play_rng(seed, play))
    perturbed_runs = []
    for perturbation in sets:
        inputs = model_inputs(play, t0)
        apply_perturbation(inputs["xy_hist"], inputs["o_hist"], perturbation)
        paths = rollout_paths(model, play, t0, dbs, flight.target, flight.n_steps, inputs, block)
        perturbed_runs.append(score(paths, receiver).value)
    perturbed = np.mean(perturbed_runs, axis=0) if perturbed_runs else predicted.copy()
    keep = usable & np.isfinite(actual.value) & np.isfinite(predicted) & np.isfinite(perturbed)
    error = predicted_paths[keep, 1:] - actual_paths[keep, 1:]
    return PlayScores(
        play.game_id, play.play_id, dbs,
        np.where(keep, actual.value, np.nan), np.where(keep, predicted, np.nan),
        np.where(keep, perturbed, np.nan), np.where(keep, actual.relevance, np.nan), len(sets),
        float(np.sum(error**2)), int(error.shape[0] * error.shape[1]), incomplete,
    )


def reference_table(plays: Iterable[Play], model, seed: int = 0, n_boot: int = 1000,
                    progress: bool = False, block: int | None = None) -> dict:
    """The reference table (docs/metric.md): actual / predicted / perturbed averages with 95%
    bootstrap intervals over plays, every defensive back of every pass play with a target,
    each defender weighted by his relevance; the outcome AUC of the actual trajectories;
    ``block``: see :func:`score_play`."""
    from tqdm import tqdm

    scored: list[PlayScores] = []
    n_seen = 0
    for play in tqdm(plays, desc="metric", unit="play", file=sys.stderr, disable=not progress):
        n_seen += 1
        ps = score_play(play, model, seed=seed, block=block)
        if ps is not None and np.isfinite(ps.actual).any():
            scored.append(ps)
    weights = [p.relevance for p in scored]
    actual = [p.actual for p in scored]
    predicted = [p.predicted for p in scored]
    perturbed = [p.perturbed for p in scored]
    effect = [p.perturbed - p.predicted for p in scored]
    gap = [p.predicted - p.actual for p in scored]
    n_defenders = int(sum(np.isfinite(a).sum() for a in actual))
    a, pr, pe = (average(v, weights) for v in (actual, predicted, perturbed))
    ci = {name: bootstrap_ci(v, n_boot, seed, weights_by_play=weights) for name, v in
          (("actual", actual), ("predicted", predicted), ("perturbed", perturbed),
           ("perturbed_minus_predicted", effect), ("predicted_minus_actual", gap))}
    labelled = [p for p in scored if p.incomplete is not None]
    outcome = outcome_auc(per_play_mean([p.actual for p in labelled], [p.relevance for p in labelled]),
                          np.array([p.incomplete for p in labelled], dtype=bool), n_boot=n_boot, seed=seed)
    return {
        "actual": a,
        "predicted": pr,
        "perturbed": pe,
        "n_defenders": n_defenders,
        "ci95": ci,
        "n_plays": len(scored),
        "n_plays_skipped": n_seen - len(scored),
        # every defender is perturbed in 2 of the n_sets sets of his play: a quarter of them per set
        "perturbation": {"fraction": PERTURB_FRACTION, "sets_per_play": 2 * PERTURB_GROUPS,
                         "n_sets": int(sum(p.n_sets for p in scored))},
        # the scored ghosts against the tracked defenders, sqrt((MSE_x + MSE_y) / 2) over flights
        "ghost_rmse_yd": float(np.sqrt(sum(p.ghost_sq_error for p in scored)
                                       / max(2 * sum(p.ghost_points for p in scored), 1))),
        # effect / gap = (perturbed - predicted) / |predicted - actual|; None when the gap is 0
        "separation_ratio": float((pe - pr) / abs(pr - a)) if pr != a else None,
        "outcome_auc": outcome["auc"],
        "outcome_auc_ci95": outcome["ci95"],
        "outcome_n": outcome["n"],
        "outcome_n_incomplete": outcome["n_incomplete"],
    }


def evaluation_plays(dataset, split: str = "all", model=None):
    """The plays of ``dataset`` in ``split`` ('all' or a ``ghostedge.model.windows`` split name;
    the games ``model`` records it was trained and validated on decide the split, when it does)."""
    keys = dataset.play_keys()
    if split != "all":
        keys = [k for k in keys if game_split(k[0], getattr(model, "split_games", None)) == split]
    return dataset.iter_plays(keys)


def evaluation_metric(dataset, model, split: str = "all", seed: int = 0, n_boot: int = 1000,
                      progress: bool = True) -> dict:
    """The ``"metric"`` section of ``ghostedge evaluate``: :func:`reference_table` over the pass
    plays of ``dataset`` in ``split``."""
    return reference_table(evaluation_plays(dataset, split, model), model, seed=seed, n_boot=n_boot,
                           progress=progress)
