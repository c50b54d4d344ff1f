"""
ghostedge compiled core (C++). Use the Python API in `ghostedge`, not this module.
"""
from __future__ import annotations
import numpy
import numpy.dtypes
import numpy.typing
import typing
__all__: list[str] = ['BALL_TAG_ID', 'CONSTANTS', 'DECODE_STAT_COUNTERS', 'FEATURE_HISTORY', 'FEATURE_LANDING_ESTIMATE', 'FEATURE_MAX_HISTORY', 'FEATURE_NAMES', 'FEATURE_NUM_CONTEXT', 'FRAME_FLAGS', 'IngestPipeline', 'METRIC_FIELDS', 'MetricAccumulator', 'MetricParams', 'PIPELINE_DEFAULTS', 'SHM_LAYOUT', 'ShmReader', 'ShmWriter', 'TagRegistry', 'WIRE_CRC_OFFSET', 'WIRE_HEADER_SIZE', 'WIRE_MAGIC', 'WIRE_MAX_PACKET_SIZE', 'WIRE_MAX_RECORDS', 'WIRE_RECORD_SIZE', 'WIRE_SEQUENCE_WINDOW', 'WIRE_VERSION', 'WireDecoder', 'build_pair_features', 'crc32c', 'crc32c_hardware', 'derived_tag_id', 'encode_packet', 'encode_packets', 'filter_tracks', 'metric_batch', 'metric_ghosts', 'model_outputs_to_field', 'orientation_from_shoulders', 'read_dtype', 'read_header', 'right_shoulder_unit', 'select_model_inputs', 'smooth_capture', 'smooth_tracks']
class WireDecoder:
    """
    Streaming tag-read packet decoder (one per sender).
    """
    def __init__(self) -> None:
        ...
    def feed(self, data: typing.Any) -> numpy.ndarray:
        ...
    def feed_into(self, data: typing.Any, out: numpy.ndarray) -> int:
        ...
    def finish(self) -> numpy.ndarray:
        ...
    def max_reads(self, nbytes: typing.SupportsInt | typing.SupportsIndex) -> int:
        ...
    def reset(self) -> None:
        ...
    def stats(self) -> dict:
        ...
    @property
    def buffered(self) -> int:
        ...
