#!/usr/bin/env bash
# Developer build: compiles the C++ core, its tests and the _core module into build/dev and
# drops _core*.so into python/ghostedge/, so `PYTHONPATH=python pytest` uses the source tree.
# Serialised with a lock so that parallel callers do not trample the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/ghostedge-dev-build.lock
flock 9
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DGHOSTEDGE_BUILD_PYTHON=ON \
  -DGHOSTEDGE_BUILD_TESTS=ON -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" >/dev/null
cmake --build build/dev -j2
# Replace atomically: processes that have the old module mapped keep it (no bus error).
for so in build/dev/_core*.so; do
  cp "$so" "python/ghostedge/.$(basename "$so").tmp"
  mv -f "python/ghostedge/.$(basename "$so").tmp" "python/ghostedge/$(basename "$so")"
done
if [ "${1:-}" = "--test" ]; then ctest --test-dir build/dev/cpp --output-on-failure; fi
