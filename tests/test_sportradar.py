"""Sportradar NGS play-tracking JSON: the loader on real play files (tests/data/sportradar, seven
files of the shared 2018 games, as published), play direction and line of scrimmage, missing
orientation, bad files, and the whole shared games folder (slow)."""

from __future__ import annotations

import copy
import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghostedge.cli import main
from ghostedge.data import BALL_NFL_ID, DataFormatError, derive, load_dataset
from ghostedge.data import sportradar as sr
from ghostedge.data.inspect import format_report, inspect_path
from ghostedge.data.loader import missing_frame_summary, normalize_tracking_direction
from ghostedge.data.sportradar_tables import load_play_files

DATA = Path(__file__).resolve().parent / "data" / "sportradar"
FUZZ_CORPUS = Path(__file__).resolve().parent / "data" / "sportradar_fuzz"
WILKINS = DATA / "IND_at_WAS" / "662aaa44-cef5-4133-b284-4d8a20e04317.json.gz"  # pass to J.Wilkins
HILTON = DATA / "IND_at_WAS" / "a19d585d-6a79-4615-a04f-d48e06028c4d.json.gz"  # T.Hilton = 'Eugene'
KICKOFF = DATA / "IND_at_WAS" / "25505325-df8c-4cf9-9e74-046b0f467630.json.gz"
INTERCEPTION = DATA / "LA_at_OAK" / "a2274c9d-dee1-4879-8aaf-2e174423ab48.json.gz"  # 'intended for J.Cook'
NO_RECEIVER = DATA / "LA_at_OAK" / "679508a1-33b9-4775-86ca-0bf29c5b0a3d.json.gz"  # 'pass incomplete short right.'
WITH_GAP = DATA / "PHI_at_TB" / "d7d3072a-a8cb-468e-8e2f-abebf1ee8c95.json.gz"  # 3 missing player frames
NO_SRUS_ID = DATA / "PHI_at_TB" / "36385c34-05c7-4eb5-afbe-1e6a2599a6b4.json.gz"  # a CB without srus_id


def doc_of(path: Path) -> dict:
    return orjson.loads(gzip.decompress(path.read_bytes()))


def write(path: Path, doc, gz: bool = True) -> Path:
    raw = json.dumps(doc).encode()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


@pytest.fixture(scope="module")
def excerpt():
    return load_dataset(DATA)


def test_the_excerpt_loads_from_game_folders_by_content(excerpt):
    assert excerpt.format == sr.FORMAT_NAME
    assert len(excerpt.play_keys()) == 7 and excerpt.rejected_files == []
    assert excerpt.plays["gameId"].nunique() == 3 and len(excerpt.games) == 3
    # Ids: stable integers derived from the UUIDs, which are kept.
    doc = doc_of(WILKINS)["play_tracking"]
    game_id = sr.stable_id("game", doc["game"]["srus_id"])
    play = excerpt.play(game_id, doc["play"]["reference"])
    assert play.play_id == 3424 and play.context["gameSourceId"] == doc["game"]["srus_id"]
    assert play.context["playSourceId"] == doc["play"]["srus_id"]
    luck = next(p for p in doc["away"]["players"] if p["last_name"] == "Luck")
    i = play.player_index(sr.stable_id("player", luck["srus_id"]))
    assert play.player_source_ids[i] == luck["srus_id"] and play.name[i] == "Andrew Luck"
    assert play.position[i] == "QB" and play.club[i] == "IND"
    # In the range the tag registry and the OSC output can carry, above every real nflId.
    assert all(10**8 <= n < 2**31 for n in [play.game_id, *play.nfl_ids[play.nfl_ids != BALL_NFL_ID]])
    # Same player, same id in every play of his; no id shared by two players anywhere.
    players = excerpt.players
    assert players["nflId"].is_unique and players["playerSourceId"].dropna().is_unique


