"""Distillation (training only; torch): the shipped network is one small MLP trained to give
what the ensemble gives (issue 14).

The ensemble (``train.fit``: DEFAULTS members, each run on the play and on its mirror image) is
the most accurate predictor trained here, but it costs 2 x members forward passes per pair and
frame. The student is a single member without the test-time mirror, exported through
``GhostNet``'s one-member path (about half the ONNX ops of the mixture). It learns, on the same
training rows, the teacher's mixed mean and spread:

    loss = sum_axes ((mu_s - mu_t) / sigma_t)^2 + (log sigma_s - log sigma_t)^2

i.e. mean errors weighted as the teacher's own Gaussian NLL weighs them, and each frame as the
teacher's training weighed it (``train.horizon_weights``: the other defenders' later frames
count less). Measured on the validation and held-out games (models/MODEL_CARD.md): plain
squared error on the mean, or a weight of 1 / sigma_t, gave worse held-out ADE and
full-flight RMSE than this. Early stopping,
sigma calibration and the prior and speed limit in the graph are the ensemble's
(``train.optimise``, ``GhostNet``).
"""

from __future__ import annotations

import numpy as np

from ..windows import Samples
from .train import _predict, _set_seed, new_network, optimise, training_arrays

# transfer_noise: the student also learns the teacher on one copy of the training rows with
# Gaussian noise of this many standard deviations per feature (more points of the teacher's
# function; chosen on the validation score: 1.166 against 1.169 without).
STUDENT_DEFAULTS = dict(epochs=30, hidden=256, dropout=0.0, batch=512, lr=3e-3, weight_decay=1e-4,
                        transfer_noise=0.02)


def teacher_targets(teacher, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The teacher's mean and (uncalibrated) sigma [N, H, 2] for inputs ``x``; the teacher's
    calibration is restored afterwards (the student is calibrated on its own)."""
    import torch

    saved = teacher.temperature.clone()
    try:
        with torch.no_grad():
            teacher.temperature.fill_(1.0)
        return _predict(teacher.eval(), x)
    finally:
        with torch.no_grad():
            teacher.temperature.copy_(saved)


def distillation_loss(mean, sigma, target_mean, target_sigma, weight=None):
    """The student's loss against the teacher's outputs (tensors [B, H, 2]; see the module doc),
    each frame weighted by ``weight`` [B, H] (train.horizon_weights) when given."""
    import torch

    per_frame = (((mean - target_mean) / target_sigma) ** 2).sum(-1) \
        + ((torch.log(sigma) - torch.log(target_sigma)) ** 2).sum(-1)
    if weight is None:
        return per_frame.mean()
    return (per_frame * weight).sum() / weight.sum().clamp(min=1e-6)


def distil(teacher, train: Samples, val: Samples, seed: int = 0, progress: bool = True, **kw):
    """One-member student of ``teacher`` on ``train``'s rows (the rows the teacher was trained
    on, same history dropout); returns (student, history, temperatures)."""
    import torch

    cfg = {**STUDENT_DEFAULTS, **kw}
    torch.set_num_threads(1)
    _set_seed(seed)
    x, _, _, w = training_arrays(train, seed)
    if cfg["transfer_noise"]:
        noise = np.random.default_rng(seed + 7).standard_normal(x.shape) * x.std(0) * cfg["transfer_noise"]
        x = np.concatenate([x, (x + noise).astype(np.float32)])
        w = np.concatenate([w, w])
    target_mean, target_sigma = (torch.as_tensor(a) for a in teacher_targets(teacher, x))
    student = new_network(x, n_members=1, hidden=cfg["hidden"], dropout=cfg["dropout"])
    student.test_time_mirror = False
    xt, wt = torch.as_tensor(x), torch.as_tensor(w)

    def batch_loss(idx):
        mu, sg = student.member_outputs(xt[idx])
        return distillation_loss(mu[0], sg[0], target_mean[idx], target_sigma[idx], wt[idx])

    history, temps = optimise(student, len(x), batch_loss, val, cfg, seed, progress, "distil")
    return student, history, temps

