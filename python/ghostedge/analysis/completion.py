"""On-field measurements for the completion probability (the NGS companion model, BRIEF.md):
for a pass play and any eligible receiver as the target, what the field looks like at the
throw and, from the ghosts, at the ball's arrival (docs/completion.md).

The model itself (ONNX Runtime) is :mod:`ghostedge.model.completion`; fitting is
:mod:`ghostedge.model.training.completion`. ``completion_probabilities`` is the one call for
"P(complete) of every receiver of this play".
"""

from __future__ import annotations

import numpy as np

from ..constants import DT_S, FIELD_WIDTH_YD
from ..data.play import Play
from ..model.completion import FEATURES
from .metric import flight_of
from .rollout import ball_path_to, rollout_paths
from .validation import pass_incomplete


def _passer(play: Play, t0: int) -> int | None:
    """The quarterback nearest the ball at the throw (None when there is none)."""
    qbs = np.flatnonzero((play.position == "QB") & ~play.is_defense())
    qbs = qbs[np.isfinite(play.xy[t0, qbs]).all(axis=1)]
    if qbs.size == 0:
        return None
    ball = play.ball_xy[t0]
    if not np.isfinite(ball).all():
        return int(qbs[0])
    return int(qbs[np.argmin(np.linalg.norm(play.xy[t0, qbs] - ball, axis=1))])


def _snap_row(play: Play) -> int | None:
    hits = np.flatnonzero(play.events == "ball_snap")
    return int(hits[0]) if hits.size else None


def receiver_features(play: Play, t0: int, t1: int, receiver: int, ghosts: np.ndarray | None) -> np.ndarray:
    """The :data:`ghostedge.model.completion.FEATURES` of ``receiver`` (player index) as the
    target of a throw at row t0 arriving at row t1; ``ghosts`` [D, t1 - t0 + 1, 2] are the
    defensive backs' ghosts for him (row 0 at the throw). NaN where a measurement is missing."""
    r0, r1 = play.xy[t0, receiver], play.xy[t1, receiver]
    defense = np.flatnonzero(play.is_defense())
    d0 = play.xy[t0, defense]
    d0 = d0[np.isfinite(d0).all(axis=1)]
    passer = _passer(play, t0)
    release = play.ball_xy[t0] if np.isfinite(play.ball_xy[t0]).all() else (
        play.xy[t0, passer] if passer is not None else np.full(2, np.nan))
    nan = float("nan")
    sep_throw = float(np.min(np.linalg.norm(d0 - r0, axis=1))) if d0.size else nan
    if ghosts is not None and np.isfinite(ghosts[:, -1]).all(axis=1).any():
        g = ghosts[:, -1][np.isfinite(ghosts[:, -1]).all(axis=1)]
        sep_arrival = float(np.min(np.linalg.norm(g - r1, axis=1)))
    else:
        sep_arrival = nan
    if passer is not None and d0.size:
        rush = float(np.min(np.linalg.norm(d0 - play.xy[t0, passer], axis=1)))
        passer_speed = float(np.linalg.norm(play.xy[t0, passer] - play.xy[t0 - 1, passer]) / DT_S)
    else:
        rush = passer_speed = nan
    snap = _snap_row(play)
    values = {
        "air_distance_yd": float(np.linalg.norm(r1 - release)),
        "separation_throw_yd": sep_throw,
        "separation_arrival_yd": sep_arrival,
        "sideline_room_yd": float(min(r1[1], FIELD_WIDTH_YD - r1[1])),
        "pass_rush_distance_yd": rush,
        "passer_speed_yps": passer_speed,
        "time_to_throw_s": (t0 - snap) * DT_S if snap is not None and snap < t0 else nan,
        "flight_time_s": (t1 - t0) * DT_S,
    }
    return np.array([values[name] for name in FEATURES], dtype=np.float64)


def play_receivers_features(play: Play, model, t0: int, t1: int, receivers, counterfactual_ball: bool = True):
    """Features [R, F] of each of ``receivers`` as the target; the defensive backs' ghosts for
    each are rolled out with the ball thrown to him (``counterfactual_ball``) or the tracked
    ball."""
    dbs = play.defensive_backs()
    dbs = dbs[np.isfinite(play.xy[t0 - 2 : t0 + 1, dbs]).all(axis=(0, 2))]
    rows = []
    for r in receivers:
        r = int(r)
        ghosts = None
        if dbs.size and np.isfinite(play.xy[t0 : t1 + 1, r]).all():
            ball = ball_path_to(play, t0, t1 - t0, r) if counterfactual_ball else None
            if ball is None or np.isfinite(ball).all():
                ghosts = rollout_paths(model, play, t0, dbs, r, t1 - t0, ball_path=ball)
        rows.append(receiver_features(play, t0, t1, r, ghosts))
    return np.array(rows).reshape(len(rows), len(FEATURES))


def training_row(play: Play, model) -> tuple[np.ndarray, bool] | None:
    """(features of the actual target with the tracked ball, complete?) for a pass play with a
    completion / incompletion result, else None."""
    flight = flight_of(play)
    incomplete = pass_incomplete(play)
    if flight is None or incomplete is None:
        return None
    x = play_receivers_features(play, model, flight.t0, flight.t1, [flight.target], counterfactual_ball=False)[0]
    return x, not incomplete


def completion_probabilities(play: Play, model, completion_model, frame_id: int | None = None,
                             arrival_frame_id: int | None = None) -> dict[int, float]:
    """P(complete) for every eligible receiver of ``play`` as the target of a throw at
    ``frame_id`` (default: the throw) arriving at ``arrival_frame_id`` (default: the arrival):
    {nflId: p}. The ghosts of each receiver are rolled out with the ball thrown to him; NaN
    for a receiver whose track misses a frame of the flight."""
    if frame_id is None:
        frame_id = play.pass_forward_frame
    if arrival_frame_id is None:
        arrival_frame_id = play.pass_arrived_frame
    if frame_id is None or arrival_frame_id is None or arrival_frame_id <= frame_id:
        raise ValueError(f"play {play.game_id}/{play.play_id}: no throw / arrival to score")
    t0, t1 = play.frame_index(frame_id), play.frame_index(arrival_frame_id)
    if t0 < 2:
        raise ValueError(f"frame {frame_id}: the model needs the two frames before it")
    receivers = play.eligible_receivers()
    x = play_receivers_features(play, model, t0, t1, receivers)
    p = completion_model.predict(x)
    tracked = np.isfinite(play.xy[t0 : t1 + 1, receivers]).all(axis=(0, 2))
    return {int(play.nfl_ids[r]): (float(p[i]) if tracked[i] else float("nan")) for i, r in enumerate(receivers)}


def completion_report(plays, model, completion_model) -> dict:
    """The ``"completion_probability"`` section of ``ghostedge evaluate``: AUC and Brier score
    of P(complete) for the actual target of every pass play with a completion / incompletion
    result (the tracked ball, as in training)."""
    from .validation import auc

    p, y = [], []
    for play in plays:
        row = training_row(play, model)
        if row is not None:
            p.append(float(completion_model.predict(row[0])[0]))
            y.append(row[1])
    p, y = np.asarray(p), np.asarray(y, dtype=bool)
    return {"auc": auc(p[y], p[~y]) if p.size else None,
            "brier": float(np.mean((p - y) ** 2)) if p.size else None,
            "n": int(p.size), "n_complete": int(y.sum()), "model_path": str(completion_model.path)}