def test_frames_come_from_the_utc_time_and_the_ball_lines_up_with_the_players(excerpt):
    doc = doc_of(WILKINS)["play_tracking"]
    play = excerpt.play(sr.stable_id("game", doc["game"]["srus_id"]), 3424)
    samples = [s for side in ("home", "away") for p in doc[side]["players"] for s in p["tracking"]]
    first = min(pd.Timestamp(s["time"]) for s in samples + doc["ball"]["tracking"])
    assert play.frame_ids[0] == 1
    # A player's sample at time t sits in frame 1 + (t - first) / 0.1 s.
    luck = next(p for p in doc["away"]["players"] if p["last_name"] == "Luck")
    i = play.player_index(sr.stable_id("player", luck["srus_id"]))
    for s in luck["tracking"][::17]:
        f = 1 + round((pd.Timestamp(s["time"]) - first).total_seconds() * 10)
        assert tuple(play.xy[play.frame_index(f), i]) == (s["x"], s["y"])
    # The file lists the ball newest first; at the throw it is in the passer's hands.
    assert doc["ball"]["tracking"][0]["time"] > doc["ball"]["tracking"][-1]["time"]
    t = play.frame_index(play.pass_forward_frame)
    assert np.hypot(*(play.ball_xy[t] - play.xy[t, i])) < 1.5
    assert play.events[t] == "pass_forward"
    rate = excerpt.derived["reader"]
    assert rate["samples_off_the_0.1s_grid"] == 0


def test_repeated_samples_are_dropped_and_gaps_kept_as_missing(excerpt):
    assert excerpt.derived["reader"]["repeated_samples_dropped"] == 27
    mf = missing_frame_summary(excerpt.tracking)
    assert mf["duplicate_rows"] == 0
    assert (mf["frames_missing"], mf["tracks_affected"], mf["plays_affected"]) == (3, 2, 1)
    doc = doc_of(WITH_GAP)["play_tracking"]
    play = excerpt.play(sr.stable_id("game", doc["game"]["srus_id"]), doc["play"]["reference"])
    missing = np.argwhere(~play.present[:, :])
    inside = [(t, n) for t, n in missing if play.present[:t, n].any() and play.present[t:, n].any()]
    assert len(inside) == 3
    for t, n in inside:
        assert np.isnan(play.xy[t, n]).all()


def test_no_orientation_no_jersey_and_provider_speed_kept_apart(excerpt):
    for play in excerpt.iter_plays():
        assert play.o.shape == (play.n_frames, play.n_players)
        assert np.isnan(play.o).all()  # never 0: the format has no orientation
        assert (play.jersey == "").all()
        moving = play.present & np.isfinite(play.provider_s)
        assert moving.any() and np.nanmax(play.provider_s) < 12.5
    assert not {"o", "a", "jerseyNumber"} & set(excerpt.tracking.columns)


def test_play_context_carries_what_the_csv_path_does(excerpt):
    doc = doc_of(WILKINS)["play_tracking"]
    play = excerpt.play(sr.stable_id("game", doc["game"]["srus_id"]), 3424)
    ctx = play.context
    assert (ctx["quarter"], ctx["down"], ctx["yardsToGo"], ctx["gameClock"]) == (4, 1, 8, "08:49")
    assert ctx["gameClockSeconds"] == 8 * 60 + 49
    assert (play.possession_team, play.defensive_team) == ("IND", "WAS")
    assert ctx["playDescription"] == doc["play"]["description"]
    assert (ctx["passResult"], ctx["targetSource"]) == ("C", "description")
    # Line of scrimmage: WAS 8, IND going left -> x = 10 + 8.
    assert play.play_direction == "left" and ctx["absoluteYardlineNumber"] == 18.0
    assert play.name[play.player_index(play.target_nfl_id)] == "Jordan Wilkins"
    assert play.pass_arrived_frame - play.pass_forward_frame == 7


def test_targets_by_source_and_pass_results_on_the_excerpt(excerpt):
    plays = excerpt.plays.set_index("playId")
    assert plays.loc[3976, "passResult"] == "IN" and plays.loc[3976, "targetSource"] == "description"
    assert plays.loc[1209, "targetSource"] == "description"  # T.Hilton is 'Eugene Hilton' here
    assert plays.loc[2575, "targetSource"] == "none" and pd.isna(plays.loc[2575, "targetNflId"])
    assert plays.loc[[3163, 1210], "targetSource"].isna().all()  # kickoff and punt: no pass
    t = excerpt.derived["targets"]
    assert t["pass_plays"] == 5 and t["by_source"] == {"column": 0, "description": 4, "ball": 0, "none": 1}
    assert t["description_match"] == {"name": 3, "last name": 1}


