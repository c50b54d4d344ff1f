"""The training side of the model (torch): ONNX export parity with the eager network, the
ensemble's mirror averaging, the momentum bound, and the network rebuilt from an ONNX file.
The runtime model path (no torch) is tested in test_model_runtime.py."""

from __future__ import annotations

import numpy as np
import pytest

from ghostedge.model.features import N_FEATURES, feature_indices, mirror_affine
from ghostedge.model.frames import H_MAX
from ghostedge.model.inference import GhostModel
from ghostedge.model.training.selection import SELECTED_FEATURES

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")


def _random_net(seed=0):
    from ghostedge.model.training.network import GhostNet

    torch.manual_seed(seed)
    k = len(SELECTED_FEATURES)
    kin = [SELECTED_FEATURES.index(n) for n in ("def_vx", "def_vy", "def_ax", "def_ay")]
    net = GhostNet(np.zeros(k), np.ones(k) * 3, kin, *mirror_affine(SELECTED_FEATURES), n_members=2, hidden=16)
    return net.eval()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from ghostedge.model.training.export import export_onnx

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
    from ghostedge.model.training.network import SIGMA_FLOOR_YD

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
    from ghostedge.model.training.network import RESIDUAL_ACCEL_YPS2, RESIDUAL_FLOOR_YD

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
    from ghostedge.model.training.network import GhostNet

    net, path = exported
    rebuilt = GhostNet.from_onnx(path)
    x = torch.as_tensor(np.random.default_rng(8).normal(0, 3, (5, len(SELECTED_FEATURES))), dtype=torch.float32)
    with torch.no_grad():
        for got, want in zip(rebuilt(x), net(x)):
            torch.testing.assert_close(got, want)


def test_history_dropout_fills_like_the_feature_builder_given_three_frames():
    """Training's drop_history must make the rows the C++ builder makes from t-2..t alone."""
    from ghostedge import _core
    from ghostedge.model.features import feature_indices
    from ghostedge.model.training.train import MODEL_FEATURES, drop_history

    rng = np.random.default_rng(2)
    n = 6
    xy = np.cumsum(rng.normal(0, 0.3, (11, n, 2)), axis=0) + rng.uniform([10, 5], [110, 48], (1, n, 2))
    o = np.full((11, n), np.nan)
    ball = np.cumsum(np.full((11, 2), 0.8), axis=0) + 30.0
    off = np.array([1, 1, 1, 0, 0, 0], np.uint8)
    ctx = np.array([2.0, 7.0, 45.0, 3.0, 600.0, -4.0])
    defs, recs = np.array([3, 4, 5]), np.array([0, 1])
    cols = feature_indices(MODEL_FEATURES)
    full, _ = _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, False, True)
    short, _ = _core.build_pair_features(xy[-3:], o[-3:], ball[-3:], off, ctx, defs, recs, False, True)
    x = full.reshape(-1, full.shape[-1])[:, cols].copy()
    assert not np.allclose(x, short.reshape(-1, short.shape[-1])[:, cols])
    drop_history(x, np.ones(len(x), bool))
    np.testing.assert_allclose(x, short.reshape(-1, short.shape[-1])[:, cols], rtol=1e-5, atol=1e-4)


def _one_member_net(seed=0, horizon=H_MAX):
    from ghostedge.model.training.network import GhostNet

    torch.manual_seed(seed)
    k = len(SELECTED_FEATURES)
    kin = [SELECTED_FEATURES.index(n) for n in ("def_vx", "def_vy", "def_ax", "def_ay")]
    net = GhostNet(np.zeros(k), np.ones(k) * 3, kin, *mirror_affine(SELECTED_FEATURES), n_members=1,
                   hidden=16, horizon=horizon).eval()
    net.test_time_mirror = False
    with torch.no_grad():
        net.temperature.copy_(torch.linspace(0.5, 1.5, horizon)[:, None])
    return net


