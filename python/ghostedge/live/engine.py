"""The real-time engine and its plugin API: live tag reads in, ghost trajectories out, per frame.

Lifecycle (docs/plugin-api.md has the thread rules and the result schema)::

    engine = Engine(EngineConfig())          # cheap; nothing loaded
    engine.set_roster(Roster.from_play(play)) # static data: players, clubs, tags
    engine.activate()                        # model loaded, providers picked, warm-up, buffers
    while live:
        engine.push_packets(datagram)        # raw tag-read bytes, any chunking   (feed thread)
        result = engine.tick(frame_time_us)  # one tracking frame; returns at once (host thread)
        result = engine.latest()             # freshest finished result, any time (host thread)
    engine.deactivate(); engine.close()

The per-frame calls (``push_packets``, ``push_frame``, ``tick``, ``latest``, ``signal_event``)
never raise and never wait for inference: inference runs on a worker thread and ``latest``
returns the newest finished result, flagged ``stale`` when it is behind. Errors go to counters,
``last_error`` and the ``ghostedge.engine`` logger. Lifecycle misuse (activate twice, close
twice, set_roster after close, ...) raises :class:`EngineStateError`: that is a programming
error of the host, not a data problem.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import numpy as np

from .config import ENGINE_API_VERSION, EngineConfig, EngineStateError
from .events import PassDetector
from .result import COUNTERS, INGEST_ROW_FIELDS, GhostResult, ingest_rows_to_frame
from .roster import Roster
from .worker import EngineWorker, Job

log = logging.getLogger("ghostedge.engine")
_HISTORY = 4  # frames kept: the model needs t-2..t, the pass detector one more for speeds


class Engine(EngineWorker):
    """The live engine (see module docstring and docs/plugin-api.md)."""

    API_VERSION = ENGINE_API_VERSION

    def __init__(self, config: EngineConfig | None = None, model: Any = None) -> None:
        """``model``: an object with ``predict_frame(...)`` like ``GhostModel`` to use instead of
        loading ``config.model_path`` (for tests and hosts that share one model)."""
        self.config = config or EngineConfig()
        if self.config.rate_hz <= 0 or self.config.horizon < 1:
            raise ValueError("rate_hz must be > 0 and horizon >= 1")
        self.dt_s = 1.0 / self.config.rate_hz
        self._injected_model = model
        self._model = None
        self._predict_into = None  # the model's predict_frame_into, when it has one
        self._state = "created"  # created -> active -> inactive -> closed
        self._roster: Roster | None = None
        self._lock = threading.Lock()  # guards only pointer swaps; never held while computing
        # Counters live as long as the engine (across activations and rosters).
        self._counters: dict[str, int] = {k: 0 for k in COUNTERS}
        self._last_error = ""
        self._worker: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._inactive_result = GhostResult(1, 1, self.config.horizon, self.dt_s)
        self.providers: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def model_loaded(self) -> bool:
        return self._model is not None

    def set_roster(self, roster: Roster) -> None:
        """Static data for the next play. Allowed when created, active or inactive (not closed);
        when active, pending frames are dropped and buffers resized (control thread only)."""
        if self._state == "closed":
            raise EngineStateError("set_roster() after close(): create a new Engine")
        if not isinstance(roster, Roster):
            raise TypeError("set_roster() takes a ghostedge.engine.Roster")
        self._roster = roster
        if self._state == "active":
            self._stop_worker()
            self._allocate()
            self._warm_up()
            self._start_worker()

    def activate(self) -> None:
        """Load the model, pick providers, warm up, allocate every buffer, start the worker."""
        if self._state == "active":
            raise EngineStateError("activate() called twice: call deactivate() first")
        if self._state == "closed":
            raise EngineStateError("activate() after close(): create a new Engine")
        if self._roster is None:
            raise EngineStateError("activate() needs a roster: call set_roster() first")
        if self._model is None:
            self._load_model()
        self._allocate()
        self._warm_up()
        self._start_worker()
        self._state = "active"

    def deactivate(self) -> None:
        """Stop the worker (waits for the running inference); buffers and model are kept."""
        if self._state != "active":
            raise EngineStateError(f"deactivate() when {self._state}, not active")
        self._stop_worker()
        self._state = "inactive"

    def _start_worker(self) -> None:
        self._stop.clear()
        self._worker = threading.Thread(target=self._worker_loop, name="ghostedge-inference", daemon=True)
        self._worker.start()

    def _stop_worker(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(timeout=30.0)
        self._worker = None

    def close(self) -> None:
        """Release everything. Deactivates first when active. A second close() raises."""
        if self._state == "closed":
            raise EngineStateError("close() called twice")
        if self._state == "active":
            self.deactivate()
        self._model = self._predict_into = None
        self._pipeline = None
        self._state = "closed"

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        if self._state != "closed":
            self.close()

    # -- setup helpers (not real-time) -------------------------------------------------------

    def _load_model(self) -> None:
        if self._injected_model is not None:
            self._model = self._injected_model
        else:
            try:
                from ..model.inference import GhostModel

                self._model = GhostModel(self.config.model_path, providers=self.config.providers)
            except Exception as exc:  # missing/corrupt model: degraded mode, or raise if asked
                if self.config.require_model:
                    raise
                self._count("errors_model_load")
                self._error(f"model not loaded ({type(exc).__name__}: {exc}); "
                            "serving positions without ghosts")
                self._model = None
        self.providers = list(getattr(self._model, "providers", []) or [])
        # GhostModel writes straight into the result buffers; other models (wrappers, test
        # doubles) only need predict_frame, whose output is copied.
        self._predict_into = getattr(self._model, "predict_frame_into", None)

    def _allocate(self) -> None:
        roster = self._roster
        n = roster.n_players
        self._defenders = roster.defenders()
        self._receivers = roster.receivers()
        self._passers = roster.passers()
        d, r, h = max(1, self._defenders.size), max(1, self._receivers.size), self.config.horizon
        self._ring_xy = np.full((2 * _HISTORY, n, 2), np.nan)
        self._ring_o = np.full((2 * _HISTORY, n), np.nan)
        self._ring_ball = np.full((2 * _HISTORY, 2), np.nan)
        self._windows = [(self._ring_xy[h + 1:h + 1 + _HISTORY], self._ring_o[h + 1:h + 1 + _HISTORY],
                          self._ring_ball[h + 1:h + 1 + _HISTORY]) for h in range(_HISTORY)]
        self._ring_head = 0
        self._hist_xy, self._hist_o, self._hist_ball = self._windows[0]
        self._hist_valid = 0
        self._bad_scratch = (np.zeros((n, 2), bool), np.zeros((n, 2), bool), np.zeros(n, bool))
        self._frame_counter = 0
        self._last_frame_id = -1
        self._last_tick_monotonic = 0.0
        # Triple-buffered input: the tick fills one, one waits, the worker reads one; only
        # references are swapped under the lock (latest wins: a waiting frame is replaced).
        self._job_fill, self._job_wait, self._job_work = Job(n), Job(n), Job(n)
        self._job_pending = False
        self._idle.set()
        # Triple-buffered results: one published, one held by the host, one the worker writes.
        self._results = [GhostResult(d, r, h, self.dt_s) for _ in range(3)]
        self._published = 0
        self._host_held = 0
        self._detector = PassDetector(self.config, self.dt_s)
        self._host_target = -1
        self._slot_of_nfl = {int(v): i for i, v in enumerate(roster.nfl_ids)}
        self._is_offense = roster.offence_mask()
        self._context = self._model_context() if self._model is not None else None
        self._pipeline = None
        if roster.registry is not None:
            from ..ingest.pipeline import IngestPipeline

            self._pipeline = IngestPipeline(roster.registry, rate_hz=self.config.rate_hz)
            # ingest slot -> roster slot (a tagged player the roster does not list is ignored)
            ids = np.asarray(self._pipeline.nfl_ids, dtype=np.int64)
            self._ingest_slots = int(self._pipeline.n_players)
            slot = np.array([self._slot_of_nfl.get(int(v), -1) for v in ids], dtype=np.int64)
            self._ingest_src = np.flatnonzero(slot >= 0)  # ingest slots the roster knows
            self._ingest_dst = slot[self._ingest_src]  # their roster slots
            self._ingest_rows = np.full((len(INGEST_ROW_FIELDS), self._ingest_slots + 1), np.nan)
            # tick_into writes row 0 of each [1, n + 1] array: views of one [5, n + 1] block
            self._ingest_out = {k: self._ingest_rows[i:i + 1] for i, k in enumerate(INGEST_ROW_FIELDS)}
            self._ingest_gather = np.empty((3, self._ingest_src.size))

    def _warm_up(self) -> None:
        if self._model is None or self.config.warmup_runs <= 0:
            return
        n = self._roster.n_players
        xy = np.tile(np.linspace([20.0, 5.0], [100.0, 48.0], n)[None], (3, 1, 1))
        o = np.zeros((3, n))
        ball = xy[:, 0, :].copy()
        dfd, rcv = self._defenders, self._receivers
        if dfd.size == 0 or rcv.size == 0:
            return
        for _ in range(self.config.warmup_runs):
            try:
                self._predict(xy, o, ball, dfd, rcv)
            except Exception as exc:
                self._count("errors_inference")
                self._error(f"warm-up inference failed: {type(exc).__name__}: {exc}")
                return

    def _model_context(self):
        """The model's play context (``ghostedge.model.frames.PlayContext``) from the roster's
        static data; built once per roster."""
        from types import SimpleNamespace

        from ..model.frames import PlayContext

        r = self._roster
        return PlayContext.from_play(SimpleNamespace(
            context=r.context, possession_team=r.offence, play_direction=r.play_direction))

    def _predict(self, xy, o, ball, defenders, receivers):
        return self._model.predict_frame(xy, o, ball, defenders, receivers, self._context,
                                         horizon=self.config.horizon, is_offense=self._is_offense)

    # -- per-frame calls (never raise) -------------------------------------------------------

    def push_packets(self, data) -> bool:
        """Raw tag-read bytes (any chunking: bytes, bytearray, memoryview, numpy uint8).
        Returns False (and counts why) when the bytes could not be taken."""
        try:
            if self._state != "active":
                return self._inactive_call("push_packets")
            if self._pipeline is None:
                self._count("errors_ingest")
                self._error("push_packets(): the roster has no tag registry (use push_frame)")
                return False
            self._pipeline.push(data)
            self._counters["packets_pushed"] += 1
            self._counters["bytes_pushed"] += len(memoryview(data).cast("B"))
            return True
        except Exception as exc:
            self._count("errors_ingest")
            self._error(f"push_packets: {type(exc).__name__}: {exc}")
            return False

    def push_frame(self, time_us: int, xy: np.ndarray, o: np.ndarray | None = None,
                   ball_xy: np.ndarray | None = None, frame_id: int | None = None) -> GhostResult:
        """An already-decoded frame: xy [N, 2] in roster slot order (NaN = missing), o [N]
        degrees, ball_xy [2]. Does what tick() does, minus the ingest stage."""
        try:
            if self._state != "active":
                return self._inactive_call("push_frame") or self._inactive_result
            t0 = time.perf_counter()
            xy = np.asarray(xy, dtype=np.float64)
            n = self._roster.n_players
            if xy.shape != (n, 2):
                raise ValueError(f"xy must be [{n}, 2] (roster slots), got {list(xy.shape)}")
            self._advance_history()
            try:
                self._hist_xy[-1] = xy
                self._hist_o[-1] = np.nan if o is None else o
                self._hist_ball[-1] = np.nan if ball_xy is None else ball_xy
                self._drop_bad_values()
            finally:  # keep the ring's twin rows equal whatever happened
                self._commit_history()
            return self._after_frame(int(time_us), frame_id, t0, float("nan"))
        except Exception as exc:
            self._count("errors_push_frame")
            self._error(f"push_frame: {type(exc).__name__}: {exc}")
            return self.latest()

    def tick(self, time_us: int, frame_id: int | None = None) -> GhostResult:
        """Close the tracking frame at ``time_us`` (ingest: fuse + filter the reads pushed so
        far), hand it to the worker, and return :meth:`latest`. Never blocks on inference."""
        try:
            if self._state != "active":
                return self._inactive_call("tick") or self._inactive_result
            if self._pipeline is None:
                raise RuntimeError("tick(): the roster has no tag registry (use push_frame)")
            t0 = time.perf_counter()
            # into preallocated rows: no allocation
            self._pipeline.tick_into(int(time_us), self._ingest_out, 0)
            self._advance_history()
            try:
                ingest_rows_to_frame(self._ingest_rows, self._ingest_src, self._ingest_dst,
                                     self._ingest_gather, self._hist_xy[-1], self._hist_o[-1],
                                     self._hist_ball[-1])
            finally:  # keep the ring's twin rows equal whatever happened
                self._commit_history()
            ingest_ms = (time.perf_counter() - t0) * 1e3
            return self._after_frame(int(time_us), frame_id, t0, ingest_ms)
        except Exception as exc:
            self._count("errors_tick")
            self._error(f"tick: {type(exc).__name__}: {exc}")
            return self.latest()

    def signal_event(self, name: str, target_nfl_id: int | None = None) -> bool:
        """Host-signalled event: ``pass_forward``, ``pass_arrived``, ``ball_snap`` or ``reset``
        (new play: forget detection state). Applies to the newest frame. ``target_nfl_id``
        with pass_forward: the host knows the target (overrides inference)."""
        try:
            if self._state != "active":
                return self._inactive_call("signal_event")
            frame_id = self._last_frame_id if self._last_frame_id >= 0 else 0
            self._detector.signal(name, frame_id)
            if name in ("reset", "ball_snap"):
                self._host_target = -1
            if target_nfl_id is not None:
                self._host_target = self._slot_of_nfl.get(int(target_nfl_id), -1)
            return True
        except Exception as exc:
            self._count("errors_event")
            self._error(f"signal_event: {type(exc).__name__}: {exc}")
            return False

    def latest(self) -> GhostResult:
        """The newest finished result, with ``age_s``/``frames_behind``/``stale`` set now."""
        try:
            if self._state not in ("active", "inactive"):
                self._inactive_call("latest")
                return self._inactive_result
            with self._lock:
                self._host_held = self._published
                res = self._results[self._host_held]
            now = time.monotonic()
            res.age_s = (now - res._tick_monotonic) if res.frame_id >= 0 else float("inf")
            res.frames_behind = max(0, self._last_frame_id - res.frame_id) if res.frame_id >= 0 else 0
            res.stale = (res.frame_id < 0 or res.frames_behind > self.config.max_frames_behind
                         or res.age_s > self.config.max_age_s + self.dt_s * res.frames_behind)
            res.counters.update(self._counters)
            if res.stale:
                self._counters["results_stale"] += 1
            res.last_error = self._last_error
            return res
        except Exception as exc:  # pragma: no cover - defensive: latest() must never raise
            self._count("errors_tick")
            self._error(f"latest: {type(exc).__name__}: {exc}")
            return self._inactive_result

    def counters(self) -> dict:
        """Engine counters plus the ingest pipeline's (a copy; control thread)."""
        out = dict(self._counters)
        pipe = getattr(self, "_pipeline", None)
        if pipe is not None:
            try:
                out.update({f"ingest_{k}": int(v) for k, v in pipe.counters().items()})
            except Exception:
                pass
        return out

    @property
    def last_error(self) -> str:
        return self._last_error

    @property
    def ingest_delay_us(self) -> int:
        """How far past a frame's time the ingest filter reads (its allowed delay): call
        ``tick(t)`` once the packets captured up to ``t + ingest_delay_us`` (plus the network's
        latency) are pushed. 0 before activation or without a tag registry."""
        pipe = getattr(self, "_pipeline", None)
        return 0 if pipe is None else int(round(float(getattr(pipe, "delay_s", 0.0)) * 1e6))

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Offline use only (replay, tests): wait until the worker has finished every frame
        handed to it. Never call it from a real-time thread."""
        if self._state != "active":
            return True
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._idle.wait(timeout=0.01):
                with self._lock:
                    if not self._job_pending and self._idle.is_set():
                        return True
        return False

    # -- internals ---------------------------------------------------------------------------

    def _inactive_call(self, name: str) -> bool:
        self._counters["errors_calls_inactive"] += 1
        msg = f"{name}() while the engine is {self._state}: call activate() first"
        self._inactive_result.last_error = msg
        self._inactive_result.ok = False
        self._inactive_result.stale = True
        self._error(msg)
        return False

    def _count(self, key: str) -> None:
        self._counters[key] = self._counters.get(key, 0) + 1

    def _error(self, msg: str) -> None:
        if msg != self._last_error:  # log each distinct error once in a row, not every frame
            log.error(msg)
        self._last_error = msg

    # History: a ring of _HISTORY frames stored twice (rows i and i + _HISTORY), so that the
    # latest _HISTORY frames, oldest first, are always one contiguous slice: a new frame moves
    # the start of the window (views made once in _allocate) instead of copying the history.
    def _advance_history(self) -> None:
        """Make the window end at a fresh row for the new frame (write it, then commit)."""
        self._ring_head = (self._ring_head + 1) % _HISTORY
        self._hist_xy, self._hist_o, self._hist_ball = self._windows[self._ring_head]
        self._hist_valid = min(self._hist_valid + 1, _HISTORY)

    def _commit_history(self) -> None:
        """Copy the new frame (row head + _HISTORY) to its twin row (head)."""
        h = self._ring_head
        np.copyto(self._ring_xy[h], self._ring_xy[h + _HISTORY])
        np.copyto(self._ring_o[h], self._ring_o[h + _HISTORY])
        np.copyto(self._ring_ball[h], self._ring_ball[h + _HISTORY])

    def _drop_bad_values(self) -> None:
        """push_frame input: a position with an infinite coordinate, or with one coordinate NaN
        and the other not, and an infinite orientation are bad values, not a missing player
        (NaN in both): counted (``frames_bad_values``, ``players_bad_values``) and made
        missing. Ball likewise. No allocation on a clean frame."""
        xy, o, ball = self._hist_xy[-1], self._hist_o[-1], self._hist_ball[-1]
        inf_xy, nan_xy, inf_o = self._bad_scratch
        np.isinf(xy, out=inf_xy)
        np.isnan(xy, out=nan_xy)
        np.isinf(o, out=inf_o)
        bad = inf_xy.any() or inf_o.any() or bool(np.not_equal(nan_xy[:, 0], nan_xy[:, 1]).any())
        ball_bad = (math.isinf(ball[0]) or math.isinf(ball[1])
                    or math.isnan(ball[0]) != math.isnan(ball[1]))
        if not (bad or ball_bad):
            return
        players = inf_xy.any(axis=1) | (nan_xy[:, 0] != nan_xy[:, 1]) | inf_o
        xy[players] = np.nan
        o[players] = np.nan
        if ball_bad:
            ball[:] = np.nan
        self._counters["frames_bad_values"] += 1
        self._counters["players_bad_values"] += int(players.sum())
        self._error(f"push_frame: {int(players.sum())} player(s){' and the ball' if ball_bad else ''} "
                    "with infinite or half-missing coordinates (treated as missing)")

    def _frame_id_for(self, time_us: int, frame_id: int | None) -> int:
        r = self._roster
        if frame_id is not None:
            return int(frame_id)
        if r.frame0_id is not None and r.frame0_time_us is not None:
            return int(r.frame0_id + round((time_us - r.frame0_time_us) * self.config.rate_hz / 1e6))
        return self._frame_counter + 1

    def _after_frame(self, time_us: int, frame_id: int | None, t0: float, ingest_ms: float) -> GhostResult:
        fid = self._frame_id_for(time_us, frame_id)
        self._frame_counter += 1
        self._counters["frames"] += 1
        self._last_frame_id = fid
        t1 = time.perf_counter()
        self._detector.update(fid, self._hist_xy, self._hist_ball, self._hist_valid, self._passers)
        events_ms = (time.perf_counter() - t1) * 1e3
        # Fill the free input buffer and post it (latest wins: an unconsumed job is replaced).
        job = self._job_fill
        job.xy[...] = self._hist_xy[-3:]
        job.o[...] = self._hist_o[-3:]
        job.ball[...] = self._hist_ball[-3:]
        job.frame_id, job.time_us = fid, time_us
        job.tick_monotonic = time.monotonic()
        job.phase = self._detector.phase
        job.pass_forward_frame = self._detector.release_frame
        job.pass_arrived_frame = self._detector.arrival_frame
        job.ingest_ms, job.events_ms = ingest_ms, events_ms
        job.host_target = self._host_target
        with self._lock:
            if self._job_pending:
                self._counters["frames_skipped"] += 1
            self._job_fill, self._job_wait = self._job_wait, self._job_fill
            self._job_pending = True
            self._idle.clear()
        self._wake.set()
        return self.latest()
