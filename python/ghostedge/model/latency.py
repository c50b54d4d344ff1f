"""ONNX Runtime ``session.run`` latency of ghost models for one frame's batch.

``python -m ghostedge.model.latency MODEL [MODEL ...] [--batch 35] [--calls 600] [--threads 1 2]``
times every (model, thread count) pair on the same random features, interleaved in rounds so
that the noise of a shared machine falls on all of them alike, and prints p50 / p90 / p99 in ms
(one JSON object with ``--json``). A measurement tool, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from .inference import session_options


def measure(paths: list[str], batch: int = 35, calls: int = 600, threads=(1,), rounds: int = 10,
            seed: int = 0) -> list[dict]:
    import onnxruntime as ort

    sessions = {}
    for path in paths:
        for n in threads:
            sessions[(path, n)] = ort.InferenceSession(str(path), sess_options=session_options(n),
                                                       providers=["CPUExecutionProvider"])
    feeds = {}
    for key, sess in sessions.items():
        inp = sess.get_inputs()[0]
        x = np.random.default_rng(seed).normal(0.0, 1.0, (batch, inp.shape[-1])).astype(np.float32)
        feeds[key] = {inp.name: x}
        for _ in range(50):  # warm-up
            sess.run(None, feeds[key])
    per_round = max(1, calls // rounds)
    times: dict = {key: [] for key in sessions}
    for _ in range(rounds):
        for key, sess in sessions.items():
            feed = feeds[key]
            for _ in range(per_round):
                t0 = time.perf_counter()
                sess.run(None, feed)
                times[key].append(time.perf_counter() - t0)
    out = []
    for (path, n), t in times.items():
        ms = np.asarray(t) * 1e3
        p50, p90, p99 = np.percentile(ms, [50, 90, 99])
        out.append({"model": str(path), "threads": n, "batch": batch, "calls": len(ms),
                    "p50_ms": round(float(p50), 4), "p90_ms": round(float(p90), 4), "p99_ms": round(float(p99), 4)})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--batch", type=int, default=35, help="rows per call (7 DBs x 5 receivers = 35)")
    ap.add_argument("--calls", type=int, default=600)
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = measure(args.models, args.batch, args.calls, tuple(args.threads))
    if args.json:
        print(json.dumps({"session_run": rows}))
    else:
        for r in rows:
            print(f"{r['model']}  threads {r['threads']}  batch {r['batch']}  n {r['calls']}  "
                  f"p50 {r['p50_ms']:.3f} ms  p90 {r['p90_ms']:.3f}  p99 {r['p99_ms']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
