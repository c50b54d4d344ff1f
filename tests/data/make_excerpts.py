"""Writes the tiny synthetic excerpts in tests/data/: one made-up play in the column layout of each
Big Data Bowl edition (2019-2026) and of the shared NGS data. Values are invented; the layouts
follow docs/data-formats.md. Run: python3 tests/data/make_excerpts.py (the files are committed).

TRUTH below is the play every excerpt encodes; tests/test_loader.py checks the loader recovers it.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
GAME, PLAY = 2021091200, 55
HOME, AWAY = "HOM", "AWY"
# nflId, name, position, jersey, club, side, role
PLAYERS = [
    (100, "Alpha One", "WR", 11, HOME, "Offense", "Targeted Receiver"),
    (200, "Bravo Two", "CB", 22, AWAY, "Defense", "Defensive Coverage"),
]
N_FRAMES = 4
DIRECTION = "left"


def truth_row(nfl_id: int, frame: int) -> dict:
    """Deterministic made-up kinematics for player nfl_id (or the ball, -1) at frame."""
    k = {100: 0.0, 200: 5.0, -1: 2.0}[nfl_id]
    return {
        "x": round(60.0 - 0.8 * frame + k, 2),
        "y": round(20.0 + 0.3 * frame + k, 2),
        "s": None if nfl_id == -1 else round(8.0 + 0.1 * frame, 2),
        "a": None if nfl_id == -1 else round(1.0 + 0.05 * frame, 2),
        "o": None if nfl_id == -1 else round(250.0 + frame + k, 2),
        "dir": None if nfl_id == -1 else round(290.0 + frame + k, 2),
    }


def event(frame: int) -> str:
    return {1: "ball_snap", 3: "pass_forward", 4: "pass_arrived"}.get(frame, "")


def iso_time(frame: int, style: str) -> str:
    tenths = 8 + frame  # 2021-09-12 17:03:00.9 onwards
    sec, frac = divmod(tenths, 10)
    if style == "z":  # 2019-2023: ISO with Z
        return f"2021-09-12T17:03:{sec:02d}.{frac}00Z"
    if style == "micro":  # 2024-2025
        return f"2021-09-12 17:03:{sec:02d}.{frac}00000"
    return f"2021-09-12 17:03:{sec:02d}.{frac}00"  # shared NGS


def fmt(v) -> str:
    return "" if v is None else str(v)


def rows_bdb(style: str, team_home_away: bool, ball_team: str, ball_name: str):
    """One dict per player/ball per frame with the canonical names (renamed per format later)."""
    for frame in range(1, N_FRAMES + 1):
        entities = [(p[0], p[1], p[2], p[3], ("home" if p[4] == HOME else "away") if team_home_away else p[4])
                    for p in PLAYERS] + [(None, ball_name, None, None, ball_team)]
        for nfl, name, pos, jersey, club in entities:
            t = truth_row(-1 if nfl is None else nfl, frame)
            yield {
                "gameId": GAME, "playId": PLAY, "nflId": fmt(nfl), "displayName": name,
                "jerseyNumber": fmt(jersey), "position": fmt(pos), "club": club,
                "frameId": frame, "time": iso_time(frame, style), "x": t["x"], "y": t["y"],
                "s": fmt(t["s"]) if nfl is not None else "0.5", "a": fmt(t["a"]) if nfl is not None else "0.1",
                "dis": "0.08", "o": fmt(t["o"]), "dir": fmt(t["dir"]), "event": event(frame),
                "playDirection": DIRECTION,
            }


def write(name: str, header: list[str], rows, rename: dict | None = None) -> None:
    rename = rename or {}
    with open(HERE / name, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        inv = {v: k for k, v in rename.items()}
        for r in rows:
            w.writerow([r.get(inv.get(c, c), "") for c in header])


def main() -> None:
    d = HERE
    # shared NGS format
    (d / "ngs").mkdir(exist_ok=True)
    write("ngs/tracking.csv", ["gameId", "playId", "nflId", "displayName", "jerseyNumber", "position", "club",
                               "frameId", "time", "x", "y", "s", "o", "dir", "event", "playDirection"],
          rows_bdb("ngs", False, "football", "football"))
    # 2019: tracking_gameId_*.csv + games/plays/players; team is home/away, no o, a, playDirection
    (d / "bdb2019").mkdir(exist_ok=True)
    write(f"bdb2019/tracking_gameId_{GAME}.csv",
          ["time", "x", "y", "s", "dis", "dir", "event", "nflId", "displayName", "jerseyNumber", "team",
           "frame.id", "gameId", "playId"],
          rows_bdb("z", True, "ball", "football"), {"club": "team", "frameId": "frame.id"})
    write("bdb2019/games.csv", ["season", "week", "gameDate", "gameId", "gameTimeEastern", "homeTeamAbbr",
                                "visitorTeamAbbr"],
          [{"season": 2021, "week": 1, "gameDate": "09/12/2021", "gameId": GAME, "gameTimeEastern": "13:00:00",
            "homeTeamAbbr": HOME, "visitorTeamAbbr": AWAY}])
    write("bdb2019/plays.csv", ["gameId", "playId", "quarter", "GameClock", "down", "yardsToGo", "possessionTeam",
                                "PassResult", "playDescription"],
          [{"gameId": GAME, "playId": PLAY, "quarter": 1, "GameClock": "14:21:00", "down": 2, "yardsToGo": 7,
            "possessionTeam": HOME, "PassResult": "C", "playDescription": "made-up pass"}])
    write("bdb2019/players.csv", ["nflId", "FirstName", "LastName", "PositionAbbr", "EntryYear"],
          [{"nflId": p[0], "FirstName": p[1].split()[0], "LastName": p[1].split()[1], "PositionAbbr": p[2],
            "EntryYear": 2015} for p in PLAYERS])
    # 2020: one row per player at the handoff, PascalCase, home/away, no ball
    (d / "bdb2020").mkdir(exist_ok=True)
    header_2020 = ["GameId", "PlayId", "Team", "X", "Y", "S", "A", "Dis", "Orientation", "Dir", "NflId",
                   "DisplayName", "JerseyNumber", "Season", "YardLine", "Quarter", "GameClock", "PossessionTeam",
                   "Down", "Distance", "FieldPosition", "HomeScoreBeforePlay", "VisitorScoreBeforePlay",
                   "NflIdRusher", "OffenseFormation", "OffensePersonnel", "DefendersInTheBox", "DefensePersonnel",
                   "PlayDirection", "TimeHandoff", "TimeSnap", "Yards", "PlayerHeight", "PlayerWeight",
                   "PlayerBirthDate", "PlayerCollegeName", "Position", "HomeTeamAbbr", "VisitorTeamAbbr", "Week",
                   "Stadium", "Location", "StadiumType", "Turf", "GameWeather", "Temperature", "Humidity",
                   "WindSpeed", "WindDirection"]
    rows = []
    for p in PLAYERS:
        t = truth_row(p[0], 1)
        rows.append({"GameId": GAME, "PlayId": PLAY, "Team": "home" if p[4] == HOME else "away", "X": t["x"],
                     "Y": t["y"], "S": t["s"], "A": t["a"], "Dis": 0.8, "Orientation": t["o"], "Dir": t["dir"],
                     "NflId": p[0], "DisplayName": p[1], "JerseyNumber": p[3], "Season": 2021, "YardLine": 35,
                     "Quarter": 1, "GameClock": "14:21:00", "PossessionTeam": HOME, "Down": 2, "Distance": 7,
                     "FieldPosition": HOME, "HomeScoreBeforePlay": 0, "VisitorScoreBeforePlay": 0,
                     "NflIdRusher": 100, "PlayDirection": DIRECTION, "TimeHandoff": iso_time(1, "z"),
                     "TimeSnap": iso_time(1, "z"), "Yards": 4, "Position": p[2], "HomeTeamAbbr": HOME,
                     "VisitorTeamAbbr": AWAY, "Week": 1})
    write("bdb2020/train.csv", header_2020, rows)
    # 2021 (route) and 2022
    base_2122 = ["time", "x", "y", "s", "a", "dis", "o", "dir", "event", "nflId", "displayName", "jerseyNumber",
                 "position", "frameId", "team", "gameId", "playId", "playDirection"]
    (d / "bdb2021").mkdir(exist_ok=True)
    rows = list(rows_bdb("z", False, "football", "Football"))
    for r in rows:
        r["route"] = "GO" if r["nflId"] == "100" else ""
    write("bdb2021/week1.csv", base_2122 + ["route"], rows, {"club": "team"})
    (d / "bdb2022").mkdir(exist_ok=True)
    write("bdb2022/tracking2018.csv", base_2122, rows_bdb("z", False, "football", "football"), {"club": "team"})
    # 2023: no displayName/position in tracking; players.csv has officialPosition
    (d / "bdb2023").mkdir(exist_ok=True)
    write("bdb2023/week1.csv", ["gameId", "playId", "nflId", "frameId", "time", "jerseyNumber", "team",
                                "playDirection", "x", "y", "s", "a", "dis", "o", "dir", "event"],
          rows_bdb("z", False, "football", "football"), {"club": "team"})
    write("bdb2023/players.csv", ["nflId", "height", "weight", "birthDate", "collegeName", "officialPosition",
                                  "displayName"],
          [{"nflId": p[0], "height": "6-1", "weight": 200, "officialPosition": p[2], "displayName": p[1]}
           for p in PLAYERS])
    # 2024 and 2025 (frameType)
    h24 = ["gameId", "playId", "nflId", "displayName", "frameId", "time", "jerseyNumber", "club", "playDirection",
           "x", "y", "s", "a", "dis", "o", "dir", "event"]
    (d / "bdb2024").mkdir(exist_ok=True)
    write("bdb2024/tracking_week_1.csv", h24, rows_bdb("micro", False, "football", "football"))
    write("bdb2024/players.csv", ["nflId", "height", "weight", "birthDate", "collegeName", "position",
                                  "displayName"],
          [{"nflId": p[0], "height": "6-1", "weight": 200, "position": p[2], "displayName": p[1]} for p in PLAYERS])
    (d / "bdb2025").mkdir(exist_ok=True)
    rows = list(rows_bdb("micro", False, "football", "football"))
    for r in rows:
        r["frameType"] = "SNAP" if r["frameId"] == 1 else "AFTER_SNAP"
    write("bdb2025/tracking_week_1.csv", h24[:5] + ["frameType"] + h24[5:], rows)
    write("bdb2025/players.csv", ["nflId", "height", "weight", "birthDate", "collegeName", "position",
                                  "displayName"],
          [{"nflId": p[0], "height": "6-1", "weight": 200, "position": p[2], "displayName": p[1]} for p in PLAYERS])
    # 2026 prediction: input frames 1-2 (before the throw), output frames 1-2 (after it, x/y only)
    (d / "bdb2026" / "train").mkdir(parents=True, exist_ok=True)
    h_in = ["game_id", "play_id", "player_to_predict", "nfl_id", "frame_id", "play_direction",
            "absolute_yardline_number", "player_name", "player_height", "player_weight", "player_birth_date",
            "player_position", "player_side", "player_role", "x", "y", "s", "a", "dir", "o", "num_frames_output",
            "ball_land_x", "ball_land_y"]
    rows_in, rows_out = [], []
    for p in PLAYERS:
        for frame in range(1, N_FRAMES + 1):
            t = truth_row(p[0], frame)
            if frame <= 2:
                rows_in.append({"game_id": GAME, "play_id": PLAY, "player_to_predict": "True", "nfl_id": p[0],
                                "frame_id": frame, "play_direction": DIRECTION, "absolute_yardline_number": 75,
                                "player_name": p[1], "player_height": "6-1", "player_weight": 200,
                                "player_birth_date": "1995-01-01", "player_position": p[2], "player_side": p[5],
                                "player_role": p[6], **t, "num_frames_output": N_FRAMES - 2,
                                "ball_land_x": 40.5, "ball_land_y": 22.0})
            else:
                rows_out.append({"game_id": GAME, "play_id": PLAY, "nfl_id": p[0], "frame_id": frame - 2,
                                 "x": t["x"], "y": t["y"]})
    write("bdb2026/train/input_2023_w01.csv", h_in, rows_in)
    write("bdb2026/train/output_2023_w01.csv", ["game_id", "play_id", "nfl_id", "frame_id", "x", "y"], rows_out)
    write("bdb2026/supplementary_data.csv", ["game_id", "season", "week", "home_team_abbr", "visitor_team_abbr",
                                             "play_id", "quarter", "game_clock", "down", "yards_to_go",
                                             "possession_team", "defensive_team", "pass_result"],
          [{"game_id": GAME, "season": 2023, "week": 1, "home_team_abbr": HOME, "visitor_team_abbr": AWAY,
            "play_id": PLAY, "quarter": 1, "game_clock": "14:21", "down": 2, "yards_to_go": 7,
            "possession_team": HOME, "defensive_team": AWAY, "pass_result": "C"}])


if __name__ == "__main__":
    main()
