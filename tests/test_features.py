"""The C++ pair features against an independent numpy reference, and the binding's contract."""

from __future__ import annotations

import numpy as np
import pytest

from ghostedge import _core
from ghostedge.model.features import FEATURE_NAMES, N_FEATURES, frame_features, offense_mask
from ghostedge.model.frames import PlayContext, to_model_xy
from ghostedge.model.windows import is_pass_play

W = 160.0 / 3.0
DT = 0.1


def reference_steps(m, n, n_steps):
    """Step velocities of player n ending j = 0.. frames before t (history [H, N, 2], model
    frame); a step with a missing or absent frame repeats the newer one."""
    out = []
    for j in range(n_steps):
        a, b = m.shape[0] - 1 - j, m.shape[0] - 2 - j
        ok = b >= 0 and np.isfinite(m[a, n]).all() and np.isfinite(m[b, n]).all()
        out.append((m[a, n] - m[b, n]) / DT if ok else (out[-1] if out else np.zeros(2)))
    return out


def reference_features(xy, o, ball, off, ctx, d, r, play_left, mirror, landing=None):
    """Straightforward numpy version of cpp/src/features.cpp for one pair (NaN row if invalid);
    xy [H, N, 2], o [H, N], ball [H, 2] with the last row t; landing [3] (raw x, y, seconds)
    or None (estimated)."""
    full = to_model_xy(xy, play_left, mirror)
    xy, o, ball = xy[-3:], o[-3:], ball[-3:]
    m = to_model_xy(xy, play_left, mirror)  # [3, N, 2]
    b = to_model_xy(ball, play_left, mirror)
    if d == r or not (np.isfinite(m[:, d]).all() and np.isfinite(m[:, r]).all()):
        return np.full(N_FEATURES, np.nan)
    sx = -1.0 if play_left else 1.0
    sy = -1.0 if play_left != mirror else 1.0

    def kin(n):
        return m[2, n], (m[2, n] - m[1, n]) / DT, (m[2, n] - 2 * m[1, n] + m[0, n]) / DT**2

    p, v, a = kin(d)
    rp, rv, ra = kin(r)
    speed = np.linalg.norm(v)
    vhat = v / speed if speed > 1e-6 else np.zeros(2)
    face = np.full(2, np.nan)  # unknown orientation: NaN, never a direction
    if np.isfinite(o[2, d]):
        face = np.array([sx * np.sin(np.radians(o[2, d])), sy * np.cos(np.radians(o[2, d]))])
    rel, rel_v = rp - p, rv - v
    dist = np.linalg.norm(rel)
    known = [k for k in range(3) if np.isfinite(b[k]).all()]
    if not known:  # ball lost: at the target, not moving
        b_now, bv = rp, np.zeros(2)
    else:
        k = known[-1]
        b_now = b[k]
        bv = (b[k] - b[k - 1]) / DT if k > 0 and np.isfinite(b[k - 1]).all() else np.zeros(2)
    bs = np.linalg.norm(bv)
    b_rel, b_t = b_now - p, rp - b_now
    btd = np.linalg.norm(b_t)
    others = [n for n in range(m.shape[1]) if n not in (d, r) and np.isfinite(m[2, n]).all()]
    opp = [n for n in others if off[n]]
    mates = [n for n in others if not off[n]]

    o_n = min(opp, key=lambda n: np.linalg.norm(m[2, n] - p)) if opp else None
    o_d = np.linalg.norm(m[2, o_n] - p) if o_n is not None else 60.0
    if o_d >= 60.0:
        o_n, o_d = None, 60.0
    mt = min(mates, key=lambda n: np.linalg.norm(m[2, n] - p)) if mates else None
    mt_d = np.linalg.norm(m[2, mt] - p) if mt is not None else 60.0
    if mt_d >= 60.0:
        mt, mt_d = None, 60.0
    help_d = min([np.linalg.norm(m[2, n] - rp) for n in mates] + [60.0])
    o_rel = m[2, o_n] - p if o_n is not None else np.zeros(2)
    o_v = np.zeros(2)
    if o_n is not None and np.isfinite(m[1, o_n]).all():
        o_v = (m[2, o_n] - m[1, o_n]) / DT
    o_rel_v = o_v - v if o_n is not None else np.zeros(2)
    mt_rel = m[2, mt] - p if mt is not None else np.zeros(2)
    given = np.zeros(7)  # the given landing's features, 0 when not given
    if landing is not None and np.isfinite(landing).all():
        land = to_model_xy(landing[:2], play_left, mirror)
        given = np.array([*(land - p), *(land - rp), np.linalg.norm(land - p), max(landing[2], 0.0), 1.0])
    # the estimate: the ball reaches the receiver flight_start_s + distance / ball_ground_speed_yps
    # after t (clamped), the receiver keeping his last-step velocity
    e = _core.FEATURE_LANDING_ESTIMATE
    t_est = float(np.clip(e["flight_start_s"] + np.linalg.norm(rp - b_now) / e["ball_ground_speed_yps"],
                          e["min_flight_s"], e["max_flight_s"]))
    est = rp + rv * t_est
    return np.array([
        v[0], v[1], a[0], a[1], speed, a @ vhat, face[0], face[1], face @ vhat, p[1], W - p[1],
        110 - p[0], p[0] - ctx[2],
        rel[0], rel[1], dist, rel_v[0], rel_v[1], rv[0], rv[1], ra[0], ra[1],
        -(rel @ rel_v) / dist if dist > 1e-6 else 0.0, rp[1],
        b_rel[0], b_rel[1], np.linalg.norm(b_rel), bv[0], bv[1], bs, b_t[0], b_t[1], btd,
        (bv @ b_t) / (bs * btd) if bs > 1e-6 and btd > 1e-6 else 0.0,
        o_rel[0], o_rel[1], o_d, o_rel_v[0], o_rel_v[1], mt_rel[0], mt_rel[1], mt_d, dist - help_d,
        *ctx, float(np.isfinite(face).all()),
        *np.concatenate(reference_steps(full, d, 10)[2:]), *np.concatenate(reference_steps(full, r, 5)[1:]),
        *given, *(est - p), *(est - rp), np.linalg.norm(est - p), t_est,
    ])


