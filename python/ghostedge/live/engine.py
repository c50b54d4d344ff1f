"""The real-time engine and its plugin API: live tag reads in, ghost trajectories out, per frame.

Lifecycle (docs/plugin-api.md has the thread rules and the result schema)::

    engine = Engine(EngineConfig())          # cheap; nothing loaded
    engine.set_roster(Roster.from_play(play)) # static data: players, clubs, tags
    engine.activate()                        # model loaded, providers picked, warm-up, buffers
    while live:
        engine.push_packets(datagram)        # raw tag-read bytes, any chunking   (feed thread)
        result = engine.tick(frame_time_us)  # one tracking frame; returns at once (feed thread)
        result = engine.latest()             # freshest finished result, any time (any thread)
    engine.deactivate(); engine.close()

The per-frame calls (``push_packets``, ``push_frame``, ``tick``, ``latest``, ``signal_event``)
never raise and never wait for inference: inference runs on a worker thread and ``latest``
returns the newest finished result, flagged ``stale`` when it is behind. Each thread's result
stays unchanged until that thread's next call (``handoff.py``). Errors go to counters,
``last_error`` and the ``ghostedge.engine`` logger. Lifecycle misuse (activate twice, close
twice, set_roster after close, a roster beyond the activated capacity, ...) raises
:class:`EngineStateError`: that is a programming error of the host, not a data problem.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from ..constants import DT_S
from .config import ENGINE_API_VERSION, EngineConfig, EngineStateError
from .handoff import ResultHandoff
from .play_state import PlayState
from .result import COUNTERS, GhostResult, ingest_rows_to_frame
from .roster import Roster
from .worker import EngineWorker

log = logging.getLogger("ghostedge.engine")


class Engine(EngineWorker):
    """The live engine (see module docstring and docs/plugin-api.md)."""

    API_VERSION = ENGINE_API_VERSION

    def __init__(self, config: EngineConfig | None = None, model: Any = None) -> None:
        """``model``: an object with ``predict_frame(...)`` like ``GhostModel`` to use instead of
        loading ``config.model_path`` (for tests and hosts that share one model)."""
        self.config = config or EngineConfig()
        c = self.config
        if not (c.rate_hz > 0) or c.horizon < 1:
            raise ValueError("rate_hz must be > 0 and horizon >= 1")
        if c.max_defenders < 1 or c.max_receivers < 1 or c.max_result_readers < 1:
            raise ValueError("max_defenders, max_receivers and max_result_readers must be >= 1")
        self.dt_s = 1.0 / c.rate_hz
        self._injected_model = model
        self._model = None
        self._predict_into = None  # the model's predict_frame_into, when it has one
        self._state = "created"  # created -> active -> inactive -> closed
        self._roster: Roster | None = None
        self._play: PlayState | None = None  # the active roster's state (swapped, never edited)
        self._handoff: ResultHandoff | None = None
        self._shm = None  # the shared-memory output (config.shm_name)
        self._jobs_lock = threading.Lock()  # guards the job mailbox; held for reference swaps only
        self._pending = None  # the job waiting for the worker (latest wins)
        self._working = None  # the job the worker is on
        # Counters live as long as the engine (across activations and rosters).
        self._counters: dict[str, int] = {k: 0 for k in COUNTERS}
        self._last_error = ""
        self._worker: threading.Thread | None = None
        self._worker_stop: threading.Event | None = None
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._inactive_result = GhostResult(1, 1, c.horizon, self.dt_s)
        self.providers: list[str] = []

    # -- lifecycle (control thread) ----------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def model_loaded(self) -> bool:
        return self._model is not None

    @property
    def capacity(self) -> tuple[int, int]:
        """(defensive backs, receivers) the results and model buffers hold; (0, 0) before the
        first activate()."""
        h = self._handoff
        return (0, 0) if h is None else (h.max_defenders, h.max_receivers)

    def set_roster(self, roster: Roster) -> None:
        """Static data for the next play. Allowed when created, active or inactive (not closed).
        While active the new roster's state is built here (control thread) and swapped in
        without stopping the worker: frames of the old roster still in flight are dropped and
        ``latest()`` answers "no result yet" (``frame_id`` -1) until the new roster's first
        result. A roster with more defensive backs or receivers than the capacity chosen at
        activate() raises EngineStateError: deactivate(), set_roster(), activate()."""
        if self._state == "closed":
            raise EngineStateError("set_roster() after close(): create a new Engine")
        if not isinstance(roster, Roster):
            raise TypeError("set_roster() takes a ghostedge.engine.Roster")
        if self._state == "active":
            d, r = len(roster.defenders()), len(roster.receivers())
            cap_d, cap_r = self.capacity
            if d > cap_d or r > cap_r:
                raise EngineStateError(
                    f"set_roster(): {d} defensive backs x {r} receivers is beyond the {cap_d} x "
                    f"{cap_r} allocated by activate(); call deactivate(), set_roster(), activate() "
                    "(or raise EngineConfig.max_defenders / max_receivers)")
            self._swap_play(PlayState(roster, self.config, self.dt_s))
        self._roster = roster

    def activate(self) -> None:
        """Load the model (checking its frame rate against ``rate_hz``), pick providers, allocate
        every buffer for the capacity (``max_defenders`` x ``max_receivers``, at least the
        roster's), warm up, start the worker."""
        if self._state == "active":
            raise EngineStateError("activate() called twice: call deactivate() first")
        if self._state == "closed":
            raise EngineStateError("activate() after close(): create a new Engine")
        if self._roster is None:
            raise EngineStateError("activate() needs a roster: call set_roster() first")
        if self._worker is not None and self._worker.is_alive():
            raise EngineStateError(
                "activate(): the previous inference worker has not stopped (a model call has run "
                f"longer than worker_join_timeout_s = {self.config.worker_join_timeout_s} s); "
                "try again once it returns")
        c = self.config
        cap_d = max(c.max_defenders, len(self._roster.defenders()))
        cap_r = max(c.max_receivers, len(self._roster.receivers()))
        if self._model is None:
            self._load_model(cap_d * cap_r)
        if self.capacity != (cap_d, cap_r):
            self._handoff = ResultHandoff(cap_d, cap_r, c.horizon, self.dt_s, c.max_result_readers)
        reserve = getattr(self._model, "reserve", None)
        if reserve is not None:
            reserve(cap_d * cap_r)
        if c.shm_name and self._shm is None:
            from .shm import ShmOutput

            self._shm = ShmOutput(c.shm_name, cap_d, cap_r, c.horizon)
        play = PlayState(self._roster, c, self.dt_s)
        self._swap_play(play)
        self._warm_up(play, cap_d, cap_r)
        self._start_worker()
        self._state = "active"

    def deactivate(self) -> None:
        """Stop the worker (waits up to ``worker_join_timeout_s`` for the running inference);
        buffers and model are kept. A worker still in a model call after that is left to
        finish on its own (it publishes nothing more; counted ``errors_worker_stuck``), and
        activate() refuses to start another until it has: never two workers."""
        if self._state != "active":
            raise EngineStateError(f"deactivate() when {self._state}, not active")
        self._stop_worker()
        self._state = "inactive"

    def release_result(self) -> bool:
        """The calling thread gives up the result it holds and its reader place (for a render
        thread that stops while the engine lives on). True if it held one."""
        return self._handoff is not None and self._handoff.release()

    def close(self) -> None:
        """Release everything. Deactivates first when active. A second close() raises."""
        if self._state == "closed":
            raise EngineStateError("close() called twice")
        if self._state == "active":
            self.deactivate()
        if self._shm is not None and not (self._worker is not None and self._worker.is_alive()):
            self._shm.close()  # (a stuck worker may still write it: then the process exit does)
        self._shm = None
        self._model = self._predict_into = None
        self._state = "closed"

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        if self._state != "closed":
            self.close()

    def _swap_play(self, play: PlayState) -> None:
        """Make ``play`` current: the worker's waiting job of another play is dropped and the
        results say "no result yet" until ``play``'s first one (the worker drops results of
        other plays it was computing)."""
        with self._jobs_lock:
            if self._pending is not None:
                self._pending = None
            self._play = play
        self._handoff.clear(play)

    def _start_worker(self) -> None:
        stop = self._worker_stop = threading.Event()
        self._worker = threading.Thread(target=self._worker_loop, args=(stop,), name="ghostedge-inference",
                                        daemon=True)
        self._worker.start()

    def _stop_worker(self) -> None:
        if self._worker is None:
            return
        self._worker_stop.set()
        self._wake.set()
        self._worker.join(timeout=self.config.worker_join_timeout_s)
        if self._worker.is_alive():  # kept in self._worker: activate() refuses while it lives
            self._count("errors_worker_stuck")
            self._error(f"deactivate(): the inference worker is still in a model call after "
                        f"{self.config.worker_join_timeout_s} s; it will exit when the call returns")
        else:
            self._worker = None

    # -- setup helpers (not real-time) -------------------------------------------------------

    def _load_model(self, max_pairs: int) -> None:
        if self._injected_model is not None:
            model = self._injected_model
        else:
            try:
                from ..model.inference import GhostModel

                model = GhostModel(self.config.model_path, providers=self.config.providers,
                                   max_pairs=max_pairs)
            except Exception as exc:  # missing/corrupt model: degraded mode, or raise if asked
                if self.config.require_model:
                    raise
                self._count("errors_model_load")
                self._error(f"model not loaded ({type(exc).__name__}: {exc}); "
                            "serving positions without ghosts")
                model = None
        if model is not None:
            self._check_frame_rate(model)
        self._model = model
        self.providers = list(getattr(model, "providers", []) or [])
        # GhostModel writes straight into the result buffers; other models (wrappers, test
        # doubles) only need predict_frame, whose output is copied.
        self._predict_into = getattr(model, "predict_frame_into", None)

    def _check_frame_rate(self, model) -> None:
        """The ghosts are steps of the model's frame interval and the features velocities over
        it: a feed at another rate gives wrong ghosts, so it is refused. A model without
        ``frame_dt_s`` (a test double, a wrapper) is taken to run at the package's 10 Hz."""
        model_dt = float(getattr(model, "frame_dt_s", DT_S))
        if abs(self.config.rate_hz * model_dt - 1.0) > 1e-6:
            raise ValueError(
                f"EngineConfig.rate_hz = {self.config.rate_hz:g} Hz, but the model "
                f"({getattr(model, 'path', type(model).__name__)}) was trained at "
                f"{1.0 / model_dt:g} Hz (frame_dt_s = {model_dt:g}): set rate_hz to the feed's "
                "rate and use a model trained at it")

    def _warm_up(self, play: PlayState, cap_d: int, cap_r: int) -> None:
        """Model calls at the roster's shape and at the smallest and largest batch of the
        capacity, so that the first live frames are not slow and every provider has seen the
        whole batch range (ONNX Runtime's arena grown, TensorRT's profile built) before a game."""
        if self._model is None or self.config.warmup_runs <= 0:
            return
        n = play.n_players
        if n == 0:
            return
        xy = np.tile(np.linspace([20.0, 5.0], [100.0, 48.0], n)[None], (3, 1, 1))
        o = np.zeros((3, n))
        ball = xy[:, 0, :].copy()
        any_slot = np.arange(n)
        dfd = play.defenders if play.defenders.size else any_slot[:1]
        rcv = play.receivers if play.receivers.size else any_slot[:1]
        # Indices may repeat: a warm-up batch only needs the shape.
        shapes = [(dfd, rcv), (dfd[:1], rcv[:1]), (np.resize(dfd, cap_d), np.resize(rcv, cap_r))]
        for runs, (d, r) in zip((self.config.warmup_runs, 1, 1), shapes):
            for _ in range(runs):
                try:
                    self._predict(play, xy, o, ball, d, r)
                except Exception as exc:
                    self._count("errors_inference")
                    self._error(f"warm-up inference failed: {type(exc).__name__}: {exc}")
                    return

    def _predict(self, play: PlayState, xy, o, ball, defenders, receivers):
        return self._model.predict_frame(xy, o, ball, defenders, receivers, play.context,
                                         horizon=self.config.horizon, is_offense=play.is_offense)

    # -- per-frame calls (never raise) -------------------------------------------------------

    def push_packets(self, data) -> bool:
        """Raw tag-read bytes (any chunking: bytes, bytearray, memoryview, numpy uint8).
        Returns False (and counts why) when the bytes could not be taken."""
        try:
            if self._state != "active":
                return self._inactive_call("push_packets")
            pipeline = self._play.pipeline
            if pipeline is None:
                self._count("errors_ingest")
                self._error("push_packets(): the roster has no tag registry (use push_frame)")
                return False
            pipeline.push(data)
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
            play = self._play
            xy = np.asarray(xy, dtype=np.float64)
            if xy.shape != (play.n_players, 2):
                raise ValueError(f"xy must be [{play.n_players}, 2] (roster slots), got {list(xy.shape)}")
            play.advance_history()
            try:
                play.hist_xy[-1] = xy
                play.hist_o[-1] = np.nan if o is None else o
                play.hist_ball[-1] = np.nan if ball_xy is None else ball_xy
                bad = play.drop_bad_values()
            finally:  # keep the ring's twin rows equal whatever happened
                play.commit_history()
            if bad is not None:
                self._counters["frames_bad_values"] += 1
                self._counters["players_bad_values"] += bad[0]
                self._error(f"push_frame: {bad[0]} player(s){' and the ball' if bad[1] else ''} "
                            "with infinite or half-missing coordinates (treated as missing)")
            return self._after_frame(play, int(time_us), frame_id, t0, float("nan"))
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
            play = self._play
            if play.pipeline is None:
                raise RuntimeError("tick(): the roster has no tag registry (use push_frame)")
            t0 = time.perf_counter()
            # into preallocated rows: no allocation
            play.pipeline.tick_into(int(time_us), play.ingest_out, 0)
            play.advance_history()
            try:
                ingest_rows_to_frame(play.ingest_rows, play.ingest_src, play.ingest_dst,
                                     play.ingest_gather, play.hist_xy[-1], play.hist_o[-1],
                                     play.hist_ball[-1])
            finally:  # keep the ring's twin rows equal whatever happened
                play.commit_history()
            ingest_ms = (time.perf_counter() - t0) * 1e3
            return self._after_frame(play, int(time_us), frame_id, t0, ingest_ms)
        except Exception as exc:
            self._count("errors_tick")
            self._error(f"tick: {type(exc).__name__}: {exc}")
            return self.latest()

    def signal_event(self, name: str, time_us: int | None = None, target_nfl_id: int | None = None) -> bool:
        """Host-signalled event: ``pass_forward``, ``pass_arrived``, ``ball_snap`` or ``reset``
        (new play: forget detection state), at the frame of ``time_us`` when the roster numbers
        frames (``frame0_id`` / ``frame0_time_us``), else at the newest frame.
        ``target_nfl_id`` with pass_forward: the host knows the target (overrides inference)."""
        try:
            if self._state != "active":
                return self._inactive_call("signal_event")
            play = self._play
            r = play.roster
            if time_us is not None and r.frame0_id is not None and r.frame0_time_us is not None:
                frame_id = play.frame_id_for(int(time_us), None)
            else:
                frame_id = play.last_frame_id if play.last_frame_id >= 0 else 0
            play.detector.signal(name, frame_id)
            if name in ("reset", "ball_snap"):
                play.host_target = -1
            if target_nfl_id is not None:
                play.host_target = play.slot_of_nfl.get(int(target_nfl_id), -1)
            return True
        except Exception as exc:
            self._count("errors_event")
            self._error(f"signal_event: {type(exc).__name__}: {exc}")
            return False

    def latest(self) -> GhostResult:
        """The newest finished result, as the calling thread's own view: unchanged until this
        thread's next latest()/tick()/push_frame(); ``age_s``/``frames_behind``/``stale`` set now."""
        try:
            if self._state not in ("active", "inactive"):
                self._inactive_call("latest")
                return self._inactive_result
            res = self._handoff.latest()
            last_frame_id = self._play.last_frame_id
            now = time.monotonic()
            res.age_s = (now - res._tick_monotonic) if res.frame_id >= 0 else float("inf")
            res.frames_behind = max(0, last_frame_id - res.frame_id) if res.frame_id >= 0 else 0
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
        if self._handoff is not None:
            out["results_copied"] = self._handoff.copies_handed_out
        pipe = None if self._play is None else self._play.pipeline
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
        pipe = None if self._play is None else self._play.pipeline
        return 0 if pipe is None else int(round(float(getattr(pipe, "delay_s", 0.0)) * 1e6))

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Offline use only (replay, tests): wait until the worker has finished every frame
        handed to it. Never call it from a real-time thread."""
        if self._state != "active":
            return True
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._idle.wait(timeout=0.01):
                with self._jobs_lock:
                    if self._pending is None and self._idle.is_set():
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

    def _after_frame(self, play: PlayState, time_us: int, frame_id: int | None, t0: float,
                     ingest_ms: float) -> GhostResult:
        fid = play.frame_id_for(time_us, frame_id)
        play.frame_counter += 1
        self._counters["frames"] += 1
        play.last_frame_id = fid
        t1 = time.perf_counter()
        det = play.detector
        det.update(fid, play.hist_xy, play.hist_ball, play.hist_valid, play.passers)
        events_ms = (time.perf_counter() - t1) * 1e3
        # Fill the free input buffer and post it (latest wins: an unconsumed job is replaced).
        job = play.job_fill
        job.xy[...] = play.hist_xy
        job.o[...] = play.hist_o
        job.ball[...] = play.hist_ball
        job.frame_id, job.time_us = fid, time_us
        job.tick_monotonic = time.monotonic()
        job.phase = det.phase
        job.pass_forward_frame = det.release_frame
        job.pass_arrived_frame = det.arrival_frame
        job.ingest_ms, job.events_ms = ingest_ms, events_ms
        job.host_target = play.host_target
        with self._jobs_lock:
            if self._pending is not None:
                self._counters["frames_skipped"] += 1
            self._pending = job
            play.job_fill = play.free_job(job, self._working)
            self._idle.clear()
        self._wake.set()
        return self.latest()
