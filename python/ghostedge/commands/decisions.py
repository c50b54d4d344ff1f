"""`ghostedge decisions`: rank a pass play's eligible receivers by the expected value of the
throw (completion probability x gain, docs/completion.md), with ghost separation and coverage
beside it, optionally with a field diagram; ``--all --json`` scores every pass play."""

from __future__ import annotations

import argparse

NAME = "decisions"
HELP = "Rank the receivers of a pass play by expected value of the throw (quarterback-decision review)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="data folder (tracking*.csv[.gz] + plays.csv[.gz])")
    parser.add_argument("--game", type=int, default=None, help="gameId")
    parser.add_argument("--play", type=int, default=None, help="playId")
    parser.add_argument("--all", action="store_true",
                        help="every pass play of DIR (with --json: one row per play and receiver)")
    parser.add_argument("--split", default="all", choices=("all", "train", "val", "heldout"),
                        help="with --all: which games of ghostedge's game split")
    parser.add_argument("--completion-model", default=None,
                        help="completion-probability ONNX model (default: the shipped one)")
    parser.add_argument("--frame", type=int, default=None, help="decision frame (default: the throw)")
    parser.add_argument("--model", default=None, help="ONNX model (default: the shipped model)")
    parser.add_argument("--baseline", action="store_true",
                        help="use the constant-velocity physics baseline instead of the model")
    parser.add_argument("--plot", default=None, metavar="OUT.png", help="write a field diagram")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def load_model(path: str | None, baseline: bool):
    from ..model.baselines import ConstantVelocityModel

    if baseline:
        return ConstantVelocityModel()
    from ..model.inference import GhostModel

    return GhostModel(path)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from ..analysis.decisions import analyse_decision, decision_rows, decision_summary
    from ..data import load_dataset
    from ..jsonsafe import json_safe
    from ..model.completion import CompletionModel
    from ..viz.decisions import plot_decision

    if args.all == (args.game is not None or args.play is not None):
        raise ValueError("give either --game and --play, or --all")
    if not args.all and (args.game is None or args.play is None):
        raise ValueError("--game and --play go together")
    if args.all and not args.json:
        raise ValueError("--all writes rows: use it with --json")
    model = load_model(args.model, args.baseline)
    completion = CompletionModel(args.completion_model)
    print(f"loading {args.data} ...", file=sys.stderr)
    ds = load_dataset(args.data)
    if args.all:
        from ..analysis.reference import evaluation_plays

        rows, skipped = decision_rows(evaluation_plays(ds, args.split), model, completion)
        print(json.dumps(json_safe({"rows": rows, "n_plays": len({(r["gameId"], r["playId"]) for r in rows}),
                                    "n_plays_skipped": skipped, "split": args.split})))
        return 0
    play = ds.play(args.game, args.play)
    decision = analyse_decision(play, model, args.frame, completion)
    summary = decision_summary(decision)
    summary["model"] = "constant_velocity_baseline" if args.baseline else str(getattr(model, "path", args.model))
    summary["completion_model"] = str(completion.path)
    if args.plot:
        plot_decision(play, decision.options, decision.ghosts, args.plot, frame_id=decision.frame_id)
        summary["plot"] = args.plot
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"play {play.game_id}/{play.play_id}, decision at frame {decision.frame_id}, "
          f"scored to frame {decision.arrival_frame_id}")
    print(f"{'rank':>4}  {'receiver':<26}{'pos':<4}{'EV yd':>7}{'P(C)':>6}{'gain yd':>8}"
          f"{'sep@arr yd':>11}{'coverage':>9}  target")
    for o in decision.options:
        print(f"{o.rank:>4}  {o.name[:25]:<26}{o.position:<4}{o.expected_value_yd:>7.1f}"
              f"{o.completion_probability:>6.2f}{o.expected_gain_yd:>8.1f}{o.separation_at_arrival:>11.2f}"
              f"{o.coverage_score:>9.3f}  {'<- actual' if o.is_actual_target else ''}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0
