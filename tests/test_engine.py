"""The real-time engine: lifecycle, error handling on the per-frame path, stale results,
pass detection and the ingest path on simulated tag reads."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ghostedge.live import Engine, EngineConfig, EngineStateError, GhostResult, Roster, infer_target
from ghostedge.model.baselines import ConstantVelocityModel

DT_US = 100_000


class ConstantVelocity(ConstantVelocityModel):
    """The package's constant-velocity predictor with a fixed 0.5 yd spread (the engine copies
    sigma into its results; tests check it arrives)."""

    providers = ["CPUExecutionProvider"]

    def __init__(self):
        super().__init__(sigma_yd=0.5)


class SlowPredictor(ConstantVelocity):
    """Simulates inference slower than the frame rate."""

    def __init__(self, delay_s: float):
        super().__init__()
        self.delay_s = delay_s
        self.release = threading.Event()

    def predict_frame(self, *args, **kwargs):
        self.release.wait(self.delay_s)
        return super().predict_frame(*args, **kwargs)


class BrokenPredictor(ConstantVelocity):
    def predict_frame(self, *args, **kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")


def synthetic_play(n_frames: int = 40, throw_frame: int = 15):
    """A QB, two receivers, two corners, a centre; the QB throws at ``throw_frame`` toward
    receiver 11 at 20 yd/s. Returns (roster, xy [T, N, 2], ball [T, 2])."""
    roster = Roster(
        nfl_ids=[1, 11, 12, 21, 22, 5], club=["OFF", "OFF", "OFF", "DEF", "DEF", "OFF"],
        position=["QB", "WR", "TE", "CB", "SS", "C"], offence="OFF", defence="DEF",
        jersey=["12", "81", "88", "24", "31", "60"], frame0_id=1, frame0_time_us=0,
    )
    t = np.arange(n_frames)[:, None] * 0.1
    xy = np.zeros((n_frames, 6, 2))
    xy[:, 0] = [30.0, 26.0]
    xy[:, 1] = np.hstack([48.0 + 0 * t, 10.0 + 7.0 * t])  # WR running up the field (+y)
    xy[:, 2] = np.hstack([35.0 + 5.0 * t, 40.0 + 0 * t])
    xy[:, 3] = np.hstack([52.0 + 0 * t, 12.0 + 6.0 * t])
    xy[:, 4] = np.hstack([50.0 - 2.0 * t, 30.0 + 0 * t])
    xy[:, 5] = [29.0, 26.0]
    ball = xy[:, 0].copy() + [0.3, 0.0]
    # Ball flight toward the WR's position 1.0 s after the throw, at constant velocity (~19 yd/s).
    flight = 1.0
    aim = np.array([48.0, 10.0 + 7.0 * ((throw_frame - 1) * 0.1 + flight)])
    start = ball[throw_frame - 1].copy()
    vel = (aim - start) / flight
    for k in range(throw_frame, n_frames):
        ball[k] = start + vel * (k - throw_frame + 1) * 0.1
        if (k - throw_frame + 1) * 0.1 >= flight - 1e-9:
            ball[k] = xy[k, 1]  # caught: moves with the receiver
    return roster, xy, ball


def active_engine(model, **cfg) -> tuple[Engine, tuple]:
    roster, xy, ball = synthetic_play()
    cfg.setdefault("max_age_s", 60.0)  # staleness by frames behind only: no wall-clock flakiness
    eng = Engine(EngineConfig(**cfg), model=model)
    eng.set_roster(roster)
    eng.activate()
    return eng, (roster, xy, ball)


# --------------------------------------------------------------------------- lifecycle

def test_lifecycle_misuse_raises_clear_errors():
    roster, _, _ = synthetic_play()
    eng = Engine(model=ConstantVelocity())
    with pytest.raises(EngineStateError, match="set_roster"):
        eng.activate()
    with pytest.raises(EngineStateError, match="not active"):
        eng.deactivate()
    eng.set_roster(roster)
    eng.activate()
    with pytest.raises(EngineStateError, match="twice"):
        eng.activate()
    eng.deactivate()
    eng.activate()  # re-activation after deactivate is allowed
    eng.close()
    with pytest.raises(EngineStateError, match="twice"):
        eng.close()
    with pytest.raises(EngineStateError, match="after close"):
        eng.activate()
    with pytest.raises(EngineStateError, match="after close"):
        eng.set_roster(roster)
    with pytest.raises(TypeError):
        Engine().set_roster("not a roster")


def test_per_frame_calls_before_activate_answer_with_error_flag():
    roster, xy, ball = synthetic_play()
    eng = Engine(model=ConstantVelocity())
    eng.set_roster(roster)
    res = eng.tick(0)
    assert isinstance(res, GhostResult) and not res.ok and res.stale
    assert "activate() first" in res.last_error
    assert eng.push_packets(b"GETR") is False
    res = eng.push_frame(0, xy[0], None, ball[0])
    assert not res.ok and "push_frame() while the engine is created" in res.last_error
    assert eng.signal_event("pass_forward") is False
    assert eng.counters()["errors_calls_inactive"] == 4
    eng.set_roster(roster)
    eng.activate()
    eng.close()
    res = eng.tick(0)  # after close: still no exception
    assert not res.ok and "closed" in res.last_error


def test_roster_validation():
    with pytest.raises(ValueError, match="duplicate"):
        Roster(nfl_ids=[1, 1], club=["A", "A"], position=["QB", "WR"], offence="A", defence="B")
    with pytest.raises(ValueError, match="entries"):
        Roster(nfl_ids=[1, 2], club=["A"], position=["QB", "WR"], offence="A", defence="B")
    with pytest.raises(ValueError, match="play_direction"):
        Roster(nfl_ids=[1], club=["A"], position=["QB"], offence="A", defence="B", play_direction="up")
    r, _, _ = synthetic_play()
    back = Roster.from_dict(r.to_dict())
    assert back.nfl_ids.tolist() == r.nfl_ids.tolist() and back.offence == "OFF"
    with pytest.raises(ValueError, match="bad roster"):
        Roster.from_dict({"players": [[1, "A"]]})


# --------------------------------------------------------------------------- per-frame path

def test_push_frame_results_shapes_detection_and_metric():
    model = ConstantVelocity()
    eng, (roster, xy, ball) = active_engine(model)
    phases = {}
    for k in range(xy.shape[0]):
        eng.push_frame(k * DT_US, xy[k], np.zeros(6), ball[k])
        assert eng.flush(5.0)
        res = eng.latest()
        assert res.frame_id == k + 1 and not res.stale and res.ok
        phases.setdefault(res.phase, res.frame_id)
    res = eng.latest()
    assert res.defender_ids.tolist() == [21, 22] and res.receiver_ids.tolist() == [11, 12]
    assert res.mean.shape == (2, 2, 10, 2) and res.sigma.shape == (2, 2, 10, 2)
    assert np.isfinite(res.metric).all()
    # released in the interval before frame 16 (ball leaves the QB at 20 yd/s), caught later
    assert phases["in_air"] in (15, 16) and res.pass_forward_frame in (14, 15)
    assert "arrived" in phases and res.pass_arrived_frame > res.pass_forward_frame
    assert res.target_nfl_id == 11 and res.target_source == "ball_path"
    # the metric says the corner trailing the WR at 6 yd/s loses ground to a 7 yd/s receiver
    # slower than the safety running away from him: running away scores worse
    assert res.metric[1, 0] > res.metric[0, 0]
    copy = res.copy()
    assert copy.mean is not res.mean and np.array_equal(copy.mean, res.mean)
    d = res.to_dict()
    assert d["frame_id"] == res.frame_id and len(d["mean"]) == 2
    eng.close()


def test_host_events_override_detection():
    eng, (roster, xy, ball) = active_engine(ConstantVelocity(), detect_pass=False)
    for k in range(5):
        eng.push_frame(k * DT_US, xy[k], None, ball[k])
    assert eng.signal_event("pass_forward", target_nfl_id=12)
    eng.push_frame(5 * DT_US, xy[5], None, ball[5])
    eng.flush()
    res = eng.latest()
    assert res.phase == "in_air" and res.target_nfl_id == 12 and res.target_source == "host"
    assert eng.signal_event("pass_arrived")
    assert eng.signal_event("bogus") is False
    assert "unknown event" in eng.last_error and eng.counters()["errors_event"] == 1
    eng.push_frame(6 * DT_US, xy[6], None, ball[6])
    eng.flush()
    assert eng.latest().phase == "arrived"
    eng.close()


def test_bad_frame_input_is_counted_not_raised():
    eng, (roster, xy, ball) = active_engine(ConstantVelocity())
    res = eng.push_frame(0, np.zeros((3, 2)))
    assert "xy must be [6, 2]" in res.last_error
    assert eng.counters()["errors_push_frame"] == 1
    res = eng.tick(0)  # this roster has no tag registry: tick is the ingest path
    assert "no tag registry" in res.last_error and eng.counters()["errors_tick"] == 1
    # NaN positions: players missing from the history are left out, never crash
    frame = xy[0].copy()
    frame[3] = np.nan
    for k in range(4):
        eng.push_frame(k * DT_US, frame, None, ball[k])
    eng.flush()
    res = eng.latest()
    assert res.ok and res.defender_ids.tolist() == [22]
    eng.close()


def test_slow_inference_leaves_tick_answering_stale():
    slow = SlowPredictor(delay_s=30.0)
    eng, (roster, xy, ball) = active_engine(slow, warmup_runs=0)
    slow.release.set()  # fast while the first three frames (the model's history) come in
    for k in range(3):
        eng.push_frame(k * DT_US, xy[k], None, ball[k])
    assert eng.flush(10.0) and eng.latest().frame_id == 3
    slow.release.clear()  # from now on inference hangs until released
    for k in range(3, 12):
        res = eng.push_frame(k * DT_US, xy[k], None, ball[k])
        assert isinstance(res, GhostResult)  # the per-frame call answers while inference hangs
    time.sleep(0.05)
    res = eng.latest()
    assert res.frame_id == 3 and res.frames_behind == 9 and res.stale
    slow.release.set()  # inference catches up with the newest frame only
    assert eng.flush(10.0)
    res = eng.latest()
    assert res.frame_id == 12 and not res.stale and res.ok
    counters = eng.counters()
    assert counters["frames_skipped"] >= 7  # latest wins: stale inputs were dropped
    assert counters["results_stale"] >= 1
    slow.release.clear()
    for k in range(12, 16):
        eng.push_frame(k * DT_US, xy[k], None, ball[k])
    res = eng.latest()
    assert res.frame_id == 12 and res.frames_behind == 4 and res.stale
    slow.release.set()
    eng.close()


def test_failing_inference_is_counted():
    eng, (roster, xy, ball) = active_engine(BrokenPredictor(), warmup_runs=1)
    assert eng.counters()["errors_inference"] == 1  # the warm-up failed already
    for k in range(5):
        eng.push_frame(k * DT_US, xy[k], None, ball[k])
    eng.flush()
    res = eng.latest()
    assert not res.ok and "CUDA out of memory" in res.last_error
    assert eng.counters()["errors_inference"] >= 2
    assert np.isnan(res.mean).all()
    eng.close()


def test_missing_model_file_degrades_instead_of_raising(tmp_path):
    roster, xy, ball = synthetic_play()
    missing = tmp_path / "nope.onnx"
    eng = Engine(EngineConfig(model_path=str(missing)))
    eng.set_roster(roster)
    eng.activate()  # degraded mode: positions flow, no ghosts
    assert not eng.model_loaded and "nope.onnx" in eng.last_error
    for k in range(5):
        res = eng.push_frame(k * DT_US, xy[k], None, ball[k])
    eng.flush()
    res = eng.latest()
    assert not res.ok and res.frame_id == 5 and res.defender_xy.shape == (2, 2)
    assert np.isfinite(res.defender_xy).all() and np.isnan(res.mean).all()
    assert eng.counters()["errors_model_load"] == 1
    eng.close()
    strict = Engine(EngineConfig(model_path=str(missing), require_model=True))
    strict.set_roster(roster)
    with pytest.raises(Exception, match="nope.onnx"):
        strict.activate()


def test_infer_target_picks_receiver_on_ball_path():
    ball, vel = np.array([30.0, 26.0]), np.array([10.0, 0.0])
    rxy = np.array([[40.0, 40.0], [45.0, 27.0], [20.0, 26.0]])
    rvel = np.zeros((3, 2))
    assert infer_target(ball, vel, rxy, rvel) == 1
    assert infer_target(ball, np.array([np.nan, 0.0]), rxy, rvel) == -1
    assert infer_target(ball, vel, np.empty((0, 2)), np.empty((0, 2))) == -1


def _infer_target_numpy(ball_xy, ball_vel, receiver_xy, receiver_vel, max_time_s=3.0):
    """The vectorised form of the closest-approach rule, as a reference."""
    rel, rel_v = receiver_xy - ball_xy, receiver_vel - ball_vel
    vv = np.einsum("ij,ij->i", rel_v, rel_v)
    with np.errstate(invalid="ignore"):
        t = np.where(vv > 1e-9, -np.einsum("ij,ij->i", rel, rel_v) / np.maximum(vv, 1e-9), 0.0)
    t = np.clip(t, 0.0, max_time_s)
    miss = np.hypot(rel[:, 0] + rel_v[:, 0] * t, rel[:, 1] + rel_v[:, 1] * t)
    miss = np.where(np.isfinite(miss), miss, np.inf)
    best = int(np.argmin(miss))
    return best if np.isfinite(miss[best]) else -1


def test_infer_target_matches_the_vectorised_rule():
    rng = np.random.default_rng(11)
    for trial in range(300):
        r = int(rng.integers(1, 8))
        ball, vel = rng.uniform(0, 50, 2), rng.normal(0, 15, 2)
        rxy, rvel = rng.uniform(0, 50, (r, 2)), rng.normal(0, 5, (r, 2))
        if trial % 5 == 0:
            rxy[rng.integers(r)] = np.nan  # a receiver with no position never wins
        if trial % 7 == 0:
            rvel[:] = vel  # moving with the ball: no closest approach after now
        assert infer_target(ball, vel, rxy, rvel) == _infer_target_numpy(ball, vel, rxy, rvel)


# --------------------------------------------------------------------------- the ingest path

@pytest.fixture(scope="module")
def simulated_sample():
    from ghostedge.data import load_samples
    from ghostedge.sim import simulate_play

    play = next(iter(load_samples().iter_plays()))
    return play, simulate_play(play, seed=7)


def _engine_for(play, sim, model=None):
    eng = Engine(EngineConfig(), model=model or ConstantVelocity())
    eng.set_roster(Roster.from_play(play, registry=sim.registry, frame0_time_us=int(sim.frame_times_us[0])))
    eng.activate()
    return eng


def _run_frames(eng, sim, packets, play):
    wait = eng.ingest_delay_us + 30_000
    times = np.asarray(sim.packet_times_us)
    p = 0
    results = []
    for t in sim.frame_times_us:
        while p < len(packets) and times[p] <= t + wait:
            assert isinstance(eng.push_packets(packets[p]), bool)
            p += 1
        res = eng.tick(int(t))
        assert isinstance(res, GhostResult)
        eng.flush()
        results.append(eng.latest().copy())
    return results


def test_tag_reads_through_the_engine(simulated_sample):
    play, sim = simulated_sample
    eng = _engine_for(play, sim)
    results = _run_frames(eng, sim, sim.packets, play)
    c = eng.counters()
    eng.close()
    assert [r.frame_id for r in results] == play.frame_ids.tolist()
    assert c["ingest_decode_packets_ok"] == len(sim.packets) and c["errors_ingest"] == 0
    last = results[-1]
    assert last.ok and last.mean.shape[0] == len(play.defensive_backs())
    # filtered positions agree with the tracking they were simulated from (noise: ~2 in)
    t = play.frame_index(last.frame_id)
    truth = play.xy[t, [play.player_index(int(n)) for n in last.defender_ids]]
    assert np.nanmax(np.hypot(*(last.defender_xy - truth).T)) < 1.0


def test_corrupted_packet_stream_is_counted_not_raised(simulated_sample):
    play, sim = simulated_sample
    rng = np.random.default_rng(0)
    damaged = []
    for k, pkt in enumerate(sim.packets):
        b = bytearray(pkt)
        if k % 5 == 1:
            b[rng.integers(32, len(b))] ^= 0xFF  # bit flips in a record: CRC catches it
        elif k % 5 == 2:
            b = b[: len(b) // 2]  # truncated packet
        elif k % 5 == 3:
            b = bytes(rng.integers(0, 256, 200, dtype=np.uint8)) + bytes(b)  # garbage first
        damaged.append(bytes(b))
    eng = _engine_for(play, sim)
    results = _run_frames(eng, sim, damaged, play)
    assert eng.push_packets("not bytes") is False  # wrong type: counted, no exception
    assert eng.push_packets(np.zeros(7, np.uint8)) is True
    c = eng.counters()
    eng.close()
    assert len(results) == play.n_frames
    assert c["ingest_decode_packets_bad_crc"] > 0 and c["ingest_decode_bytes_skipped"] > 0
    assert c["errors_ingest"] == 1 and "push_packets" in eng.last_error
    assert c["errors_tick"] == 0
    # 40% of the packets survive intact: the engine still tracks and ghosts the play
    assert sum(r.ok for r in results) > play.n_frames // 2


class _PredictFrameOnly:
    """Wraps a GhostModel, hiding predict_frame_into: the engine's path for other models."""

    def __init__(self, model):
        self.model, self.providers, self.horizon = model, model.providers, model.horizon

    def predict_frame(self, *args, **kwargs):
        return self.model.predict_frame(*args, **kwargs)


def test_ghosts_written_in_place_equal_the_predict_frame_path(simulated_sample):
    """GhostModel writes ghosts straight into the result buffers (contiguous views); a model
    with only predict_frame gets them copied. Both give the same results, metric included."""
    from ghostedge.model.inference import GhostModel

    play, sim = simulated_sample
    model = GhostModel()
    runs = []
    for m in (model, _PredictFrameOnly(model)):
        eng = _engine_for(play, sim, model=m)
        runs.append(_run_frames(eng, sim, sim.packets, play))
        assert eng.counters()["errors_inference"] == 0 and eng.counters()["errors_metric"] == 0
        live = eng.latest()
        assert all(a.flags.c_contiguous for a in (live.mean, live.sigma, live.metric))
        eng.close()
    scored = 0
    for a, b in zip(*runs):
        assert a.frame_id == b.frame_id and a.ok == b.ok
        for name in ("mean", "sigma", "metric"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        scored += int(np.isfinite(a.metric).any())
    assert scored > len(runs[0]) // 2
