"""`ghostedge ingest-eval`: simulate the tag reads of every play of a data folder, run them
through the live pipeline (decode -> fuse -> filter) and compare with the source tracking.

``--smoother offline`` runs each play's packets instead as an archived capture through the
offline two-sided smoother (ghostedge.ingest.smoothing: the same decode -> fuse -> causal filter, then
a Rauch-Tung-Striebel pass over each whole track) and reports the same figures from its output."""

from __future__ import annotations

import argparse

NAME = "ingest-eval"
HELP = "Measure decode -> fuse -> filter against real tracking, on simulated noisy tag reads."
SMOOTHERS = ("live", "offline")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..sim.simulator import SimConfig

    parser.add_argument("--data", required=True, help="data folder (tracking*.csv[.gz] [+ plays.csv[.gz]])")
    parser.add_argument("--seed", type=int, default=0, help="simulation seed (play i uses seed + i)")
    parser.add_argument("--noise-in", type=float, default=SimConfig.noise_in,
                        help="gaussian read error per axis, inches (default %(default)s)")
    parser.add_argument("--outlier-rate", type=float, default=SimConfig.outlier_rate,
                        help="fraction of reads that are 1-5 yd outliers (default %(default)s)")
    parser.add_argument("--loss-rate", type=float, default=SimConfig.loss_rate,
                        help="fraction of packets lost (default %(default)s)")
    parser.add_argument("--max-plays", type=int, default=None, help="only the first N plays")
    parser.add_argument("--smoother", choices=SMOOTHERS, default="live",
                        help="live: the live pipeline, one frame of delay (default); offline: each play "
                             "as an archived capture through the two-sided smoother")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _wrap180(d):
    return (d + 180.0) % 360.0 - 180.0


class _Totals:
    """Running sums over plays; `result()` turns them into the report."""

    def __init__(self) -> None:
        import numpy as np

        self.np = np
        self.n = dict.fromkeys(
            ("plays", "source_player_frames", "frames", "flagged_missing", "held_frames",
             "single_tag_frames", "raw_frames", "speed_frames", "reads", "ball_reads",
             "outliers_injected", "outliers_rejected", "false_rejections", "ball_outliers_injected",
             "ball_outliers_rejected", "packets", "packets_generated", "packets_rejected",
             "reads_late", "track_resets", "ball_flight_frames", "ball_flight_missing",
             "ball_false_rejections"), 0)
        self.sq = {"pos": 0.0, "raw": 0.0, "speed": 0.0, "ball": 0.0}
        self.pos_err, self.dir_err, self.o_err, self.ball_err = [], [], [], []
        self.max_speed = 0.0

    def result(self) -> dict:
        np = self.np
        n = self.n

        def rms(key, count):
            return float(np.sqrt(self.sq[key] / count)) if count else float("nan")

        pos = np.concatenate(self.pos_err) if self.pos_err else np.empty(0)
        dirs = np.concatenate(self.dir_err) if self.dir_err else np.empty(0)
        os_ = np.concatenate(self.o_err) if self.o_err else np.empty(0)
        ball = np.concatenate(self.ball_err) if self.ball_err else np.empty(0)
        yd_in = 36.0
        out = {
            **{k: n[k] for k in ("plays", "source_player_frames", "frames", "flagged_missing")},
            "accounted_for": n["frames"] + n["flagged_missing"] == n["source_player_frames"],
            "raw_rmse_in": rms("raw", n["raw_frames"]) * yd_in,
            "position_rmse_in": rms("pos", n["frames"]) * yd_in,
            "p99_error_in": float(np.percentile(pos, 99)) * yd_in if pos.size else float("nan"),
            "speed_rmse_yps": rms("speed", n["speed_frames"]),
            "dir_median_err_deg": float(np.median(dirs)) if dirs.size else float("nan"),
            "o_median_err_deg": float(np.median(os_)) if os_.size else float("nan"),
            "max_player_speed_yps": self.max_speed,
            **{k: n[k] for k in ("outliers_injected", "outliers_rejected", "false_rejections")},
            "outlier_rejection_rate": n["outliers_rejected"] / n["outliers_injected"] if n["outliers_injected"] else float("nan"),
            "false_rejection_rate": n["false_rejections"] / n["reads"] if n["reads"] else float("nan"),
            "reads": n["reads"],
            **{k: n[k] for k in ("packets", "packets_generated", "packets_rejected", "held_frames",
                                 "single_tag_frames", "raw_frames", "reads_late", "track_resets",
                                 "ball_reads", "ball_outliers_injected", "ball_outliers_rejected")},
            "ball_outlier_rejection_rate": (n["ball_outliers_rejected"] / n["ball_outliers_injected"]
                                            if n["ball_outliers_injected"] else float("nan")),
            "ball_false_rejections": n["ball_false_rejections"],
            # Ball in flight (pass_forward .. pass_arrived, see _flight_frames).
            "ball_flight_frames": n["ball_flight_frames"],
            "ball_flight_missing": n["ball_flight_missing"],
            "ball_rmse_in": rms("ball", ball.size) * yd_in,
            "ball_p90_error_in": float(np.percentile(ball, 90)) * yd_in if ball.size else float("nan"),
            "ball_max_error_in": float(ball.max()) * yd_in if ball.size else float("nan"),
        }
        return out


