"""Training (torch; never imported at run time): samples -> ensemble MLP -> sigma calibration
on the validation games -> ONNX export -> evaluation on the held-out games -> model card.

Seeded and reproducible on the same machine and library versions (single-threaded torch ops
are deterministic on CPU; the thread count is fixed).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from ..features import KINEMATIC_FEATURES, feature_indices, mirror_affine
from ..frames import CHI2_2DOF, H_MAX
from ..windows import HELDOUT_PERCENT, VAL_PERCENT, Samples, training_samples
from .selection import SELECTED_FEATURES

DEFAULTS = dict(epochs=15, n_members=3, hidden=128, dropout=0.1, batch=512, lr=3e-3, weight_decay=1e-4,
                distance_weight=0.0)


def _set_seed(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _predict(net, x: np.ndarray, batch: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    import torch

    means, sigmas = [], []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            m, s = net(torch.as_tensor(x[i : i + batch]))
            means.append(m.numpy())
            sigmas.append(s.numpy())
    return np.concatenate(means), np.concatenate(sigmas)


def calibrate_temperature(mean: np.ndarray, sigma: np.ndarray, future: np.ndarray, mask: np.ndarray,
                          min_points: int = 300) -> np.ndarray:
    """Per-horizon factor on sigma so the 50 % and 90 % ellipses hold 50 % and 90 % of the
    validation points (least squares on both); horizons with too few points borrow the nearest."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 241))
    temps = np.full(mean.shape[1], np.nan)
    for h in range(mean.shape[1]):
        ok = mask[:, h]
        if ok.sum() < min_points:
            continue
        m2 = (((future[ok, h] - mean[ok, h]) / sigma[ok, h]) ** 2).sum(-1)
        c50 = (m2[None, :] <= CHI2_2DOF[50] * grid[:, None] ** 2).mean(1)
        c90 = (m2[None, :] <= CHI2_2DOF[90] * grid[:, None] ** 2).mean(1)
        temps[h] = grid[np.argmin((c50 - 0.5) ** 2 + (c90 - 0.9) ** 2)]
    known = np.flatnonzero(np.isfinite(temps))
    if known.size == 0:
        return np.ones(mean.shape[1])
    for h in np.flatnonzero(~np.isfinite(temps)):
        temps[h] = temps[known[np.argmin(np.abs(known - h))]]
    return temps


