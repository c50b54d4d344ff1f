"""`ghostedge inspect`: report keys and counts on every edition's excerpt and on the shared data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ghostedge.cli import main
from ghostedge.data.inspect import format_report, inspect_path

DATA = Path(__file__).resolve().parent / "data"
REPORT_KEYS = {"path", "format", "files", "games", "plays", "players", "frames", "rows",
               "frame_rate_hz", "frame_rate_source", "missing_frames", "errors"}
# folder -> (format, frames, rows, frame rate)
EXPECTED = {
    "ngs": ("ngs-shared", 4, 12, 10.0),
    "bdb2019": ("bdb2019", 4, 12, 10.0),
    "bdb2020": ("bdb2020", 1, 2, None),  # one frame per play: no rate
    "bdb2021": ("bdb2021", 4, 12, 10.0),
    "bdb2022": ("bdb2022", 4, 12, 10.0),
    "bdb2023": ("bdb2023", 4, 12, 10.0),
    "bdb2024": ("bdb2024", 4, 12, 10.0),
    "bdb2025": ("bdb2025", 4, 12, 10.0),
    "bdb2026": ("bdb2026-input+bdb2026-output", 4, 8, 10.0),
}


def run_json(capsys, *argv) -> tuple[int, dict]:
    rc = main(["inspect", *argv, "--json"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object on stdout
    return rc, json.loads(out)


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_inspect_json_on_every_edition(capsys, folder):
    fmt, frames, rows, hz = EXPECTED[folder]
    rc, report = run_json(capsys, str(DATA / folder))
    assert rc == 0 and set(report) == REPORT_KEYS and report["errors"] == []
    assert report["format"] == fmt
    assert (report["games"], report["plays"], report["players"]) == (1, 1, 2)
    assert (report["frames"], report["rows"]) == (frames, rows)
    assert report["frame_rate_hz"] == hz
    assert report["missing_frames"]["frames_missing"] == 0
    kinds = {Path(f["path"]).name: f["kind"] for f in report["files"]}
    assert "tracking" in kinds.values()


def test_inspect_reports_columns_it_cannot_use_and_table_kinds():
    report = inspect_path(DATA / "bdb2021")
    (tracking,) = report["files"]
    assert set(tracking["unused_columns"]) == {"dis", "route"}
    report = inspect_path(DATA / "bdb2019")
    kinds = {Path(f["path"]).name: f["kind"] for f in report["files"]}
    assert kinds == {"games.csv": "games", "players.csv": "players", "plays.csv": "plays",
                     f"tracking_gameId_{2021091200}.csv": "tracking"}
    rate = [f for f in report["files"] if f["kind"] == "tracking"][0]["frame_rate"]
    assert rate == {"hz": 10.0, "source": "time column", "frame_step": 1}
    assert "nominal" in inspect_path(DATA / "bdb2026")["frame_rate_source"]  # 2026 has no time column


def test_inspect_single_file_and_human_output(capsys):
    rc = main(["inspect", str(DATA / "bdb2025" / "tracking_week_1.csv")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "tracking format: bdb2025" in out and "frames 4, rows 12" in out and "frameType" in out


def test_inspect_flags_missing_frames(tmp_path):
    lines = (DATA / "ngs" / "tracking.csv").read_text().splitlines()
    # drop frames 2 and 3 of player 200 (rows are frame-major: 3 entities per frame)
    kept = [ln for ln in lines if not (",200," in ln and ln.split(",")[7] in ("2", "3"))]
    (tmp_path / "tracking.csv").write_text("\n".join(kept) + "\n")
    mf = inspect_path(tmp_path)["missing_frames"]
    assert (mf["tracks_affected"], mf["frames_missing"], mf["longest_gap"]) == (1, 2, 2)


def test_broken_file_in_a_folder_is_reported_and_the_rest_still_inspected(capsys, tmp_path):
    shutil.copy(DATA / "bdb2024" / "tracking_week_1.csv", tmp_path / "tracking_week_1.csv")
    (tmp_path / "tracking_week_2.csv.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "notes.csv").write_text("alpha,beta\n1,2\n")
    rc, report = run_json(capsys, str(tmp_path))
    assert rc == 1
    assert report["format"] == "bdb2024" and report["rows"] == 12
    errors = {Path(e["path"]).name: e["error"] for e in report["errors"]}
    assert "gzip" in errors["tracking_week_2.csv.gz"]
    assert "not a Big Data Bowl table" in errors["notes.csv"]
    assert "tracking_week_2.csv.gz" in format_report(report)


def test_inspect_missing_path_is_a_user_error(capsys, tmp_path):
    assert main(["inspect", str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_inspect_json_on_the_shared_data(capsys, ngs_dir):
    rc, report = run_json(capsys, str(ngs_dir))
    assert rc == 0 and set(report) == REPORT_KEYS
    # Counts from the shared data card (README.md next to the data).
    assert report["format"] == "ngs-shared"
    assert (report["games"], report["plays"], report["players"]) == (252, 428, 1792)
    assert (report["frames"], report["rows"]) == (150483, 3340522)
    assert report["frame_rate_hz"] == pytest.approx(10.0)
    mf = report["missing_frames"]
    assert (mf["frames_missing"], mf["tracks_affected"], mf["longest_gap"]) == (10536, 338, 171)
    tracking = [f for f in report["files"] if f["kind"] == "tracking"][0]
    assert tracking["ball_rows"] == 149436 and tracking["unused_columns"] == []