def test_feature_names_are_unique_and_complete():
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES)) == N_FEATURES == 87
    assert FEATURE_NAMES[:4] == ("def_vx", "def_vy", "def_ax", "def_ay")


@pytest.mark.slow
@pytest.mark.parametrize("mirror", [False, True])
def test_cpp_matches_numpy_reference_on_real_plays(ngs_dataset, mirror):
    checked = 0
    for play in ngs_dataset.iter_plays():
        if not is_pass_play(play):
            continue
        ctx = PlayContext.from_play(play)
        t = play.frame_index(play.pass_forward_frame + 3)
        defenders, receivers = play.defensive_backs(), play.eligible_receivers()
        got, n_valid = frame_features(play, t, defenders, receivers, ctx, mirror)
        sl = slice(max(0, t - 10), t + 1)
        off = offense_mask(play)
        expected_valid = 0
        for i, d in enumerate(defenders):
            for j, r in enumerate(receivers):
                ref = reference_features(play.xy[sl], play.o[sl], play.ball_xy[sl], off, ctx.vector(),
                                         d, r, ctx.play_left, mirror)
                expected_valid += int(np.isfinite(ref).all())
                np.testing.assert_allclose(got[i, j], ref, rtol=2e-5, atol=2e-4, equal_nan=True)
        assert n_valid == expected_valid
        checked += 1
        if checked >= 25:
            break
    assert checked == 25


def _synthetic(n=6, seed=0):
    rng = np.random.default_rng(seed)
    xy = np.cumsum(rng.normal(0, 0.3, (3, n, 2)), axis=0) + rng.uniform([10, 5], [110, 48], (1, n, 2))
    o = rng.uniform(0, 360, (3, n))
    ball = np.array([[40.0, 20.0], [41.0, 20.5], [42.0, 21.0]])
    off = np.array([1, 1, 1, 0, 0, 0], np.uint8)[:n]
    ctx = np.array([2.0, 7.0, 45.0, 3.0, 600.0, -4.0])
    return xy, o, ball, off, ctx


def test_cpp_matches_reference_on_synthetic_frames_including_gaps():
    xy, o, ball, off, ctx = _synthetic()
    xy[0, 4] = np.nan  # defender 4 misses t-2: his rows are invalid
    o[2, 3] = np.nan  # unknown orientation: facing features are NaN, def_o_known 0
    defs, recs = np.array([3, 4, 5, 9]), np.array([0, 1, 3])
    for left in (False, True):
        got, n_valid = _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, left, False)
        for i, d in enumerate(defs):
            for j, r in enumerate(recs):
                if d >= xy.shape[1]:
                    assert np.isnan(got[i, j]).all()
                    continue
                ref = reference_features(xy, o, ball, off, ctx, d, r, left, False)
                np.testing.assert_allclose(got[i, j], ref, rtol=2e-5, atol=2e-4, equal_nan=True)
        assert n_valid == 5  # defenders 3 and 5 x receivers 0, 1 + defender 5 x receiver 3


def test_play_direction_is_normalised_away():
    """A play and its 180-degree rotated copy marked 'left' give the same features."""
    xy, o, ball, off, ctx = _synthetic()
    rot_xy = np.array([120.0, W]) - xy
    rot_ball = np.array([120.0, W]) - ball
    rot_o = np.mod(o + 180.0, 360.0)
    defs, recs = np.array([3, 4]), np.array([0, 1])
    a, _ = _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, False, False)
    b, _ = _core.build_pair_features(rot_xy, rot_o, rot_ball, off, ctx, defs, recs, True, False)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


