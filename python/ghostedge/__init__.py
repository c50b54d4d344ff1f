"""ghostedge: live defender ghosting for American football.

The main entry points (imported lazily, so `import ghostedge` stays cheap):

- ``ghostedge.load_dataset`` / ``ghostedge.load_samples``: tracking data -> ``Play`` objects
- ``ghostedge.GhostModel``: the ONNX ghost model (TensorRT -> CUDA -> CPU)
- ``ghostedge.Engine`` / ``ghostedge.EngineConfig`` / ``ghostedge.GhostResult`` /
  ``ghostedge.EngineStateError`` / ``ghostedge.ENGINE_API_VERSION``: the real-time plugin API
- ``ghostedge.IngestPipeline`` / ``ghostedge.Registry`` / ``ghostedge.simulate_play``: tag reads -> clean tracking
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:  # one source: pyproject.toml's version, as installed (the core compiles in the same one)
    __version__ = version("ghostedge")
except PackageNotFoundError:  # a source tree with a dev build (tools/dev_build.sh)
    from ._core import __version__

_LAZY = {
    "load_dataset": "ghostedge.data",
    "load_samples": "ghostedge.data",
    "Play": "ghostedge.data",
    "GhostModel": "ghostedge.model.inference",
    "Engine": "ghostedge.live",
    "EngineConfig": "ghostedge.live",
    "EngineStateError": "ghostedge.live",
    "ENGINE_API_VERSION": "ghostedge.live",
    "GhostResult": "ghostedge.live",
    "Roster": "ghostedge.live",
    "IngestPipeline": "ghostedge.ingest",
    "Registry": "ghostedge.ingest",
    "simulate_play": "ghostedge.sim",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ghostedge' has no attribute {name!r}")
