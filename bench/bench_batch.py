"""Throughput of `ghostedge batch` (docs/batch.md): plays per second through the whole offline
path (load, ghosts for the target and every eligible receiver, metric, decisions, Parquet
tables) with 1 and 2 workers, each into a fresh output folder, and the same plays scored in
this process without a pool (what a worker does, without the pool's start-up and transfers).

    python bench/bench_batch.py [--data DIR ...] [--workers 1 2] [--engine local|ray] [--json]

Nothing here asserts on time; the figures go into bench/RESULTS.md ("Batch").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time


def in_process(data: list[str]) -> dict:
    """Every partition scored in this process, one after another (one core, no pool)."""
    from ghostedge.analysis.batch import score_partition
    from ghostedge.analysis.batch_store import plan_source
    from ghostedge.model import GhostModel

    model = GhostModel()
    plays = scored = 0
    load_s = score_s = 0.0
    cpu_start = time.process_time()
    for d in data:
        source = plan_source(d)
        t = time.perf_counter()
        tasks = source.load_games() if source.split else source.tasks
        load_s += time.perf_counter() - t
        for task in tasks:
            t = time.perf_counter()
            dataset = task.load()
            load_s += time.perf_counter() - t
            t = time.perf_counter()
            result = score_partition(task.id, dataset, model)
            score_s += time.perf_counter() - t
            plays += result.counts["plays"]
            scored += result.counts["scored"]
    cpu_s = time.process_time() - cpu_start
    return {"plays": plays, "scored": scored, "load_s": round(load_s, 2), "score_s": round(score_s, 2),
            "cpu_s": round(cpu_s, 2), "plays_per_cpu_s_load_and_score": round(plays / cpu_s, 2),
            "plays_per_s_scoring": round(plays / score_s, 2), "scored_per_s_scoring": round(scored / score_s, 2)}


def pooled(data: list[str], workers: int, engine: str) -> dict:
    from ghostedge.analysis.batch_engines import BatchOptions, run_batch

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    with tempfile.TemporaryDirectory(prefix="ghostedge-bench-batch-") as out:
        driver_cpu = cpu()
        summary = run_batch(BatchOptions(data=data, out=out, engine=engine, workers=workers, progress=False),
                            log=lambda s: None)
        driver_cpu = cpu() - driver_cpu
        rerun = run_batch(BatchOptions(data=data, out=out, engine=engine, workers=workers, progress=False),
                          log=lambda s: None)
    plays = summary["plays"]
    return {
        "workers": workers, "plays": plays["seen"], "scored": plays["scored"], "errors": plays["errors"],
        "skipped_by_reason": summary["skipped_by_reason"], "partitions": summary["partitions"]["run"],
        "driver_load_s": summary["driver_load_s"], "driver_write_s": summary["driver_write_s"],
        "scoring_s": summary["scoring_s"], "wall_s": summary["wall_s"],
        "worker_peak_rss_mb": summary["worker_peak_rss_mb"], "worker_cpu_s": summary["worker_cpu_s"],
        "driver_cpu_s": round(driver_cpu, 2),
        "plays_per_worker_cpu_s": round(plays["seen"] / summary["worker_cpu_s"], 2),
        "plays_per_s": summary["plays_per_s"],
        "plays_per_s_per_worker": round(summary["plays_per_s"] / workers, 2),
        "scored_per_s": round(plays["scored"] / summary["scoring_s"], 2),
        "rerun_partitions_run": rerun["partitions"]["run"], "rerun_wall_s": rerun["wall_s"],
    }


def main(argv=None) -> int:
    from _harness import default_data_dir

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", action="append", default=[], help="data folder (default: the shared highlights)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--engine", choices=("local", "ray"), default="local")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    data = args.data or [str(default_data_dir())]
    report = {"data": data, "engine": args.engine, "cpus": os.cpu_count(),
              "load_avg_start": os.getloadavg()[0], "in_process": in_process(data)}
    report["pooled"] = [pooled(data, w, args.engine) for w in args.workers]
    base = report["pooled"][0]["plays_per_s"]
    for row in report["pooled"]:
        row["speedup_vs_first"] = round(row["plays_per_s"] / base, 2) if base else None
    report["load_avg_end"] = os.getloadavg()[0]
    # ru_maxrss is in KiB on Linux; this process held the whole data set (in_process)
    report["peak_rss_mb_this_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(report))
    else:
        json.dump(report, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
