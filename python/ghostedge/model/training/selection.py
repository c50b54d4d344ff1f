"""Feature selection (training only; imports lightgbm): a gradient-boosting model on every
candidate feature, ranked by gain and by permutation importance on validation games, then the
smallest top-k set whose LightGBM validation error is within a tolerance of the best.

Target: the defender's displacement 1.0 s ahead minus the damped-acceleration baseline's (x and
y, model frame) - the part the network has to learn on top of its physics prior.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

import numpy as np

from ..baselines import damped_acceleration
from ..features import FEATURE_NAMES, KINEMATIC_FEATURES, feature_indices
from ..frames import DT_S, WINDOW_H
from ..windows import Samples, training_samples

TOP_K_GRID = (4, 8, 12, 16, 20, 24, 32, len(FEATURE_NAMES))
TOLERANCE = 0.02  # accept a set whose validation RMSE is within 2 % of the best


@dataclass
class SelectionResult:
    names: list[str]  # the chosen feature set, kinematic prior features first
    table: list[dict]  # per candidate: name, gain share, permutation importance, rank
    k_curve: list[tuple[int, float]]  # (top-k, validation RMSE yd)
    rmse_all: float


def prior_displacement(features: np.ndarray, horizon: int) -> np.ndarray:
    """Damped-acceleration displacement [M, horizon, 2] from the kinematic features."""
    kin = features[:, feature_indices(KINEMATIC_FEATURES)].astype(float)
    v, a = kin[:, :2], kin[:, 2:]
    p0 = np.zeros_like(v)
    p1 = p0 - v * DT_S
    p2 = 2 * p1 - p0 + a * DT_S**2
    return damped_acceleration(p2, p1, p0, horizon)


def _targets(s: Samples) -> tuple[np.ndarray, np.ndarray]:
    keep = s.mask[:, WINDOW_H - 1]
    resid = s.future[keep, WINDOW_H - 1] - prior_displacement(s.features[keep], WINDOW_H)[:, -1]
    return s.features[keep], resid


def _fit(x, y, x_val, y_val, seed):
    import lightgbm as lgb

    models, pred = [], np.zeros_like(y_val)
    for c in range(2):
        m = lgb.LGBMRegressor(
            n_estimators=300, learning_rate=0.05, num_leaves=31, min_child_samples=40,
            subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0,
            random_state=seed, n_jobs=2, deterministic=True, force_row_wise=True, verbose=-1,
        )
        m.fit(x, y[:, c])
        pred[:, c] = m.predict(x_val)
        models.append(m)
    rmse = float(np.sqrt(np.mean(np.sum((pred - y_val) ** 2, axis=1))))
    return models, rmse


def select_features(train: Samples, val: Samples, seed: int = 0, progress=None) -> SelectionResult:
    x, y = _targets(train)
    xv, yv = _targets(val)
    models, rmse_all = _fit(x, y, xv, yv, seed)
    gain = sum(m.booster_.feature_importance("gain") for m in models)
    gain_share = gain / gain.sum()
    rng = np.random.default_rng(seed)
    perm = np.zeros(len(FEATURE_NAMES))
    base_pred = np.stack([m.predict(xv) for m in models], axis=1)
    base = float(np.sqrt(np.mean(np.sum((base_pred - yv) ** 2, axis=1))))
    for j in range(len(FEATURE_NAMES)):
        xs = xv.copy()
        xs[:, j] = xs[rng.permutation(len(xs)), j]
        pred = np.stack([m.predict(xs) for m in models], axis=1)
        perm[j] = float(np.sqrt(np.mean(np.sum((pred - yv) ** 2, axis=1)))) - base
        if progress:
            progress()
    order = np.argsort(-perm, kind="stable")
    ranked = [FEATURE_NAMES[i] for i in order]
    table = [
        {"rank": r + 1, "name": FEATURE_NAMES[i], "gain_share": float(gain_share[i]),
         "permutation_rmse_increase_yd": float(perm[i])}
        for r, i in enumerate(order)
    ]
    curve = []
    for k in TOP_K_GRID:
        names = _with_prior(ranked[:k])
        cols = feature_indices(names)
        _, rmse = _fit(x[:, cols], y, xv[:, cols], yv, seed)
        curve.append((k, rmse))
    best = min(r for _, r in curve)
    k_chosen = next(k for k, r in curve if r <= best * (1 + TOLERANCE))
    return SelectionResult(_with_prior(ranked[:k_chosen]), table, curve, rmse_all)


def _with_prior(names: list[str]) -> list[str]:
    return list(KINEMATIC_FEATURES) + [n for n in names if n not in KINEMATIC_FEATURES]


def write_report(result: SelectionResult, md_path, png_path, command: str) -> None:
    """docs/feature-selection.md (table) and docs/feature_importance.png (plot)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = result.table[:30]
    fig, axes = plt.subplots(1, 2, figsize=(12, 8), gridspec_kw={"width_ratios": [3, 2]})
    names = [r["name"] for r in top][::-1]
    chosen = set(result.names)
    colors = ["tab:blue" if n in chosen else "tab:gray" for n in names]
    axes[0].barh(names, [r["permutation_rmse_increase_yd"] for r in top][::-1], color=colors)
    axes[0].set_xlabel("permutation importance: validation RMSE increase (yd)")
    axes[0].set_title("LightGBM, 1.0 s residual over damped acceleration (blue = kept)")
    ks, rm = zip(*result.k_curve)
    axes[1].plot(ks, rm, "o-")
    axes[1].set_xlabel("top-k features (+ kinematic prior)")
    axes[1].set_ylabel("validation RMSE of residual (yd)")
    axes[1].set_title(f"chosen k: {len(result.names)} features")
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)
    plt.close(fig)

    lines = [
        "# Feature selection",
        "",
        "Generated by the feature-selection study (`ghostedge.model.training.selection`, ~10-40 min on the",
        "shared 2-core machine); regenerate with:",
        "",
        f"    {command}",
        "",
        "Candidates: every feature the C++ builder (`cpp/src/features.cpp`) computes for a",
        "defender x target pair from positions and orientation at t-2..t (velocities and",
        "accelerations from position differences, never the provider's s/a/dir) plus play context.",
        "Model: LightGBM (300 trees, 31 leaves) on all candidates, fitted on the training games to",
        "the defender's 1.0 s displacement minus the damped-acceleration baseline's (x and y).",
        "Ranking: permutation importance on the validation games (RMSE increase when the column is",
        "shuffled); gain share shown beside it. Then LightGBM refitted on the top-k for each k below;",
        f"the smallest k within {TOLERANCE:.0%} of the best validation RMSE is kept; the four",
        "kinematic features (`def_vx, def_vy, def_ax, def_ay`) are always kept (the network's",
        "physics prior reads them).",
        "",
        f"LightGBM on all {len(FEATURE_NAMES)} candidates: validation RMSE {result.rmse_all:.3f} yd.",
        "",
        "| top-k | validation RMSE (yd) |",
        "|---:|---:|",
        *[f"| {k} | {r:.3f} |" for k, r in result.k_curve],
        "",
        f"**The shipped model uses these {len(result.names)} features:** "
        + ", ".join(f"`{n}`" for n in result.names),
        "",
        "![feature importance](feature_importance.png)",
        "",
        "| rank | feature | permutation importance (yd) | gain share | kept |",
        "|---:|---|---:|---:|:---:|",
        *[
            f"| {r['rank']} | `{r['name']}` | {r['permutation_rmse_increase_yd']:.4f} | "
            f"{r['gain_share']:.3f} | {'yes' if r['name'] in chosen else ''} |"
            for r in result.table
        ],
        "",
    ]
    with open(md_path, "w") as fh:
        fh.write("\n".join(lines))


