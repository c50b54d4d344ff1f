"""`ghostedge inspect PATH [--json]`: what the loader makes of a tracking file or data folder."""

from __future__ import annotations

NAME = "inspect"
HELP = (
    "Show what ghostedge understands of a tracking file or a data folder (any Big Data Bowl "
    "edition 2019-2026, the shared NGS format, or Sportradar NGS play-tracking JSON files): "
    "detected format, counts of games, plays, players, frames and rows, frame rate, missing "
    "frames and unused columns, per file; for JSON play files also pass plays, pass results, "
    "targets by source and the other derived fields."
)


def add_arguments(parser) -> None:
    parser.add_argument("path", help="a tracking CSV(.gz) or a folder with tracking and plays/games/players "
                                     "tables, or a folder (any nesting) of *.json / *.json.gz play files")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--derived", action="store_true",
                        help="CSV data: also load it whole and report what the loader derives (play "
                             "direction, line of scrimmage, pass result, targets by source); always on for JSON")


def run(args) -> int:
    import json

    from ..data.inspect import format_report, inspect_path

    report = inspect_path(args.path, progress=True, derived=args.derived)
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report))
    # 1 when some file could not be read (the report says which and why).
    return 1 if report["errors"] else 0
