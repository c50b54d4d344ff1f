"""ghostedge: live defender ghosting for American football.

The main entry points (imported lazily, so `import ghostedge` stays cheap):

- ``ghostedge.load_dataset`` / ``ghostedge.load_samples``: tracking data -> ``Play`` objects
- ``ghostedge.GhostModel``: the ONNX ghost model (TensorRT -> CUDA -> CPU)
- ``ghostedge.Engine`` / ``ghostedge.EngineConfig``: the real-time plugin API
- ``ghostedge.IngestPipeline`` / ``ghostedge.simulate_play``: tag reads -> clean tracking
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "load_dataset": "ghostedge.data",
    "load_samples": "ghostedge.data",
    "Play": "ghostedge.data",
    "GhostModel": "ghostedge.model.inference",
    "Engine": "ghostedge.engine",
    "EngineConfig": "ghostedge.engine",
    "Roster": "ghostedge.engine",
    "IngestPipeline": "ghostedge.ingest",
    "simulate_play": "ghostedge.sim",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ghostedge' has no attribute {name!r}")
