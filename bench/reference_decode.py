"""A straightforward pure-Python/numpy decoder of the tag-read packet format
(docs/wire-format.md), the baseline that bench/bench_decode.py measures the C++ decoder against.

It does the same work as ``ghostedge::StreamDecoder`` on a whole stream (as if fed at once and
then ``finish()``-ed): magic search and resynchronisation, header checks, CRC-32C, duplicate /
reorder window, record checks, conversion to READ_DTYPE. tests/test_wire.py checks that both
give identical reads and counters. The CRC uses the linearity of CRC over GF(2): the CRC of an
L-byte message is the XOR of one table entry per byte (indexed by the byte's distance from the
end and its value), so one numpy gather and XOR-reduce per packet replaces the byte loop.
"""

from __future__ import annotations

import struct

import numpy as np

MAGIC = b"GETR"
HEADER = struct.Struct("<4sBBHIIqII")
HEADER_SIZE, RECORD_SIZE, MAX_RECORDS = 32, 24, 1024
MAX_PACKET = HEADER_SIZE + RECORD_SIZE * MAX_RECORDS
WINDOW = 1024
MAX_OFFSET_US = 10_000_000
X_MM, Y_MM, Z_MM = (-45_720, 155_448), (-45_720, 91_440), (-9_144, 54_864)
CAPTURE_US = (0, 4_102_444_800_000_000)

RECORD_DTYPE = np.dtype([("tag_id", "<u4"), ("offset", "<i4"), ("x", "<i4"), ("y", "<i4"),
                         ("z", "<i4"), ("quality", "u1"), ("flags", "u1"), ("reserved", "<u2")])
READ_DTYPE = np.dtype({"names": ["time_us", "tag_id", "x", "y", "z", "quality"],
                       "formats": ["<i8", "<u4", "<f4", "<f4", "<f4", "u1"],
                       "offsets": [0, 8, 12, 16, 20, 24], "itemsize": 32})

_tables: tuple[np.ndarray, np.ndarray] | None = None


def _crc_tables() -> tuple[np.ndarray, np.ndarray]:
    """contrib[k, b]: CRC register after byte b then k zero bytes, from a zero register;
    from_init[L]: register after L zero bytes from the initial 0xFFFFFFFF."""
    global _tables
    if _tables is None:
        poly = np.uint32(0x82F63B78)
        t = np.arange(256, dtype=np.uint32)
        for _ in range(8):
            t = np.where(t & 1, (t >> 1) ^ poly, t >> 1).astype(np.uint32)
        contrib = np.empty((MAX_PACKET, 256), np.uint32)
        from_init = np.empty(MAX_PACKET + 1, np.uint32)
        contrib[0] = t
        reg = np.uint32(0xFFFFFFFF)
        from_init[0] = reg
        for k in range(1, MAX_PACKET + 1):
            reg = (reg >> np.uint32(8)) ^ t[reg & 0xFF]
            from_init[k] = reg
            if k < MAX_PACKET:
                prev = contrib[k - 1]
                contrib[k] = (prev >> 8) ^ t[prev & 0xFF]
        _tables = (contrib, from_init)
    return _tables


def crc32c(data: np.ndarray) -> int:
    """CRC-32C of a uint8 array."""
    contrib, from_init = _crc_tables()
    n = len(data)
    reg = np.bitwise_xor.reduce(contrib[np.arange(n - 1, -1, -1), data]) if n else np.uint32(0)
    return int(reg ^ from_init[n]) ^ 0xFFFFFFFF


