"""What the loader makes of a file or folder: format, counts, frame rate, missing frames, unused columns.

Backs `ghostedge inspect`. Reads only the columns it needs from tracking files, so a Big Data Bowl
week (~1M rows) or the shared data (3.3M rows) takes seconds.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from . import formats as fm
from . import sportradar as sr
from .loader import (
    PASS_FORWARD_EVENTS,
    PLAY_CONTEXT_COLUMNS,
    _read_tracking_file,
    find_tracking_files,
    frame_rate,
    load_dataset,
    load_files,
    missing_frame_summary,
)
from .play import BALL_NFL_ID
from .targets import TARGET_SOURCES

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


def inspect_path(path: str | os.PathLike, progress: bool = False, derived: bool = False) -> dict:
    """Report on a tracking file or a data folder (tracking + plays/games/players tables).

    Keys: path, format, files (one report per CSV), games, plays, players, frames, rows,
    frame_rate_hz, missing_frames, errors (files that could not be read, with why).
    Sportradar play files (JSON) get :func:`inspect_play_files`'s report instead (with CSV files
    beside them, under ``play_files``). ``derived``: also load the CSV data whole and report what
    the loader derives (direction, line of scrimmage, pass result, targets by source).
    """
    p = Path(path)
    json_files, csv_files = find_tracking_files(p)
    if json_files and not csv_files:
        return inspect_play_files(p, json_files, progress)
    report = _inspect_tables(p, csv_files, progress)
    if derived:
        report["derived"] = load_dataset(p, progress=progress).derived
    if json_files:
        report["play_files"] = inspect_play_files(p, json_files, progress)
    return report


def _inspect_tables(p: Path, files: list[Path], progress: bool) -> dict:
    from tqdm import tqdm
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
    if report.get("format") == sr.FORMAT_NAME:
        return format_play_files_report(report)
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
    if report.get("derived"):
        lines.append("  derived: " + json.dumps(report["derived"], default=str))
    if report.get("play_files"):
        lines.append(format_play_files_report(report["play_files"]))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Sportradar play files: read one folder at a time (a game, as published), so a season's worth
# of files is reported without holding it all in memory.


def _add(total: dict, part: dict) -> None:
    """Sum nested count dicts (lists are concatenated, 'longest'/'max' keys take the maximum)."""
    for k, v in part.items():
        if isinstance(v, dict):
            _add(total.setdefault(k, {}), v)
        elif isinstance(v, list):
            total.setdefault(k, []).extend(v)
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            total[k] = max(total.get(k, 0), int(v)) if ("longest" in k or k.startswith("max")) else total.get(k, 0) + int(v)
        elif v is not None:
            total.setdefault(k, v)  # e.g. a median: the first folder's, see 'by folder' for others


def inspect_play_files(p: Path, files: list[Path], progress: bool = False) -> dict:
    """Report on Sportradar NGS play files (``ghostedge inspect`` on a game folder or a root of them).

    Keys: path, format, files, games, plays, players, frames, rows, frame_rate_hz,
    frame_rate_source, missing_frames, errors (the rejected files) and: pass_plays (with the
    forward-pass event), no_play_passes, pass_results (pass plays) and results_all_plays,
    targets_by_source (description / ball / none) with the description matching details,
    play_direction, absolute_yardline, pass_result (sources, disagreements), players_without_ids,
    reader (samples, repeated samples dropped, off-grid samples, ...), absent_columns, games_list.
    """
    from tqdm import tqdm

    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for f in files:
        by_folder[f.parent].append(f)
    seen_plays: dict[tuple[int, int], str] = {}
    games: dict[int, dict] = {}
    players: set[int] = set()
    derived_ids: set[int] = set()
    totals = {"frames": 0, "rows": 0}
    missing: dict = {}
    counts: dict = {}
    pass_events: Counter = Counter()
    results_pass: Counter = Counter()
    results_all: Counter = Counter()
    no_play_passes = 0
    rejected: list[dict] = []
    rate = None
    bar = tqdm(sorted(by_folder.items()), desc="inspect", unit="folder", file=sys.stderr,
               disable=None if progress else True)
    for folder, group in bar:
        bar.set_postfix_str(folder.name)
        try:
            ds = load_files(folder if p.is_dir() else p, group, [])
        except fm.DataFormatError as exc:  # nothing readable in this folder: every file refused
            rejected += [{"path": str(f), "reason": str(exc)} for f in group] if len(group) == 1 else \
                [{"path": str(folder), "reason": str(exc)}]
            continue
        rejected += ds.rejected_files
        tr, pl = ds.tracking, ds.plays
        keep = np.ones(len(pl), dtype=bool)
        for i, (g, q, src) in enumerate(zip(pl["gameId"], pl["playId"], pl["sourceFile"])):
            if (int(g), int(q)) in seen_plays:  # the same play in two folders
                keep[i] = False
                rejected.append({"path": src, "reason": f"{src}: play {g}/{q} already read from {seen_plays[(g, q)]}"})
            else:
                seen_plays[(int(g), int(q))] = src
        pl = pl[keep]
        is_ball = tr["nflId"].to_numpy() == BALL_NFL_ID
        players |= set(tr.loc[~is_ball, "nflId"].unique().tolist())
        derived_ids |= set(ds.players.loc[ds.players["idDerived"], "nflId"].tolist())
        totals["frames"] += len(tr[["gameId", "playId", "frameId"]].drop_duplicates())
        totals["rows"] += len(tr)
        _add(missing, missing_frame_summary(tr))
        _add(counts, ds.derived)
        if rate is None:
            rate = frame_rate(tr)
        is_pass = pl["passForwardFrameId"].notna()
        fwd = tr.loc[tr["event"].isin(PASS_FORWARD_EVENTS), ["gameId", "playId", "frameId", "event"]]
        fwd = fwd.sort_values("frameId").drop_duplicates(["gameId", "playId"])
        pass_events.update(fwd["event"].astype(str).tolist())
        results_pass.update(pl.loc[is_pass, "passResult"].fillna("none").tolist())
        results_all.update(pl["passResult"].fillna("none").tolist())
        no_play_passes += int((is_pass & pl["isNoPlay"].fillna(False).astype(bool)).sum())
        for g, n in pl["gameId"].value_counts().items():
            row = ds.games.set_index("gameId").loc[g]
            entry = games.setdefault(int(g), {
                "gameId": int(g), "gameSourceId": str(row["gameSourceId"]),
                "game": f"{row['visitorTeamAbbr']}@{row['homeTeamAbbr']}",
                "season": None if pd.isna(row["season"]) else int(row["season"]),
                "week": None if pd.isna(row["week"]) else int(row["week"]), "plays": 0, "folders": []})
            entry["plays"] += int(n)
            entry["folders"].append(str(folder))
    if not games:
        raise fm.DataFormatError(f"{p}: none of {len(files)} JSON files is Sportradar play tracking"
                                 + (f"; first: {rejected[0]['reason']}" if rejected else ""))
    targets = counts.get("targets", {})
    reader = counts.get("reader", {})
    return {
        "path": str(p),
        "format": sr.FORMAT_NAME,
        "description": sr.FORMAT_DESCRIPTION,
        "files": len(files),
        "games": len(games),
        "plays": len(seen_plays),
        "players": len(players),
        "frames": totals["frames"],
        "rows": totals["rows"],
        "frame_rate_hz": rate["hz"] if rate else None,
        "frame_rate_source": rate["source"] if rate else None,
        "missing_frames": missing,
        "errors": [{"path": r["path"], "error": r["reason"]} for r in rejected],
        "pass_plays": {"total": int(sum(pass_events.values())), **dict(sorted(pass_events.items()))},
        "no_play_passes": no_play_passes,
        "pass_results": dict(sorted(results_pass.items())),
        "results_all_plays": dict(sorted(results_all.items())),
        "targets_by_source": {k: int(targets.get("by_source", {}).get(k, 0)) for k in TARGET_SOURCES},
        "target_description_matches": targets.get("description_match", {}),
        "target_description_misses": targets.get("description_miss", {}),
        "play_direction": counts.get("play_direction", {}),
        "absolute_yardline": counts.get("absolute_yardline", {}),
        "defensive_team": counts.get("defensive_team", {}),
        "pass_result": counts.get("pass_result", {}),
        "pass_arrival_by_source": counts.get("pass_arrival", {}),
        "ball_not_following_throw": counts.get("ball_not_following_throw", {"plays": 0, "list": []}),
        "players_without_ids": {"player_entries": int(reader.get("player_entries_without_srus_id", 0)),
                                "players": len(derived_ids)},
        "reader": reader,
        "absent_columns": {"o": "no orientation: Play.o is NaN", "a": "no acceleration",
                           "jerseyNumber": "no jersey numbers: Play.jersey is ''"},
        "games_list": sorted(games.values(), key=lambda g: (g["season"] or 0, g["week"] or 0, g["game"])),
    }


def _pairs(counts: dict, skip=()) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if k not in skip) or "none"


def format_play_files_report(report: dict) -> str:
    """The human-readable form of :func:`inspect_play_files`'s report."""
    mf, direction, line = report["missing_frames"], report["play_direction"], report["absolute_yardline"]
    pr, tg, reader = report["pass_result"], report["targets_by_source"], report["reader"]
    pp, ids, stuck = report["pass_plays"], report["players_without_ids"], report["ball_not_following_throw"]
    rate = (f"{report['frame_rate_hz']:g} Hz ({report['frame_rate_source']})"
            if report["frame_rate_hz"] else "unknown")
    lines = [
        report["path"],
        f"  tracking format: {report['format']} ({report['description']})",
        (f"  files {report['files']}, games {report['games']}, plays {report['plays']}, players "
         f"{report['players']}, frames {report['frames']}, rows {report['rows']}"),
        f"  frame rate: {rate}",
        (f"  missing frames: {mf.get('frames_missing', 0)} in {mf.get('tracks_affected', 0)} of "
         f"{mf.get('tracks', 0)} tracks ({mf.get('plays_affected', 0)} plays), longest gap "
         f"{mf.get('longest_gap', 0)} frames; ball tracks affected {mf.get('ball_tracks_affected', 0)}"),
        (f"  pass plays: {pp['total']} ({_pairs(pp, skip=('total',))}), "
         f"of which ruled no play: {report['no_play_passes']}"),
        (f"  pass results of the pass plays: {_pairs(report['pass_results'])}; "
         f"of all plays: {_pairs(report['results_all_plays'])}"),
        (f"    from the description {pr.get('from_description', 0)}, from outcome events "
         f"{pr.get('from_events', 0)}; the two disagree on {pr.get('description_and_events_disagree', 0)}"),
        f"  pass arrival from: {_pairs(report['pass_arrival_by_source'])}",
        (f"  ball tracks that did not follow the throw (dropped): {stuck['plays']}"
         + "".join(f"  {s['gameId']}/{s['playId']}" for s in stuck["list"])),
        (f"  targets: description {tg['description']}, ball {tg['ball']}, none {tg['none']} "
         f"(description matched by: {_pairs(report['target_description_matches'])}; "
         f"not matched: {_pairs(report['target_description_misses'])})"),
        (f"  play direction derived for {direction.get('derived', 0)} plays "
         f"({_pairs(direction.get('by_reference_frame', {}))}), undetermined {direction.get('undetermined', 0)}"),
        (f"  line of scrimmage derived for {line.get('derived', 0)} plays (midfield from empty side "
         f"and number: {line.get('midfield_from_empty_side_and_number', 0)}); ball at the snap more "
         f"than 3 yd from it in {line.get('ball_over_3yd_from_line', 0)} of "
         f"{line.get('checked_against_ball_at_snap', 0)}"),
        (f"  players without srus_id: {ids['players']} ({ids['player_entries']} play entries), "
         f"given derived ids"),
        (f"  repeated samples dropped {reader.get('repeated_samples_dropped', 0)}, samples off the "
         f"0.1 s grid {reader.get('samples_off_the_0.1s_grid', 0)}"),
        "  not in the format: " + "; ".join(report["absent_columns"].values()),
        f"  rejected files: {len(report['errors'])}",
    ]
    for g in report["games_list"]:
        lines.append(f"  - game {g['gameId']}  {g['game']}  {g['season']} week {g['week']}  "
                     f"plays {g['plays']}  ({g['gameSourceId']})")
    for e in report["errors"]:
        lines.append(f"  ! {e['error']}")
    return "\n".join(lines)
