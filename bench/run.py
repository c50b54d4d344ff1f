#!/usr/bin/env python3
"""ghostedge benchmarks, all in one run (issue 6).

    python bench/run.py            # full run (minutes), writes bench/*.png
    python bench/run.py --quick    # short run (about a minute)
    python bench/run.py --smoke    # seconds: only checks that every benchmark runs (CI)
    python bench/run.py --json     # one JSON object on stdout (progress on stderr)

Sections: decode throughput (C++ vs pure Python), ingest filter throughput, inference alone
(ONNX Runtime vs PyTorch eager, batch 1 frame .. a season), end-to-end per-frame latency on real
plays against the reference Python pipeline on the same frames, batch scale (a play, a season
fraction scaled up, cost curves), memory over a long replay. Timings are wall-clock on whatever
machine runs this; RESULTS.md records the machine next to the numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
from pathlib import Path

import _harness  # noqa: F401  (bench/ is on sys.path: these are run as scripts)
from _harness import BENCH_DIR, machine_info, peak_rss_mb

# Per mode: how long each timing loop runs and how much data it uses.
MODES = {
    "smoke": dict(min_time_s=0.05, plays=1, repeats=1, frames_per_play=8, ref_frames=4, season_points=2e5,
                  batch_sizes=(35, 1024), soak_frames=50, plots=False, samples=True),
    "quick": dict(min_time_s=0.5, plays=3, repeats=1, frames_per_play=None, ref_frames=60, season_points=3e6,
                  batch_sizes=(1, 35, 256, 4096, 65536), soak_frames=3000, plots=False, samples=False),
    "full": dict(min_time_s=2.0, plays=8, repeats=3, frames_per_play=None, ref_frames=300,
                 season_points=3e7, batch_sizes=(1, 35, 128, 1024, 8192, 65536),
                 soak_frames=18000, plots=True, samples=False),
}

# The keys every run reports at the top level (issue 6); null when a section could not run.
HEADLINE_KEYS = (
    "frame_latency_p50_ms", "frame_latency_p99_ms", "frame_latency_max_ms", "frame_cpu_p50_ms",
    "frame_cpu_p99_ms", "pairs_per_frame",
    "pipeline_speedup_vs_reference", "pipeline_speedup_vs_reference_cpu", "decode_reads_per_s",
    "decode_speedup_vs_reference",
    "filter_player_frames_per_s", "inference_speedup_vs_torch", "season_points_per_s",
    "peak_rss_mb", "rss_growth_mb",
)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _section(name: str, fn, results: dict, *args) -> dict | None:
    log(f"{name} ...")
    t0 = time.perf_counter()
    try:
        out = fn(*args)
    except Exception as exc:  # a missing piece must not hide the others' numbers
        results["sections"][name] = {"status": "error", "error": f"{type(exc).__name__}: {exc}",
                                     "traceback": traceback.format_exc(limit=6)}
        log(f"{name}: FAILED {type(exc).__name__}: {exc}")
        return None
    out.setdefault("status", "ok")
    out["section_wall_s"] = round(time.perf_counter() - t0, 2)
    results["sections"][name] = out
    log(f"{name}: done in {out['section_wall_s']} s")
    return out


def run(mode: str, data_dir: Path | None, plot_dir: Path | None, model: Path | None = None) -> dict:
    import bench_inference
    import bench_pipeline
    import bench_scale
    import bench_throughput

    cfg = dict(MODES[mode], model_path=str(model) if model else None)
    results: dict = {"mode": mode, "machine": machine_info(), "sections": {}}
    head = {k: None for k in HEADLINE_KEYS}

    dec = _section("decode", bench_throughput.decode, results, cfg)
    if dec:
        head["decode_reads_per_s"] = dec["cpp_reads_per_s"]
        head["decode_speedup_vs_reference"] = dec["speedup_vs_reference"]
    flt = _section("filter", bench_throughput.filter_batch, results, cfg, data_dir)
    if flt:
        head["filter_player_frames_per_s"] = flt["player_frames_per_s"]
    inf = _section("inference", bench_inference.run, results, cfg, plot_dir)
    if inf:
        head["inference_speedup_vs_torch"] = inf["speedup_vs_torch_at_frame_batch"]
    e2e = _section("pipeline", bench_pipeline.run, results, cfg, data_dir, plot_dir)
    if e2e:
        head["frame_latency_p50_ms"] = e2e["frame"]["p50_ms"]
        head["frame_latency_p99_ms"] = e2e["frame"]["p99_ms"]
        head["frame_latency_max_ms"] = e2e["frame"]["max_ms"]
        head["frame_cpu_p50_ms"] = e2e["frame_cpu"]["p50_ms"]
        head["frame_cpu_p99_ms"] = e2e["frame_cpu"]["p99_ms"]
        head["pairs_per_frame"] = e2e["pairs_per_frame"]
        head["pipeline_speedup_vs_reference"] = e2e["speedup_vs_reference"]
        head["pipeline_speedup_vs_reference_cpu"] = e2e.get("speedup_vs_reference_cpu")
    scale = _section("scale", bench_scale.run, results, cfg, data_dir, plot_dir)
    if scale:
        head["season_points_per_s"] = scale["season"]["points_per_s"]
    mem = _section("memory", bench_scale.memory_soak, results, cfg, data_dir)
    if mem:
        head["rss_growth_mb"] = mem["rss_growth_after_warmup_mb"]
        head["peak_rss_mb"] = mem["peak_rss_mb"]
    results["bench_process_peak_rss_mb"] = peak_rss_mb()
    # Parts that could not run for a stated reason (not failures), e.g. the torch reference for
    # a model file the current GhostNet cannot be rebuilt from.
    results["skipped"] = {
        f"{name}.{part}": sec[part]["reason"]
        for name, sec in results["sections"].items() for part in ("torch", "reference")
        if isinstance(sec.get(part), dict) and sec[part].get("status") == "skipped"}

    results.update(head)
    return results


def _finite_or_none(obj):
    """JSON has no NaN/Infinity: write them as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    return obj


