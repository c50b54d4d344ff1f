"""Type stubs for the compiled module ghostedge._core (one section per binding file)."""

# --- tag-read packet format (cpp/bindings/bind_wire.cpp) ---
import numpy as _np
import numpy.typing as _npt
from typing import Any as _Any

WIRE_VERSION: int
WIRE_HEADER_SIZE: int
WIRE_RECORD_SIZE: int
WIRE_MAX_RECORDS: int
WIRE_MAX_PACKET_SIZE: int
WIRE_SEQUENCE_WINDOW: int
read_dtype: _np.dtype[_Any]
DECODE_STAT_COUNTERS: tuple[str, ...]

def crc32c(data: _Any, crc: int = 0) -> int: ...
def crc32c_hardware() -> bool: ...
def encode_packet(reads: _npt.NDArray[_Any], sequence: int, capture_time_us: int) -> bytes: ...
def encode_packets(
    reads: _npt.NDArray[_Any],
    counts: _npt.ArrayLike,
    sequences: _npt.ArrayLike,
    capture_times_us: _npt.ArrayLike,
) -> tuple[_npt.NDArray[_np.uint8], _npt.NDArray[_np.int64]]: ...

class WireDecoder:
    def __init__(self) -> None: ...
    def feed(self, data: _Any) -> _npt.NDArray[_Any]: ...
    def feed_into(self, data: _Any, out: _npt.NDArray[_Any]) -> int: ...
    def finish(self) -> _npt.NDArray[_Any]: ...
    def stats(self) -> dict[str, int]: ...
    def reset(self) -> None: ...
    def max_reads(self, nbytes: int) -> int: ...
    @property
    def buffered(self) -> int: ...


# --- composite metric (cpp/bindings/bind_metric.cpp) ---
import numpy as _np
import numpy.typing as _npt

def metric_batch(
    defender: _npt.ArrayLike,
    receiver: _npt.ArrayLike,
    lengths: _npt.ArrayLike | None = None,
    dt: float = 0.1,
    top_speed: float = 11.0,
    speed_limit: float = 12.5,
    effort_weight: float = 0.25,
    speed_penalty_weight: float = 2.0,
) -> _npt.NDArray[_np.float64]: ...

def metric_ghosts(
    start_xy: _npt.NDArray[_np.float64],
    mean: _npt.NDArray[_np.float64],
    receiver_xy: _npt.NDArray[_np.float64],
    receiver_vel: _npt.NDArray[_np.float64],
    step_dt: float,
    out: _npt.NDArray[_np.float64],
    dt: float = 0.1,
    top_speed: float = 11.0,
    speed_limit: float = 12.5,
    effort_weight: float = 0.25,
    speed_penalty_weight: float = 2.0,
) -> None: ...

class MetricAccumulator:
    def __init__(
        self,
        dt: float = 0.1,
        top_speed: float = 11.0,
        speed_limit: float = 12.5,
        effort_weight: float = 0.25,
        speed_penalty_weight: float = 2.0,
    ) -> None: ...
    def push(self, defender_x: float, defender_y: float, receiver_x: float, receiver_y: float) -> float: ...
    def reset(self) -> None: ...
    def current(self) -> tuple[float, float, float, float]: ...
    @property
    def frames(self) -> int: ...
    @property
    def valid(self) -> bool: ...

# --- tag registry, fusion helpers, batch filter (cpp/bindings/bind_ingest.cpp) ---
BALL_TAG_ID: int
FRAME_FLAGS: dict[str, int]

class TagRegistry:
    def __init__(self, tag_ids: _npt.ArrayLike, nfl_ids: _npt.ArrayLike, roles: _npt.ArrayLike) -> None: ...
    @property
    def n_players(self) -> int: ...
    @property
    def n_ball_tags(self) -> int: ...
    @property
    def slot_nfl_ids(self) -> _npt.NDArray[_np.int64]: ...
    def single_tag_slots(self) -> list[int]: ...
    def shoulder_tag(self, slot: int, side: int) -> int: ...
    def lookup(self, tag_id: int) -> tuple[int, int] | None: ...

def derived_tag_id(nfl_id: int, role: int) -> int: ...
def orientation_from_shoulders(dx: float, dy: float) -> float: ...
def right_shoulder_unit(o_deg: float) -> tuple[float, float]: ...
def filter_tracks(
    time_us: _npt.ArrayLike,
    x: _npt.ArrayLike,
    y: _npt.ArrayLike,
    o: _npt.ArrayLike | None = None,
    meas_sigma_yd: float = 0.03,
    o_sigma_deg: float = 5.0,
    is_ball: bool = False,
    max_speed_yps: float = 12.5,
    jerk_psd: float = 25.0,
    hold_time_s: float = 1.0,
) -> dict[str, _npt.NDArray[_np.generic] | int]: ...