def test_one_member_path_gives_the_mixture_of_one():
    """The distilled network's lean forward (one member, no mirror) must give exactly what the
    ensemble's mixture formula gives for a single member."""
    from ghostedge.model.training.network import SIGMA_FLOOR_YD

    net = _one_member_net(seed=9)
    x = torch.as_tensor(np.random.default_rng(9).normal(0, 3, (11, len(SELECTED_FEATURES))), dtype=torch.float32)
    with torch.no_grad():
        mean, sigma = net(x)
        mu, sg = net.member_outputs(x)
        want_mean = net.limit_speed(mu[0].reshape(11, -1)).reshape(11, H_MAX, 2)
        want_sigma = torch.clamp(sg[0], min=SIGMA_FLOOR_YD) * net.temperature
    torch.testing.assert_close(mean, want_mean, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(sigma, want_sigma, rtol=1e-5, atol=1e-5)


def test_one_member_network_exports_rebuilds_and_records_its_horizon(tmp_path):
    from ghostedge.model.training.export import export_onnx
    from ghostedge.model.training.network import GhostNet

    net = _one_member_net(seed=10, horizon=12)
    path = export_onnx(net, list(SELECTED_FEATURES), tmp_path / "one.onnx")
    model = GhostModel(path)
    assert model.horizon == 12  # the metadata says the network's horizon, not H_MAX
    x = np.random.default_rng(10).normal(0, 3, (7, len(SELECTED_FEATURES))).astype(np.float32)
    with torch.no_grad():
        tm, ts = net(torch.as_tensor(x))
        rm, rs = GhostNet.from_onnx(path)(torch.as_tensor(x))
    mean, sigma, valid = model.run_features(_full_rows(x))
    assert valid.all() and mean.shape == (7, 12, 2)
    np.testing.assert_allclose(mean, tm.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(sigma, ts.numpy(), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(rm, tm)
    torch.testing.assert_close(rs, ts)


def test_distilled_network_learns_the_teacher():
    """Six epochs on the sample plays: the student's distillation loss against its teacher
    ends well below an untrained network's of the same shape, and it comes out calibrated,
    one member, no mirror."""
    from ghostedge.data.locations import load_samples
    from ghostedge.model.training.distil import distil, distillation_loss, teacher_targets
    from ghostedge.model.training.train import fit, new_network, training_arrays
    from ghostedge.model.windows import Samples, play_samples

    ds = load_samples()
    s = Samples.concat([play_samples(p, all_defenders=True) for p in ds.iter_plays()])
    assert len(s) > 200 and s.is_flight.any() and s.is_window.any()
    # A teacher of three epochs: after one, following it moves the student away from the true
    # paths, so distillation's early stopping (on the true paths) keeps an early epoch.
    teacher, _, _ = fit(s, s, epochs=3, progress=False, n_members=2, hidden=16)
    student, history, temps = distil(teacher, s, s, epochs=6, progress=False, hidden=32)
    assert student.n_members == 1 and not student.test_time_mirror and len(history) == 6
    assert np.isfinite(temps).all() and not np.allclose(temps, 1.0)
    x, *_ = training_arrays(s, 0)
    want = [torch.as_tensor(a) for a in teacher_targets(teacher, x)]
    torch.manual_seed(0)
    untrained = new_network(x, n_members=1, hidden=32).eval()
    untrained.test_time_mirror = False

    def loss(net):
        return float(distillation_loss(*(torch.as_tensor(a) for a in teacher_targets(net, x)), *want))

    assert loss(student) < 0.6 * loss(untrained)  # measured: 0.032 against 0.131


def test_other_defenders_teach_the_first_second_in_full_and_later_frames_less():
    from ghostedge.data.locations import load_samples
    from ghostedge.model.training.train import (
        LONG_HORIZON_FROM,
        NON_DB_LONG_HORIZON_WEIGHT,
        training_arrays,
    )
    from ghostedge.model.windows import Samples, play_samples

    s = Samples.concat([play_samples(p, all_defenders=True) for p in load_samples().iter_plays()])
    x, _, mask, w = training_arrays(s, 0)
    assert len(x) == len(s)  # the sample plays' rows are all finite: the rows line up
    np.testing.assert_array_equal(mask, s.mask)
    db = s.is_db
    assert (~db).any() and db.any() and 0 < NON_DB_LONG_HORIZON_WEIGHT < 1
    assert (w[db] == 1).all() and (w[~db, :LONG_HORIZON_FROM] == 1).all()
    assert (w[~db, LONG_HORIZON_FROM:] == np.float32(NON_DB_LONG_HORIZON_WEIGHT)).all()


def test_training_on_folders_without_validation_games_is_a_clear_error(ngs_games_dir, tmp_path):
    # The 3-games folder alone: IND at WAS held out, the other two train, none validates.
    from ghostedge.model.training.pipeline import train

    with pytest.raises(ValueError, match="no validation windows and flights"):
        train([ngs_games_dir], tmp_path / "ghost.onnx", progress=False, card=False)
    assert not (tmp_path / "ghost.onnx").exists()
