"""Loader: every Big Data Bowl edition's excerpt to the same canonical values; errors; missing frames;
direction normalisation (synthetic and on the real shared data); the shipped sample plays."""

from __future__ import annotations

import gzip
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghostedge.data import (
    BALL_NFL_ID,
    DataFormatError,
    detect_tracking_format,
    find_ngs_data,
    load_dataset,
    load_samples,
    missing_frame_summary,
    normalize_tracking_direction,
    read_tracking_csv,
    sample_data_dir,
)
from ghostedge.data.formats import TRACKING_FORMATS

DATA = Path(__file__).resolve().parent / "data"
_spec = importlib.util.spec_from_file_location("make_excerpts", DATA / "make_excerpts.py")
excerpts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(excerpts)

GAME, PLAY = excerpts.GAME, excerpts.PLAY
# folder -> (detected format, has ball rows, frames present, has o, has playDirection)
EDITIONS = {
    "ngs": ("ngs-shared", True, [1, 2, 3, 4], True, True),
    "bdb2019": ("bdb2019", True, [1, 2, 3, 4], False, False),
    "bdb2020": ("bdb2020", False, [1], True, True),
    "bdb2021": ("bdb2021", True, [1, 2, 3, 4], True, True),
    "bdb2022": ("bdb2022", True, [1, 2, 3, 4], True, True),
    "bdb2023": ("bdb2023", True, [1, 2, 3, 4], True, True),
    "bdb2024": ("bdb2024", True, [1, 2, 3, 4], True, True),
    "bdb2025": ("bdb2025", True, [1, 2, 3, 4], True, True),
    "bdb2026": ("bdb2026-input+bdb2026-output", False, [1, 2, 3, 4], True, True),
}


@pytest.mark.parametrize("folder", sorted(EDITIONS))
def test_every_edition_loads_to_the_same_canonical_values(folder):
    fmt, has_ball, frames, has_o, has_direction = EDITIONS[folder]
    ds = load_dataset(DATA / folder)
    assert ds.format == fmt
    tr = ds.tracking
    assert tr["nflId"].dtype == np.int64 and tr["frameId"].dtype == np.int64
    assert ds.play_keys() == [(GAME, PLAY)]
    for nfl_id, name, position, _jersey, club, _side, _role in excerpts.PLAYERS:
        rows = tr[tr["nflId"] == nfl_id].sort_values("frameId")
        assert rows["frameId"].tolist() == frames
        for _, row in rows.iterrows():
            truth = excerpts.truth_row(nfl_id, int(row["frameId"]))
            assert row["x"] == pytest.approx(truth["x"]) and row["y"] == pytest.approx(truth["y"])
            if has_o and int(row["frameId"]) <= (2 if folder == "bdb2026" else 4):  # 2026 output: x, y only
                assert row["o"] == pytest.approx(truth["o"]) and row["dir"] == pytest.approx(truth["dir"])
                assert row["s"] == pytest.approx(truth["s"])
        # club is the abbreviation everywhere: 2019 via games.csv, 2020 via HomeTeamAbbr, 2026 via
        # the supplementary table; names and positions via players.csv where tracking lacks them.
        assert set(rows["club"]) == {club}
        assert set(rows["displayName"]) == {name}
        assert set(rows["position"]) == {position}
        if has_direction:
            assert set(rows["playDirection"]) == {"left"}
    ball = tr[tr["nflId"] == BALL_NFL_ID]
    assert len(ball) == (4 if has_ball else 0)
    if has_ball:
        assert set(ball["club"]) == {"football"}
        assert ball["x"].tolist() == [excerpts.truth_row(-1, f)["x"] for f in sorted(ball["frameId"])]


@pytest.mark.parametrize("folder", ["ngs", "bdb2019", "bdb2021", "bdb2023", "bdb2024", "bdb2025"])
def test_pass_frames_come_from_the_events_when_the_plays_table_lacks_them(folder):
    play = load_dataset(DATA / folder).play(GAME, PLAY)
    assert (play.pass_forward_frame, play.pass_arrived_frame) == (3, 4)
    assert play.frame_index(3) == 2


