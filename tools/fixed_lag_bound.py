"""How much smoothing a look-ahead buys: the best a constant-acceleration smoother can do on
the live pipeline's own fused measurements, for look-aheads from one frame to a whole play.

For each player of a few simulated plays (default simulator noise, seed 0) this takes the
per-tick fused measurements the live pipeline produced (``raw_x``/``raw_y`` at
``raw_time_us``), runs a constant-acceleration Kalman filter over them (white jerk, the
pipeline's model) and, for every output frame t, a Rauch-Tung-Striebel smoother that may use
every measurement up to t + lag. lag = 0.1 s is what the live pipeline may use (one frame of
delay); lag = the whole play is the offline optimum. Position RMSE against the source
tracking, and its ratio to the raw (fused, before smoothing) RMSE, as ``ingest-eval``
computes them. Plain numpy, slow (minutes): an analysis tool, not a product path.

    python tools/fixed_lag_bound.py --data ../shared/data/ngs_highlights --plays 8
"""

from __future__ import annotations

import argparse
import itertools
import sys

import numpy as np

YD_IN = 36.0


def forward_pass(meas_t, meas_xy, meas_var, jerk_psd, out_t):
    """Kalman filter over measurement nodes and output nodes (prediction only), in time
    order. Returns the nodes and what the backward pass needs."""
    nodes = sorted([(t, 0, i) for i, t in enumerate(meas_t)] + [(t, 1, j) for j, t in enumerate(out_t)])
    n = len(nodes)
    post = np.zeros((n, 3, 2))
    prior = np.zeros((n, 3, 2))
    post_cov = np.zeros((n, 3, 3))
    prior_cov = np.zeros((n, 3, 3))
    trans = np.zeros((n, 3, 3))
    x = np.zeros((3, 2))
    cov = np.diag([1e4, 1e2, 1e2])  # uninformative start
    t_prev = None
    for k, (t, kind, i) in enumerate(nodes):
        dt = 0.0 if t_prev is None else t - t_prev
        f = np.array([[1.0, dt, dt * dt / 2], [0.0, 1.0, dt], [0.0, 0.0, 1.0]])
        q = jerk_psd * np.array([[dt**5 / 20, dt**4 / 8, dt**3 / 6],
                                 [dt**4 / 8, dt**3 / 3, dt**2 / 2],
                                 [dt**3 / 6, dt**2 / 2, dt]])
        x, cov = f @ x, f @ cov @ f.T + q
        trans[k], prior[k], prior_cov[k] = f, x, cov
        if kind == 0:
            gain = cov[:, 0] / (cov[0, 0] + meas_var)
            x = x + np.outer(gain, meas_xy[i] - x[0])
            cov = cov - np.outer(gain, cov[0])
        post[k], post_cov[k], t_prev = x, cov, t
    smoother_gain = np.zeros_like(post_cov)
    for k in range(n - 1):
        smoother_gain[k] = post_cov[k] @ trans[k + 1].T @ np.linalg.pinv(prior_cov[k + 1])
    return nodes, post, prior, smoother_gain


def fixed_lag_estimates(nodes, post, prior, smoother_gain, lag_s, n_out):
    """Position at each output node smoothed with the measurements up to its time + lag."""
    times = np.array([t for t, _, _ in nodes])
    est = np.full((n_out, 2), np.nan)
    for k, (t, kind, j) in enumerate(nodes):
        if kind != 1:
            continue
        last = int(np.searchsorted(times, t + lag_s, side="right")) - 1
        x = post[last]
        for m in range(last - 1, k - 1, -1):
            x = post[m] + smoother_gain[m] @ (x - prior[m + 1])
        est[j] = x[0]
    return est


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a data directory in the shared format")
    ap.add_argument("--plays", type=int, default=8, help="how many plays (every 43rd play)")
    ap.add_argument("--lags", default="0.1,0.2,0.3,0.5,100", help="look-aheads in seconds")
    ap.add_argument("--jerk-psd", default="10,25", help="process noises to try (yd^2/s^5)")
    args = ap.parse_args(argv)

    from ghostedge.data import load_dataset
    from ghostedge.ingest.pipeline import FLAGS_NO_ESTIMATE, IngestPipeline, replay_packets
    from ghostedge.sim import SimConfig, simulate_play

    lags = [float(v) for v in args.lags.split(",")]
    psds = [float(v) for v in args.jerk_psd.split(",")]
    # Per-axis variance of one fused measurement: the midpoint of two shoulders, ~2.5 reads each.
    meas_var = (SimConfig().noise_in / YD_IN) ** 2 / 5.0
    plays = list(itertools.islice(load_dataset(args.data).iter_plays(), 0, None, 43))[: args.plays]
    sq = {(q, lag): 0.0 for q in psds for lag in lags}
    sq_live = sq_raw = 0.0
    n_frames = n_raw = 0
    for play in plays:
        sim = simulate_play(play, None, seed=0)
        out = replay_packets(IngestPipeline(sim.registry), sim.packets, sim.packet_times_us, sim.frame_times_us)
        frame_t = (sim.frame_times_us - sim.frame_times_us[0]) / 1e6
        for p in range(play.n_players):
            scored = play.present[:, p] & ((out["flags"][:, p] & FLAGS_NO_ESTIMATE) == 0)
            meas_t = (out["raw_time_us"][:, p] - sim.frame_times_us[0]) / 1e6
            ok = np.isfinite(out["raw_x"][:, p]) & np.isfinite(meas_t)
            if scored.sum() < 20 or ok.sum() < 5:
                continue
            meas_t = meas_t[ok]
            meas_xy = np.stack([out["raw_x"][:, p][ok], out["raw_y"][:, p][ok]], axis=1)
            truth = play.xy[:, p]
            # Raw error: each measurement against the source interpolated to its own time.
            u = meas_t / 0.1
            i0 = np.clip(np.floor(u).astype(np.int64), 0, play.n_frames - 2)
            frac = (u - i0)[:, None]
            good = (u >= 0) & (u <= play.n_frames - 1) & play.present[i0, p] & play.present[i0 + 1, p]
            raw_err = meas_xy - (truth[i0] * (1 - frac) + truth[i0 + 1] * frac)
            sq_raw += float((raw_err[good] ** 2).sum())
            n_raw += int(good.sum())
            live = np.stack([out["x"][:, p], out["y"][:, p]], axis=1)
            sq_live += float(((live - truth)[scored] ** 2).sum())
            n_frames += int(scored.sum())
            for q in psds:
                nodes, post, prior, gain = forward_pass(meas_t, meas_xy, meas_var, q, frame_t)
                for lag in lags:
                    est = fixed_lag_estimates(nodes, post, prior, gain, lag, frame_t.size)
                    sq[(q, lag)] += float(((est - truth)[scored] ** 2).sum())
    raw = np.sqrt(sq_raw / n_raw) * YD_IN
    live = np.sqrt(sq_live / n_frames) * YD_IN
    print(f"{len(plays)} plays, {n_frames} player-frames; raw_rmse_in {raw:.3f}")
    print(f"live pipeline: position_rmse_in {live:.3f}, ratio {live / raw:.3f}")
    print("| jerk_psd | look-ahead (s) | position_rmse_in | ratio to raw |")
    print("|---|---|---|---|")
    for (q, lag), v in sq.items():
        rmse = np.sqrt(v / n_frames) * YD_IN
        print(f"| {q:g} | {'whole play' if lag >= 100 else f'{lag:g}'} | {rmse:.3f} | {rmse / raw:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
