"""Outcome AUC (the metric's ground truth), the counterfactual check on constructed plays."""

from __future__ import annotations

import numpy as np
import pytest
from test_decisions import constructed_play

from ghostedge.analysis import counterfactual, validation


def test_auc_by_hand_with_ties():
    # incompletions [-1, -0.5] vs completions [0, 0.5, -0.75]: lower metric = closer coverage.
    out = validation.outcome_auc([-1.0, -0.5, 0.0, 0.5, -0.75], [True, True, False, False, False], n_boot=400)
    assert out["auc"] == pytest.approx(5.0 / 6.0)
    assert out["n"] == 5 and out["n_incomplete"] == 2
    lo, hi = out["ci95"]
    assert 0.0 <= lo <= out["auc"] <= hi <= 1.0
    assert validation.outcome_auc([-1.0, -0.5, 0.0, 0.5, -0.75], [True, True, False, False, False],
                                  n_boot=400) == out  # seeded
    assert validation.auc([1.0, 1.0], [1.0]) == 0.5  # ties count half
    assert np.isnan(validation.auc([], [1.0]))


def test_outcome_auc_skips_nan_and_checks_shapes():
    out = validation.outcome_auc([np.nan, -1.0, 1.0], [True, True, False], n_boot=50)
    assert out["n"] == 2 and out["auc"] == 1.0
    with pytest.raises(ValueError):
        validation.outcome_auc([1.0, 2.0], [True])
    undefined = validation.outcome_auc([1.0, 2.0], [True, True], n_boot=10)
    assert undefined["auc"] is None and undefined["ci95"] is None


def test_pass_result_labels():
    play = constructed_play()
    for result, expected in (("C", False), ("I", True), ("IN", True), ("S", None), (None, None)):
        play.context = {"passResult": result}
        assert validation.pass_incomplete(play) is expected


class ShadowModel:
    """Test double: every defender moves with the chosen target's velocity at the throw."""

    def predict_frame(self, xy_hist, o_hist, ball_hist, defenders, receivers, context=None, horizon=10,
                      *, is_offense=None):
        xy = np.asarray(xy_hist)
        k = np.arange(1, horizon + 1)[:, None] * 0.1
        mean = np.zeros((len(defenders), len(receivers), horizon, 2))
        for j, r in enumerate(receivers):
            v = (xy[-1, r] - xy[-2, r]) / 0.1
            for i, d in enumerate(defenders):
                mean[i, j] = xy[-1, d] + k * v
        return type("G", (), {"mean": mean, "sigma": np.zeros_like(mean)})()


def test_counterfactual_check_finds_the_target_whose_ghosts_explain_the_defenders():
    # WR 101 and both defenders run +x at 8 yd/s; WR 102 turns upfield. Ghosts that shadow
    # the target explain the tracked defenders exactly for WR 101, not for WR 102.
    play = constructed_play(receiver_gap=True)
    t = np.arange(play.n_frames) * 0.1
    play.xy[:, 2] = np.c_[np.full_like(t, 50.0), 40.0 + 8.0 * t]
    check = counterfactual.check_play(play, ShadowModel())
    assert list(check.receivers) == [101, 102]  # the TE misses a frame of the flight: no candidate
    assert check.rmse_yd[0] == pytest.approx(0.0, abs=1e-9) and check.rmse_yd[1] > 1.0
    assert check.identified
    report = counterfactual.counterfactual_report([play], ShadowModel())
    assert report == {"target_identification_top1": 1.0, "chance": 0.5,
                      "wrong_target_rmse_penalty_yd": pytest.approx(check.rmse_yd[1]),
                      "n_plays": 1, "mean_candidates": 2.0}
    play.target_nfl_id = 102  # the same tracking, the other receiver named as the target
    assert counterfactual.counterfactual_report([play], ShadowModel())["target_identification_top1"] == 0.0


def test_counterfactual_report_without_usable_plays():
    play = constructed_play()
    play.pass_arrived_frame = None
    report = counterfactual.counterfactual_report([play], ShadowModel())
    assert report["n_plays"] == 0 and report["target_identification_top1"] is None
