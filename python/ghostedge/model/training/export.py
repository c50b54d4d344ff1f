"""ONNX export of a trained :class:`GhostNet` (training only: imports torch and onnx).

One self-contained file (no external data), a dynamic batch axis, input ``features`` float32
[B, F] (the selected features, in the order stored in the metadata), outputs ``ghost_mean``
and ``ghost_sigma`` float32 [B, H_MAX, 2] in the model frame. The metadata says which features the model
reads, so :class:`ghostedge.model.GhostModel` can refuse a file built for another layout.
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from pathlib import Path

import torch

from ..frames import DT_S, H_MAX, MAX_SPEED_YPS

FORMAT_VERSION = "1"  # bump when the inputs/outputs contract changes
INPUT_NAME = "features"
OUTPUT_NAMES = ("ghost_mean", "ghost_sigma")  # not "mean": the graph has an op of that name


def export_onnx(net: torch.nn.Module, feature_names: list[str], path: str | Path, extra: dict | None = None) -> Path:
    import onnx

    net = net.eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(4, len(feature_names), dtype=torch.float32)
    # The exporter prints progress on stdout and torch's internals raise FutureWarnings;
    # neither may leak into a `--json` stdout or a warnings-as-errors test run.
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            net, (example,), input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES),
            dynamic_shapes={"features": {0: torch.export.Dim("batch", min=1, max=1 << 20)}},
            dynamo=True, external_data=False, optimize=True, verbose=False,
        )
    model = program.model_proto
    meta = {
        "ghostedge_format": FORMAT_VERSION,
        "feature_names": json.dumps(list(feature_names)),
        "horizon": str(getattr(net, "horizon", H_MAX)),
        "frame_dt_s": str(DT_S),
        "max_speed_yps": str(MAX_SPEED_YPS),
        **({"network": json.dumps(net.export_config())} if hasattr(net, "export_config") else {}),
        **{k: str(v) for k, v in (extra or {}).items()},
    }
    del model.metadata_props[:]
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path))
    return path
