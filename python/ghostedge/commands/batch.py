"""`ghostedge batch`: every pass play of one or more data folders through the offline path
(ghosts for the target and every eligible receiver, metric, decisions), written as Parquet
tables, resumably, in a process pool or on Ray (docs/batch.md)."""

from __future__ import annotations

import argparse

NAME = "batch"
HELP = ("Score every pass play of --data folders (ghosts, metric, receiver ranking) into Parquet tables "
        "(plays, defenders, receivers, skipped, errors); resumable; --engine local or ray.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", action="append", default=[], metavar="DIR",
                        help="data folder or tracking file (any format `ghostedge inspect` reads); repeatable")
    parser.add_argument("--captures", action="append", default=[], metavar="DIR",
                        help="folder of archived tag-read captures (*.getr, each with its registry and "
                             "play facts: docs/batch.md); repeatable")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder: one Parquet file per table and partition; a rerun skips "
                             "the partitions already complete there")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local: a process pool on this machine (default); ray: Ray tasks on the "
                             "cluster at --address, or on a local Ray started for the run "
                             "(pip install 'ghostedge[distributed]')")
    parser.add_argument("--address", default=None,
                        help="Ray cluster address (e.g. auto, or ray://HEAD:10001); --engine ray only")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="parallel workers (default: this machine's CPUs; with ray: the cluster's)")
    parser.add_argument("--model", default=None, help="ONNX ghost model (default: the shipped one)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the metric's reference perturbation (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--json", action="store_true", help="print the run summary as one JSON object")


def run(args: argparse.Namespace) -> int:
    import json

    from ..analysis.batch_engines import BatchOptions, run_batch
    from ..ingest.captures import CAPTURE_SUFFIX, capture_dataset
    from ..model.inference import ModelError

    if not args.data and not args.captures:
        raise ValueError("give at least one --data or --captures folder")
    if args.address is not None and args.engine != "ray":
        raise ValueError("--address is for --engine ray")
    options = BatchOptions(data=args.data, out=args.out, engine=args.engine, workers=args.workers,
                           address=args.address, model=args.model, seed=args.seed,
                           progress=not args.no_progress, captures=args.captures,
                           capture_loader=capture_dataset, capture_suffix=CAPTURE_SUFFIX)
    try:
        summary = run_batch(options)
    except ModelError as exc:
        raise ValueError(str(exc)) from exc
    if args.json:
        print(json.dumps(summary))
        return 0
    p, parts = summary["plays"], summary["partitions"]
    print(f"{parts['run']} partitions scored, {parts['already_complete']} already complete, "
          f"{parts['failed_to_load']} failed to load; plays: {p['scored']} scored, {p['skipped']} skipped "
          f"{summary['skipped_by_reason']}, {p['errors']} errors; "
          f"{summary['plays_per_s'] or 0:.1f} plays/s on {summary['workers']} workers; tables in {args.out}/")
    return 0
