"""`ghostedge train`: fit the ghost model on a data folder and write the ONNX file + model card."""

from __future__ import annotations

NAME = "train"
HELP = "train the ghost trajectory model (needs the 'train' extra: torch, onnx, lightgbm)"


def add_arguments(parser) -> None:
    parser.add_argument("--data", required=True, action="append",
                        help="data folder (tracking*.csv[.gz] + plays.csv[.gz], or Sportradar JSON); "
                             "repeat to train on several (their union, split by game)")
    parser.add_argument("--out", default="models/ghostedge_ghost.onnx", help="ONNX file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="the ensemble's training epochs (default 30)")
    parser.add_argument("--distil-epochs", type=int, default=None,
                        help="epochs of the shipped network distilled from the ensemble (default 30)")
    parser.add_argument("--ensemble-out", default=None,
                        help="also keep the ensemble (the teacher) as this ONNX file; it is evaluated either way")
    parser.add_argument("--no-card", action="store_true", help="do not write MODEL_CARD.md beside the model")
    parser.add_argument("--json", action="store_true", help="print the training summary as one JSON object")


def run(args) -> int:
    import json

    try:
        from ..model.training.pipeline import train
        from ..model.training.train import DEFAULTS
    except ImportError as exc:  # torch / onnx missing
        raise ValueError(f"training needs the 'train' extra (pip install ghostedge[train]): {exc}") from exc
    summary = train(args.data, args.out, seed=args.seed, epochs=args.epochs or DEFAULTS["epochs"],
                    card=not args.no_card, distil_epochs=args.distil_epochs,
                    ensemble_out=args.ensemble_out)
    if args.json:
        print(json.dumps(summary))
    else:
        h = summary["heldout"]
        w, f = h["windows_1s"], h["full_flight"]
        print(f"wrote {summary['out']} in {summary['train_seconds']:.0f} s; held-out games: "
              f"ADE {w['model']['ade_yd']:.3f} yd (damped acceleration {w['damped_acceleration']['ade_yd']:.3f}), "
              f"full-flight RMSE {f['model']['rmse_bdb_yd']:.3f} yd ({f['damped_acceleration']['rmse_bdb_yd']:.3f})")
    return 0
