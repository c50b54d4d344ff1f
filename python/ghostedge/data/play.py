"""The domain model: one play as dense arrays (frames x players), the unit everything else uses.

Coordinates are the Big Data Bowl / NGS convention: x 0-120 yd along the field (goal lines at
10 and 110), y 0-53.3 yd across; angles in degrees, 0 = +y, clockwise (vx = s sin dir,
vy = s cos dir). Missing samples are NaN with ``present`` False - never silently filled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..constants import (  # noqa: F401  (re-exported: the domain model's vocabulary)
    BALL_NFL_ID,
    DEFENSIVE_BACK_POSITIONS,
    ELIGIBLE_RECEIVER_POSITIONS,
    FIELD_LENGTH_YD,
    FIELD_WIDTH_YD,
    FRAME_RATE_HZ,
)


def jersey_text(value) -> str:
    """A jersey number for display: '94.0' (a float column) -> '94'; missing -> ''."""
    text = "" if value is None else str(value).strip()
    if text.lower() == "nan":
        return ""
    return text[:-2] if text.endswith(".0") else text


@dataclass
class Play:
    """One play: T frames (consecutive frameIds, gaps kept as NaN) by N players, plus the ball."""

    game_id: int
    play_id: int
    frame_ids: np.ndarray  # [T] int64, consecutive
    nfl_ids: np.ndarray  # [N] int64
    xy: np.ndarray  # [T, N, 2] float64, NaN where missing
    o: np.ndarray  # [T, N] orientation, degrees; NaN where missing and everywhere for formats without it
    present: np.ndarray  # [T, N] bool
    ball_xy: np.ndarray  # [T, 2] float64, NaN where missing
    club: np.ndarray  # [N] str
    position: np.ndarray  # [N] str
    jersey: np.ndarray  # [N] str
    name: np.ndarray  # [N] str
    events: np.ndarray  # [T] str ('' where none)
    play_direction: str = "right"  # 'left' / 'right': where the offence is going
    possession_team: str = ""
    defensive_team: str = ""
    pass_forward_frame: int | None = None
    pass_arrived_frame: int | None = None
    target_nfl_id: int | None = None
    context: dict = field(default_factory=dict)  # down, yardsToGo, absoluteYardlineNumber, ...
    # Provider-derived kinematics, kept for evaluation only: they are smoothed with future
    # frames, so live features must never read them.
    provider_s: np.ndarray | None = None  # [T, N]
    provider_dir: np.ndarray | None = None  # [T, N]
    # The provider's own player ids where they are not integers (Sportradar UUIDs): [N] str,
    # '' where the provider gave none; None for formats whose nflId is the provider's id.
    player_source_ids: np.ndarray | None = None

    @property
    def n_frames(self) -> int:
        return int(self.frame_ids.shape[0])

    @property
    def n_players(self) -> int:
        return int(self.nfl_ids.shape[0])

    def frame_index(self, frame_id: int) -> int:
        """Row of ``frame_id`` in the arrays; raises KeyError when outside the play."""
        t = int(frame_id) - int(self.frame_ids[0])
        if t < 0 or t >= self.n_frames:
            raise KeyError(f"frame {frame_id} outside play {self.game_id}/{self.play_id}")
        return t

    def player_index(self, nfl_id: int) -> int:
        hits = np.flatnonzero(self.nfl_ids == int(nfl_id))
        if hits.size == 0:
            raise KeyError(f"nflId {nfl_id} not in play {self.game_id}/{self.play_id}")
        return int(hits[0])

    def is_defense(self) -> np.ndarray:
        """[N] bool: on the defending club (falls back to 'not the possession team')."""
        if self.defensive_team:
            return self.club == self.defensive_team
        return self.club != self.possession_team

    def defensive_backs(self) -> np.ndarray:
        """Indices of the defending club's cornerbacks and safeties."""
        is_db = np.array([p in DEFENSIVE_BACK_POSITIONS for p in self.position], dtype=bool)
        return np.flatnonzero(is_db & self.is_defense())

    def eligible_receivers(self) -> np.ndarray:
        """Indices of the offence's eligible receivers (WR, TE, RB, FB, HB), plus the target."""
        offense = ~self.is_defense()
        elig = np.array([p in ELIGIBLE_RECEIVER_POSITIONS for p in self.position], dtype=bool)
        if self.target_nfl_id is not None:
            elig |= self.nfl_ids == self.target_nfl_id
        return np.flatnonzero(elig & offense)

    def normalized(self) -> Play:
        """The same play with the offence always moving toward +x (direction 'right').

        A 180 degree rotation about the field centre: x -> 120 - x, y -> 53.3 - y, angles + 180.
        """
        if self.play_direction != "left":
            return self
        flip = np.array([FIELD_LENGTH_YD, FIELD_WIDTH_YD])
        ctx = dict(self.context)
        if "absoluteYardlineNumber" in ctx and ctx["absoluteYardlineNumber"] is not None:
            ctx["absoluteYardlineNumber"] = FIELD_LENGTH_YD - float(ctx["absoluteYardlineNumber"])
        return replace(
            self,
            xy=flip - self.xy,
            ball_xy=flip - self.ball_xy,
            o=np.mod(self.o + 180.0, 360.0),
            provider_dir=None if self.provider_dir is None else np.mod(self.provider_dir + 180.0, 360.0),
            play_direction="right",
            context=ctx,
        )
