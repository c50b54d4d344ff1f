"""The tag-read packet format (docs/wire-format.md): encoder, streaming decoder, capture files.

Reads are numpy structured arrays of :data:`READ_DTYPE` (the C++ ``ghostedge::TagRead``):
``time_us`` (int64, UTC µs), ``tag_id`` (uint32, never 0), ``x``, ``y``, ``z`` (float32 yards,
NGS field coordinates) and ``quality`` (uint8). The work happens in the compiled core; bytes
and numpy buffers go in without copies and the GIL is released while decoding.

A capture file is simply packets concatenated, as they came off the wire; it has no header
of its own, so ``cat a.getr b.getr`` is a valid capture and garbage or damage inside it costs
only the packets it touches.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np

from .. import _core

#: numpy dtype of one tag read; same layout as the C++ struct (32 bytes, padding after quality).
#: numpy 2 drops the padding when concatenating structured arrays: pass ``dtype=READ_DTYPE``
#: to ``np.concatenate`` to keep arrays usable by the compiled core without a copy.
READ_DTYPE: np.dtype = _core.read_dtype

WIRE_MAGIC: bytes = _core.WIRE_MAGIC  # b"GETR": the first four bytes of every packet
VERSION: int = _core.WIRE_VERSION
HEADER_SIZE: int = _core.WIRE_HEADER_SIZE
RECORD_SIZE: int = _core.WIRE_RECORD_SIZE
MAX_RECORDS: int = _core.WIRE_MAX_RECORDS
MAX_PACKET_SIZE: int = _core.WIRE_MAX_PACKET_SIZE
CRC_OFFSET: int = _core.WIRE_CRC_OFFSET  # header offset of the crc32c field
#: Names of the decoder's counters, in the order :meth:`Decoder.stats` lists them.
STAT_COUNTERS: tuple[str, ...] = _core.DECODE_STAT_COUNTERS

BytesLike = bytes | bytearray | memoryview | np.ndarray

_CAPTURE_CHUNK = 16 << 20


def as_reads(reads) -> np.ndarray:
    """Return ``reads`` as a C-contiguous 1-D array of READ_DTYPE (no copy when it already is).

    Accepts any structured array with (at least) the READ_DTYPE field names, e.g. a packed
    dtype without the padding; fields are converted with numpy's casting rules."""
    arr = np.asarray(reads)
    if arr.dtype == READ_DTYPE:
        arr = np.ascontiguousarray(arr)
    else:
        names = arr.dtype.names or ()
        missing = [n for n in READ_DTYPE.names if n not in names]
        if missing:
            raise ValueError(f"reads need the fields {READ_DTYPE.names}; missing {missing}")
        converted = np.empty(arr.shape, READ_DTYPE)
        for name in READ_DTYPE.names:
            converted[name] = arr[name]
        arr = converted
    if arr.ndim != 1:
        raise ValueError(f"reads must be 1-D, got shape {arr.shape}")
    return arr


def encode(reads, sequence: int, capture_time_us: int) -> bytes:
    """Encode one packet of at most 1024 reads.

    ``sequence`` is the sender's packet counter (wraps at 2**32); ``capture_time_us`` is when
    the hub emitted the packet (UTC µs, 1970..2100); each read's ``time_us`` must be within
    10 s of it. Coordinates are stored to the nearest millimetre. Raises ValueError on a read
    outside the format's ranges (the message names the read); nothing is clamped."""
    return _core.encode_packet(as_reads(reads), _sequence(sequence), int(capture_time_us))


def encode_packets(packets: Iterable[tuple[int, int, np.ndarray]]) -> list[bytes]:
    """Encode ``(sequence, capture_time_us, reads)`` triples; one ``bytes`` per packet."""
    return [encode(reads, seq, t) for seq, t, reads in packets]


def encode_batch(reads, counts, sequences, capture_times_us) -> tuple[np.ndarray, np.ndarray]:
    """Encode many packets in one call (for simulators): packet ``i`` holds the next
    ``counts[i]`` reads. Returns ``(stream, offsets)``: the concatenated packets as a uint8
    array, and int64 offsets of length ``len(counts) + 1`` so that packet ``i`` is
    ``stream[offsets[i]:offsets[i + 1]]``. ValueError names the packet and read at fault."""
    sequences = np.asarray(sequences)
    if sequences.size and (sequences.min() < 0 or sequences.max() > 0xFFFFFFFF):
        raise ValueError("sequences must be in [0, 2**32)")
    return _core.encode_packets(
        as_reads(reads),
        np.asarray(counts, dtype=np.int64),
        sequences.astype(np.uint32),
        np.asarray(capture_times_us, dtype=np.int64),
    )


