"""Position-only baselines (issue 3), evaluated on the same windows as the model.

All take the three input positions p[t-2], p[t-1], p[t] ([..., 2] each) and return predicted
positions [..., H, 2] for t+1 .. t+H. They are linear, so they work in any frame.
"""

from __future__ import annotations

import numpy as np

from .frames import DT_S

DAMPING_T_S = 1.0  # T of the damped-acceleration baseline


def _tau(horizon: int) -> np.ndarray:
    return (np.arange(1, horizon + 1) * DT_S)[:, None]  # [H, 1] seconds


def constant_position(p2, p1, p0, horizon: int) -> np.ndarray:
    p0 = np.asarray(p0, float)
    return np.repeat(p0[..., None, :], horizon, axis=-2)


def constant_velocity(p2, p1, p0, horizon: int) -> np.ndarray:
    p1, p0 = np.asarray(p1, float), np.asarray(p0, float)
    v = (p0 - p1) / DT_S
    return p0[..., None, :] + v[..., None, :] * _tau(horizon)


def damped_acceleration(p2, p1, p0, horizon: int, damping_t: float = DAMPING_T_S) -> np.ndarray:
    """x(tau) = p[t] + v tau + a T (tau - T (1 - exp(-tau / T)))."""
    p2, p1, p0 = (np.asarray(p, float) for p in (p2, p1, p0))
    v = (p0 - p1) / DT_S
    a = (p0 - 2.0 * p1 + p2) / DT_S**2
    tau = _tau(horizon)
    shape = damping_t * (tau - damping_t * (1.0 - np.exp(-tau / damping_t)))
    return p0[..., None, :] + v[..., None, :] * tau + a[..., None, :] * shape


BASELINES = {
    "constant_velocity": constant_velocity,
    "damped_acceleration": damped_acceleration,
    "constant_position": constant_position,
}
