#!/usr/bin/env bash
# GPU benchmark: the same inference and end-to-end benchmark as bench/run.py, with the CUDA and
# (when present) TensorRT execution providers of onnxruntime-gpu, and the card's name recorded.
#
#   bench/gpu_check.sh [OUT_DIR [--quick] [--model PATH]]   # writes OUT_DIR/gpu_results.json (default bench/)
#
# Needs: an NVIDIA GPU, `onnxruntime-gpu` INSTEAD of `onnxruntime` (the two install the same
# module and must never be installed together), the built package (tools/dev_build.sh).
# Exits 3 when no GPU provider is available (nothing is measured then).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
exec python3 bench/gpu_check.py --out "$OUT/gpu_results.json" "${@:2}"
