"""ONNX export parity, the speed limit, provider choice, model-file errors, inference API and the
counterfactual behaviour of the shipped model."""

from __future__ import annotations

import numpy as np
import pytest

from ghostedge.model.features import N_FEATURES, feature_indices, mirror_affine
from ghostedge.model.frames import H_MAX, MAX_SPEED_YPS, PlayContext, max_step_speed
from ghostedge.model.inference import GhostModel, ModelError, choose_providers, default_model_path
from ghostedge.model.selection import SELECTED_FEATURES
from ghostedge.model.windows import is_pass_play

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")


def _random_net(seed=0):
    from ghostedge.model.network import GhostNet

    torch.manual_seed(seed)
    k = len(SELECTED_FEATURES)
    kin = [SELECTED_FEATURES.index(n) for n in ("def_vx", "def_vy", "def_ax", "def_ay")]
    net = GhostNet(np.zeros(k), np.ones(k) * 3, kin, *mirror_affine(SELECTED_FEATURES), n_members=2, hidden=16)
    return net.eval()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from ghostedge.model.export import export_onnx

    net = _random_net()
    path = export_onnx(net, list(SELECTED_FEATURES), tmp_path_factory.mktemp("m") / "ghost.onnx")
    return net, path


def _full_rows(selected: np.ndarray) -> np.ndarray:
    rows = np.full((selected.shape[0], N_FEATURES), np.nan, np.float32)
    rows[:, feature_indices(SELECTED_FEATURES)] = selected
    return rows


