"""Play-level fields a format does not ship, derived from what it does ship; one place for each.

Applied by :func:`ghostedge.data.load_dataset` to every format, each step only where the field is
missing (a provider's own value always wins), and each counted in ``Dataset.derived`` (shown by
``ghostedge inspect``):

- ``possessionTeam``: the club of the play's quarterback (the one club with a ``QB`` on the
  play), for tracking that comes without a plays table; plays with no or two such clubs keep it
  missing (counted as undetermined).
- ``defensiveTeam``: the play's other club (the one that is neither the possession club nor the ball).
- ``playDirection``: where the offence lines up at the snap. At the first ``ball_snap`` /
  ``snap_direct`` frame (else the first kick event, else the play's first frame), the mean x of
  the possession club's players is compared with the other club's: offence at smaller x means
  the offence moves toward +x ('right'). Source recorded per play (``playDirectionSource``).
- ``absoluteYardlineNumber``: the line of scrimmage as an x coordinate, from ``yardlineSide`` /
  ``yardlineNumber`` and the direction (a line on the offence's own half: 10 + n when moving
  right, 110 - n when moving left; on the other half the reverse). No side and no number is the
  50 (the provider leaves both empty at midfield). Checked against the ball at the snap.
- ``passResult``: C / I / IN / S / R from the description's final ruling, else from the first
  ``pass_outcome_*`` event after the forward pass (caught / touchdown: C, incomplete: I,
  interception: IN). Disagreements between the two are counted.
- The ball track of a pass play that did not follow the throw (``ball_not_following_throw``:
  slower than 3 yd/s on average over a flight of 5 frames or more; a tag left on the sideline)
  is dropped: the ball is missing there, never read as the ball, and the plays are counted and
  listed.
- ``targetNflId`` / ``targetSource``: :mod:`ghostedge.data.targets`.
- ``passArrivedFrameId`` / ``passArrivedSource``: the first ``pass_arrived`` or ``pass_tipped``
  event after the forward pass (``pass_frames_from_events``); a play with neither has
  only its outcome event (``pass_outcome_*``, the ruling, frames after the ball got there), so
  there the arrival is the frame after the throw where the tracked ball comes closest to the
  target, up to that event ('ball_at_target'; how many frames earlier is reported as
  ``pass_arrival_ball_frames_before_ruling``); without a tracked ball or target it stays the
  outcome event ('outcome_event').
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import targets as tg
from .play import BALL_NFL_ID, FIELD_LENGTH_YD, FRAME_RATE_HZ

KEYS = ["gameId", "playId"]
PASS_FORWARD_EVENTS = ("pass_forward", "pass_shovel")
SNAP_EVENTS = ("ball_snap", "snap_direct")
KICK_EVENTS = ("kickoff", "onside_kick", "free_kick")
OUTCOME_RESULTS = {
    "pass_outcome_caught": "C", "pass_outcome_touchdown": "C",
    "pass_outcome_incomplete": "I", "pass_outcome_interception": "IN",
}
# Offence and defence mean x closer than this at the reference frame: direction counted as uncertain.
UNCERTAIN_GAP_YD = 1.0
# Ball at the snap farther than this from the derived line of scrimmage: counted as a disagreement.
LINE_CHECK_YD = 3.0
MIDFIELD_YARDLINE = 50


def _missing(plays: pd.DataFrame, column: str) -> pd.Series:
    if column not in plays.columns:
        return pd.Series(True, index=plays.index)
    return plays[column].isna()


def _play_positions(tracking: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """For every tracking row, the row number of its play in ``table`` (-1 where absent)."""
    index = pd.MultiIndex.from_frame(table[KEYS].astype("int64"))
    rows = pd.MultiIndex.from_arrays([tracking["gameId"].to_numpy(), tracking["playId"].to_numpy()])
    return index.get_indexer(rows)


def reference_frames(tracking: pd.DataFrame) -> pd.DataFrame:
    """gameId, playId, frameId, how: the frame where the teams' sides are read (snap, kick, first)."""
    first = tracking.groupby(KEYS, sort=False)["frameId"].min().rename("first")
    out = first.to_frame()
    if "event" in tracking.columns:
        ev = tracking.loc[tracking["event"].notna(), KEYS + ["frameId", "event"]]
        for name, events in (("snap", SNAP_EVENTS), ("kick", KICK_EVENTS)):
            hit = ev[ev["event"].isin(events)].groupby(KEYS)["frameId"].min().rename(name)
            out = out.join(hit, how="left")
    for name in ("snap", "kick"):
        if name not in out.columns:
            out[name] = np.nan
    frame = out["snap"].combine_first(out["kick"]).combine_first(out["first"])
    how = np.where(out["snap"].notna(), "snap", np.where(out["kick"].notna(), "kick", "first frame"))
    return pd.DataFrame({"frameId": frame.astype("int64"), "how": how}, index=out.index).reset_index()


