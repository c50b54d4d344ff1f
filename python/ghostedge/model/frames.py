"""Coordinate frames and physical limits shared by training, evaluation and inference.

The model works in the *model frame*: the offence always moves toward +x (a play going left is
rotated 180 degrees about the field centre, as :meth:`Play.normalized` does) and, for
augmentation only, mirrored in y. The C++ feature builder applies the same transform to its
inputs (cpp/src/features.cpp); this module maps the model's outputs back to raw field
coordinates. Positions predicted are displacements from the defender's position at frame t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import DT_S, FIELD_LENGTH_YD, FIELD_WIDTH_YD, MAX_SPEED_YPS  # noqa: F401  (re-exported)
from ..data.play import Play

# No predicted step may imply more than MAX_SPEED_YPS (the cleaning limit of the NGS study).
H_MAX = 50  # frames the model predicts directly (5.0 s; the longest flight here is 3.5 s)
WINDOW_H = 10  # 1.0 s evaluation windows
CHI2_2DOF = {50: 1.3862944, 90: 4.6051702}  # squared Mahalanobis radius of the p% ellipse (2-d)


def axis_signs(play_left: bool, mirror_y: bool = False) -> np.ndarray:
    """[2] signs mapping a raw displacement to the model frame (and back: the map is its own inverse)."""
    return np.array([-1.0 if play_left else 1.0, -1.0 if play_left != mirror_y else 1.0])


def to_model_xy(xy: np.ndarray, play_left: bool, mirror_y: bool = False) -> np.ndarray:
    """Raw field positions [..., 2] -> model-frame positions."""
    s = axis_signs(play_left, mirror_y)
    origin = np.array([FIELD_LENGTH_YD if s[0] < 0 else 0.0, FIELD_WIDTH_YD if s[1] < 0 else 0.0])
    return origin + s * np.asarray(xy, dtype=float)


def displacement_to_raw(disp: np.ndarray, play_left: bool, mirror_y: bool = False) -> np.ndarray:
    """Model-frame displacements [..., 2] -> raw field displacements (sigmas need no change)."""
    return np.asarray(disp) * axis_signs(play_left, mirror_y)


def max_step_speed(start_xy: np.ndarray, path_xy: np.ndarray) -> float:
    """Highest speed (yd/s) implied by a path [..., H, 2] that starts at start_xy [..., 2]."""
    full = np.concatenate([np.asarray(start_xy)[..., None, :], np.asarray(path_xy)], axis=-2)
    steps = np.linalg.norm(np.diff(full, axis=-2), axis=-1)
    return float(np.nanmax(steps) / DT_S) if steps.size else 0.0


@dataclass(frozen=True)
class PlayContext:
    """What the model needs to know about the play besides positions (live-known at the snap)."""

    play_left: bool = False  # the offence moves toward -x in raw coordinates
    line_of_scrimmage_x: float = 60.0  # raw x of the line of scrimmage (absoluteYardlineNumber)
    down: float = 1.0
    yards_to_go: float = 10.0
    quarter: float = 1.0
    game_clock_s: float = 900.0
    offense_score_margin: float = 0.0  # offence score minus defence score

    @classmethod
    def from_play(cls, play: Play) -> PlayContext:
        ctx = play.context

        def num(key: str, default: float) -> float:
            try:
                v = float(ctx.get(key))
            except (TypeError, ValueError):
                return default
            return v if math.isfinite(v) else default

        margin = 0.0
        home, away = num("preSnapHomeScore", 0.0), num("preSnapVisitorScore", 0.0)
        if play.possession_team and ctx.get("homeTeamAbbr"):
            margin = home - away if play.possession_team == ctx.get("homeTeamAbbr") else away - home
        return cls(
            play_left=play.play_direction == "left",
            line_of_scrimmage_x=num("absoluteYardlineNumber", 60.0),
            down=num("down", 1.0),
            yards_to_go=num("yardsToGo", 10.0),
            quarter=num("quarter", 1.0),
            game_clock_s=num("gameClockSeconds", 900.0),
            offense_score_margin=margin,
        )

    def vector(self) -> np.ndarray:
        """float64 [6] in the order of the C++ ContextIndex, line of scrimmage in the model frame."""
        los = FIELD_LENGTH_YD - self.line_of_scrimmage_x if self.play_left else self.line_of_scrimmage_x
        return np.array(
            [self.down, self.yards_to_go, los, self.quarter, self.game_clock_s, self.offense_score_margin],
            dtype=np.float64,
        )