# --- live ingest pipeline (cpp/bindings/bind_pipeline.cpp) ---
class IngestPipeline:
    def __init__(
        self,
        registry: TagRegistry,
        rate_hz: float = 10.0,
        read_sigma_yd: float = 2.0 / 36.0,
        shoulder_half_width_yd: float = 0.25,
        read_gate_yd: float = 0.6,
        max_speed_yps: float = 12.5,
        jerk_psd: float = 25.0,
        hold_time_s: float = 1.0,
        read_buffer_capacity: int = 65536,
        delay_s: float = 0.1,
    ) -> None: ...
    def push(self, data: bytes | bytearray | memoryview | _npt.NDArray[_np.uint8]) -> None: ...
    def push_reads(self, reads: _npt.NDArray[_np.void]) -> None: ...
    def finish_stream(self) -> None: ...
    def tick(self, time_us: int) -> None: ...
    def reset(self) -> None: ...
    def counters(self) -> dict[str, int]: ...
    def timings(self) -> dict[str, float]: ...
    def rejected_reads(self) -> tuple[_npt.NDArray[_np.int64], _npt.NDArray[_np.uint32], _npt.NDArray[_np.uint8]]: ...
    @property
    def n_players(self) -> int: ...
    @property
    def rate_hz(self) -> float: ...
    @property
    def delay_s(self) -> float: ...
    @property
    def slot_nfl_ids(self) -> _npt.NDArray[_np.int64]: ...
    @property
    def frame_time_us(self) -> int: ...
    # Read-only views of the frame buffers: [n_players + 1] (players, then the ball).
    x: _npt.NDArray[_np.float64]
    y: _npt.NDArray[_np.float64]
    s: _npt.NDArray[_np.float64]
    a: _npt.NDArray[_np.float64]
    dir: _npt.NDArray[_np.float64]
    o: _npt.NDArray[_np.float64]
    raw_x: _npt.NDArray[_np.float64]
    raw_y: _npt.NDArray[_np.float64]
    raw_time_us: _npt.NDArray[_np.int64]
    flags: _npt.NDArray[_np.uint16]

# --- offline two-sided smoother (cpp/bindings/bind_smoother.cpp) ---
def smooth_tracks(
    time_us: _npt.ArrayLike,
    x: _npt.ArrayLike,
    y: _npt.ArrayLike,
    o: _npt.ArrayLike | None = None,
    meas_sigma_yd: float = 0.03,
    o_sigma_deg: float = 5.0,
    is_ball: bool = False,
    max_speed_yps: float = 12.5,
    jerk_psd: float = 25.0,
    hold_time_s: float = 1.0,
    smoother_jerk_psd: float | None = None,
    smoother_orientation_rate_psd: float | None = None,
) -> dict[str, _npt.NDArray[_np.generic] | int]: ...
def smooth_capture(
    registry: TagRegistry,
    data: _Any,
    tick_times_us: _npt.ArrayLike | None = None,
    rate_hz: float = 10.0,
    read_sigma_yd: float = 2.0 / 36.0,
    shoulder_half_width_yd: float = 0.25,
    read_gate_yd: float = 0.6,
    max_speed_yps: float = 12.5,
    jerk_psd: float = 25.0,
    hold_time_s: float = 1.0,
    read_buffer_capacity: int = 65536,
    delay_s: float = 0.1,
    player_smoother_jerk_psd: float = 5.0,
    ball_smoother_jerk_psd: float = 0.0,
    smoother_orientation_rate_psd: float = 2000.0,
    causal: bool = False,
) -> dict[str, _Any]: ...

# --- model features (cpp/bindings/bind_features.cpp) ---
FEATURE_HISTORY: int
FEATURE_NUM_CONTEXT: int
FEATURE_NAMES: tuple[str, ...]

def build_pair_features(
    xy_hist: _npt.NDArray[_np.float64],
    o_hist: _npt.NDArray[_np.float64],
    ball_hist: _npt.NDArray[_np.float64],
    is_offense: _npt.NDArray[_np.uint8],
    context: _npt.NDArray[_np.float64],
    defenders: _npt.NDArray[_np.int64],
    receivers: _npt.NDArray[_np.int64],
    play_left: bool = False,
    mirror_y: bool = False,
    out: _npt.NDArray[_np.float32] | None = None,
) -> tuple[_npt.NDArray[_np.float32], int]: ...

def select_model_inputs(
    features: _npt.NDArray[_np.float32],
    columns: _npt.NDArray[_np.int64],
    inputs: _npt.NDArray[_np.float32],
    valid: _npt.NDArray[_np.uint8],
) -> int: ...

def model_outputs_to_field(
    mean_model: _npt.NDArray[_np.float32],
    sigma_model: _npt.NDArray[_np.float32],
    valid: _npt.NDArray[_np.uint8],
    start_xy: _npt.NDArray[_np.float64],
    horizon: int,
    play_left: bool,
    mirror_y: bool,
    mean_out: _npt.NDArray[_np.float64],
    sigma_out: _npt.NDArray[_np.float64],
) -> None: ...
