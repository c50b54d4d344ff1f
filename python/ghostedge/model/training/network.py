"""The ghost network (PyTorch; training and export only, never imported at run time).

An ensemble of small MLPs. Each member reads the selected features (standardised inside the
graph) and predicts, for every future frame 1..H_MAX directly (no rolling forward), a residual
over a damped-acceleration physics prior plus a Gaussian spread per axis. The graph then mixes
the members, applies the calibrated spread temperature and enforces the speed limit, so every
consumer of the ONNX file (evaluation, the live engine) gets the same, physically plausible
output: mean [B, H, 2] displacement from the defender's position at t, sigma [B, H, 2], both
in the model frame.

Latency (ONNX Runtime on a small CPU, one frame = ~35 rows: the cost is per-op overhead and
broadcasts over short trailing axes more than FLOPs): the members' weights are stacked ([M, in, out]), so each layer is one batched matmul for the whole
ensemble, and the test-time mirror is done by doubling the batch rather than by a second copy
of the graph (optional: ``test_time_mirror``).

Momentum: the residual is bounded per axis by RESIDUAL_ACCEL_YPS2 * tau^2 / 2 (+ a noise floor),
i.e. the ghost may leave the physics prior only as fast as a bounded acceleration allows. A
defender running the wrong way cannot turn around at once, whatever the other features say.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..baselines import DAMPING_T_S
from ..frames import DT_S, H_MAX, MAX_SPEED_YPS

SIGMA_FLOOR_YD = 0.02
# The limit is applied with a hair of margin so float32 rounding can never cross 12.5 yd/s.
MAX_STEP_YD = MAX_SPEED_YPS * DT_S * 0.999
# Bound on the learned deviation from the prior, per axis: 0.5 * a * tau^2 + floor. On the
# validation games 99.9 % of true deviations from the prior stay below 0.5 * 6.4 yd/s^2 * tau^2
# for tau >= 0.5 s (Euclidean); at 0.1 s the position noise (~0.09 yd) dominates, hence the floor.
RESIDUAL_ACCEL_YPS2 = 6.0
RESIDUAL_FLOOR_YD = 0.05


def _path_matrices(horizon: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Constant matrices on flat paths [B, H*2] (frame-major, axis-minor): steps = path @ diff,
    squared step lengths [B, H] = steps^2 @ pair_sum, path = steps @ cumsum."""
    n = horizon * 2
    eye = torch.eye(n)
    diff = eye - torch.diag(torch.ones(n - 2), 2)  # step[h] = path[h] - path[h-1], per axis
    pair_sum = torch.repeat_interleave(torch.eye(horizon), 2, dim=0)  # [H*2, H]
    cumsum = torch.linalg.inv(diff)  # upper triangular ones on the same axis
    return diff, pair_sum, cumsum


