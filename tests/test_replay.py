"""`ghostedge replay`: a sample play through the whole live path writes PNG, GIF and JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from test_engine import ConstantVelocity

from ghostedge.data import load_samples
from ghostedge.sim.replay import ReplayOptions, ghost_accuracy, pass_detection_report, replay_plays


@pytest.fixture(scope="module")
def sample_plays():
    return list(load_samples().iter_plays())


def _check_outputs(out_dir, summary, play):
    stem = f"{play.game_id}_{play.play_id}"
    png, gif = out_dir / f"{stem}_catch.png", out_dir / f"{stem}_play.gif"
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] >= 800
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames >= play.pass_arrived_frame - play.pass_forward_frame
    on_disk = json.loads((out_dir / "summary.json").read_text())
    assert on_disk["n_plays"] == 1 and on_disk["plays"][0]["files"] == {"png": png.name, "gif": gif.name}
    s = summary["plays"][0]
    assert s["game_id"] == play.game_id and s["actual_target"]["nfl_id"] == play.target_nfl_id
    assert s["engine"]["frames"] == play.n_frames and s["engine"]["frames_ok"] >= play.n_frames - 3
    assert s["engine"]["counters"]["errors_tick"] == 0
    acc = s["ghost_accuracy"]["flight_windows_1s"]
    assert acc["n_windows"] > 0
    full = s["ghost_accuracy"]["full_flight_from_throw"]
    assert full["n_windows"] > 0 and full["model"]["fde_yd"] > 0
    for name in ("model", "constant_velocity", "constant_position"):
        assert acc[name]["ade_yd"] > 0 and acc[name]["fde_yd"] >= acc[name]["ade_yd"] * 0.9
    ranking = s["receiver_ranking"]
    assert sorted(o["rank"] for o in ranking) == list(range(1, len(ranking) + 1))
    assert sum(o["is_actual_target"] for o in ranking) == 1
    return s


def test_replay_one_play_writes_png_gif_json(tmp_path, sample_plays):
    """The full path with a stand-in predictor (constant velocity): its ghosts equal the CV
    baseline computed independently from the engine's filtered positions."""
    play = sample_plays[0]
    summary = replay_plays([play], tmp_path, opts=ReplayOptions(seed=1), model=ConstantVelocity(), log=None)
    s = _check_outputs(tmp_path, summary, play)
    acc = s["ghost_accuracy"]["flight_windows_1s"]
    assert acc["model"] == pytest.approx(acc["constant_velocity"], abs=1e-3)
    assert acc["constant_position"]["fde_yd"] > acc["constant_velocity"]["fde_yd"]


def test_replay_command_with_shipped_model(tmp_path, sample_plays, capsys):
    from ghostedge.cli import main
    from ghostedge.model.inference import default_model_path

    if not default_model_path().is_file():
        pytest.skip("the shipped model (models/ghostedge_ghost.onnx) is not built yet")
    play = sample_plays[-1]
    rc = main(["replay", "--game", str(play.game_id), "--play", str(play.play_id), "--out",
               str(tmp_path), "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout
    s = _check_outputs(tmp_path, summary, play)
    assert "CPUExecutionProvider" in summary["providers"]
    assert s["engine"]["counters"]["frames_inferred"] >= play.n_frames - 3


def test_replay_rejects_bad_arguments(tmp_path, capsys):
    from ghostedge.cli import main

    assert main(["replay", "--game", "1", "--out", str(tmp_path)]) == 2
    assert "--game and --play go together" in capsys.readouterr().err
    assert main(["replay", "--data", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2


def test_ghost_accuracy_against_known_truth(sample_plays):
    """ADE/FDE arithmetic on a result whose ghosts are the truth shifted by 1 yd in x."""
    from ghostedge.live import GhostResult

    play = sample_plays[0]
    fid = play.pass_forward_frame
    t = play.frame_index(fid)
    dbs = play.defensive_backs()
    results = {}
    for f in (fid - 1, fid):
        r = GhostResult(len(dbs), 1, 10, 0.1)
        r._set_sizes(len(dbs), 1)
        r.defender_ids[:] = play.nfl_ids[dbs]
        r.receiver_ids[:] = [play.target_nfl_id]
        r.defender_xy[...] = play.xy[play.frame_index(f), dbs]
        results[f] = r
    truth = play.xy[t + 1:t + 11, dbs].transpose(1, 0, 2)
    results[fid].mean[:, 0] = truth + [1.0, 0.0]
    acc = ghost_accuracy(play, results, [fid], play.target_nfl_id)
    assert acc["n_windows"] == len(dbs)
    assert acc["model"]["ade_yd"] == pytest.approx(1.0) and acc["model"]["fde_yd"] == pytest.approx(1.0)
    assert acc["constant_position"]["ade_yd"] > 1.0


def test_pass_detection_on_sample_tracking(sample_plays):
    report = pass_detection_report(sample_plays)
    assert report["pass_plays"] == len(sample_plays)
    assert report["release_detected"] >= len(sample_plays) - 1
    assert report["release_within_2_frames"] >= 0.75
    assert np.isfinite(report["target_correct_at_last_in_air_frame"])