def test_output_buffer_is_filled_in_place():
    xy, o, ball, off, ctx = _synthetic()
    out = np.zeros((2, 3, N_FEATURES), np.float32)
    got, n_valid = _core.build_pair_features(xy, o, ball, off, ctx, np.array([3, 4]), np.array([0, 1, 2]), out=out)
    assert got is out and n_valid == 6 and np.isfinite(out).all()


@pytest.mark.parametrize("bad", ["xy", "o", "ball", "ctx", "dtype", "out"])
def test_bad_shapes_raise_value_error(bad):
    xy, o, ball, off, ctx = _synthetic()
    defs, recs = np.array([3]), np.array([0])
    kw = {}
    if bad == "xy":
        xy = xy[:2]
    elif bad == "o":
        o = o[:, :2]
    elif bad == "ball":
        ball = ball[:, :1].copy()
    elif bad == "ctx":
        ctx = ctx[:3].copy()
    elif bad == "dtype":
        xy = xy.astype(np.float32)
    elif bad == "out":
        kw["out"] = np.zeros((2, 2, N_FEATURES), np.float32)
    with pytest.raises(ValueError):
        _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, **kw)


def test_mirror_affine_matches_the_cpp_mirror_for_every_feature():
    from ghostedge.model.features import mirror_affine

    xy, o, ball, off, ctx = _synthetic(seed=3)
    defs, recs = np.array([3, 4, 5]), np.array([0, 1, 2])
    plain, _ = _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, True, False)
    mirrored, _ = _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, True, True)
    scale, shift = mirror_affine(FEATURE_NAMES)
    np.testing.assert_allclose(mirrored, plain * scale + shift, rtol=1e-5, atol=2e-4)


def test_model_input_selection_and_output_conversion_bindings():
    feats = np.arange(3 * N_FEATURES, dtype=np.float32).reshape(3, N_FEATURES)
    feats[1, 4] = np.nan
    cols = np.array([4, 0, N_FEATURES - 1], np.int64)
    inputs, valid = np.empty((3, 3), np.float32), np.empty(3, np.uint8)
    assert _core.select_model_inputs(feats, cols, inputs, valid) == 2
    np.testing.assert_array_equal(valid, [1, 0, 1])
    np.testing.assert_array_equal(inputs, np.where(valid[:, None] == 1, feats[:, cols], 0.0))
    with pytest.raises(ValueError):
        too_far = np.array([N_FEATURES], np.int64)
        _core.select_model_inputs(feats, too_far, np.empty((3, 1), np.float32), valid)
    with pytest.raises(ValueError):  # float64 features would need a copy: refused
        _core.select_model_inputs(feats.astype(np.float64), cols, inputs, valid)

    d, r, hmax, h = 2, 3, 5, 4
    rng = np.random.default_rng(0)
    disp = rng.normal(0, 1, (d * r, hmax, 2)).astype(np.float32)
    sig = rng.uniform(0.1, 1, (d * r, hmax, 2)).astype(np.float32)
    start = rng.uniform(10, 50, (d, 2))
    ok = np.array([1, 1, 0, 1, 1, 1], np.uint8)
    mean, sigma = np.empty((d, r, h, 2)), np.empty((d, r, h, 2))
    for play_left in (False, True):
        _core.model_outputs_to_field(disp, sig, ok, start, h, play_left, False, mean, sigma)
        signs = np.array([-1.0, -1.0]) if play_left else np.array([1.0, 1.0])
        want = disp[:, :h].reshape(d, r, h, 2).astype(np.float64) * signs + start[:, None, None, :]
        want_sigma = sig[:, :h].reshape(d, r, h, 2).astype(np.float64)
        bad = ok.reshape(d, r) == 0
        want[bad], want_sigma[bad] = np.nan, np.nan
        np.testing.assert_array_equal(mean, want)
        np.testing.assert_array_equal(sigma, want_sigma)
    with pytest.raises(ValueError):
        _core.model_outputs_to_field(disp, sig, ok, start, hmax + 1, False, False, mean, sigma)


