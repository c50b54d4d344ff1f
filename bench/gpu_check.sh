#!/usr/bin/env bash
# GPU benchmark, ready for a machine with an NVIDIA GPU: `ghostedge bench` with the CUDA and
# TensorRT execution providers (and CPU in the same run, for the comparison), recorded in bench/.
#
#   bench/gpu_check.sh [OUT_DIR] [ghostedge bench options, e.g. --quick --compare-model PATH]
#
# Writes OUT_DIR/bench.json (default bench/gpu/), bench.png, nvidia-smi.txt and the TensorRT
# engine cache (OUT_DIR/trt_cache/). Needs the installed package with `onnxruntime-gpu` INSTEAD
# of `onnxruntime` (the two install the same module: pip uninstall -y onnxruntime && pip install
# onnxruntime-gpu). Exits 3 when CUDA or TensorRT is not available; the CPU figures are written
# all the same.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/gpu}
mkdir -p "$OUT"
nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed: no NVIDIA driver?" >&2
exec ghostedge bench --providers cpu,cuda,tensorrt --json --out "$OUT" "${@:2}" >/dev/null
