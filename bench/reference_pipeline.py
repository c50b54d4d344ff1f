"""The alternative a user would write: the same per-frame pipeline done the usual way in Python.

    pure-Python decode (bench/reference_decode.py, WIRE's)  ->  pandas fusion (groupby per tag,
    shoulder midpoint, orientation from the shoulder line)  ->  numpy constant-velocity Kalman
    filter with a speed gate, vectorised over players  ->  numpy pair features (MODEL's numpy
    reference of the C++ features)  ->  the PyTorch ghost network in eager mode  ->  numpy metric.

It is written the way a competent analyst would write it - vectorised numpy/pandas where that is
natural, no deliberate slowness - so that ``pipeline_speedup_vs_reference`` measures what the
C++ core and ONNX Runtime buy, not a straw man. It runs on the same packets and frames as the
engine benchmark (bench_pipeline.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ghostedge import _core

SPEED_LIMIT_YPS = 12.5
FRAME_DT_S = 0.1
SHOULDER_HALF_WIDTH_YD = 0.25
# Metric constants (docs/metric.md).
METRIC_TOP_SPEED = 11.0
METRIC_W_EFFORT = 0.25
METRIC_W_SPEED = 2.0


# --------------------------------------------------------------------------- fusion (pandas)


def roster_frame(tag_ids, tag_nfl_ids, roles, slot_nfl_ids) -> pd.DataFrame:
    """tag_id -> slot (index into ``slot_nfl_ids``), role (0 left, 1 right, 2 ball; slot -1)."""
    slot_of = {int(n): i for i, n in enumerate(slot_nfl_ids)}
    df = pd.DataFrame({"tag_id": np.asarray(tag_ids, np.int64),
                       "nfl_id": np.asarray(tag_nfl_ids, np.int64),
                       "role": np.asarray(roles, np.int64)})
    df["slot"] = df["nfl_id"].map(slot_of).fillna(-1).astype(np.int64)
    df.loc[df["role"] == 2, "slot"] = -1
    return df[(df["slot"] >= 0) | (df["role"] == 2)][["tag_id", "slot", "role"]]


def fuse_tick(reads: pd.DataFrame, roster: pd.DataFrame, n_slots: int, last_o_deg: np.ndarray):
    """One output tick's reads -> per-slot position [n, 2], orientation [n] (deg), ball [2].

    Each tag's reads in the window are averaged; position is the shoulder midpoint, orientation
    the normal of the left->right shoulder line (NGS: 0 deg = +y, clockwise); with one shoulder
    only, that tag offset by half the shoulder width along the last known orientation."""
    tagged = reads.merge(roster, on="tag_id", how="inner")
    ball = tagged.loc[tagged["role"] == 2, ["x", "y"]].mean().to_numpy()
    tagged = tagged[tagged["role"] < 2]
    per_tag = tagged.groupby(["slot", "role"])[["x", "y"]].mean().unstack("role")
    xy = np.full((n_slots, 2), np.nan)
    o = last_o_deg.copy()
    left = np.full((n_slots, 2), np.nan)
    right = np.full((n_slots, 2), np.nan)
    idx = per_tag.index.to_numpy()
    for role, arr in ((0, left), (1, right)):
        if ("x", role) in per_tag.columns:
            arr[idx, 0] = per_tag[("x", role)].to_numpy()
            arr[idx, 1] = per_tag[("y", role)].to_numpy()
    both = np.isfinite(left[:, 0]) & np.isfinite(right[:, 0])
    xy[both] = 0.5 * (left[both] + right[both])
    d = right[both] - left[both]
    o[both] = np.degrees(np.arctan2(-d[:, 1], d[:, 0])) % 360.0
    # Single shoulder: step from that shoulder towards the body centre along the shoulder line.
    o_rad = np.radians(o)
    across = np.stack([np.cos(o_rad), -np.sin(o_rad)], axis=1)  # left -> right shoulder
    only_l = np.isfinite(left[:, 0]) & ~both & np.isfinite(o)
    only_r = np.isfinite(right[:, 0]) & ~both & np.isfinite(o)
    xy[only_l] = left[only_l] + SHOULDER_HALF_WIDTH_YD * across[only_l]
    xy[only_r] = right[only_r] - SHOULDER_HALF_WIDTH_YD * across[only_r]
    return xy, o, ball


# --------------------------------------------------------------------------- filter (numpy)


@dataclass
class KalmanCV:
    """Constant-velocity Kalman filter for n players at once (state x, y, vx, vy), with a gate
    that rejects a fused position implying more than 12.5 yd/s from the current estimate."""

    n: int
    dt: float = FRAME_DT_S
    meas_sigma_yd: float = 0.08
    accel_sigma: float = 4.0
    state: np.ndarray = field(init=False)
    cov: np.ndarray = field(init=False)
    initialised: np.ndarray = field(init=False)
    prev_v: np.ndarray = field(init=False)

    def __post_init__(self):
        self.state = np.zeros((self.n, 4))
        self.cov = np.tile(np.eye(4) * 100.0, (self.n, 1, 1))
        self.initialised = np.zeros(self.n, dtype=bool)
        self.prev_v = np.zeros((self.n, 2))
        dt = self.dt
        self.F = np.array([[1, 0, dt, 0], [0, 1, 0, dt], [0, 0, 1, 0], [0, 0, 0, 1]], float)
        g = np.array([[dt * dt / 2, 0], [0, dt * dt / 2], [dt, 0], [0, dt]])
        self.Q = g @ g.T * self.accel_sigma**2
        self.H = np.eye(2, 4)
        self.R = np.eye(2) * self.meas_sigma_yd**2

    def step(self, z: np.ndarray) -> dict[str, np.ndarray]:
        """One tick: z [n, 2] fused positions (NaN = none). Returns x, y, s, a, dir per player."""
        have = np.isfinite(z).all(axis=1)
        new = have & ~self.initialised
        self.state[new, :2] = z[new]
        self.state[new, 2:] = 0.0
        self.initialised |= new
        # Predict.
        self.state = self.state @ self.F.T
        self.cov = self.F @ self.cov @ self.F.T + self.Q
        # Gate: the jump from the previous estimate must be humanly possible.
        jump = np.linalg.norm(np.nan_to_num(z) - (self.state[:, :2] - self.state[:, 2:] * self.dt), axis=1)
        ok = have & ~new & (jump <= SPEED_LIMIT_YPS * self.dt * 1.5)
        if ok.any():
            P = self.cov[ok]
            S = self.H @ P @ self.H.T + self.R
            K = P @ self.H.T @ np.linalg.inv(S)
            innov = z[ok] - self.state[ok, :2]
            self.state[ok] += np.einsum("nij,nj->ni", K, innov)
            self.cov[ok] = (np.eye(4) - K @ self.H) @ P
        # The speed limit applies to the estimate too.
        v = self.state[:, 2:]
        speed = np.linalg.norm(v, axis=1)
        too_fast = speed > SPEED_LIMIT_YPS
        v[too_fast] *= (SPEED_LIMIT_YPS / speed[too_fast])[:, None]
        accel = np.linalg.norm(v - self.prev_v, axis=1) / self.dt
        self.prev_v = v.copy()
        direction = np.degrees(np.arctan2(v[:, 0], v[:, 1])) % 360.0
        return {"x": self.state[:, 0].copy(), "y": self.state[:, 1].copy(),
                "s": np.linalg.norm(v, axis=1), "a": accel, "dir": direction,
                "rejected": int((have & ~new & ~ok).sum())}


# --------------------------------------------------------------------------- metric (numpy)


def metric_numpy(defender_xy: np.ndarray, receiver_xy: np.ndarray) -> np.ndarray:
    """docs/metric.md on [K, n+1, 2] trajectories -> [K] metric values."""
    n = defender_xy.shape[1] - 1
    d_max = METRIC_TOP_SPEED * n * FRAME_DT_S
    sep = np.linalg.norm(defender_xy - receiver_xy, axis=2)
    steps = np.linalg.norm(np.diff(defender_xy, axis=1), axis=2)
    closing = (sep[:, -1] - sep[:, 0]) / d_max
    effort = METRIC_W_EFFORT * (1.0 - np.minimum(1.0, steps.sum(axis=1) / d_max))
    excess = np.maximum(0.0, steps / FRAME_DT_S - SPEED_LIMIT_YPS) * FRAME_DT_S
    return closing + effort + METRIC_W_SPEED * excess.sum(axis=1) / d_max


# --------------------------------------------------------------------------- torch model


class ReferenceModelUnavailable(RuntimeError):
    """The eager torch network cannot be rebuilt from this ONNX file (the message says why):
    the benchmarks then report their torch side as skipped, with this reason, and go on."""


def torch_ghost_model(onnx_path: Path):
    """MODEL's torch network (``ghostedge.model.network.GhostNet``) rebuilt in eager mode with
    the weights of the ONNX file, whatever its architecture:

    - constructor arguments from the network configuration the exporter stores in the metadata
      (``network``), else from initializers named like the argument; the y-mirror arrays from
      the feature list (``features.mirror_affine``); dropout off;
    - every state_dict entry (parameters and buffers) loaded from the initializer of the same
      key and shape; every parameter must be found, buffers the exporter folded away keep the
      value the configuration gives them (configuration entries that name a buffer or an
      attribute, such as a calibration temperature, are applied);
    - checked against ONNX Runtime on random inputs before it is returned, so a different model
      can never pass for the same one.

    Raises :class:`ReferenceModelUnavailable` when the file cannot be rebuilt this way (e.g. it
    was exported from an older GhostNet whose weights have other names)."""
    import inspect
    import json

    import onnx
    import onnxruntime as ort
    import torch
    from onnx import numpy_helper

    from ghostedge.model import features as features_module
    from ghostedge.model.features import KINEMATIC_FEATURES
    from ghostedge.model.training.network import GhostNet  # training-only module: imports torch

    proto = onnx.load(str(onnx_path))
    inits = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    meta = {p.key: p.value for p in proto.metadata_props}
    names = json.loads(meta["feature_names"])
    config = json.loads(meta.get("network", "{}"))
    known = {"dropout": 0.0, "horizon": int(meta["horizon"])}
    if all(k in names for k in KINEMATIC_FEATURES):
        known["kinematic_index"] = [names.index(k) for k in KINEMATIC_FEATURES]
    if hasattr(features_module, "mirror_affine"):
        known.update(zip(("mirror_scale", "mirror_shift"), features_module.mirror_affine(names)))
    known.update({k: np.asarray(v) if isinstance(v, list) and k.startswith("feature_") else v
                  for k, v in config.items()})
    kwargs = {}
    for name, param in list(inspect.signature(GhostNet.__init__).parameters.items())[1:]:
        if name == "dropout":
            kwargs[name] = 0.0
        elif name in known:
            kwargs[name] = known[name]
        elif name in inits:
            kwargs[name] = inits[name].copy()
        elif param.default is inspect.Parameter.empty:
            raise ReferenceModelUnavailable(
                f"{onnx_path}: cannot construct GhostNet: no value for its argument {name!r} in "
                f"the metadata ({sorted(meta)}) or the initializers")
    try:
        net = GhostNet(**kwargs)
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise ReferenceModelUnavailable(f"{onnx_path}: cannot construct GhostNet: {exc}") from exc
    state = net.state_dict()
    for key in state:  # configuration entries that are buffers, e.g. a calibration temperature
        if key in config and key not in kwargs:
            value = np.asarray(config[key], np.float32)
            state[key] = torch.as_tensor(value).reshape(state[key].shape)
    for key, value in config.items():  # ... or plain attributes, e.g. test_time_mirror
        current = getattr(net, key, None)
        if key not in kwargs and key not in state and isinstance(current, (bool, int, float)):
            setattr(net, key, type(current)(value))
    params = {k for k, _ in net.named_parameters()}
    # Sizes, not shapes: the exporter folds a one-member layer's leading axes away.
    missing = sorted(k for k in params if k not in inits or inits[k].size != state[k].numel())
    if missing:
        weights = sorted(k for k in inits if not k.startswith("val_"))[:6]
        raise ReferenceModelUnavailable(
            f"{onnx_path}: this GhostNet's parameters {missing} are not in the ONNX file (its "
            f"initializers are named {weights}...): it was exported from another architecture")
    net.load_state_dict({k: torch.from_numpy(inits[k].copy()).reshape(v.shape)
                         if k in inits and inits[k].size == v.numel() else v
                         for k, v in state.items()}, strict=True)
    net.eval()
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((16, len(names))).astype(np.float32)
    want = sess.run(None, {sess.get_inputs()[0].name: x})
    with torch.inference_mode():
        got = net(torch.from_numpy(x))
    got = got if isinstance(got, (tuple, list)) else (got,)
    diff = max(float(np.max(np.abs(w - g.numpy()))) for w, g in zip(want, got))
    if not diff < 1e-3:
        raise ReferenceModelUnavailable(
            f"{onnx_path}: the rebuilt torch GhostNet differs from ONNX Runtime by {diff:.3g}")
    return net


class TorchGhosts:
    """The ghost model the usual way: select the model's feature columns, run the torch network
    eagerly, map the model-frame displacements to raw field positions."""

    def __init__(self, onnx_path: Path, horizon: int = 10):
        import json

        import onnx

        from ghostedge.model.features import feature_indices

        self.net = torch_ghost_model(onnx_path)
        meta = {p.key: p.value for p in onnx.load(str(onnx_path), load_external_data=False).metadata_props}
        self.columns = feature_indices(json.loads(meta["feature_names"]))
        self.horizon = horizon

    def __call__(self, feats: np.ndarray, start_xy: np.ndarray, play_left: bool) -> np.ndarray:
        import torch

        from ghostedge.model.frames import displacement_to_raw

        d, r, f = feats.shape
        x = feats.reshape(d * r, f)[:, self.columns]
        valid = np.isfinite(x).all(axis=1)
        x = np.where(valid[:, None], x, 0.0).astype(np.float32)
        with torch.inference_mode():
            mean, _sigma = self.net(torch.from_numpy(x))
        disp = mean.numpy()[:, : self.horizon]
        disp[~valid] = np.nan
        return start_xy[:, None, None, :] + displacement_to_raw(disp.reshape(d, r, self.horizon, 2), play_left)


# --------------------------------------------------------------------------- features (numpy)


def pair_features_numpy(xy_hist, o_hist, ball_hist, is_offense, context_vec, defenders,
                        receivers, play_left: bool, mirror_y: bool = False) -> np.ndarray:
    """The 87 candidate features of cpp/src/features.cpp from frames t-2..t (the landing not
    given, as live), written the numpy way (vectorised over defender x receiver pairs).
    [D, R, 87] float32; NaN rows for pairs the C++ leaves NaN.
    Checked against the C++ builder on real frames before it is timed (bench_pipeline.py)."""
    field_len, field_wid, goal_x, far = 120.0, 160.0 / 3.0, 110.0, 60.0
    dt, tiny = FRAME_DT_S, 1e-6
    sx = -1.0 if play_left else 1.0
    sy = -1.0 if play_left != mirror_y else 1.0
    origin = np.array([field_len if sx < 0 else 0.0, field_wid if sy < 0 else 0.0])
    sgn = np.array([sx, sy])
    p = origin + sgn * np.asarray(xy_hist, float)  # [3, N, 2] model frame
    ball = origin + sgn * np.asarray(ball_hist, float)  # [3, 2]
    d_idx = np.asarray(defenders, np.int64)
    r_idx = np.asarray(receivers, np.int64)
    D, R = d_idx.size, r_idx.size
    offense = np.asarray(is_offense).astype(bool)

    pos = p[2]
    vel = (p[2] - p[1]) / dt
    acc = (p[2] - 2 * p[1] + p[0]) / (dt * dt)
    present = np.isfinite(p).all(axis=(0, 2))
    o_rad = np.radians(np.asarray(o_hist, float)[2])
    face = np.stack([sx * np.sin(o_rad), sy * np.cos(o_rad)], axis=1)
    o_known = np.isfinite(face).all(axis=1)  # unknown o: NaN facing features, def_o_known 0
    vel_nbr = np.where(np.isfinite(p[1]).all(axis=1, keepdims=True), vel, 0.0)

    dp, dv, da = pos[d_idx][:, None], vel[d_idx][:, None], acc[d_idx][:, None]  # [D, 1, 2]
    rp, rv, ra = pos[r_idx][None], vel[r_idx][None], acc[r_idx][None]  # [1, R, 2]
    speed = np.linalg.norm(dv, axis=-1)  # [D, 1]
    vhat = np.where(speed[..., None] > tiny, dv / np.maximum(speed, tiny)[..., None], 0.0)
    fc = face[d_idx][:, None]
    rel, rel_v = rp - dp, rv - dv  # [D, R, 2]
    dist = np.linalg.norm(rel, axis=-1)
    ball_t = ball[2]
    ball_v = (ball[2] - ball[1]) / dt
    ball_speed = float(np.linalg.norm(ball_v))
    ball_rel = ball_t - dp  # [D, 1, 2]
    b2t = rp - ball_t  # [1, R, 2]
    b2t_dist = np.linalg.norm(b2t, axis=-1)

    # Neighbours at t for every pair: distances from each defender / receiver to every player.
    seen = np.isfinite(pos).all(axis=1)
    d_to_all = np.linalg.norm(pos[None, :, :] - pos[d_idx][:, None, :], axis=-1)  # [D, N]
    r_to_all = np.linalg.norm(pos[None, :, :] - pos[r_idx][:, None, :], axis=-1)  # [R, N]
    n_players = pos.shape[0]
    excl = np.zeros((D, R, n_players), bool)
    excl[np.arange(D)[:, None], np.arange(R)[None, :], d_idx[:, None]] = True
    excl[np.arange(D)[:, None], np.arange(R)[None, :], r_idx[None, :]] = True
    usable = seen[None, None, :] & ~excl
    dd = np.broadcast_to(d_to_all[:, None, :], (D, R, n_players))
    opp_d = np.where(usable & offense, dd, np.inf)
    mate_d = np.where(usable & ~offense, dd, np.inf)
    help_d = np.where(usable & ~offense, np.broadcast_to(r_to_all[None], (D, R, n_players)), np.inf)
    opp, mate = opp_d.argmin(-1), mate_d.argmin(-1)
    opp_best = np.minimum(opp_d.min(-1), far)
    mate_best = np.minimum(mate_d.min(-1), far)
    help_best = np.minimum(help_d.min(-1), far)
    has_opp = np.isfinite(opp_d.min(-1)) & (opp_d.min(-1) < far)
    has_mate = np.isfinite(mate_d.min(-1)) & (mate_d.min(-1) < far)
    opp_rel = np.where(has_opp[..., None], pos[opp] - dp, 0.0)
    opp_rel_v = np.where(has_opp[..., None], vel_nbr[opp] - dv, 0.0)
    mate_rel = np.where(has_mate[..., None], pos[mate] - dp, 0.0)

    ctx = np.asarray(context_vec, float)
    shape = (D, R)

    def b(a):
        return np.broadcast_to(a, shape)

    cols = [
        b(dv[..., 0]), b(dv[..., 1]), b(da[..., 0]), b(da[..., 1]), b(speed),
        b((da * vhat).sum(-1)), b(fc[..., 0]), b(fc[..., 1]), b((fc * vhat).sum(-1)),
        b(dp[..., 1]), b(field_wid - dp[..., 1]), b(goal_x - dp[..., 0]), b(dp[..., 0] - ctx[2]),
        rel[..., 0], rel[..., 1], dist, rel_v[..., 0], rel_v[..., 1], b(rv[..., 0]),
        b(rv[..., 1]), b(ra[..., 0]), b(ra[..., 1]),
        np.where(dist > tiny, -(rel * rel_v).sum(-1) / np.maximum(dist, tiny), 0.0), b(rp[..., 1]),
        b(ball_rel[..., 0]), b(ball_rel[..., 1]), b(np.linalg.norm(ball_rel, axis=-1)),
        b(ball_v[0]), b(ball_v[1]), b(ball_speed), b(b2t[..., 0]), b(b2t[..., 1]), b(b2t_dist),
        b(np.where((ball_speed > tiny) & (b2t_dist > tiny),
                   (b2t @ ball_v) / np.maximum(ball_speed * b2t_dist, tiny), 0.0)),
        opp_rel[..., 0], opp_rel[..., 1], opp_best, opp_rel_v[..., 0], opp_rel_v[..., 1],
        mate_rel[..., 0], mate_rel[..., 1], mate_best, dist - help_best,
    ] + [b(ctx[k]) for k in range(6)] + [b(o_known[d_idx][:, None].astype(float))]
    # History features from t-2..t only: every older step repeats the step t-2 -> t-1.
    step1 = (p[1] - p[0]) / dt
    for _ in range(8):
        cols += [b(step1[d_idx][:, None, 0]), b(step1[d_idx][:, None, 1])]
    for _ in range(4):
        cols += [b(step1[r_idx][None, :, 0]), b(step1[r_idx][None, :, 1])]
    # The landing: not given (seven zeros), and estimated: the ball reaches the receiver
    # flight_start_s + distance / ball_ground_speed_yps after t, the receiver keeping his velocity.
    cols += [b(0.0)] * 7
    est = _core.FEATURE_LANDING_ESTIMATE
    t_land = np.clip(est["flight_start_s"] + np.linalg.norm(rp - ball_t, axis=-1) / est["ball_ground_speed_yps"],
                     est["min_flight_s"], est["max_flight_s"])  # [1, R]
    land = rp + rv * t_land[..., None]
    land_rel, land_tgt = land - dp, land - rp
    cols += [land_rel[..., 0], land_rel[..., 1], b(land_tgt[..., 0]), b(land_tgt[..., 1]),
             np.linalg.norm(land_rel, axis=-1), b(t_land)]
    out = np.stack(cols, axis=-1).astype(np.float32)
    ball_ok = np.isfinite(ball[1:]).all()
    valid = (present[d_idx][:, None] & present[r_idx][None, :] & (d_idx[:, None] != r_idx[None, :])
             & ball_ok)
    out[~valid] = np.nan
    return out


# --------------------------------------------------------------------------- the whole chain


class ReferencePipeline:
    """decode -> fuse -> filter -> features -> torch -> metric, per frame, in plain Python."""

    def __init__(self, ghost_fn, torch_threads: int):
        self.ghost_fn = ghost_fn  # (features [D, R, F], xy_t [D, 2], play_left) -> mean [D, R, H, 2]
        self.torch_threads = torch_threads

    @classmethod
    def create(cls, cfg: dict | None = None) -> ReferencePipeline:
        import torch
        from bench_inference import model_path

        torch.set_num_threads(1)  # per-frame batches are tiny: threads only add overhead
        return cls(TorchGhosts(model_path(cfg)), torch.get_num_threads())

    def replay(self, play, sim, frames) -> list[dict]:
        """Runs the chain over ``frames`` (``ghostedge.sim.bench.FeedFrame``) of one simulated play."""
        import time

        import reference_decode

        from ghostedge.ingest.pipeline import IngestPipeline
        from ghostedge.live import Roster
        from ghostedge.model.frames import PlayContext

        perf = time.perf_counter
        roster = Roster.from_play(play, registry=sim.registry)
        slot_ids = np.asarray(roster.nfl_ids, np.int64)
        reg = sim.registry
        tags = roster_frame(reg.tag_ids, reg.nfl_ids, reg.roles, slot_ids)
        n = slot_ids.size
        dfd_all, rcv_all = roster.defenders(), roster.receivers()
        is_offense = roster.offence_mask().astype(np.uint8)
        ctx = PlayContext.from_play(play)
        ctx_vec = ctx.vector()
        kf = KalmanCV(n)
        last_o = np.full(n, np.nan)
        hist_xy = np.full((3, n, 2), np.nan)
        hist_o = np.full((3, n), np.nan)
        hist_ball = np.full((3, 2), np.nan)
        steps = np.arange(11, dtype=float)[:, None] * FRAME_DT_S
        delay_us = int(round(getattr(IngestPipeline(reg), "delay_s", 0.0) * 1e6))
        pending = pd.DataFrame(np.empty(0, reference_decode.READ_DTYPE))
        prev_tick = None
        rows = []
        for fr in frames:
            c0 = time.process_time()
            t0 = perf()
            reads, _ = reference_decode.decode(b"".join(fr.packets))
            t1 = perf()
            # Like the live pipeline: this tick fuses the reads blinked in (previous tick +
            # delay, tick + delay]; later ones wait for the next tick, older ones are dropped.
            pending = pd.concat([pending, pd.DataFrame(reads)], ignore_index=True)
            end = fr.time_us + delay_us
            start = (prev_tick if prev_tick is not None else fr.time_us - 100_000) + delay_us
            now = pending[(pending["time_us"] > start) & (pending["time_us"] <= end)]
            pending = pending[pending["time_us"] > end]
            prev_tick = fr.time_us
            xy, last_o, ball = fuse_tick(now, tags, n, last_o)
            t2 = perf()
            est = kf.step(xy)
            hist_xy[:-1], hist_o[:-1], hist_ball[:-1] = hist_xy[1:], hist_o[1:], hist_ball[1:]
            hist_xy[-1, :, 0], hist_xy[-1, :, 1] = est["x"], est["y"]
            hist_o[-1] = last_o
            hist_ball[-1] = ball
            t3 = perf()
            seen = np.isfinite(hist_xy).all(axis=(0, 2))
            dfd, rcv = dfd_all[seen[dfd_all]], rcv_all[seen[rcv_all]]
            row = {"frame_id": fr.frame_id, "pairs": int(dfd.size * rcv.size), "decode": (t1 - t0) * 1e3,
                   "fuse": (t2 - t1) * 1e3, "filter": (t3 - t2) * 1e3}
            if dfd.size and rcv.size:
                feats = pair_features_numpy(hist_xy, hist_o, hist_ball, is_offense, ctx_vec, dfd,
                                            rcv, ctx.play_left)
                t4 = perf()
                row["features_max_rel_diff_vs_cpp"] = _diff_vs_cpp(
                    feats, hist_xy, hist_o, hist_ball, is_offense, ctx_vec, dfd, rcv, ctx.play_left)
                mean = self.ghost_fn(feats, hist_xy[-1, dfd], ctx.play_left)
                t5 = perf()
                # Metric: ghost (start + mean) vs each receiver's constant-velocity extrapolation.
                d, r, h = mean.shape[0], mean.shape[1], mean.shape[2]
                dfd_traj = np.concatenate(
                    [np.broadcast_to(hist_xy[-1, dfd][:, None, None, :], (d, r, 1, 2)), mean], axis=2)
                rcv_v = (hist_xy[-1, rcv] - hist_xy[-2, rcv]) / FRAME_DT_S
                rcv_traj = hist_xy[-1, rcv][:, None, :] + steps[None, : h + 1] * rcv_v[:, None, :]
                values = metric_numpy(dfd_traj.reshape(d * r, h + 1, 2),
                                      np.broadcast_to(rcv_traj[None], (d, r, h + 1, 2)).reshape(d * r, h + 1, 2))
                t6 = perf()
                row.update(features=(t4 - t3) * 1e3, inference=(t5 - t4) * 1e3,
                           metric=(t6 - t5) * 1e3, metric_mean=float(np.nanmean(values)))
                row["frame"] = (t6 - t0) * 1e3
                row["frame_cpu"] = (time.process_time() - c0) * 1e3
                rows.append(row)
        return rows


def _diff_vs_cpp(feats, xy, o, ball, is_offense, ctx_vec, dfd, rcv, play_left) -> float:
    """Largest relative difference between the numpy features and the C++ builder's on the same
    inputs (NaN pattern must match exactly); not timed."""
    cpp, _ = _core.build_pair_features(
        np.ascontiguousarray(xy), np.ascontiguousarray(o), np.ascontiguousarray(ball),
        np.ascontiguousarray(is_offense, dtype=np.uint8), np.ascontiguousarray(ctx_vec),
        np.ascontiguousarray(dfd, dtype=np.int64), np.ascontiguousarray(rcv, dtype=np.int64),
        bool(play_left), False)
    cpp = cpp.reshape(feats.shape)
    if not np.array_equal(np.isnan(cpp), np.isnan(feats)):
        return float("inf")
    ok = np.isfinite(cpp)
    return float(np.max(np.abs(cpp[ok] - feats[ok]) / (1.0 + np.abs(cpp[ok])), initial=0.0))
