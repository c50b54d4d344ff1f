"""Quarterback-decision scoring: how covered would each eligible receiver have been?

For a pass play, the ghost model is asked, for every eligible receiver in turn, where the
defensive backs would have gone had the ball been thrown to him (rolled out over the flight:
:mod:`ghostedge.analysis.rollout`). Each
receiver is then judged by his ghost coverage at the ball's arrival (docs/metric.md,
"Quarterback decisions"):

- ``separation_at_arrival``: distance (yd) from the receiver to the nearest ghost defender at
  the arrival frame (the receiver's *tracked* position: a counterfactual target keeps his
  actual route, an approximation stated in docs/metric.md);
- ``coverage_score``: the composite metric of that nearest ghost defender against the
  receiver over the flight (negative = the defender was closing on him).

Receivers are ranked by separation at arrival, most open first (ties: higher coverage score,
i.e. less closing, first); receivers whose track misses a frame of the flight come last.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..data.play import Play
from . import metric
from .rollout import rollout_paths

DEFAULT_HORIZON = 10  # frames scored when the play has no arrival frame after frame_id (1.0 s)


@dataclass
class ReceiverOption:
    nfl_id: int
    name: str
    position: str
    coverage_score: float  # metric of the nearest ghost defender at arrival (NaN if unknown)
    separation_at_arrival: float  # yd to the nearest ghost defender at arrival (NaN if unknown)
    closest_defender_nfl_id: int | None
    rank: int  # 1 = most open
    is_actual_target: bool

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("coverage_score", "separation_at_arrival"):
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


def analyse_decision(play: Play, model, frame_id: int | None = None) -> Decision:
    """Ghosts for every eligible receiver as the target, scored and ranked (see module doc)."""
    t0, t1 = _window(play, frame_id)
    defenders = play.defensive_backs()
    receivers = play.eligible_receivers()
    if defenders.size == 0 or receivers.size == 0:
        raise ValueError(f"play {play.game_id}/{play.play_id} has no defensive backs or no eligible receivers")
    horizon = t1 - t0
    paths = np.stack([rollout_paths(model, play, t0, defenders, int(r), horizon) for r in receivers],
                     axis=1)  # [D, R, H+1, 2]
    tracks = np.transpose(play.xy[t0 : t1 + 1, receivers], (1, 0, 2))  # [R, H+1, 2]
    scores = metric.score(paths, tracks[None]).value  # [D, R]
    at_arrival = np.linalg.norm(paths[:, :, -1] - tracks[None, :, -1], axis=-1)  # [D, R]

    unranked = []
    for j, p in enumerate(receivers):
        sep = at_arrival[:, j]
        ok = np.isfinite(sep) & np.isfinite(tracks[j]).all()
        if ok.any():
            i = int(np.flatnonzero(ok)[np.argmin(sep[ok])])
            separation, coverage, closest = float(sep[i]), float(scores[i, j]), int(play.nfl_ids[defenders[i]])
        else:
            separation, coverage, closest = float("nan"), float("nan"), None
        unranked.append(ReceiverOption(
            nfl_id=int(play.nfl_ids[p]), name=str(play.name[p]), position=str(play.position[p]),
            coverage_score=coverage, separation_at_arrival=separation,
            closest_defender_nfl_id=closest, rank=0,
            is_actual_target=play.target_nfl_id is not None and int(play.nfl_ids[p]) == play.target_nfl_id,
        ))

    def key(o: ReceiverOption):
        known = np.isfinite(o.separation_at_arrival)
        return (not known, -o.separation_at_arrival if known else 0.0,
                -o.coverage_score if np.isfinite(o.coverage_score) else 0.0)

    options = sorted(unranked, key=key)
    for rank, o in enumerate(options, start=1):
        o.rank = rank
    ghosts = {int(play.nfl_ids[p]): paths[:, j] for j, p in enumerate(receivers)}
    return Decision(play, t0, t1, defenders, receivers, options, ghosts)


def rank_receivers(play: Play, model, frame_id: int | None = None) -> list[ReceiverOption]:
    """Eligible receivers of ``play`` ranked by how open the ghosts say they would have been."""
    return analyse_decision(play, model, frame_id).options


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