@pytest.mark.parametrize("batch", [1, 7, 300])
def test_onnx_runtime_matches_pytorch(exported, batch):
    net, path = exported
    x = np.random.default_rng(batch).normal(0, 3, (batch, len(SELECTED_FEATURES))).astype(np.float32)
    with torch.no_grad():
        tm, ts = net(torch.as_tensor(x))
    mean, sigma, valid = GhostModel(path).run_features(_full_rows(x))
    assert valid.all() and mean.shape == (batch, H_MAX, 2)
    np.testing.assert_allclose(mean, tm.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(sigma, ts.numpy(), rtol=1e-4, atol=1e-4)


def test_batched_ensemble_equals_members_mixed_with_their_mirrored_views():
    """forward() runs all members and the y-mirrored view as one doubled batch; it must equal
    the plain recipe: each member on the play and on the mirrored play (flipped back), mixed."""
    from ghostedge.model.network import SIGMA_FLOOR_YD

    net = _random_net(seed=3)
    net.test_time_mirror = True
    net.temperature.copy_(torch.linspace(0.5, 1.5, H_MAX)[:, None])
    scale, shift = (torch.as_tensor(a, dtype=torch.float32) for a in mirror_affine(SELECTED_FEATURES))
    x = torch.as_tensor(np.random.default_rng(4).normal(0, 3, (9, len(SELECTED_FEATURES))), dtype=torch.float32)
    with torch.no_grad():
        mu, sg = net.member_outputs(x)
        mu_m, sg_m = net.member_outputs(x * scale + shift)
        mu = torch.cat([mu, mu_m * torch.tensor([1.0, -1.0])])
        sg = torch.cat([sg, sg_m])
        mean = mu.mean(0)
        var = (sg * sg + mu * mu).mean(0) - mean * mean
        want_sigma = torch.sqrt(torch.clamp(var, min=SIGMA_FLOOR_YD**2)) * net.temperature
        got_mean, got_sigma = net(x)
        want_mean = net.limit_speed(mean.reshape(9, -1)).reshape(9, H_MAX, 2)
    assert not torch.allclose(mu[0], mu[net.n_members])  # the mirrored view differs
    torch.testing.assert_close(got_mean, want_mean, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got_sigma, want_sigma, rtol=1e-4, atol=1e-4)


def test_learned_residual_cannot_override_momentum():
    """Whatever the weights, each member leaves the damped-acceleration prior by at most
    RESIDUAL_ACCEL_YPS2 tau^2 / 2 + floor per axis: no instant turn-around."""
    from ghostedge.model.network import RESIDUAL_ACCEL_YPS2, RESIDUAL_FLOOR_YD

    net = _random_net(seed=5)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(50.0)  # saturate the network
        x = torch.as_tensor(np.random.default_rng(6).normal(0, 5, (64, len(SELECTED_FEATURES))), dtype=torch.float32)
        mu, _ = net.member_outputs(x)
        prior = net.prior(x).reshape(64, H_MAX, 2)
    tau = torch.arange(1, H_MAX + 1, dtype=torch.float32)[:, None] * 0.1
    bound = 0.5 * RESIDUAL_ACCEL_YPS2 * tau**2 + RESIDUAL_FLOOR_YD
    deviation = (mu - prior).abs()
    assert torch.all(deviation <= bound * (1 + 1e-5))
    assert torch.any(deviation > 0.9 * bound)  # the bound is reached, so this test can fail


def test_eager_network_rebuilt_from_the_onnx_file_matches(exported):
    from ghostedge.model.network import GhostNet

    net, path = exported
    rebuilt = GhostNet.from_onnx(path)
    x = torch.as_tensor(np.random.default_rng(8).normal(0, 3, (5, len(SELECTED_FEATURES))), dtype=torch.float32)
    with torch.no_grad():
        for got, want in zip(rebuilt(x), net(x)):
            torch.testing.assert_close(got, want)


def test_speed_limit_holds_for_extreme_inputs(exported):
    _, path = exported
    x = np.random.default_rng(1).normal(0, 50, (500, len(SELECTED_FEATURES))).astype(np.float32)
    x[:, :2] = 40.0  # 40 yd/s velocities: the physics prior alone would exceed the limit
    mean, _, _ = GhostModel(path).run_features(_full_rows(x))
    assert max_step_speed(np.zeros((500, 2)), mean) <= MAX_SPEED_YPS


def test_nan_rows_are_reported_invalid_not_fed(exported):
    _, path = exported
    x = np.zeros((3, len(SELECTED_FEATURES)), np.float32)
    x[1, 5] = np.nan
    mean, sigma, valid = GhostModel(path).run_features(_full_rows(x))
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


def test_foreign_or_incompatible_model_raises_model_error(exported, tmp_path):
    import onnx

    _, path = exported
    model = onnx.load(str(path))
    del model.metadata_props[:]
    foreign = tmp_path / "foreign.onnx"
    onnx.save(model, str(foreign))
    with pytest.raises(ModelError, match="not a ghostedge"):
        GhostModel(foreign)
    model.metadata_props.add(key="ghostedge_format", value="1")
    model.metadata_props.add(key="feature_names", value='["no_such_feature"]')
    model.metadata_props.add(key="horizon", value=str(H_MAX))
    other = tmp_path / "other_layout.onnx"
    onnx.save(model, str(other))
    with pytest.raises(ModelError, match="incompatible"):
        GhostModel(other)


def test_absent_provider_falls_back_to_cpu(exported):
    _, path = exported
    m = GhostModel(path, providers=["NoSuchExecutionProvider", "CUDAExecutionProvider"])
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

@pytest.fixture(scope="module")
def shipped():
    path = default_model_path()
    assert path.is_file(), f"the shipped model is missing: {path}"
    return GhostModel()


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
    closer to where he is 1.0 s later; defenders > 20 yd from both receivers barely move."""
    closer, near_n, far_shift = [], 0, []
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
                if to_alt < 5.0:
                    near_n += 1
                    later = play.xy[t + 10, alt]
                    closer.append(np.linalg.norm(end_act - later) - np.linalg.norm(end_alt - later))
                elif to_alt > 20.0 and to_act > 20.0:
                    far_shift.append(np.linalg.norm(end_alt - end_act))
    closer, far_shift = np.array(closer), np.array(far_shift)
    assert near_n >= 30 and far_shift.size >= 30
    assert np.mean(closer > 0) > 0.6 and np.median(closer) > 0.0
    assert np.median(far_shift) < 0.5 and np.median(far_shift) < np.median(np.abs(closer))


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
