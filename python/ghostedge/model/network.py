"""The ghost network (PyTorch; training and export only, never imported at run time).

An ensemble of small MLPs. Each member reads the selected features (standardised inside the
graph) and predicts, for every future frame 1..H_MAX directly (no rolling forward), a residual
over a damped-acceleration physics prior plus a Gaussian spread per axis. The graph then mixes
the members, applies the calibrated spread temperature and enforces the speed limit, so every
consumer of the ONNX file (evaluation, the live engine) gets the same, physically plausible
output: mean [B, H, 2] displacement from the defender's position at t, sigma [B, H, 2], both
in the model frame.

Latency (ONNX Runtime on a small CPU is dominated by the number of ops, not the FLOPs): the
members' weights are stacked ([M, in, out]), so each layer is one batched matmul for the whole
ensemble, and the test-time mirror is done by doubling the batch rather than by a second copy
of the graph.

Momentum: the residual is bounded per axis by RESIDUAL_ACCEL_YPS2 * tau^2 / 2 (+ a noise floor),
i.e. the ghost may leave the physics prior only as fast as a bounded acceleration allows. A
defender running the wrong way cannot turn around at once, whatever the other features say.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .baselines import DAMPING_T_S
from .frames import DT_S, H_MAX, MAX_SPEED_YPS

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
        self.horizon = horizon
        self.n_members = n_members
        mean = torch.as_tensor(feature_mean, dtype=torch.float32)
        inv_std = 1.0 / torch.as_tensor(feature_std, dtype=torch.float32)
        scale = torch.as_tensor(mirror_scale, dtype=torch.float32)
        shift = torch.as_tensor(mirror_shift, dtype=torch.float32)
        # z = clamp(x * view_scale[v] + view_shift[v]) standardises view v (0 = as is,
        # 1 = mirrored in y) in one Mul + Add.
        self.register_buffer("view_scale", torch.stack([inv_std, scale * inv_std])[None])  # [1, 2, F]
        self.register_buffer("view_shift", torch.stack([-mean * inv_std, (shift - mean) * inv_std])[None])
        self.register_buffer("kinematic_index", torch.as_tensor(kinematic_index, dtype=torch.long))
        # Mirrored predictions flip back by negating the y residual; the sigma channels keep sign.
        self.register_buffer("view_flip", torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 1.0, 1.0]])[None, None, :, None, :])  # [1, 1, V, 1, 4]
        tau = torch.arange(1, horizon + 1, dtype=torch.float32) * DT_S
        T = DAMPING_T_S
        self.register_buffer("tau", tau[:, None])  # [H, 1] seconds
        self.register_buffer("accel_shape", (T * (tau - T * (1 - torch.exp(-tau / T))))[:, None])
        self.register_buffer("residual_bound", (0.5 * RESIDUAL_ACCEL_YPS2 * tau * tau + RESIDUAL_FLOOR_YD)[:, None])
        self.register_buffer("temperature", torch.ones(horizon, 1))  # sigma calibration
        self.layer1 = nn.Linear(n_in, n_members * hidden)  # all members share the input: one Gemm
        self.layer2 = StackedLinear(n_members, hidden, hidden)
        self.layer3 = StackedLinear(n_members, hidden, horizon * 4)
        self.hidden = hidden
        self.dropout = nn.Dropout(dropout)

    def prior(self, x: torch.Tensor) -> torch.Tensor:
        kin = x[:, self.kinematic_index]  # vx, vy, ax, ay (raw)
        v, a = kin[:, None, :2], kin[:, None, 2:]
        return v * self.tau + a * self.accel_shape

    def _raw(self, x: torch.Tensor, views: int) -> torch.Tensor:
        """Member outputs [M, B, V, H, 4] (residual x, y; sigma x, y, pre-activation) for the
        first ``views`` views of x (1: as is, 2: also mirrored in y, already flipped back)."""
        b = x.shape[0]
        z = x[:, None, :] * self.view_scale[:, :views] + self.view_shift[:, :views]  # [B, V, F]
        z = torch.clamp(z, -8.0, 8.0).reshape(b * views, -1)
        h = self.dropout(nn.functional.gelu(self.layer1(z)))  # [B*V, M*H]
        h = h.reshape(b * views, self.n_members, self.hidden).transpose(0, 1)  # [M, B*V, H]
        h = self.dropout(nn.functional.gelu(self.layer2(h)))
        out = self.layer3(h).reshape(self.n_members, b, views, self.horizon, 4)
        return out * self.view_flip[:, :, :views]

    def _mu_sigma(self, raw: torch.Tensor, prior: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu = prior + self.residual_bound * torch.tanh(raw[..., :2])
        sigma = nn.functional.softplus(raw[..., 2:]) * self.tau + SIGMA_FLOOR_YD
        return mu, sigma

    def member_outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Uncalibrated, unlimited mean and sigma per member: [M, B, H, 2] each (training)."""
        mu, sigma = self._mu_sigma(self._raw(x, 1)[:, :, 0], self.prior(x))
        return mu, sigma

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Test-time mirror averaging: every member also sees the play mirrored in y (the batch
        # doubled), its prediction flipped back; all 2M predictions form one mixture.
        mu, sigma = self._mu_sigma(self._raw(features, 2), self.prior(features)[None, :, None])
        mean = mu.mean((0, 2))
        var = (sigma * sigma + mu * mu).mean((0, 2)) - mean * mean  # mixture of the members
        sigma_out = torch.sqrt(torch.clamp(var, min=SIGMA_FLOOR_YD**2)) * self.temperature
        return limit_speed(mean), sigma_out


def ghost_loss(mu: torch.Tensor, sigma: torch.Tensor, y: torch.Tensor, mask: torch.Tensor,
               distance_weight: float = 1.0) -> torch.Tensor:
    """Gaussian NLL per coordinate plus ``distance_weight`` x the Euclidean error of the mean
    (the NLL alone lets the mean drift where sigma is wide; ADE/FDE/RMSE judge the mean),
    averaged over the masked points (mask [B, H], y [B, H, 2])."""
    nll = (0.5 * ((y - mu) / sigma) ** 2 + torch.log(sigma)).sum(-1)
    dist = torch.sqrt(((y - mu) ** 2).sum(-1) + 1e-6)
    m = mask.to(nll.dtype)
    return ((nll / 2 + distance_weight * dist) * m).sum() / m.sum().clamp(min=1)