def _flight_frames(events):
    """Boolean [T] mask of the frames with the ball in the air: from the first pass_forward
    (or pass_shovel) to the next pass_arrived, or to the pass outcome when the feed has no
    pass_arrived (interceptions, some incompletions)."""
    import numpy as np

    ev = [str(e).lower() for e in events]
    mask = np.zeros(len(ev), bool)
    start = next((i for i, e in enumerate(ev) if e in ("pass_forward", "pass_shovel")), None)
    if start is None:
        return mask
    end = next((i for i in range(start + 1, len(ev)) if ev[i] == "pass_arrived"), None)
    if end is None:
        end = next((i for i in range(start + 1, len(ev)) if ev[i].startswith("pass_outcome")), None)
    if end is None:
        return mask
    mask[start:end + 1] = True
    return mask


def _run_live(sim, pipeline_kwargs):
    """The play's packets through a live pipeline as a receiver gets them: frame arrays,
    rejected (tag_id, time_us) reads, counters."""
    from ..ingest.pipeline import IngestPipeline, replay_packets

    pipe = IngestPipeline(sim.registry, **pipeline_kwargs)
    rejected = set()

    def collect(_i, p):
        t, tag, _reason = p.rejected_reads()
        rejected.update(zip(tag.tolist(), t.tolist()))

    out = replay_packets(pipe, sim.packets, sim.packet_times_us, sim.frame_times_us,
                         on_tick=collect)
    return out, rejected, pipe.counters()


def _run_offline(sim, pipeline_kwargs):
    """The play's packets, as recorded in arrival order, through the offline smoother."""
    from ..ingest.smoothing import smooth_capture

    cap = smooth_capture(sim.packets, sim.registry, sim.frame_times_us, **pipeline_kwargs)
    t, tag, _reason = cap.rejected_reads
    return cap.arrays(), set(zip(tag.tolist(), t.tolist())), cap.counters


def evaluate_play(play, sim_config, seed: int, totals: _Totals, pipeline_kwargs=None,
                  smoother: str = "live") -> None:
    """Simulate one play, run it through a fresh pipeline (live) or the offline smoother and
    add its errors to totals."""
    import numpy as np

    from ..constants import FRAME_US
    from ..ingest.pipeline import FLAG_HELD, FLAG_SINGLE_TAG, FLAGS_NO_ESTIMATE
    from ..sim.simulator import simulate_play

    if smoother not in SMOOTHERS:
        raise ValueError(f"smoother must be one of {SMOOTHERS}, not {smoother!r}")
    sim = simulate_play(play, sim_config, seed=seed)
    run = _run_live if smoother == "live" else _run_offline
    out, rejected, c = run(sim, pipeline_kwargs or {})
    N = play.n_players
    n, sq = totals.n, totals.sq
    flags = out["flags"][:, :N]
    has_est = (flags & FLAGS_NO_ESTIMATE) == 0
    present = play.present
    cmp = present & has_est
    n["plays"] += 1
    n["source_player_frames"] += int(present.sum())
    n["frames"] += int(cmp.sum())
    n["flagged_missing"] += int((present & ~has_est).sum())
    n["held_frames"] += int((cmp & ((flags & FLAG_HELD) != 0)).sum())
    n["single_tag_frames"] += int((cmp & ((flags & FLAG_SINGLE_TAG) != 0)).sum())

    tx, ty = play.xy[..., 0], play.xy[..., 1]
    err = np.hypot(out["x"][:, :N] - tx, out["y"][:, :N] - ty)[cmp]
    sq["pos"] += float(np.sum(err ** 2))
    totals.pos_err.append(err)

    # Raw fused positions hold at their own (mean blink) time, near the tick: compare with the
    # source interpolated to that time (between two present frames only).
    raw_x, raw_y = out["raw_x"][:, :N], out["raw_y"][:, :N]
    u = (out["raw_time_us"][:, :N] - sim.frame_times_us[0]) / FRAME_US
    raw_ok = np.isfinite(raw_x) & present & (u >= 0) & (u <= play.n_frames - 1)
    i0 = np.clip(np.floor(np.where(raw_ok, u, 0)).astype(np.int64), 0, max(play.n_frames - 2, 0))
    i1 = np.minimum(i0 + 1, play.n_frames - 1)
    cols = np.broadcast_to(np.arange(N), i0.shape)
    raw_ok &= present[i0, cols] & present[i1, cols]
    frac = np.where(raw_ok, u - i0, 0.0)
    truth_x = tx[i0, cols] * (1 - frac) + tx[i1, cols] * frac
    truth_y = ty[i0, cols] * (1 - frac) + ty[i1, cols] * frac
    raw_err = np.hypot(raw_x - truth_x, raw_y - truth_y)[raw_ok]
    sq["raw"] += float(np.sum(raw_err ** 2))
    n["raw_frames"] += int(raw_ok.sum())

    s = out["s"][:, :N]
    if play.provider_s is not None:
        ok = cmp & np.isfinite(play.provider_s)
        sq["speed"] += float(np.sum((s[ok] - play.provider_s[ok]) ** 2))
        n["speed_frames"] += int(ok.sum())
        if play.provider_dir is not None:
            ok_dir = ok & (play.provider_s > 1.0) & np.isfinite(play.provider_dir)
            totals.dir_err.append(np.abs(_wrap180(out["dir"][:, :N][ok_dir] - play.provider_dir[ok_dir])))
    flight = _flight_frames(play.events) & np.all(np.isfinite(play.ball_xy), axis=1)
    ball_est = (out["flags"][:, N] & FLAGS_NO_ESTIMATE) == 0
    ball_ok = flight & ball_est
    ball_err = np.hypot(out["x"][:, N] - play.ball_xy[:, 0], out["y"][:, N] - play.ball_xy[:, 1])[ball_ok]
    sq["ball"] += float(np.sum(ball_err ** 2))
    totals.ball_err.append(ball_err)
    n["ball_flight_frames"] += int(flight.sum())
    n["ball_flight_missing"] += int((flight & ~ball_est).sum())

    o = out["o"][:, :N]
    ok_o = cmp & np.isfinite(o) & np.isfinite(play.o)
    totals.o_err.append(np.abs(_wrap180(o[ok_o] - play.o[ok_o])))
    if np.isfinite(s).any():
        totals.max_speed = max(totals.max_speed, float(np.nanmax(s)))

    delivered = sim.read_delivered
    reads = sim.reads
    player = delivered & ~sim.read_is_ball
    n["reads"] += int(player.sum())
    n["ball_reads"] += int((delivered & sim.read_is_ball).sum())
    keys = list(zip(reads["tag_id"].tolist(), reads["time_us"].tolist()))
    is_rej = np.fromiter((k in rejected for k in keys), bool, count=len(keys))
    out_p = player & sim.read_is_outlier
    out_b = delivered & sim.read_is_ball & sim.read_is_outlier
    n["outliers_injected"] += int(out_p.sum())
    n["outliers_rejected"] += int((out_p & is_rej).sum())
    n["false_rejections"] += int((player & ~sim.read_is_outlier & is_rej).sum())
    n["ball_outliers_injected"] += int(out_b.sum())
    n["ball_outliers_rejected"] += int((out_b & is_rej).sum())
    n["ball_false_rejections"] += int((delivered & sim.read_is_ball & ~sim.read_is_outlier & is_rej).sum())

    n["packets"] += len(sim.packets)
    n["packets_generated"] += sim.packets_generated
    n["packets_rejected"] += int(c["decode_packets_bad_header"] + c["decode_packets_bad_crc"]
                                 + c["decode_packets_duplicate"] + c["decode_packets_truncated"])
    n["reads_late"] += int(c["reads_late"])
    n["track_resets"] += int(c["track_resets"])