def test_a_player_without_srus_id_gets_a_derived_id_and_is_counted(excerpt):
    assert excerpt.derived["reader"]["players_without_srus_id"] == 1
    (row,) = excerpt.players[excerpt.players["idDerived"]].itertuples()
    assert (row.displayName, row.position, row.club) == ("Deiondre' Hall", "CB", "PHI")
    doc = doc_of(NO_SRUS_ID)["play_tracking"]
    play = excerpt.play(sr.stable_id("game", doc["game"]["srus_id"]), doc["play"]["reference"])
    i = play.player_index(row.nflId)
    assert play.player_source_ids[i] == "" and play.present[:, i].any()
    expected = sr.stable_id("player-without-srus_id",
                            f"{doc['game']['srus_id']}|PHI|Deiondre'|Hall|CB")
    assert row.nflId == expected


def test_ids_do_not_collide_across_games_and_the_same_game_in_two_folders_is_one_game(tmp_path):
    for f in (WILKINS, INTERCEPTION, NO_SRUS_ID):
        (tmp_path / "root" / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, tmp_path / "root" / f.parent.name / f.name)
    (tmp_path / "root" / "deeper" / "again").mkdir(parents=True)
    shutil.copy(HILTON, tmp_path / "root" / "deeper" / "again" / HILTON.name)  # IND@WAS again
    ds = load_dataset(tmp_path / "root")
    assert len(ds.play_keys()) == 4 and ds.plays["gameId"].nunique() == 3
    # A copy of a play already read is refused, with the reason, not loaded twice.
    shutil.copy(WILKINS, tmp_path / "root" / "deeper" / "copy.json.gz")
    ds = load_dataset(tmp_path / "root")
    assert len(ds.play_keys()) == 4
    (rej,) = ds.rejected_files
    assert rej["path"].endswith("copy.json.gz") and "the same play as" in rej["reason"]


def test_two_uuids_on_one_id_are_a_clear_error(monkeypatch):
    luck = next(p["srus_id"] for p in doc_of(WILKINS)["play_tracking"]["away"]["players"] if p["last_name"] == "Luck")
    carr = next(p["srus_id"] for p in doc_of(INTERCEPTION)["play_tracking"]["home"]["players"]
                if p["last_name"] == "Carr")
    real = sr.stable_id
    monkeypatch.setattr(sr, "stable_id", lambda kind, text: 123_456_789 if text in (luck, carr) else real(kind, text))
    with pytest.raises(DataFormatError, match="stable id collision.*123456789"):
        load_play_files([WILKINS, INTERCEPTION])


def test_csv_tables_and_json_play_files_in_one_folder_load_together(tmp_path):
    shutil.copytree(DATA.parent / "bdb2021", tmp_path / "mixed")
    shutil.copy(WILKINS, tmp_path / "mixed" / WILKINS.name)
    ds = load_dataset(tmp_path / "mixed")
    assert ds.format == "bdb2021+" + sr.FORMAT_NAME and len(ds.play_keys()) == 2
    left = normalize_tracking_direction(ds.tracking)
    assert (left["playDirection"] == "right").all()
    assert {p.context.get("targetSource") for p in ds.iter_plays()} == {"ball", "description"}


def test_a_single_plain_json_file_loads(tmp_path):
    path = write(tmp_path / "play.json", doc_of(HILTON), gz=False)
    ds = load_dataset(path)
    assert ds.format == sr.FORMAT_NAME and len(ds.play_keys()) == 1


# ---------------------------------------------------------------------------------------------
# Direction of play and line of scrimmage.


