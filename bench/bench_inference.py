"""Inference alone: the shipped ONNX model under ONNX Runtime against the same weights in
PyTorch eager mode, batch sizes from one frame's worth of defender x receiver pairs up to a
season-sized batch (CPU; ``ghostedge bench`` measures ONNX Runtime alone on every provider).

The torch side is ``torch_ghost_model()`` (reference_pipeline.py): MODEL's own network class
with the weights read back from the ONNX initializers, so both run identical numbers; the two
outputs are compared before timing so that a mismatch cannot masquerade as a speedup.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _harness import REPO, time_per_call

from ghostedge.sim.bench_parts import open_session, sample_inputs

FRAME_BATCH = 35  # 7 defensive backs x 5 eligible receivers: the per-frame case


def model_path(cfg: dict | None = None) -> Path:
    """``cfg["model_path"]`` when set, else the model the engine loads by default (the
    installed package's, else models/)."""
    from ghostedge.model.inference import default_model_path

    p = Path(cfg["model_path"]) if cfg and cfg.get("model_path") else default_model_path()
    if not p.is_file():
        raise FileNotFoundError(f"ghost model not found: {p}")
    return p


def run(cfg: dict, plot_dir: Path | None) -> dict:
    import torch
    from reference_pipeline import ReferenceModelUnavailable, torch_ghost_model

    path = model_path(cfg)
    # One thread each, as the engine runs the model (the engine's session options, as
    # `ghostedge bench` opens them): the per-core cost; the other core is the host's.
    sess, _ = open_session(path, "cpu", None, FRAME_BATCH, max(cfg["batch_sizes"]))
    out_names = [o.name for o in sess.get_outputs()]
    try:
        torch_model = torch_ghost_model(path)
        skipped = None
    except ReferenceModelUnavailable as exc:  # ORT is still timed; torch is reported skipped
        torch_model, skipped = None, str(exc)
    torch.set_num_threads(1)

    max_abs_diff = None
    if torch_model is not None:
        # Same weights, same answer: check once on a small batch before timing anything.
        feeds = sample_inputs(sess, 64, seed=1)
        ort_out = sess.run(out_names, feeds)
        with torch.inference_mode():
            t_out = torch_model(*[torch.from_numpy(feeds[i.name]) for i in sess.get_inputs()])
        t_out = t_out if isinstance(t_out, (tuple, list)) else (t_out,)
        max_abs_diff = max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(ort_out, t_out))
        if not max_abs_diff < 1e-3:
            raise RuntimeError(f"ONNX Runtime and torch disagree by {max_abs_diff} (different weights?)")

    rows = []
    for batch in cfg["batch_sizes"]:
        feeds = sample_inputs(sess, batch)
        ort_s = time_per_call(lambda: sess.run(out_names, feeds), cfg["min_time_s"])
        row = {"batch": batch, "ort_ms": ort_s * 1e3, "ort_pairs_per_s": batch / ort_s,
               "torch_ms": None, "torch_pairs_per_s": None, "speedup": None}
        if torch_model is not None:
            tensors = [torch.from_numpy(feeds[i.name]) for i in sess.get_inputs()]

            def torch_call():
                with torch.inference_mode():
                    torch_model(*tensors)

            torch_s = time_per_call(torch_call, cfg["min_time_s"])
            row.update(torch_ms=torch_s * 1e3, torch_pairs_per_s=batch / torch_s,
                       speedup=torch_s / ort_s)
        rows.append(row)

    frame_row = min(rows, key=lambda r: abs(r["batch"] - FRAME_BATCH))
    out = {
        "model": str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path),
        "providers": sess.get_providers(),
        "inputs": {i.name: list(map(str, i.shape)) for i in sess.get_inputs()},
        "max_abs_diff_ort_vs_torch": max_abs_diff,
        "threads": {"onnxruntime_intra_op": 1, "torch": torch.get_num_threads()},
        "batches": rows,
        "frame_batch": frame_row["batch"],
        "speedup_vs_torch_at_frame_batch": frame_row["speedup"],
        "torch": {"status": "skipped", "reason": skipped} if skipped else {"status": "ok"},
        "ort_ms_at_frame_batch": frame_row["ort_ms"],
    }
    if plot_dir is not None:
        out["plot"] = _plot(rows, plot_dir / "inference_batch.png", sess.get_providers()[0])
    return out


def _plot(rows: list[dict], path: Path, provider: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    b = [r["batch"] for r in rows]
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].loglog(b, [r["ort_ms"] for r in rows], "o-", label=f"ONNX Runtime ({provider})")
    has_torch = rows[0]["torch_ms"] is not None
    if has_torch:
        ax[0].loglog(b, [r["torch_ms"] for r in rows], "s-", label="PyTorch eager")
    ax[0].set_xlabel("batch (defender x receiver pairs)")
    ax[0].set_ylabel("ms per call")
    ax[0].axvline(FRAME_BATCH, color="grey", ls=":", lw=1)
    ax[0].legend()
    ax[0].grid(True, which="both", alpha=0.3)
    ax[1].loglog(b, [r["ort_pairs_per_s"] for r in rows], "o-", label="ONNX Runtime")
    if has_torch:
        ax[1].loglog(b, [r["torch_pairs_per_s"] for r in rows], "s-", label="PyTorch eager")
    ax[1].set_xlabel("batch (pairs)")
    ax[1].set_ylabel("pairs per second")
    ax[1].legend()
    ax[1].grid(True, which="both", alpha=0.3)
    fig.suptitle("Ghost model inference: ONNX Runtime vs PyTorch eager (same weights)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)
