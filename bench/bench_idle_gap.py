"""The model call after the worker has been idle: ``GhostModel.predict_frame_into`` on one real
7 x 5 frame, back to back and after sleeping ``gap`` ms before each call (live at 10 Hz the
worker sleeps ~100 ms between frames; ``bench/run.py`` replays frames back to back).

    nice python bench/bench_idle_gap.py [--gaps 0 2 10 100] [--calls 200]

Prints p50/p99 (ms) per gap, for the model call and for a control that has nothing to do
with ghostedge (float32 matmuls in numpy, about 1 ms back to back): a penalty that the control
shows too belongs to the machine (CPU power states, the VM), not to the model call. A
benchmark, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _harness import load_pass_plays


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gaps", type=float, nargs="+", default=[0.0, 2.0, 10.0, 100.0], help="ms")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    from ghostedge.model import GhostModel, PlayContext

    play = load_pass_plays(None, 1).plays[0]
    model = GhostModel()
    k = play.frame_index(play.pass_forward_frame)
    xy, o, ball = (np.ascontiguousarray(a[k - 2:k + 1]) for a in (play.xy, play.o, play.ball_xy))
    ctx = PlayContext.from_play(play)
    dfd, rcv = play.defensive_backs()[:7], play.eligible_receivers()[:5]
    mean = np.empty((dfd.size, rcv.size, 10, 2))
    sigma = np.empty_like(mean)

    def call():
        model.predict_frame_into(xy, o, ball, dfd, rcv, ctx, 10, mean_out=mean, sigma_out=sigma)

    rng = np.random.default_rng(0)
    rows = rng.random((2 * dfd.size * rcv.size, 128), dtype=np.float32)  # the mirrored batch
    weights = rng.random((3, 128, 128), dtype=np.float32)

    def control():
        for _ in range(10):
            h = rows
            for w in weights:
                h = h @ w

    for _ in range(50):
        call()
        control()
    print(f"{dfd.size} x {rcv.size} pairs, play {play.game_id}/{play.play_id}")
    for rnd in range(args.rounds):
        for gap_ms in args.gaps:
            for name, fn in (("model call", call), ("numpy control", control)):
                samples = []
                for _ in range(args.calls):
                    if gap_ms > 0:
                        time.sleep(gap_ms / 1e3)
                    t0 = time.perf_counter()
                    fn()
                    samples.append(time.perf_counter() - t0)
                p50, p99 = np.percentile(np.array(samples) * 1e3, [50, 99])
                print(f"round {rnd + 1} gap {gap_ms:6.1f} ms {name:13s}: p50 {p50:.3f} ms  p99 {p99:.3f} ms",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