def derive_play_directions(tracking: pd.DataFrame, plays: pd.DataFrame) -> pd.DataFrame:
    """gameId, playId, playDirection, playDirectionSource, offenceGapYd for every play with a
    known possession club whose players (and the other club's) are tracked at the reference frame."""
    cols = KEYS + ["playDirection", "playDirectionSource", "offenceGapYd"]
    if "possessionTeam" not in plays.columns or "club" not in tracking.columns:
        return pd.DataFrame(columns=cols)
    ref = reference_frames(tracking)
    rows = tracking.loc[tracking["nflId"].to_numpy() != BALL_NFL_ID, KEYS + ["frameId", "club", "x"]]
    at = rows.merge(ref, on=KEYS + ["frameId"])
    at = at.merge(plays[KEYS + ["possessionTeam"]].dropna(), on=KEYS)
    if at.empty:
        return pd.DataFrame(columns=cols)
    at["offence"] = at["club"].astype(object) == at["possessionTeam"].astype(object)
    means = at.groupby(KEYS + ["offence"])["x"].mean().unstack("offence")
    if True not in means.columns or False not in means.columns:
        return pd.DataFrame(columns=cols)
    gap = (means[False] - means[True]).dropna()  # defence minus offence: > 0 when moving right
    how = ref.set_index(KEYS)["how"].reindex(gap.index)
    out = pd.DataFrame({
        "playDirection": np.where(gap.to_numpy() > 0, "right", "left"),
        "playDirectionSource": "formation at " + how.astype(str).to_numpy(),
        "offenceGapYd": gap.abs().round(2).to_numpy(),
    }, index=gap.index).reset_index()
    return out[cols]


def absolute_yardline(plays: pd.DataFrame) -> pd.Series:
    """absoluteYardlineNumber from yardlineSide / yardlineNumber / possessionTeam / playDirection."""
    side = plays["yardlineSide"]
    number = pd.to_numeric(plays["yardlineNumber"], errors="coerce")
    midfield = side.isna() & number.isna()
    number = number.where(~midfield, MIDFIELD_YARDLINE)
    own = (side.astype(object) == plays["possessionTeam"].astype(object)).to_numpy()
    right = (plays["playDirection"] == "right").to_numpy()
    left = (plays["playDirection"] == "left").to_numpy()
    n = number.to_numpy(float)
    x = np.where(own == right, 10.0 + n, FIELD_LENGTH_YD - 10.0 - n)
    # Midfield (and a line exactly at the 50) reads the same either way.
    x = np.where(right | left, x, np.nan)
    return pd.Series(x, index=plays.index)


def _ball_at(tracking: pd.DataFrame, frames: pd.DataFrame) -> pd.DataFrame:
    """gameId, playId, ballX: the ball's x at each play's frame in ``frames`` (gameId, playId, frameId)."""
    ball = tracking.loc[tracking["nflId"].to_numpy() == BALL_NFL_ID, KEYS + ["frameId", "x"]]
    return ball.merge(frames[KEYS + ["frameId"]], on=KEYS + ["frameId"]).rename(columns={"x": "ballX"})[
        KEYS + ["ballX"]].drop_duplicates(KEYS)


