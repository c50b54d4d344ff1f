"""Batch scale and cost curves, and memory over a long replay.

- Season: the batch causal filter (``_core.filter_tracks``, the offline form of the live filter)
  over real plays with simulated measurement noise, play after play, at growing fractions of a
  season; the measured points/s and the line through them give the cost of ~300 million points
  (BRIEF: "a season is about 300 million data points"). The same for the offline two-sided
  smoother (``_core.smooth_tracks``: the causal filter, then the backward pass).
- ``python bench/bench_scale.py --season --baseline DIR``: the season figures of this tree's
  filter and smoother and of another build's filter (e.g. main's HEAD built into DIR with
  ``tools/dev_build.sh``) in one run, each in its own process, rounds interleaved.
- Curves: filter cost vs frames and vs players; per-frame features + inference cost vs
  defenders and receivers (``GhostModel.predict_frame`` on a real frame).
- Memory: one Engine replaying real plays back to back (set_roster per play, as a host would)
  for ``soak_frames`` frames; RSS sampled; growth after warm-up.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _harness import REPO, load_pass_plays, peak_rss_mb, rss_mb, time_per_call

from ghostedge.sim.bench_parts import noisy_tracks  # the package's (ghostedge bench)

SEASON_POINTS = 300e6


def _filter(t, x, y, o):
    from ghostedge import _core

    return _core.filter_tracks(t, x, y, o)


def _smooth(t, x, y, o):
    from ghostedge import _core

    return _core.smooth_tracks(t, x, y, o)


BATCHES = {"filter_tracks": _filter, "smooth_tracks": _smooth}


def season(cfg: dict, plays, batch=_filter) -> dict:
    rng = np.random.default_rng(0)
    tracks = [noisy_tracks(p, rng) for p in plays]
    return season_of_tracks(cfg["season_points"], tracks, batch)


def season_of_tracks(season_points: float, tracks, batch=_filter) -> dict:
    per_pass = sum(x.size for _, x, _, _ in tracks)
    # Growing fractions of the season: repeat the plays' arrays until the target is reached.
    targets = np.geomspace(max(per_pass, 1e4), season_points, 4)
    curve = []
    for target in targets:
        reps = max(1, int(round(target / per_pass)))
        t0 = time.perf_counter()
        for _ in range(reps):
            for t, x, y, o in tracks:
                batch(t, x, y, o)
        dt = time.perf_counter() - t0
        curve.append({"points": reps * per_pass, "seconds": dt, "points_per_s": reps * per_pass / dt})
    pts = np.array([c["points"] for c in curve], float)
    secs = np.array([c["seconds"] for c in curve], float)
    slope, intercept = np.polyfit(pts, secs, 1)
    largest = curve[-1]
    name = next((k for k, v in BATCHES.items() if v is batch), getattr(batch, "__name__", "batch"))
    return {
        "method": f"_core.{name} play by play over real plays (+2 in noise), repeated to "
                  "growing fractions of a season; one core",
        "curve": curve,
        "points_per_s": largest["points_per_s"],
        "season_points": SEASON_POINTS,
        "season_seconds_extrapolated": float(slope * SEASON_POINTS + intercept),
        "season_seconds_at_measured_rate": SEASON_POINTS / largest["points_per_s"],
        "measured_fraction_of_season": largest["points"] / SEASON_POINTS,
    }


def filter_curves(cfg: dict, play) -> dict:
    """Batch filter seconds vs frames (all players of a real play) and vs players."""
    rng = np.random.default_rng(1)
    t, x, y, o = noisy_tracks(play, rng)
    T, N = x.shape
    by_frames = []
    for reps in (1, 4, 16, 64):
        tt = (np.arange(T * reps, dtype=np.int64) * 100_000) + t[0]
        xx, yy, oo = (np.ascontiguousarray(np.tile(a, (reps, 1))) for a in (x, y, o))
        s = time_per_call(lambda: _filter(tt, xx, yy, oo), cfg["min_time_s"] / 4)
        by_frames.append({"frames": T * reps, "players": N, "ms": s * 1e3})
    by_players = []
    for k in (1, 2, 4, 8):
        xx, yy, oo = (np.ascontiguousarray(np.tile(a, (1, k))) for a in (x, y, o))
        s = time_per_call(lambda: _filter(t, xx, yy, oo), cfg["min_time_s"] / 4)
        by_players.append({"frames": T, "players": N * k, "ms": s * 1e3})
    return {"by_frames": by_frames, "by_players": by_players}


def inference_curves(cfg: dict, play) -> dict:
    """Per-frame features + inference ms vs number of defenders and receivers (real frame)."""
    from ghostedge.model import GhostModel, PlayContext

    model = GhostModel(cfg.get("model_path"))
    k = play.frame_index(play.pass_forward_frame)
    xy, o, ball = (np.ascontiguousarray(a[k - 2:k + 1]) for a in (play.xy, play.o, play.ball_xy))
    ctx = PlayContext.from_play(play)
    seen = np.isfinite(xy).all(axis=(0, 2))
    # Defensive backs and eligible receivers first, then other players to reach larger counts.
    dbs, elig = play.defensive_backs(), play.eligible_receivers()
    defence = np.concatenate([dbs, np.setdiff1d(np.flatnonzero(play.is_defense()), dbs)])
    offence = np.concatenate([elig, np.setdiff1d(np.flatnonzero(~play.is_defense()), elig)])
    defence, offence = defence[seen[defence]], offence[seen[offence]]
    rows = []
    for n_def, n_rcv in [(d, 5) for d in (1, 3, 5, 7, 9, 11)] + [(7, r) for r in (1, 2, 3, 4, 6, 8, 10)]:
        dfd = defence[:n_def]
        rcv = offence[:n_rcv]
        if dfd.size < n_def or rcv.size < n_rcv:
            continue
        s = time_per_call(lambda: model.predict_frame(xy, o, ball, dfd, rcv, ctx, horizon=10),
                          cfg["min_time_s"] / 4)
        rows.append({"defenders": n_def, "receivers": n_rcv, "pairs": n_def * n_rcv, "ms": s * 1e3})
    return {"rows": rows, "providers": list(model.providers),
            "breakdown_7x5": _predict_frame_breakdown(cfg, model, xy, o, ball, defence[:7],
                                                      offence[:5], ctx)}


def _predict_frame_breakdown(cfg, model, xy, o, ball, dfd, rcv, ctx) -> dict:
    """Where one frame's model call goes, in the form the engine runs it
    (``predict_frame_into`` into preallocated result arrays): C++ features, the ONNX Runtime
    call on the model's own IO-bound buffers, and everything else (Python glue, C++ input
    selection and conversion back to field yards). ``predict_frame_ms`` is the allocating form."""
    from ghostedge import _core

    off = np.zeros(xy.shape[1], np.uint8)
    off[rcv] = 1
    dfd, rcv = np.ascontiguousarray(dfd), np.ascontiguousarray(rcv)
    args = (xy, np.ascontiguousarray(o), ball, off, ctx.vector(), dfd, rcv, ctx.play_left, False)
    mean = np.empty((dfd.size, rcv.size, 10, 2))
    sigma = np.empty_like(mean)

    def into():
        model.predict_frame_into(xy, o, ball, dfd, rcv, ctx, 10, mean_out=mean, sigma_out=sigma)

    into()  # creates the model's buffers and IO binding for this D x R
    binding = model._frame_buffers(dfd.size, rcv.size).binding
    t = cfg["min_time_s"] / 4
    features_ms = time_per_call(lambda: _core.build_pair_features(*args), t) * 1e3
    session_ms = time_per_call(lambda: model.session.run_with_iobinding(binding), t) * 1e3
    into_ms = time_per_call(into, t) * 1e3
    total_ms = time_per_call(lambda: model.predict_frame(xy, o, ball, dfd, rcv, ctx, horizon=10), t) * 1e3
    return {"pairs": int(dfd.size * rcv.size), "features_ms": features_ms,
            "onnx_session_ms": session_ms, "other_ms": into_ms - features_ms - session_ms,
            "predict_frame_into_ms": into_ms, "predict_frame_ms": total_ms}


def run(cfg: dict, data_dir=None, plot_dir: Path | None = None) -> dict:
    plays = load_pass_plays(data_dir, max(cfg["plays"], 4), cfg["samples"]).plays
    out = {"season": season(cfg, plays), "season_smoother": season(cfg, plays, _smooth),
           "filter_curves": filter_curves(cfg, plays[0])}
    try:
        out["inference_curves"] = inference_curves(cfg, plays[0])
    except Exception as exc:  # the filter's numbers stand on their own
        out["inference_curves"] = {"status": "error", "error": f"{type(exc).__name__}: {exc}",
                                   "rows": []}
        out["status"] = "partial"
    # A whole play in batch mode: filter every player-frame of the longest play.
    longest = max(plays, key=lambda p: p.n_frames * p.n_players)
    rng = np.random.default_rng(2)
    t, x, y, o = noisy_tracks(longest, rng)
    out["whole_play"] = {"play": f"{longest.game_id}/{longest.play_id}", "frames": longest.n_frames,
                         "players": longest.n_players,
                         "filter_ms": time_per_call(lambda: _filter(t, x, y, o), cfg["min_time_s"]) * 1e3}
    if plot_dir is not None:
        out["plot"] = _plot(out, plot_dir / "scale_curves.png")
    return out


def memory_soak(cfg: dict, data_dir=None) -> dict:
    """RSS over a long replay through one Engine, in a fresh process (spawned) so that its
    peak RSS is the engine's footprint, not the benchmark's data sets and season batches. It
    replays the sample plays shipped in the package unless ``data_dir`` is given."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_memory_soak_child, (cfg, data_dir))