def test_2026_output_frames_follow_the_input_and_the_play_row_is_built():
    ds = load_dataset(DATA / "bdb2026")
    play = ds.play(GAME, PLAY)
    assert play.n_frames == 4 and play.present.all()
    assert (play.pass_forward_frame, play.pass_arrived_frame, play.target_nfl_id) == (2, 4, 100)
    assert play.context["ballLandX"] == pytest.approx(40.5)
    assert play.possession_team == "HOM" and play.defensive_team == "AWY"
    assert play.nfl_ids[play.defensive_backs()].tolist() == [200]
    assert np.isnan(play.ball_xy).all()  # 2026 ships no ball track, only its landing point


def test_2026_output_alone_is_a_clear_error(tmp_path):
    shutil.copy(DATA / "bdb2026" / "train" / "output_2023_w01.csv", tmp_path / "output_2023_w01.csv")
    with pytest.raises(DataFormatError, match="input"):
        load_dataset(tmp_path)


def test_detection_uses_columns_not_file_names(tmp_path):
    # A 2024 tracking file named like a plays table, and a plays table named like tracking.
    shutil.copy(DATA / "bdb2024" / "tracking_week_1.csv", tmp_path / "plays.csv")
    shutil.copy(DATA / "bdb2019" / "plays.csv", tmp_path / "tracking.csv")
    ds = load_dataset(tmp_path)
    assert ds.format == "bdb2024"
    assert ds.plays.loc[0, "possessionTeam"] == "HOM"


@pytest.mark.parametrize("fmt", TRACKING_FORMATS, ids=lambda f: f.name)
def test_each_editions_own_header_is_detected_as_that_edition(fmt):
    assert detect_tracking_format(fmt.columns).name == fmt.name


def test_missing_required_columns_name_them_and_the_closest_format(tmp_path):
    df = pd.read_csv(DATA / "bdb2024" / "tracking_week_1.csv").drop(columns=["x"])
    df.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataFormatError, match=r"\['x'\].*closest format: bdb2024"):
        read_tracking_csv(tmp_path / "t.csv")


def test_non_numeric_x_names_the_column_and_an_example_row(tmp_path):
    df = pd.read_csv(DATA / "bdb2021" / "week1.csv", dtype=str)
    df.loc[2, "x"] = "12,5yd"
    df.to_csv(tmp_path / "week1.csv", index=False)
    with pytest.raises(DataFormatError, match=r"column 'x' is not numeric.*data row 3 \(file line 4\).*12,5yd"):
        load_dataset(tmp_path)


