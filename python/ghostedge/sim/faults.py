"""Fault injection: what a stadium feed and a broadcast machine can throw at ghostedge.

Every fault the soak (``ghostedge soak``) and the tests inject is one :data:`FAULT_KINDS`
entry. Three levels:

* **packet stream** (the bytes between the hub and the engine): garbage between packets,
  truncated and bit-flipped packets, duplicated and reordered packets, a long packet loss,
  records whose integers are outside the format's ranges;
* **tag reads** (inside valid packets, CRC recomputed): the hub clock jumping forward or
  backward, a shoulder tag that dies, tags no roster knows, a player who walks off the field;
* **engine** (host side): NaN/Inf coordinates in an already-decoded frame (``push_frame``: the
  wire format is integer millimetres, so NaN/Inf cannot arrive on the wire), a missing or
  corrupt model file, inference slower than the frame period (:class:`SlowModel`).

The packet functions work on encoded packets (``bytes``) and return new bytes; they never
touch their input. Records are rewritten here rather than with :func:`ghostedge.wire.encode`
on purpose: the encoder refuses out-of-range values, and a fault injector has to write them.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ingest import wire

# One name per fault kind, in the order the soak cycles through them.
PACKET_FAULTS = (
    "garbage_bytes", "truncated_packet", "bit_flip", "duplicate_packet", "reordered_packets",
    "packet_loss_burst", "out_of_range_wire",
)
READ_FAULTS = (
    "clock_jump_forward", "clock_jump_backward", "tag_dies", "unknown_tags",
    "player_leaves_field",
)
ENGINE_FAULTS = ("nan_inf_frame", "model_missing", "model_corrupt", "slow_inference")
FAULT_KINDS = PACKET_FAULTS + READ_FAULTS + ENGINE_FAULTS

# Header layout (docs/wire-format.md): magic u32, version u8, flags u8, record_count u16,
# sequence u32, reserved u32, capture_time_us i64, crc32c u32, reserved2 u32. Parsed by the core
# (wire.read_header); packed here because faults build headers the encoder refuses to write.
_HEADER = struct.Struct("<4sBBHIIqII")
assert _HEADER.size == wire.HEADER_SIZE
#: One 24-byte record as it is on the wire (integers, before validation).
WIRE_RECORD_DTYPE = np.dtype([
    ("tag_id", "<u4"), ("blink_offset_us", "<i4"), ("x_mm", "<i4"), ("y_mm", "<i4"),
    ("z_mm", "<i4"), ("quality", "u1"), ("flags", "u1"), ("reserved", "<u2"),
])
assert WIRE_RECORD_DTYPE.itemsize == wire.RECORD_SIZE
MM_PER_YD = 914.4


def parse_fault_kinds(spec: str) -> tuple[str, ...]:
    """``all`` / ``none`` / a comma-separated list of kinds -> the kinds; ValueError names an
    unknown one."""
    spec = (spec or "").strip()
    if spec in ("", "none"):
        return ()
    if spec == "all":
        return FAULT_KINDS
    kinds = tuple(k.strip() for k in spec.split(",") if k.strip())
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {unknown}; choose from all, none or {', '.join(FAULT_KINDS)}")
    return kinds


# ---------------------------------------------------------------------------------------------
# Raw packet access


@dataclass
class RawPacket:
    """A packet taken apart into its header fields and its records (no validation)."""

    version: int
    flags: int
    sequence: int
    reserved: int
    capture_time_us: int
    reserved2: int
    records: np.ndarray  # WIRE_RECORD_DTYPE

    @classmethod
    def parse(cls, packet: bytes) -> RawPacket:
        h = wire.read_header(packet)
        if h is None:
            raise ValueError("not a ghostedge packet (too short or no magic)")
        count = h["record_count"]
        body = packet[wire.HEADER_SIZE:wire.HEADER_SIZE + count * wire.RECORD_SIZE]
        if len(body) != count * wire.RECORD_SIZE:
            raise ValueError(f"packet holds {len(body)} record bytes, header says {count} records")
        records = np.frombuffer(body, dtype=WIRE_RECORD_DTYPE).copy()
        return cls(h["version"], h["flags"], h["sequence"], h["reserved"], h["capture_time_us"],
                   h["reserved2"], records)

    def to_bytes(self) -> bytes:
        """The packet with a correct CRC (whatever the fields hold)."""
        if self.records.size > 0xFFFF:
            raise ValueError("a packet holds at most 65535 records even when corrupt")
        header = bytearray(_HEADER.pack(wire.WIRE_MAGIC, self.version, self.flags, int(self.records.size),
                                        self.sequence & 0xFFFFFFFF, self.reserved,
                                        self.capture_time_us, 0, self.reserved2))
        out = bytes(header) + self.records.astype(WIRE_RECORD_DTYPE, copy=False).tobytes()
        crc = wire.crc32c(out)
        return out[:wire.CRC_OFFSET] + struct.pack("<I", crc) + out[wire.CRC_OFFSET + 4:]

    def read_times_us(self) -> np.ndarray:
        return self.capture_time_us + self.records["blink_offset_us"].astype(np.int64)


def capture_time_of(packet: bytes) -> int:
    t = wire.packet_capture_time_us(packet)
    if t is None:
        raise ValueError("not a ghostedge packet (too short or no magic)")
    return t


# ---------------------------------------------------------------------------------------------
# Packet-stream faults


def garbage(rng: np.random.Generator, n: int) -> bytes:
    """n random bytes that hold no packet magic (so every one of them is skippable garbage)."""
    data = bytearray(rng.integers(0, 256, n, dtype=np.uint8).tobytes())
    # Break every 'G' that could start the magic: the decoder must skip all n bytes.
    for i, b in enumerate(data):
        if b == wire.WIRE_MAGIC[0]:
            data[i] = 0
    return bytes(data)


def truncate(packet: bytes, rng: np.random.Generator) -> bytes:
    """The packet cut short at a random point after its magic (a datagram lost mid-way)."""
    return packet[:int(rng.integers(len(wire.WIRE_MAGIC), len(packet)))]


def flip_bit(packet: bytes, rng: np.random.Generator) -> bytes:
    """One bit flipped anywhere after the magic (a flip inside the magic is just garbage)."""
    out = bytearray(packet)
    bit = int(rng.integers(len(wire.WIRE_MAGIC) * 8, len(packet) * 8))
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def out_of_range_record(packet: bytes, rng: np.random.Generator) -> tuple[bytes, int]:
    """One record's coordinate set to a value outside the format's window (a hub bug), CRC
    recomputed so that only the record check can catch it. Returns (packet, record index)."""
    raw = RawPacket.parse(packet)
    if raw.records.size == 0:
        raise ValueError("packet has no records")
    i = int(rng.integers(raw.records.size))
    field_name = ("x_mm", "y_mm", "z_mm")[int(rng.integers(3))]
    raw.records[field_name][i] = np.int32(2_000_000_000 if rng.random() < 0.5 else -2_000_000_000)
    return raw.to_bytes(), i


def shift_clock(packet: bytes, delta_us: int) -> bytes:
    """The packet as a hub whose clock is off by delta_us sends it (capture time and, with it,
    every blink time shift; CRC recomputed)."""
    raw = RawPacket.parse(packet)
    raw.capture_time_us += int(delta_us)
    return raw.to_bytes()


def map_records(packet: bytes, fn: Callable[[np.ndarray, np.ndarray], np.ndarray | None]) -> tuple[bytes, int]:
    """Rewrite a packet's records: ``fn(records, read_times_us)`` edits them in place and may
    return a keep-mask. Returns (new packet, records changed or dropped)."""
    raw = RawPacket.parse(packet)
    before = raw.records.copy()
    keep = fn(raw.records, raw.read_times_us())
    touched = raw.records != before
    if keep is not None:
        keep = np.asarray(keep, dtype=bool)
        touched |= ~keep
        raw.records = raw.records[keep]
    return raw.to_bytes(), int(np.count_nonzero(touched))


# ---------------------------------------------------------------------------------------------
# Engine-level faults


class SlowModel:
    """Wraps a model (``predict_frame``) and sleeps ``delay_s`` before each prediction while
    ``slow`` is set: inference slower than the frame period, switched on and off live.
    ``last_call`` keeps the (args, kwargs) of the latest call, so that a caller can rerun the
    model exactly as the engine called it."""

    def __init__(self, model: Any, delay_s: float = 0.3) -> None:
        self.model = model
        self.delay_s = float(delay_s)
        self.slow = False
        self.slow_calls = 0
        self.last_call: tuple[tuple, dict] | None = None
        self.providers = getattr(model, "providers", [])

    def predict_frame(self, *args, **kwargs):
        self.last_call = (args, kwargs)
        if self.slow:
            self.slow_calls += 1
            time.sleep(self.delay_s)
        return self.model.predict_frame(*args, **kwargs)


def corrupt_model_file(path, rng: np.random.Generator, size: int = 4096) -> None:
    """Write a file that looks like a model by name but is random bytes."""
    with open(path, "wb") as f:
        f.write(rng.integers(0, 256, size, dtype=np.uint8).tobytes())


def poison_frame(xy: np.ndarray, rng: np.random.Generator, n_players: int = 2) -> tuple[np.ndarray, int]:
    """A copy of an [N, 2] frame with NaN, +Inf or -Inf in one coordinate of some present
    players (finite x and y: a NaN pair means a missing player, so poisoning one would inject
    nothing). Returns (frame, number of players poisoned)."""
    out = np.array(xy, dtype=np.float64, copy=True)
    present = np.flatnonzero(np.isfinite(out).all(axis=1))
    k = min(n_players, present.size)
    slots = rng.choice(present, size=k, replace=False)
    values = np.array([np.nan, np.inf, -np.inf])
    out[slots, rng.integers(0, 2, k)] = values[rng.integers(0, 3, k)]
    return out, k


# ---------------------------------------------------------------------------------------------
# Bookkeeping


@dataclass
class FaultEvent:
    """One injected fault: what, when (game time), what it did, and whether the counters saw it."""

    kind: str
    start_us: int
    end_us: int
    play: str = ""
    injected: int = 1  # units the counter measures (bytes, packets, records, reads, frames)
    expected: dict = field(default_factory=dict)  # counter -> expected delta (exact or minimum)
    observed: dict = field(default_factory=dict)  # counter -> observed delta
    counted: bool = False
    recovery_error_yd: float | None = None  # ghost difference vs the clean run, 1 s after the end

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "play": self.play, "start_us": int(self.start_us),
            "end_us": int(self.end_us), "injected": int(self.injected),
            "expected": self.expected, "observed": self.observed, "counted": bool(self.counted),
            "recovery_error_yd": self.recovery_error_yd,
        }
