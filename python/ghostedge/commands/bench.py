"""`ghostedge bench`: benchmarks on this machine, from the installed package (no torch, no repo)."""

from __future__ import annotations

import argparse

NAME = "bench"
HELP = (
    "Benchmark this machine with the installed package and its sample plays: per-frame latency "
    "by stage (decode, fuse+filter, features, model call, metric) for D x R pairs (default 7 x 5) "
    "and the worst case 11 x 11, back to back and paced at 10 Hz; inference alone by batch size "
    "and provider; decode and batch-filter throughput; the machine's facts. Writes bench.json "
    "and bench.png into --out; prints a table, or one JSON object with --json. Exit status 3 "
    "when a provider named in --providers is not available, 1 when one failed while measuring "
    "(what is available is measured all the same, the failure under \"errors\")."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true",
                   help="short run (about half a minute on 2 cores); default: the full run (minutes)")
    p.add_argument("--providers", default=None,
                   help="comma-separated ONNX Runtime providers to measure: cpu, cuda, tensorrt "
                        "(default: every one this onnxruntime offers)")
    p.add_argument("--pairs", type=int, default=35,
                   help="defender x receiver pairs per frame, as D x R with D, R <= 11 (default 35 "
                        "= 7 x 5); 11 x 11 = 121 is always measured too")
    p.add_argument("--model", default=None, help="ONNX ghost model (default: the shipped one)")
    p.add_argument("--compare-model", default=None,
                   help="a second ONNX model measured in the same run, interleaved with --model "
                        "(its figures under \"compare\", with ratios compare / model)")
    p.add_argument("--out", default=None,
                   help="output folder for bench.json, bench.png and the TensorRT engine cache "
                        "(default: ./ghostedge-bench-YYYYmmdd-HHMMSS)")
    p.add_argument("--seed", type=int, default=0, help="seed of the tag-read simulation (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run(args) -> int:
    import json
    import sys
    import time
    from pathlib import Path

    from ..jsonsafe import json_safe
    from ..sim.bench import BenchConfig, parse_providers, run_bench, shape_for_pairs
    from ..sim.bench_report import plot, render_table

    providers = parse_providers(args.providers)  # bad arguments fail before anything runs
    shape_for_pairs(args.pairs)
    out = Path(args.out) if args.out else Path(f"ghostedge-bench-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    result = run_bench(BenchConfig(quick=args.quick, providers=providers, pairs=args.pairs,
                                   model_path=args.model, compare_model_path=args.compare_model,
                                   out_dir=out, seed=args.seed, log=log))
    result["out_dir"] = str(out)
    result["plot"] = str(plot(result, out / "bench.png"))
    text = json.dumps(json_safe(result, ndigits=6), allow_nan=False)
    (out / "bench.json").write_text(text + "\n")
    print(text if args.json else render_table(result))
    if not args.json:
        print(f"\nfull result: {out / 'bench.json'}; plot: {result['plot']}")
    for part, error in result["errors"].items():
        print(f"ghostedge bench: {part} failed: {error}", file=sys.stderr)
    return 3 if result["providers"]["missing"] else 1 if result["errors"] else 0
