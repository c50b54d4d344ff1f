"""Result lifetime under real threads: a render thread reading ``latest()`` flat out (far above
60 Hz), the feed thread pushing frames at 10 Hz and the worker inferring, and no result
changes while the thread that got it holds it (docs/plugin-api.md, "Result lifetime").

Every held result is checked twice: that it is one whole frame (the model double writes ghosts
that repeat the defenders' positions of the same frame, so a buffer rewritten under a reader
shows positions of one frame and ghosts of another), and that nothing in it - arrays, frame
id, sequence number, per-call fields - changed between taking it and letting it go."""

from __future__ import annotations

import threading
import time

import numpy as np
from test_engine import synthetic_play

from ghostedge.live import Engine, EngineConfig, GhostResult
from ghostedge.model.baselines import ConstantVelocityModel

DT_US = 100_000
READS = 100_000


class EchoModel(ConstantVelocityModel):
    """Ghosts that repeat each defender's position at t, after a model call of variable length
    (0-90 ms: slower and faster than the worker's share of a frame), so that buffers are
    rewritten at every phase of the readers' holds."""

    providers = ["CPUExecutionProvider"]

    def __init__(self) -> None:
        super().__init__(sigma_yd=0.5)
        self.rng = np.random.default_rng(5)

    def predict_frame(self, xy_hist, o_hist, ball_hist, defenders, receivers, context,
                      horizon=10, *, is_offense=None):
        ghosts = super().predict_frame(xy_hist, o_hist, ball_hist, defenders, receivers, context,
                                       horizon, is_offense=is_offense)
        time.sleep(float(self.rng.uniform(0.0, 0.09)))
        ghosts.mean[...] = np.asarray(xy_hist)[-1, defenders][:, None, None, :]
        ghosts.sigma[...] = np.asarray(xy_hist)[-1, receivers][None, :, None, :]
        return ghosts


def _snapshot(res: GhostResult) -> tuple:
    """Everything a holder can read: arrays, publication fields and per-call fields."""
    arrays = tuple(np.array(getattr(res, n), copy=True) for n in
                   ("defender_ids", "receiver_ids", "defender_xy", "receiver_xy", "mean", "sigma", "metric"))
    scalars = (res.frame_id, res.time_us, getattr(res, "sequence", None), res.phase, res.ok,
               res.stale, res.age_s, res.frames_behind, res.target_nfl_id, dict(res.counters),
               dict(res.timings_ms))  # (NaN timings compare equal: the dicts hold the same objects)
    return arrays, scalars


def _same(a: tuple, b: tuple) -> bool:
    return a[1] == b[1] and all(np.array_equal(x, y, equal_nan=x.dtype.kind == "f") for x, y in zip(a[0], b[0]))


def _whole_frame(res: GhostResult) -> bool:
    """The result is one frame: its ghosts echo its own defender and receiver positions."""
    if res.frame_id < 0 or not res.ok or res.mean.size == 0:
        return True
    return (np.array_equal(res.mean, np.broadcast_to(res.defender_xy[:, None, None, :], res.mean.shape))
            and np.array_equal(res.sigma, np.broadcast_to(res.receiver_xy[None, :, None, :], res.sigma.shape)))


def test_no_result_changes_while_its_thread_holds_it():
    roster, xy, ball = synthetic_play(n_frames=40)
    eng = Engine(EngineConfig(max_age_s=60.0, warmup_runs=0), model=EchoModel())
    eng.set_roster(roster)
    eng.activate()
    stop = threading.Event()
    problems: list[str] = []
    stats = {"reads": 0, "render_distinct": 0, "feed_frames": 0, "feed_checked": 0}

    def render() -> None:
        last_seq, k = -1, 0
        while stats["reads"] < READS and not stop.is_set():
            res = eng.latest()
            before = _snapshot(res)
            if not _whole_frame(res):
                problems.append(f"render: torn result, frame {res.frame_id}")
            # Most reads let go at once; every 500th is held through a whole video frame.
            if k % 500 == 0:
                time.sleep(1 / 60)
            if not _same(before, _snapshot(res)) or not _whole_frame(res):
                problems.append(f"render: result of frame {before[1][0]} changed while held")
            stats["reads"] += 1
            seq = (res.frame_id, getattr(res, "sequence", None))
            stats["render_distinct"] += int(seq != last_seq)
            last_seq, k = seq, k + 1
            if len(problems) > 20:
                break

    def feed() -> None:
        k, held, held_snap = 0, None, None
        next_t = time.monotonic()
        while not stop.is_set():
            if held is not None:  # the tick's result, held for the whole frame period
                stats["feed_checked"] += 1
                if not _same(held_snap, _snapshot(held)) or not _whole_frame(held):
                    problems.append(f"feed: result of frame {held_snap[1][0]} changed while held")
            i = k % xy.shape[0]
            # The players keep moving from lap to lap, so that every frame differs.
            held = eng.push_frame(k * DT_US, xy[i] + 0.01 * (k // xy.shape[0]), np.zeros(6), ball[i])
            held_snap = _snapshot(held)
            if not _whole_frame(held):
                problems.append(f"feed: torn result, frame {held.frame_id}")
            stats["feed_frames"] += 1
            k += 1
            next_t += DT_US / 1e6  # 10 Hz
            time.sleep(max(0.0, next_t - time.monotonic()))

    threads = [threading.Thread(target=render, name="render"), threading.Thread(target=feed, name="feed")]
    for t in threads:
        t.start()
    threads[0].join(timeout=600)
    stop.set()
    threads[1].join(timeout=30)
    counters = eng.counters()
    eng.close()
    assert not problems, problems[:5]
    assert stats["reads"] >= READS
    # The threads really ran together: many frames fed, many results published and seen.
    assert stats["feed_frames"] >= 20 and stats["feed_checked"] >= 19
    assert counters["frames_inferred"] >= 10 and stats["render_distinct"] >= 10
    assert counters.get("results_copied") == 0  # two reader threads: both had a place of their own
