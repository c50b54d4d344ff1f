"""The benchmark code runs (CI smoke mode): `bench/run.py --smoke --json` finishes, prints one
JSON object and every headline figure is present and finite. No timing is asserted: benchmarks
are not tests.

The torch comparisons (reference pipeline, inference vs torch) rebuild the ghost network in
eager mode from the ONNX file. A model file the current ``GhostNet`` cannot be rebuilt from is
reported as skipped with the reason, never as a failure; one exported by the current exporter
must rebuild and match ONNX Runtime."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
RUN = REPO / "bench" / "run.py"

HEADLINE = (
    "frame_latency_p50_ms", "frame_latency_p99_ms", "pairs_per_frame",
    "pipeline_speedup_vs_reference", "decode_reads_per_s", "inference_speedup_vs_torch",
    "filter_player_frames_per_s", "season_points_per_s", "peak_rss_mb",
)
# Headline figures that need the torch rebuild, and the part whose skip explains their absence.
NEEDS_TORCH = {"pipeline_speedup_vs_reference": "pipeline.reference",
               "inference_speedup_vs_torch": "inference.torch"}


@pytest.fixture(scope="module")
def smoke_result():
    if not RUN.exists():
        pytest.skip("bench/ is not part of this installation (source tree only)")
    # bench/run.py is the torch side (reference pipeline, eager model); without torch the
    # package's own `ghostedge bench` is what runs (tests/test_bench_command.py).
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    # bench/ benchmarks the package the test suite imports (installed, or PYTHONPATH=python).
    import ghostedge

    env = dict(os.environ)
    if "site-packages" not in str(Path(ghostedge.__file__)):
        env["PYTHONPATH"] = str(Path(ghostedge.__file__).parents[1])
    proc = subprocess.run([sys.executable, str(RUN), "--smoke", "--json"], capture_output=True,
                          text=True, timeout=600, env=env, cwd=REPO)
    assert proc.returncode == 0, f"bench/run.py --smoke failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)  # exactly one JSON object on stdout


def test_smoke_reports_every_headline_figure_finite(smoke_result):
    skipped = smoke_result["skipped"]
    for key in HEADLINE:
        value = smoke_result.get(key)
        if value is None and key in NEEDS_TORCH:
            part = NEEDS_TORCH[key]
            assert skipped.get(part), f"{key} is missing and {part} gives no reason"
            continue
        assert isinstance(value, (int, float)), f"{key} missing or not a number: {value!r}"
        assert math.isfinite(value), f"{key} is not finite: {value}"
        assert value > 0, f"{key} should be positive: {value}"


def test_smoke_runs_every_section(smoke_result):
    sections = smoke_result["sections"]
    for name in ("decode", "filter", "inference", "pipeline", "scale", "memory"):
        assert sections.get(name, {}).get("status") == "ok", f"section {name}: {sections.get(name)}"


def test_smoke_skips_the_torch_side_only_for_a_model_without_network_metadata(smoke_result):
    """A model exported by the current exporter records its network configuration: for it the
    torch reference must run. Only an older file may be skipped."""
    onnx = pytest.importorskip("onnx")
    model = Path(smoke_result["sections"]["inference"]["model"])
    model = model if model.is_absolute() else REPO / model
    meta = {p.key for p in onnx.load(str(model), load_external_data=False).metadata_props}
    if "network" in meta:
        assert smoke_result["skipped"] == {}, smoke_result["skipped"]


def test_smoke_per_stage_latency_covers_the_chain(smoke_result):
    stages = smoke_result["sections"]["pipeline"]["stages"]
    for stage in ("decode", "fuse_filter", "events", "target", "features", "model_call", "metric"):
        assert stage in stages, f"stage {stage} missing: {sorted(stages)}"
        assert math.isfinite(stages[stage]["p50_ms"])
    pipe = smoke_result["sections"]["pipeline"]
    if pipe.get("reference", {}).get("status") == "skipped":
        assert pipe["reference"]["reason"]
        return
    # The reference ran on the same frames as the engine path.
    assert pipe["reference"]["frames"] == pipe["reference_frames_engine_side"]


# ---------------------------------------------------------------------------- the torch rebuild


@pytest.fixture(scope="module")
def exported_ghost_model(tmp_path_factory):
    """A GhostNet exported by MODEL's exporter, with the options the rebuild must carry over
    (test-time mirror on, a non-trivial calibration temperature, non-trivial scaling)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    if not RUN.exists():
        pytest.skip("bench/ is not part of this installation (source tree only)")
    from ghostedge.model.features import KINEMATIC_FEATURES, mirror_affine
    from ghostedge.model.training.export import export_onnx
    from ghostedge.model.training.network import GhostNet
    from ghostedge.model.training.selection import SELECTED_FEATURES

    names = list(SELECTED_FEATURES)
    rng = np.random.default_rng(3)
    torch.manual_seed(3)
    net = GhostNet(rng.normal(0, 1, len(names)), rng.uniform(0.5, 2.0, len(names)),
                   [names.index(k) for k in KINEMATIC_FEATURES], *mirror_affine(names),
                   n_members=2, hidden=32, dropout=0.0)
    with torch.no_grad():
        temperature = rng.uniform(0.5, 1.5, net.temperature.shape)
        net.temperature.copy_(torch.as_tensor(temperature, dtype=torch.float32))
    if hasattr(net, "test_time_mirror"):
        net.test_time_mirror = True
    return export_onnx(net.eval(), names, tmp_path_factory.mktemp("ghost") / "ghost.onnx")


@pytest.fixture()
def reference_pipeline(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    import reference_pipeline

    return reference_pipeline


def test_torch_rebuild_matches_onnx_runtime(exported_ghost_model, reference_pipeline):
    import onnxruntime as ort
    import torch

    net = reference_pipeline.torch_ghost_model(exported_ghost_model)
    sess = ort.InferenceSession(str(exported_ghost_model), providers=["CPUExecutionProvider"])
    n_features = sess.get_inputs()[0].shape[1]
    x = np.random.default_rng(9).normal(0, 3, (40, n_features)).astype(np.float32)
    want = sess.run(None, {sess.get_inputs()[0].name: x})
    with torch.inference_mode():
        got = net(torch.from_numpy(x))
    for w, g in zip(want, got):
        np.testing.assert_allclose(g.numpy(), w, atol=1e-4)


def test_torch_rebuild_of_another_architecture_is_reported(exported_ghost_model, reference_pipeline,
                                                            tmp_path):
    """Weights named differently from the current GhostNet's (an older export): a clear
    ReferenceModelUnavailable naming the parameters, which the benchmarks turn into a skip."""
    import onnx

    proto = onnx.load(str(exported_ghost_model))
    renamed = {i.name: f"old.{i.name}" for i in proto.graph.initializer
               if i.name.endswith(".weight")}
    assert renamed, "the exported file has no *.weight initializers: update this test"
    for init in proto.graph.initializer:
        init.name = renamed.get(init.name, init.name)
    for node in proto.graph.node:
        node.input[:] = [renamed.get(n, n) for n in node.input]
    path = tmp_path / "renamed.onnx"
    onnx.save_model(proto, str(path))
    with pytest.raises(reference_pipeline.ReferenceModelUnavailable, match="not in the ONNX file"):
        reference_pipeline.torch_ghost_model(path)
