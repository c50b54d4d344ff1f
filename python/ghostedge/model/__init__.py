"""The ghost trajectory model (layer 3): windows, features, baselines and ONNX Runtime inference.

Runtime modules (``inference``, ``features``, ``frames``, ``baselines``, ``windows``,
``latency``) need only numpy and onnxruntime; ``training/`` imports torch / lightgbm and is for
training only.

May import: ``ghostedge._core``, ``constants``, ``data``.
"""

from .frames import H_MAX, MAX_SPEED_YPS, PlayContext
from .inference import GhostModel, Ghosts, ModelError, ghost_play

__all__ = ["H_MAX", "MAX_SPEED_YPS", "PlayContext", "Ghosts", "GhostModel", "ModelError", "ghost_play"]
