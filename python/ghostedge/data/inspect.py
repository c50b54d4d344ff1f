"""What the loader makes of a file or folder: format, counts, frame rate, missing frames, unused columns.

Backs `ghostedge inspect`. Reads only the columns it needs from tracking files, so a Big Data Bowl
week (~1M rows) or the shared data (3.3M rows) takes seconds.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from . import formats as fm
from .loader import (
    PLAY_CONTEXT_COLUMNS,
    _read_tracking_file,
    frame_rate,
    list_table_files,
    missing_frame_summary,
)
from .play import BALL_NFL_ID

INSPECT_COLUMNS = {"gameId", "playId", "nflId", "frameId", "time", "x", "y"}
USED_PLAY_COLUMNS = set(PLAY_CONTEXT_COLUMNS) | {
    "gameId", "playId", "possessionTeam", "defensiveTeam", "passForwardFrameId",
    "passArrivedFrameId", "targetNflId", "passResult",
}
FILE_ERRORS = (fm.DataFormatError, OSError, ValueError)


def _tracking_report(path: Path, info: fm.TableInfo) -> tuple[dict, dict]:
    tr, _ = _read_tracking_file(path, info, INSPECT_COLUMNS)
    fmt = fm.FORMATS_BY_NAME[info.format]
    is_ball = tr["nflId"].to_numpy() == BALL_NFL_ID
    xy_missing = ~(np.isfinite(tr["x"].to_numpy()) & np.isfinite(tr["y"].to_numpy()))
    plays = tr[["gameId", "playId"]].drop_duplicates()
    keys = {
        "games": set(tr["gameId"].unique().tolist()),
        "plays": set(map(tuple, plays.to_numpy().tolist())),
        "players": set(tr.loc[~is_ball, "nflId"].unique().tolist()),
    }
    report = {
        "kind": fm.TRACKING,
        "format": fmt.name,
        "description": fmt.description,
        "rows": int(len(tr)),
        "games": len(keys["games"]),
        "plays": len(keys["plays"]),
        "players": len(keys["players"]),
        "frames": int(len(tr[["gameId", "playId", "frameId"]].drop_duplicates())),
        "ball_rows": int(is_ball.sum()),
        "rows_without_xy": int(xy_missing.sum()),
        "frame_rate": frame_rate(tr),
        "missing_frames": missing_frame_summary(tr),
        "unused_columns": info.unused_columns,
    }
    if fmt.name == "bdb2026-output":
        report["note"] = "frames are numbered from the throw; joined to the input file's frames on load"
    return report, keys


def _table_report(path: Path, info: fm.TableInfo) -> dict:
    df = fm.read_csv_checked(path)
    report = {"kind": info.kind, "format": info.format, "rows": int(len(df))}
    if info.kind == fm.PLAYS:
        canon = fm.canonicalize_plays(df.copy(), str(path))
        report["games"] = int(canon["gameId"].nunique())
        report["plays"] = int(len(canon[["gameId", "playId"]].drop_duplicates()))
        renamed = dict(zip(df.columns, canon.columns))
        report["unused_columns"] = [c for c in df.columns if renamed.get(c, c) not in USED_PLAY_COLUMNS]
    elif info.kind == fm.GAMES:
        report["games"] = int(df["gameId"].nunique()) if "gameId" in df else int(df["game_id"].nunique())
        report["unused_columns"] = info.unused_columns
    elif info.kind == fm.PLAYERS:
        report["players"] = int(fm.canonicalize_players(df, str(path))["nflId"].nunique())
        report["unused_columns"] = info.unused_columns
    else:
        report["unused_columns"] = info.unused_columns
    return report


def inspect_file(path: str | os.PathLike) -> tuple[dict, dict | None]:
    """(report, key sets or None) for one CSV file; raises DataFormatError when it is unreadable."""
    p = Path(path)
    info = fm.classify_columns(fm.read_header(p), str(p))
    if info.kind == fm.TRACKING:
        report, keys = _tracking_report(p, info)
    else:
        report, keys = _table_report(p, info), None
    return {"path": str(p), **report}, keys


def inspect_path(path: str | os.PathLike, progress: bool = False) -> dict:
    """Report on a tracking file or a data folder (tracking + plays/games/players tables).

    Keys: path, format, files (one report per CSV), games, plays, players, frames, rows,
    frame_rate_hz, missing_frames, errors (files that could not be read, with why).
    """
    from tqdm import tqdm

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file or directory: {p}")
    files = [p] if p.is_file() else list_table_files(p)
    if not files:
        raise fm.DataFormatError(f"{p}: no .csv or .csv.gz files")
    reports, errors = [], []
    union = {"games": set(), "plays": set(), "players": set()}
    totals = {"frames": 0, "rows": 0}
    missing = {"tracks": 0, "tracks_affected": 0, "frames_missing": 0, "longest_gap": 0,
               "plays_affected": 0, "ball_tracks_affected": 0, "duplicate_rows": 0}
    formats, rate = [], None
    bar = tqdm(files, desc="inspect", unit="file", file=sys.stderr, disable=None if progress else True)
    for f in bar:
        bar.set_postfix_str(f.name)
        try:
            report, keys = inspect_file(f)
        except FILE_ERRORS as exc:
            errors.append({"path": str(f), "error": str(exc)})
            continue
        reports.append(report)
        if keys is None:
            continue
        formats.append(report["format"])
        for k in union:
            union[k] |= keys[k]
        totals["frames"] += report["frames"]
        totals["rows"] += report["rows"]
        for k, v in report["missing_frames"].items():
            missing[k] = max(missing[k], v) if k == "longest_gap" else missing[k] + v
        if rate is None and report["frame_rate"]["hz"] is not None:
            rate = report["frame_rate"]
    has_tracking = bool(formats)
    return {
        "path": str(p),
        "format": "+".join(dict.fromkeys(formats)) if has_tracking else None,
        "files": reports,
        "games": len(union["games"]) if has_tracking else None,
        "plays": len(union["plays"]) if has_tracking else None,
        "players": len(union["players"]) if has_tracking else None,
        "frames": totals["frames"] if has_tracking else None,
        "rows": totals["rows"] if has_tracking else None,
        "frame_rate_hz": rate["hz"] if rate else None,
        "frame_rate_source": rate["source"] if rate else None,
        "missing_frames": missing if has_tracking else None,
        "errors": errors,
    }


def format_report(report: dict) -> str:
    """The human-readable form of :func:`inspect_path`'s report."""
    lines = [f"{report['path']}"]
    if report["format"]:
        mf = report["missing_frames"]
        rate = (f"{report['frame_rate_hz']:g} Hz ({report['frame_rate_source']})"
                if report["frame_rate_hz"] else "unknown (no time column, or one frame per play)")
        lines += [
            f"  tracking format: {report['format']}",
            f"  games {report['games']}, plays {report['plays']}, players {report['players']}, "
            f"frames {report['frames']}, rows {report['rows']}",
            f"  frame rate: {rate}",
            f"  missing frames: {mf['frames_missing']} in {mf['tracks_affected']} of {mf['tracks']} "
            f"tracks ({mf['plays_affected']} plays), longest gap {mf['longest_gap']} frames; "
            f"duplicate rows {mf['duplicate_rows']}",
        ]
    else:
        lines.append("  no tracking file understood")
    for r in report["files"]:
        what = f"{r['kind']}: {r['format']}"
        counts = ", ".join(f"{k} {r[k]}" for k in ("games", "plays", "players", "frames", "rows") if k in r)
        lines.append(f"  - {Path(r['path']).name}  [{what}]  {counts}")
        if r.get("kind") == fm.TRACKING:
            fr = r["frame_rate"]
            lines.append(f"      frame rate {fr['hz'] if fr['hz'] else '-'} Hz ({fr['source']}); "
                         f"ball rows {r['ball_rows']}; rows without x/y {r['rows_without_xy']}")
        if r.get("unused_columns"):
            lines.append(f"      not used: {', '.join(r['unused_columns'])}")
        if r.get("note"):
            lines.append(f"      note: {r['note']}")
    for e in report["errors"]:
        lines.append(f"  ! {Path(e['path']).name}: {e['error']}")
    return "\n".join(lines)