def decode(data) -> tuple[np.ndarray, dict]:
    """Decode a complete stream; returns (reads as READ_DTYPE, counters by name)."""
    _crc_tables()
    raw = bytes(data)
    buf = np.frombuffer(raw, np.uint8)
    n = len(raw)
    s = dict.fromkeys(
        ["bytes_accepted", "bytes_skipped", "packets_ok", "packets_bad_header",
         "header_bad_version", "header_bad_count", "header_bad_reserved", "header_bad_time",
         "packets_bad_crc", "packets_truncated", "packets_duplicate", "packets_reordered",
         "sequence_resets", "records_ok", "records_bad_tag", "records_bad_time",
         "records_bad_position", "records_bad_reserved"], 0)
    window: dict[int, tuple[int, int]] = {}  # slot -> (sequence, crc)
    newest = None
    chunks, captures = [], []
    pos = 0
    while pos < n:
        j = raw.find(MAGIC, pos)
        if j < 0:
            s["bytes_skipped"] += n - pos
            break
        s["bytes_skipped"] += j - pos
        pos = j
        if n - j < HEADER_SIZE:
            s["packets_truncated"] += 1
            s["bytes_skipped"] += 1
            pos += 1
            continue
        _, version, flags, count, seq, res, capture, crc, res2 = HEADER.unpack_from(raw, j)
        reason = None
        if version != 1:
            reason = "header_bad_version"
        elif count > MAX_RECORDS:
            reason = "header_bad_count"
        elif flags or res or res2:
            reason = "header_bad_reserved"
        elif not CAPTURE_US[0] <= capture < CAPTURE_US[1]:
            reason = "header_bad_time"
        if reason:
            s[reason] += 1
            s["packets_bad_header"] += 1
            s["bytes_skipped"] += 1
            pos += 1
            continue
        size = HEADER_SIZE + RECORD_SIZE * count
        if n - j < size:
            s["packets_truncated"] += 1
            s["bytes_skipped"] += 1
            pos += 1
            continue
        packet = buf[j:j + size].copy()
        packet[24:28] = 0
        if crc32c(packet) != crc:
            s["packets_bad_crc"] += 1
            s["bytes_skipped"] += 1
            pos += 1
            continue
        s["bytes_accepted"] += size
        pos += size
        # Duplicate / reorder window, as in the C++ decoder.
        slot = seq % WINDOW
        if newest is None:
            distance = 1
        else:
            distance = (seq - newest) % 2**32
            if distance >= 2**31:
                distance -= 2**32
        if newest is not None and window.get(slot) == (seq, crc) and distance > -WINDOW:
            s["packets_duplicate"] += 1
            continue
        if distance > 0:
            newest = seq
        elif distance > -WINDOW:
            s["packets_reordered"] += 1
        else:
            s["sequence_resets"] += 1
            window.clear()
            newest = seq
        window[slot] = (seq, crc)
        s["packets_ok"] += 1
        chunks.append(np.frombuffer(raw, RECORD_DTYPE, count, j + HEADER_SIZE))
        captures.append(np.full(count, capture, np.int64))

    if not chunks:
        return np.empty(0, READ_DTYPE), s
    rec = np.concatenate(chunks)
    capture = np.concatenate(captures)
    bad_tag = rec["tag_id"] == 0
    bad_time = ~bad_tag & (np.abs(rec["offset"].astype(np.int64)) > MAX_OFFSET_US)
    in_window = ((rec["x"] >= X_MM[0]) & (rec["x"] <= X_MM[1]) & (rec["y"] >= Y_MM[0])
                 & (rec["y"] <= Y_MM[1]) & (rec["z"] >= Z_MM[0]) & (rec["z"] <= Z_MM[1]))
    bad_pos = ~bad_tag & ~bad_time & ~in_window
    bad_res = ~bad_tag & ~bad_time & ~bad_pos & ((rec["flags"] != 0) | (rec["reserved"] != 0))
    ok = ~(bad_tag | bad_time | bad_pos | bad_res)
    s["records_bad_tag"] = int(bad_tag.sum())
    s["records_bad_time"] = int(bad_time.sum())
    s["records_bad_position"] = int(bad_pos.sum())
    s["records_bad_reserved"] = int(bad_res.sum())
    s["records_ok"] = int(ok.sum())
    good = rec[ok]
    out = np.zeros(len(good), READ_DTYPE)
    out["time_us"] = capture[ok] + good["offset"]
    out["tag_id"] = good["tag_id"]
    for axis in ("x", "y", "z"):
        out[axis] = (good[axis].astype(np.float64) * (1.0 / 914.4)).astype(np.float32)
    out["quality"] = good["quality"]
    return out, s
