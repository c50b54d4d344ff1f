"""The worker-thread half of the engine: take the newest frame, infer, score, publish.

:class:`Engine` (``engine.py``) owns the lifecycle and the per-frame calls made on the host's
threads; this mixin holds what runs on the ``ghostedge-inference`` thread. The two halves share
the engine's buffers and talk only through reference swaps under ``Engine._lock``.
"""

from __future__ import annotations

import time

import numpy as np

from ..analysis.metric import score_ghosts_into
from .events import infer_target
from .result import GhostResult


class Job:
    """Preallocated input snapshot for the worker (copied in the tick, read by the worker)."""

    def __init__(self, n: int) -> None:
        self.xy = np.full((3, n, 2), np.nan)
        self.o = np.full((3, n), np.nan)
        self.ball = np.full((3, 2), np.nan)
        self.frame_id = -1
        self.time_us = 0
        self.tick_monotonic = 0.0
        self.phase = "pre_throw"
        self.pass_forward_frame: int | None = None
        self.pass_arrived_frame: int | None = None
        self.ingest_ms = float("nan")
        self.events_ms = float("nan")
        self.host_target = -1


class EngineWorker:
    """Mixin of :class:`ghostedge.live.Engine`: the inference worker's loop and computation."""

    def _worker_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=0.1)
            self._wake.clear()
            while True:
                with self._lock:
                    if not self._job_pending:
                        self._idle.set()
                        break
                    self._job_work, self._job_wait = self._job_wait, self._job_work
                    self._job_pending = False
                    job = self._job_work
                try:
                    self._compute(job)
                except Exception as exc:  # never let the worker die
                    self._count("errors_inference")
                    self._error(f"worker: {type(exc).__name__}: {exc}")

    def _free_result_index(self) -> int:
        with self._lock:
            for i in range(3):
                if i != self._published and i != self._host_held:
                    return i
        return (self._published + 1) % 3  # unreachable with 3 buffers

    def _compute(self, job: Job) -> None:
        t_start = time.perf_counter()
        idx = self._free_result_index()
        res = self._results[idx]
        dfd_all, rcv_all = self._defenders, self._receivers
        now_xy = job.xy[-1]
        # Only players seen in all three history frames can be ghosted.
        seen = np.isfinite(job.xy).all(axis=(0, 2))
        dfd = dfd_all[seen[dfd_all]]
        rcv = rcv_all[seen[rcv_all]]
        res._set_sizes(dfd.size, rcv.size)
        res.defender_ids[:] = self._roster.nfl_ids[dfd]
        res.receiver_ids[:] = self._roster.nfl_ids[rcv]
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

        if self._model is None or not (dfd.size and rcv.size):
            res.mean.fill(np.nan)
            res.sigma.fill(np.nan)
            res.ok = self._model is not None
        else:
            t = time.perf_counter()
            try:
                if self._predict_into is not None:
                    self._predict_into(job.xy, job.o, job.ball, dfd, rcv, self._context,
                                       self.config.horizon, is_offense=self._is_offense,
                                       mean_out=res.mean, sigma_out=res.sigma)
                else:
                    ghosts = self._predict(job.xy, job.o, job.ball, dfd, rcv)
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
        with self._lock:
            self._published = idx

    def _score(self, res: GhostResult, dfd_xy: np.ndarray, rcv_xy: np.ndarray, rcv_vel: np.ndarray) -> None:
        """Metric of every ghost (start point + mean) against the receiver's constant-velocity
        extrapolation over the horizon (live basis; docs/metric.md, 'Live')."""
        score_ghosts_into(dfd_xy, res.mean, rcv_xy, rcv_vel, self.dt_s, res.metric)
