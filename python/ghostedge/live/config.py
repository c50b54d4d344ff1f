"""Engine settings and lifecycle errors: the static half of the plugin API (no numpy needed)."""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import FIELD_LENGTH_YD, FIELD_WIDTH_YD, FRAME_RATE_HZ

ENGINE_API_VERSION = 2  # 2: results held per thread, set_roster swaps live, shm output


class EngineStateError(RuntimeError):
    """A lifecycle call made in the wrong state (programming error of the host)."""


@dataclass
class EngineConfig:
    """Engine settings; the defaults work: shipped model, 10 Hz, standard field."""

    model_path: str | None = None  # None: the shipped model (ghostedge/models/)
    providers: list[str] | None = None  # ONNX Runtime providers, priority order; None: best
    rate_hz: float = FRAME_RATE_HZ  # tracking output rate
    horizon: int = 10  # ghost frames predicted (1.0 s at 10 Hz)
    max_frames_behind: int = 1  # result older than this many frames -> stale
    max_age_s: float = 0.25  # or older than this (wall clock since its frame was ticked)
    warmup_runs: int = 3  # inferences run in activate() so the first live frame is not slow
    require_model: bool = False  # True: activate() raises when the model cannot be loaded
    # Capacity chosen at activate(): results, model buffers and IO bindings for this many
    # defensive backs x receivers (at least the roster's), so that no frame and no set_roster()
    # while active allocates them again or rebuilds a TensorRT engine.
    max_defenders: int = 11
    max_receivers: int = 11
    # Threads that may hold a result at once (the feed thread and the render threads): each
    # holds its own until its next latest()/tick()/push_frame() (docs/plugin-api.md).
    max_result_readers: int = 4
    worker_join_timeout_s: float = 30.0  # deactivate() waits this long for a model call to end
    shm_name: str | None = None  # also write every result into this shared-memory block
    detect_pass: bool = True  # detect release/arrival from the ball tag (host events always work)
    field_length_yd: float = FIELD_LENGTH_YD
    field_width_yd: float = FIELD_WIDTH_YD
    # Pass detector thresholds (yards, yd/s); measured on the shared data, see docs/plugin-api.md
    release_speed_yps: float = 9.0
    release_distance_yd: float = 1.5
    holder_distance_yd: float = 1.25
    arrival_distance_yd: float = 1.25
    arrival_min_frames: int = 4
    ball_stopped_speed_yps: float = 3.0
    arrival_relative_speed_yps: float = 5.0