def _snap_table(offence_x: float, defence_x: float, event: str = "ball_snap") -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for frame in (1, 2):
        for k in range(3):
            # Before the snap (frame 1) the offence is somewhere else, 20 yd off.
            rows.append((1, 1, 100 + k, "OFF", frame, offence_x + k * 0.1 + (20 if frame == 1 else 0),
                         event if frame == 2 else None))
            rows.append((1, 1, 200 + k, "DEF", frame, defence_x + k * 0.1, event if frame == 2 else None))
        rows.append((1, 1, BALL_NFL_ID, "football", frame, (offence_x + defence_x) / 2, event if frame == 2 else None))
    tracking = pd.DataFrame(rows, columns=["gameId", "playId", "nflId", "club", "frameId", "x", "event"])
    plays = pd.DataFrame({"gameId": [1], "playId": [1], "possessionTeam": ["OFF"]})
    return tracking, plays


@pytest.mark.parametrize("offence_x, defence_x, expected", [(30.0, 33.0, "right"), (80.0, 76.0, "left")])
def test_direction_is_where_the_offence_lines_up_at_the_snap(offence_x, defence_x, expected):
    tracking, plays = _snap_table(offence_x, defence_x)
    out = derive.derive_play_directions(tracking, plays)
    assert out["playDirection"].tolist() == [expected]
    # Read at the snap (frame 2), not at the first frame.
    assert out["offenceGapYd"].iloc[0] == pytest.approx(abs(defence_x - offence_x), abs=0.2)
    assert out["playDirectionSource"].tolist() == ["formation at snap"]


def test_direction_falls_back_to_the_kick_then_the_first_frame():
    tracking, plays = _snap_table(30.0, 45.0, event="kickoff")
    out = derive.derive_play_directions(tracking, plays)
    assert out["playDirectionSource"].tolist() == ["formation at kick"] and out["playDirection"].tolist() == ["right"]
    tracking["event"] = None  # no event at all: the first frame, where the offence is at 50
    out = derive.derive_play_directions(tracking, plays)
    assert out["playDirectionSource"].tolist() == ["formation at first frame"]
    assert out["playDirection"].tolist() == ["left"]


def test_absolute_yardline_from_side_number_and_direction():
    plays = pd.DataFrame({
        "possessionTeam": ["A", "A", "A", "A", "A", "A"],
        "yardlineSide": ["A", "A", "B", "B", None, "A"],
        "yardlineNumber": [20, 20, 20, 20, None, 50],
        "playDirection": ["right", "left", "right", "left", "left", "right"],
    })
    assert derive.absolute_yardline(plays).tolist() == [30.0, 90.0, 90.0, 30.0, 60.0, 60.0]


def test_direction_and_line_of_scrimmage_agree_with_the_ball_at_the_snap(excerpt):
    """An independent check of the derived direction: the yard line ('WAS 8') names two places on
    the field, one per direction; the ball at the snap sits on the one the direction picks."""
    al = excerpt.derived["absolute_yardline"]
    assert al["checked_against_ball_at_snap"] == 6 and al["ball_over_3yd_from_line"] == 0
    checked = 0
    for play in excerpt.iter_plays():
        snap = np.flatnonzero(play.events == "ball_snap")
        if not snap.size:
            continue
        ball_x = play.ball_xy[int(snap[0]), 0]
        line = play.context["absoluteYardlineNumber"]
        flipped = play.context | {"absoluteYardlineNumber": None}
        other = derive.absolute_yardline(pd.DataFrame([{
            "possessionTeam": play.possession_team, "yardlineSide": flipped["yardlineSide"],
            "yardlineNumber": flipped["yardlineNumber"],
            "playDirection": "left" if play.play_direction == "right" else "right"}]))[0]
        assert abs(ball_x - line) < 3.0 and abs(ball_x - other) > abs(ball_x - line) + 4.0
        # After normalisation the offence lines up at smaller x than the defence.
        norm, offence = play.normalized(), ~play.is_defense()
        assert np.nanmean(norm.xy[int(snap[0]), offence, 0]) < np.nanmean(norm.xy[int(snap[0]), ~offence, 0])
        checked += 1
    assert checked == 6


