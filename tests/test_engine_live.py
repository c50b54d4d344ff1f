"""The engine over a game: rosters swapped while active, nothing allocated or rebuilt after
activate(), a worker stuck in a model call, the frame rate checked against the model, more
reader threads than reader places."""

from __future__ import annotations

import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from test_engine import DT_US, ConstantVelocity, synthetic_play

import ghostedge
from ghostedge.live import Engine, EngineConfig, EngineStateError, Roster

PACKAGE_DIR = str(Path(ghostedge.__file__).resolve().parent)


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ghostedge-inference" and t.is_alive()]


def _drive(eng, xy, ball, frames, t0=0, drop=None) -> set:
    """push_frame ``frames`` frames (looping the play), each inferred before the next;
    ``drop(k)``: roster slots made missing. Returns the (D, R) shapes of the results."""
    shapes = set()
    frame = np.empty_like(xy[0])
    for k in range(frames):
        i = k % xy.shape[0]
        frame[...] = xy[i]
        if drop is not None:
            frame[drop(k)] = np.nan
        eng.push_frame(t0 + k * DT_US, frame, None, ball[i])
        assert eng.flush(10.0)
        shapes.add(eng.latest().mean.shape[:2])
    return shapes


# --------------------------------------------------------------------------- rosters while active

def test_set_roster_while_active_swaps_without_stopping_the_worker():
    roster, xy, ball = synthetic_play()
    eng = Engine(EngineConfig(max_age_s=60.0), model=ConstantVelocity())
    eng.set_roster(roster)
    eng.activate()
    worker = _workers()
    _drive(eng, xy, ball, 10)
    assert eng.latest().frame_id == 10
    # The next play: other players (a second safety), other frame numbering.
    nxt = Roster(nfl_ids=[1, 11, 12, 21, 22, 23, 5], club=["OFF"] * 3 + ["DEF"] * 3 + ["OFF"],
                 position=["QB", "WR", "TE", "CB", "SS", "FS", "C"], offence="OFF", defence="DEF",
                 frame0_id=1, frame0_time_us=10_000_000)
    eng.set_roster(nxt)
    assert _workers() == worker  # the same worker thread carries on
    res = eng.latest()
    assert res.frame_id == -1 and res.stale  # nothing of the old play is served as the new one's
    xy7 = np.concatenate([xy[:, :5], xy[:, 4:5] + [5.0, 0.0], xy[:, 5:6]], axis=1)  # FS beside the SS
    _drive(eng, xy7, ball, 5, t0=10_000_000)
    res = eng.latest()
    assert res.frame_id == 5 and res.ok and res.defender_ids.tolist() == [21, 22, 23]
    c = eng.counters()
    assert c["errors_inference"] == 0 and c["errors_push_frame"] == 0
    eng.close()


def test_roster_beyond_the_activated_capacity_is_refused_while_active():
    roster, _, _ = synthetic_play()
    eng = Engine(EngineConfig(max_defenders=2, max_receivers=2), model=ConstantVelocity())
    eng.set_roster(roster)
    eng.activate()
    assert eng.capacity == (2, 2)
    big = Roster(nfl_ids=[1, 11, 21, 22, 23], club=["OFF", "OFF", "DEF", "DEF", "DEF"],
                 position=["QB", "WR", "CB", "CB", "FS"], offence="OFF", defence="DEF")
    with pytest.raises(EngineStateError, match="deactivate"):
        eng.set_roster(big)
    eng.deactivate()
    eng.set_roster(big)  # the CLAP rule: deactivate, set_roster, activate
    eng.activate()
    assert eng.capacity == (3, 2)
    eng.close()


# --------------------------------------------------------------------------- no allocation after activate

