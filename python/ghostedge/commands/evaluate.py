"""`ghostedge evaluate`: the model and the position-only baselines on the windows of a data folder."""

from __future__ import annotations

NAME = "evaluate"
HELP = "evaluate the ghost model against baselines (1.0 s windows and full flights)"


def add_arguments(parser) -> None:
    parser.add_argument("--data", required=True, action="append",
                        help="data folder (tracking*.csv[.gz] + plays.csv[.gz], or Sportradar JSON); "
                             "repeat for several: figures for the union and, under by_dataset, per folder")
    parser.add_argument("--model", default=None, help="ONNX model (default: the shipped one)")
    parser.add_argument("--completion-model", default=None,
                        help="completion-probability ONNX model (default: the shipped one)")
    parser.add_argument("--split", default="all", choices=("all", "train", "val", "heldout"),
                        help="which games to evaluate: all of DIR (default), or one part of "
                             "ghostedge's own game split (heldout = the games held out from training)")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument("--plot", default=None, metavar="OUT.png", help="also plot ghosts vs actual paths of one play")
    parser.add_argument("--game", type=int, default=None, help="gameId of the play to plot")
    parser.add_argument("--play", type=int, default=None, help="playId of the play to plot")


def run(args) -> int:
    import json

    from ..analysis.evaluation import evaluation_report
    from ..model.inference import GhostModel
    from ..model.windows import DatasetUnion

    if args.plot and (args.game is None or args.play is None):
        raise ValueError("--plot needs --game and --play")
    ds = DatasetUnion.load(args.data)
    model = GhostModel(args.model)
    report = evaluation_report(ds, model, split=args.split)
    from ..analysis.reference import (
        evaluation_metric,  # the composite-metric table (docs/metric.md)
    )

    report["metric"] = evaluation_metric(ds, model, split=args.split)
    for name, part in report["by_dataset"].items():
        if len(ds.names) == 1:
            part["metric"] = report["metric"]
        elif part["n_plays"]:
            part["metric"] = evaluation_metric(ds.datasets[name], model, split=args.split)
    from ..analysis.counterfactual import counterfactual_report  # docs/metric.md
    from ..analysis.reference import evaluation_plays

    report["counterfactual"] = counterfactual_report(evaluation_plays(ds, args.split, model), model)
    from ..analysis.completion import completion_report  # docs/completion.md
    from ..model.completion import CompletionModel

    report["completion_probability"] = completion_report(evaluation_plays(ds, args.split, model), model,
                                                         CompletionModel(args.completion_model))
    if args.plot:
        from ..viz.ghosts import plot_play_ghosts

        key = (args.game, args.play)
        plot_play_ghosts(ds.datasets[ds.folder_of(*key)].play(*key), model, args.plot)
        report["plot"] = args.plot
    if args.json:
        print(json.dumps(report))
    else:
        w, f = report["windows_1s"], report["full_flight"]
        print(f"{report['n_plays']} plays, {report['n_windows']} windows, {report['n_flights']} flights "
              f"({args.split})")
        print(f"{'predictor':22s} {'ADE':>7s} {'FDE':>7s} {'flight RMSE':>12s}")
        for name in w:
            print(f"{name:22s} {w[name]['ade_yd']:7.3f} {w[name]['fde_yd']:7.3f} {f[name]['rmse_bdb_yd']:12.3f}")
        m = w["model"]
        print(f"coverage50 {m['coverage50']:.3f}  coverage90 {m['coverage90']:.3f}  "
              f"max predicted speed {report['max_pred_speed_yps']:.2f} yd/s")
    return 0
