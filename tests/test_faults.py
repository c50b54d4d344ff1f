"""Fault injection (ghostedge.faults) against the real decoder and ingest pipeline: each fault
does what it says, and the counter meant to see it moves by exactly what was injected."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghostedge.data import load_samples
from ghostedge.ingest import wire
from ghostedge.ingest.pipeline import IngestPipeline
from ghostedge.sim import SimConfig, simulate_play
from ghostedge.sim import faults as fl


@functools.lru_cache(maxsize=1)
def _sim():
    play = next(load_samples().iter_plays())
    return simulate_play(play, SimConfig(loss_rate=0.0, reorder_rate=0.0), seed=3)


@pytest.fixture(scope="module")
def sim():
    return _sim()


@pytest.fixture(scope="module")
def packets(sim):
    return sim.packets[40:46]


def decode(*chunks: bytes):
    d = wire.Decoder()
    reads = [d.feed(c) for c in chunks]
    reads.append(d.finish())
    return np.concatenate(reads), d.stats()


def rejected(stats) -> int:
    return stats["packets_bad_crc"] + stats["packets_bad_header"] + stats["packets_truncated"]


def test_raw_packet_round_trip_is_byte_exact(packets):
    for p in packets:
        assert fl.RawPacket.parse(p).to_bytes() == p


def test_raw_packet_refuses_non_packets():
    with pytest.raises(ValueError, match="magic"):
        fl.RawPacket.parse(b"GETX" + bytes(40))
    with pytest.raises(ValueError, match="records"):
        fl.RawPacket.parse(b"GETR\x01\x00\x05\x00" + bytes(24))


def test_garbage_is_skipped_byte_for_byte(packets):
    rng = np.random.default_rng(0)
    junk = fl.garbage(rng, 5000)
    assert b"G" not in junk and len(junk) == 5000
    reads, stats = decode(packets[0] + junk + packets[1])
    assert stats["bytes_skipped"] == 5000
    assert stats["packets_ok"] == 2
    clean, _ = decode(packets[0] + packets[1])
    assert np.array_equal(reads, clean)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_truncated_packet_costs_exactly_its_bytes(seed):
    p = _sim().packets[40:44]
    part = fl.truncate(p[1], np.random.default_rng(seed))
    assert 4 <= len(part) < len(p[1])
    reads, stats = decode(p[0] + part + p[2] + p[3])
    assert stats["bytes_skipped"] == len(part)
    assert rejected(stats) == 1
    assert stats["packets_ok"] == 3  # the packets around it are intact


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_any_bit_flip_rejects_exactly_that_packet(seed):
    p = _sim().packets[40:44]
    flipped = fl.flip_bit(p[1], np.random.default_rng(seed))
    assert flipped != p[1] and len(flipped) == len(p[1])
    _, stats = decode(p[0] + flipped + p[2] + p[3])
    assert rejected(stats) == 1
    assert stats["bytes_skipped"] == len(p[1])
    assert stats["packets_ok"] == 3


def test_duplicate_and_reordered_packets_are_counted(packets):
    _, stats = decode(packets[0] + packets[2] + packets[1] + packets[1] + packets[3])
    assert stats["packets_duplicate"] == 1
    assert stats["packets_reordered"] == 1
    assert stats["packets_ok"] == 4


def test_out_of_range_record_rejects_only_that_record(packets):
    bad, index = fl.out_of_range_record(packets[0], np.random.default_rng(5))
    reads, stats = decode(bad)
    good, _ = decode(packets[0])
    assert stats["packets_ok"] == 1  # the CRC is right: only the record check can catch it
    assert stats["records_bad_position"] == 1
    assert len(reads) == len(good) - 1
    assert np.array_equal(reads, np.delete(good, index))


@pytest.mark.parametrize("delta_us", [-5_000_000, 3_600_000_000])
def test_shift_clock_moves_every_blink(packets, delta_us):
    shifted, stats = decode(fl.shift_clock(packets[0], delta_us))
    original, _ = decode(packets[0])
    assert stats["packets_ok"] == 1
    assert np.array_equal(shifted["time_us"], original["time_us"] + delta_us)
    assert np.array_equal(shifted["tag_id"], original["tag_id"])


def test_map_records_drops_and_edits(packets):
    original, _ = decode(packets[0])
    dead = int(original["tag_id"][0])
    out, touched = fl.map_records(packets[0], lambda r, t: r["tag_id"] != dead)
    reads, _ = decode(out)
    assert touched == int((original["tag_id"] == dead).sum())
    assert dead not in set(reads["tag_id"].tolist())
    assert len(reads) == len(original) - touched

    def move(r, t):
        r["y_mm"] -= 9144  # 10 yd

    out, touched = fl.map_records(packets[0], move)
    reads, _ = decode(out)
    assert touched == len(original)
    assert np.allclose(reads["y"], original["y"] - 10.0, atol=1e-3)


def test_unknown_tags_are_counted_by_the_pipeline(sim):
    """Unknown tags added to a live stream: reads_unknown_tag counts each one, nothing else moves."""
    delay_us = int(round(IngestPipeline(sim.registry).delay_s * 1e6))

    def run(add_unknown: bool):
        pipe = IngestPipeline(sim.registry)
        arrival = np.asarray(sim.packet_times_us)
        added = k = 0
        for i, t in enumerate(sim.frame_times_us):
            while k < len(sim.packets) and arrival[k] <= t + delay_us + 30_000:
                p = sim.packets[k]
                if add_unknown and 20 <= i < 30:
                    raw = fl.RawPacket.parse(p)
                    extra = raw.records[-1:].copy()
                    extra["tag_id"] = 3  # nflId 1's right shoulder: not on this roster
                    raw.records = np.concatenate([raw.records, extra])
                    p = raw.to_bytes()
                    added += 1
                pipe.push(p)
                k += 1
            pipe.tick(int(t))
        return pipe.counters(), added

    clean, _ = run(False)
    faulted, added = run(True)
    assert added > 0
    assert faulted["reads_unknown_tag"] - clean["reads_unknown_tag"] == added
    assert faulted["reads_accepted"] == clean["reads_accepted"]


def test_poison_frame_hits_exactly_k_players():
    xy = np.arange(44, dtype=float).reshape(22, 2)
    out, k = fl.poison_frame(xy, np.random.default_rng(1), n_players=3)
    assert k == 3
    assert (~np.isfinite(out)).any(axis=1).sum() == 3
    assert np.isfinite(xy).all()  # the input is untouched


def test_slow_model_delays_only_when_switched_on():
    class Echo:
        providers = ["echo"]

        def predict_frame(self, *args, **kwargs):
            return "ghosts"

    slow = fl.SlowModel(Echo(), delay_s=0.001)
    assert slow.predict_frame() == "ghosts" and slow.slow_calls == 0
    slow.slow = True
    assert slow.predict_frame() == "ghosts" and slow.slow_calls == 1
    assert slow.providers == ["echo"]


def test_corrupt_model_file_is_not_a_model(tmp_path):
    path = tmp_path / "model.onnx"
    fl.corrupt_model_file(path, np.random.default_rng(0))
    import onnxruntime as ort

    with pytest.raises(Exception):  # noqa: B017 - onnxruntime's own error types are not public API
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_parse_fault_kinds():
    assert fl.parse_fault_kinds("all") == fl.FAULT_KINDS
    assert fl.parse_fault_kinds("none") == ()
    assert fl.parse_fault_kinds("bit_flip, garbage_bytes") == ("bit_flip", "garbage_bytes")
    with pytest.raises(ValueError, match="no_such_fault"):
        fl.parse_fault_kinds("bit_flip,no_such_fault")
    assert len(set(fl.FAULT_KINDS)) == len(fl.FAULT_KINDS) == 16


def test_corrupt_record_count_does_not_stall_the_stream(sim):
    import struct

    p = sim.packets[40:100]
    bad = bytearray(p[0])
    struct.pack_into("<H", bad, 6, 1000)  # the record count, as a flip of its bit 9 can leave it
    d = wire.Decoder()
    assert len(d.feed(bytes(bad))) == 0
    late = [len(d.feed(q)) for q in p[1:6]]
    # A valid, complete packet inside the corrupt one's claimed span proves the span wrong: the
    # packets after it should come out as they arrive (one packet of delay at most).
    assert sum(late) > 0


# --------------------------------------------------------------------------- engine: bad values

class _RecordingModel:
    """GhostModel's predict_frame signature; keeps the history each call was given and
    predicts that every defender stands still."""

    providers = ["recording"]

    def __init__(self):
        self.histories: list[np.ndarray] = []

    def predict_frame(self, xy_hist, o_hist, ball_hist, defenders, receivers, context, horizon=10,
                      is_offense=None):
        from ghostedge.model.inference import Ghosts

        self.histories.append(np.array(xy_hist, copy=True))
        mean = np.repeat(np.repeat(xy_hist[-1, defenders][:, None, None, :], len(receivers), 1), horizon, 2)
        return Ghosts(mean=mean, sigma=np.ones_like(mean), valid=np.ones(mean.shape[:2], bool),
                      defenders=defenders, receivers=receivers)


def _engine(model):
    from ghostedge.live import Engine, EngineConfig, Roster

    roster = Roster(nfl_ids=[1, 11, 21, 22], club=["O", "O", "D", "D"], position=["QB", "WR", "CB", "FS"],
                    offence="O", defence="D", frame0_id=1, frame0_time_us=0)
    eng = Engine(EngineConfig(warmup_runs=0, detect_pass=False), model=model)
    eng.set_roster(roster)
    eng.activate()
    return eng


def _frames(n=12):
    t = np.arange(n)[:, None] * 0.1
    xy = np.zeros((n, 4, 2))
    for p, (x0, y0, vx) in enumerate([(30, 26, 0), (40, 10, 6), (45, 12, 5), (50, 30, -2)]):
        xy[:, p] = np.hstack([x0 + vx * t, y0 + 0 * t])
    return xy


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_push_frame_counts_bad_values_and_treats_them_as_missing(bad):
    model = _RecordingModel()
    eng = _engine(model)
    xy = _frames()
    for k in range(4):
        eng.push_frame(k * 100_000, xy[k], np.zeros(4), xy[k, 0])
    poisoned = xy[4].copy()
    poisoned[2, 1] = bad  # the CB: one coordinate bad (a NaN pair would mean "missing")
    poisoned_o = np.zeros(4)
    poisoned_o[3] = np.inf  # the FS: infinite orientation
    assert eng.flush(5.0)
    calls = len(model.histories)
    eng.push_frame(4 * 100_000, poisoned, poisoned_o, xy[4, 0])
    assert eng.flush(5.0)
    c = eng.counters()
    assert c["frames_bad_values"] == 1 and c["players_bad_values"] == 2
    assert c["errors_push_frame"] == 0
    res = eng.latest()
    assert res.ok and res.defender_ids.size == 0  # both left out: missing in the newest frame
    assert len(model.histories) == calls  # no defender left to ghost: the model is not called
    # A missing player (NaN pair) and a clean frame are not bad values.
    missing = xy[5].copy()
    missing[2] = np.nan
    eng.push_frame(5 * 100_000, missing, np.zeros(4), xy[5, 0])
    eng.push_frame(6 * 100_000, xy[6], np.zeros(4), xy[6, 0])
    assert eng.counters()["frames_bad_values"] == 1
    # An infinite ball is a bad value too (no player counted).
    eng.push_frame(7 * 100_000, xy[7], np.zeros(4), np.array([np.inf, 3.0]))
    c = eng.counters()
    assert c["frames_bad_values"] == 2 and c["players_bad_values"] == 2
    eng.close()


def test_engine_history_is_the_last_eleven_frames_in_order():
    """The model gets frames t-10..t (the history it reads), oldest first; frames before the
    feed started are missing (NaN), never stale or repeated."""
    from ghostedge.live.play_state import HISTORY_FRAMES

    model = _RecordingModel()
    eng = _engine(model)
    n = 3 * HISTORY_FRAMES
    xy = _frames(n)
    for k in range(n):  # three times round the history ring
        eng.push_frame(k * 100_000, xy[k], np.zeros(4), xy[k, 0])
        assert eng.flush(5.0)
        if k >= 2:
            got = model.histories[-1]
            assert got.shape[0] == HISTORY_FRAMES == 11
            known = min(k + 1, HISTORY_FRAMES)
            assert np.array_equal(got[-known:], xy[k + 1 - known:k + 1]), k
            assert np.isnan(got[:-known]).all(), k
    eng.close()


def test_ingest_rows_to_frame_maps_slots_and_takes_the_filtered_ball():
    from ghostedge.live.result import INGEST_ROW_FIELDS, ingest_rows_to_frame

    rows = np.full((len(INGEST_ROW_FIELDS), 4), np.nan)  # 3 ingest players + the ball
    rows[0, :3], rows[1, :3], rows[2, :3] = [1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [90.0, 180.0, 270.0]
    src, dst = np.array([0, 2]), np.array([3, 0])  # ingest 1 unknown to the roster
    xy, o, ball = np.zeros((5, 2)), np.zeros(5), np.zeros(2)
    gather = np.empty((3, 2))
    rows[:, 3] = [50.0, 20.0, np.nan]
    ingest_rows_to_frame(rows, src, dst, gather, xy, o, ball)
    assert xy[3].tolist() == [1.0, 4.0] and xy[0].tolist() == [3.0, 6.0] and np.isnan(xy[[1, 2, 4]]).all()
    assert o[3] == 90.0 and o[0] == 270.0 and np.isnan(o[[1, 2, 4]]).all()
    assert ball.tolist() == [50.0, 20.0]
    rows[:2, 3] = np.nan  # the filter has no ball (lost or never seen): none
    ingest_rows_to_frame(rows, src, dst, gather, xy, o, ball)
    assert np.isnan(ball).all()
