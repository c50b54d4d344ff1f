"""`ghostedge train-completion`: fit the completion probability (docs/completion.md) and write
its ONNX file next to the ghost model."""

from __future__ import annotations

NAME = "train-completion"
HELP = "fit the completion-probability model (logistic, calibrated) and export it to ONNX"


def add_arguments(parser) -> None:
    parser.add_argument("--data", action="append", required=True, metavar="DIR",
                        help="data folder of ordinary (complete) games, weight 1; repeatable")
    parser.add_argument("--highlights", action="append", default=[], metavar="DIR",
                        help="data folder of highlight plays, down-weighted; repeatable")
    parser.add_argument("--highlight-weight", type=float, default=0.0,
                        help="weight of a highlight pass against an ordinary one (default 0: highlight "
                             "plays teach the wrong air-distance effect, docs/completion.md)")
    parser.add_argument("--ghost-model", default=None, help="ghost model for the arrival separation")
    parser.add_argument("--out", default="models/ghostedge_completion.onnx")
    parser.add_argument("--plot", default=None, metavar="OUT.png", help="reliability plot")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run(args) -> int:
    import json

    from ..jsonsafe import json_safe
    from ..model.training.completion import train_completion

    if not 0.0 <= args.highlight_weight <= 1.0:
        raise ValueError("--highlight-weight must be in [0, 1]")
    report = train_completion(args.data, args.highlights, args.out, args.highlight_weight,
                              args.ghost_model, args.plot)
    if args.json:
        print(json.dumps(json_safe(report)))
    else:
        s = report["out_of_fold_ordinary"]
        print(f"wrote {report['out']}: out-of-fold on the ordinary games AUC {s['auc']:.3f}, "
              f"Brier {s['brier']:.3f} over {s['n']} passes")
    return 0