def _changing_visibility(n_players: int, seed: int = 3):
    """Every 3 frames a different set of players goes missing (the model needs 3 frames), so the
    defender x receiver batch changes shape all game long."""
    rng = np.random.default_rng(seed)
    masks = [np.flatnonzero(rng.random(n_players) < 0.35) for _ in range(64)]
    return lambda k: masks[(k // 3) % len(masks)]


def test_no_io_binding_built_and_no_growth_after_activate():
    from ghostedge.data import load_samples
    from ghostedge.model.inference import GhostModel

    play = max(load_samples().iter_plays(), key=lambda p: len(p.defensive_backs()) * len(p.eligible_receivers()))
    model = GhostModel()
    built = []
    real_io_binding = model.session.io_binding
    model.session.io_binding = lambda: built.append(1) or real_io_binding()
    eng = Engine(EngineConfig(max_age_s=60.0), model=model)
    eng.set_roster(Roster.from_play(play))
    eng.activate()
    xy = np.nan_to_num(play.xy, nan=50.0)
    ball = np.nan_to_num(play.ball_xy, nan=50.0)
    drop = _changing_visibility(play.n_players)
    _drive(eng, xy, ball, 60, drop=drop)  # warm: every code path has run
    built_before = len(built)
    tracemalloc.start(5)
    try:
        _drive(eng, xy, ball, 60, t0=60 * DT_US, drop=drop)
        first = tracemalloc.take_snapshot()
        shapes = _drive(eng, xy, ball, 120, t0=120 * DT_US, drop=drop)
        second = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    c = eng.counters()
    eng.close()
    assert c["errors_inference"] == 0 and c["frames_inferred"] >= 200
    assert len(shapes) >= 8  # the batch shape really changed
    assert len(built) == built_before  # no IO binding (and no TensorRT engine) built in play
    assert model.oversize_calls == 0
    # Memory held by the engine's and the model's own code did not grow over 120 frames.
    ours = [s for s in second.compare_to(first, "filename") if s.traceback[0].filename.startswith(PACKAGE_DIR)]
    growth = sum(s.size_diff for s in ours)
    print(f"IO bindings built after activate: {len(built) - built_before}; shapes: {len(shapes)}; "
          f"growth of ghostedge's own allocations over 120 frames: {growth} bytes")
    assert growth <= 4096, [str(s) for s in ours if s.size_diff > 0][:5]


# --------------------------------------------------------------------------- the worker

class StuckModel(ConstantVelocity):
    """A model call that does not return until released (a hung GPU call)."""

    def __init__(self):
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def predict_frame(self, *args, **kwargs):
        if not self.release.is_set():
            self.entered.set()
            self.release.wait(60)
        return super().predict_frame(*args, **kwargs)


def test_a_stuck_worker_never_leaves_two_workers_running():
    roster, xy, ball = synthetic_play()
    model = StuckModel()
    eng = Engine(EngineConfig(warmup_runs=0, worker_join_timeout_s=0.2, max_age_s=60.0), model=model)
    eng.set_roster(roster)
    eng.activate()
    for k in range(4):
        eng.push_frame(k * DT_US, xy[k], None, ball[k])
    assert model.entered.wait(10)
    eng.deactivate()  # returns after the join timeout: the worker is still in the model call
    assert eng.state == "inactive" and eng.counters()["errors_worker_stuck"] == 1
    assert len(_workers()) == 1
    with pytest.raises(EngineStateError, match="has not stopped"):
        eng.activate()
    assert len(_workers()) == 1
    model.release.set()  # the call returns: that worker publishes nothing and exits
    deadline = time.monotonic() + 10
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _workers()
    assert eng.latest().frame_id <= 2  # the frame the stopped worker was on is not published
    eng.activate()
    assert len(_workers()) == 1
    _drive(eng, xy, ball, 5, t0=10 * DT_US)
    assert eng.latest().ok
    eng.close()
    assert not _workers()


# --------------------------------------------------------------------------- frame rate

def test_rate_hz_must_be_the_models_frame_rate():
    from ghostedge.model.inference import GhostModel

    roster, _, _ = synthetic_play()
    model = GhostModel()
    assert model.frame_dt_s == pytest.approx(0.1) and model.frame_rate_hz == pytest.approx(10.0)
    for m in (model, ConstantVelocity()):  # a model without frame_dt_s runs at the package's 10 Hz
        eng = Engine(EngineConfig(rate_hz=25.0), model=m)
        eng.set_roster(roster)
        with pytest.raises(ValueError, match="trained at 10 Hz"):
            eng.activate()
        assert eng.state == "created"
        eng.close()
    eng = Engine(EngineConfig(rate_hz=10.0), model=model)
    eng.set_roster(roster)
    eng.activate()
    eng.close()
    with pytest.raises(ValueError, match="rate_hz"):
        Engine(EngineConfig(rate_hz=float("nan")))


# --------------------------------------------------------------------------- reader places

def test_threads_beyond_the_reader_places_get_copies():
    roster, xy, ball = synthetic_play()
    eng = Engine(EngineConfig(max_result_readers=1, max_age_s=60.0), model=ConstantVelocity())
    eng.set_roster(roster)
    eng.activate()
    _drive(eng, xy, ball, 5)  # this thread holds the one reader place
    mine = eng.latest()
    got = []
    t = threading.Thread(target=lambda: got.append(eng.latest()))
    t.start()
    t.join()
    assert got[0] is not mine and got[0].frame_id == mine.frame_id == 5
    np.testing.assert_array_equal(got[0].mean, mine.mean)
    assert got[0].mean.flags.writeable and not mine.mean.flags.writeable  # a copy / a view
    assert eng.counters()["results_copied"] == 1
    # A thread that has ended gives its place back; release_result() gives it back at once.
    assert eng.release_result()
    t = threading.Thread(target=lambda: got.append(eng.latest()))
    t.start()
    t.join()
    assert eng.counters()["results_copied"] == 1 and got[1].frame_id == 5
    eng.close()
