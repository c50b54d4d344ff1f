"""Completion probability: features on a constructed play, the ONNX model's load / predict /
bad-file errors, and fitting on a constructed case."""

from __future__ import annotations

import numpy as np
import pytest
from test_decisions import constructed_play

from ghostedge.analysis import completion
from ghostedge.model.baselines import ConstantVelocityModel
from ghostedge.model.completion import FEATURES, CompletionModel, CompletionModelError


def test_features_by_hand():
    play = constructed_play(receiver_gap=False)
    play.events[2] = "ball_snap"
    t0, t1 = 5, 20
    x = completion.play_receivers_features(play, ConstantVelocityModel(), t0, t1, [1, 2])
    f = dict(zip(FEATURES, x[0]))
    wr1_end = play.xy[t1, 1]
    assert f["air_distance_yd"] == pytest.approx(np.linalg.norm(wr1_end - play.ball_xy[t0]))
    assert f["separation_throw_yd"] == pytest.approx(np.hypot(1.5, 1.0))  # CB 201
    assert f["separation_arrival_yd"] == pytest.approx(np.hypot(1.5, 1.0))  # his ghost keeps pace
    assert f["sideline_room_yd"] == pytest.approx(10.0)
    assert f["passer_speed_yps"] == pytest.approx(0.0)
    assert f["time_to_throw_s"] == pytest.approx(0.3)
    assert f["flight_time_s"] == pytest.approx(1.5)
    assert dict(zip(FEATURES, x[1]))["separation_throw_yd"] == pytest.approx(12.0)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from ghostedge.model.training.completion import export_onnx, fit

    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(0, 1, (n, len(FEATURES))) * 3 + 5
    sep = x[:, FEATURES.index("separation_throw_yd")]
    y = (rng.random(n) < 1 / (1 + np.exp(-(sep - 5)))).astype(float)
    x[::17, 0] = np.nan  # missing values take the median
    params = fit(x, y, np.arange(n) % 3, np.ones(n))
    path = export_onnx(params, tmp_path_factory.mktemp("c") / "c.onnx", {"test": True})
    return x, y, params, path


def test_onnx_model_equals_the_fit_and_separates(fitted):
    x, y, params, path = fitted
    model = CompletionModel(path)
    p = model.predict(x)
    z = (np.where(np.isfinite(x), x, params["medians"]) - params["mean"]) / params["std"]
    expected = 1 / (1 + np.exp(-(z @ params["coef"] + params["intercept"])))
    np.testing.assert_allclose(p, expected, atol=1e-5)
    from ghostedge.analysis.validation import auc

    assert auc(p[y > 0], p[y == 0]) > 0.7
    assert model.predict(x[0]).shape == (1,)
    with pytest.raises(ValueError, match="shape"):
        model.predict(np.zeros((2, 3)))


def test_bad_model_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        CompletionModel(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(CompletionModelError):
        CompletionModel(junk)
    from ghostedge.model.inference import default_model_path

    if default_model_path().is_file():  # the ghost model is ONNX but not a completion model
        with pytest.raises(CompletionModelError, match="completion"):
            CompletionModel(default_model_path())


def test_shipped_model_and_the_batch_function():
    model = CompletionModel()  # models/ghostedge_completion.onnx
    assert model.info["highlight_weight"] == 0.0
    play = constructed_play(receiver_gap=True)
    p = completion.completion_probabilities(play, ConstantVelocityModel(), model)
    assert set(p) == {101, 102, 103}
    assert 0.0 < p[101] < 1.0 and 0.0 < p[102] < 1.0 and np.isnan(p[103])  # TE misses a frame
    assert p[102] > p[101]  # 12 yd open vs covered from 1.8 yd
