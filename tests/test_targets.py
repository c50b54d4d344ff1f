"""Targets (and pass results) where a format has no target column: the receiver named in the play
description matched to the offence, else the eligible receiver nearest the ball at arrival.
Descriptions are real ones, from the shared 2018 games (Sportradar JSON) and the shared highlight
plays (CSV)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from ghostedge.data import load_dataset
from ghostedge.data import targets as tg
from ghostedge.data.inspect import inspect_path
from ghostedge.data.targets import (
    RosterEntry,
    match_receiver,
    named_receiver,
    pass_result_from_description,
)

DATA = Path(__file__).resolve().parent / "data"
WILKINS = DATA / "sportradar" / "IND_at_WAS" / "662aaa44-cef5-4133-b284-4d8a20e04317.json.gz"

# (description, named receiver, pass result). Games = the 2018 Sportradar games; HL = highlights.
DESCRIPTIONS = [
    # games: plain completion, with a tackler in brackets
    ("(9:29) (Shotgun) N.Foles pass short left to N.Agholor ran ob at TB 37 for 13 yards [J.Pierre-Paul].",
     "N.Agholor", "C"),
    # games: interception, 'intended for'
    (("(9:26) (Shotgun) A.Luck pass short middle intended for T.Hilton INTERCEPTED by D.Swearinger [J.Allen] "
     "at IND 36. D.Swearinger to IND 29 for 7 yards (T.Hilton)."), "T.Hilton", "IN"),
    # games: thrown away, nobody named
    ("(7:29) (Shotgun) D.Carr pass incomplete short right.", None, "I"),
    # games: spike, sack, scramble (a no-play): no receiver
    ("(:04) N.Foles spiked the ball to stop the clock.", None, None),
    ("(1:47) (Shotgun) A.Luck sacked at IND 38 for -2 yards (M.Ioannidis).", None, "S"),
    (("(:53) (Shotgun) A.Smith scrambles right end pushed ob at IND 32 for 4 yards (K.Moore II). PENALTY on "
     "WAS-M.Moses, Offensive Holding, 10 yards, enforced at IND 36 - No Play."), None, "R"),
    # games: a pass with a penalty that made it no play: the pass as thrown
    (("(6:36) (Shotgun) N.Foles pass incomplete short right to Z.Ertz [G.McCoy]. PENALTY on TB-C.Davis, "
     "Defensive Pass Interference, 10 yards, enforced at PHI 22 - No Play."), "Z.Ertz", "I"),
    # games: laterals after the catch: the pass went to the first man
    (("(:03) (Shotgun) N.Foles pass short right to Z.Ertz to PHI 28 for 7 yards. Lateral to N.Agholor to PHI "
     "21 for -7 yards. Lateral to N.Foles to PHI 15 for -6 yards. Lateral to W.Smallwood to PHI 19 for 4 "
     "yards. FUMBLES, RECOVERED by TB-L.David at PHI 16."), "Z.Ertz", "C"),
    # games: a hyphenated defender named after the pass, receiver first
    (("(4:26) J.Goff pass incomplete deep middle to B.Cooks (D.Rodgers-Cromartie). PENALTY on "
     "OAK-D.Rodgers-Cromartie, Defensive Pass Interference, 50 yards, enforced at LA 31 - No Play."),
     "B.Cooks", "I"),
    # games: a lineman reported in as eligible before the pass
    (("(9:32) (Shotgun) I.Seumalo reported in as eligible.  N.Foles pass incomplete short left to K.Aiken "
     "[B.Allen]."), "K.Aiken", "I"),
    # HL: suffixes on the passer and the receiver
    ("(4:22) (Shotgun) G.Minshew II pass short right to D.Chark Jr. for 8 yards, TOUCHDOWN.", "D.Chark Jr.", "C"),
    # HL: two-letter initial that tells two Williamses apart
    ("(6:43) P.Rivers pass deep left to Ty.Williams for 45 yards, TOUCHDOWN.", "Ty.Williams", "C"),
    # HL: reversed on review: the final ruling counts
    (("(:49) (Shotgun) M.Trubisky pass incomplete deep right to T.Gabriel. The Replay Official reviewed the "
     "incomplete pass ruling, and the play was REVERSED. (Shotgun) M.Trubisky pass deep right to T.Gabriel "
     "for 36 yards, TOUCHDOWN."), "T.Gabriel", "C"),
    (("(1:28) (Shotgun) D.Brees pass short right to M.Thomas to PIT 1 for 1 yard (J.Haden). The Replay "
     "Official reviewed the short of the goal line ruling, and the play was REVERSED. (Shotgun) D.Brees pass "
     "short right to M.Thomas for 2 yards, TOUCHDOWN. Pass 2, YAC 0"), "M.Thomas", "C"),
    # HL: jersey-number prefixes from a flea flicker
    (("(8:45) 4-C.Keenum laterals to 10-E.Sanders. E.Sanders pass deep right to C.Sutton for 28 yards, "
     "TOUCHDOWN."), "C.Sutton", "C"),
    # HL: two-point try, incomplete, then intercepted on the return
    (("TWO-POINT CONVERSION ATTEMPT. D.Brees pass to M.Thomas is incomplete. ATTEMPT FAILS. DEFENSIVE "
     "TWO-POINT ATTEMPT. D.Jackson intercepted the try attempt. ATTEMPT SUCCEEDS."), "M.Thomas", "IN"),
    # HL: the interceptor's three-letter initial is not the receiver
    (("(9:43) R.Tannehill pass short right intended for K.Ballage INTERCEPTED by Tel.Smith [C.Campbell] at "
     "MIA 33. Tel.Smith for 33 yards, TOUCHDOWN."), "K.Ballage", "IN"),
]


@pytest.mark.parametrize("description, receiver, result", DESCRIPTIONS)
def test_receiver_and_result_from_real_descriptions(description, receiver, result):
    assert named_receiver(description) == receiver
    assert pass_result_from_description(description) == result


def test_a_review_that_changes_the_receiver_reads_the_final_ruling():
    text = ("(3:02) T.Brady pass short left to J.Edelman to NE 40 for 5 yards. The Replay Official reviewed "
            "the pass completion ruling, and the play was REVERSED. T.Brady pass incomplete short left to "
            "R.Gronkowski.")
    assert named_receiver(text) == "R.Gronkowski" and pass_result_from_description(text) == "I"
    assert named_receiver(None) is None and pass_result_from_description(float("nan")) is None


def roster(*players: tuple[int, str, str]) -> list[RosterEntry]:
    return [RosterEntry(n, name, pos) for n, name, pos in players]


OFFENCE = roster(
    (1, "Mike Williams", "WR"), (2, "Tyrell Williams", "WR"), (3, "Equanimeous St. Brown", "WR"),
    (4, "Ha Ha Clinton-Dix", "TE"), (5, "Kenny Moore", "RB"), (6, "Robert Griffin III", "QB"),
    (7, "D.J. Chark", "WR"), (8, "Eugene Hilton", "WR"), (9, "Demaryius Thomas", "WR"),
    (10, "Dwayne Thomas", "T"), (11, "Darius Thomas", "TE"), (12, "Kyle Van Noy", "TE"),
)


@pytest.mark.parametrize("name, expected", [
    ("M.Williams", (1, "name")),
    ("Ty.Williams", (2, "name")),        # a longer prefix picks one of two same initials
    ("E.St. Brown", (3, "name")),        # two-word last name with a dot
    ("H.Clinton-Dix", (4, "name")),      # two-word first name
    ("K.Moore II", (5, "name")),         # suffix in the description only
    ("R.Griffin III", (6, "name")),      # suffix on both
    ("D.Chark Jr.", (7, "name")),        # initials in the roster name
    ("T.Hilton", (8, "last name")),      # known as T.Y.; listed under his first name Eugene
    ("K.Van Noy", (12, "name")),
    ("Z.Ertz", (None, "not on the field")),
    ("W.Williams", (None, "ambiguous")),  # neither Williams is a W.
])
def test_match_receiver_handles_suffixes_prefixes_and_nicknames(name, expected):
    assert match_receiver(name, OFFENCE) == expected


def test_same_initial_and_last_name_prefers_the_eligible_receiver_else_gives_up():
    # D.Thomas: Demaryius (WR), Dwayne (T), Darius (TE): two eligible -> ambiguous.
    assert match_receiver("D.Thomas", OFFENCE) == (None, "ambiguous")
    assert match_receiver("D.Thomas", OFFENCE[:10]) == (9, "eligible")  # WR vs tackle


def test_nearest_eligible_to_ball_respects_the_3_yard_limit():
    receivers = np.array([[10.0, 10.0], [20.0, 20.0], [np.nan, np.nan]])
    assert tg.nearest_eligible_to_ball(np.array([11.0, 11.0]), receivers) == 0
    assert tg.nearest_eligible_to_ball(np.array([22.9, 20.0]), receivers) == 1
    assert tg.nearest_eligible_to_ball(np.array([23.1, 20.0]), receivers) is None
    assert tg.nearest_eligible_to_ball(np.array([np.nan, 20.0]), receivers) is None
    assert tg.nearest_eligible_to_ball(np.array([10.0, 10.0]), np.empty((0, 2))) is None


def test_ball_fallback_on_a_real_play_without_a_named_receiver(tmp_path):
    """The real pass to J.Wilkins with the receiver's name taken out of the description: the ball
    at arrival finds the same player (1.8 yd from it), and nobody when the limit is tighter."""
    doc = orjson.loads(gzip.decompress(WILKINS.read_bytes()))
    named = load_dataset(WILKINS)
    (play,) = named.iter_plays()
    assert play.context["targetSource"] == "description"
    doc["play_tracking"]["play"]["description"] = "(8:49) (Shotgun) A.Luck pass short right."
    path = tmp_path / "anonymous.json.gz"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    (anon,) = load_dataset(path).iter_plays()
    assert anon.context["targetSource"] == "ball" and anon.target_nfl_id == play.target_nfl_id
    t = anon.frame_index(anon.pass_arrived_frame)
    d = np.hypot(*(anon.ball_xy[t] - anon.xy[t, anon.player_index(anon.target_nfl_id)]))
    assert 1.5 < d <= tg.BALL_TARGET_MAX_YD
    receivers = anon.eligible_receivers()
    assert tg.nearest_eligible_to_ball(anon.ball_xy[t], anon.xy[t, receivers], max_yd=1.5) is None


def test_a_provided_target_is_kept_and_labelled(tmp_path):
    shutil.copytree(DATA / "bdb2026", tmp_path / "bdb2026")
    ds = load_dataset(tmp_path / "bdb2026")
    assert ds.plays["targetSource"].tolist() == ["column"]
    assert ds.derived["targets"]["by_source"]["column"] == 1


def test_formats_without_a_target_column_get_one_from_the_ball():
    # The BDB 2021 excerpt: one WR 2.8 yd from the ball at pass_arrived, no description.
    ds = load_dataset(DATA / "bdb2021")
    (play,) = ds.iter_plays()
    assert (play.target_nfl_id, play.context["targetSource"]) == (100, "ball")
    assert ds.derived["targets"]["by_source"] == {"column": 0, "description": 0, "ball": 1, "none": 0}
    report = inspect_path(DATA / "bdb2021", derived=True)  # `ghostedge inspect --derived`
    assert report["derived"]["targets"]["by_source"]["ball"] == 1
    assert "derived" not in inspect_path(DATA / "bdb2021")


@pytest.mark.slow
def test_description_targets_match_the_highlight_data_on_every_pass_play(ngs_dataset):
    """The highlight plays ship a target (from the description, the league's stats and the ball,
    per their data card); derived from the description alone it is the same on all 310 pass plays."""
    plays = ngs_dataset.plays
    truth = plays["targetNflId"]
    out, counts = tg.derive_targets(ngs_dataset.tracking, plays.drop(columns=["targetNflId", "targetSource"]))
    assert counts["pass_plays"] == 310 and counts["by_source"]["description"] == 310
    is_pass = plays["passForwardFrameId"].notna()
    assert (out.loc[is_pass, "targetNflId"] == truth[is_pass]).all()
    # And the result parsed from the descriptions is the data set's, sacks and all.
    parsed = plays["playDescription"].map(pass_result_from_description)
    has = plays["passResult"].notna()
    assert (parsed[has] == plays.loc[has, "passResult"]).all()


@pytest.mark.slow
def test_ball_fallback_agrees_with_the_description_on_the_shared_games(ngs_games_dir):
    ds = load_dataset(ngs_games_dir)
    by_desc = ds.plays["targetSource"] == "description"
    out, counts = tg.derive_targets(ds.tracking, ds.plays.drop(columns=["targetNflId", "targetSource",
                                                                       "playDescription"]))
    by_ball = by_desc & (out["targetSource"] == "ball")
    agree = (out.loc[by_ball, "targetNflId"] == ds.plays.loc[by_ball, "targetNflId"]).mean()
    assert by_ball.sum() >= 150 and agree >= 0.98
    assert isinstance(counts["by_source"], dict) and pd.notna(agree)
