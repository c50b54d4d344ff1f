"""The counterfactual check (docs/metric.md, "Counterfactual check"): counterfactual ghosts
have no ground truth, but their reaction to the target can be checked. For every real pass
play the defensive backs are ghosted once for every eligible receiver as the target (each with
the ball thrown to him: :func:`ghostedge.analysis.rollout.ball_path_to`); the actual target's
ghosts should explain the tracked defenders best."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..data.play import Play
from .metric import flight_of
from .rollout import ball_path_to, rollout_paths


@dataclass
class TargetCheck:
    """One play: the ghosts' error against the tracked defenders for each candidate target."""

    game_id: int
    play_id: int
    receivers: np.ndarray  # [R] nflIds of the candidates
    rmse_yd: np.ndarray  # [R] sqrt((MSE_x + MSE_y) / 2) over the usable defenders and flight frames
    actual: int  # index of the actual target in receivers

    @property
    def identified(self) -> bool:
        return int(np.argmin(self.rmse_yd)) == self.actual

    @property
    def wrong_target_penalty_yd(self) -> float:
        """Mean RMSE of the wrong targets' ghosts minus the actual target's."""
        return float(np.delete(self.rmse_yd, self.actual).mean() - self.rmse_yd[self.actual])


def candidate_ghosts(model, play: Play, t0: int, n_steps: int, defenders, receivers) -> np.ndarray:
    """Ghost paths [D, R, n_steps + 1, 2] of ``defenders`` for each of ``receivers`` (player
    indices) as the target, the ball thrown to him (same flight time as the real pass)."""
    return np.stack([rollout_paths(model, play, t0, defenders, int(r), n_steps,
                                   ball_path=ball_path_to(play, t0, n_steps, int(r)))
                     for r in receivers], axis=1)


def check_play(play: Play, model) -> TargetCheck | None:
    """The check for one play; None when it has no usable flight, fewer than two candidate
    receivers tracked over the flight, or no defender tracked over it."""
    flight = flight_of(play)
    if flight is None or flight.defenders.size == 0:
        return None
    t0, t1 = flight.t0, flight.t1
    window = slice(t0 - 2, t1 + 1)  # the model's history and the flight
    dbs = flight.defenders[np.isfinite(play.xy[window, flight.defenders]).all(axis=(0, 2))]
    receivers = play.eligible_receivers()
    receivers = receivers[np.isfinite(play.xy[window, receivers]).all(axis=(0, 2))
                          & np.isfinite(play.xy[t0, receivers]).all(axis=1)]
    if dbs.size == 0 or receivers.size < 2 or flight.target not in receivers:
        return None
    if not np.isfinite(play.ball_xy[t0]).all():
        return None
    ghosts = candidate_ghosts(model, play, t0, flight.n_steps, dbs, receivers)  # [D, R, n+1, 2]
    tracked = np.transpose(play.xy[t0 + 1 : t1 + 1, dbs], (1, 0, 2))[:, None]  # [D, 1, n, 2]
    rmse = np.sqrt(np.mean((ghosts[:, :, 1:] - tracked) ** 2, axis=(0, 2, 3)))  # mean over D, n, axes
    return TargetCheck(play.game_id, play.play_id, play.nfl_ids[receivers].astype(np.int64), rmse,
                       int(np.flatnonzero(receivers == flight.target)[0]))


def counterfactual_report(plays: Iterable[Play], model, progress: bool = False) -> dict:
    """The ``"counterfactual"`` section of ``ghostedge evaluate``: share of plays whose actual
    target's ghosts have the lowest error (``target_identification_top1``), what picking at
    random would give (``chance``, the mean of 1 / candidates), and the mean extra RMSE of the
    wrong targets' ghosts (``wrong_target_rmse_penalty_yd``)."""
    from tqdm import tqdm

    checks = []
    for play in tqdm(plays, desc="counterfactual", unit="play", file=sys.stderr, disable=not progress):
        c = check_play(play, model)
        if c is not None and np.isfinite(c.rmse_yd).all():
            checks.append(c)
    if not checks:
        return {"target_identification_top1": None, "chance": None,
                "wrong_target_rmse_penalty_yd": None, "n_plays": 0, "mean_candidates": None}
    return {
        "target_identification_top1": float(np.mean([c.identified for c in checks])),
        "chance": float(np.mean([1.0 / c.receivers.size for c in checks])),
        "wrong_target_rmse_penalty_yd": float(np.mean([c.wrong_target_penalty_yd for c in checks])),
        "n_plays": len(checks),
        "mean_candidates": float(np.mean([c.receivers.size for c in checks])),
    }
