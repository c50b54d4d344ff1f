"""``ghostedge train`` end to end (torch; never imported at run time): samples -> the ensemble
(train.py) -> the network distilled from it (distil.py) -> ONNX export of both -> evaluation of
both on the held-out games -> model card. Its own module so that train.py and distil.py, which
it composes, do not import each other."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..windows import DatasetUnion, recorded_splits, training_samples
from .train import DEFAULTS, MODEL_FEATURES, fit


def train(data_dirs, out: str | Path, seed: int = 0, epochs: int = DEFAULTS["epochs"],
          progress: bool = True, card: bool = True, distil_epochs: int | None = None,
          ensemble_out: str | Path | None = None) -> dict:
    """Train on one data folder or several (a list: their union, split by game): the ensemble,
    then the one-network student distilled from it (distil.py), which is what ``out`` holds.
    The ensemble is written to ``ensemble_out`` if given (else to a temporary file) and
    evaluated on the same held-out games, for the model card's comparison."""
    import json
    import tempfile

    from ...analysis.evaluation import evaluation_report
    from ..inference import GhostModel
    from .distil import STUDENT_DEFAULTS, distil
    from .export import export_onnx

    t0 = time.time()
    dirs = [str(data_dirs)] if isinstance(data_dirs, (str, Path)) else [str(d) for d in data_dirs]
    distil_epochs = distil_epochs or STUDENT_DEFAULTS["epochs"]
    ds = DatasetUnion.load(dirs)
    tr, va = training_samples(ds, progress=progress)
    teacher, history, _ = fit(tr, va, seed=seed, epochs=epochs, progress=progress)
    student, student_history, temps = distil(teacher, tr, va, seed=seed, epochs=distil_epochs, progress=progress)
    out = Path(out)
    extra = {"seed": seed, "epochs": epochs, "distil_epochs": distil_epochs,
             "split_games": json.dumps(recorded_splits(ds))}
    export_onnx(student, list(MODEL_FEATURES), out, extra={**extra, "distilled_from": "ensemble"})
    heldout = evaluation_report(ds, GhostModel(out), split="heldout", progress=progress)
    with tempfile.TemporaryDirectory() as tmp:
        teacher_path = Path(ensemble_out or Path(tmp) / "ensemble.onnx")
        export_onnx(teacher, list(MODEL_FEATURES), teacher_path, extra=extra)
        ensemble_heldout = evaluation_report(ds, GhostModel(teacher_path), split="heldout", progress=progress)
    data_args = " ".join(f"--data {d}" for d in dirs)
    summary = {
        "out": str(out), "seed": seed, "epochs": epochs, "distil_epochs": distil_epochs,
        "train_rows": len(tr), "val_rows": len(va),
        "best_epoch": int(np.argmin([h["score"] for h in history]) + 1),
        "best_distil_epoch": int(np.argmin([h["score"] for h in student_history]) + 1),
        "temperature_1s": [round(float(t), 3) for t in temps[:10]],
        "train_seconds": round(time.time() - t0, 1), "heldout": heldout, "ensemble_heldout": ensemble_heldout,
        "ensemble_out": str(ensemble_out) if ensemble_out else None,
        "command": f"ghostedge train {data_args} --out {out} --seed {seed} --epochs {epochs}"
                   + (f" --distil-epochs {distil_epochs}" if distil_epochs != STUDENT_DEFAULTS["epochs"] else ""),
        "evaluate_commands": [f"ghostedge evaluate --data {d} --split heldout --json" for d in dirs],
        "features": list(MODEL_FEATURES),
        "network": {k: DEFAULTS[k] for k in ("n_members", "hidden", "dropout")},
        "student": {k: STUDENT_DEFAULTS[k] for k in ("hidden", "dropout")},
    }
    if card:
        from .card import write_model_card

        write_model_card(summary, out.parent / "MODEL_CARD.md", dirs, ds)
    return summary
