"""The worker-thread half of the engine: take the newest frame, infer, score, publish.

:class:`Engine` (``engine.py``) owns the lifecycle and the per-frame calls made on the host's
threads; this mixin holds what runs on the ``ghostedge-inference`` thread. The two halves talk
only through the job mailbox (reference swaps under ``Engine._jobs_lock``) and the result
handoff (``handoff.py``: the worker writes a buffer no thread holds, then publishes it).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from ..analysis.metric import score_ghosts_into
from .events import infer_target
from .play_state import Job, scorable_players
from .result import GhostResult


class EngineWorker:
    """Mixin of :class:`ghostedge.live.Engine`: the inference worker's loop and computation."""

    def _worker_loop(self, stop: threading.Event) -> None:
        """``stop`` is this worker's own: a worker left behind in a long model call by
        deactivate() exits when the call returns, and never publishes after it was stopped."""
        while not stop.is_set():
            self._wake.wait(timeout=0.1)
            self._wake.clear()
            while not stop.is_set():
                with self._jobs_lock:
                    job = self._pending
                    if job is None:
                        self._idle.set()
                        break
                    self._pending = None
                    self._working = job
                try:
                    self._compute(job, stop)
                except Exception as exc:  # never let the worker die
                    self._count("errors_inference")
                    self._error(f"worker: {type(exc).__name__}: {exc}")
                finally:
                    with self._jobs_lock:
                        self._working = None
        self._idle.set()

    def _compute(self, job: Job, stop: threading.Event) -> None:
        t_start = time.perf_counter()
        play = job.play()
        if play is None:  # its roster was replaced and freed meanwhile: nothing to publish
            return
        handoff = self._handoff
        res = handoff.begin_write()
        filled = False
        try:
            self._fill(res, job, play, t_start)
            res._freeze()
            filled = True
        finally:  # publish, or give the buffer back (a result left half-written never shows)
            published = handoff.publish(res, play, accept=filled and not stop.is_set())
        if published and self._shm is not None:
            # res is published: only this thread ever writes it, and it does not until done here.
            try:
                self._shm.write(res)
            except Exception as exc:
                self._count("errors_shm")
                self._error(f"shared-memory output: {type(exc).__name__}: {exc}")

    def _fill(self, res: GhostResult, job: Job, play, t_start: float) -> None:
        dfd_all, rcv_all = play.defenders, play.receivers
        now_xy = job.xy[-1]
        seen = scorable_players(job.xy)
        dfd = dfd_all[seen[dfd_all]]
        rcv = rcv_all[seen[rcv_all]]
        res._set_sizes(dfd.size, rcv.size)
        res.defender_ids[:] = play.nfl_ids[dfd]
        res.receiver_ids[:] = play.nfl_ids[rcv]
        res.defender_xy[...] = now_xy[dfd]
        res.receiver_xy[...] = now_xy[rcv]
        res.metric.fill(np.nan)
        res.ok = True
        res.frame_id, res.time_us, res.phase = job.frame_id, job.time_us, job.phase
        res.pass_forward_frame, res.pass_arrived_frame = job.pass_forward_frame, job.pass_arrived_frame
        res.ball_xy = (float(job.ball[-1, 0]), float(job.ball[-1, 1]))
        res._tick_monotonic = job.tick_monotonic
        res.timings_ms["ingest"] = job.ingest_ms
        res.timings_ms["events"] = job.events_ms
        for k in ("features_inference", "metric", "target"):
            res.timings_ms[k] = float("nan")

        # Receiver velocities from the filtered history (yd/s), used by target and metric.
        rcv_vel = (job.xy[-1, rcv] - job.xy[-2, rcv]) / self.dt_s

        t = time.perf_counter()
        res.target_index, res.target_nfl_id, res.target_source = -1, None, "none"
        if job.host_target >= 0 and job.host_target in rcv:
            res.target_index = int(np.flatnonzero(rcv == job.host_target)[0])
            res.target_source = "host"
        elif job.phase != "pre_throw" and rcv.size:
            ball_vel = (job.ball[-1] - job.ball[-2]) / self.dt_s
            res.target_index = infer_target(job.ball[-1], ball_vel, now_xy[rcv], rcv_vel)
            res.target_source = "ball_path" if res.target_index >= 0 else "none"
        if res.target_index >= 0:
            res.target_nfl_id = int(res.receiver_ids[res.target_index])
        res.timings_ms["target"] = (time.perf_counter() - t) * 1e3

        model = self._model
        if model is None or not (dfd.size and rcv.size):
            res.mean.fill(np.nan)
            res.sigma.fill(np.nan)
            res.ok = model is not None
        else:
            t = time.perf_counter()
            try:
                if self._predict_into is not None:
                    self._predict_into(job.xy, job.o, job.ball, dfd, rcv, play.context,
                                       self.config.horizon, is_offense=play.is_offense,
                                       mean_out=res.mean, sigma_out=res.sigma)
                else:
                    ghosts = self._predict(play, job.xy, job.o, job.ball, dfd, rcv)
                    res.mean[...] = ghosts.mean
                    res.sigma[...] = ghosts.sigma
                self._counters["frames_inferred"] += 1
            except Exception as exc:
                res.mean.fill(np.nan)
                res.sigma.fill(np.nan)
                res.ok = False
                self._count("errors_inference")
                self._error(f"inference: {type(exc).__name__}: {exc}")
            res.timings_ms["features_inference"] = (time.perf_counter() - t) * 1e3
            if res.ok:
                t = time.perf_counter()
                try:
                    self._score(res, res.defender_xy, res.receiver_xy, rcv_vel)
                except Exception as exc:
                    self._count("errors_metric")
                    self._error(f"metric: {type(exc).__name__}: {exc}")
                res.timings_ms["metric"] = (time.perf_counter() - t) * 1e3
        res.timings_ms["total_worker"] = (time.perf_counter() - t_start) * 1e3

    def _score(self, res: GhostResult, dfd_xy: np.ndarray, rcv_xy: np.ndarray, rcv_vel: np.ndarray) -> None:
        """Metric of every ghost (start point + mean) against the receiver's constant-velocity
        extrapolation over the horizon (live basis; docs/metric.md, 'Live')."""
        score_ghosts_into(dfd_xy, res.mean, rcv_xy, rcv_vel, self.dt_s, res.metric)
