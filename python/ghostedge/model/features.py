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
HISTORY = int(_core.FEATURE_HISTORY)  # frames every scored pair needs: t-2 .. t
MAX_HISTORY = int(_core.FEATURE_MAX_HISTORY)  # frames the history features read: t-10 .. t
KINEMATIC_FEATURES = ("def_vx", "def_vy", "def_ax", "def_ay")  # the network's physics prior reads these
# Features that read the orientation o: NaN when o is unknown at t (def_o_known says which).
ORIENTATION_FEATURES = ("def_o_x", "def_o_y", "def_o_dot_motion")
# The players' older steps (velocities j frames before t), read from up to MAX_HISTORY frames.
HISTORY_FEATURES = tuple(n for n in FEATURE_NAMES if n.startswith(("def_vx_m", "def_vy_m", "tgt_vx_m", "tgt_vy_m")))
# The throw to the receiver: where and when the ball lands as given (``landing=``; 0 and
# land_given 0 when not) and as the builder estimates it (land_est_*, always). The Big Data Bowl
# 2026 formulation gives the model the landing point.
LANDING_FEATURES = tuple(n for n in FEATURE_NAMES if n.startswith("land_"))
# The given landing's columns: what not telling the builder the landing changes (to 0).
GIVEN_LANDING_FEATURES = tuple(n for n in LANDING_FEATURES if not n.startswith("land_est_"))

# Mirroring the model frame in y maps each feature f to scale * f + shift (y components change
# sign, distances from one sideline become distances from the other); the network uses it for
# test-time mirror averaging. tests/test_features.py checks it against the C++ mirror_y flag.
_MIRROR_NEGATED = {
    "def_vy", "def_ay", "def_o_y", "tgt_rel_y", "tgt_rel_vy", "tgt_vy", "tgt_ay", "ball_rel_y",
    "ball_vy", "ball_to_tgt_y", "nopp_rel_y", "nopp_rel_vy", "nmate_rel_y", "land_rel_y", "land_tgt_y",
    "land_est_rel_y", "land_est_tgt_y",
    *(n for n in HISTORY_FEATURES if n.startswith(("def_vy_m", "tgt_vy_m"))),
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


def frames_read(names) -> int:
    """Frames of history (ending at t) that features ``names`` read: the step j frames before t
    (``*_m{j}``) needs t-j-1, everything else t-2..t."""
    return max([HISTORY] + [int(n.rsplit("_m", 1)[1]) + 2 for n in names if n in HISTORY_FEATURES])


def history_rows(frame_index: int, history: int = MAX_HISTORY) -> slice:
    """The array rows of up to ``history`` frames ending at ``frame_index`` (fewer at a play's
    start: the builder needs only t-2..t)."""
    return slice(max(0, frame_index - history + 1), frame_index + 1)


def frame_features(
    play: Play,
    frame_index: int,
    defenders: np.ndarray,
    receivers: np.ndarray,
    context: PlayContext | None = None,
    mirror_y: bool = False,
    landing: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Candidate features [D, R, F] for a play at array row ``frame_index`` (uses rows t-2..t,
    and up to t-10 for the history features). ``landing`` [R, 3]: where and when the ball
    thrown to each receiver lands (raw field x, y, seconds after t; None or a NaN row: the
    builder's estimate)."""
    if frame_index < HISTORY - 1:
        raise ValueError(f"frame row {frame_index} has no {HISTORY - 1} frames of history")
    ctx = context or PlayContext.from_play(play)
    sl = history_rows(frame_index)
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
        landing=None if landing is None else np.ascontiguousarray(landing, dtype=np.float64),
    )
