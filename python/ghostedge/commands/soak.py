"""`ghostedge soak`: a full game of real plays through the live engine with faults injected."""

from __future__ import annotations

NAME = "soak"
HELP = (
    "Replay real plays back to back as one continuous game (default 180 minutes at 10 Hz) through "
    "the live engine as fast as possible, injecting faults (garbage, corrupt and lost packets, "
    "clock jumps, dead and unknown tags, NaN/Inf frames, bad model files, slow inference); reports "
    "frames answered, exceptions, faults injected vs counted, memory, latency and recovery. Exits 1 "
    "on an unanswered frame, an exception, an uncounted fault or an unrecovered episode."
)


def add_arguments(parser) -> None:
    parser.add_argument("--game-minutes", type=float, default=180.0, help="game length (default 180)")
    parser.add_argument("--faults", default="all",
                        help="all, none, or a comma-separated list of fault kinds (see docs/reliability.md)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (faults and simulator)")
    parser.add_argument("--data", default=None,
                        help="data folder of real plays (default: $GHOSTEDGE_NGS_DATA, the shared data "
                             "next to a source checkout, else the plays shipped in the package)")
    parser.add_argument("--model", default=None, help="ONNX model (default: the shipped model)")
    parser.add_argument("--predictor", choices=("model", "constant-velocity"), default="model",
                        help="model: the ONNX model; constant-velocity: the baseline, to soak the "
                             "engine and ingest path without a trained model")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run(args) -> int:
    import json
    import sys

    from ..jsonsafe import json_safe
    from ..sim.faults import parse_fault_kinds
    from ..sim.soak import SoakConfig, run_soak, soak_failures

    if args.game_minutes <= 0:
        raise ValueError("--game-minutes must be positive")
    report = run_soak(SoakConfig(game_minutes=args.game_minutes, faults=parse_fault_kinds(args.faults),
                                 seed=args.seed, data=args.data, model_path=args.model,
                                 predictor=args.predictor))
    failures = report["gate_failures"] = soak_failures(report)
    if args.json:
        print(json.dumps(json_safe(report, ndigits=None), allow_nan=False))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    for line in failures:
        print(f"ghostedge soak: FAILED: {line}", file=sys.stderr)
    return 1 if failures else 0
