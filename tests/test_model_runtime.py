"""The runtime model path, with onnxruntime and no torch (a wheel without the train extra runs
these): the speed limit, NaN rows, model-file errors (missing, corrupt, foreign, another feature
layout: small ONNX fixtures in tests/data/models), provider choice and fallback, the inference API
and the counterfactual behaviour of the shipped model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ghostedge.model.features import N_FEATURES, feature_indices
from ghostedge.model.frames import H_MAX, MAX_SPEED_YPS, PlayContext, max_step_speed
from ghostedge.model.inference import GhostModel, ModelError, choose_providers, default_model_path
from ghostedge.model.windows import is_pass_play

MODELS = Path(__file__).parent / "data" / "models"


@pytest.fixture(scope="module")
def shipped():
    path = default_model_path()
    assert path.is_file(), f"the shipped model is missing: {path}"
    return GhostModel()


def _full_rows(model: GhostModel, selected: np.ndarray) -> np.ndarray:
    rows = np.full((selected.shape[0], N_FEATURES), np.nan, np.float32)
    rows[:, feature_indices(model.feature_names)] = selected
    return rows


def test_foreign_or_incompatible_model_raises_model_error():
    with pytest.raises(ModelError, match="not a ghostedge"):
        GhostModel(MODELS / "foreign_model.onnx")
    with pytest.raises(ModelError, match="incompatible"):
        GhostModel(MODELS / "other_layout_model.onnx")


def test_speed_limit_holds_for_extreme_inputs(shipped):
    k = len(shipped.feature_names)
    x = np.random.default_rng(1).normal(0, 50, (500, k)).astype(np.float32)
    kin = [shipped.feature_names.index(n) for n in ("def_vx", "def_vy")]
    x[:, kin] = 40.0  # 40 yd/s velocities: the physics prior alone would exceed the limit
    mean, _, _ = shipped.run_features(_full_rows(shipped, x))
    assert max_step_speed(np.zeros((500, 2)), mean) <= MAX_SPEED_YPS


def test_nan_rows_are_reported_invalid_not_fed(shipped):
    x = np.zeros((3, len(shipped.feature_names)), np.float32)
    x[1, 5] = np.nan
    mean, sigma, valid = shipped.run_features(_full_rows(shipped, x))
    assert valid.tolist() == [True, False, True]
    assert np.isnan(mean[1]).all() and np.isfinite(mean[[0, 2]]).all()



def test_missing_model_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.onnx"
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        GhostModel(missing)


def test_corrupt_model_file_raises_model_error(tmp_path):
    bad = tmp_path / "corrupt.onnx"
    bad.write_bytes(b"\x08\x07this is not a protobuf" * 10)
    with pytest.raises(ModelError, match="corrupt.onnx"):
        GhostModel(bad)



def test_absent_provider_falls_back_to_cpu():
    m = GhostModel(default_model_path(), providers=["NoSuchExecutionProvider", "CUDAExecutionProvider"])
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        assert m.providers == ["CPUExecutionProvider"]
    assert m.providers[-1] == "CPUExecutionProvider"


def test_provider_priority_is_tensorrt_cuda_cpu(monkeypatch):
    import onnxruntime as ort

    monkeypatch.setattr(ort, "get_available_providers",
                        lambda: ["CPUExecutionProvider", "CUDAExecutionProvider", "TensorrtExecutionProvider"])
    assert choose_providers() == ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert choose_providers() == ["CPUExecutionProvider"]



# --- the shipped model -------------------------------------------------------------------

def test_predict_frame_shapes_and_raw_coordinates(shipped, ngs_dataset):
    play = next(p for p in ngs_dataset.iter_plays() if is_pass_play(p) and p.play_direction == "left")
    t = play.frame_index(play.pass_forward_frame)
    d, r = play.defensive_backs(), play.eligible_receivers()
    g = shipped.predict_frame(play.xy[t - 2 : t + 1], play.o[t - 2 : t + 1], play.ball_xy[t - 2 : t + 1], d, r,
                              PlayContext.from_play(play), horizon=10)
    assert g.mean.shape == (d.size, r.size, 10, 2) == g.sigma.shape
    ok = g.valid
    assert ok.any()
    # raw coordinates: the first ghost step lies next to where the defender is now
    step = np.linalg.norm(g.mean[:, :, 0] - play.xy[t, d][:, None, :], axis=-1)
    assert np.all(step[ok] <= MAX_SPEED_YPS * 0.1 + 1e-6)
    assert np.all(g.sigma[ok] > 0)
    with pytest.raises(ValueError):
        shipped.predict_frame(play.xy[t - 2 : t + 1], play.o[t - 2 : t + 1], play.ball_xy[t - 2 : t + 1], d, r,
                              PlayContext.from_play(play), horizon=H_MAX + 1)


def test_missing_ball_still_gives_ghosts(shipped, ngs_dataset):
    """Live, the ball tag drops out: ghosts still come out, and losing the ball at t alone
    moves them little."""
    play = next(p for p in ngs_dataset.iter_plays() if is_pass_play(p))
    t = play.frame_index(play.pass_forward_frame) + 3
    d, r = play.defensive_backs(), play.eligible_receivers()
    xy, o, ctx = play.xy[t - 2 : t + 1], play.o[t - 2 : t + 1], PlayContext.from_play(play)
    ball = play.ball_xy[t - 2 : t + 1].copy()
    assert np.isfinite(ball).all()
    full = shipped.predict_frame(xy, o, ball, d, r, ctx, horizon=10)
    ball[2] = np.nan
    lost_t = shipped.predict_frame(xy, o, ball, d, r, ctx, horizon=10)
    ball[:] = np.nan
    lost = shipped.predict_frame(xy, o, ball, d, r, ctx, horizon=10)
    for g in (lost_t, lost):
        assert np.array_equal(g.valid, full.valid) and full.valid.any()
        assert np.isfinite(g.mean[g.valid]).all() and np.isfinite(g.sigma[g.valid]).all()
    shift = np.linalg.norm(lost_t.mean[full.valid] - full.mean[full.valid], axis=-1)[:, -1]
    assert np.median(shift) < 0.5


@pytest.mark.slow
def test_counterfactual_target_moves_near_defenders_and_spares_far_ones(shipped, ngs_dataset):
    """Switch the target to another receiver: defenders within 5 yd of the new target end up
    closer to where he is 1.0 s later; defenders > 20 yd from both receivers move less (half a
    yard at most in the median) and, where they move, toward him too (they rally to the ball:
    with the landing estimated from the target, the ghost model sends them)."""
    closer, near_shift, far_shift, far_toward = [], [], [], []
    for play in ngs_dataset.iter_plays():
        if not is_pass_play(play):
            continue
        f = play.pass_forward_frame
        t = play.frame_index(f)
        actual = play.player_index(play.target_nfl_id)
        g_act = shipped.ghost_play(play, f, play.target_nfl_id, horizon=10)
        if t + 10 >= play.n_frames:
            continue
        for alt in play.eligible_receivers():
            if alt == actual or not np.isfinite(play.xy[[t, t + 10], alt]).all():
                continue
            g_alt = shipped.ghost_play(play, f, int(play.nfl_ids[alt]), horizon=10)
            for i, d in enumerate(g_act.defenders):
                if not (g_act.valid[i, 0] and g_alt.valid[i, 0]):
                    continue
                p = play.xy[t, d]
                to_alt = np.linalg.norm(p - play.xy[t, alt])
                to_act = np.linalg.norm(p - play.xy[t, actual])
                end_act, end_alt = g_act.mean[i, 0, -1], g_alt.mean[i, 0, -1]
                later = play.xy[t + 10, alt]
                toward = np.linalg.norm(end_act - later) - np.linalg.norm(end_alt - later)
                if to_alt < 5.0:
                    closer.append(toward)
                    near_shift.append(np.linalg.norm(end_alt - end_act))
                elif to_alt > 20.0 and to_act > 20.0:
                    far_shift.append(np.linalg.norm(end_alt - end_act))
                    far_toward.append(toward)
    closer, near_shift, far_shift, far_toward = map(np.array, (closer, near_shift, far_shift, far_toward))
    assert closer.size >= 30 and far_shift.size >= 30
    assert np.mean(closer > 0) > 0.6 and np.median(closer) > 0.0
    assert np.median(far_shift) < 0.5 and np.median(far_shift) < np.median(near_shift)
    assert np.mean(far_toward > 0) > 0.6


def test_predict_frame_into_fills_caller_buffers_like_predict_frame(shipped, ngs_dataset):
    """The engine's form writes the same ghosts into its own buffers; pairs that cannot be
    scored (a defender missing at t-1) are NaN in both outputs and invalid."""
    play = next(p for p in ngs_dataset.iter_plays() if is_pass_play(p))
    t = play.frame_index(play.pass_forward_frame)
    d, r = play.defensive_backs(), play.eligible_receivers()
    xy = play.xy[t - 2 : t + 1].copy()
    xy[1, d[0]] = np.nan
    args = (xy, play.o[t - 2 : t + 1], play.ball_xy[t - 2 : t + 1], d, r,
            PlayContext.from_play(play))
    g = shipped.predict_frame(*args, horizon=12)
    mean = np.full((d.size, r.size, 12, 2), -1.0)
    sigma = np.full_like(mean, -1.0)
    valid = shipped.predict_frame_into(*args, 12, mean_out=mean, sigma_out=sigma)
    assert np.array_equal(valid, g.valid) and not valid[0].any() and valid[1:].all()
    np.testing.assert_array_equal(mean, g.mean)
    np.testing.assert_array_equal(sigma, g.sigma)
    assert np.isnan(mean[0]).all() and np.isnan(sigma[0]).all() and np.isfinite(mean[1:]).all()
    with pytest.raises(ValueError):  # output buffers of another horizon: refused
        shipped.predict_frame_into(*args, 10, mean_out=mean, sigma_out=sigma)


def test_the_shipped_model_reads_the_landing_when_given(shipped, ngs_dataset):
    """Told where and when each receiver's ball lands, the ghosts change; a NaN row is the
    same as not telling (the builder's estimate, as live); a wrong shape is a clear error."""
    from ghostedge.model.features import LANDING_FEATURES

    assert set(LANDING_FEATURES) <= set(shipped.feature_names)
    play = next(p for p in ngs_dataset.iter_plays() if is_pass_play(p))
    t = play.frame_index(play.pass_forward_frame)
    d, r = play.defensive_backs(), play.eligible_receivers()
    sl, ctx = slice(t - 10, t + 1), PlayContext.from_play(play)
    args = (play.xy[sl], play.o[sl], play.ball_xy[sl], d, r, ctx)
    landing = np.column_stack([play.xy[t, r] + 10.0, np.full(r.size, 1.5)])
    told = shipped.predict_frame(*args, horizon=15, landing=landing)
    not_told = shipped.predict_frame(*args, horizon=15)
    assert told.valid.all() and not_told.valid.all()
    assert np.abs(told.mean - not_told.mean).max() > 0.1
    unknown = shipped.predict_frame(*args, horizon=15, landing=np.full((r.size, 3), np.nan))
    np.testing.assert_array_equal(unknown.mean, not_told.mean)
    with pytest.raises(ValueError, match="landing"):
        shipped.predict_frame(*args, horizon=15, landing=landing[:1])


def test_missing_orientation_through_the_model_and_the_engine(shipped, ngs_dataset):
    """No o (the games, BDB 2019, push_frame(o=None)): the shipped model does not read it, so
    its ghosts are those of the frame with o; a model that reads o cannot score such pairs (the
    NaN facing features are never fed as numbers)."""
    from ghostedge.model.features import ORIENTATION_FEATURES

    assert not set(shipped.feature_names) & set(ORIENTATION_FEATURES)
    play = next(p for p in ngs_dataset.iter_plays() if is_pass_play(p))
    t = play.frame_index(play.pass_forward_frame) + 3
    d, r = play.defensive_backs(), play.eligible_receivers()
    sl, ctx = slice(t - 10, t + 1), PlayContext.from_play(play)
    with_o = shipped.predict_frame(play.xy[sl], play.o[sl], play.ball_xy[sl], d, r, ctx, horizon=10)
    no_o = shipped.predict_frame(play.xy[sl], np.full_like(play.o[sl], np.nan), play.ball_xy[sl], d, r, ctx,
                                 horizon=10)
    assert with_o.valid.any() and np.array_equal(no_o.valid, with_o.valid)
    np.testing.assert_array_equal(no_o.mean, with_o.mean)
    rows = np.zeros((2, N_FEATURES), np.float32)
    rows[1, feature_indices(["def_o_y"])] = np.nan  # what the builder gives for an unknown o
    inputs, valid = np.empty((2, 2), np.float32), np.empty(2, np.uint8)
    from ghostedge import _core

    _core.select_model_inputs(rows, feature_indices(["def_vx", "def_o_y"]), inputs, valid)
    assert valid.tolist() == [1, 0] and np.isfinite(inputs).all()


def test_engine_push_frame_without_orientation_gives_ghosts(ngs_dataset):
    from ghostedge.live import Engine, EngineConfig, Roster

    play = next(p for p in ngs_dataset.iter_plays() if is_pass_play(p))
    eng = Engine(EngineConfig())
    eng.set_roster(Roster.from_play(play))
    eng.activate()
    try:
        t0 = play.frame_index(play.pass_forward_frame)
        for k in range(t0 - 3, t0 + 4):
            eng.push_frame(int(k * 100_000), play.xy[k], None, play.ball_xy[k])
        assert eng.flush()
        res = eng.latest()
        assert res.ok and res.mean.size and np.isfinite(res.mean).any()
    finally:
        eng.close()