class TagRegistry:
    """
    Tag id -> (player slot, shoulder) and ball tags; validated on construction.
    """
    def __init__(self, tag_ids: typing.Annotated[numpy.typing.ArrayLike, numpy.uint32], nfl_ids: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], roles: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8]) -> None:
        ...
    def lookup(self, tag_id: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
        """
        (slot, role code) of a tag, or None when unknown; slot -1 for the ball
        """
    def shoulder_tag(self, slot: typing.SupportsInt | typing.SupportsIndex, side: typing.SupportsInt | typing.SupportsIndex) -> int:
        ...
    def single_tag_slots(self) -> list[int]:
        ...
    @property
    def n_ball_tags(self) -> int:
        ...
    @property
    def n_players(self) -> int:
        ...
    @property
    def slot_nfl_ids(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
class MetricParams:
    """
    Constants of the composite metric (docs/metric.md); the defaults are the definition.
    """
    def __init__(self) -> None:
        ...
    def error(self) -> str:
        """
        '' when the parameters are usable, else what is wrong.
        """
    @property
    def dt(self) -> float:
        ...
    @dt.setter
    def dt(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def effort_weight(self) -> float:
        ...
    @effort_weight.setter
    def effort_weight(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def misdirection_weight(self) -> float:
        ...
    @misdirection_weight.setter
    def misdirection_weight(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def proximity_weight(self) -> float:
        ...
    @proximity_weight.setter
    def proximity_weight(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def reaction_time(self) -> float:
        ...
    @reaction_time.setter
    def reaction_time(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def relevance_range(self) -> float:
        ...
    @relevance_range.setter
    def relevance_range(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def speed_limit(self) -> float:
        ...
    @speed_limit.setter
    def speed_limit(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def speed_penalty_weight(self) -> float:
        ...
    @speed_penalty_weight.setter
    def speed_penalty_weight(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def top_speed(self) -> float:
        ...
    @top_speed.setter
    def top_speed(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class MetricAccumulator:
    """
    Per-frame composite metric for the live path: push() once per frame from the throw on.
    """
    def __init__(self, params: typing.Any = None) -> None:
        ...
    def current(self) -> tuple:
        """
        The flight so far, in the order of METRIC_FIELDS.
        """
    def push(self, defender_x: typing.SupportsFloat | typing.SupportsIndex, defender_y: typing.SupportsFloat | typing.SupportsIndex, receiver_x: typing.SupportsFloat | typing.SupportsIndex, receiver_y: typing.SupportsFloat | typing.SupportsIndex) -> float:
        """
        Add one frame; returns the metric of the flight so far (NaN before 2 frames).
        """
    def reset(self) -> None:
        ...
    @property
    def frames(self) -> int:
        ...
    @property
    def valid(self) -> bool:
        ...
class IngestPipeline:
    """
    decode -> fuse -> filter; push bytes or reads, tick once per output frame
    """
    def __init__(self, registry: TagRegistry, rate_hz: typing.SupportsFloat | typing.SupportsIndex = 10.0, read_sigma_yd: typing.SupportsFloat | typing.SupportsIndex = 0.05555555555555555, shoulder_half_width_yd: typing.SupportsFloat | typing.SupportsIndex = 0.25, read_gate_yd: typing.SupportsFloat | typing.SupportsIndex = 0.6, max_speed_yps: typing.SupportsFloat | typing.SupportsIndex = 12.5, jerk_psd: typing.SupportsFloat | typing.SupportsIndex = 25.0, hold_time_s: typing.SupportsFloat | typing.SupportsIndex = 1.0, read_buffer_capacity: typing.SupportsInt | typing.SupportsIndex = 65536, delay_s: typing.SupportsFloat | typing.SupportsIndex = 0.1) -> None:
        ...
    def counters(self) -> dict:
        ...
    def finish_stream(self) -> None:
        ...
    def push(self, data: typing.Any) -> None:
        """
        feed packet bytes (any buffer, any chunking)
        """
    def push_reads(self, reads: numpy.ndarray) -> None:
        ...
    def rejected_reads(self) -> tuple:
        """
        (time_us, tag_id, reason) of the reads rejected in the last tick; reason 1 off-field, 2 gated
        """
    def reset(self) -> None:
        ...
    def tick(self, time_us: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def timings(self) -> dict:
        ...
    @property
    def a(self) -> numpy.ndarray:
        ...
    @property
    def delay_s(self) -> float:
        ...
    @property
    def dir(self) -> numpy.ndarray:
        ...
    @property
    def flags(self) -> numpy.ndarray:
        ...
    @property
    def frame_time_us(self) -> int:
        ...
    @property
    def n_players(self) -> int:
        ...
    @property
    def o(self) -> numpy.ndarray:
        ...
    @property
    def rate_hz(self) -> float:
        ...
    @property
    def raw_time_us(self) -> numpy.ndarray:
        ...
    @property
    def raw_x(self) -> numpy.ndarray:
        ...
    @property
    def raw_y(self) -> numpy.ndarray:
        ...
    @property
    def s(self) -> numpy.ndarray:
        ...
    @property
    def slot_nfl_ids(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def x(self) -> numpy.ndarray:
        ...
    @property
    def y(self) -> numpy.ndarray:
        ...
class ShmWriter:
    """
    Writes frames into a new POSIX shared-memory block (docs/shared-memory.md); unlinks it on close().
    """
    def __init__(self, name: str, max_defenders: typing.SupportsInt | typing.SupportsIndex, max_receivers: typing.SupportsInt | typing.SupportsIndex, max_horizon: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def close(self) -> None:
        ...
    def write(self, frame_id: typing.SupportsInt | typing.SupportsIndex, time_us: typing.SupportsInt | typing.SupportsIndex, result_sequence: typing.SupportsInt | typing.SupportsIndex, tick_monotonic_ns: typing.SupportsInt | typing.SupportsIndex, flags: typing.SupportsInt | typing.SupportsIndex, phase: typing.SupportsInt | typing.SupportsIndex, target_index: typing.SupportsInt | typing.SupportsIndex, target_nfl_id: typing.SupportsInt | typing.SupportsIndex, pass_forward_frame: typing.SupportsInt | typing.SupportsIndex, pass_arrived_frame: typing.SupportsInt | typing.SupportsIndex, dt_s: typing.SupportsFloat | typing.SupportsIndex, ball_x: typing.SupportsFloat | typing.SupportsIndex, ball_y: typing.SupportsFloat | typing.SupportsIndex, defender_ids: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], receiver_ids: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], defender_xy: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], receiver_xy: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], mean: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], sigma: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], metric: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> None:
        ...
    @property
    def frames_written(self) -> int:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def size(self) -> int:
        ...
class ShmReader:
    """
    Reads the newest complete frame of a ghostedge shared-memory block (seqlock; never blocks the writer).
    """
    def __init__(self, name: str) -> None:
        ...
    def close(self) -> None:
        ...
    def read(self, max_tries: typing.SupportsInt | typing.SupportsIndex = 10000) -> typing.Any:
        ...
    @property
    def dims(self) -> tuple:
        ...
    @property
    def sequence(self) -> int:
        ...
    @property
    def size(self) -> int:
        ...
def build_pair_features(xy_hist: typing.Any, o_hist: typing.Any, ball_hist: typing.Any, is_offense: typing.Any, context: typing.Any, defenders: typing.Any, receivers: typing.Any, play_left: bool = False, mirror_y: bool = False, out: typing.Any = None, landing: typing.Any = None) -> tuple:
    """
    Model features for every defender x receiver pair of one frame.
    
    xy_hist float64 [H,N,2] (frames t-H+1..t, 3 <= H <= 11, raw field yards, NaN =
    missing), o_hist float64 [H,N] degrees (NaN = unknown), ball_hist float64 [H,2],
    is_offense uint8 [N], context float64 [6] (model frame), defenders/receivers int64
    player indices; landing float64 [R,3] (raw field x, y, seconds after t where the
    ball thrown to each receiver lands; None or a NaN row: estimated). Returns (out
    float32 [D,R,F], n_valid); invalid pairs are rows of NaN. Pass `out` to avoid
    allocation.
    """
def crc32c(data: typing.Any, crc: typing.SupportsInt | typing.SupportsIndex = 0) -> int:
    """
    CRC-32C of a bytes-like object; pass a previous result as `crc` to continue it.
    """
def crc32c_hardware() -> bool:
    """
    True when crc32c uses the CPU's CRC32 instruction (SSE4.2).
    """
def derived_tag_id(nfl_id: typing.SupportsInt | typing.SupportsIndex, role: typing.SupportsInt | typing.SupportsIndex) -> int:
    ...
def encode_packet(reads: numpy.ndarray, sequence: typing.SupportsInt | typing.SupportsIndex, capture_time_us: typing.SupportsInt | typing.SupportsIndex) -> bytes:
    """
    Encode one packet; ValueError on out-of-range reads or more than 1024 of them.
    """
def encode_packets(reads: numpy.ndarray, counts: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], sequences: typing.Annotated[numpy.typing.ArrayLike, numpy.uint32], capture_times_us: typing.Annotated[numpy.typing.ArrayLike, numpy.int64]) -> tuple[numpy.typing.NDArray[numpy.uint8], numpy.typing.NDArray[numpy.int64]]:
    """
    Encode many packets at once: packet i holds the next counts[i] reads. Returns the concatenated stream (uint8 array) and the packet offsets (int64, length k + 1).
    """
def filter_tracks(time_us: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], o: typing.Any = None, meas_sigma_yd: typing.SupportsFloat | typing.SupportsIndex = 0.03, o_sigma_deg: typing.SupportsFloat | typing.SupportsIndex = 5.0, is_ball: bool = False, max_speed_yps: typing.SupportsFloat | typing.SupportsIndex = 12.5, jerk_psd: typing.SupportsFloat | typing.SupportsIndex = 25.0, hold_time_s: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> dict:
    """
    Batch causal filter over [T, N] tracks (NaN = no measurement); returns a dict of arrays.
    """
def metric_batch(defender: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], receiver: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], lengths: typing.Any = None, params: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Composite metric of K trajectories: defender and receiver [K, T, 2] (float64), optional lengths [K] (frames used per row). Returns [K, 7] in the order of METRIC_FIELDS (NaN rows where undefined). See docs/metric.md.
    """
def metric_ghosts(start_xy: typing.Any, mean: typing.Any, receiver_xy: typing.Any, receiver_vel: typing.Any, step_dt: typing.SupportsFloat | typing.SupportsIndex, out: typing.Any, params: typing.Any = None) -> None:
    """
    Live metric of a frame's ghosts into out [D, R] (float64): ghost (d, r) = start_xy
    [D, 2] then mean [D, R, H, 2]; receiver r's path = receiver_xy[r] + k * step_dt *
    receiver_vel[r], k = 0..H. Same values as metric_batch on those paths.
    """
def model_outputs_to_field(mean_model: typing.Any, sigma_model: typing.Any, valid: typing.Any, start_xy: typing.Any, horizon: typing.SupportsInt | typing.SupportsIndex, play_left: bool, mirror_y: bool, mean_out: typing.Any, sigma_out: typing.Any) -> None:
    """
    Model outputs float32 [D*R, H_max, 2] (model-frame displacement, sigma) -> raw field
    yards float64 [D, R, H, 2] in mean_out / sigma_out: start_xy[d] + displacement * axis
    signs, and sigma; NaN where valid uint8 [D*R] is 0 or the start is not finite.
    """
def orientation_from_shoulders(dx: typing.SupportsFloat | typing.SupportsIndex, dy: typing.SupportsFloat | typing.SupportsIndex) -> float:
    """
    NGS orientation (deg) of a player whose left->right shoulder vector is (dx, dy)
    """
def read_header(data: typing.Any) -> typing.Any:
    """
    The header fields of the packet at the start of `data` as a dict (unvalidated), or None when `data` is shorter than a header or does not start with the magic.
    """
def right_shoulder_unit(o_deg: typing.SupportsFloat | typing.SupportsIndex) -> tuple[float, float]:
    """
    unit vector from a player's centre to his right shoulder
    """
def select_model_inputs(features: typing.Any, columns: typing.Any, inputs: typing.Any, valid: typing.Any) -> int:
    """
    Model input rows from pair features float32 [..., F]: inputs float32 [B, C] =
    features[:, columns]; rows with a non-finite selected value are zeroed and get
    valid uint8 [B] = 0. Writes into the given arrays; returns the number of valid rows.
    """
def smooth_capture(registry: TagRegistry, data: typing.Any, tick_times_us: typing.Any = None, rate_hz: typing.SupportsFloat | typing.SupportsIndex = 10.0, read_sigma_yd: typing.SupportsFloat | typing.SupportsIndex = 0.05555555555555555, shoulder_half_width_yd: typing.SupportsFloat | typing.SupportsIndex = 0.25, read_gate_yd: typing.SupportsFloat | typing.SupportsIndex = 0.6, max_speed_yps: typing.SupportsFloat | typing.SupportsIndex = 12.5, jerk_psd: typing.SupportsFloat | typing.SupportsIndex = 25.0, hold_time_s: typing.SupportsFloat | typing.SupportsIndex = 1.0, read_buffer_capacity: typing.SupportsInt | typing.SupportsIndex = 65536, delay_s: typing.SupportsFloat | typing.SupportsIndex = 0.1, player_smoother_jerk_psd: typing.SupportsFloat | typing.SupportsIndex = 5.0, ball_smoother_jerk_psd: typing.SupportsFloat | typing.SupportsIndex = 0.0, smoother_orientation_rate_psd: typing.SupportsFloat | typing.SupportsIndex = 2000.0, causal: bool = False) -> dict:
    """
    A whole capture (packet bytes, or a READ_DTYPE array of reads) through decode -> fuse -> causal filter (the live pipeline's code) -> two-sided smoother; returns a dict of [T, n_players + 1] arrays (players, then the ball), time_us, counters and rejected_reads (and the causal filter's own outputs under 'causal' with causal=True).
    """
def smooth_tracks(time_us: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], o: typing.Any = None, meas_sigma_yd: typing.SupportsFloat | typing.SupportsIndex = 0.03, o_sigma_deg: typing.SupportsFloat | typing.SupportsIndex = 5.0, is_ball: bool = False, max_speed_yps: typing.SupportsFloat | typing.SupportsIndex = 12.5, jerk_psd: typing.SupportsFloat | typing.SupportsIndex = 25.0, hold_time_s: typing.SupportsFloat | typing.SupportsIndex = 1.0, smoother_jerk_psd: typing.Any = None, smoother_orientation_rate_psd: typing.Any = None) -> dict:
    """
    filter_tracks followed by a two-sided (Rauch-Tung-Striebel) pass over every track; same arguments and outputs. smoother_*: process noise of the two-sided pass (None: the smoother's defaults; <= 0: the filter's own).
    """
BALL_TAG_ID: int = 1
CONSTANTS: dict = {'DT_S': 0.1, 'FIELD_LENGTH_YD': 120.0, 'FIELD_WIDTH_YD': 53.333333333333336, 'MAX_SPEED_YPS': 12.5, 'TOP_SPEED_YPS': 11.0}
DECODE_STAT_COUNTERS: tuple = ('bytes_fed', 'bytes_accepted', 'bytes_skipped', 'packets_ok', 'packets_bad_header', 'header_bad_version', 'header_bad_count', 'header_bad_reserved', 'header_bad_time', 'header_bad_length', 'packets_bad_crc', 'packets_truncated', 'packets_duplicate', 'packets_reordered', 'sequence_resets', 'packets_missing', 'records_ok', 'records_bad_tag', 'records_bad_time', 'records_bad_position', 'records_bad_reserved', 'reads_dropped_full')
FEATURE_HISTORY: int = 3
FEATURE_LANDING_ESTIMATE: dict = {'flight_start_s': 0.14, 'ball_ground_speed_yps': 14.5, 'min_flight_s': 0.1, 'max_flight_s': 5.0}
FEATURE_MAX_HISTORY: int = 11
FEATURE_NAMES: tuple = ('def_vx', 'def_vy', 'def_ax', 'def_ay', 'def_speed', 'def_accel_along', 'def_o_x', 'def_o_y', 'def_o_dot_motion', 'def_y', 'def_y_far', 'def_goal_dist', 'def_x_past_los', 'tgt_rel_x', 'tgt_rel_y', 'tgt_dist', 'tgt_rel_vx', 'tgt_rel_vy', 'tgt_vx', 'tgt_vy', 'tgt_ax', 'tgt_ay', 'tgt_closing_speed', 'tgt_y', 'ball_rel_x', 'ball_rel_y', 'ball_dist', 'ball_vx', 'ball_vy', 'ball_speed', 'ball_to_tgt_x', 'ball_to_tgt_y', 'ball_to_tgt_dist', 'ball_heading_to_tgt', 'nopp_rel_x', 'nopp_rel_y', 'nopp_dist', 'nopp_rel_vx', 'nopp_rel_vy', 'nmate_rel_x', 'nmate_rel_y', 'nmate_dist', 'tgt_dist_minus_help', 'ctx_down', 'ctx_yards_to_go', 'ctx_los_x', 'ctx_quarter', 'ctx_clock_s', 'ctx_score_margin', 'def_o_known', 'def_vx_m2', 'def_vy_m2', 'def_vx_m3', 'def_vy_m3', 'def_vx_m4', 'def_vy_m4', 'def_vx_m5', 'def_vy_m5', 'def_vx_m6', 'def_vy_m6', 'def_vx_m7', 'def_vy_m7', 'def_vx_m8', 'def_vy_m8', 'def_vx_m9', 'def_vy_m9', 'tgt_vx_m1', 'tgt_vy_m1', 'tgt_vx_m2', 'tgt_vy_m2', 'tgt_vx_m3', 'tgt_vy_m3', 'tgt_vx_m4', 'tgt_vy_m4', 'land_rel_x', 'land_rel_y', 'land_tgt_x', 'land_tgt_y', 'land_dist', 'land_t_s', 'land_given', 'land_est_rel_x', 'land_est_rel_y', 'land_est_tgt_x', 'land_est_tgt_y', 'land_est_dist', 'land_est_t_s')
FEATURE_NUM_CONTEXT: int = 6
FRAME_FLAGS: dict = {'SINGLE_TAG': 1, 'HELD': 2, 'LOST': 4, 'NEVER_SEEN': 8, 'SPEED_CAPPED': 16, 'REJECTED': 32, 'RESET': 64, 'NO_ORIENTATION': 128}
METRIC_FIELDS: tuple = ('value', 'closing', 'misdirection', 'proximity', 'effort', 'speed_penalty', 'relevance')
PIPELINE_DEFAULTS: dict = {'field_margin_yd': 10.0}
SHM_LAYOUT: dict = {'MAGIC': 1297302855, 'VERSION': 1, 'HEADER_SIZE': 256, 'FLAG_OK': 1}
WIRE_CRC_OFFSET: int = 24
WIRE_HEADER_SIZE: int = 32
WIRE_MAGIC: bytes
WIRE_MAX_PACKET_SIZE: int = 24608
WIRE_MAX_RECORDS: int = 1024
WIRE_RECORD_SIZE: int = 24
WIRE_SEQUENCE_WINDOW: int = 1024
WIRE_VERSION: int = 1
__version__: str = '0.1.0'
read_dtype: numpy.dtypes.VoidDType
