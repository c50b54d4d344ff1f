"""`ghostedge decisions`: rank a pass play's eligible receivers by how open the ghosts say each
would have been (docs/metric.md, "Quarterback decisions"), optionally with a field diagram."""

from __future__ import annotations

import argparse

NAME = "decisions"
HELP = "Rank the receivers of one pass play by ghost coverage (quarterback-decision review)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="data folder (tracking*.csv[.gz] + plays.csv[.gz])")
    parser.add_argument("--game", type=int, required=True, help="gameId")
    parser.add_argument("--play", type=int, required=True, help="playId")
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

    from ..analysis.decisions import analyse_decision, decision_summary
    from ..data import load_dataset
    from ..viz.decisions import plot_decision

    model = load_model(args.model, args.baseline)
    print(f"loading {args.data} ...", file=sys.stderr)
    play = load_dataset(args.data).play(args.game, args.play)
    decision = analyse_decision(play, model, args.frame)
    summary = decision_summary(decision)
    summary["model"] = "constant_velocity_baseline" if args.baseline else str(getattr(model, "path", args.model))
    if args.plot:
        plot_decision(play, decision.options, decision.ghosts, args.plot, frame_id=decision.frame_id)
        summary["plot"] = args.plot
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"play {play.game_id}/{play.play_id}, decision at frame {decision.frame_id}, "
          f"scored to frame {decision.arrival_frame_id}")
    print(f"{'rank':>4}  {'receiver':<26}{'pos':<4}{'sep@arrival yd':>15}{'coverage':>10}  target")
    for o in decision.options:
        print(f"{o.rank:>4}  {o.name[:25]:<26}{o.position:<4}{o.separation_at_arrival:>15.2f}"
              f"{o.coverage_score:>10.3f}  {'<- actual' if o.is_actual_target else ''}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0
