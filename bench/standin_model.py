#!/usr/bin/env python3
"""An UNTRAINED ghost model with the shipped model's architecture, for timing only.

    python bench/standin_model.py build/bench/standin.onnx
    python bench/run.py --model build/bench/standin.onnx

Built with MODEL's own network class and ONNX export (``ghostedge.model.network.GhostNet``,
``ghostedge.model.export.export_onnx``), the selected feature set and the training defaults
(``ghostedge.model.train.DEFAULTS``), with random weights and unit feature scaling. An MLP costs
the same whatever its weights, so latency and throughput measured with it are those of the
architecture; its ghosts mean nothing. Use it only to benchmark before a trained model exists,
and say so next to the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

import numpy as np

import _harness  # noqa: F401  (sys.path)


def build(out: Path, seed: int = 0) -> Path:
    import torch

    from ghostedge.model.export import export_onnx
    from ghostedge.model.features import KINEMATIC_FEATURES, mirror_affine
    from ghostedge.model.network import GhostNet
    from ghostedge.model.selection import SELECTED_FEATURES
    from ghostedge.model.train import DEFAULTS

    torch.manual_seed(seed)
    names = list(SELECTED_FEATURES)
    n = len(names)
    net = GhostNet(np.zeros(n, np.float32), np.ones(n, np.float32),
                   [names.index(k) for k in KINEMATIC_FEATURES], *mirror_affine(names),
                   n_members=DEFAULTS["n_members"], hidden=DEFAULTS["hidden"], dropout=0.0)
    with contextlib.redirect_stdout(io.StringIO()):  # the exporter's progress chatter
        return export_onnx(net, names, out, extra={"standin": "untrained, for timing only"})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(build(args.out, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