def _memory_soak_child(cfg: dict, data_dir=None) -> dict:
    from ghostedge.live import Engine, EngineConfig, Roster
    from ghostedge.sim.bench import make_feed

    rss_start = rss_mb()
    plays = load_pass_plays(data_dir, 8, samples=data_dir is None).plays
    replays = [(p, feed.sim, feed.frames) for p, feed in ((p, make_feed(p, seed=6)) for p in plays)]
    engine = Engine(EngineConfig(model_path=cfg.get("model_path"), require_model=True))
    samples = []
    frames_done = 0
    warmup_frames = max(1, cfg["soak_frames"] // 10)
    rss_after_warmup = None
    t_start = time.perf_counter()
    try:
        while frames_done < cfg["soak_frames"]:
            for play, sim, frames in replays:
                engine.set_roster(Roster.from_play(play, registry=sim.registry,
                                                   frame0_time_us=int(sim.frame_times_us[0])))
                if engine.state != "active":
                    engine.activate()
                for fr in frames:
                    for pkt in fr.packets:
                        engine.push_packets(pkt)
                    engine.tick(fr.time_us, frame_id=fr.frame_id)
                    engine.flush(timeout_s=10.0)
                    frames_done += 1
                    if frames_done == warmup_frames:
                        rss_after_warmup = rss_mb()
                    if frames_done % max(1, cfg["soak_frames"] // 50) == 0:
                        samples.append({"frames": frames_done, "rss_mb": rss_mb()})
                    if frames_done >= cfg["soak_frames"]:
                        break
                if frames_done >= cfg["soak_frames"]:
                    break
        counters = engine.counters()
    finally:
        engine.close()
    rss_end = rss_mb()
    return {
        "method": "fresh process; one Engine, real plays back to back (set_roster per play), "
                  "worker flushed per frame; RSS from /proc/self/statm, peak = VmHWM",
        "frames": frames_done,
        "plays": len(plays),
        "rss_start_mb": rss_start,
        "game_minutes_equivalent": frames_done / 10 / 60,
        "wall_s": time.perf_counter() - t_start,
        "rss_after_warmup_mb": rss_after_warmup,
        "rss_end_mb": rss_end,
        "rss_growth_after_warmup_mb": rss_end - (rss_after_warmup or rss_end),
        "peak_rss_mb": max(peak_rss_mb(), rss_end),
        "samples": samples,
        "engine_errors": {k: v for k, v in counters.items() if k.startswith("errors") and v},
    }


def _plot(out: dict, path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    s = out["season"]
    pts = [c["points"] for c in s["curve"]]
    ax[0, 0].loglog(pts, [c["seconds"] for c in s["curve"]], "o-", label="measured")
    xs = np.geomspace(min(pts), s["season_points"], 20)
    rate = s["points_per_s"]
    ax[0, 0].loglog(xs, xs / rate, ":", label=f"scaled at {rate / 1e6:.1f} M points/s")
    ax[0, 0].axvline(s["season_points"], color="grey", lw=1)
    ax[0, 0].set_xlabel("player-frames filtered (batch)")
    ax[0, 0].set_ylabel("seconds (one core)")
    ax[0, 0].set_title(f"season: ~{s['season_seconds_extrapolated']:.0f} s for 300 M points")
    ax[0, 0].legend()
    fc = out["filter_curves"]
    ax[0, 1].loglog([r["frames"] for r in fc["by_frames"]], [r["ms"] for r in fc["by_frames"]], "o-",
                    label=f"vs frames ({fc['by_frames'][0]['players']} players)")
    ax[0, 1].loglog([r["frames"] * r["players"] / fc["by_players"][0]["frames"] for r in fc["by_players"]],
                    [r["ms"] for r in fc["by_players"]], "s-",
                    label=f"vs players x frames ({fc['by_players'][0]['frames']} frames)")
    ax[0, 1].set_xlabel("frames (or players x frames / frames)")
    ax[0, 1].set_ylabel("ms")
    ax[0, 1].set_title("batch filter cost")
    ax[0, 1].legend()
    rows = out["inference_curves"]["rows"]
    by_d = sorted((r for r in rows if r["receivers"] == 5), key=lambda r: r["defenders"])
    by_r = sorted((r for r in rows if r["defenders"] == 7), key=lambda r: r["receivers"])
    ax[1, 0].plot([r["defenders"] for r in by_d], [r["ms"] for r in by_d], "o-", label="5 receivers")
    ax[1, 0].set_xlabel("defensive backs")
    ax[1, 0].set_ylabel("ms per frame (features + inference)")
    ax[1, 0].legend()
    ax[1, 1].plot([r["receivers"] for r in by_r], [r["ms"] for r in by_r], "o-", label="7 defenders")
    ax[1, 1].set_xlabel("eligible receivers")
    ax[1, 1].set_ylabel("ms per frame (features + inference)")
    ax[1, 1].legend()
    for a in ax.flat:
        a.grid(True, which="both", alpha=0.3)
    fig.suptitle("ghostedge cost curves (CPU)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _season_child(npz: str, batch: str, points: float) -> dict:
    """One season measurement of ``batch`` over the tracks saved in ``npz`` (this process's
    ghostedge: the tree on sys.path)."""
    import ghostedge

    z = np.load(npz)
    tracks = [tuple(z[f"{k}{i}"] for k in "txyo") for i in range(len(z.files) // 4)]
    res = season_of_tracks(points, tracks, BATCHES[batch])
    res["ghostedge"] = str(Path(ghostedge.__file__).resolve().parent)
    return res


def compare_season(baseline: Path | None, points: float, rounds: int, data_dir=None) -> dict:
    """Season figures of this tree's filter and smoother and of ``baseline``'s filter (a tree
    with a built python/ghostedge), each measured in its own process, rounds interleaved; the
    best round of each (interference on a shared machine only ever slows a round)."""
    import json
    import os
    import subprocess
    import sys
    import tempfile

    plays = load_pass_plays(data_dir, 8, False).plays
    rng = np.random.default_rng(0)
    runs = [("filter_tracks", REPO, "filter_tracks"), ("smooth_tracks", REPO, "smooth_tracks")]
    if baseline is not None:
        runs.insert(0, ("baseline filter_tracks", Path(baseline).resolve(), "filter_tracks"))
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        npz = str(Path(tmp) / "tracks.npz")
        arrays = {}
        for i, p in enumerate(plays):
            for k, a in zip("txyo", noisy_tracks(p, rng)):
                arrays[f"{k}{i}"] = a
        np.savez(npz, **arrays)
        for _ in range(rounds):
            for label, tree, batch in runs:
                env = dict(os.environ, GHOSTEDGE_BENCH_INSTALLED="1",
                           PYTHONPATH=os.pathsep.join([str(tree / "python"), str(REPO / "bench")]))
                code = ("import json, sys, bench_scale; "
                        f"print(json.dumps(bench_scale._season_child({npz!r}, {batch!r}, {points!r})))")
                res = json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                                capture_output=True, text=True).stdout)
                if label not in best or res["points_per_s"] > best[label]["points_per_s"]:
                    best[label] = res
    out = {"rounds": rounds, "points": points, "plays": len(plays), "runs": best}
    if baseline is not None:
        out["filter_speedup"] = best["filter_tracks"]["points_per_s"] / best["baseline filter_tracks"]["points_per_s"]
    return out


def main(argv=None) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(description="Season figures (see the module docstring).")
    ap.add_argument("--season", action="store_true", required=True, help="the season comparison")
    ap.add_argument("--baseline", type=Path, default=None, help="another tree with a built python/ghostedge")
    ap.add_argument("--points", type=float, default=3e7, help="points per measurement (default 10%% of a season)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    res = compare_season(args.baseline, args.points, args.rounds)
    print(json.dumps(res, indent=1))
    for label, r in res["runs"].items():
        print(f"{label:24s} {r['points_per_s'] / 1e6:6.2f} M points/s, season {r['season_seconds_extrapolated']:.1f} s "
              f"(at the measured rate {r['season_seconds_at_measured_rate']:.1f} s)  [{r['ghostedge']}]")
    if "filter_speedup" in res:
        print(f"filter speed-up {res['filter_speedup']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
