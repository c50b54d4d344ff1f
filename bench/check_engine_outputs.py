"""Before/after check for engine speed work: every frame's ghosts and metric on the shipped
sample plays, through the whole live path (simulated tag reads -> Engine), saved or compared.

    python bench/check_engine_outputs.py --save /tmp/engine_outputs_before.npz   # before a change
    python bench/check_engine_outputs.py --compare /tmp/engine_outputs_before.npz  # after it

``--compare`` prints the largest absolute difference (yards for ghosts, metric units for the
metric), checks that NaN patterns, ids, targets and phases are identical, and exits 1 when any
difference exceeds ``--tol`` (default 1e-5).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

FIELDS = ("mean", "sigma", "metric", "defender_ids", "receiver_ids", "defender_xy")


def collect() -> dict[str, np.ndarray]:
    """Arrays of every frame's result, keyed '<game>_<play>_<frame>_<field>'."""
    from ghostedge.data import load_samples
    from ghostedge.live import Engine, EngineConfig
    from ghostedge.model.inference import GhostModel
    from ghostedge.sim.replay import run_engine_on_play

    ds = load_samples()
    model = GhostModel()
    engine = Engine(EngineConfig(), model=model)
    out: dict[str, np.ndarray] = {}
    try:
        for play in ds.iter_plays(ds.play_keys()):
            results, _ = run_engine_on_play(play, engine, seed=0)
            for fid, res in results.items():
                key = f"{play.game_id}_{play.play_id}_{fid}_"
                for name in FIELDS:
                    out[key + name] = np.array(getattr(res, name))
                out[key + "scalars"] = np.array(json.dumps(
                    [res.phase, res.ok, res.target_nfl_id, res.target_source]))
    finally:
        engine.close()
    return out


def compare(before: dict, after: dict, tol: float) -> bool:
    ok = True
    if set(before) != set(after):
        print(f"different frames/fields: {len(set(before) ^ set(after))} keys differ")
        return False
    worst: dict[str, float] = {}
    for key, a in before.items():
        b = after[key]
        field = key.rsplit("_", 1)[-1]
        if a.shape != b.shape or a.dtype != b.dtype:
            print(f"{key}: shape/dtype {a.shape} {a.dtype} -> {b.shape} {b.dtype}")
            ok = False
            continue
        if a.dtype.kind in "fc":
            if not np.array_equal(np.isnan(a), np.isnan(b)):
                print(f"{key}: NaN pattern differs")
                ok = False
                continue
            diff = float(np.nanmax(np.abs(a - b))) if np.isfinite(a).any() else 0.0
            worst[field] = max(worst.get(field, 0.0), diff)
            if diff > tol:
                ok = False
        elif not np.array_equal(a, b):
            print(f"{key}: differs ({a} -> {b})")
            ok = False
    n_frames = sum(1 for k in before if k.endswith("_mean"))
    print(f"{n_frames} frames compared; largest |after - before| per field: "
          + ", ".join(f"{k} {v:.3g}" for k, v in sorted(worst.items())))
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", help="write the outputs to this .npz")
    group.add_argument("--compare", help="compare the outputs with this .npz")
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args(argv)
    out = collect()
    if args.save:
        np.savez_compressed(args.save, **out)
        print(f"saved {sum(1 for k in out if k.endswith('_mean'))} frames to {args.save}")
        return 0
    with np.load(args.compare) as f:
        before = {k: f[k] for k in f.files}
    good = compare(before, out, args.tol)
    print("equal within tolerance" if good else f"DIFFERENT (tolerance {args.tol})")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
