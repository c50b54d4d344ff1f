"""Ghost paths over a whole pass flight, rolled out in short blocks (docs/metric.md, "Ghosts
over a flight").

The model reads three frames (t-2..t) and predicts ahead. Asked once at the throw for a 3 s
flight it must plan the whole flight without ever seeing what the receiver does after the
throw; a real defender watches him the whole time. So the flight is rolled out: the model
predicts ``block`` frames (default 3 = its own input length, 0.3 s, about a human reaction
time), then it is asked again from the ghosts' own last three positions, with everyone else
(receivers, ball, other defenders) at their tracked positions of those frames, and so on to
the arrival. After the first block every ghost input is the ghost's own: no tracked position
of a ghosted defender leaks in. The live engine does not need this: it predicts afresh from
the tracked state every frame.
"""

from __future__ import annotations

import numpy as np

from ..constants import DT_S
from ..data.play import Play
from ..model.features import HISTORY, MAX_HISTORY, history_rows
from .ghosts import model_inputs, predict_ghosts

ROLLOUT_BLOCK = HISTORY  # frames predicted per model call
# A ghost's orientation for the next block: the direction of its last step when faster than
# this (on the real data players faster than 4 yd/s face where they run: median |o - dir| ~0,
# tests/test_fusion.py), else the orientation it had. A ghost whose orientation is unknown at
# the throw (formats without orientation) keeps it unknown, as the real feed would.
FACING_SPEED_YPS = 4.0


def ball_path_to(play: Play, t: int, n_steps: int, receiver: int) -> np.ndarray:
    """A counterfactual ball [n_steps + 1, 2] for rows t..t+n_steps: from the tracked ball at
    row t in a straight line, at constant ground speed, to ``receiver``'s tracked position at
    row t + n_steps (a thrown ball's ground track is straight; the flight time is kept)."""
    start, end = play.ball_xy[t], play.xy[t + n_steps, receiver]
    frac = np.arange(n_steps + 1, dtype=np.float64)[:, None] / n_steps
    return start + frac * (end - start)


def rollout_paths(model, play: Play, t: int, defenders, target: int, n_steps: int,
                  inputs: dict | None = None, block: int = ROLLOUT_BLOCK,
                  ball_path: np.ndarray | None = None) -> np.ndarray:
    """Ghost paths [D, n_steps + 1, 2] (raw field yards; row 0 = frame t, the defenders'
    position in ``inputs``) of ``defenders`` when the ball goes to ``target`` (player index).

    ``inputs`` is the history at row t (:func:`ghostedge.metric.model_inputs`, possibly
    perturbed); by default the play's own. Frames t+1..t+n_steps of the play supply the other
    players and the ball; ``ball_path`` [n_steps + 1, 2] (rows t..t+n_steps, e.g.
    :func:`ball_path_to` for a counterfactual target) replaces the tracked ball after row t.
    A defender the model cannot score in some block (a missing frame) is NaN from there on.
    """
    defenders = np.asarray(defenders, dtype=np.int64)
    if block < 1:
        raise ValueError(f"block must be >= 1 frame, got {block}")
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    if t < HISTORY - 1 or t + n_steps >= play.n_frames:
        raise ValueError(f"rows {t - HISTORY + 1}..{t + n_steps} are not all in the play ({play.n_frames} frames)")
    if ball_path is not None and np.shape(ball_path) != (n_steps + 1, 2):
        raise ValueError(f"ball_path must have shape ({n_steps + 1}, 2), got {np.shape(ball_path)}")
    inputs = model_inputs(play, t) if inputs is None else inputs
    xy_hist = np.array(inputs["xy_hist"], dtype=np.float64)
    o_hist = np.array(inputs["o_hist"], dtype=np.float64)
    ball_hist = np.array(inputs["ball_hist"], dtype=np.float64)
    # The defenders' positions from t-10 on: their input history, then the ghosts.
    track = np.full((MAX_HISTORY - 1 + n_steps + 1, defenders.size, 2), np.nan)
    track[MAX_HISTORY - xy_hist.shape[0] : MAX_HISTORY] = xy_hist[:, defenders]
    orientation = o_hist[-1, defenders].copy()
    done = 0
    while True:
        h = min(block, n_steps - done)
        mean = predict_ghosts(model, play, t + done, defenders, [target], h,
                              {"xy_hist": xy_hist, "o_hist": o_hist, "ball_hist": ball_hist})[:, 0]
        start = MAX_HISTORY + done
        track[start : start + h] = np.transpose(mean, (1, 0, 2))
        done += h
        if done >= n_steps:
            break
        # Next history: frames (t+done-2 .. t+done) as tracked, the ghosted defenders replaced.
        now = t + done
        rows = history_rows(now)
        xy_hist = play.xy[rows].copy()
        o_hist = play.o[rows].copy()
        ball_hist = play.ball_xy[rows].copy()
        if ball_path is not None:  # rows after t come from the given path
            first = max(rows.start, t + 1)
            ball_hist[first - rows.start :] = ball_path[first - t : done + 1]
        own = track[start + h - xy_hist.shape[0] : start + h]  # [H, D, 2]
        xy_hist[:, defenders] = own
        step = own[-1] - own[-2]
        speed = np.hypot(step[:, 0], step[:, 1]) / DT_S
        heading = np.rad2deg(np.arctan2(step[:, 0], step[:, 1])) % 360.0  # NGS: 0 = +y, clockwise
        orientation = np.where((speed > FACING_SPEED_YPS) & np.isfinite(orientation), heading, orientation)
        o_hist[:, defenders] = orientation
    return np.transpose(track[MAX_HISTORY - 1 :], (1, 0, 2))
