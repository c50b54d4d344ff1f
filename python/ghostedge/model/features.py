"""Model features: a thin layer over the C++ builder (``_core.build_pair_features``).

The C++ computes the whole candidate set (``FEATURE_NAMES``) for every defender x receiver pair
of a frame; the feature-selection study ranks them and the shipped model stores the names of the
subset it uses, which :func:`feature_indices` maps back to columns.
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ..data.play import Play
from .frames import PlayContext

FEATURE_NAMES: tuple[str, ...] = tuple(_core.FEATURE_NAMES)
N_FEATURES = len(FEATURE_NAMES)
HISTORY = int(_core.FEATURE_HISTORY)
KINEMATIC_FEATURES = ("def_vx", "def_vy", "def_ax", "def_ay")  # the network's physics prior reads these

# Mirroring the model frame in y maps each feature f to scale * f + shift (y components change
# sign, distances from one sideline become distances from the other); the network uses it for
# test-time mirror averaging. tests/test_features.py checks it against the C++ mirror_y flag.
_MIRROR_NEGATED = {
    "def_vy", "def_ay", "def_o_y", "tgt_rel_y", "tgt_rel_vy", "tgt_vy", "tgt_ay", "ball_rel_y",
    "ball_vy", "ball_to_tgt_y", "nopp_rel_y", "nopp_rel_vy", "nmate_rel_y",
}
_MIRROR_FROM_OTHER_SIDELINE = {"def_y", "def_y_far", "tgt_y"}


def mirror_affine(names) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift) [len(names)] so that mirrored = scale * features + shift."""
    from ..data.play import FIELD_WIDTH_YD

    scale = np.ones(len(names))
    shift = np.zeros(len(names))
    for i, n in enumerate(names):
        if n in _MIRROR_NEGATED or n in _MIRROR_FROM_OTHER_SIDELINE:
            scale[i] = -1.0
        if n in _MIRROR_FROM_OTHER_SIDELINE:
            shift[i] = FIELD_WIDTH_YD
    return scale, shift


def feature_indices(names) -> np.ndarray:
    """Columns of ``names`` in the candidate set; KeyError naming the unknown ones."""
    lookup = {n: i for i, n in enumerate(FEATURE_NAMES)}
    missing = [n for n in names if n not in lookup]
    if missing:
        raise KeyError(f"features not built by this ghostedge: {missing}")
    return np.array([lookup[n] for n in names], dtype=np.int64)


def offense_mask(play: Play) -> np.ndarray:
    """uint8 [N]: 1 for players of the offence."""
    return np.ascontiguousarray((~play.is_defense()).astype(np.uint8))


def frame_features(
    play: Play,
    frame_index: int,
    defenders: np.ndarray,
    receivers: np.ndarray,
    context: PlayContext | None = None,
    mirror_y: bool = False,
) -> tuple[np.ndarray, int]:
    """Candidate features [D, R, F] for a play at array row ``frame_index`` (uses rows t-2..t)."""
    if frame_index < HISTORY - 1:
        raise ValueError(f"frame row {frame_index} has no {HISTORY - 1} frames of history")
    ctx = context or PlayContext.from_play(play)
    sl = slice(frame_index - HISTORY + 1, frame_index + 1)
    return _core.build_pair_features(
        np.ascontiguousarray(play.xy[sl]),
        np.ascontiguousarray(play.o[sl]),
        np.ascontiguousarray(play.ball_xy[sl]),
        offense_mask(play),
        ctx.vector(),
        np.ascontiguousarray(defenders, dtype=np.int64),
        np.ascontiguousarray(receivers, dtype=np.int64),
        ctx.play_left,
        mirror_y,
    )
