"""Completion probability at run time: the shipped ``models/ghostedge_completion.onnx``
(standardisation, logistic regression and its calibration inside one small graph) run by ONNX
Runtime. Features: :data:`FEATURES` (computed by :mod:`ghostedge.analysis.completion`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MODEL_FILENAME = "ghostedge_completion.onnx"
FEATURES = (
    "air_distance_yd",  # release point to the receiver at the arrival
    "separation_throw_yd",  # receiver to the nearest defender at the throw
    "separation_arrival_yd",  # receiver to the nearest ghost defensive back at the arrival
    "sideline_room_yd",  # receiver to the nearer sideline at the arrival
    "pass_rush_distance_yd",  # passer to the nearest defender at the throw
    "passer_speed_yps",  # passer's speed at the throw
    "time_to_throw_s",  # snap to throw
    "flight_time_s",  # throw to arrival
)
FORMAT = "completion-1"


class CompletionModelError(RuntimeError):
    """The completion model file exists but cannot be used."""


def default_completion_model_path() -> Path:
    """Beside the ghost model: the installed package's ``models/``, else the source tree's."""
    from .inference import default_model_path

    return default_model_path().with_name(MODEL_FILENAME)


class CompletionModel:
    """P(complete) from on-field features [N, len(FEATURES)]; missing values (NaN) are replaced
    by the training medians stored in the model file."""

    def __init__(self, path: str | Path | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path) if path is not None else default_completion_model_path()
        if not self.path.is_file():
            raise FileNotFoundError(f"completion model not found: {self.path}")
        try:
            self.session = ort.InferenceSession(str(self.path), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for corrupt files
            raise CompletionModelError(f"{self.path}: not a usable ONNX model ({exc})") from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("format") != FORMAT:
            raise CompletionModelError(f"{self.path}: not a ghostedge completion model (format {meta.get('format')!r})")
        names = json.loads(meta.get("features", "[]"))
        if tuple(names) != FEATURES:
            raise CompletionModelError(f"{self.path}: built for features {names}, this ghostedge uses {list(FEATURES)}")
        self.medians = np.asarray(json.loads(meta["medians"]), dtype=np.float32)
        self.info = json.loads(meta.get("info", "{}"))
        self._input = self.session.get_inputs()[0].name

    def predict(self, features) -> np.ndarray:
        """P(complete) [N] for features [N, F] (or [F])."""
        x = np.asarray(features, dtype=np.float32)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != len(FEATURES):
            raise ValueError(f"features must have shape [N, {len(FEATURES)}], got {x.shape}")
        x = np.where(np.isfinite(x), x, self.medians[None])
        return self.session.run(None, {self._input: np.ascontiguousarray(x)})[0].reshape(-1).astype(np.float64)
