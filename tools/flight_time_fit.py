"""Fit and accuracy of the feature builder's landing estimate (cpp/include/ghostedge/features.hpp).

    PYTHONPATH=python python tools/flight_time_fit.py [--data DIR ...] [--steps K] [--json]

When the caller does not give where and when the ball lands (the live engine), the builder
estimates it: the ball reaches the receiver ``kFlightStartS + |receiver - ball| /
kBallGroundSpeedYps`` seconds after t, and the receiver keeps his velocity until then. This
script fits the two constants by least squares on every in-flight frame (passForward <= t <
passArrived) of the pass plays of the given folders (default: both shared NGS folders) and
prints how far the estimated landing point is from the real one (``windows.landing_point``),
at the throw and later in the flight, with the builder's constants (``_core.
FEATURE_LANDING_ESTIMATE``) and with the fit. ``--steps K``: the receiver's velocity over his
last K steps instead of the last one (the builder's), to see what a smoother estimate costs.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from ghostedge import _core
from ghostedge.constants import DT_S
from ghostedge.data import load_dataset
from ghostedge.model.windows import is_pass_play, landing_point

FOLDERS = ["../shared/data/ngs_highlights", "../shared/data/ngs_games_2018"]


def flight_rows(folders, steps: int = 1) -> np.ndarray:
    """[M, 10]: frames since the throw, seconds left, ball xy, receiver xy and velocity (over
    his last ``steps`` steps), landing xy."""
    rows = []
    for folder in folders:
        for play in load_dataset(folder).iter_plays():
            if not is_pass_play(play):
                continue
            f0 = int(play.frame_ids[0])
            pf, pa = play.pass_forward_frame - f0, play.pass_arrived_frame - f0
            land = landing_point(play)
            if pf < steps or pa >= play.n_frames or not np.isfinite(land).all():
                continue
            tgt = play.player_index(play.target_nfl_id)
            for t in range(pf, pa):
                v = (play.xy[t, tgt] - play.xy[t - steps, tgt]) / (steps * DT_S)
                rows.append([t - pf, (pa - t) * DT_S, *play.ball_xy[t], *play.xy[t, tgt], *v, *land])
    r = np.asarray(rows, dtype=np.float64)
    return r[np.isfinite(r).all(axis=1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", action="append", help="data folder (repeatable; default: the shared NGS data)")
    ap.add_argument("--steps", type=int, default=1, help="receiver velocity over his last K steps (default 1)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    if args.steps < 1:
        ap.error("--steps must be >= 1")
    r = flight_rows(args.data or FOLDERS, args.steps)
    since, left, ball, rcv, vel, land = r[:, 0], r[:, 1], r[:, 2:4], r[:, 4:6], r[:, 6:8], r[:, 8:10]
    dist = np.linalg.norm(rcv - ball, axis=1)
    (start, per_yd), *_ = np.linalg.lstsq(np.stack([np.ones_like(dist), dist], 1), left, rcond=None)
    builder = _core.FEATURE_LANDING_ESTIMATE
    out = {"frames": int(len(r)), "receiver_velocity_steps": args.steps}
    for name, (s0, speed) in (("builder", (builder["flight_start_s"], builder["ball_ground_speed_yps"])),
                              ("fit", (float(start), float(1.0 / per_yd)))):
        t_hat = np.clip(s0 + dist / speed, builder["min_flight_s"], builder["max_flight_s"])
        err = np.linalg.norm(rcv + vel * t_hat[:, None] - land, axis=1)
        out[name] = {"flight_start_s": round(s0, 3), "ball_ground_speed_yps": round(speed, 2),
                     "time_rmse_s": round(float(np.sqrt(((t_hat - left) ** 2).mean())), 3),
                     **{f"landing_error_median_yd_{when}": round(float(np.median(err[rows])), 2)
                        for when, rows in (("at_throw", since == 0), ("from_0.5s", since >= 5))}}
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
