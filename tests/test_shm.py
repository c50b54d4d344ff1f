"""Shared-memory output (docs/shared-memory.md): readers in C (tests/shm_reader.c, compiled here
with the system compiler) and in Python, in other processes, read the block 100,000 times
while it is being written and never see a torn frame; the engine and ``ghostedge serve`` write
every result into it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from test_engine import DT_US, ConstantVelocity, synthetic_play

import ghostedge
from ghostedge import _core
from ghostedge.live import Engine, EngineConfig
from ghostedge.live.shm import ShmReader

READS = 100_000
TESTS = Path(__file__).resolve().parent
_names = iter(range(1_000_000))


def _name() -> str:
    return f"ghostedge-test-{os.getpid()}-{next(_names)}"


def synthetic_frame(frame_id: int, nd: int, nr: int, h: int) -> dict:
    """The pattern tests/shm_reader.c --synthetic checks: every value a function of the id."""
    def values(array: int, shape: tuple) -> np.ndarray:
        return frame_id * 1000.0 + array * 100.0 + np.arange(int(np.prod(shape))).reshape(shape) * 0.5

    return dict(frame_id=frame_id, time_us=frame_id * 100_000, result_sequence=frame_id,
                tick_monotonic_ns=0, flags=1, phase=frame_id % 3, target_index=-1, target_nfl_id=-1,
                pass_forward_frame=-1, pass_arrived_frame=-1, dt_s=0.1,
                ball_x=frame_id * 1000.0 + 600.0, ball_y=frame_id * 1000.0 + 600.5,
                defender_ids=np.arange(nd, dtype=np.int64) + frame_id * 100,
                receiver_ids=-(np.arange(nr, dtype=np.int64) + frame_id * 100),
                defender_xy=values(1, (nd, 2)), receiver_xy=values(2, (nr, 2)),
                mean=values(3, (nd, nr, h, 2)), sigma=values(4, (nd, nr, h, 2)), metric=values(5, (nd, nr)))


class SyntheticWriter:
    """A writer thread: synthetic frames of changing sizes into a new block, until stopped."""

    def __init__(self, dims=(11, 11, 10)):
        self.name = _name()
        self.writer = _core.ShmWriter(self.name, *dims)
        self.dims = dims
        self.stop = threading.Event()
        # Frames prepared up front: the thread spends its time writing, not building arrays.
        self.frames = [synthetic_frame(k, 1 + k % dims[0], 1 + (k // 3) % dims[1], dims[2])
                       for k in range(1, 200)]
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        k = 0
        # The prepared frames over and over (ids 1..199, 1, ...), a few thousand a second: a
        # good share of the reads meet a write in progress, and the machine keeps a core free.
        while not self.stop.wait(0.0002):
            self.writer.write(**self.frames[k % len(self.frames)])
            k += 1

    def __enter__(self):
        self.writer.write(**self.frames[0])  # readers start on a written block
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        self.writer.close()


@pytest.fixture(scope="module")
def c_reader(tmp_path_factory) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler (cc, gcc or clang) on PATH: the C reader cannot be built")
    exe = tmp_path_factory.mktemp("shm") / "shm_reader"
    cmd = [compiler, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(exe), str(TESTS / "shm_reader.c")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:  # glibc before 2.34: shm_open is in librt
        out = subprocess.run(cmd + ["-lrt"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return exe


def test_c_reader_in_another_process_never_sees_a_torn_frame(c_reader):
    with SyntheticWriter() as w:
        out = subprocess.run([str(c_reader), w.name, str(READS), "--synthetic"], capture_output=True,
                             text=True, timeout=300)
        written = w.writer.frames_written
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    print("C reader:", report, "frames written:", written)
    assert report["reads"] == READS and report["torn"] == 0
    # It read while the block was being written: many frames came and went under it.
    assert report["distinct_frames"] >= 100 and written > report["distinct_frames"]


PY_READER = r"""
import json, sys
from functools import lru_cache
import numpy as np
from ghostedge.live.shm import ShmReader