def _print_summary(res: dict) -> None:
    print(f"ghostedge benchmarks ({res['mode']}) on {res['machine']['cpu']}, "
          f"{res['machine']['cores']} cores")
    for k in HEADLINE_KEYS:
        v = res.get(k)
        print(f"  {k:32s} {v:,.4g}" if isinstance(v, (int, float)) else f"  {k:32s} {v}")
    for name, sec in res["sections"].items():
        if sec.get("status") != "ok":
            print(f"  section {name}: {sec.get('status')}: {sec.get('error', '')}")
    for part, reason in res.get("skipped", {}).items():
        print(f"  skipped {part}: {reason}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="short run (about a minute)")
    g.add_argument("--smoke", action="store_true", help="seconds-long run that only checks the code runs")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ap.add_argument("--data", type=Path, default=None,
                    help="shared-format data dir (default ../shared/data/ngs_highlights, else the "
                         "package's sample plays)")
    ap.add_argument("--model", type=Path, default=None,
                    help="ONNX ghost model to benchmark (default: the one the engine loads)")
    ap.add_argument("--save", type=Path, default=None,
                    help="also write the JSON result to this file (e.g. bench/results.json)")
    ap.add_argument("--plots", type=Path, default=None,
                    help="folder for the PNG curves (default: bench/ on a full run, none otherwise)")
    args = ap.parse_args(argv)

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    plot_dir = args.plots if args.plots is not None else (BENCH_DIR if MODES[mode]["plots"] else None)
    t0 = time.perf_counter()
    res = run(mode, args.data, plot_dir, args.model)
    res["wall_s"] = round(time.perf_counter() - t0, 1)
    res = _finite_or_none(res)
    text = json.dumps(res, indent=1, sort_keys=False)
    if args.save:
        args.save.write_text(text + "\n")
    if args.json:
        print(text)
    else:
        _print_summary(res)
    failed = [n for n, s in res["sections"].items() if s.get("status") != "ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
