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
