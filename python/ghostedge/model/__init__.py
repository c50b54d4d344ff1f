"""The ghost trajectory model: windows, features, baselines, training (torch, optional),
ONNX export and ONNX Runtime inference.

Runtime code (``inference``, ``features``, ``frames``, ``baselines``, ``windows``, ``evaluate``)
needs only numpy and onnxruntime; ``network``, ``train``, ``export`` and ``selection`` import
torch / lightgbm and are for training only.
"""

from .frames import H_MAX, MAX_SPEED_YPS, PlayContext
from .inference import Ghosts, GhostModel, ModelError, ghost_play

__all__ = ["H_MAX", "MAX_SPEED_YPS", "PlayContext", "Ghosts", "GhostModel", "ModelError", "ghost_play"]
