#!/usr/bin/env python3
"""Inference and end-to-end latency with the GPU providers of ONNX Runtime (bench/gpu_check.sh).

For each GPU provider that ``onnxruntime.get_available_providers()`` offers (TensorRT, CUDA), in
priority order with CPU as the fallback: the inference batch sweep of bench_inference.py
(``session.get_providers()`` recorded, so a silent fallback to CPU shows) against PyTorch eager
on the CPU (the pinned torch is the CPU build), then the CPU provider in the same run, then the
end-to-end engine replay with the GPU providers first. Records the card's name.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import _harness  # noqa: F401  (bench/ is on sys.path: run as a script)
from _harness import machine_info

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


def card_name() -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                              "--format=csv,noheader"], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> int:
    import bench_inference
    import onnxruntime as ort
    import run as bench_run

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("bench/gpu_results.json"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: the engine's)")
    args = ap.parse_args()

    available = ort.get_available_providers()
    gpu = [p for p in GPU_PROVIDERS if p in available]
    result = {"card": card_name(), "available_providers": available, "machine": machine_info(),
              "runs": {}}
    if not gpu:
        print(f"no GPU execution provider in {available}: install onnxruntime-gpu on a GPU "
              f"machine", file=sys.stderr)
        return 3
    cfg = dict(bench_run.MODES["quick" if args.quick else "full"],
               model_path=str(args.model) if args.model else None)
    cfg["batch_sizes"] = (1, 35, 128, 1024, 8192, 65536, 262144)
    # Each GPU provider alone (with CPU as the fallback for unsupported nodes), then CPU.
    for provider in gpu + ["CPUExecutionProvider"]:
        providers = [provider] if provider == "CPUExecutionProvider" else [provider, "CPUExecutionProvider"]
        print(f"[gpu_check] {provider} ...", file=sys.stderr, flush=True)
        try:
            result["runs"][provider] = bench_inference.run(cfg, None, providers=providers)
        except Exception as exc:  # record and go on: one provider failing must not hide another
            result["runs"][provider] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    try:
        import bench_pipeline

        result["pipeline_gpu"] = bench_pipeline.run(cfg, None, providers=gpu + ["CPUExecutionProvider"])
    except Exception as exc:
        result["pipeline_gpu"] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: result[k] for k in ("card", "available_providers")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