# The set the shipped model uses: the output of `python -m ghostedge.model.training.selection` (see
# docs/feature-selection.md); that command fails loudly if the study no longer reproduces it.
SELECTED_FEATURES = (
    "def_vx", "def_vy", "def_ax", "def_ay", "tgt_rel_vy", "tgt_rel_y", "tgt_rel_vx", "tgt_rel_x",
    "tgt_dist_minus_help", "nopp_dist", "tgt_dist", "def_accel_along", "tgt_closing_speed",
    "ball_rel_x", "ball_vy", "def_goal_dist", "tgt_ay", "nopp_rel_x", "def_speed", "ctx_los_x",
    "def_x_past_los", "nmate_dist", "nopp_rel_vx", "def_o_y",
)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from tqdm import tqdm

    from ..data import load_dataset

    ap = argparse.ArgumentParser(prog="python -m ghostedge.model.training.selection", description=__doc__)
    ap.add_argument("--data", required=True)
    ap.add_argument("--docs", default="docs", help="folder for feature-selection.md and the plot")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    train, val = training_samples(load_dataset(args.data))
    with tqdm(total=len(FEATURE_NAMES), desc="permutation importance", file=sys.stderr) as bar:
        result = select_features(train, val, seed=args.seed, progress=bar.update)
    cmd = f"PYTHONPATH=python python -m ghostedge.model.training.selection --data {args.data} --docs {args.docs}"
    write_report(result, f"{args.docs}/feature-selection.md", f"{args.docs}/feature_importance.png", cmd)
    print(json.dumps({"selected": result.names, "k_curve": result.k_curve}))
    if tuple(result.names) != SELECTED_FEATURES:
        print("warning: the study chose a different set than SELECTED_FEATURES", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # LightGBM's OpenMP runtime crashed (SIGSEGV) during interpreter teardown here after all
    # output was written; skip the teardown.
    os._exit(code)
