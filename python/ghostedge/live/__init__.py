"""Live: the real-time engine and its plugin API (layer 6).

Owns the plugin lifecycle (``engine``: create -> set_roster -> activate -> per-frame calls ->
deactivate -> close; ``worker``: the inference thread), its settings (``config``), the static
data of a play (``roster``) and what the engine keeps per roster (``play_state``), one frame's
output (``result``) and its hand-off to the host's threads (``handoff``: each thread holds its
own), the shared-memory output (``shm``) and the live events (``events``: pass release /
arrival detection, target inference). docs/plugin-api.md is its contract.

May import: ``ingest``, ``model`` (runtime: inference, features, frames), ``analysis.metric`` (the
compiled metric), ``constants``, ``jsonsafe``. Nothing here imports pandas, matplotlib, torch or
tqdm: ``from ghostedge.live import Engine`` stays light (a test checks ``sys.modules``).
"""

from .config import ENGINE_API_VERSION, EngineConfig, EngineStateError
from .engine import Engine
from .events import PassDetector, infer_target
from .result import GhostResult
from .roster import Roster

__all__ = ["ENGINE_API_VERSION", "Engine", "EngineConfig", "EngineStateError", "GhostResult",
           "PassDetector", "Roster", "infer_target"]
