"""Offline ghosts of a recorded play: the model's inputs at a frame, the perturbation of the
reference table (docs/metric.md), and one model call for a set of defenders and receivers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..constants import DT_S
from ..data.play import Play
from ..model.features import history_rows, offense_mask
from ..model.frames import PlayContext

# Perturbation of the reference table: which defenders and how (docs/metric.md).
PERTURB_FRACTION = 0.25
PERTURB_SPEED_RANGE = (1.0, 8.0)  # yd/s, ~5th..95th percentile of DB speed at the throw


def model_inputs(play: Play, t: int) -> dict[str, Any]:
    """Model input history at row t (frames t-10..t, fewer at a play's start), raw field
    coordinates, copies."""
    rows = history_rows(t)
    return {
        "xy_hist": play.xy[rows].copy(),
        "o_hist": play.o[rows].copy(),
        "ball_hist": play.ball_xy[rows].copy(),
    }


@dataclass(frozen=True)
class Perturbation:
    """A random start for some defenders: direction and orientation (degrees, NGS: 0 = +y,
    clockwise) and speed (yd/s), one entry per perturbed player."""

    players: np.ndarray  # [P] player indices
    direction: np.ndarray  # [P]
    orientation: np.ndarray  # [P]
    speed: np.ndarray  # [P]

    def reversed(self) -> Perturbation:
        """The antithetic draw: direction and orientation turned by 180 degrees, same speed.
        It has the same distribution as the draw itself, and averaging the two cancels the
        part of the effect that is odd in the direction (docs/metric.md, "Perturbation")."""
        return replace(self, direction=(self.direction + 180.0) % 360.0,
                       orientation=(self.orientation + 180.0) % 360.0)


def draw_perturbation(players, rng: np.random.Generator,
                      speed_range=PERTURB_SPEED_RANGE) -> Perturbation:
    """Direction and orientation uniform in [0, 360) (independent), speed uniform in
    ``speed_range``, for each of ``players``."""
    players = np.asarray(players, dtype=np.int64)
    n = players.size
    direction = rng.uniform(0.0, 360.0, n)
    orientation = rng.uniform(0.0, 360.0, n)
    speed = rng.uniform(speed_range[0], speed_range[1], n)
    return Perturbation(players, direction, orientation, speed)


def apply_perturbation(xy_hist, o_hist, perturbation: Perturbation, dt: float = DT_S):
    """Rewrite the input history of the perturbed players in place: positions at t-2, t-1 as
    x(t) - k dt v, consistent with the new velocity (the position at t is kept), and the new
    orientation at all three frames. A player whose orientation is unknown at t (formats
    without orientation: NaN) keeps it unknown: the model must not see an input the real feed
    never gives."""
    players = perturbation.players
    rad = np.deg2rad(perturbation.direction)
    v = np.stack([perturbation.speed * np.sin(rad), perturbation.speed * np.cos(rad)], axis=1)
    h = xy_hist.shape[0]
    orientation = np.where(np.isfinite(o_hist[h - 1, players]), perturbation.orientation, np.nan)
    for k in range(h):
        back = h - 1 - k
        xy_hist[k, players] = xy_hist[h - 1, players] - back * dt * v
        o_hist[k, players] = orientation
    return xy_hist, o_hist


def perturb_history(xy_hist, o_hist, players, rng: np.random.Generator,
                    speed_range=PERTURB_SPEED_RANGE, dt: float = DT_S):
    """Give ``players`` a random starting velocity and orientation, in place
    (:func:`draw_perturbation` then :func:`apply_perturbation`)."""
    return apply_perturbation(xy_hist, o_hist, draw_perturbation(players, rng, speed_range), dt)


def play_rng(seed: int, play: Play) -> np.random.Generator:
    # Per-play stream: a play's perturbation does not depend on which other plays are scored.
    return np.random.default_rng([int(seed), int(play.game_id), int(play.play_id)])


def predict_ghosts(model, play: Play, t: int, defenders, receivers, horizon: int,
                   inputs: dict | None = None) -> np.ndarray:
    """Ghost means [D, R, H, 2] (raw field coordinates, frames t+1..t+H) from ``model``'s
    ``predict_frame`` for the play's history at row t, or for ``inputs`` (a possibly perturbed
    :func:`model_inputs`)."""
    if inputs is None:
        inputs = model_inputs(play, t)
    ghosts = model.predict_frame(
        inputs["xy_hist"], inputs["o_hist"], inputs["ball_hist"],
        np.asarray(defenders, dtype=np.int64), np.asarray(receivers, dtype=np.int64),
        PlayContext.from_play(play), int(horizon), is_offense=offense_mask(play),
    )
    return np.asarray(ghosts.mean, dtype=np.float64)
