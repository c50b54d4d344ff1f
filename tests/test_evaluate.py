"""Evaluation: baselines, report structure, and invariance to the provider's s / a / dir columns."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ghostedge.analysis.evaluation import evaluation_report
from ghostedge.model.baselines import constant_position, constant_velocity, damped_acceleration
from ghostedge.model.windows import is_pass_play


def test_constant_velocity_is_exact_on_straight_lines():
    p = [np.array([10.0, 5.0]) + np.array([0.3, -0.1]) * k for k in range(3)]
    pred = constant_velocity(*p, horizon=10)
    expected = p[2] + np.array([0.3, -0.1]) * np.arange(1, 11)[:, None]
    np.testing.assert_allclose(pred, expected, atol=1e-12)
    np.testing.assert_allclose(damped_acceleration(*p, horizon=10), expected, atol=1e-12)  # a = 0
    np.testing.assert_allclose(constant_position(*p, horizon=3), np.repeat(p[2][None], 3, 0))


def test_damped_acceleration_follows_its_formula():
    p2, p1, p0 = np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([0.0, 0.01])  # v=(0,.1), a=(0,1)
    pred = damped_acceleration(p2, p1, p0, horizon=10)
    tau = 1.0
    expected_y = 0.01 + 0.1 * tau + 1.0 * (tau - (1 - np.exp(-tau)))
    assert pred[-1, 1] == pytest.approx(expected_y, abs=1e-12)


def _subset(dataset, n=12):
    from ghostedge.data import Dataset

    keys = [(p.game_id, p.play_id) for p in dataset.iter_plays() if is_pass_play(p)][:n]
    tr = dataset.tracking.set_index(["gameId", "playId"]).loc[keys].reset_index()
    return Dataset(tracking=tr, plays=dataset.plays, source="subset")


@pytest.mark.slow
def test_report_is_unchanged_when_s_a_dir_are_scrambled(ngs_dataset):
    from ghostedge.data import Dataset

    base = _subset(ngs_dataset)
    scrambled = base.tracking.copy()
    rng = np.random.default_rng(0)
    for col in ("s", "a", "dir"):
        if col in scrambled:
            scrambled[col] = rng.uniform(0, 360, len(scrambled))
    a = evaluation_report(base, progress=False)
    b = evaluation_report(Dataset(tracking=scrambled, plays=base.plays, source="scrambled"), progress=False)
    assert a["n_windows"] > 50
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.slow
def test_report_structure(ngs_dataset):
    r = evaluation_report(_subset(ngs_dataset, 6), progress=False)
    assert set(r["windows_1s"]) == {"model", "model_estimated_landing", "constant_velocity",
                                    "damped_acceleration", "constant_position"}
    for run in ("model", "model_estimated_landing"):
        assert set(r["windows_1s"][run]) == {"ade_yd", "fde_yd", "coverage50", "coverage90"}
    assert set(r["full_flight"]) == set(r["windows_1s"])
    assert all("rmse_bdb_yd" in v for v in r["full_flight"].values())
    assert r["n_plays"] <= 6 and r["n_windows"] > 0 and r["n_flights"] > 0
    assert r["max_pred_speed_yps"] <= 12.5
    # the learned model beats the position-only baselines even on a handful of plays, told
    # where the ball lands or not; told, it is no worse over the flights
    w, f = r["windows_1s"], r["full_flight"]
    assert w["model"]["fde_yd"] < w["constant_velocity"]["fde_yd"]
    assert w["model_estimated_landing"]["fde_yd"] < w["constant_velocity"]["fde_yd"]
    assert f["model"]["rmse_bdb_yd"] < f["model_estimated_landing"]["rmse_bdb_yd"]


def test_evaluate_rejects_data_without_pass_plays(tmp_path):
    import pandas as pd

    from ghostedge.data import Dataset

    tr = pd.DataFrame({"gameId": [1] * 3, "playId": [1] * 3, "nflId": [5, 5, 5], "frameId": [1, 2, 3],
                       "x": [1.0, 2.0, 3.0], "y": [1.0, 1.0, 1.0], "playDirection": ["right"] * 3})
    with pytest.raises(ValueError, match="no evaluation windows"):
        evaluation_report(Dataset(tracking=tr, plays=None), progress=False)


def _plays_subset(dataset, keys, source):
    from ghostedge.data import Dataset

    tr = dataset.tracking.set_index(["gameId", "playId"]).loc[keys].reset_index()
    return Dataset(tracking=tr, plays=dataset.plays, source=source)


@pytest.mark.slow
def test_several_folders_report_the_union_and_each_folder(ngs_dataset):
    from ghostedge.model.windows import DatasetUnion

    keys = [(p.game_id, p.play_id) for p in ngs_dataset.iter_plays() if is_pass_play(p)][:8]
    a, b = _plays_subset(ngs_dataset, keys[:5], "a"), _plays_subset(ngs_dataset, keys[5:], "b")
    r = evaluation_report(DatasetUnion([("A", a), ("B", b)]), progress=False)
    assert set(r["by_dataset"]) == {"A", "B"}
    for part in r["by_dataset"].values():
        assert set(part) == {"n_plays", "n_windows", "n_flights", "windows_1s", "full_flight", "max_pred_speed_yps"}
        assert set(part["windows_1s"]) == set(r["windows_1s"])
    assert r["n_windows"] == sum(p["n_windows"] for p in r["by_dataset"].values())
    assert r["n_plays"] == r["by_dataset"]["A"]["n_plays"] + r["by_dataset"]["B"]["n_plays"]
    alone = evaluation_report(a, progress=False)
    assert json.dumps(alone["windows_1s"]) == json.dumps(r["by_dataset"]["A"]["windows_1s"])


def test_evaluate_and_train_take_several_data_folders():
    import argparse

    from ghostedge.commands import evaluate, train

    for cmd in (evaluate, train):
        p = argparse.ArgumentParser()
        cmd.add_arguments(p)
        assert p.parse_args(["--data", "x", "--data", "y"]).data == ["x", "y"]
