"""Where a pass ends: the arrival frame from the events or the ball (data/loader.py,
data/derive.py), and the landing point the model is given (model/windows.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ghostedge.data.derive import arrivals_from_ball, pass_frames_from_events
from ghostedge.data.play import BALL_NFL_ID

TARGET = 7


def _tracking(events: dict[int, str], ball_x, target_x) -> pd.DataFrame:
    """One play (game 1, play 1), frames 1..len(ball_x): the ball and the target along y = 20."""
    rows = []
    for k, (bx, tx) in enumerate(zip(ball_x, target_x), start=1):
        ev = events.get(k)
        rows.append({"gameId": 1, "playId": 1, "nflId": BALL_NFL_ID, "frameId": k, "x": bx, "y": 20.0, "event": ev})
        rows.append({"gameId": 1, "playId": 1, "nflId": TARGET, "frameId": k, "x": tx, "y": 20.0, "event": ev})
    return pd.DataFrame(rows)


FLIGHT = np.r_[30.0, 30.0, np.linspace(32.0, 60.0, 8)]  # thrown at frame 3, frames 1..10
RECEIVER = np.full(10, 50.0)  # the ball passes him at frame 8 (x 52 at frame 8: closest)


@pytest.mark.parametrize("events, frame, source", [
    ({3: "pass_forward", 7: "pass_arrived", 9: "pass_outcome_caught"}, 7, "pass_arrived"),
    ({3: "pass_forward", 5: "pass_tipped", 9: "pass_outcome_incomplete"}, 5, "pass_tipped"),
    ({3: "pass_forward", 10: "pass_outcome_incomplete"}, 10, "outcome_event"),
])
def test_arrival_events_in_order_of_preference(events, frame, source):
    got = pass_frames_from_events(_tracking(events, FLIGHT, RECEIVER)).iloc[0]
    assert (got["passForwardFrameId"], got["passArrivedFrameId"], got["passArrivedSource"]) == (3, frame, source)


def test_an_outcome_event_moves_to_the_ball_at_the_target():
    tracking = _tracking({3: "pass_forward", 10: "pass_outcome_incomplete"}, FLIGHT, RECEIVER)
    plays = pass_frames_from_events(tracking).assign(targetNflId=TARGET)
    got = arrivals_from_ball(tracking, plays).iloc[0]
    assert (got["passArrivedFrameId"], got["passArrivedSource"]) == (7, "ball_at_target")  # x 48 at 7, 52 at 8: 7 first
    # Only up to the outcome event, never after it.
    late = _tracking({3: "pass_forward", 5: "pass_outcome_incomplete"}, FLIGHT, RECEIVER)
    got = arrivals_from_ball(late, pass_frames_from_events(late).assign(targetNflId=TARGET)).iloc[0]
    assert (got["passArrivedFrameId"], got["passArrivedSource"]) == (5, "ball_at_target")
    # No ball tracked (or no target): the event stays.
    no_ball = tracking[tracking["nflId"] != BALL_NFL_ID]
    got = arrivals_from_ball(no_ball, pass_frames_from_events(tracking).assign(targetNflId=TARGET)).iloc[0]
    assert (got["passArrivedFrameId"], got["passArrivedSource"]) == (10, "outcome_event")
    got = arrivals_from_ball(tracking, pass_frames_from_events(tracking).assign(targetNflId=np.nan)).iloc[0]
    assert got["passArrivedSource"] == "outcome_event"
    # An arrival event is never moved.
    arrived = _tracking({3: "pass_forward", 9: "pass_arrived"}, FLIGHT, RECEIVER)
    got = arrivals_from_ball(arrived, pass_frames_from_events(arrived).assign(targetNflId=TARGET)).iloc[0]
    assert (got["passArrivedFrameId"], got["passArrivedSource"]) == (9, "pass_arrived")


def test_a_ball_track_that_did_not_follow_the_throw_is_dropped():
    from ghostedge.data.derive import ball_not_following_throw, complete_plays

    events = {3: "pass_forward", 10: "pass_outcome_incomplete"}
    thrown = _tracking(events, FLIGHT, RECEIVER)
    plays = pass_frames_from_events(thrown)
    assert ball_not_following_throw(thrown, plays).empty
    # A tag left on the sideline drifts 1 yd while the pass is in the air (7 frames): not the ball.
    left = _tracking(events, np.r_[30.0, 30.0, np.linspace(30.0, 31.0, 8)], RECEIVER)
    assert ball_not_following_throw(left, plays).to_dict("records") == [{"gameId": 1, "playId": 1}]
    tracking, plays, report = complete_plays(left, pass_frames_from_events(left))
    assert report["ball_not_following_throw"] == {"plays": 1, "list": [{"gameId": 1, "playId": 1}],
                                                  "slowest_kept_flights": []}  # the one flight dropped
    ball = tracking[tracking["nflId"] == BALL_NFL_ID]
    assert ball[["x", "y"]].isna().all().all() and len(ball) == 10  # missing, not removed
    # A short flight (batted at the line) is not judged.
    batted = _tracking({3: "pass_forward", 6: "pass_tipped"}, np.full(10, 30.0), RECEIVER)
    assert ball_not_following_throw(batted, pass_frames_from_events(batted)).empty


def test_a_plays_tables_own_arrival_is_kept_unless_it_is_the_ruling():
    from ghostedge.data.loader import plays_with_pass_frames

    tracking = _tracking({3: "pass_forward", 5: "pass_tipped", 10: "pass_outcome_incomplete"}, FLIGHT, RECEIVER)
    for table_frame, frame, source in ((8, 8, "plays_table"), (10, 5, "pass_tipped")):
        table = pd.DataFrame({"gameId": [1], "playId": [1], "passArrivedFrameId": [table_frame]})
        got = plays_with_pass_frames([table], tracking).iloc[0]
        assert (got["passArrivedFrameId"], got["passArrivedSource"]) == (frame, source)
        assert "passOutcomeFrameId" not in got


def test_landing_point_prefers_the_formats_own_then_the_ball_then_the_target():
    from ghostedge.data.locations import load_samples
    from ghostedge.model.windows import landing_point

    play = next(iter(load_samples().iter_plays()))
    a = play.frame_index(play.pass_arrived_frame)
    np.testing.assert_array_equal(landing_point(play), play.ball_xy[a])
    play.ball_xy[a] = np.nan
    np.testing.assert_array_equal(landing_point(play), play.xy[a, play.player_index(play.target_nfl_id)])
    play.context.update(ballLandX=41.5, ballLandY=12.25)  # Big Data Bowl 2026 ships it
    np.testing.assert_array_equal(landing_point(play), [41.5, 12.25])


@pytest.mark.slow
def test_arrivals_on_the_shared_games_by_source_and_ahead_of_the_ruling(ngs_games_dir):
    """The counts docs/data-formats.md states; a ball-at-target arrival is never after the
    ruling it replaces and, where the ball is at the target, the ball is near him."""
    from ghostedge.data import load_dataset

    ds = load_dataset(ngs_games_dir)
    assert ds.derived["pass_arrival"] == {"ball_at_target": 34, "outcome_event": 2, "pass_arrived": 196,
                                          "pass_tipped": 7}
    # Two ball tags that stayed on a sideline through the flight: dropped, so the ball never
    # places those arrivals (861 keeps its ruling).
    assert ds.derived["ball_not_following_throw"]["list"] == [{"gameId": 1219929119, "playId": 861},
                                                             {"gameId": 1219929119, "playId": 1555}]
    assert np.isnan(ds.play(1219929119, 1555).ball_xy).all()
    slowest = ds.derived["ball_not_following_throw"]["slowest_kept_flights"]  # docs/data-formats.md
    assert [(f["playId"], f["speed_yps"]) for f in slowest] == [(3463, 9.5), (400, 10.0), (3904, 10.6)]
    assert ds.plays.set_index(["gameId", "playId"]).loc[(1219929119, 861), "passArrivedSource"] == "outcome_event"
    assert ds.derived["pass_arrival_ball_frames_before_ruling"] == {"median": 2.0, "p90": 6.0, "max": 8}
    moved = ds.plays[ds.plays["passArrivedSource"] == "ball_at_target"]
    gaps = []
    for row in moved.itertuples():
        play = ds.play(row.gameId, row.playId)
        ruling = min(int(f) for f, e in zip(play.frame_ids, play.events)
                     if e.startswith("pass_outcome") and f > play.pass_forward_frame)
        assert play.pass_forward_frame < play.pass_arrived_frame <= ruling
        a = play.frame_index(play.pass_arrived_frame)
        gaps.append(np.linalg.norm(play.ball_xy[a] - play.xy[a, play.player_index(play.target_nfl_id)]))
    assert np.median(gaps) < 2.0
