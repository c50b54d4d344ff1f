#!/usr/bin/env bash
# Regenerates python/ghostedge/_core.pyi from the built module (pybind11-stubgen), then checks it
# with mypy.stubtest as CI does. Run after changing a binding: tools/dev_build.sh && tools/gen_stubs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# TagRead is a registered numpy structured dtype: its C++ name shows up inside NDArray[...].
PYTHONPATH=python${PYTHONPATH:+:$PYTHONPATH} python -m pybind11_stubgen ghostedge._core -o "$out" \
  --numpy-array-remove-parameters --ignore-invalid-expressions 'ghostedge::TagRead' --exit-code
cp "$out/ghostedge/_core.pyi" python/ghostedge/_core.pyi
PYTHONPATH=python${PYTHONPATH:+:$PYTHONPATH} python -m mypy.stubtest ghostedge._core --concise --allowlist tools/stubtest_allowlist.txt
echo "python/ghostedge/_core.pyi regenerated and checked"
