"""OSC 1.0 encoding (opensoundcontrol.org spec 1.0): big-endian, every item padded to 4 bytes."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import numpy as np

NTP_EPOCH_OFFSET_S = 2208988800  # seconds from 1900-01-01 (NTP/OSC epoch) to 1970-01-01


def _osc_string(text: str) -> bytes:
    raw = text.encode("utf-8") + b"\0"
    return raw + b"\0" * (-len(raw) % 4)


def _osc_blob(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data + b"\0" * (-len(data) % 4)


def osc_message(address: str, args: Sequence = ()) -> bytes:
    """One OSC message. Python ints -> ``i`` (int32), floats -> ``f`` (float32), str -> ``s``,
    bytes -> ``b``. Only the OSC 1.0 core types, so that every OSC library parses it."""
    if not address.startswith("/"):
        raise ValueError(f"OSC address must start with '/': {address!r}")
    tags = [","]
    payload = []
    for a in args:
        if isinstance(a, (bool, np.bool_)):
            a = int(a)
        if isinstance(a, (int, np.integer)):
            v = int(a)
            if not -(2**31) <= v < 2**31:
                raise ValueError(f"OSC int32 out of range: {v}")
            tags.append("i")
            payload.append(struct.pack(">i", v))
        elif isinstance(a, (float, np.floating)):
            tags.append("f")
            payload.append(struct.pack(">f", float(a)))
        elif isinstance(a, str):
            tags.append("s")
            payload.append(_osc_string(a))
        elif isinstance(a, (bytes, bytearray)):
            tags.append("b")
            payload.append(_osc_blob(bytes(a)))
        else:
            raise TypeError(f"no OSC type for {type(a).__name__}")
    return _osc_string(address) + _osc_string("".join(tags)) + b"".join(payload)


def _osc_float_array(tag_count: int, values: np.ndarray) -> tuple[str, bytes]:
    """Fast path for many float32 args: tags and big-endian payload in one go."""
    return "f" * tag_count, np.ascontiguousarray(values, dtype=">f4").tobytes()


def osc_float_message(address: str, ints: Sequence[int], floats: np.ndarray) -> bytes:
    """An OSC message ``address ,i..if..f`` (ints first, then the float32 array, flattened)."""
    flat = np.asarray(floats, dtype=np.float64).ravel()
    ftags, fbytes = _osc_float_array(flat.size, flat)
    ibytes = b"".join(struct.pack(">i", int(v)) for v in ints)
    return _osc_string(address) + _osc_string("," + "i" * len(ints) + ftags) + ibytes + fbytes


def osc_timetag(time_us: int | None) -> bytes:
    """OSC/NTP 64-bit timetag for a UTC time in microseconds; None -> 1 ("immediately")."""
    if time_us is None or time_us <= 0:
        return struct.pack(">Q", 1)
    seconds, micros = divmod(int(time_us), 1_000_000)
    frac = (micros << 32) // 1_000_000
    return struct.pack(">II", (seconds + NTP_EPOCH_OFFSET_S) & 0xFFFFFFFF, frac)


def osc_bundles(elements: Iterable[bytes], time_us: int | None,
                max_size: int) -> list[bytes]:
    """Pack OSC messages into as few bundles as fit ``max_size`` each (same timetag on all)."""
    head = _osc_string("#bundle") + osc_timetag(time_us)
    bundles: list[bytes] = []
    parts: list[bytes] = [head]
    size = len(head)
    for el in elements:
        item = struct.pack(">i", len(el)) + el
        if len(head) + len(item) > max_size:
            raise ValueError(f"OSC message of {len(el)} bytes does not fit a {max_size}-byte bundle")
        if size + len(item) > max_size:
            bundles.append(b"".join(parts))
            parts, size = [head], len(head)
        parts.append(item)
        size += len(item)
    if len(parts) > 1:
        bundles.append(b"".join(parts))
    return bundles