def outcome_results(tracking: pd.DataFrame, plays: pd.DataFrame) -> pd.Series:
    """passResult from the first pass_outcome_* event after each play's forward pass (None if none)."""
    out = pd.Series(None, index=plays.index, dtype=object)
    if "event" not in tracking.columns or "passForwardFrameId" not in plays.columns:
        return out
    ev = tracking.loc[tracking["event"].isin(list(OUTCOME_RESULTS)), KEYS + ["frameId", "event"]]
    ev = ev.drop_duplicates(KEYS + ["frameId"]).merge(plays[KEYS + ["passForwardFrameId"]].dropna(), on=KEYS)
    ev = ev[ev["frameId"] > ev["passForwardFrameId"]].sort_values("frameId").drop_duplicates(KEYS)
    found = ev.set_index(KEYS)["event"].map(OUTCOME_RESULTS)
    idx = pd.MultiIndex.from_frame(plays[KEYS])
    return pd.Series(found.reindex(idx).to_numpy(), index=plays.index, dtype=object)


def complete_plays(tracking: pd.DataFrame, plays: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(tracking, plays, what was derived): every missing play-level field that can be derived."""
    report: dict = {}
    if plays is None:
        plays = tracking[KEYS].drop_duplicates().reset_index(drop=True)
    plays = plays.copy()

    # Possession club: the quarterback's.
    if "club" in tracking.columns and "position" in tracking.columns:
        need = _missing(plays, "possessionTeam")
        if need.any():
            qb = tracking.loc[tracking["position"].astype(object) == "QB", KEYS + ["club"]].drop_duplicates()
            one = qb.groupby(KEYS)["club"].agg(lambda s: s.iloc[0] if len(s) == 1 else None).dropna()
            if "possessionTeam" not in plays.columns:
                plays["possessionTeam"] = None
            found = pd.Series(one.reindex(pd.MultiIndex.from_frame(plays[KEYS])).to_numpy(), index=plays.index)
            plays["possessionTeam"] = plays["possessionTeam"].astype(object).where(~need, found)
            report["possession_team"] = {"derived": int(found[need].notna().sum()),
                                         "undetermined": int(found[need].isna().sum())}

    # Defending club.
    if "possessionTeam" in plays.columns and "club" in tracking.columns:
        need = _missing(plays, "defensiveTeam") & plays["possessionTeam"].notna()
        if need.any():
            clubs = tracking.loc[tracking["nflId"].to_numpy() != BALL_NFL_ID, KEYS + ["club"]].drop_duplicates()
            clubs = clubs.merge(plays.loc[need, KEYS + ["possessionTeam"]], on=KEYS)
            other = clubs[clubs["club"].astype(object) != clubs["possessionTeam"].astype(object)]
            one = other.groupby(KEYS)["club"].agg(lambda s: s.iloc[0] if len(s) == 1 else None).dropna()
            if "defensiveTeam" not in plays.columns:
                plays["defensiveTeam"] = None
            idx = pd.MultiIndex.from_frame(plays[KEYS])
            found = pd.Series(one.reindex(idx).to_numpy(), index=plays.index)
            plays["defensiveTeam"] = plays["defensiveTeam"].astype(object).where(~need, found)
            report["defensive_team"] = {"derived": int(found[need].notna().sum()),
                                        "undetermined": int(found[need].isna().sum())}

    # Direction of play.
    given = tracking.loc[tracking["playDirection"].notna(), KEYS].drop_duplicates() \
        if "playDirection" in tracking.columns else pd.DataFrame(columns=KEYS)
    given_keys = set(map(tuple, given.to_numpy().tolist()))
    need_dir = {k for k in map(tuple, plays[KEYS].to_numpy().tolist()) if k not in given_keys}
    derived_sources = None
    if need_dir:
        dirs = derive_play_directions(tracking, plays)
        wanted = pd.Series([k in need_dir for k in map(tuple, dirs[KEYS].to_numpy().tolist())],
                           index=dirs.index, dtype=bool)
        dirs = dirs[wanted]
        pos = _play_positions(tracking, dirs)
        values = dirs["playDirection"].to_numpy(dtype=object)
        per_row = np.where(pos >= 0, values[np.maximum(pos, 0)] if len(values) else None, None)
        if "playDirection" in tracking.columns:
            tracking["playDirection"] = tracking["playDirection"].astype(object).where(
                tracking["playDirection"].notna(), per_row)
        else:
            tracking["playDirection"] = pd.Categorical(per_row, categories=["left", "right"])
        derived_sources = dirs[KEYS + ["playDirectionSource", "offenceGapYd"]]
        report["play_direction"] = {
            "from_column": len(given_keys),
            "derived": len(dirs),
            "undetermined": int(len(need_dir) - len(dirs)),
            "by_reference_frame": {str(k): int(v) for k, v in
                                   sorted(dirs["playDirectionSource"].value_counts().items())},
            f"offence_defence_gap_under_{UNCERTAIN_GAP_YD:g}yd": int((dirs["offenceGapYd"] < UNCERTAIN_GAP_YD).sum()),
        }
    if "playDirection" in tracking.columns:
        # One value per play in the plays table too (the line of scrimmage below needs it).
        first = tracking.loc[tracking["playDirection"].notna(), KEYS + ["playDirection"]].drop_duplicates(KEYS)
        first["playDirection"] = first["playDirection"].astype(str)
        plays = plays.drop(columns=[c for c in ("playDirection", "playDirectionSource", "offenceGapYd")
                                    if c in plays.columns]).merge(first, on=KEYS, how="left")
        plays["playDirectionSource"] = np.where(plays["playDirection"].notna(), "column", None)
        if derived_sources is not None:
            plays = plays.merge(derived_sources, on=KEYS, how="left", suffixes=("", "__derived"))
            derived = plays.pop("playDirectionSource__derived")
            plays["playDirectionSource"] = derived.where(derived.notna(), plays["playDirectionSource"])

    # Line of scrimmage as x.
    if {"yardlineSide", "yardlineNumber", "possessionTeam", "playDirection"} <= set(plays.columns):
        need = _missing(plays, "absoluteYardlineNumber")
        if need.any():
            x = absolute_yardline(plays)
            if "absoluteYardlineNumber" not in plays.columns:
                plays["absoluteYardlineNumber"] = np.nan
            plays["absoluteYardlineNumber"] = plays["absoluteYardlineNumber"].where(~need, x)
            snaps = reference_frames(tracking)
            snaps = snaps[snaps["how"] == "snap"]
            check = plays.loc[need, KEYS + ["absoluteYardlineNumber"]].merge(_ball_at(tracking, snaps), on=KEYS)
            off = (check["ballX"] - check["absoluteYardlineNumber"]).abs()
            report["absolute_yardline"] = {
                "derived": int(x[need].notna().sum()),
                "midfield_from_empty_side_and_number": int((need & plays["yardlineSide"].isna()
                                                            & plays["yardlineNumber"].isna()).sum()),
                "checked_against_ball_at_snap": int(off.notna().sum()),
                f"ball_over_{LINE_CHECK_YD:g}yd_from_line": int((off > LINE_CHECK_YD).sum()),
                "median_ball_offset_yd": round(float(off.median()), 2) if off.notna().any() else None,
            }

    # Pass result.
    need = _missing(plays, "passResult")
    if need.any() and ("playDescription" in plays.columns or "event" in tracking.columns):
        from_desc = (plays["playDescription"].map(tg.pass_result_from_description)
                     if "playDescription" in plays.columns else pd.Series(None, index=plays.index))
        from_events = outcome_results(tracking, plays)
        result = from_desc.where(from_desc.notna(), from_events)
        if "passResult" not in plays.columns:
            plays["passResult"] = None
        plays["passResult"] = plays["passResult"].astype(object).where(~need, result)
        both = need & from_desc.notna() & from_events.notna()
        disagree = both & (from_desc != from_events)
        report["pass_result"] = {
            "from_description": int((need & from_desc.notna()).sum()),
            "from_events": int((need & from_desc.isna() & from_events.notna()).sum()),
            "description_and_events_disagree": int(disagree.sum()),
            "disagreements": [
                {"gameId": int(r.gameId), "playId": int(r.playId), "description": str(d), "events": str(e)}
                for r, d, e in zip(plays.loc[disagree, KEYS].itertuples(), from_desc[disagree], from_events[disagree])
            ],
        }

    # A ball track that did not follow the throw is not the ball's: dropped before the target
    # and the arrival are read from it.
    if {"passForwardFrameId", "passArrivedFrameId"} <= set(plays.columns):
        speeds = flight_ball_speeds(tracking, plays)
        too_slow = _not_following_throw(speeds)
        stuck = speeds.loc[too_slow, KEYS]
        if len(stuck):
            rows = pd.MultiIndex.from_frame(tracking[KEYS]).isin(pd.MultiIndex.from_frame(stuck))
            tracking.loc[rows & (tracking["nflId"].to_numpy() == BALL_NFL_ID), ["x", "y"]] = np.nan
        slowest = speeds[~too_slow].nsmallest(3, "speed_yps")  # the slowest kept
        report["ball_not_following_throw"] = {
            "plays": len(stuck), "list": [{"gameId": int(g), "playId": int(q)} for g, q in stuck[KEYS].to_numpy()],
            "slowest_kept_flights": [{"gameId": int(r.gameId), "playId": int(r.playId), "speed_yps": round(r.speed_yps, 1)}
                                     for r in slowest.itertuples()]}

    # Target, then the arrival of plays that only have an outcome event (it needs the target).
    if "passForwardFrameId" in plays.columns:
        plays, counts = tg.derive_targets(tracking, plays)
        report["targets"] = counts
    if "passArrivedSource" in plays.columns:
        ruling = plays["passArrivedFrameId"].copy()
        plays = arrivals_from_ball(tracking, plays)
        report["pass_arrival"] = {str(k): int(v) for k, v in
                                  sorted(plays["passArrivedSource"].dropna().value_counts().items())}
        early = (ruling - plays["passArrivedFrameId"])[plays["passArrivedSource"] == "ball_at_target"]
        if len(early):  # how far ahead of the ruling the ball got there
            report["pass_arrival_ball_frames_before_ruling"] = {
                "median": float(early.median()), "p90": float(early.quantile(0.9)), "max": int(early.max())}
    return tracking, plays, report


# A thrown ball travels faster than this on average (the slowest kept flights are reported,
# ``slowest_kept_flights``; docs/data-formats.md); a ball tag that is slower over a flight of
# MIN_JUDGED_FLIGHT_FRAMES or more was not on the ball (left on the sideline, say). Shorter
# flights (a pass batted at the line) are not judged.
MIN_THROWN_BALL_SPEED_YPS = 3.0
MIN_JUDGED_FLIGHT_FRAMES = 5


def flight_ball_speeds(tracking: pd.DataFrame, plays: pd.DataFrame) -> pd.DataFrame:
    """gameId, playId, frames, speed_yps of the pass plays whose flight lasts
    MIN_JUDGED_FLIGHT_FRAMES or more: how fast the tracked ball moved from the forward pass to
    the arrival (first to last tracked sample of the flight, straight line)."""
    todo = plays[KEYS + ["passForwardFrameId", "passArrivedFrameId"]].dropna()
    todo = todo[todo["passArrivedFrameId"] - todo["passForwardFrameId"] >= MIN_JUDGED_FLIGHT_FRAMES]
    ball = tracking.loc[tracking["nflId"].to_numpy() == BALL_NFL_ID, KEYS + ["frameId", "x", "y"]].merge(todo, on=KEYS)
    ball = ball[(ball["frameId"] >= ball["passForwardFrameId"]) & (ball["frameId"] <= ball["passArrivedFrameId"])
                & np.isfinite(ball["x"]) & np.isfinite(ball["y"])].sort_values("frameId")
    ends = ball.groupby(KEYS)[["frameId", "x", "y"]].agg(["first", "last"])
    ends = ends[ends[("frameId", "last")] - ends[("frameId", "first")] >= MIN_JUDGED_FLIGHT_FRAMES]
    frames = ends[("frameId", "last")] - ends[("frameId", "first")]
    moved = np.hypot(ends[("x", "last")] - ends[("x", "first")], ends[("y", "last")] - ends[("y", "first")])
    out = ends.index.to_frame(index=False)
    out["frames"] = frames.to_numpy()
    out["speed_yps"] = (moved / (frames / FRAME_RATE_HZ)).to_numpy()
    return out


def _not_following_throw(speeds: pd.DataFrame) -> pd.Series:
    """Rows of :func:`flight_ball_speeds` whose ball was slower than MIN_THROWN_BALL_SPEED_YPS."""
    return speeds["speed_yps"] < MIN_THROWN_BALL_SPEED_YPS


def ball_not_following_throw(tracking: pd.DataFrame, plays: pd.DataFrame) -> pd.DataFrame:
    """gameId, playId of the pass plays whose ball track did not follow the throw: slower than
    MIN_THROWN_BALL_SPEED_YPS over the flight (:func:`flight_ball_speeds`)."""
    speeds = flight_ball_speeds(tracking, plays)
    return speeds.loc[_not_following_throw(speeds), KEYS].reset_index(drop=True)


# Events that end the ball's flight to the target: it arrives, or it is tipped on the way (a
# tipped ball is a loose ball, no longer a throw to anyone).
FLIGHT_END_EVENTS = ("pass_arrived", "pass_tipped")


def pass_frames_from_events(tracking: pd.DataFrame) -> pd.DataFrame:
    """gameId, playId, passForwardFrameId, passArrivedFrameId, passArrivedSource (and
    passOutcomeFrameId, the ruling's frame) from the tracking events.

    Arrival: the first pass_arrived or pass_tipped after the forward pass (source: that event),
    else the first pass_outcome_* event (source 'outcome_event': the ruling, often frames after
    the ball got there; ``complete_plays`` moves it to the ball's arrival at the target
    where the ball is tracked).
    """
    cols = KEYS + ["passForwardFrameId", "passArrivedFrameId", "passArrivedSource", "passOutcomeFrameId"]
    if "event" not in tracking.columns:
        return pd.DataFrame(columns=cols)
    ev = tracking.loc[tracking["event"].notna(), KEYS + ["frameId", "event"]]
    ev = ev.drop_duplicates(KEYS + ["frameId"]).astype({"event": str})
    fwd = ev[ev["event"].isin(PASS_FORWARD_EVENTS)].groupby(KEYS)["frameId"].min()
    fwd = fwd.rename("passForwardFrameId").reset_index()
    after = ev.merge(fwd, on=KEYS)
    after = after[after["frameId"] > after["passForwardFrameId"]].sort_values("frameId")
    ended = after[after["event"].isin(FLIGHT_END_EVENTS)].drop_duplicates(KEYS).set_index(KEYS)
    outcome = after[after["event"].str.startswith("pass_outcome")].drop_duplicates(KEYS).set_index(KEYS)
    outcome["event"] = "outcome_event"
    arr = ended.combine_first(outcome)[["frameId", "event"]].rename(
        columns={"frameId": "passArrivedFrameId", "event": "passArrivedSource"})
    arr["passOutcomeFrameId"] = outcome["frameId"].reindex(arr.index)
    return fwd.merge(arr.reset_index(), on=KEYS, how="left")[cols]


def arrivals_from_ball(tracking: pd.DataFrame, plays: pd.DataFrame) -> pd.DataFrame:
    """Plays whose arrival is an outcome event get, where the ball and the target are tracked,
    the frame after the forward pass (up to that event) where the ball is closest to the target
    (passArrivedSource 'ball_at_target'; see the module docstring)."""
    if "targetNflId" not in plays.columns:
        return plays
    need = (plays["passArrivedSource"] == "outcome_event") & plays["targetNflId"].notna()
    if not need.any():
        return plays
    todo = plays.loc[need, KEYS + ["passForwardFrameId", "passArrivedFrameId", "targetNflId"]]
    rows = tracking[KEYS + ["nflId", "frameId", "x", "y"]].merge(todo, on=KEYS)
    rows = rows[(rows["frameId"] > rows["passForwardFrameId"]) & (rows["frameId"] <= rows["passArrivedFrameId"])]
    ball = rows[rows["nflId"].to_numpy() == BALL_NFL_ID]
    target = rows[rows["nflId"].to_numpy() == rows["targetNflId"].to_numpy()]
    both = ball.merge(target[KEYS + ["frameId", "x", "y"]], on=KEYS + ["frameId"], suffixes=("", "_target"))
    both["gap"] = np.hypot(both["x"] - both["x_target"], both["y"] - both["y_target"])
    both = both[np.isfinite(both["gap"])].sort_values(KEYS + ["gap", "frameId"])
    closest = both.drop_duplicates(KEYS).set_index(KEYS)["frameId"]
    found = pd.Series(closest.reindex(pd.MultiIndex.from_frame(plays[KEYS])).to_numpy(), index=plays.index)
    moved = need & found.notna()
    plays = plays.copy()
    plays["passArrivedFrameId"] = plays["passArrivedFrameId"].where(~moved, found)
    plays["passArrivedSource"] = plays["passArrivedSource"].where(~moved, "ball_at_target")
    return plays
