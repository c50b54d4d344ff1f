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


class ConstantVelocityModel:
    """The constant-velocity baseline behind :class:`~ghostedge.model.GhostModel`'s
    ``predict_frame`` interface: each defender keeps the velocity of his last input step
    (t-1 -> t) and ignores the target, so every receiver gets the same ghost. Runs the engine,
    the soak (``--predictor constant-velocity``) and the metric machinery without the trained
    model. ``sigma_yd``: the spread reported (default NaN: no uncertainty estimate)."""

    providers = ["baseline:constant_velocity"]
    horizon = 50  # frames it can predict (any: it is closed-form), like GhostModel.horizon

    def __init__(self, sigma_yd: float = float("nan")) -> None:
        self.sigma_yd = float(sigma_yd)
        self.calls = 0

    def predict_frame(self, xy_hist, o_hist, ball_hist, defenders, receivers, context=None,
                      horizon: int = 10, **_options):
        from .inference import Ghosts

        self.calls += 1
        defenders = np.asarray(defenders, dtype=np.int64).reshape(-1)
        receivers = np.asarray(receivers, dtype=np.int64).reshape(-1)
        p = np.asarray(xy_hist, dtype=np.float64)[:, defenders]  # [3, D, 2]
        path = constant_velocity(p[-3], p[-2], p[-1], int(horizon))  # [D, H, 2]
        mean = np.repeat(path[:, None], receivers.size, axis=1)
        return Ghosts(mean=mean, sigma=np.full_like(mean, self.sigma_yd),
                      valid=np.isfinite(mean).all(axis=(2, 3)), defenders=defenders, receivers=receivers)