def _sequence(sequence: int) -> int:
    sequence = int(sequence)
    if not 0 <= sequence <= 0xFFFFFFFF:
        raise ValueError(f"sequence {sequence} outside [0, 2**32)")
    return sequence


class Decoder:
    """Streaming decoder for one sender's packets (sequence numbers are per sender).

    Feed it byte chunks of any size - file reads, UDP datagrams, a packet split anywhere.
    It finds packets by their magic, skips garbage, validates every field and the CRC, drops
    exact duplicates (same sequence number and CRC within the last 1024 sequence numbers),
    accepts late packets (counted as reordered) and counts every rejection by reason (see
    :meth:`stats`). Bytes of an incomplete packet at the end of a chunk wait for the next one.
    Not for concurrent use: one Decoder per thread.
    """

    def __init__(self) -> None:
        self._core = _core.WireDecoder()

    def feed(self, data: BytesLike) -> np.ndarray:
        """Decode a chunk; returns the valid reads of every packet it completed (READ_DTYPE).

        ``data``: bytes, bytearray, memoryview, mmap or a C-contiguous uint8/int8 numpy array,
        read in place (no copy)."""
        return self._core.feed(data)

    def feed_into(self, data: BytesLike, out: np.ndarray) -> int:
        """Allocation-free variant for the live engine: writes the reads into ``out`` (a 1-D
        C-contiguous READ_DTYPE array the caller owns) and returns how many were written.

        Reads that do not fit are dropped and counted in ``stats()["reads_dropped_full"]``
        (they are not kept for the next call: holding them would need unbounded memory).
        ``out`` never overflows when ``len(out) >= self.max_reads(len(data))``."""
        return self._core.feed_into(data, out)

    def finish(self) -> np.ndarray:
        """End of stream: decodes what is still buffered, counts an incomplete packet there as
        ``packets_truncated`` and returns the reads. The decoder can then take a new stream."""
        return self._core.finish()

    def max_reads(self, nbytes: int) -> int:
        """Most reads that feeding ``nbytes`` more bytes can produce (buffered bytes included)."""
        return self._core.max_reads(int(nbytes))

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a packet (< MAX_PACKET_SIZE)."""
        return self._core.buffered

    def stats(self) -> dict[str, int]:
        """Counters since creation or :meth:`reset`, by name (see docs/wire-format.md).
        ``bytes_fed == bytes_accepted + bytes_skipped + buffered`` always holds."""
        return self._core.stats()

    def reset(self) -> None:
        """Forget buffered bytes, the duplicate window and the counters."""
        self._core.reset()


def write_capture(path: str | os.PathLike, packets: Iterable[BytesLike]) -> int:
    """Write packets (bytes-like, e.g. from :func:`encode` or slices of :func:`encode_batch`'s
    stream) to a capture file, concatenated; returns the number of bytes written."""
    total = 0
    with open(path, "wb") as f:
        for packet in packets:
            total += f.write(packet)
    return total


def read_capture(path: str | os.PathLike, *, with_stats: bool = False):
    """Decode a whole capture file; returns the reads (READ_DTYPE), or ``(reads, stats)`` with
    ``with_stats=True``. Damage in the file is skipped and counted, never fatal."""
    decoder = Decoder()
    parts = []
    buf = bytearray(_CAPTURE_CHUNK)
    view = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            parts.append(decoder.feed(view[:n]))
    parts.append(decoder.finish())
    reads = np.concatenate(parts, dtype=READ_DTYPE)
    return (reads, decoder.stats()) if with_stats else reads


def crc32c(data: BytesLike, crc: int = 0) -> int:
    """CRC-32C (Castagnoli) of a bytes-like object; pass a previous result to continue it."""
    return _core.crc32c(data, crc)


def read_header(data: BytesLike) -> dict | None:
    """The header fields of the packet at the start of ``data`` (version, flags, record_count,
    sequence, reserved, capture_time_us, crc32c, reserved2; unvalidated), or None when ``data``
    is shorter than a header or does not start with :data:`WIRE_MAGIC`. Parsed by the core."""
    return _core.read_header(data)


def packet_capture_time_us(data: BytesLike) -> int | None:
    """capture_time_us of the packet at the start of ``data``, or None when there is none."""
    header = _core.read_header(data)
    return None if header is None else int(header["capture_time_us"])
