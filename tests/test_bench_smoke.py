"""The benchmark code runs (CI smoke mode): `bench/run.py --smoke --json` finishes, prints one
JSON object and every headline figure is present and finite. No timing is asserted: benchmarks
are not tests."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RUN = REPO / "bench" / "run.py"

HEADLINE = (
    "frame_latency_p50_ms", "frame_latency_p99_ms", "pairs_per_frame",
    "pipeline_speedup_vs_reference", "decode_reads_per_s", "inference_speedup_vs_torch",
    "filter_player_frames_per_s", "season_points_per_s", "peak_rss_mb",
)


@pytest.fixture(scope="module")
def smoke_result():
    if not RUN.exists():
        pytest.skip("bench/ is not part of this installation (source tree only)")
    env = dict(os.environ)
    # bench/ benchmarks the package the test suite imports: the installed one unless the test
    # run itself put the source tree first.
    import ghostedge

    if "site-packages" in str(Path(ghostedge.__file__)):
        env["GHOSTEDGE_BENCH_INSTALLED"] = "1"
    proc = subprocess.run([sys.executable, str(RUN), "--smoke", "--json"], capture_output=True,
                          text=True, timeout=600, env=env, cwd=REPO)
    assert proc.returncode == 0, f"bench/run.py --smoke failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)  # exactly one JSON object on stdout


def test_smoke_reports_every_headline_figure_finite(smoke_result):
    for key in HEADLINE:
        value = smoke_result.get(key)
        assert isinstance(value, (int, float)), f"{key} missing or not a number: {value!r}"
        assert math.isfinite(value), f"{key} is not finite: {value}"
        assert value > 0, f"{key} should be positive: {value}"


def test_smoke_runs_every_section(smoke_result):
    sections = smoke_result["sections"]
    for name in ("decode", "filter", "inference", "pipeline", "scale", "memory"):
        assert sections.get(name, {}).get("status") == "ok", f"section {name}: {sections.get(name)}"


def test_smoke_per_stage_latency_covers_the_chain(smoke_result):
    stages = smoke_result["sections"]["pipeline"]["stages"]
    for stage in ("push_decode", "fuse_filter", "events", "target", "features_inference", "metric"):
        assert stage in stages, f"stage {stage} missing: {sorted(stages)}"
        assert math.isfinite(stages[stage]["p50_ms"])
    # The reference ran on the same frames as the engine path.
    pipe = smoke_result["sections"]["pipeline"]
    assert pipe["reference"]["frames"] == pipe["reference_frames_engine_side"]