@lru_cache(maxsize=None)
def expected(frame_id, nd, nr, h):
    v = lambda a, shape: frame_id * 1000.0 + a * 100.0 + np.arange(int(np.prod(shape))).reshape(shape) * 0.5
    return (np.arange(nd) + frame_id * 100, -(np.arange(nr) + frame_id * 100), v(3, (nd, nr, h, 2)),
            v(4, (nd, nr, h, 2)), v(5, (nd, nr)))

reader = ShmReader(sys.argv[1])
reads = torn = distinct = retries = 0
last = None
while reads < int(sys.argv[2]):
    f = reader.read()
    if f is None:
        continue
    reads += 1
    retries += f["retries"]
    i = f["frame_id"]
    dids, rids, mean, sigma, metric = expected(i, *f["mean"].shape[:3])
    whole = (f["checksum_ok"] and f["time_us"] == i * 100000 and f["ball_xy"][0] == i * 1000.0 + 600.0
             and np.array_equal(f["defender_ids"], dids) and np.array_equal(f["receiver_ids"], rids)
             and np.array_equal(f["mean"], mean) and np.array_equal(f["sigma"], sigma)
             and np.array_equal(f["metric"], metric))
    torn += not whole
    distinct += i != last
    last = i
print(json.dumps({"reads": reads, "torn": torn, "distinct_frames": distinct, "retries": retries}))
"""


def test_python_reader_in_another_process_never_sees_a_torn_frame():
    env = dict(os.environ, PYTHONPATH=str(Path(ghostedge.__file__).resolve().parents[1]))
    with SyntheticWriter() as w:
        out = subprocess.run([sys.executable, "-c", PY_READER, w.name, str(READS)], capture_output=True,
                             text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert report["reads"] == READS and report["torn"] == 0
    assert report["distinct_frames"] >= 100


def test_engine_writes_every_result_into_the_block():
    roster, xy, ball = synthetic_play()
    name = _name()
    eng = Engine(EngineConfig(shm_name=name, max_age_s=60.0), model=ConstantVelocity())
    eng.set_roster(roster)
    eng.activate()
    reader = ShmReader(name)
    assert reader.dims == (11, 11, 10) and reader.read() is None  # nothing published yet
    for k in range(20):
        eng.push_frame(k * DT_US, xy[k], np.zeros(6), ball[k])
        assert eng.flush(5.0)
        res = eng.latest()
        got = reader.read()
        assert got["checksum_ok"] and got["frame_id"] == res.frame_id == k + 1
        assert got["result_sequence"] == res.sequence and got["ok"] == res.ok
        assert got["phase"] == res.phase and got["time_us"] == res.time_us
        for field in ("defender_ids", "receiver_ids", "defender_xy", "receiver_xy", "mean", "sigma", "metric"):
            np.testing.assert_array_equal(got[field], getattr(res, field), err_msg=field)
    assert reader.sequence == 2 * res.sequence  # one block frame per published result
    eng.close()
    reader.close()
    with pytest.raises(OSError):  # the engine unlinks its block on close()
        ShmReader(name)


def test_serve_writes_the_block(tmp_path):
    from ghostedge import net
    from ghostedge.data import load_samples
    from ghostedge.live import Roster
    from ghostedge.sim import simulate_play

    play = next(iter(load_samples().iter_plays()))
    name = _name()
    receiver = net.udp_listener(("127.0.0.1", 0), timeout_s=1.0)
    server = net.GhostServer(("127.0.0.1", 0), receiver.getsockname(), config=EngineConfig(shm_name=name),
                             model=ConstantVelocity())
    stats = {}
    thread = threading.Thread(target=lambda: stats.update(server.run(until_end=True, max_idle_s=20)))
    thread.start()
    sim = simulate_play(play, seed=3)
    roster = Roster.from_play(play, registry=sim.registry, frame0_time_us=int(sim.frame_times_us[0]))
    net.send_simulated_play(sim, roster, server.address, speed=0)
    thread.join(60)
    frame = ShmReader(name).read()
    server.close()
    receiver.close()
    assert stats["frames"] == play.n_frames
    assert frame["checksum_ok"] and frame["frame_id"] == play.frame_ids[-1]
    assert len(frame["defender_ids"]) == len(play.defensive_backs())
