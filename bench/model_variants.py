#!/usr/bin/env python3
"""Cost variants of a trained ghost model, for measuring what the model call would cost with a
cheaper network before training one (needs torch: the training extra).

    python bench/model_variants.py models/ghostedge_ghost.onnx /tmp/variants
    python -m ghostedge.model.latency /tmp/variants/*.onnx --batch 35 --calls 2000
    ghostedge bench --quick --compare-model /tmp/variants/m3_h128_nomirror_H10.onnx

Writes, from the model's own weights (``GhostNet.from_onnx``), one ONNX file per variant:

- ``m3_h128_{mirror,nomirror}_H{50,10}``: the same network with the in-graph test-time mirror
  on / off and all 50 output frames or only the 10 the engine draws. The H10 files give exactly
  the first 10 frames of their H50 parent (checked here); no mirror changes the predictions
  (how much accuracy that costs is for the held-out evaluation, ``ghostedge evaluate``).
- ``m1_*``, ``*_h64_*``: fewer ensemble members or hidden units, with sliced weights. Their
  predictions are meaningless: they only give the cost of a network of that size (e.g. a
  distilled one).

Model files stay out of the repository: write them outside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

# (test-time mirror, horizon, members, hidden units) of each variant.
VARIANTS = {
    "m3_h128_mirror_H50": (True, 50, 3, 128),
    "m3_h128_nomirror_H50": (False, 50, 3, 128),
    "m3_h128_mirror_H10": (True, 10, 3, 128),
    "m3_h128_nomirror_H10": (False, 10, 3, 128),
    "m1_h128_nomirror_H10": (False, 10, 1, 128),
    "m3_h64_nomirror_H10": (False, 10, 3, 64),
    "m1_h64_nomirror_H10": (False, 10, 1, 64),
}


def variant(src, names: list[str], mirror: bool, horizon: int, members: int, hidden: int):
    """A GhostNet of the given shape holding ``src``'s weights (sliced where smaller)."""
    import torch

    from ghostedge.model.features import mirror_affine
    from ghostedge.model.training.network import GhostNet

    cfg = src.config
    if horizon > src.horizon or members > src.n_members or hidden > src.hidden:
        raise ValueError(f"a variant can only be smaller than its source ({src.config})")
    net = GhostNet(np.asarray(cfg["feature_mean"]), np.asarray(cfg["feature_std"]),
                   cfg["kinematic_index"], *mirror_affine(names), n_members=members, hidden=hidden,
                   dropout=0.0, horizon=horizon)
    net.test_time_mirror = mirror
    # layer3's outputs are [residual H*2 | log-sigma H*2], frame-major: keep the first frames.
    cols = [*range(2 * horizon), *range(2 * src.horizon, 2 * src.horizon + 2 * horizon)]
    # layer1 holds the members side by side: rows m*hidden .. m*hidden + hidden of member m.
    rows = torch.cat([torch.arange(m * src.hidden, m * src.hidden + hidden) for m in range(members)])
    with torch.no_grad():
        net.layer1.weight.copy_(src.layer1.weight[rows])
        net.layer1.bias.copy_(src.layer1.bias[rows])
        net.layer2.weight.copy_(src.layer2.weight[:members, :hidden, :hidden])
        net.layer2.bias.copy_(src.layer2.bias[:members, :, :hidden])
        net.layer3.weight.copy_(src.layer3.weight[:members, :hidden][..., cols])
        net.layer3.bias.copy_(src.layer3.bias[:members][..., cols])
        net.temperature.copy_(src.temperature[:horizon])
    return net.eval()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="a ghost model exported by ghostedge train")
    ap.add_argument("out", type=Path, help="folder for the variants (outside the repository)")
    args = ap.parse_args(argv)
    import onnx
    import onnxruntime as ort

    from ghostedge.model.training.export import export_onnx
    from ghostedge.model.training.network import GhostNet

    meta = {p.key: p.value for p in onnx.load(str(args.source)).metadata_props}
    names = json.loads(meta["feature_names"])
    src = GhostNet.from_onnx(args.source)
    x = np.random.default_rng(0).standard_normal((256, len(names))).astype(np.float32)
    want = ort.InferenceSession(str(args.source), providers=["CPUExecutionProvider"]).run(None, {"features": x})
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (mirror, horizon, members, hidden) in VARIANTS.items():
        path = export_onnx(variant(src, names, mirror, horizon, members, hidden), names,
                           args.out / f"{name}.onnx")
        proto = onnx.load(str(path))
        for prop in proto.metadata_props:  # export_onnx records H_MAX, whatever the network's
            if prop.key == "horizon":
                prop.value = str(horizon)
        onnx.save_model(proto, str(path))
        got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"features": x})
        diff = max(float(np.abs(g - w[:, :horizon]).max()) for g, w in zip(got, want))
        same = mirror and members == src.n_members and hidden == src.hidden
        if same and diff > 1e-5:
            raise RuntimeError(f"{name}: differs from the source's first {horizon} frames by {diff}")
        print(f"{path}: max |output - source's first {horizon} frames| {diff:.3g} on random inputs"
              + ("" if same else " (a different network: expected)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