def test_empty_and_header_only_files(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty file"):
        read_tracking_csv(tmp_path / "empty.csv")
    header = (DATA / "bdb2024" / "tracking_week_1.csv").read_text().splitlines()[0]
    (tmp_path / "header.csv").write_text(header + "\n")
    with pytest.raises(DataFormatError, match="no data rows"):
        read_tracking_csv(tmp_path / "header.csv")


def test_truncated_gzip_is_a_clear_error(tmp_path):
    data = gzip.compress((DATA / "bdb2024" / "tracking_week_1.csv").read_bytes() * 50)
    (tmp_path / "t.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="truncated or corrupt gzip"):
        read_tracking_csv(tmp_path / "t.csv.gz")


def test_files_that_are_not_csv(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DataFormatError, match="binary content"):
        read_tracking_csv(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("just some notes\nno commas here\n")
    with pytest.raises(DataFormatError, match="not a CSV header"):
        read_tracking_csv(tmp_path / "b.csv")
    (tmp_path / "c.csv").write_text("gameId\tplayId\tx\ty\n1\t2\t3\t4\n")
    with pytest.raises(DataFormatError, match="tab-separated"):
        read_tracking_csv(tmp_path / "c.csv")
    (tmp_path / "d.csv").write_text("alpha,beta\n1,2\n")
    with pytest.raises(DataFormatError, match="not a Big Data Bowl table"):
        load_dataset(tmp_path / "d.csv")


def test_missing_frames_are_counted_and_flagged_not_fatal(tmp_path):
    df = pd.read_csv(DATA / "ngs" / "tracking.csv")
    gone = (df["nflId"] == 200) & df["frameId"].isin([2, 3])
    df = pd.concat([df[~gone], df[df["nflId"] == 100].head(1)])  # and one duplicated row
    df.to_csv(tmp_path / "tracking.csv", index=False)
    ds = load_dataset(tmp_path)
    summary = ds.missing_frames()
    assert summary == missing_frame_summary(ds.tracking)
    assert summary["tracks"] == 3 and summary["tracks_affected"] == 1
    assert summary["frames_missing"] == 2 and summary["longest_gap"] == 2
    assert summary["plays_affected"] == 1 and summary["duplicate_rows"] == 1
    play = ds.play(GAME, PLAY)
    j = play.player_index(200)
    assert play.present[:, j].tolist() == [True, False, False, True]
    assert np.isnan(play.xy[1:3, j]).all()


def test_direction_normalisation_round_trip_and_agreement_with_play():
    tr = load_dataset(DATA / "bdb2024").tracking
    norm = normalize_tracking_direction(tr)
    assert set(norm["playDirection"]) == {"right"}
    np.testing.assert_allclose(norm["x"], 120.0 - tr["x"])
    np.testing.assert_allclose(norm["y"], 160.0 / 3.0 - tr["y"])
    back = norm.copy()
    back["playDirection"] = "left"
    again = normalize_tracking_direction(back)
    for col in ("x", "y", "o", "dir"):
        np.testing.assert_allclose(again[col], tr[col], atol=1e-9)
    # The DataFrame helper and Play.normalized() are the same transform.
    from ghostedge.data import build_play

    by_df = build_play(norm, {})
    by_play = build_play(tr, {}).normalized()
    np.testing.assert_allclose(by_df.xy, by_play.xy)
    np.testing.assert_allclose(by_df.o, by_play.o)
    np.testing.assert_allclose(by_df.provider_dir, by_play.provider_dir)
    right = tr.assign(playDirection="right")
    pd.testing.assert_frame_equal(normalize_tracking_direction(right), right)


@pytest.mark.slow
def test_normalised_angles_follow_motion_and_facing_on_the_real_data(ngs_dataset):
    """The +180 degree rule for o and dir checked on real NGS tracking, both play directions."""
    tr = normalize_tracking_direction(ngs_dataset.tracking)
    tr = tr[tr["nflId"] != BALL_NFL_ID].sort_values(["gameId", "playId", "nflId", "frameId"])
    same = (tr["nflId"].diff() == 0) & (tr["frameId"].diff() == 1) & (tr["playId"].diff() == 0)
    dx, dy = tr["x"].diff().shift(-1), tr["y"].diff().shift(-1)  # motion over the next frame
    moving = same.shift(-1, fill_value=False) & (tr["s"] > 3.0)
    motion_dir = np.degrees(np.arctan2(dx, dy)) % 360.0  # 0 = +y, clockwise
    err = np.abs((tr["dir"] - motion_dir + 180.0) % 360.0 - 180.0)[moving]
    raw_left = ngs_dataset.tracking.loc[err.index, "playDirection"] == "left"
    assert err[raw_left].median() < 10.0 and err[~raw_left].median() < 10.0
    # At the snap, after normalisation the offence faces +x (o = 90) and the defence -x (o = 270).
    plays = ngs_dataset.plays.set_index(["gameId", "playId"])
    snap = tr[tr["event"] == "ball_snap"].drop_duplicates(["gameId", "playId", "nflId"])
    possession = plays["possessionTeam"].reindex(pd.MultiIndex.from_frame(snap[["gameId", "playId"]])).to_numpy()
    offense_line = snap["position"].isin(["T", "G", "C", "OT", "OG"]).to_numpy() & (snap["club"].to_numpy() == possession)
    defense_line = snap["position"].isin(["DE", "DT", "NT"]).to_numpy() & (snap["club"].to_numpy() != possession)
    facing = lambda o, target: np.median(np.abs((o - target + 180.0) % 360.0 - 180.0))  # noqa: E731
    assert facing(snap["o"].to_numpy()[offense_line], 90.0) < 20.0
    assert facing(snap["o"].to_numpy()[defense_line], 270.0) < 20.0


@pytest.mark.slow
def test_shared_data_counts_match_its_data_card(ngs_dataset):
    assert ngs_dataset.format == "ngs-shared"
    assert len(ngs_dataset.tracking) == 3340522
    assert len(ngs_dataset.play_keys()) == 428
    assert int((ngs_dataset.tracking["nflId"] == BALL_NFL_ID).sum()) == 149436
    mf = ngs_dataset.missing_frames()
    # Data card: 335 player tracks miss 10293 frames, 3 ball tracks miss 243; longest gap 171.
    assert (mf["tracks_affected"], mf["frames_missing"], mf["longest_gap"]) == (338, 10536, 171)
    assert (mf["ball_tracks_affected"], mf["plays_affected"]) == (3, 138)


def test_sample_plays_are_shipped_and_fit_for_replay():
    d = sample_data_dir()
    assert (d / "plays.csv.gz").is_file() and (d / "README.md").is_file()
    assert (d / "tracking.csv.gz").stat().st_size + (d / "plays.csv.gz").stat().st_size < 300_000
    ds = load_samples()
    assert ds.format == "ngs-shared" and 4 <= len(ds.play_keys()) <= 5
    for play in ds.iter_plays():
        assert play.target_nfl_id in play.nfl_ids[play.eligible_receivers()]
        assert len(play.defensive_backs()) >= 4
        assert play.pass_arrived_frame - play.pass_forward_frame >= 14  # 1.4 s or more in the air
        assert play.present.all() and np.isfinite(play.ball_xy).all()
        snap = int(np.flatnonzero(play.events == "ball_snap")[0])
        assert snap == 20  # 2 s of pre-snap frames kept
        assert play.frame_ids[-1] >= play.pass_arrived_frame + 10  # a second kept after the arrival


def test_hostile_ids_and_frame_ranges_are_refused_not_allocated(tmp_path):
    df = pd.read_csv(DATA / "ngs" / "tracking.csv")
    df.loc[0, "frameId"] = 2_000_000_000
    df.to_csv(tmp_path / "tracking.csv", index=False)
    with pytest.raises(DataFormatError, match="more than 36000 frames"):
        load_dataset(tmp_path).play(GAME, PLAY)
    df["frameId"] = df["frameId"].astype(float)
    df.loc[0, "frameId"] = 1.5
    df.to_csv(tmp_path / "tracking.csv", index=False)
    with pytest.raises(DataFormatError, match="'frameId' is not an integer id"):
        load_dataset(tmp_path)


def test_find_ngs_data_prefers_the_environment_then_the_candidates(tmp_path, monkeypatch):
    env_dir, cand_dir, empty = tmp_path / "env", tmp_path / "cand", tmp_path / "empty"
    for d in (env_dir, cand_dir, empty):
        d.mkdir()
    (env_dir / "tracking.csv.gz").write_bytes(b"")
    (cand_dir / "tracking.csv.gz").write_bytes(b"")
    monkeypatch.setenv("GHOSTEDGE_NGS_DATA", str(env_dir))
    assert find_ngs_data(cand_dir) == env_dir
    monkeypatch.setenv("GHOSTEDGE_NGS_DATA", str(empty))  # no tracking file there: skipped
    assert find_ngs_data(empty, cand_dir) == cand_dir


def test_tracking_without_a_plays_table_gets_the_quarterbacks_club_as_offence(tmp_path):
    """No plays table: possession is the club of the play's quarterback, the defence the other
    club, so the play has receivers and defensive backs to score (counted in Dataset.derived)."""
    from ghostedge.data import sample_data_dir

    folder = sample_data_dir()
    tracking = pd.read_csv(folder / "tracking.csv.gz")
    game = int(tracking["gameId"].iloc[0])
    tracking[tracking["gameId"] == game].to_csv(tmp_path / "tracking.csv", index=False)
    bare = load_dataset(tmp_path)
    full = load_dataset(folder)
    for play in bare.iter_plays():
        ref = full.play(play.game_id, play.play_id)
        assert (play.possession_team, play.defensive_team) == (ref.possession_team, ref.defensive_team)
        assert play.eligible_receivers().size > 0 and play.defensive_backs().size > 0
    assert bare.derived["possession_team"]["derived"] == len(bare.play_keys())
