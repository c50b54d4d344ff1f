"""Fitting the completion probability (docs/completion.md): an L2-regularised logistic
regression on standardised on-field features, calibrated by Platt scaling on out-of-fold
predictions (leave one game out), exported as one small ONNX graph (Sub, Div, MatMul, Add,
Sigmoid) that ONNX Runtime runs exactly as fitted here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..completion import FEATURES, FORMAT

L2 = 1.0  # ridge penalty on the standardised coefficients (intercept free)


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, l2: float = L2,
                 iterations: int = 50) -> tuple[np.ndarray, float]:
    """Weighted ridge logistic regression by Newton's method; returns (coefficients, intercept)."""
    n, f = x.shape
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    a = np.c_[x, np.ones(n)]
    beta = np.zeros(f + 1)
    penalty = np.r_[np.full(f, l2), 0.0]
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(a @ beta)))
        grad = a.T @ (w * (p - y)) + penalty * beta
        hess = (a * (w * p * (1 - p))[:, None]).T @ a + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return beta[:f], float(beta[f])


def standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Medians (for missing values), means and standard deviations of the training rows."""
    med = np.nanmedian(x, axis=0)
    filled = np.where(np.isfinite(x), x, med)
    return med, filled.mean(0), filled.std(0) + 1e-6


def fit(x, y, groups, weights, l2: float = L2) -> dict:
    """Fit on all rows; Platt-calibrate on leave-one-group-out logits of the rows whose weight
    is 1 (the ordinary games: calibration must hold where the model is used). Returns the
    parameters and the out-of-fold predictions (calibrated) for the report."""
    x, y, groups, weights = (np.asarray(a) for a in (x, y, groups, weights))
    med, mean, std = standardiser(x)
    z = (np.where(np.isfinite(x), x, med) - mean) / std
    coef, icpt = fit_logistic(z, y, weights, l2)
    oof = np.full(len(y), np.nan)
    for g in np.unique(groups):
        test = groups == g
        c, b = fit_logistic(z[~test], y[~test], weights[~test], l2)
        oof[test] = z[test] @ c + b
    calib = weights >= 1.0
    a, b = fit_logistic(oof[calib, None], y[calib], None, l2=0.0)
    scale, shift = float(a[0]), float(b)
    p_oof = 1.0 / (1.0 + np.exp(-(scale * oof + shift)))
    return {"medians": med, "mean": mean, "std": std, "coef": coef * scale, "intercept": icpt * scale + shift,
            "platt": [scale, shift], "oof_probability": p_oof}


def export_onnx(params: dict, path: str | Path, info: dict) -> Path:
    """The graph: features [N, F] float32 -> (x - mean) / std -> @ coef + intercept -> sigmoid
    -> p_complete [N, 1]; medians, feature names and ``info`` in the metadata."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    f = len(FEATURES)
    inits = [
        numpy_helper.from_array(np.asarray(params["mean"], np.float32).reshape(1, f), "mean"),
        numpy_helper.from_array(np.asarray(params["std"], np.float32).reshape(1, f), "std"),
        numpy_helper.from_array(np.asarray(params["coef"], np.float32).reshape(f, 1), "coef"),
        numpy_helper.from_array(np.asarray([params["intercept"]], np.float32).reshape(1, 1), "intercept"),
    ]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "std"], ["z"]),
        helper.make_node("MatMul", ["z", "coef"], ["zc"]),
        helper.make_node("Add", ["zc", "intercept"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p_complete"]),
    ]
    graph = helper.make_graph(
        nodes, "ghostedge_completion",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", f])],
        [helper.make_tensor_value_info("p_complete", TensorProto.FLOAT, ["batch", 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="ghostedge")
    model.ir_version = 8
    for key, value in (("format", FORMAT), ("features", json.dumps(list(FEATURES))),
                       ("medians", json.dumps([float(v) for v in params["medians"]])), ("info", json.dumps(info))):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def training_rows(folder, ghost_model, weight: float, progress: bool = True):
    """(features, complete, gameId, weight) of every pass play with a completion / incompletion
    result in ``folder``, held-out games (``game_split``) left out."""
    import sys

    from tqdm import tqdm

    from ...analysis.completion import training_row
    from ...data import load_dataset
    from ..windows import game_split

    ds = load_dataset(folder)
    keys = [k for k in ds.play_keys() if game_split(k[0]) != "heldout"]
    rows = []
    for play in tqdm(ds.iter_plays(keys), total=len(keys), desc="completion rows", unit="play",
                     file=sys.stderr, disable=not progress):
        r = training_row(play, ghost_model)
        if r is not None:
            rows.append((r[0], r[1], play.game_id, weight))
    return rows


def _scores(p, y) -> dict:
    from ...analysis.validation import auc

    p, y = np.asarray(p, float), np.asarray(y, bool)
    return {"auc": auc(p[y], p[~y]), "brier": float(np.mean((p - y) ** 2)), "n": int(y.size)}


def train_completion(ordinary: list, highlights: list, out, highlight_weight: float = 0.0,
                     ghost_model_path=None, plot: str | None = None, progress: bool = True) -> dict:
    """Fit on the ordinary folders (weight 1) and the highlight folders (``highlight_weight``),
    write the ONNX file, and report out-of-fold AUC / Brier on the ordinary games for the
    chosen weighting and the alternatives (docs/completion.md)."""
    from ..inference import GhostModel

    ghost = GhostModel(ghost_model_path)
    base = [r for d in ordinary for r in training_rows(d, ghost, 1.0, progress)]
    hl = [r for d in highlights for r in training_rows(d, ghost, 1.0, progress)]
    if not base:
        raise ValueError("no completion / incompletion rows in the ordinary data folders")

    def run(weight_hl: float, columns=None):
        rows = base + [(x, c, g, weight_hl) for x, c, g, _ in hl] if weight_hl > 0 else base
        x = np.array([r[0] for r in rows])
        y = np.array([r[1] for r in rows], dtype=float)
        if columns is not None:
            keep = np.zeros(x.shape[1], bool)
            keep[list(columns)] = True
            x = np.where(keep[None], x, 0.0)  # other features constant: no information
        params = fit(x, y, np.array([r[2] for r in rows]), np.array([r[3] for r in rows]))
        ordinary_rows = np.arange(len(base))
        return params, _scores(params["oof_probability"][ordinary_rows], y[ordinary_rows])

    params, chosen = run(highlight_weight)
    variants = {f"highlight weight {w:g}": run(w)[1] for w in (0.0, 0.1, 0.25, 1.0) if w != highlight_weight}
    air = FEATURES.index("air_distance_yd")
    sep = FEATURES.index("separation_throw_yd")
    variants["air distance alone, highlight weight 1"] = run(1.0, [air])[1]
    variants["air distance alone, ordinary games only"] = run(0.0, [air])[1]
    variants["separation at the throw alone, ordinary games only"] = run(0.0, [sep])[1]
    info = {"highlight_weight": highlight_weight, "n_ordinary": len(base), "n_highlight": len(hl),
            "out_of_fold_ordinary": chosen, "coefficients_standardised": dict(zip(FEATURES, map(float, params["coef"])))}
    path = export_onnx(params, out, info)
    if plot:
        reliability_plot(params["oof_probability"][: len(base)], [r[1] for r in base], plot)
    return {"out": str(path), **info, "platt": params["platt"], "variants": variants}


def reliability_plot(p, complete, out_png, bins: int = 8) -> None:
    """Observed completion rate against the predicted probability (equal-count bins)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p, y = np.asarray(p, float), np.asarray(complete, float)
    order = np.argsort(p)
    groups = np.array_split(order, bins)
    px = [p[g].mean() for g in groups]
    py = [y[g].mean() for g in groups]
    fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=110)
    ax.plot([0, 1], [0, 1], color="gray", lw=1, ls="--", label="perfect calibration")
    ax.plot(px, py, marker="o", color="#1f77b4", label=f"out-of-fold, {len(p)} passes")
    ax.set_xlabel("predicted P(complete)")
    ax.set_ylabel("observed completion rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Completion probability, ordinary games", fontsize=9)
    fig.savefig(out_png, bbox_inches="tight")
    plt.close(fig)