# ---------------------------------------------------------------------------------------------
# Bad files: a clear error naming the file, or (in a folder) a counted rejection.


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    good = doc_of(WILKINS)
    no_home = copy.deepcopy(good)
    del no_home["play_tracking"]["home"]
    text_x = copy.deepcopy(good)
    text_x["play_tracking"]["away"]["players"][0]["tracking"][3]["x"] = "left"
    bad_time = copy.deepcopy(good)
    bad_time["play_tracking"]["ball"]["tracking"][0]["time"] = "yesterday"
    no_time = copy.deepcopy(good)
    del no_time["play_tracking"]["home"]["players"][2]["tracking"][0]["time"]
    raw = gzip.compress(json.dumps(good).encode())
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = {
        "not valid JSON (unexpected character": tmp_path / "notes.json",
        "truncated or corrupt gzip": tmp_path / "cut.json.gz",
        "not valid JSON (unexpected end": tmp_path / "half.json",
        "empty": tmp_path / "empty.json",
        "no 'play_tracking.home'": tmp_path / "no_home.json.gz",
        "x is not a number": tmp_path / "text_x.json.gz",
        "is not a UTC timestamp": tmp_path / "bad_time.json.gz",
        "has no 'time'": tmp_path / "no_time.json.gz",
        "not a Sportradar play-tracking object": tmp_path / "list.json",
        "no 'play_tracking'": tmp_path / "other.json",
    }
    files["not valid JSON (unexpected character"].write_text("gameId,playId\n1,2\n")
    files["truncated or corrupt gzip"].write_bytes(raw[: len(raw) // 2])
    files["not valid JSON (unexpected end"].write_bytes(json.dumps(good).encode()[:5000])
    files["empty"].write_bytes(b"")
    write(files["no 'play_tracking.home'"], no_home)
    write(files["x is not a number"], text_x)
    write(files["is not a UTC timestamp"], bad_time)
    write(files["has no 'time'"], no_time)
    write(files["not a Sportradar play-tracking object"], [1, 2, 3], gz=False)
    write(files["no 'play_tracking'"], {"plays": []}, gz=False)
    return files


def test_a_bad_single_file_is_a_clear_error_naming_it(tmp_path):
    for why, path in _bad_files(tmp_path).items():
        with pytest.raises(DataFormatError) as err:
            sr.read_play_file(path)
        assert str(path) in str(err.value) and why in str(err.value), (why, str(err.value))


def test_bad_files_in_a_folder_are_counted_rejections_not_a_failed_load(tmp_path):
    bad = _bad_files(tmp_path / "game")
    shutil.copy(WILKINS, tmp_path / "game" / WILKINS.name)
    ds = load_dataset(tmp_path / "game")
    assert len(ds.play_keys()) == 1
    assert {Path(r["path"]).name for r in ds.rejected_files} == {p.name for p in bad.values()}
    assert ds.derived["reader"]["rejected_files"] == len(bad)
    report = inspect_path(tmp_path / "game")
    assert len(report["errors"]) == len(bad) and report["plays"] == 1
    for p in bad.values():
        p.unlink()
    (tmp_path / "other").mkdir()
    write(tmp_path / "other" / "x.json", {"a": 1}, gz=False)
    with pytest.raises(DataFormatError, match="none of 1 JSON files"):
        load_dataset(tmp_path / "other")


def test_hostile_values_are_refused_not_allocated(tmp_path):
    doc = doc_of(KICKOFF)
    far = copy.deepcopy(doc)
    far["play_tracking"]["ball"]["tracking"][0]["time"] = "2031-01-01T00:00:00.000"
    with pytest.raises(DataFormatError, match="not one play"):
        sr.read_play_file(write(tmp_path / "far.json.gz", far))
    twice = copy.deepcopy(doc)
    twice["play_tracking"]["home"]["players"].append(twice["play_tracking"]["home"]["players"][0])
    with pytest.raises(DataFormatError, match="listed twice"):
        sr.read_play_file(write(tmp_path / "twice.json.gz", twice))
    same = copy.deepcopy(doc)
    same["play_tracking"]["away"]["alias"] = same["play_tracking"]["home"]["alias"]
    with pytest.raises(DataFormatError, match="same club"):
        sr.read_play_file(write(tmp_path / "same.json.gz", same))


def test_fuzz_corpus_inputs_load_or_raise_value_error():
    inputs = sorted(FUZZ_CORPUS.glob("*.json*"))
    assert len(inputs) >= 8
    for path in inputs:
        try:
            for _ in load_dataset(path).iter_plays():
                pass
        except ValueError:  # DataFormatError is one
            pass


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(doc, prefix=()):
    """Every (container, key) of a nested JSON document, samples thinned out."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:2] + doc[-1:] if len(doc) > 3 else doc):
            i = i if len(doc) <= 3 or i < 2 else len(doc) - 1
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


_SMALL = doc_of(KICKOFF)
_SMALL_PATHS = list(_paths(_SMALL))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(_SMALL_PATHS), st.booleans(), _JSON_VALUES), min_size=1, max_size=4))
def test_mutated_real_files_load_or_raise_a_clear_error(tmp_path, edits):
    """A real play file with values replaced or keys deleted anywhere: either it loads into plays,
    or load_dataset raises DataFormatError naming the file; never another exception."""
    doc = copy.deepcopy(_SMALL)
    for path, delete, value in edits:
        node = doc
        try:
            for key in path[:-1]:
                node = node[key]
            if delete and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    target = tmp_path / "mutated.json.gz"
    write(target, doc)
    try:
        ds = load_dataset(target)
        for play in ds.iter_plays():
            assert np.isnan(play.o).all()
    except DataFormatError as exc:
        assert str(target) in str(exc)


# ---------------------------------------------------------------------------------------------
# inspect


def test_inspect_reports_the_play_files(capsys):
    rc = main(["inspect", str(DATA), "--json"])
    out = capsys.readouterr().out
    assert rc == 0 and out.count("\n") == 1
    report = json.loads(out)
    assert report["format"] == sr.FORMAT_NAME and report["errors"] == []
    assert (report["files"], report["games"], report["plays"]) == (7, 3, 7)
    assert report["pass_plays"] == {"total": 5, "pass_forward": 5}
    assert report["pass_results"] == {"C": 3, "I": 1, "IN": 1}
    assert report["targets_by_source"] == {"column": 0, "description": 4, "ball": 0, "none": 1}
    assert report["play_direction"]["derived"] == 7
    assert report["missing_frames"]["frames_missing"] == 3
    assert report["players_without_ids"] == {"player_entries": 1, "players": 1}
    assert report["frame_rate_hz"] == 10.0
    text = format_report(report)
    assert "targets: description 4, ball 0, none 1" in text and "Play.o is NaN" in text


# ---------------------------------------------------------------------------------------------
# The whole shared games folder.


@pytest.mark.slow
def test_the_shared_games_match_their_data_card(ngs_games_dir):
    ds = load_dataset(ngs_games_dir)
    assert ds.rejected_files == [] and len(ds.play_keys()) == 500
    plays = ds.plays
    card = {"IND@WAS": (165, 76, 54, 20, 2), "LA@OAK": (167, 78, 45, 28, 3), "PHI@TB": (168, 84, 64, 17, 1)}
    events = derive.outcome_results(ds.tracking, plays)  # the card counts the outcome events
    fwd = ds.tracking.loc[ds.tracking["event"] == "pass_forward", ["gameId", "playId"]].drop_duplicates()
    has_fwd = pd.MultiIndex.from_frame(plays[["gameId", "playId"]]).isin(pd.MultiIndex.from_frame(fwd))
    for game, (n, n_fwd, caught, incomplete, intercepted) in card.items():
        _, home = game.split("@")
        mine = (plays["homeTeamAbbr"] == home).to_numpy()
        assert mine.sum() == n and (mine & has_fwd).sum() == n_fwd
        outcome = events[mine & has_fwd].value_counts().to_dict()
        assert (outcome.get("C", 0), outcome.get("I", 0), outcome.get("IN", 0)) == (caught, incomplete, intercepted)
    t = ds.derived["targets"]
    assert t["pass_plays"] == 239  # 238 pass_forward + 1 pass_shovel
    assert t["by_source"]["description"] == 238 and t["by_source"]["none"] == 1
    assert ds.derived["play_direction"]["undetermined"] == 0
    assert ds.derived["absolute_yardline"]["ball_over_3yd_from_line"] <= 1
    # Every play's target is an offensive player of that play.
    for play in ds.iter_plays():
        if play.target_nfl_id is not None:
            assert not play.is_defense()[play.player_index(play.target_nfl_id)]
