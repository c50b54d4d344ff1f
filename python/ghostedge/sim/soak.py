"""The full-game soak: real plays back to back as one continuous game, through the live engine,
as fast as the machine allows, with faults injected (``ghostedge soak``, docs/reliability.md).

For every play the simulator turns the real tracking into tag-read packets on one game clock
(play after play, 10 Hz without a gap). The packets go, frame by frame, through the engine the
way a broadcast host drives it (``push_packets`` then ``tick``), with at most one fault episode
per play. A clean ingest pipeline runs in lockstep on the same packets without the fault: its
counters are the baseline each fault's counters are measured against, and its frames feed the
reference ghosts that the engine's ghosts must come back to within 1.8 s of clean data
(``soak_plan.RECOVERY_FRAMES``).

A fault counts as *counted* when the counter that should see it moved by what was injected
(exactly, where the counter measures the same unit; see ``_expectations``). The engine-level
faults that need a different engine (missing and corrupt model file) run on their own engine
for one play before the game.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..constants import FRAME_US
from ..data.play import Play
from ..ingest.schedule import packets_by_frame
from ..live.play_state import HISTORY_FRAMES, scorable_players
from ..live.result import INGEST_ROW_FIELDS, ingest_rows_to_frame
from ..model.baselines import ConstantVelocityModel
from . import faults as fl
from .soak_plan import RECOVERY_FRAMES, Episode, plan_episode

#: Ghosts "recovered" when the mean distance between the engine's and the clean run's ghost
#: positions (over every defender/receiver pair and horizon frame) is at most this. Four inches:
#: below the tracking system's own accuracy (about 6 in).
RECOVERY_TOLERANCE_YD = 4.0 / 36.0


@dataclass
class SoakConfig:
    game_minutes: float = 180.0
    faults: tuple[str, ...] = fl.FAULT_KINDS
    seed: int = 0
    data: str | None = None  # data folder; None: the shared data if found, else the samples
    model_path: str | None = None  # None: the shipped model
    predictor: str = "model"  # "model" (ONNX) or "constant-velocity" (see ghostedge.model.baselines.ConstantVelocityModel)
    warmup_minutes: float = 5.0  # RSS growth is measured from here to the end
    progress: bool = True




def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _load_plays(data: str | None) -> tuple[list[Play], str]:
    from ..data import load_dataset

    if data is None:
        from ..data import find_ngs_data

        found = find_ngs_data()
        data = None if found is None else str(found)
    if data is None:
        from ..data import load_samples

        dataset, source = load_samples(), "samples"
    else:
        dataset, source = load_dataset(data), str(data)
    plays = [p for p in dataset.iter_plays() if p.n_frames >= 40 and p.n_players >= 2]
    if not plays:
        raise ValueError(f"{source}: no play with at least 40 frames")
    return plays, source


def _derived(c: dict, prefix: str) -> dict:
    """Counters by the names the expectations use (pipeline counters; decoder ones decode_*)."""
    out = {k[len(prefix):]: v for k, v in c.items() if k.startswith(prefix)}
    out["decode_packets_rejected"] = sum(out.get(f"decode_{k}", 0) for k in
                                         ("packets_bad_crc", "packets_bad_header", "packets_truncated"))
    out["player_ticks_held_or_lost"] = out.get("player_ticks_held", 0) + out.get("player_ticks_lost", 0)
    return out


class _Soak:
    def __init__(self, cfg: SoakConfig, model: Any = None) -> None:
        self.cfg = cfg
        self.model = model
        self.rng = np.random.default_rng(cfg.seed)
        self.events: list[fl.FaultEvent] = []
        self.frames = 0
        self.answered = 0
        self.exceptions = 0
        self.exception_messages: list[str] = []
        self.latencies_ms = np.zeros(0)  # preallocated in run(): the soak itself must not grow
        self.control_errors: list[float] = []

    # -- host-side calls: every exception out of the engine is a failure of the engine --------
    def _call(self, fn, *args):
        try:
            return fn(*args)
        except Exception as exc:  # counted: the per-frame API must never raise
            self.exceptions += 1
            if len(self.exception_messages) < 10:
                self.exception_messages.append(f"{getattr(fn, '__name__', fn)}: {type(exc).__name__}: {exc}")
            return None

    def run(self) -> dict:
        from ..ingest.pipeline import IngestPipeline
        from ..live import Engine, EngineConfig, GhostResult
        from .simulator import SimConfig, simulate_play

        self.GhostResult, self.IngestPipeline = GhostResult, IngestPipeline
        self.SimConfig, self.simulate_play = SimConfig, simulate_play
        cfg = self.cfg
        t_wall0 = time.perf_counter()
        plays, source = _load_plays(cfg.data)
        total_frames = int(round(cfg.game_minutes * 60 * 10))
        self.latencies_ms = np.zeros(total_frames)
        if self.model is None and cfg.predictor == "constant-velocity":
            self.model = ConstantVelocityModel()
        elif self.model is None:
            from ..model.inference import GhostModel

            self.model = GhostModel(cfg.model_path)
        self.slow_model = fl.SlowModel(self.model)
        self.engine = Engine(EngineConfig(model_path=cfg.model_path), model=self.slow_model)

        kinds = [k for k in cfg.faults if k not in ("model_missing", "model_corrupt")]
        order = [str(k) for k in self.rng.permutation(kinds)] if kinds else []
        game_t0 = 1_600_000_000_000_000
        if "model_missing" in cfg.faults or "model_corrupt" in cfg.faults:
            self._model_file_faults(plays[0], Engine, EngineConfig, game_t0)

        from tqdm import tqdm

        bar = tqdm(total=total_frames, unit="frame", desc="soak", disable=not cfg.progress, file=None)
        rss_start = None
        warm_frames = int(cfg.warmup_minutes * 600)
        t_play = game_t0
        k = next_kind = 0
        activated = False
        while self.frames < total_frames:
            play = plays[k % len(plays)]
            n = min(play.n_frames, total_frames - self.frames)
            kind = order[next_kind % len(order)] if order else None
            sim = simulate_play(play, SimConfig(start_time_us=t_play, loss_rate=0.0, reorder_rate=0.0),
                                seed=cfg.seed * 100_003 + k)
            if not activated:
                from ..live import Roster

                self.engine.set_roster(Roster.from_play(play, registry=sim.registry, frame0_time_us=t_play))
                self.engine.activate()
                activated = True
            if self._run_play(play, sim, n, kind, f"{play.game_id}/{play.play_id}", bar):
                next_kind += 1  # else the play could not take it: the next play tries again
            if rss_start is None and self.frames >= warm_frames:
                rss_start = _rss_mb()
            t_play += n * FRAME_US
            k += 1
        bar.close()
        rss_end = _rss_mb()
        counters = self.engine.counters()
        self.engine.close()
        return self._report(source, len(plays), k, rss_start if rss_start is not None else rss_end,
                            rss_end, time.perf_counter() - t_wall0, counters)

    # -- one play --------------------------------------------------------------------------
    def _run_play(self, play: Play, sim, n: int, kind: str | None, name: str, bar) -> bool:
        """Run one play with at most one fault of ``kind``; True when the fault was injected."""
        from ..live import Roster

        engine = self.engine
        times = sim.frame_times_us[:n]
        reference = self.IngestPipeline(sim.registry)
        clean = packets_by_frame(sim.packets, sim.packet_times_us, times, round(reference.delay_s * 1e6),
                                 keep_late=True)
        faulted = [list(c) for c in clean]
        episode = (self._plan(kind, play, sim, times, faulted, name, round(reference.delay_s * 1e6))
                   if kind else None)

        roster = Roster.from_play(play, registry=sim.registry, frame0_time_us=int(times[0]))
        self._call(engine.set_roster, roster)
        slot_of = {int(v): i for i, v in enumerate(play.nfl_ids)}
        ingest_to_roster = np.array([slot_of.get(int(v), -1) for v in reference.nfl_ids])
        # The clean frames are made from the reference pipeline's output exactly as the engine
        # makes its own (ingest_rows_to_frame: same slots, same ball).
        ref_src = np.flatnonzero(ingest_to_roster >= 0)
        ref_dst = ingest_to_roster[ref_src]
        ref_rows = np.full((len(INGEST_ROW_FIELDS), reference.n_players + 1), np.nan)
        ref_out = {k: ref_rows[j:j + 1] for j, k in enumerate(INGEST_ROW_FIELDS)}
        ref_gather = np.empty((3, ref_src.size))
        # The clean run's history, as long as the engine's.
        hist = np.full((HISTORY_FRAMES, play.n_players, 2), np.nan)
        hist_o = np.full((HISTORY_FRAMES, play.n_players), np.nan)
        hist_ball = np.full((HISTORY_FRAMES, 2), np.nan)
        # Ghost checks: the recovery check after the fault, and a control on clean data just
        # before it (mid-play without a fault), where the engine and the clean run must agree.
        checks: dict[int, Episode | None] = {}
        if episode is None:
            checks[n // 2] = None
        else:
            checks[episode.start - 1] = None
            if episode.check is not None:
                checks[episode.check] = episode

        for i in range(n):
            t = int(times[i])
            if episode is not None and i == episode.start:
                self._episode_begin(episode, reference)
            pace = episode is not None and episode.event.kind == "slow_inference" and \
                episode.start - RECOVERY_FRAMES <= i <= episode.end
            t_frame = time.perf_counter()
            if pace:
                if i == episode.start - RECOVERY_FRAMES:
                    engine.flush(timeout_s=30.0)  # start the paced control window with the worker idle
                self.slow_model.slow = episode.start <= i <= episode.end
            # The host: push what arrived, then close the frame (or push a decoded frame).
            t0 = time.perf_counter()
            for chunk in faulted[i]:
                self._call(engine.push_packets, chunk)
            host_ms = (time.perf_counter() - t0) * 1e3
            # The clean reference on the same packets, minus the fault.
            for chunk in clean[i]:
                reference.push(chunk)
            reference.tick_into(t, ref_out, 0)
            hist[:-1], hist_o[:-1], hist_ball[:-1] = hist[1:], hist_o[1:], hist_ball[1:]
            ingest_rows_to_frame(ref_rows, ref_src, ref_dst, ref_gather, hist[-1], hist_o[-1],
                                 hist_ball[-1])

            poison = episode is not None and episode.event.kind == "nan_inf_frame" and \
                episode.start <= i <= episode.end
            t0 = time.perf_counter()
            if poison:
                xy, hit = fl.poison_frame(hist[-1], self.rng)
                episode.poisoned_frames += int(hit > 0)
                episode.poisoned_players += hit
                result = self._call(engine.push_frame, t, xy, hist_o[-1], hist_ball[-1])
            else:
                result = self._call(engine.tick, t)
            self.latencies_ms[self.frames] = host_ms + (time.perf_counter() - t0) * 1e3
            self.frames += 1
            if isinstance(result, self.GhostResult):
                self.answered += 1
                if pace:
                    (episode.stale_slow if episode.start <= i <= episode.end else episode.stale_clean).append(
                        bool(result.stale))
            if pace:  # real time while the slow-inference fault is measured
                time.sleep(max(0.0, FRAME_US / 1e6 - (time.perf_counter() - t_frame)))
            if episode is not None and i == episode.end:
                self.slow_model.slow = False
            if i in checks and scorable_players(hist).any():
                checked = checks[i]
                err = self._ghost_difference(roster, t, hist, hist_o, hist_ball,
                                             None if checked is None else checked.exclude_nfl)
                if checked is None:
                    if err is not None:
                        self.control_errors.append(err)
                else:
                    checked.event.recovery_error_yd = err
            bar.update(1)
        if episode is not None:
            self._episode_end(episode, reference)
        return episode is not None

    def _ghost_difference(self, roster, time_us, hist, hist_o, hist_ball, exclude_nfl) -> float | None:
        """Mean distance (yd) between the engine's ghosts for this frame and the ghosts of the
        clean run's last eleven frames (the engine's history), over the defender/receiver pairs
        both have. The model is called exactly as the engine last called it (same context and
        options).

        Deterministic: the worker is flushed first, so the engine's result is the one for this
        very frame (checked by its time; latest-wins skipping cannot pick another), and both
        sides' inputs are built by the same code (``ingest_rows_to_frame``). A result for
        another frame is an infinite difference, never a pass."""
        if not self.engine.flush(timeout_s=30.0):
            return float("inf")
        res = self.engine.latest()
        if res is None or res.time_us != time_us:
            return float("inf")
        if not res.ok or res.mean.size == 0 or self.slow_model.last_call is None:
            return None
        args, kwargs = self.slow_model.last_call
        seen = scorable_players(hist)  # as the engine's worker
        roster_dfd, roster_rcv = roster.defenders(), roster.receivers()  # the engine's choice
        dfd, rcv = roster_dfd[seen[roster_dfd]], roster_rcv[seen[roster_rcv]]
        if dfd.size == 0 or rcv.size == 0:
            return None
        ghosts = self.model.predict_frame(hist, hist_o, hist_ball, dfd, rcv, *args[5:], **kwargs)
        ids = roster.nfl_ids
        ref = {(int(ids[a]), int(ids[b])): ghosts.mean[i, j]
               for i, a in enumerate(dfd) for j, b in enumerate(rcv)}
        diffs = []
        for i, d_id in enumerate(res.defender_ids):
            for j, r_id in enumerate(res.receiver_ids):
                if exclude_nfl in (int(d_id), int(r_id)):
                    continue
                other = ref.get((int(d_id), int(r_id)))
                if other is None:
                    continue
                mine_ok, other_ok = np.isfinite(res.mean[i, j]).all(), np.isfinite(other).all()
                if mine_ok != other_ok:  # one side could score the pair, the other not
                    diffs.append(float("inf"))
                elif mine_ok:  # (neither: the model leaves the pair unscored on both, e.g. no ball)
                    diffs.append(np.linalg.norm(res.mean[i, j] - other, axis=-1).mean())
        return float(np.mean(diffs)) if diffs else None

    # -- fault planning --------------------------------------------------------------------
    def _plan(self, kind, play, sim, times, chunks, name, delay_us) -> Episode | None:
        """Inject one fault of ``kind`` into ``chunks`` (per-frame packet lists, in place)."""
        return plan_episode(kind, play, sim, times, chunks, name, self.rng, delay_us)

    def _episode_begin(self, ep: Episode, reference) -> None:
        self.engine.flush(timeout_s=30.0)
        ep.before = self.engine.counters()
        ep.clean_before = reference.counters()

    def _episode_end(self, ep: Episode, reference) -> None:
        ev = ep.event
        after = self.engine.counters()
        eng = {k: after.get(k, 0) - ep.before.get(k, 0) for k in after if not k.startswith("ingest_")}
        got, was = _derived(after, "ingest_"), _derived(ep.before, "ingest_")
        clean_got, clean_was = _derived(reference.counters(), ""), _derived(ep.clean_before, "")
        # A counter's move caused by the fault: the engine's delta over the episode (start to the
        # end of the play) minus the clean run's delta over the same frames. The simulator's own
        # noise (outliers, single-tag periods) cancels out; the exact counters have 0 there.
        observed = {key: (got[key] - was.get(key, 0)) - (clean_got.get(key, 0) - clean_was.get(key, 0))
                    for key in ev.expected if key in got}
        if ev.kind == "slow_inference":
            observed["stale_while_slow"] = float(np.mean(ep.stale_slow)) if ep.stale_slow else 0.0
            observed["fresh_while_normal"] = float(1 - np.mean(ep.stale_clean)) if ep.stale_clean else 0.0
            observed["slow_calls"] = self.slow_model.slow_calls
        if ev.kind == "nan_inf_frame":
            # Every poisoned frame and player counted, nothing else (the ticks around them
            # are clean), and no error counter moved.
            ev.injected = ep.poisoned_frames
            ev.expected = {"frames_bad_values": ["==", ep.poisoned_frames],
                           "players_bad_values": ["==", ep.poisoned_players], "errors": ["==", 0]}
            observed["frames_bad_values"] = eng.get("frames_bad_values", 0)
            observed["players_bad_values"] = eng.get("players_bad_values", 0)
            observed["errors"] = sum(v for k, v in eng.items() if k.startswith("errors_"))
        ev.observed = observed
        ev.counted = bool(ev.expected) and all(
            (observed.get(k, 0) == v) if op == "==" else (observed.get(k, 0) >= v)
            for k, (op, v) in ev.expected.items())
        self.events.append(ev)

    # -- engine-level faults on their own engines -------------------------------------------
    def _model_file_faults(self, play, Engine, EngineConfig, t0) -> None:
        from ..live import Roster

        with tempfile.TemporaryDirectory(prefix="ghostedge-soak-") as tmp:
            for kind in ("model_missing", "model_corrupt"):
                if kind not in self.cfg.faults:
                    continue
                path = Path(tmp) / f"{kind}.onnx"
                if kind == "model_corrupt":
                    fl.corrupt_model_file(path, self.rng)
                sim = self.simulate_play(play, self.SimConfig(start_time_us=t0, loss_rate=0.0, reorder_rate=0.0),
                                         seed=self.cfg.seed)
                engine = Engine(EngineConfig(model_path=str(path)))
                ev = fl.FaultEvent(kind=kind, start_us=t0, end_us=int(sim.frame_times_us[-1]),
                                   play=f"{play.game_id}/{play.play_id}")
                answered = 0
                try:
                    engine.set_roster(Roster.from_play(play, registry=sim.registry, frame0_time_us=t0))
                    engine.activate()
                    delay_us = round(self.IngestPipeline(sim.registry).delay_s * 1e6)
                    chunks = packets_by_frame(sim.packets, sim.packet_times_us, sim.frame_times_us,
                                              delay_us, keep_late=True)
                    for t, chunk in zip(sim.frame_times_us, chunks):
                        for p in chunk:
                            self._call(engine.push_packets, p)
                        if isinstance(self._call(engine.tick, int(t)), self.GhostResult):
                            answered += 1
                    counters = engine.counters()
                    engine.close()
                except Exception as exc:  # activate() must degrade, not raise, by default
                    self.exceptions += 1
                    self.exception_messages.append(f"{kind}: {type(exc).__name__}: {exc}")
                    counters = {}
                ev.injected = 1
                ev.expected = {"errors_model_load": ["==", 1], "frames_answered": ["==", len(chunks)]}
                ev.observed = {"errors_model_load": counters.get("errors_model_load", 0),
                               "frames_answered": answered}
                ev.counted = all(ev.observed[k] == v for k, (_, v) in ev.expected.items())
                self.events.append(ev)

    # -- report ----------------------------------------------------------------------------
    def _report(self, source, n_plays, plays_run, rss_start, rss_end, wall_s, counters) -> dict:
        injected: dict[str, int] = {}
        counted: dict[str, int] = {}
        recovery: dict[str, dict] = {}
        for ev in self.events:
            kind = str(ev.kind)
            injected[kind] = injected.get(kind, 0) + 1
            counted[kind] = counted.get(kind, 0) + int(ev.counted)
            if ev.recovery_error_yd is not None:
                r = recovery.setdefault(ev.kind, {"checked": 0, "recovered": 0, "max_error_yd": 0.0})
                r["checked"] += 1
                r["recovered"] += int(ev.recovery_error_yd <= RECOVERY_TOLERANCE_YD)
                r["max_error_yd"] = max(r["max_error_yd"], round(ev.recovery_error_yd, 4))
        for kind, r in recovery.items():
            errs = [ev.recovery_error_yd for ev in self.events
                    if ev.kind == kind and ev.recovery_error_yd is not None]
            r["median_error_yd"] = round(float(np.median(errs)), 4)
        lat = self.latencies_ms[:self.frames] if self.frames else np.zeros(1)
        uncounted = [ev.to_dict() for ev in self.events if not ev.counted][:20]
        not_recovered = [ev.to_dict() for ev in self.events if ev.recovery_error_yd is not None
                         and ev.recovery_error_yd > RECOVERY_TOLERANCE_YD][:20]
        return {
            "frames": self.frames,
            "frames_answered": self.answered,
            "exceptions": self.exceptions,
            "exception_messages": self.exception_messages,
            "game_minutes": self.frames / 600.0,
            "plays": plays_run,
            "distinct_plays": min(n_plays, plays_run),
            "data": source,
            "seed": self.cfg.seed,
            "predictor": ",".join(getattr(self.model, "providers", []) or [type(self.model).__name__]),
            "faults_injected": injected,
            "faults_counted": counted,
            "faults_uncounted": uncounted,
            "recovery": recovery,
            "not_recovered": not_recovered,
            "recovery_tolerance_yd": RECOVERY_TOLERANCE_YD,
            "recovery_control_max_yd": max(self.control_errors) if self.control_errors else None,
            "recovery_controls": len(self.control_errors),
            "rss_start_mb": round(rss_start, 2),
            "rss_end_mb": round(rss_end, 2),
            "rss_growth_mb": round(rss_end - rss_start, 2),
            "rss_max_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 2),
            "max_frame_latency_ms": round(float(lat.max()), 3),
            "p50_frame_latency_ms": round(float(np.percentile(lat, 50)), 3),
            "p99_frame_latency_ms": round(float(np.percentile(lat, 99)), 3),
            "engine_counters": {k: int(v) for k, v in counters.items() if not k.startswith("ingest_")},
            "wall_s": round(wall_s, 1),
        }


def soak_failures(report: dict) -> list[str]:
    """Why a soak report fails the gate (empty: it passes): every frame answered, no exception
    into the host, every injected fault counted, every checked episode recovered, and the
    recovery comparator exact on clean data. ``ghostedge soak`` exits 1 on any, CI fails."""
    out = []
    if report["exceptions"]:
        out.append(f"{report['exceptions']} exception(s) reached the host: {report['exception_messages'][:3]}")
    if report["frames_answered"] != report["frames"]:
        out.append(f"{report['frames'] - report['frames_answered']} of {report['frames']} frames unanswered")
    uncounted = {k: (n, report["faults_counted"].get(k, 0)) for k, n in report["faults_injected"].items()
                 if report["faults_counted"].get(k, 0) != n}
    if uncounted:
        out.append(f"faults injected but not counted (injected, counted): {uncounted}")
    unrecovered = {k: f"{r['recovered']}/{r['checked']}" for k, r in report["recovery"].items()
                   if r["recovered"] != r["checked"]}
    if unrecovered:
        out.append(f"episodes whose ghosts did not recover within {RECOVERY_FRAMES} frames: {unrecovered}")
    control = report.get("recovery_control_max_yd")
    if control is not None and control > 1e-6:
        out.append(f"the recovery comparator differs on clean data by {control} yd")
    return out


def run_soak(config: SoakConfig | None = None, model: Any = None) -> dict:
    """Run the soak; returns the report (see the module docstring and docs/reliability.md).
    ``model``: an object with ``predict_frame`` like ``GhostModel`` to use instead of loading
    ``config.model_path``."""
    return _Soak(config or SoakConfig(), model).run()