def test_history_features_match_reference_with_gaps_and_short_history():
    rng = np.random.default_rng(5)
    n = 6
    xy = np.cumsum(rng.normal(0, 0.3, (11, n, 2)), axis=0) + rng.uniform([10, 5], [110, 48], (1, n, 2))
    o = rng.uniform(0, 360, (11, n))
    ball = np.cumsum(np.full((11, 2), 0.8), axis=0) + 30.0
    off = np.array([1, 1, 1, 0, 0, 0], np.uint8)
    ctx = np.array([2.0, 7.0, 45.0, 3.0, 600.0, -4.0])
    xy[4, 3] = np.nan  # a gap in defender 3's older history: he is still scored
    xy[1, 0] = np.nan  # and in receiver 0's
    defs, recs = np.array([3, 4]), np.array([0, 1])
    for h in (3, 6, 11):
        got, n_valid = _core.build_pair_features(xy[-h:], o[-h:], ball[-h:], off, ctx, defs, recs, True, False)
        assert n_valid == 4
        for i, d in enumerate(defs):
            for j, r in enumerate(recs):
                ref = reference_features(xy[-h:], o[-h:], ball[-h:], off, ctx, d, r, True, False)
                np.testing.assert_allclose(got[i, j], ref, rtol=2e-5, atol=2e-4, equal_nan=True)
    with pytest.raises(ValueError):  # 12 frames: more than the builder reads
        _core.build_pair_features(np.concatenate([xy[:1], xy]), np.concatenate([o[:1], o]),
                                  np.concatenate([ball[:1], ball]), off, ctx, defs, recs)


def test_unknown_orientation_never_reaches_a_model_as_a_number():
    """o missing (the games, BDB 2019): facing features NaN, so a model reading them cannot
    score the pair; def_o_known says it, and every other feature is unchanged."""
    from ghostedge.model.features import ORIENTATION_FEATURES, feature_indices

    xy, o, ball, off, ctx = _synthetic()
    defs, recs = np.array([3, 4]), np.array([0, 1])
    known, _ = _core.build_pair_features(xy, o, ball, off, ctx, defs, recs)
    unknown, n_valid = _core.build_pair_features(xy, np.full_like(o, np.nan), ball, off, ctx, defs, recs)
    o_cols = feature_indices(ORIENTATION_FEATURES)
    flag = FEATURE_NAMES.index("def_o_known")
    assert n_valid == 4 and np.isnan(unknown[..., o_cols]).all() and (unknown[..., flag] == 0).all()
    assert (known[..., flag] == 1).all()
    rest = [k for k in range(N_FEATURES) if k not in set(o_cols.tolist()) | {flag}]
    np.testing.assert_array_equal(unknown[..., rest], known[..., rest])
    cols = feature_indices(("def_vx", "def_o_y"))
    inputs, valid = np.empty((4, 2), np.float32), np.empty(4, np.uint8)
    assert _core.select_model_inputs(unknown, cols, inputs, valid) == 0
    assert (inputs == 0).all()  # zeros, flagged invalid: the outputs of these rows become NaN


def test_landing_given_estimated_and_refused():
    """Receivers with a landing row get it (land_given 1), a NaN row or none zeros (land_given
    0), in every play direction and mirror; the estimate (land_est_*) and the rest of the row
    never change."""
    from ghostedge.model.features import GIVEN_LANDING_FEATURES, feature_indices

    xy, o, ball, off, ctx = _synthetic(seed=4)
    defs, recs = np.array([3, 4, 5]), np.array([0, 1, 2])
    landing = np.array([[60.0, 30.0, 1.2], [np.nan, 10.0, 0.8], [35.0, 12.0, -0.5]])
    land_cols = feature_indices(GIVEN_LANDING_FEATURES)
    assert GIVEN_LANDING_FEATURES == ("land_rel_x", "land_rel_y", "land_tgt_x", "land_tgt_y", "land_dist",
                                      "land_t_s", "land_given")
    given_flag = FEATURE_NAMES.index("land_given")
    for left in (False, True):
        for mirror in (False, True):
            got, n_valid = _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, left, mirror,
                                                     landing=landing)
            none, _ = _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, left, mirror)
            assert n_valid == 9
            for i, d in enumerate(defs):
                for j, r in enumerate(recs):
                    ref = reference_features(xy, o, ball, off, ctx, d, r, left, mirror, landing[j])
                    np.testing.assert_allclose(got[i, j], ref, rtol=2e-5, atol=2e-4)
            np.testing.assert_array_equal(got[:, :, given_flag], np.tile([1.0, 0.0, 1.0], (3, 1)))
            np.testing.assert_array_equal(got[:, 1], none[:, 1])  # the NaN row: as if not given
            assert (none[..., land_cols] == 0).all()  # not given: zeros, the estimate elsewhere
            rest = [k for k in range(N_FEATURES) if k not in set(land_cols.tolist())]
            np.testing.assert_array_equal(got[..., rest], none[..., rest])
    assert (got[:, 2, FEATURE_NAMES.index("land_t_s")] == 0.0).all()  # a time in the past: 0
    with pytest.raises(ValueError):  # one row per receiver
        _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, landing=landing[:2].copy())
    with pytest.raises(ValueError):  # float32 would need a copy: refused
        _core.build_pair_features(xy, o, ball, off, ctx, defs, recs, landing=landing.astype(np.float32))
