"""A/B timing of the engine's per-frame path: two copies of the ``ghostedge`` package (e.g. a
snapshot taken before a change and the working tree) replayed on the same frames, alternating
in fresh processes so that the shared machine's load falls on both alike.

    cp -a python/ghostedge /tmp/before/                      # before editing
    nice python bench/bench_frame_ab.py /tmp/before python --rounds 4

Each round runs one process per package: the ``--plays`` pass plays with the most pairs from
the shared data, replayed through an Engine exactly as ``ghostedge bench`` and
``bench_pipeline.py`` do (``ghostedge.sim.bench.replay_frames``, worker flushed every frame).
Prints p50/p99 per stage for each package over all rounds, and the ratios. Two models in one
package: ``ghostedge bench --model A --compare-model B``. A benchmark, not a test: nothing
asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

STAGES = ("decode", "host", "target", "features", "model_call", "metric", "worker", "frame",
          "frame_cpu")
BENCH_DIR = Path(__file__).resolve().parent
MODEL_PATH = BENCH_DIR.parent / "models" / "ghostedge_ghost.onnx"  # one model for both packages


def _child(n_plays: int, repeats: int) -> None:
    """Runs in a subprocess whose sys.path starts with the package under test (which must have
    ``ghostedge.sim.bench``: both packages replay with their own copy of it)."""
    sys.path.insert(1, str(BENCH_DIR))
    from _harness import load_pass_plays

    from ghostedge.sim.bench import feed_roster, make_feed, replay_frames, timed_model

    model = timed_model(MODEL_PATH, "cpu")
    rows = []
    for rep in range(repeats):
        for play in load_pass_plays(None, n_plays).plays:
            feed = make_feed(play, seed=6 + rep)
            rows += [r for r in replay_frames(model, feed, feed_roster(feed))
                     if r["pairs"] > 0 and r["ok"]]
    import ghostedge

    print(json.dumps({"package": str(Path(ghostedge.__file__).parent),
                      "rows": {s: [r[s] for r in rows] for s in STAGES},
                      "pairs": [r["pairs"] for r in rows]}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", help="folder holding package A's ghostedge/ (the baseline)")
    ap.add_argument("b", help="folder holding package B's ghostedge/")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--plays", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=1, help="replays of each play per process")
    ap.add_argument("--json", help="also write the raw rows here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.plays, args.repeats)
        return 0
    runs: dict[str, dict[str, list]] = {"A": {s: [] for s in STAGES}, "B": {s: [] for s in STAGES}}
    for rnd in range(args.rounds):
        for label, folder in (("A", args.a), ("B", args.b)):
            env = dict(os.environ, PYTHONPATH=str(Path(folder).resolve()))
            cmd = [sys.executable, __file__, "a", "b", "--child", "--plays", str(args.plays),
                   "--repeats", str(args.repeats)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
            got = json.loads(out.strip().splitlines()[-1])
            for s in STAGES:
                runs[label][s] += got["rows"][s]
            p50, p99 = np.percentile(got["rows"]["frame"], [50, 99])
            print(f"round {rnd + 1} {label}: frame p50 {p50:.3f} p99 {p99:.3f} ms "
                  f"(load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    head = "".join(f"{h:>9}" for h in ("A p50", "B p50", "B/A", "A p99", "B p99", "B/A"))
    print(f"{'stage':<20}{head}  (ms)")
    summary = {}
    for s in STAGES:
        a, b = np.asarray(runs["A"][s]), np.asarray(runs["B"][s])
        pa, pb = np.percentile(a, [50, 99]), np.percentile(b, [50, 99])
        summary[s] = {"A": pa.tolist(), "B": pb.tolist()}
        cells = (pa[0], pb[0], pb[0] / pa[0], pa[1], pb[1], pb[1] / pa[1])
        print(f"{s:<20}" + "".join(f"{c:9.3f}" for c in cells))
    print(f"frames per package: {len(runs['A']['frame'])}, "
          f"load average now {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "runs": runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
