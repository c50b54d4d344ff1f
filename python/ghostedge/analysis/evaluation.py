"""Evaluation of the ghost model and the position-only baselines on the windows of issue 3.

``evaluation_report`` builds the whole JSON report in one place; callers may add keys to the
returned dict (e.g. a ``metric`` section).
"""

from __future__ import annotations

import sys

import numpy as np

from ..model.baselines import BASELINES
from ..model.frames import CHI2_2DOF, WINDOW_H, max_step_speed
from ..model.inference import GhostModel
from ..model.windows import DatasetUnion, Samples, game_split, play_samples


def evaluation_samples(dataset, split: str = "all", progress: bool = True,
                       recorded: dict | None = None) -> tuple[Samples, int]:
    """Defensive-back samples of the plays in ``split`` ('all' or a windows.SPLITS name; with
    ``recorded``, a model's own record of its games, every game it does not list is held out)."""
    from tqdm import tqdm

    keys = dataset.play_keys()
    if split != "all":
        keys = [k for k in keys if game_split(k[0], recorded) == split]
    plays = tqdm(dataset.iter_plays(keys), total=len(keys), desc="evaluate", unit="play",
                 file=sys.stderr, disable=not progress)
    parts = [play_samples(p) for p in plays]
    s = Samples.concat(parts)
    keep = s.is_window | s.is_flight
    return s.subset(keep), len(keys)


def _window_metrics(pred: np.ndarray, true: np.ndarray, sigma: np.ndarray | None = None) -> dict:
    err = np.linalg.norm(pred - true, axis=-1)
    out = {"ade_yd": float(err.mean()), "fde_yd": float(err[:, -1].mean())}
    if sigma is not None:
        m2 = (((pred - true) / sigma) ** 2).sum(-1)
        out["coverage50"] = float((m2 <= CHI2_2DOF[50]).mean())
        out["coverage90"] = float((m2 <= CHI2_2DOF[90]).mean())
    return out


def _rmse_bdb(pred_points: np.ndarray, true_points: np.ndarray) -> dict:
    d = pred_points - true_points
    return {"rmse_bdb_yd": float(np.sqrt((d**2).mean(axis=0).sum() / 2.0))}


def _flight_points(paths: np.ndarray, s: Samples) -> np.ndarray:
    """All predicted points of the flights: frames t+1 .. passArrived of each flight row."""
    return np.concatenate([paths[i, : s.flight_len[i]] for i in range(len(s))]) if len(s) else np.zeros((0, 2))


def run_model(s: Samples, model: GhostModel) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{run: (mean, sigma)} of ``model`` on samples ``s``, for each of windows.MODEL_RUNS."""
    out = {}
    for name, features in s.features_by_run().items():
        mean, sigma, valid = model.run_features(features)
        if not valid.all():
            raise ValueError(f"{int((~valid).sum())} evaluation rows have non-finite features")
        out[name] = (mean, sigma)
    return out


def _figures(s: Samples, runs: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """The report's figures for samples ``s`` and the model's predictions of them
    ({run: (mean, sigma)}, :func:`run_model`)."""
    p2, p1, p0 = s.past[:, 0], s.past[:, 1], np.zeros_like(s.past[:, 0])
    w, f = s.is_window, s.is_flight
    horizon = next(iter(runs.values()))[0].shape[1]
    if f.any() and s.flight_len[f].max() > horizon:
        raise ValueError(f"a flight is longer than the model's horizon ({horizon} frames)")
    true_w = s.future[w, :WINDOW_H]
    fs = s.subset(f)
    true_f = _flight_points(fs.future, fs)
    windows, flight = {}, {}
    for name, (mean, sigma) in runs.items():
        windows[name] = _window_metrics(mean[w, :WINDOW_H], true_w, sigma[w, :WINDOW_H])
        flight[name] = _rmse_bdb(_flight_points(mean[f], fs), true_f)
    for name, fn in BASELINES.items():
        windows[name] = _window_metrics(fn(p2[w], p1[w], p0[w], WINDOW_H), true_w)
        flight[name] = _rmse_bdb(_flight_points(fn(p2[f], p1[f], p0[f], horizon), fs), true_f)
    return {
        "n_plays": int(len(set(zip(s.game_id.tolist(), s.play_id.tolist())))),
        "n_windows": int(w.sum()),
        "n_flights": int(f.sum()),
        "windows_1s": windows,
        "full_flight": flight,
        "max_pred_speed_yps": max(max_step_speed(np.zeros((len(s), 2)), mean) for mean, _ in runs.values()),
    }


def evaluation_report(dataset, model: GhostModel | None = None, split: str = "all", progress: bool = True) -> dict:
    """The evaluate command's JSON object (see issue 3) for the plays of ``split``."""
    model = model or GhostModel()
    s, n_read = evaluation_samples(dataset, split, progress, getattr(model, "split_games", None))
    if len(s) == 0:
        raise ValueError(f"no evaluation windows in the {split!r} plays ({n_read} plays read): "
                         "pass plays need passForwardFrameId, passArrivedFrameId and targetNflId")
    runs = run_model(s, model)
    report = _figures(s, runs)
    if isinstance(dataset, DatasetUnion):  # the same figures for each folder
        folder = np.array([dataset.folder_of(g, p) for g, p in zip(s.game_id, s.play_id)])
        report["by_dataset"] = {}
        for name in dataset.names:
            mine = folder == name
            report["by_dataset"][name] = (
                _figures(s.subset(mine), {k: (m[mine], sg[mine]) for k, (m, sg) in runs.items()}) if mine.any()
                else {"n_plays": 0, "n_windows": 0, "n_flights": 0})
    report["split"] = split
    report["model_path"] = str(model.path)
    report["providers"] = model.providers
    return report
