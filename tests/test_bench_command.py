"""`ghostedge bench`: runs from the package alone, prints one JSON object with the documented
keys and consistent statistics, writes its plot, refuses bad arguments clearly and says when a
requested provider is missing. No timing is asserted: benchmarks are not tests."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ghostedge
from ghostedge.sim import bench

# The documented top-level keys (README, bench/RESULTS.md); numbers unless noted.
HEADLINE = (
    "frame_latency_p50_ms", "frame_latency_p99_ms", "frame_latency_max_ms", "frame_cpu_p50_ms",
    "frame_cpu_p99_ms", "model_call_p50_ms", "model_call_p99_ms", "paced_frame_latency_p50_ms",
    "paced_frame_latency_p99_ms", "worst_case_frame_latency_p50_ms",
    "worst_case_frame_latency_p99_ms", "worst_case_paced_frame_latency_p99_ms",
    "inference_ms_at_frame_batch", "batch_inference_pairs_per_s", "decode_reads_per_s",
    "batch_filter_player_frames_per_s", "pairs_per_frame",
)
STAGES = ("decode", "fuse_filter", "events", "target", "features", "model_call", "metric",
          "host", "worker", "frame", "frame_cpu")


def _bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if "site-packages" not in str(Path(ghostedge.__file__)):  # a source tree: the same package
        env["PYTHONPATH"] = str(Path(ghostedge.__file__).parents[1])
    # Any working directory: the command needs no repository.
    return subprocess.run([sys.executable, "-m", "ghostedge", "bench", *args], capture_output=True,
                          text=True, timeout=900, env=env, cwd=tmp_path)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = _bench(out, "--quick", "--json", "--out", str(out / "result"))
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout), out / "result"  # exactly one JSON object on stdout


def test_quick_json_has_every_documented_key_finite(quick):
    res, _ = quick
    for key in HEADLINE:
        value = res.get(key)
        assert isinstance(value, (int, float)) and math.isfinite(value) and value > 0, (key, value)
    assert res["pairs_per_frame"] == 35 and res["shape"] == "7x5"
    assert res["provider"] == res["providers"]["used"][0]
    assert "cpu" in res["providers"]["used"] and res["providers"]["missing"] == []
    assert res["errors"] == {}
    assert res["compare"] is None
    assert res["models"]["model"]["md5"] and res["models"]["model"]["horizon"] >= 10
    for key in ("cpu", "cores", "onnxruntime", "onnxruntime_providers", "gpus", "ghostedge"):
        assert key in res["machine"], key


def test_quick_covers_both_shapes_and_pacings_with_ordered_statistics(quick):
    res, _ = quick
    runs = {(r["shape"], r["pacing"]) for r in res["frames"] if r["model"] == "model"}
    assert runs == {(s, p) for s in ("7x5", "11x11") for p in ("back_to_back", "10hz")}
    for run in res["frames"]:
        assert run["frames"] > 0, run["shape"]
        assert len(run["frame_ms"]) == run["frames"]
        for stage in STAGES:
            st = run["stages"][stage]
            assert st["n"] == run["frames"], (stage, st)
            assert 0 <= st["p50_ms"] <= st["p99_ms"] <= st["max_ms"], (run["shape"], stage, st)
        st = run["stages"]
        # The parts add up: host = decode + fuse/filter + events + hand-off; frame = host + worker.
        assert st["decode"]["p50_ms"] <= st["host"]["max_ms"]
        assert np.isclose(max(run["frame_ms"]), st["frame"]["max_ms"], rtol=1e-4)
    batches = {r["batch"] for r in res["inference"]["rows"]}
    assert {1, 35, 121} <= batches
    for row in res["inference"]["rows"]:
        assert 0 < row["p50_ms"] <= row["p99_ms"] and row["pairs_per_s"] > 0


def test_quick_writes_the_same_json_and_a_plot(quick):
    res, out = quick
    assert json.loads((out / "bench.json").read_text()) == res
    png = out / "bench.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert Path(res["plot"]).name == "bench.png"


@pytest.mark.parametrize("args, message", [
    (["--providers", "cpu,gpu"], "unknown provider 'gpu'"),
    (["--providers", ","], "--providers"),
    (["--pairs", "0"], "--pairs must be 1..121"),
    (["--pairs", "13"], "not defenders x receivers"),
    (["--model", "no/such/model.onnx"], "ghost model not found"),
])
def test_bad_arguments_give_a_clear_error(tmp_path, args, message):
    proc = _bench(tmp_path, "--quick", "--json", "--out", str(tmp_path / "out"), *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_a_file_that_is_no_ghost_model_is_refused_clearly(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    proc = _bench(tmp_path, "--quick", "--json", "--out", str(tmp_path / "out"), "--compare-model",
                  str(bad))
    assert proc.returncode == 2, proc.stderr
    assert "cannot load ghost model" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_missing_provider_is_said_and_cpu_still_measured_with_a_compare_model(tmp_path):
    """A provider named in --providers but not in this onnxruntime: a clear message, exit 3,
    and the CPU figures all the same; --compare-model is measured in the same run."""
    import onnxruntime as ort

    absent = [n for n in ("cuda", "tensorrt") if bench.PROVIDERS[n] not in ort.get_available_providers()]
    if not absent:
        pytest.skip("every GPU provider is available here")
    from ghostedge.model.inference import default_model_path

    proc = _bench(tmp_path, "--quick", "--json", "--out", str(tmp_path / "out"), "--providers",
                  f"cpu,{absent[0]}", "--pairs", "20", "--compare-model", str(default_model_path()))
    assert proc.returncode == 3, proc.stderr[-4000:]
    assert f"provider(s) {absent[0]} not available" in proc.stderr
    res = json.loads(proc.stdout)
    assert res["providers"]["missing"] == [absent[0]] and res["providers"]["used"] == ["cpu"]
    assert res["shape"] == "4x5" and res["pairs_per_frame"] == 20
    compare = res["compare"]
    for key in HEADLINE:
        assert isinstance(compare[key], (int, float)) and math.isfinite(compare[key]), key
    assert compare["ratio_compare_to_model"]["frame_latency_p50_ms"] > 0
    assert {r["model"] for r in res["frames"]} == {"model", "compare"}


# ---------------------------------------------------------------------------- the parts


@pytest.mark.parametrize("pairs, shape", [(35, "7x5"), (121, "11x11"), (12, "4x3"), (5, "1x5"),
                                          (1, "1x1"), (49, "7x7")])
def test_shape_for_pairs(pairs, shape):
    assert bench.shape_for_pairs(pairs).name == shape


@pytest.mark.parametrize("pairs", [0, -1, 13, 122, 1000])
def test_shape_for_pairs_refuses_impossible_frames(pairs):
    with pytest.raises(ValueError, match="--pairs"):
        bench.shape_for_pairs(pairs)


def test_parse_providers():
    assert bench.parse_providers(None) is None
    assert bench.parse_providers(" CPU, cuda,cpu ") == ("cpu", "cuda")
    with pytest.raises(ValueError, match="'rocm'"):
        bench.parse_providers("cpu,rocm")


def test_resolve_providers_falls_back_to_cpu_and_names_what_is_missing():
    import onnxruntime as ort

    everything = bench.resolve_providers(None)
    assert everything["used"][-1] == "cpu" and everything["missing"] == []
    assert everything["available"] == ort.get_available_providers()
    only_cpu = bench.resolve_providers(("cpu",))
    assert only_cpu["used"] == ["cpu"] and only_cpu["missing"] == []
    absent = [n for n in ("cuda", "tensorrt") if bench.PROVIDERS[n] not in everything["available"]]
    if absent:
        r = bench.resolve_providers(tuple(absent))
        assert r["used"] == ["cpu"] and r["missing"] == absent


def test_feed_roster_ghosts_the_chosen_shape_backs_and_receivers_first():
    from ghostedge.data import load_samples

    ds = load_samples()
    play = next(ds.iter_plays(ds.play_keys()[:1]))
    feed = bench.make_feed(play, seed=0)
    assert len(feed.frames) == play.n_frames
    assert sum(len(f.packets) for f in feed.frames) <= len(feed.sim.packets)
    real = bench.feed_roster(feed)
    roster = bench.feed_roster(feed, bench.FrameShape(7, 5))
    dfd, rcv = roster.defenders(), roster.receivers()
    assert dfd.size == 7 and rcv.size == 5 and len(set(dfd)) == 7
    assert list(dfd[:real.defenders().size]) == list(real.defenders())
    assert all(roster.club[i] == roster.defence for i in dfd)
    assert all(roster.club[i] == roster.offence for i in rcv)
    assert list(roster.passers()) == list(real.passers())  # who may throw is the play's own
    everyone = bench.feed_roster(feed, bench.WORST_CASE)
    assert everyone.defenders().size == 11 and everyone.receivers().size == 11
    with pytest.raises(ValueError, match="cannot ghost 12x5"):
        bench.feed_roster(feed, bench.FrameShape(12, 5))


def test_summarise_counts_frames_with_fewer_pairs_apart():
    row = {s: 1.0 for s in STAGES}
    rows = [dict(row, ok=True, pairs=35, frame=2.0), dict(row, ok=True, pairs=30),
            dict(row, ok=False, pairs=35), dict(row, ok=True, pairs=0)]
    out = bench.summarise(rows, pairs=35)
    assert out["frames"] == 1 and out["frames_fewer_pairs"] == 1
    assert out["stages"]["frame"]["p50_ms"] == pytest.approx(2.0) and out["frame_ms"] == [2.0]


def test_timed_session_times_the_model_call_and_delegates_the_rest():
    model = bench.timed_model(None, "cpu")
    assert isinstance(model.session, bench.TimedSession)
    assert model.session.get_inputs()[0].name  # delegated
    from ghostedge.data import load_samples
    from ghostedge.model.frames import PlayContext

    ds = load_samples()
    play = next(ds.iter_plays(ds.play_keys()[:1]))
    k = play.frame_index(play.pass_forward_frame)
    g = model.predict_frame(play.xy[k - 2:k + 1], play.o[k - 2:k + 1], play.ball_xy[k - 2:k + 1],
                            play.defensive_backs(), play.eligible_receivers(),
                            PlayContext.from_play(play), 10)
    assert np.isfinite(g.mean).all()
    assert 0 < model.session.last_ms < 10_000
