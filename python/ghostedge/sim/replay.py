"""Replay plays through the whole live path and report on them (``ghostedge replay``).

For each play: simulated tag reads (``ghostedge.sim``) -> the real-time :class:`Engine` (decode,
fuse, filter, pass detection, ghosts for every eligible receiver, metric), frame by frame at
10 Hz; then the ghosts are compared with what the defensive backs actually did, the receivers
are ranked with the quarterback-decision scoring, and a PNG, a GIF and summary.json are written.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..data.play import Play, jersey_text
from ..ingest.schedule import packets_by_frame
from ..jsonsafe import json_safe
from ..live import Engine, EngineConfig, GhostResult, Roster
from ..live.events import PassDetector, infer_target
from ..viz.field import GhostSet, animate_play_gif, plot_catch_png
from .simulator import simulate_play

WINDOW_FRAMES = 10  # the 1.0 s evaluation windows of the model (issue 3)


@dataclass
class ReplayOptions:
    seed: int = 0
    gif: bool = True
    png: bool = True
    gif_frames_before_throw: int = 15
    gif_frames_after_arrival: int = 5


def run_engine_on_play(play: Play, engine: Engine, seed: int = 0) -> tuple[dict[int, GhostResult], dict]:
    """Simulate the play's tag reads and feed them to ``engine`` (already configured with a
    model; activated here for this play's roster) frame by frame. Returns the result of every
    frame (copies) and the engine/ingest counters and per-frame call timings."""
    sim = simulate_play(play, seed=seed)
    frame_times = np.asarray(sim.frame_times_us, dtype=np.int64)
    roster = Roster.from_play(play, registry=sim.registry, frame0_time_us=int(frame_times[0]))
    engine.set_roster(roster)
    if engine.state != "active":
        engine.activate()
    engine.signal_event("reset")
    order = np.argsort(np.asarray(sim.packet_times_us, dtype=np.int64), kind="stable")
    times = np.asarray(sim.packet_times_us, dtype=np.int64)[order]
    packets = [sim.packets[i] for i in order]
    results: dict[int, GhostResult] = {}
    call_ms: list[float] = []
    groups = packets_by_frame(packets, times, frame_times, engine.ingest_delay_us)
    for fid, t_us, due in zip(play.frame_ids, frame_times, groups):
        t0 = time.perf_counter()
        for packet in due:
            engine.push_packets(packet)
        engine.tick(int(t_us))
        call_ms.append((time.perf_counter() - t0) * 1e3)
        engine.flush(timeout_s=5.0)  # offline: wait for each frame's inference
        res = engine.latest()
        results[int(fid)] = res.copy()
    stats = {"counters": engine.counters(), "last_error": engine.last_error,
             "call_ms": np.asarray(call_ms), "packets": len(packets)}
    return results, stats


def _truth_window(play: Play, dbs_nfl: np.ndarray, frame_id: int, horizon: int) -> np.ndarray | None:
    """Tracked positions [D, H, 2] of these defenders at frame_id+1..frame_id+H, or None."""
    try:
        t = play.frame_index(frame_id)
        play.frame_index(frame_id + horizon)
    except KeyError:
        return None
    idx = [play.player_index(int(n)) for n in dbs_nfl]
    return play.xy[t + 1:t + 1 + horizon, idx].transpose(1, 0, 2)


def ghost_accuracy(play: Play, results: dict[int, GhostResult], frames: list[int],
                   target_nfl_id: int, horizon: int = 10) -> dict:
    """ADE/FDE (yd) over ``horizon`` frames of the engine's ghosts for the actual target against
    the tracked defensive backs, with the constant-velocity and constant-position baselines
    computed from the same filtered positions the engine used, over the given decision frames."""
    errs = {"model": [], "constant_velocity": [], "constant_position": []}
    for fid in frames:
        res, prev = results.get(fid), results.get(fid - 1)
        if res is None or prev is None or target_nfl_id not in res.receiver_ids:
            continue
        r = int(np.flatnonzero(res.receiver_ids == target_nfl_id)[0])
        h = int(horizon)
        if h > res.mean.shape[2]:
            continue
        truth = _truth_window(play, res.defender_ids, fid, h)
        if truth is None or not np.isfinite(res.mean[:, r, :h]).all():
            continue
        prev_xy = np.full_like(res.defender_xy, np.nan)
        for k, n in enumerate(res.defender_ids):
            hit = np.flatnonzero(prev.defender_ids == n)
            if hit.size:
                prev_xy[k] = prev.defender_xy[hit[0]]
        steps = np.arange(1, h + 1)[None, :, None]
        preds = {
            "model": res.mean[:, r, :h],
            "constant_velocity": res.defender_xy[:, None] + (res.defender_xy - prev_xy)[:, None] * steps,
            "constant_position": np.repeat(res.defender_xy[:, None], h, axis=1),
        }
        ok = np.isfinite(truth).all(axis=(1, 2)) & np.isfinite(preds["constant_velocity"]).all(axis=(1, 2))
        for name, pred in preds.items():
            d = np.hypot(*(pred[ok] - truth[ok]).transpose(2, 0, 1))  # [D, H]
            errs[name].append(d)
    out: dict[str, Any] = {"n_windows": sum(e.shape[0] for e in errs["model"])}
    for name, lst in errs.items():
        if lst:
            d = np.concatenate(lst, axis=0)
            out[name] = {"ade_yd": float(d.mean()), "fde_yd": float(d[:, -1].mean())}
        else:
            out[name] = {"ade_yd": None, "fde_yd": None}
    return out


def _ranking(play: Play, model) -> list[dict]:
    from ..analysis.decisions import rank_receivers

    return [o.to_dict() for o in rank_receivers(play, model)]


def summarize_play(play: Play, results: dict[int, GhostResult], stats: dict, model) -> dict:
    """The per-play summary (the content of summary.json's ``plays`` entries)."""
    fwd, arr, target = play.pass_forward_frame, play.pass_arrived_frame, play.target_nfl_id
    in_air = [f for f, r in results.items() if r.phase == "in_air"]
    detected_release = next((r.pass_forward_frame for r in results.values()
                             if r.pass_forward_frame is not None), None)
    detected_arrival = next((r.pass_arrived_frame for r in results.values()
                             if r.pass_arrived_frame is not None), None)
    last_air = results[max(in_air)] if in_air else None
    flight = [f for f in range(fwd, arr) if f in results] if fwd and arr else []
    windows = [f for f in flight if f + WINDOW_FRAMES <= arr]
    call_ms = stats["call_ms"]
    worker_ms = np.array([r.timings_ms["total_worker"] for r in results.values()
                          if np.isfinite(r.timings_ms["total_worker"])])
    at_throw = results.get(fwd) if fwd else None
    metric_at_throw = {}
    if at_throw is not None and target is not None and target in at_throw.receiver_ids:
        r = int(np.flatnonzero(at_throw.receiver_ids == target)[0])
        metric_at_throw = {int(n): float(at_throw.metric[d, r]) for d, n in enumerate(at_throw.defender_ids)}
    idx = {int(n): i for i, n in enumerate(play.nfl_ids)}

    def who(n):
        if n is None or n not in idx:
            return None
        i = idx[n]
        return {"nfl_id": int(n), "name": str(play.name[i]), "position": str(play.position[i]),
                "jersey": jersey_text(play.jersey[i])}

    summary = {
        "game_id": play.game_id, "play_id": play.play_id,
        "offence": play.possession_team, "defence": play.defensive_team,
        "actual_target": who(target),
        "pass_forward_frame": fwd, "pass_arrived_frame": arr,
        "engine": {
            "frames": len(results),
            "detected_pass_forward_frame": detected_release,
            "detected_pass_arrived_frame": detected_arrival,
            "inferred_target": who(last_air.target_nfl_id) if last_air is not None else None,
            "inferred_target_correct": (last_air is not None and last_air.target_nfl_id == target),
            "frames_ok": sum(1 for r in results.values() if r.ok),
            "frames_stale": sum(1 for r in results.values() if r.stale),
            "per_frame_call_ms": {"p50": float(np.percentile(call_ms, 50)), "p99": float(np.percentile(call_ms, 99))},
            "worker_ms": ({"p50": float(np.percentile(worker_ms, 50)), "p99": float(np.percentile(worker_ms, 99))}
                          if worker_ms.size else None),
            "counters": stats["counters"], "last_error": stats["last_error"],
        },
        "ghost_accuracy": {
            "at_throw_1s": ghost_accuracy(play, results, [fwd], target) if fwd else None,
            "full_flight_from_throw": (ghost_accuracy(play, results, [fwd], target, horizon=arr - fwd)
                                       if fwd and arr and arr > fwd else None),
            "flight_windows_1s": ghost_accuracy(play, results, windows, target),
        },
        "metric_at_throw_actual_target": metric_at_throw,
        "receiver_ranking": _ranking(play, model),
    }
    return json_safe(summary)


def write_pictures(play: Play, results: dict[int, GhostResult], out_dir: Path, opts: ReplayOptions) -> dict:
    fwd, arr, target = play.pass_forward_frame, play.pass_arrived_frame, play.target_nfl_id
    files = {}
    stem = f"{play.game_id}_{play.play_id}"
    res = results.get(fwd)
    title = (f"{play.possession_team} vs {play.defensive_team}, game {play.game_id} play {play.play_id}: "
             f"ghosts at the throw (frame {fwd}) for the actual target")
    if opts.png and res is not None and target in res.receiver_ids:
        r = int(np.flatnonzero(res.receiver_ids == target)[0])
        dbs = np.array([play.player_index(int(n)) for n in res.defender_ids], dtype=np.int64)
        h = min(res.mean.shape[2], max(1, arr - fwd))  # up to the catch
        ghosts = GhostSet(dbs, res.mean[:, r, :h], res.sigma[:, r, :h], fwd, target,
                          f"DB ghost for the target ({h / 10:.1f} s)")
        note = ("Ghosts: the live engine's prediction at the throw from simulated tag reads "
                "(decode, fuse, filter, model). Player markers: positions at the catch.")
        files["png"] = plot_catch_png(play, out_dir / f"{stem}_catch.png", ghosts, fwd, arr,
                                      title=title, note=note).name
    if opts.gif and fwd is not None and arr is not None:
        first = max(int(play.frame_ids[0]), fwd - opts.gif_frames_before_throw)
        last = min(int(play.frame_ids[-1]), arr + opts.gif_frames_after_arrival)
        frames = [f for f in range(first, last + 1) if f in results]
        by_frame = {}
        for f in frames:
            r_ = results[f]
            shown = r_.target_nfl_id if r_.target_nfl_id is not None else target
            if shown is None or shown not in r_.receiver_ids or r_.mean.shape[0] == 0:
                continue
            r = int(np.flatnonzero(r_.receiver_ids == shown)[0])
            dbs = np.array([play.player_index(int(n)) for n in r_.defender_ids], dtype=np.int64)
            jersey = jersey_text(play.jersey[play.player_index(shown)])
            why = ("likely target (ball path)" if r_.target_source == "ball_path" else
                   "target" if r_.target_source == "host" else "if thrown now to the actual target")
            h = min(WINDOW_FRAMES, r_.mean.shape[2])  # the next second: readable at 10 fps
            by_frame[f] = GhostSet(dbs, r_.mean[:, r, :h], r_.sigma[:, r, :h], f, shown,
                                   f"{r_.phase.replace('_', ' ')}: ghosts for #{jersey}, {why}")
        if frames:
            files["gif"] = animate_play_gif(
                play, out_dir / f"{stem}_play.gif", frames, by_frame, play.defensive_backs(), target,
                title=f"{play.possession_team} vs {play.defensive_team} ({play.game_id}/{play.play_id}): live ghosts",
            ).name
    return files


def format_summary(s: dict) -> str:
    """A few human-readable lines for one play."""
    t = s.get("actual_target") or {}
    e = s["engine"]
    lines = [f"play {s['game_id']}/{s['play_id']} ({s['offence']} vs {s['defence']}): actual target "
             f"#{t.get('jersey', '?')} {t.get('name', '?')} ({t.get('position', '?')})"]
    inf = e.get("inferred_target") or {}
    lines.append(f"  engine: throw at frame {e['detected_pass_forward_frame']} (data {s['pass_forward_frame']}), "
                 f"arrival {e['detected_pass_arrived_frame']} (data {s['pass_arrived_frame']}), "
                 f"inferred target #{inf.get('jersey', '?')} {'(correct)' if e['inferred_target_correct'] else '(wrong)'}; "
                 f"per-frame call p50 {e['per_frame_call_ms']['p50']:.2f} ms")
    for label, acc in (("1 s from the throw", s["ghost_accuracy"]["at_throw_1s"]),
                       ("throw to catch", s["ghost_accuracy"]["full_flight_from_throw"]),
                       ("1 s windows in flight", s["ghost_accuracy"]["flight_windows_1s"])):
        if not acc or not acc.get("n_windows"):
            continue
        parts = [f"{k} ADE {v['ade_yd']:.2f} FDE {v['fde_yd']:.2f}"
                 for k, v in acc.items() if isinstance(v, dict) and v.get("ade_yd") is not None]
        lines.append(f"  ghost accuracy {label} (yd, {acc['n_windows']} DB windows): " + "; ".join(parts))
    rk = s.get("receiver_ranking") or []
    if rk:
        lines.append("  receiver ranking (most open first): " + ", ".join(
            f"{o['rank']}. {o.get('name') or o['nfl_id']}"
            f" sep {o['separation_at_arrival'] if o['separation_at_arrival'] is not None else float('nan'):.1f} yd"
            + (" [thrown to]" if o["is_actual_target"] else "") for o in rk))
    return "\n".join(lines)


def replay_plays(plays: list[Play], out_dir: Path, config: EngineConfig | None = None,
                 opts: ReplayOptions | None = None, progress=None, log=print, model=None) -> dict:
    """Replay every play; write pictures and summary.json into out_dir; return the summary.
    ``model``: a loaded model to use instead of ``config.model_path`` (one load for all plays)."""
    opts = opts or ReplayOptions()
    config = config or EngineConfig()
    out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    if model is None:
        from ..model.inference import GhostModel

        model = GhostModel(config.model_path, providers=config.providers)
    # Ghosts long enough to reach the catch of the longest flight, as far as the model predicts.
    longest = max((p.pass_arrived_frame - p.pass_forward_frame for p in plays
                   if p.pass_forward_frame is not None and p.pass_arrived_frame is not None), default=0)
    config = replace(config, horizon=int(min(getattr(model, "horizon", WINDOW_FRAMES),
                                             max(WINDOW_FRAMES, longest))))
    engine = Engine(config, model=model)
    summaries = []
    try:
        for play in plays:
            results, stats = run_engine_on_play(play, engine, seed=opts.seed)
            s = summarize_play(play, results, stats, model)
            s["files"] = write_pictures(play, results, out_dir, opts)
            summaries.append(s)
            if log is not None:
                log(format_summary(s))
            if progress is not None:
                progress.update(1)
    finally:
        if engine.state != "closed":
            engine.close()
    total = {
        "n_plays": len(summaries),
        "providers": list(getattr(model, "providers", [])),
        "seed": opts.seed,
        "inferred_target_correct": sum(1 for s in summaries if s["engine"]["inferred_target_correct"]),
        "seconds": round(time.perf_counter() - t_start, 2),
        "out_dir": str(out_dir),
        "plays": summaries,
    }
    with open(out_dir / "summary.json", "w") as f:
        json.dump(json_safe(total), f, indent=1)
    return total


def pass_detection_report(plays, config: EngineConfig | None = None) -> dict:
    """How well the engine's pass detector and target inference do on tracked positions (the
    data's own x, y, no tag noise): detected vs annotated pass_forward / pass_arrived frames and
    the inferred target at the last in-air frame vs targetNflId. Runs the same
    :class:`~ghostedge.engine.PassDetector` and :func:`~ghostedge.engine.infer_target` the
    engine runs per frame."""
    config = config or EngineConfig()
    dt = 1.0 / config.rate_hz
    release_err, arrival_err, target_ok = [], [], []
    n = missed = 0
    for play in plays:
        if play.pass_forward_frame is None or play.pass_arrived_frame is None or play.target_nfl_id is None:
            continue
        n += 1
        roster = Roster.from_play(play, registry=None)
        det = PassDetector(config, dt)
        passers, rcv = roster.passers(), roster.receivers()
        hist_xy = np.full((4, play.n_players, 2), np.nan)
        hist_ball = np.full((4, 2), np.nan)
        last_guess = None
        for t, fid in enumerate(play.frame_ids):
            hist_xy[:-1], hist_ball[:-1] = hist_xy[1:], hist_ball[1:]
            hist_xy[-1], hist_ball[-1] = play.xy[t], play.ball_xy[t]
            det.update(int(fid), hist_xy, hist_ball, min(t + 1, 4), passers)
            if det.phase == "in_air":
                i = infer_target(hist_ball[-1], (hist_ball[-1] - hist_ball[-2]) / dt, hist_xy[-1, rcv],
                                 (hist_xy[-1, rcv] - hist_xy[-2, rcv]) / dt)
                last_guess = int(play.nfl_ids[rcv[i]]) if i >= 0 else None
            elif det.phase == "arrived":
                break
        if det.release_frame is None:
            missed += 1
            continue
        release_err.append(det.release_frame - play.pass_forward_frame)
        if det.arrival_frame is not None:
            arrival_err.append(det.arrival_frame - play.pass_arrived_frame)
        target_ok.append(last_guess == play.target_nfl_id)
    rel, arr = np.abs(release_err), np.abs(arrival_err)
    return json_safe({
        "pass_plays": n, "release_detected": len(release_err), "release_missed": missed,
        "release_within_1_frame": float(np.mean(rel <= 1)) if rel.size else None,
        "release_within_2_frames": float(np.mean(rel <= 2)) if rel.size else None,
        "arrival_detected": len(arrival_err),
        "arrival_within_2_frames": float(np.mean(arr <= 2)) if arr.size else None,
        "target_correct_at_last_in_air_frame": float(np.mean(target_ok)) if target_ok else None,
    })