def evaluate_plays(plays, sim_config=None, seed: int = 0, progress: bool = False, total=None,
                   pipeline_kwargs=None, smoother: str = "live") -> dict:
    """Run the evaluation over an iterable of Plays (``smoother``: "live" or "offline");
    returns the report dict."""
    import sys

    from tqdm import tqdm

    from ..sim.simulator import SimConfig

    totals = _Totals()
    cfg = sim_config or SimConfig()
    for i, play in enumerate(tqdm(plays, total=total, disable=not progress, unit="play",
                                  desc="ingest-eval", file=sys.stderr)):
        evaluate_play(play, cfg, seed + i, totals, pipeline_kwargs, smoother)
    return totals.result()


def run(args: argparse.Namespace) -> int:
    import itertools
    import json
    import math

    from ..data import load_dataset
    from ..sim.simulator import SimConfig

    for name in ("noise_in", "outlier_rate", "loss_rate"):
        v = getattr(args, name)
        if not math.isfinite(v) or v < 0 or (name != "noise_in" and v > 1):
            raise ValueError(f"--{name.replace('_', '-')} {v} out of range")
    ds = load_dataset(args.data)
    keys = ds.play_keys()
    if args.max_plays is not None:
        keys = keys[: args.max_plays]
    plays = ds.iter_plays()
    if args.max_plays is not None:
        plays = itertools.islice(plays, args.max_plays)
    cfg = SimConfig(noise_in=args.noise_in, outlier_rate=args.outlier_rate, loss_rate=args.loss_rate)
    report = evaluate_plays(plays, cfg, seed=args.seed, progress=True, total=len(keys),
                            smoother=args.smoother)
    report.update(smoother=args.smoother, seed=args.seed, noise_in=args.noise_in, outlier_rate=args.outlier_rate,
                  loss_rate=args.loss_rate, data=str(args.data))
    if args.json:  # NaN (nothing to measure, e.g. no outliers injected) becomes null
        print(json.dumps({k: None if isinstance(v, float) and math.isnan(v) else v for k, v in report.items()},
                         allow_nan=False))
    else:
        width = max(len(k) for k in report)
        for k, v in report.items():
            print(f"{k:<{width}}  {v:.4g}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    return 0
