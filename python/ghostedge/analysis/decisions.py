"""Quarterback-decision scoring by value: what would each eligible receiver have been worth?

For a pass play, the ghost model is asked, for every eligible receiver in turn, where the
defensive backs would have gone had the ball been thrown to him (rolled out over the flight
with the ball thrown to him: :mod:`ghostedge.analysis.rollout`). Each receiver then gets
(docs/completion.md, "Quarterback decisions by value"):

- ``completion_probability``: P(complete) of the throw from the on-field features with the
  ghosts' separation at the arrival (:mod:`ghostedge.analysis.completion`);
- ``expected_gain_yd``: air yards (downfield from the throw to the receiver at the arrival) plus
  an expected run after the catch of ``YAC_PER_SEPARATION_YD`` yards per yard of ghost
  separation at the arrival - a first-order stand-in, stated as such;
- ``expected_value_yd`` = completion_probability x expected_gain_yd: the ranking key;
- beside it, ``separation_at_arrival`` (yd from his tracked position at the arrival to the
  nearest ghost defender) and ``coverage_score`` (the composite metric of that defender).

Without a completion model (``completion_model=None``) the receivers are ranked by separation
at arrival, most open first. Receivers whose track misses a frame of the flight come last.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..data.play import Play
from . import metric
from .completion import receiver_features
from .rollout import ball_path_to, rollout_paths

DEFAULT_HORIZON = 10  # frames scored when the play has no arrival frame after frame_id (1.0 s)
YAC_PER_SEPARATION_YD = 1.0  # expected yards after the catch per yard of separation at arrival


@dataclass
class ReceiverOption:
    nfl_id: int
    name: str
    position: str
    coverage_score: float  # metric of the nearest ghost defender at arrival (NaN if unknown)
    separation_at_arrival: float  # yd to the nearest ghost defender at arrival (NaN if unknown)
    closest_defender_nfl_id: int | None
    rank: int  # 1 = best throw
    is_actual_target: bool
    completion_probability: float = float("nan")
    expected_gain_yd: float = float("nan")
    expected_value_yd: float = float("nan")  # completion_probability x expected_gain_yd

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("coverage_score", "separation_at_arrival", "completion_probability",
                  "expected_gain_yd", "expected_value_yd"):
            d[k] = None if not np.isfinite(d[k]) else round(float(d[k]), 4)
        return d


@dataclass
class Decision:
    """Everything :func:`ghostedge.viz.decisions.plot_decision` and reports need about one decision."""

    play: Play
    t0: int  # row of the decision frame (the throw by default)
    t1: int  # row of the arrival frame scored
    defenders: np.ndarray  # [D] player indices
    receivers: np.ndarray  # [R] player indices, in the model call's order
    options: list[ReceiverOption]  # ranked
    # nflId of each receiver -> ghost paths [D, H+1, 2] for that target (row 0 = frame t0)
    ghosts: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def frame_id(self) -> int:
        return int(self.play.frame_ids[self.t0])

    @property
    def arrival_frame_id(self) -> int:
        return int(self.play.frame_ids[self.t1])


def _window(play: Play, frame_id: int | None) -> tuple[int, int]:
    if frame_id is None:
        if play.pass_forward_frame is None:
            raise ValueError(
                f"play {play.game_id}/{play.play_id} has no pass_forward frame; pass frame_id"
            )
        frame_id = play.pass_forward_frame
    t0 = play.frame_index(frame_id)
    if t0 < 2:
        raise ValueError(f"frame {frame_id}: the model needs the two frames before it")
    if play.pass_arrived_frame is not None and play.pass_arrived_frame > frame_id:
        t1 = play.frame_index(play.pass_arrived_frame)
    else:
        t1 = min(t0 + DEFAULT_HORIZON, play.n_frames - 1)
    if t1 <= t0:
        raise ValueError(f"frame {frame_id} is the last frame of the play: nothing to score")
    return t0, t1


def analyse_decision(play: Play, model, frame_id: int | None = None, completion_model=None) -> Decision:
    """Ghosts for every eligible receiver as the target, scored and ranked (see module doc)."""
    t0, t1 = _window(play, frame_id)
    defenders = play.defensive_backs()
    receivers = play.eligible_receivers()
    if defenders.size == 0 or receivers.size == 0:
        raise ValueError(f"play {play.game_id}/{play.play_id} has no defensive backs or no eligible receivers")
    horizon = t1 - t0
    paths = []
    for r in receivers:
        ball = ball_path_to(play, t0, horizon, int(r))
        paths.append(rollout_paths(model, play, t0, defenders, int(r), horizon,
                                   ball_path=ball if np.isfinite(ball).all() else None))
    paths = np.stack(paths, axis=1)  # [D, R, H+1, 2]
    tracks = np.transpose(play.xy[t0 : t1 + 1, receivers], (1, 0, 2))  # [R, H+1, 2]
    scores = metric.score(paths, tracks[None]).value  # [D, R]
    at_arrival = np.linalg.norm(paths[:, :, -1] - tracks[None, :, -1], axis=-1)  # [D, R]
    p_complete = np.full(receivers.size, np.nan)
    if completion_model is not None:
        x = np.array([receiver_features(play, t0, t1, int(r), paths[:, j]) for j, r in enumerate(receivers)])
        p_complete = completion_model.predict(x)
    forward = -1.0 if play.play_direction == "left" else 1.0
    release_x = play.ball_xy[t0, 0] if np.isfinite(play.ball_xy[t0, 0]) else np.nan

    unranked = []
    for j, p in enumerate(receivers):
        sep = at_arrival[:, j]
        ok = np.isfinite(sep) & np.isfinite(tracks[j]).all()
        if ok.any():
            i = int(np.flatnonzero(ok)[np.argmin(sep[ok])])
            separation, coverage, closest = float(sep[i]), float(scores[i, j]), int(play.nfl_ids[defenders[i]])
        else:
            separation, coverage, closest = float("nan"), float("nan"), None
        gain = max(0.0, forward * (tracks[j, -1, 0] - release_x)) + YAC_PER_SEPARATION_YD * separation
        prob = float(p_complete[j]) if ok.any() else float("nan")
        unranked.append(ReceiverOption(
            nfl_id=int(play.nfl_ids[p]), name=str(play.name[p]), position=str(play.position[p]),
            coverage_score=coverage, separation_at_arrival=separation,
            closest_defender_nfl_id=closest, rank=0,
            is_actual_target=play.target_nfl_id is not None and int(play.nfl_ids[p]) == play.target_nfl_id,
            completion_probability=prob, expected_gain_yd=float(gain), expected_value_yd=float(prob * gain),
        ))

    by_value = completion_model is not None

    def key(o: ReceiverOption):
        primary = o.expected_value_yd if by_value else o.separation_at_arrival
        known = np.isfinite(primary)
        return (not known, -primary if known else 0.0,
                -o.coverage_score if np.isfinite(o.coverage_score) else 0.0)

    options = sorted(unranked, key=key)
    for rank, o in enumerate(options, start=1):
        o.rank = rank
    ghosts = {int(play.nfl_ids[p]): paths[:, j] for j, p in enumerate(receivers)}
    return Decision(play, t0, t1, defenders, receivers, options, ghosts)


def rank_receivers(play: Play, model, frame_id: int | None = None, completion_model=None) -> list[ReceiverOption]:
    """Eligible receivers of ``play`` ranked by expected value (or by ghost separation without a
    completion model)."""
    return analyse_decision(play, model, frame_id, completion_model).options


def decision_rows(plays, model, completion_model=None) -> tuple[list[dict], int]:
    """``decisions --all``: one row per pass play and eligible receiver (gameId, playId and the
    receiver's :meth:`ReceiverOption.to_dict`), and the number of plays that could not be
    scored (no throw, no defensive backs, too early in the play)."""
    rows, skipped = [], 0
    for play in plays:
        if play.pass_forward_frame is None:
            continue
        try:
            decision = analyse_decision(play, model, None, completion_model)
        except (ValueError, KeyError):
            skipped += 1
            continue
        for o in decision.options:
            rows.append({"gameId": play.game_id, "playId": play.play_id, "frameId": decision.frame_id,
                         "arrivalFrameId": decision.arrival_frame_id, **o.to_dict()})
    return rows, skipped


def decision_summary(decision: Decision) -> dict:
    """JSON-ready summary of one decision."""
    play = decision.play
    actual = next((o for o in decision.options if o.is_actual_target), None)
    best_alt = next((o for o in decision.options if not o.is_actual_target), None)
    return {
        "gameId": play.game_id,
        "playId": play.play_id,
        "frameId": decision.frame_id,
        "arrivalFrameId": decision.arrival_frame_id,
        "actual_target": None if actual is None else actual.nfl_id,
        "actual_target_rank": None if actual is None else actual.rank,
        "best_alternative": None if best_alt is None else best_alt.nfl_id,
        "receivers": [o.to_dict() for o in decision.options],
    }
