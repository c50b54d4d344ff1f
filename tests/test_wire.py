"""Tag-read packet format: encoder/decoder round trips, damaged streams, buffers, counters."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghostedge.ingest import wire
from ghostedge.ingest.wire import READ_DTYPE, Decoder

T0 = 1_546_300_800_000_000  # 2019-01-01T00:00:00Z in µs
MM = 1 / 914.4  # yards per millimetre
REPO = Path(__file__).resolve().parents[1]


def make_reads(rng: np.random.Generator, n: int, capture: int = T0) -> np.ndarray:
    r = np.zeros(n, READ_DTYPE)
    r["time_us"] = capture + rng.integers(-10_000_000, 10_000_001, n)
    r["tag_id"] = rng.integers(1, 2**32, n, dtype=np.uint32)
    r["x"] = rng.uniform(-50, 170, n)
    r["y"] = rng.uniform(-50, 100, n)
    r["z"] = rng.uniform(-10, 60, n)
    r["quality"] = rng.integers(0, 256, n)
    return r


def assert_same_reads(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == READ_DTYPE
    assert len(got) == len(want)
    for name in ("time_us", "tag_id", "quality"):
        np.testing.assert_array_equal(got[name], want[name])
    for name in ("x", "y", "z"):  # stored to the nearest mm
        np.testing.assert_allclose(got[name], want[name], rtol=0, atol=0.5 * MM + 1e-5)


def stream_of(rng, sizes, first_seq=0, capture0=T0):
    packets, reads = [], []
    for i, n in enumerate(sizes):
        capture = capture0 + i * 40_000
        r = make_reads(rng, n, capture)
        packets.append(wire.encode(r, (first_seq + i) % 2**32, capture))
        reads.append(r)
    return packets, np.concatenate(reads, dtype=READ_DTYPE) if reads else np.empty(0, READ_DTYPE)


def decode_chunks(data: bytes, cuts) -> tuple[np.ndarray, dict]:
    dec = Decoder()
    bounds = [0, *sorted(cuts), len(data)]
    parts = [dec.feed(data[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    parts.append(dec.finish())
    stats = dec.stats()
    assert stats["bytes_fed"] == stats["bytes_accepted"] + stats["bytes_skipped"] + dec.buffered
    return np.concatenate(parts, dtype=READ_DTYPE), stats


# ---------------------------------------------------------------- dtype, layout, CRC


def test_read_dtype_matches_the_struct():
    assert READ_DTYPE.names == ("time_us", "tag_id", "x", "y", "z", "quality")
    assert READ_DTYPE.itemsize == 32
    assert [READ_DTYPE.fields[n][1] for n in READ_DTYPE.names] == [0, 8, 12, 16, 20, 24]
    assert [READ_DTYPE.fields[n][0] for n in READ_DTYPE.names] == [
        np.dtype("<i8"), np.dtype("<u4"), np.dtype("<f4"), np.dtype("<f4"), np.dtype("<f4"),
        np.dtype("u1")]


def test_crc32c_check_value():
    assert wire.crc32c(b"123456789") == 0xE3069283
    assert wire.crc32c(b"6789", wire.crc32c(b"12345")) == 0xE3069283
    assert wire.crc32c(np.frombuffer(b"123456789", np.uint8)) == 0xE3069283


def test_packet_layout_by_hand():
    r = np.zeros(1, READ_DTYPE)
    r[0] = (T0 - 7, 42, 10.0, 20.0, 1.0, 200)
    p = wire.encode(r, 0xDEADBEEF, T0)
    assert len(p) == 32 + 24
    magic, version, flags, count, seq, res, capture, crc, res2 = struct.unpack_from(
        "<4sBBHIIqII", p)
    assert (magic, version, flags, count, seq, res, capture, res2) == (
        b"GETR", 1, 0, 1, 0xDEADBEEF, 0, T0, 0)
    assert crc == wire.crc32c(p[:24] + b"\0" * 4 + p[28:])
    assert struct.unpack_from("<IiiiiBBH", p, 32) == (42, -7, 9144, 18288, 914, 200, 0, 0)


# ---------------------------------------------------------------- round trips


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 40), min_size=0, max_size=12),
    seed=st.integers(0, 2**32 - 1),
    first_seq=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_round_trip_any_chunking(sizes, seed, first_seq, data):
    rng = np.random.default_rng(seed)
    packets, want = stream_of(rng, sizes, first_seq)
    stream = b"".join(packets)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=20))
    got, stats = decode_chunks(stream, cuts)
    assert_same_reads(got, want)
    assert stats["packets_ok"] == len(sizes)
    assert stats["bytes_skipped"] == 0
    assert stats["packets_duplicate"] == 0


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(-50, 170, width=32), y=st.floats(-50, 100, width=32),
    z=st.floats(-10, 60, width=32), offset=st.integers(-10_000_000, 10_000_000),
    tag=st.integers(1, 2**32 - 1), quality=st.integers(0, 255),
)
def test_round_trip_single_read_edges(x, y, z, offset, tag, quality):
    r = np.zeros(1, READ_DTYPE)
    r[0] = (T0 + offset, tag, x, y, z, quality)
    got = Decoder().feed(wire.encode(r, 1, T0))
    assert_same_reads(got, r)
    # Decoding is exact on the mm grid: re-encoding a decoded read gives the same bytes.
    assert wire.encode(got, 1, T0) == wire.encode(r, 1, T0)


def test_encode_batch_matches_single_packets():
    rng = np.random.default_rng(4)
    counts = [3, 0, 17, 1024, 5]
    reads = np.concatenate([make_reads(rng, n, T0 + i) for i, n in enumerate(counts)],
                           dtype=READ_DTYPE)
    seqs = [7, 8, 2**32 - 1, 0, 1]
    captures = [T0 + i for i in range(len(counts))]
    stream, offsets = wire.encode_batch(reads, counts, seqs, captures)
    assert stream.dtype == np.uint8 and offsets[0] == 0 and offsets[-1] == len(stream)
    starts = np.concatenate([[0], np.cumsum(counts)])
    for i in range(len(counts)):
        single = wire.encode(reads[starts[i]:starts[i + 1]], seqs[i], captures[i])
        assert stream[offsets[i]:offsets[i + 1]].tobytes() == single
    assert wire.encode_packets(zip(seqs, captures, np.split(reads, starts[1:-1]))) == [
        stream[offsets[i]:offsets[i + 1]].tobytes() for i in range(len(counts))]
    assert_same_reads(Decoder().feed(stream), reads)


def test_packed_and_foreign_dtypes_are_converted():
    rng = np.random.default_rng(5)
    r = make_reads(rng, 10)
    packed = np.zeros(10, [("tag_id", "<u8"), ("time_us", "<i8"), ("x", "<f8"), ("y", "<f8"),
                           ("z", "<f8"), ("quality", "<i2"), ("extra", "<f4")])
    for name in READ_DTYPE.names:
        packed[name] = r[name]
    assert wire.encode(packed, 1, T0) == wire.encode(r, 1, T0)
    with pytest.raises(ValueError, match="missing"):
        wire.encode(np.zeros(3, [("x", "f4")]), 1, T0)


# ---------------------------------------------------------------- encoder errors


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("tag_id", 0, "tag_id is 0"),
        ("time_us", T0 + 10_000_001, "10 s"),
        ("x", 170.5, "x outside"),
        ("x", np.nan, "x outside"),
        ("y", -50.5, "y outside"),
        ("z", np.inf, "z outside"),
    ],
)
def test_encode_rejects_out_of_range(field, value, message):
    r = make_reads(np.random.default_rng(1), 4)
    r[2][field] = value
    with pytest.raises(ValueError, match=rf"read 2 .*{message}"):
        wire.encode(r, 1, T0)


def test_encode_rejects_bad_packet_arguments():
    r = make_reads(np.random.default_rng(2), 1025)
    with pytest.raises(ValueError, match="more than 1024"):
        wire.encode(r, 1, T0)
    with pytest.raises(ValueError, match="capture_time_us"):
        wire.encode(r[:1], 1, -5)
    with pytest.raises(ValueError, match="sequence"):
        wire.encode(r[:1], 2**32, T0)
    with pytest.raises(ValueError, match="sum to"):
        wire.encode_batch(r[:3], [1, 1], [0, 1], [T0, T0])
    with pytest.raises(ValueError, match="packet 1: read 0"):
        bad = r[:3].copy()
        bad["tag_id"][1] = 0
        wire.encode_batch(bad, [1, 2], [0, 1], [T0, T0])


# ---------------------------------------------------------------- damaged streams


def test_garbage_before_between_after():
    rng = np.random.default_rng(6)
    packets, want = stream_of(rng, [5, 0, 9, 30])
    junk = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (1000, 3, 77, 500)]
    junk[2] = junk[2][:20] + b"GETR" + junk[2][24:]  # a false magic
    stream = b"".join([junk[0], packets[0], packets[1], junk[1], packets[2], junk[2], packets[3],
                       junk[3]])
    for cuts in ([], list(range(0, len(stream), 7)), [1, 2, 3, 1040]):
        got, stats = decode_chunks(stream, cuts)
        assert_same_reads(got, want)
        assert stats["packets_ok"] == 4
        assert stats["bytes_skipped"] == sum(map(len, junk))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_random_damage_never_invents_reads(seed, data):
    """Flip, delete and insert bytes anywhere: every read that comes out is one that went in,
    each undamaged packet is still decoded, and the counters add up."""
    rng = np.random.default_rng(seed)
    packets, _ = stream_of(rng, rng.integers(0, 20, 8).tolist())
    damaged_ix = set(data.draw(st.sets(st.integers(0, 7), max_size=4)))
    pieces = []
    for i, p in enumerate(packets):
        p = bytearray(p)
        if i in damaged_ix:
            kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
            at = data.draw(st.integers(0, len(p) - 1))
            if kind == "flip":
                p[at] ^= 1 << data.draw(st.integers(0, 7))
            elif kind == "cut":
                del p[at:]
            else:
                p[at:at] = rng.integers(0, 256, 5, dtype=np.uint8).tobytes()
        pieces.append(bytes(p))
    stream = b"".join(pieces)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    got, stats = decode_chunks(stream, cuts)
    # A packet is intact when its bytes still appear whole: bytes inserted before it (at 0, or
    # at 1 when they end in the magic's first byte, found with seed 24333) are only junk.
    clean = [i for i in range(8) if packets[i] in pieces[i]]
    want = Decoder().feed(b"".join(packets[i] for i in clean))
    # The clean packets' reads all come out, in order, and nothing else does.
    assert_same_reads(got, want)
    assert stats["packets_ok"] == len(clean)


def test_truncated_stream_counted_at_finish():
    rng = np.random.default_rng(7)
    packets, want = stream_of(rng, [4, 6])
    dec = Decoder()
    out = dec.feed(packets[0] + packets[1][:-3])
    assert_same_reads(out, want[:4])
    assert dec.buffered == len(packets[1]) - 3
    assert len(dec.finish()) == 0
    s = dec.stats()
    assert s["packets_truncated"] == 1 and s["packets_ok"] == 1 and dec.buffered == 0


def test_bit_flip_caught_by_crc():
    rng = np.random.default_rng(8)
    p = bytearray(wire.encode(make_reads(rng, 3), 1, T0))
    p[60] ^= 0x04
    dec = Decoder()
    assert len(dec.feed(p)) == 0
    assert dec.stats()["packets_bad_crc"] == 1


def test_corrupt_record_count_releases_the_packets_behind_it():
    """A header whose record_count was corrupted upward: the good packets inside its claimed
    span come out as they arrive, and the counters do not depend on the chunking."""
    rng = np.random.default_rng(21)
    packets, want = stream_of(rng, [45] * 12)
    bad = bytearray(packets[0])
    struct.pack_into("<H", bad, 6, 45 | 0x200)  # one flipped high bit: claims 557 records
    dec = Decoder()
    assert len(dec.feed(bytes(bad))) == 0  # could still be genuine: wait for more
    assert dec.buffered == len(bad)
    first = dec.feed(packets[1])  # complete, CRC-valid, inside the span: the count is wrong
    assert_same_reads(first, want[45:90])
    s = dec.stats()
    assert s["header_bad_length"] == 1 and s["packets_bad_header"] == 1 and s["packets_bad_crc"] == 0
    assert s["bytes_skipped"] == len(bad)
    stream = bytes(bad) + b"".join(packets[1:])
    whole, whole_stats = decode_chunks(stream, [])
    assert_same_reads(whole, want[45:])
    for cuts in ([len(bad) + 7, len(bad) + 500, 3000], list(range(1, len(stream), 97))):
        got, stats = decode_chunks(stream, cuts)
        assert stats == whole_stats
        assert_same_reads(got, want[45:])


def test_corrupt_count_with_damaged_packet_behind_still_resolves():
    """The first packet inside the span is damaged too: the next good one proves the count
    wrong; a span holding no good packet waits for its CRC as before."""
    rng = np.random.default_rng(22)
    packets, want = stream_of(rng, [10] * 6)
    bad = bytearray(packets[0])
    struct.pack_into("<H", bad, 6, 300)
    damaged = bytearray(packets[1])
    damaged[40] ^= 0x10
    dec = Decoder()
    out = [dec.feed(bytes(bad)), dec.feed(bytes(damaged)), dec.feed(packets[2])]
    assert [len(o) for o in out] == [0, 0, 10]
    s = dec.stats()
    assert s["header_bad_length"] == 1 and s["packets_bad_crc"] == 1
    lone = Decoder()
    assert len(lone.feed(bytes(bad) + b"\x00" * 100)) == 0 and lone.buffered == len(bad) + 100
    lone.finish()
    assert lone.stats()["packets_truncated"] == 1 and lone.stats()["header_bad_length"] == 0


def test_packets_missing_counts_net_gaps():
    rng = np.random.default_rng(23)
    packets, _ = stream_of(rng, [1] * 12, first_seq=2**32 - 3)  # wraps 2^32-1 -> 0
    dec = Decoder()
    dec.feed(b"".join(packets[i] for i in (0, 1, 4, 5, 9)))  # 2, 3 and 6, 7, 8 lost
    assert dec.stats()["packets_missing"] == 5
    dec.feed(packets[3] + packets[7])  # late arrivals fill two gaps
    dec.feed(packets[7] + packets[4])  # duplicates change nothing
    s = dec.stats()
    assert s["packets_missing"] == 3 and s["packets_reordered"] == 2 and s["packets_duplicate"] == 2
    dec.feed(packets[11])
    assert dec.stats()["packets_missing"] == 4


def test_packets_missing_ignores_jumps_beyond_the_window():
    rng = np.random.default_rng(24)
    r = make_reads(rng, 1)
    dec = Decoder()
    dec.feed(wire.encode(r, 10, T0) + wire.encode(r, 10 + 5000, T0) + wire.encode(r, 10 + 4990, T0))
    s = dec.stats()
    assert s["packets_missing"] == 0 and s["packets_ok"] == 3 and s["packets_reordered"] == 1


def test_duplicates_and_reordering():
    rng = np.random.default_rng(9)
    packets, want = stream_of(rng, [2, 2, 2, 2], first_seq=2**32 - 2)  # wraps to 0, 1
    order = [0, 2, 1, 1, 3, 0, 2]
    dec = Decoder()
    got = dec.feed(b"".join(packets[i] for i in order))
    s = dec.stats()
    assert s["packets_ok"] == 4 and s["packets_duplicate"] == 3 and s["packets_reordered"] == 1
    expected = np.concatenate([want[0:2], want[4:6], want[2:4], want[6:8]], dtype=READ_DTYPE)
    assert_same_reads(got, expected)


def test_bad_records_counted_by_reason():
    r = make_reads(np.random.default_rng(10), 3)
    p = bytearray(wire.encode(r, 1, T0))
    struct.pack_into("<I", p, 32, 0)  # record 0: tag 0
    struct.pack_into("<i", p, 32 + 24 + 12, 91441)  # record 1: y beyond 100 yd
    struct.pack_into("<I", p, 24, 0)
    struct.pack_into("<I", p, 24, wire.crc32c(p))
    dec = Decoder()
    out = dec.feed(p)
    assert_same_reads(out, r[2:])
    s = dec.stats()
    assert (s["records_ok"], s["records_bad_tag"], s["records_bad_position"]) == (1, 1, 1)


# ---------------------------------------------------------------- buffers and API


def test_buffer_types_are_read_in_place():
    rng = np.random.default_rng(11)
    packets, want = stream_of(rng, [3, 8])
    raw = b"".join(packets)
    arr = np.frombuffer(raw, np.uint8)
    for data in (raw, bytearray(raw), memoryview(raw), arr, arr.astype(np.int8),
                 memoryview(bytearray(b"xx" + raw))[2:]):
        assert_same_reads(Decoder().feed(data), want)
    with pytest.raises(TypeError, match="itemsize"):
        Decoder().feed(np.zeros(4, np.uint32))
    with pytest.raises(ValueError, match="contiguous"):  # numpy's own message
        Decoder().feed(np.zeros(40, np.uint8)[::2])
    with pytest.raises(TypeError):
        Decoder().feed("not bytes")


def test_feed_into_caller_buffer():
    rng = np.random.default_rng(12)
    packets, want = stream_of(rng, [10, 10, 10])
    raw = b"".join(packets)
    dec = Decoder()
    out = np.empty(dec.max_reads(len(raw)), READ_DTYPE)
    n = dec.feed_into(raw, out)
    assert_same_reads(out[:n], want)
    small = np.empty(12, READ_DTYPE)
    dec2 = Decoder()
    assert dec2.feed_into(raw, small) == 12
    assert dec2.stats()["reads_dropped_full"] == 18
    assert_same_reads(small, want[:12])
    with pytest.raises(ValueError, match="READ_DTYPE"):
        dec.feed_into(raw, np.empty(5, np.float64))
    ro = np.empty(5, READ_DTYPE)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        dec.feed_into(raw, ro)


def test_stats_and_reset():
    rng = np.random.default_rng(13)
    packets, _ = stream_of(rng, [1, 2])
    dec = Decoder()
    dec.feed(b"zz" + packets[0] + packets[1][:10])
    s = dec.stats()
    assert tuple(s) == wire.STAT_COUNTERS
    assert s["bytes_fed"] == 2 + len(packets[0]) + 10 and s["bytes_skipped"] == 2
    dec.reset()
    assert all(v == 0 for v in dec.stats().values()) and dec.buffered == 0
    assert len(dec.feed(packets[0])) == 1  # the duplicate window is forgotten too


def test_capture_file_round_trip(tmp_path):
    rng = np.random.default_rng(14)
    packets, want = stream_of(rng, [20] * 30)
    path = tmp_path / "play.getr"
    assert wire.write_capture(path, packets) == sum(map(len, packets))
    assert_same_reads(wire.read_capture(path), want)
    with open(path, "ab") as f:  # damage at the end: a cut-short packet
        f.write(packets[0][:40])
    reads, stats = wire.read_capture(path, with_stats=True)
    assert_same_reads(reads, want)
    assert stats["packets_truncated"] == 1
    empty = tmp_path / "empty.getr"
    empty.write_bytes(b"")
    assert len(wire.read_capture(empty)) == 0


def _reference_module():
    path = REPO / "bench" / "reference_decode.py"
    if not path.exists():
        pytest.skip("bench/reference_decode.py not in this checkout")
    spec = importlib.util.spec_from_file_location("reference_decode", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_reference_decoder_agrees_with_core():
    """The benchmark's pure-numpy decoder must do the same work, or the comparison is void."""
    ref = _reference_module()
    rng = np.random.default_rng(15)
    packets, _ = stream_of(rng, rng.integers(0, 50, 40).tolist())
    pieces = [rng.integers(0, 256, 50, dtype=np.uint8).tobytes()]
    for i, p in enumerate(packets):
        p = bytearray(p)
        if i % 9 == 4:
            p[40] ^= 1
        if i % 11 == 5:
            struct.pack_into("<I", p, 36, 0x7FFFFFFF)
            struct.pack_into("<I", p, 24, 0)
            struct.pack_into("<I", p, 24, wire.crc32c(p))
        pieces.append(bytes(p))
        if i % 13 == 2:
            pieces.append(bytes(p))  # duplicate
    stream = b"".join(pieces)
    dec = Decoder()
    core = np.concatenate([dec.feed(stream), dec.finish()], dtype=READ_DTYPE)
    ref_reads, ref_stats = ref.decode(stream)
    np.testing.assert_array_equal(ref_reads, core)
    core_stats = dec.stats()
    for key, value in ref_stats.items():
        assert core_stats[key] == value, key
