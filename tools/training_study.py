"""Train ensemble variants and print their held-out ratios (the study behind models/MODEL_CARD.md,
"Measured by hand"; needs the 'train' extra).

    PYTHONPATH=python python tools/training_study.py [--data DIR ...] [--seed N] [--epochs N]
        [--members N] [--non-db-long-weight W] [--coverage90-target P] [--la-oak-validates]
        [--add-features NAME,NAME,...] [--drop-features NAME,NAME,...]
        [--samples CACHE.pkl] [--save-teacher F.onnx | --teacher F.onnx]
        [--distil]

Each run fits the ensemble (``train.fit``, the teacher of the shipped network) with the given
settings, then prints one JSON line: per data folder, the held-out games' 1.0 s ADE, FDE and
full-flight RMSE as ratios to damped acceleration and the coverage of the 50 % / 90 % regions,
with the landing given and estimated. ``--la-oak-validates``: the split before the shipped one,
LA at OAK validating instead of training; its figures are then printed too (the closest thing
here to a complete game the model has not trained on). ``--add-features``: candidate features
(``ghostedge.model.features.FEATURE_NAMES``) the network reads besides the shipped ones, after
them; ``--drop-features``: shipped ones it does not read.
``--samples``: keep the samples in this file and reuse them (building them takes a minute;
a file holds one split: use another file with ``--la-oak-validates``).
``--distil``: also distil the one-network student from the ensemble (as ``ghostedge train``
ships it) and print its ratios under "student"; ``--teacher`` reuses an ensemble that
``--save-teacher`` exported, instead of fitting one.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np

from ghostedge.analysis.evaluation import _figures, evaluation_samples
from ghostedge.model import features as F
from ghostedge.model import windows
from ghostedge.model.training import distil as D
from ghostedge.model.training import train as T
from ghostedge.model.training.card import model_ratios
from ghostedge.model.windows import MODEL_RUNS, DatasetUnion, recorded_splits, training_samples

FOLDERS = ["../shared/data/ngs_highlights", "../shared/data/ngs_games_2018"]
LA_AT_OAK = 1219929119


def build_samples(folders: list[str]) -> tuple:
    """(training rows, validation rows, {name: held-out samples}) as ``ghostedge train`` and
    ``ghostedge evaluate --split heldout`` build them."""
    union = DatasetUnion.load(folders)
    train, val = training_samples(union, progress=False)
    recorded = {int(g): k for k, gs in recorded_splits(union).items() for g in gs}
    held = {}
    for d in folders:
        one = DatasetUnion([(d, union.datasets[d])])
        held[d] = evaluation_samples(one, "heldout", False, recorded)[0]
        games_val = evaluation_samples(one, "val", False, recorded)[0]
        if windows.SPLIT_OVERRIDES.get(LA_AT_OAK) == "val" and (games_val.game_id == LA_AT_OAK).any():
            held[f"{d} (validation: LA at OAK)"] = games_val.subset(games_val.game_id == LA_AT_OAK)
    return train, val, held


def ratios(figures: dict, run: str) -> dict:
    ade, fde, flight = model_ratios(figures, run)
    w = figures["windows_1s"][run]
    return {"ade": round(ade, 3), "fde": round(fde, 3), "full_flight": round(flight, 3),
            "coverage50": round(w["coverage50"], 3), "coverage90": round(w["coverage90"], 3)}


def evaluate(net, held: dict) -> dict:
    cols = F.feature_indices(T.MODEL_FEATURES)
    out = {}
    for name, s in held.items():
        runs = {run: T._predict(net, feats[:, cols].astype(np.float32)) for run, feats in s.features_by_run().items()}
        figures = _figures(s, runs)
        out[name] = {MODEL_RUNS[run]: ratios(figures, run) for run in runs}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", action="append", default=None, help="data folders (default: both shared ones)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=T.DEFAULTS["epochs"])
    ap.add_argument("--members", type=int, default=T.DEFAULTS["n_members"])
    ap.add_argument("--non-db-long-weight", type=float, default=T.NON_DB_LONG_HORIZON_WEIGHT)
    ap.add_argument("--coverage90-target", type=float, default=T.CALIBRATION_TARGETS[90],
                    help="share of the validation points sigma is calibrated to hold in the 90 %% region")
    ap.add_argument("--la-oak-validates", action="store_true")
    ap.add_argument("--add-features", default="", help="comma-separated candidate features to read too")
    ap.add_argument("--drop-features", default="", help="comma-separated shipped features not to read")
    ap.add_argument("--samples", default=None, help="pickle file to keep / reuse the samples in")
    teacher = ap.add_mutually_exclusive_group()
    teacher.add_argument("--save-teacher", default=None, help="export the fitted ensemble to this ONNX file")
    teacher.add_argument("--teacher", default=None, help="an ensemble ONNX file to use instead of fitting one")
    ap.add_argument("--distil", action="store_true", help="also distil and evaluate the student")
    args = ap.parse_args()

    if args.la_oak_validates:
        windows.SPLIT_OVERRIDES[LA_AT_OAK] = "val"
    cache = Path(args.samples) if args.samples else None
    if cache and cache.exists():
        train, val, held = pickle.loads(cache.read_bytes())
    else:
        train, val, held = build_samples(args.data or FOLDERS)
        if cache:
            cache.write_bytes(pickle.dumps((train, val, held)))
    T.NON_DB_LONG_HORIZON_WEIGHT = args.non_db_long_weight
    added, dropped = (tuple(n for n in names.split(",") if n) for names in (args.add_features, args.drop_features))
    try:
        F.feature_indices(added + dropped)  # unknown names fail here, before any training
    except KeyError as e:
        ap.error(str(e))
    if args.teacher and (added or dropped):
        ap.error("--teacher reads the inputs it was exported with: no --add-features / --drop-features")
    not_read = [n for n in dropped if n not in T.MODEL_FEATURES or n in F.KINEMATIC_FEATURES]
    if not_read:
        ap.error(f"--drop-features: not shipped inputs, or the physics prior's: {not_read}")
    T.MODEL_FEATURES = tuple(n for n in T.MODEL_FEATURES if n not in dropped) + tuple(
        n for n in added if n not in T.MODEL_FEATURES)
    T.CALIBRATION_TARGETS = {**T.CALIBRATION_TARGETS, 90: args.coverage90_target}
    t0 = time.time()
    settings = {"seed": args.seed, "epochs": args.epochs, "members": args.members,
                "non_db_long_weight": args.non_db_long_weight, "coverage90_target": args.coverage90_target,
                "la_oak_validates": args.la_oak_validates, "teacher": args.teacher, "add_features": list(added),
                "drop_features": list(dropped)}
    result = {"settings": settings}
    if args.teacher:
        from ghostedge.model.training.network import GhostNet

        net = GhostNet.from_onnx(args.teacher)
    else:
        net, history, _ = T.fit(train, val, seed=args.seed, epochs=args.epochs, progress=False,
                                n_members=args.members)
        result["best_epoch"] = int(np.argmin([h["score"] for h in history]) + 1)
        if args.save_teacher:
            from ghostedge.model.training.export import export_onnx

            export_onnx(net, list(T.MODEL_FEATURES), args.save_teacher)
    result["heldout"] = evaluate(net, held)
    if args.distil:
        student, history, _ = D.distil(net, train, val, seed=args.seed, progress=False)
        result.update(student=evaluate(student, held),
                      best_distil_epoch=int(np.argmin([h["score"] for h in history]) + 1))
    result["seconds"] = round(time.time() - t0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
