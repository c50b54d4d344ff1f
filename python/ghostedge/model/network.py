"""The ghost network (PyTorch; training and export only, never imported at run time).

An ensemble of small MLPs. Each member reads the selected features (standardised inside the
graph) and predicts, for every future frame 1..H_MAX directly (no rolling forward), a residual
over a damped-acceleration physics prior plus a Gaussian spread per axis. The graph then mixes
the members, applies the calibrated spread temperature and enforces the speed limit, so every
consumer of the ONNX file (evaluation, the live engine) gets the same, physically plausible
output: mean [B, H, 2] displacement from the defender's position at t, sigma [B, H, 2], both
in the model frame.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .baselines import DAMPING_T_S
from .frames import DT_S, H_MAX, MAX_SPEED_YPS

SIGMA_FLOOR_YD = 0.02
# The limit is applied with a hair of margin so float32 rounding can never cross 12.5 yd/s.
MAX_STEP_YD = MAX_SPEED_YPS * DT_S * 0.999


class Member(nn.Module):
    def __init__(self, n_in: int, horizon: int, hidden: int, dropout: float):
        super().__init__()
        self.horizon = horizon
        self.body = nn.Sequential(
            nn.Linear(n_in, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, horizon * 4),
        )

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.body(z).reshape(-1, self.horizon, 4)
        return out[..., :2], out[..., 2:]


def limit_speed(path: torch.Tensor) -> torch.Tensor:
    """Scale each step of a displacement path [B, H, 2] (starting at 0) to at most MAX_STEP_YD."""
    prev = torch.cat([torch.zeros_like(path[:, :1]), path[:, :-1]], dim=1)
    step = path - prev
    length = torch.sqrt((step * step).sum(-1, keepdim=True) + 1e-12)
    scale = torch.clamp(MAX_STEP_YD / length, max=1.0)
    return torch.cumsum(step * scale, dim=1)


class GhostNet(nn.Module):
    def __init__(self, feature_mean: np.ndarray, feature_std: np.ndarray, kinematic_index: list[int],
                 mirror_scale: np.ndarray, mirror_shift: np.ndarray,
                 n_members: int = 3, hidden: int = 128, dropout: float = 0.1, horizon: int = H_MAX):
        super().__init__()
        n_in = int(feature_mean.shape[0])
        self.register_buffer("feature_mean", torch.as_tensor(feature_mean, dtype=torch.float32))
        self.register_buffer("feature_std", torch.as_tensor(feature_std, dtype=torch.float32))
        self.register_buffer("kinematic_index", torch.as_tensor(kinematic_index, dtype=torch.long))
        self.register_buffer("mirror_scale", torch.as_tensor(mirror_scale, dtype=torch.float32))
        self.register_buffer("mirror_shift", torch.as_tensor(mirror_shift, dtype=torch.float32))
        self.register_buffer("flip_y", torch.tensor([1.0, -1.0]))
        tau = torch.arange(1, horizon + 1, dtype=torch.float32) * DT_S
        T = DAMPING_T_S
        self.register_buffer("tau", tau[:, None])  # [H, 1] seconds
        self.register_buffer("accel_shape", (T * (tau - T * (1 - torch.exp(-tau / T))))[:, None])
        self.register_buffer("temperature", torch.ones(horizon, 1))  # sigma calibration
        self.members = nn.ModuleList(Member(n_in, horizon, hidden, dropout) for _ in range(n_members))

    def prior(self, x: torch.Tensor) -> torch.Tensor:
        kin = x[:, self.kinematic_index]  # vx, vy, ax, ay (raw)
        v, a = kin[:, None, :2], kin[:, None, 2:]
        return v * self.tau + a * self.accel_shape

    def member_outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Uncalibrated, unlimited mean and sigma per member: [K, B, H, 2] each (training)."""
        z = torch.clamp((x - self.feature_mean) / self.feature_std, -8.0, 8.0)
        prior = self.prior(x)
        mus, sigmas = [], []
        for m in self.members:
            res, s = m(z)
            mus.append(prior + res * self.tau)  # residual in yd/s: scale grows with the horizon
            sigmas.append(nn.functional.softplus(s) * self.tau + SIGMA_FLOOR_YD)
        return torch.stack(mus), torch.stack(sigmas)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Test-time mirror averaging: every member also sees the play mirrored in y, and its
        # mirrored prediction is flipped back; all of them form one mixture.
        mu, sigma = self.member_outputs(features)
        mu_m, sigma_m = self.member_outputs(features * self.mirror_scale + self.mirror_shift)
        mu = torch.cat([mu, mu_m * self.flip_y])
        sigma = torch.cat([sigma, sigma_m])
        mean = mu.mean(0)
        var = (sigma * sigma + mu * mu).mean(0) - mean * mean  # mixture of the members
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