class StackedLinear(nn.Module):
    """M independent linear layers applied as one batched matmul: [M, B, in] -> [M, B, out]."""

    def __init__(self, n_members: int, n_in: int, n_out: int):
        super().__init__()
        bound = 1.0 / math.sqrt(n_in)  # nn.Linear's default initialisation, per member
        self.weight = nn.Parameter(torch.empty(n_members, n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_members, 1, n_out).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(x, self.weight) + self.bias


class GhostNet(nn.Module):
    def __init__(self, feature_mean: np.ndarray, feature_std: np.ndarray, kinematic_index: list[int],
                 mirror_scale: np.ndarray, mirror_shift: np.ndarray,
                 n_members: int = 3, hidden: int = 128, dropout: float = 0.1, horizon: int = H_MAX):
        super().__init__()
        n_in = int(feature_mean.shape[0])
        self.horizon, self.n_members, self.hidden = horizon, n_members, hidden
        # What rebuilds this network from an exported file (stored in the ONNX metadata).
        self.config = {"feature_mean": [float(v) for v in feature_mean], "feature_std": [float(v) for v in feature_std],
                       "kinematic_index": [int(i) for i in kinematic_index], "n_members": n_members,
                       "hidden": hidden, "horizon": horizon}
        mean = torch.as_tensor(feature_mean, dtype=torch.float32)
        inv_std = 1.0 / torch.as_tensor(feature_std, dtype=torch.float32)
        scale = torch.as_tensor(mirror_scale, dtype=torch.float32)
        shift = torch.as_tensor(mirror_shift, dtype=torch.float32)
        # z = clamp(x * view_scale[v] + view_shift[v]) standardises view v (0 = as is,
        # 1 = mirrored in y) in one Mul + Add.
        self.register_buffer("view_scale", torch.stack([inv_std, scale * inv_std])[None])  # [1, 2, F]
        self.register_buffer("view_shift", torch.stack([-mean * inv_std, (shift - mean) * inv_std])[None])
        # Flat per-output constants ([.., H*2], frame-major, axis-minor) keep every broadcast
        # contiguous (ORT is slow broadcasting over a trailing axis of 2).
        tau = torch.arange(1, horizon + 1, dtype=torch.float32) * DT_S
        T = DAMPING_T_S
        accel_shape = T * (tau - T * (1 - torch.exp(-tau / T)))
        tau2 = tau.repeat_interleave(2)
        # The prior v tau + a shape(tau) as one matmul of the raw features.
        prior = torch.zeros(n_in, horizon * 2)
        vx, vy, ax, ay = kinematic_index
        prior[vx, 0::2], prior[vy, 1::2] = tau, tau
        prior[ax, 0::2], prior[ay, 1::2] = accel_shape, accel_shape
        self.register_buffer("prior_matrix", prior)
        bound = 0.5 * RESIDUAL_ACCEL_YPS2 * tau2 * tau2 + RESIDUAL_FLOOR_YD
        flip = torch.tensor([1.0, -1.0]).repeat(horizon)  # mirrored views flip y back
        self.register_buffer("residual_bound", torch.stack([bound, bound * flip])[:, None, None, :])  # [V, 1, 1, H*2]
        self.register_buffer("residual_gain", tau2 / bound)
        self.register_buffer("tau_flat", tau2)
        diff, pair_sum, cumsum = _path_matrices(horizon)
        self.register_buffer("step_diff", diff)
        self.register_buffer("pair_sum", pair_sum)
        self.register_buffer("pair_spread", pair_sum.T.contiguous())
        self.register_buffer("step_cumsum", cumsum)
        self.register_buffer("temperature", torch.ones(horizon, 1))  # sigma calibration, set by training
        self.layer1 = nn.Linear(n_in, n_members * hidden)  # all members share the input: one Gemm
        self.layer2 = StackedLinear(n_members, hidden, hidden)
        self.layer3 = StackedLinear(n_members, hidden, horizon * 4)  # [residual H*2 | log-sigma H*2]
        self.dropout = nn.Dropout(dropout)
        # forward() also runs the y-mirrored view (2x the batch, ~2x the inference time). Kept:
        # trained with it, the held-out ADE was 0.7 % better than without (models/MODEL_CARD.md).
        self.test_time_mirror = True

    def export_config(self) -> dict:
        return {**self.config, "temperature": [float(v) for v in self.temperature.flatten()],
                "test_time_mirror": bool(self.test_time_mirror)}

    @classmethod
    def from_onnx(cls, path) -> GhostNet:
        """The eager PyTorch network of an exported ghost model (weights from the initializers,
        the rest from the metadata), in eval mode. For comparisons (benchmarks), not training."""
        import json

        import onnx
        from onnx import numpy_helper

        from ..features import mirror_affine

        proto = onnx.load(str(path))
        meta = {p.key: p.value for p in proto.metadata_props}
        if "network" not in meta:
            raise ValueError(f"{path}: no 'network' metadata (exported by an older ghostedge)")
        cfg = json.loads(meta["network"])
        names = json.loads(meta["feature_names"])
        net = cls(np.asarray(cfg["feature_mean"]), np.asarray(cfg["feature_std"]), cfg["kinematic_index"],
                  *mirror_affine(names), n_members=cfg["n_members"], hidden=cfg["hidden"], dropout=0.0,
                  horizon=cfg["horizon"])
        net.test_time_mirror = cfg["test_time_mirror"]
        inits = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
        with torch.no_grad():
            net.temperature.copy_(torch.as_tensor(cfg["temperature"], dtype=torch.float32)[:, None])
            for name, param in net.named_parameters():
                # The exporter may fold a one-member layer's leading axes away: same values.
                if name not in inits or inits[name].size != param.numel():
                    raise ValueError(f"{path}: parameter {name} not found with shape {tuple(param.shape)}")
                param.copy_(torch.from_numpy(inits[name].copy()).reshape(param.shape))
        return net.eval()

    def _members(self, x: torch.Tensor, views: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Per view v (0: as is, 1: mirrored in y, flipped back) and member m: bounded residual
        over the prior and sigma, flat [V, M, B, H*2] each."""
        b = x.shape[0]
        z = x[:, None, :] * self.view_scale[:, :views] + self.view_shift[:, :views]  # [B, V, F]
        z = torch.clamp(z, -8.0, 8.0).transpose(0, 1).reshape(views * b, -1)  # view-major rows
        h = self.dropout(nn.functional.gelu(self.layer1(z)))  # [V*B, M*H]
        h = h.reshape(views * b, self.n_members, self.hidden).transpose(0, 1)  # [M, V*B, H]
        h = self.dropout(nn.functional.gelu(self.layer2(h)))
        out = self.layer3(h).reshape(self.n_members, views, b, self.horizon * 4).transpose(0, 1)
        n = self.horizon * 2
        # bound * tanh(raw * tau / bound): raw * tau (a residual velocity, as unbounded) while
        # small, never past the bound.
        residual = torch.tanh(out[..., :n] * self.residual_gain) * self.residual_bound[:views]
        sigma = torch.exp(torch.clamp(out[..., n:], -12.0, 6.0)) * self.tau_flat + SIGMA_FLOOR_YD
        return residual, sigma

    def prior(self, x: torch.Tensor) -> torch.Tensor:
        """Damped-acceleration prior, flat [B, H*2], from the raw kinematic features."""
        return x @ self.prior_matrix

    def member_outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Uncalibrated, unlimited mean and sigma per member: [M, B, H, 2] each (training)."""
        residual, sigma = self._members(x, 1)
        shape = (self.n_members, x.shape[0], self.horizon, 2)
        return (self.prior(x) + residual[0]).reshape(shape), sigma[0].reshape(shape)

    def limit_speed(self, path: torch.Tensor) -> torch.Tensor:
        """Scale each step of a flat displacement path [B, H*2] (from 0) to at most MAX_STEP_YD."""
        steps = path @ self.step_diff
        length = torch.sqrt((steps * steps) @ self.pair_sum + 1e-12)  # [B, H]
        scale = torch.clamp(MAX_STEP_YD / length, max=1.0) @ self.pair_spread
        return (steps * scale) @ self.step_cumsum

    def _single(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """forward() of a one-member network without the mirror: the same outputs as the
        mixture path (the mixture of one Gaussian is itself), in about half the ONNX ops - the
        per-frame cost of a small batch is mostly per-op overhead."""
        z = torch.clamp(features * self.view_scale[0, 0] + self.view_shift[0, 0], -8.0, 8.0)
        h = nn.functional.gelu(self.layer1(z))
        # The stacked layers as they are ([1, B, .]): slicing their weights would let the
        # exporter fold them into renamed constants, which from_onnx could not find.
        h = nn.functional.gelu(self.layer2(h[None]))
        out = self.layer3(h)[0]
        n = self.horizon * 2
        residual = torch.tanh(out[:, :n] * self.residual_gain) * self.residual_bound[0, 0, 0]
        temperature = self.temperature.expand(self.horizon, 2).reshape(-1)
        sigma = (torch.exp(torch.clamp(out[:, n:], -12.0, 6.0)) * self.tau_flat + SIGMA_FLOOR_YD) * temperature
        mean = self.limit_speed(self.prior(features) + residual)
        shape = (features.shape[0], self.horizon, 2)
        return mean.reshape(shape), sigma.reshape(shape)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.n_members == 1 and not self.test_time_mirror:
            return self._single(features)
        # Test-time mirror averaging: every member also sees the play mirrored in y (the batch
        # doubled), its prediction flipped back; all 2M predictions form one mixture. The prior
        # is common to all of them, so the mixture's spread needs only the residuals.
        residual, sigma = self._members(features, 2 if self.test_time_mirror else 1)
        mean_residual = residual.mean((0, 1))
        var = (sigma * sigma + residual * residual).mean((0, 1)) - mean_residual * mean_residual
        temperature = self.temperature.expand(self.horizon, 2).reshape(-1)
        sigma_out = torch.sqrt(torch.clamp(var, min=SIGMA_FLOOR_YD**2)) * temperature
        mean = self.limit_speed(self.prior(features) + mean_residual)
        shape = (features.shape[0], self.horizon, 2)
        return mean.reshape(shape), sigma_out.reshape(shape)


def ghost_loss(mu: torch.Tensor, sigma: torch.Tensor, y: torch.Tensor, mask: torch.Tensor,
               distance_weight: float = 1.0) -> torch.Tensor:
    """Gaussian NLL per coordinate plus ``distance_weight`` x the Euclidean error of the mean
    (the NLL alone lets the mean drift where sigma is wide; ADE/FDE/RMSE judge the mean),
    averaged over the points weighted by ``mask`` [B, H] (bool, or float weights; y [B, H, 2])."""
    nll = (0.5 * ((y - mu) / sigma) ** 2 + torch.log(sigma)).sum(-1)
    dist = torch.sqrt(((y - mu) ** 2).sum(-1) + 1e-6)
    m = mask.to(nll.dtype)
    return ((nll / 2 + distance_weight * dist) * m).sum() / m.sum().clamp(min=1)