def fit(train: Samples, val: Samples, seed: int = 0, epochs: int = DEFAULTS["epochs"], progress: bool = True, **kw):
    """Train the ensemble; returns (net, history) with the best-validation-ADE weights."""
    import torch
    from tqdm import tqdm

    from .network import GhostNet, ghost_loss

    cfg = {**DEFAULTS, **kw, "epochs": epochs}
    torch.set_num_threads(1)  # the machine is shared: more threads only spin
    _set_seed(seed)
    cols = feature_indices(SELECTED_FEATURES)
    x = train.features[:, cols].astype(np.float32)
    keep = np.isfinite(x).all(1)
    x, y, m = x[keep], np.nan_to_num(train.future[keep]), train.mask[keep]
    xv = val.features[:, cols].astype(np.float32)
    mean, std = x.mean(0), x.std(0) + 1e-3
    kin = [SELECTED_FEATURES.index(k) for k in KINEMATIC_FEATURES]
    net = GhostNet(mean, std, kin, *mirror_affine(SELECTED_FEATURES), n_members=cfg["n_members"], hidden=cfg["hidden"], dropout=cfg["dropout"])
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    steps = epochs * int(np.ceil(len(x) / cfg["batch"]))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=steps, pct_start=0.15)
    xt, yt, mt = torch.as_tensor(x), torch.as_tensor(y), torch.as_tensor(m)
    rng = np.random.default_rng(seed)
    best, best_state, history = np.inf, None, []
    wmask = val.is_window
    bar = tqdm(range(epochs), desc="train", unit="epoch", file=sys.stderr, disable=not progress)
    for epoch in bar:
        net.train()
        order = torch.as_tensor(rng.permutation(len(x)))
        total = 0.0
        for i in range(0, len(x), cfg["batch"]):
            idx = order[i : i + cfg["batch"]]
            mu, sg = net.member_outputs(xt[idx])
            loss = sum(ghost_loss(mu[k], sg[k], yt[idx], mt[idx], cfg["distance_weight"]) for k in range(mu.shape[0]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        net.eval()
        pm, _ = _predict(net, xv[wmask])
        ade = float(np.linalg.norm(pm[:, :10] - val.future[wmask, :10], axis=-1).mean())
        history.append({"epoch": epoch + 1, "train_nll": total / len(x), "val_ade_1s": ade})
        bar.set_postfix(val_ade=f"{ade:.3f}")
        if ade < best:
            best = ade
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    net.eval()
    pm, ps = _predict(net, xv)
    temps = calibrate_temperature(pm, ps, np.nan_to_num(val.future), val.mask)
    net.temperature.copy_(torch.as_tensor(temps, dtype=torch.float32)[:, None])
    return net, history, temps


def train(data_dir: str, out: str | Path, seed: int = 0, epochs: int = DEFAULTS["epochs"],
          progress: bool = True, card: bool = True) -> dict:
    from ...analysis.evaluation import evaluation_report
    from ...data import load_dataset
    from ..inference import GhostModel
    from .export import export_onnx

    t0 = time.time()
    ds = load_dataset(data_dir)
    tr, va = training_samples(ds, progress=progress)
    net, history, temps = fit(tr, va, seed=seed, epochs=epochs, progress=progress)
    out = Path(out)
    export_onnx(net, list(SELECTED_FEATURES), out, extra={"seed": seed, "epochs": epochs})
    model = GhostModel(out)
    heldout = evaluation_report(ds, model, split="heldout", progress=progress)
    summary = {
        "out": str(out), "seed": seed, "epochs": epochs, "train_rows": len(tr), "val_rows": len(va),
        "best_epoch": int(np.argmin([h["val_ade_1s"] for h in history]) + 1),
        "temperature_1s": [round(float(t), 3) for t in temps[:10]],
        "train_seconds": round(time.time() - t0, 1), "heldout": heldout,
        "command": f"ghostedge train --data {data_dir} --out {out} --seed {seed} --epochs {epochs}",
    }
    if card:
        write_model_card(summary, out.parent / "MODEL_CARD.md", data_dir, ds)
    return summary


def write_model_card(summary: dict, path: Path, data_dir: str, ds) -> None:
    from .network import RESIDUAL_ACCEL_YPS2, RESIDUAL_FLOOR_YD

    h = summary["heldout"]
    w, f = h["windows_1s"], h["full_flight"]
    da_w, da_f = w["damped_acceleration"], f["damped_acceleration"]
    rows = [
        f"| {name} | {w[name]['ade_yd']:.3f} | {w[name]['fde_yd']:.3f} | {f[name]['rmse_bdb_yd']:.3f} | "
        + (f"{w[name]['coverage50']:.3f} | {w[name]['coverage90']:.3f} |" if name == "model" else "- | - |")
        for name in ("model", "damped_acceleration", "constant_velocity", "constant_position")
    ]
    text = f"""# ghostedge_ghost.onnx - model card

Predicts where each defensive back will be 0.1 .. {H_MAX / 10:.1f} s after frame t (every frame
directly, no rolling forward) given frames t-2 .. t of all players and the ball, the play
context and the chosen target receiver; a Gaussian mean and spread per axis and frame.

## Data
`{data_dir}` ({ds.source}): NGS highlight plays 2017-2019 (see its README; biased toward big
plays). Samples: every defender (defensive backs and the other defenders as extra training
samples) against the actual target, for every start frame passForward <= t < passArrived with
t-2..t present, future frames up to passArrived; training rows mirrored in y (augmentation).
Only positions x, y, orientation o of players and ball are read; velocity and acceleration are
position differences (the data's s, a, dir columns are never read).

## Split (by game, deterministic)
CRC32 of "ghostedge-split-v1:<gameId>" mod 100: < {HELDOUT_PERCENT} held out (evaluation),
< {HELDOUT_PERCENT + VAL_PERCENT} validation (early stopping, sigma calibration), rest training.
`ghostedge.model.windows.game_split`. Rows: {summary['train_rows']} training (incl. mirrored),
{summary['val_rows']} validation.

## Features
The {len(SELECTED_FEATURES)} features chosen by the LightGBM study (docs/feature-selection.md),
built in C++ (`_core.build_pair_features`) in the model frame (offence toward +x):
{", ".join(f"`{n}`" for n in SELECTED_FEATURES)}.

## Model
Ensemble of {DEFAULTS['n_members']} MLPs (2 hidden layers of {DEFAULTS['hidden']}, GELU, dropout
{DEFAULTS['dropout']}), their weights stacked so each layer is one (batched) matmul for the whole
ensemble. Each member predicts, for all {H_MAX} frames, a residual over a damped-acceleration prior,
bounded per axis by {RESIDUAL_ACCEL_YPS2:g} yd/s^2 * tau^2 / 2 + {RESIDUAL_FLOOR_YD:g} yd (momentum: a
defender cannot leave his current motion faster than that), and a per-axis log-sigma; trained
with Gaussian NLL (AdamW, one-cycle, {summary['epochs']} epochs, best validation 1.0 s ADE at epoch
{summary['best_epoch']}). The members are mixed; sigma times a per-frame temperature fitted on the
validation games (first 10: {summary['temperature_1s']}); then every step is scaled to at most
12.5 yd/s inside the graph. Test-time mirror averaging: every member also runs on the play
mirrored in y (the batch doubled inside the graph), its prediction flipped back and mixed in.
Input `features` float32 [batch, {len(SELECTED_FEATURES)}]; outputs `ghost_mean`, `ghost_sigma` float32
[batch, {H_MAX}, 2], displacement from the defender's position at t in the model frame.

Full flight: the model predicts every future frame directly (50 outputs). Rolling a 10-step
model forward was not measured: each roll needs the target receiver's and the ball's positions
at the new start frame, which a defender-only model does not predict, so rolling would need a
second model for the offence; direct prediction avoids that and the compounding errors.

## Metrics (held-out games: {h['n_plays']} plays, {h['n_windows']} windows, {h['n_flights']} flights)
| predictor | ADE 1.0 s (yd) | FDE 1.0 s (yd) | full-flight RMSE (yd) | coverage50 | coverage90 |
|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Ratios to damped acceleration: ADE {w['model']['ade_yd'] / da_w['ade_yd']:.3f}, FDE
{w['model']['fde_yd'] / da_w['fde_yd']:.3f}, full-flight RMSE
{f['model']['rmse_bdb_yd'] / da_f['rmse_bdb_yd']:.3f}. Highest predicted speed
{h['max_pred_speed_yps']:.2f} yd/s.

Reproduce: `{summary['command']}` (training took {summary['train_seconds']:.0f} s on this 2-core
machine), then `ghostedge evaluate --data {data_dir} --split heldout --json`.

## Latency
ONNX Runtime `session.run` for one frame's batch (7 defensive backs x 5 receivers = 35 rows), CPU
provider, median of interleaved calls: `python -m ghostedge.model.latency models/ghostedge_ghost.onnx
--threads 1 2` (the engine uses 1 thread). Measured figures are recorded below by hand.

## Limitations
- Trained on a few hundred highlight plays: big plays are over-represented, and the held-out
  set is small ({h['n_plays']} plays), so the figures carry noticeable sampling error.
- Conditioned only on the actual target during training; counterfactual targets are
  extrapolation (there is no ground truth for them).
- Pairs with a player missing at t-2..t are not scored (NaN). A missing ball is not fatal: the
  ball features use its latest known position of t-2..t, else the target's (see
  cpp/include/ghostedge/features.hpp); the model was not trained on such rows. Horizons beyond
  {H_MAX} frames are refused.
- Inputs are the provider's smoothed positions; live positions from the ghostedge filter are
  noisier, which inflates the velocity/acceleration features.
"""
    path.write_text(text)
