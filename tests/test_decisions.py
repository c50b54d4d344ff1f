"""Quarterback-decision scoring on constructed plays (and one real play)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from ghostedge.analysis import decisions, metric
from ghostedge.data import Play
from ghostedge.model.baselines import ConstantVelocityModel
from ghostedge.viz.decisions import plot_decision

DT = 0.1


def constructed_play(n_frames=30, throw=5, arrive=20, target=101, receiver_gap=True):
    """Offence going right. WR 101 at y=10 covered tightly by CB 201; WR 102 at y=40 with the
    nearest defender (FS 202) 12 yd away; TE 103 whose track is missing during the flight."""
    ids = np.array([100, 101, 102, 103, 201, 202])
    clubs = np.array(["OFF", "OFF", "OFF", "OFF", "DEF", "DEF"], dtype=object)
    pos = np.array(["QB", "WR", "WR", "TE", "CB", "FS"], dtype=object)
    t = np.arange(n_frames)[:, None] * DT
    xy = np.zeros((n_frames, ids.size, 2))
    xy[:, 0] = [40.0, 26.0]
    xy[:, 1] = np.c_[50.0 + 8.0 * t, np.full_like(t, 10.0)]
    xy[:, 2] = np.c_[50.0 + 8.0 * t, np.full_like(t, 40.0)]
    xy[:, 3] = np.c_[48.0 + 5.0 * t, np.full_like(t, 26.0)]
    xy[:, 4] = xy[:, 1] + [1.5, 1.0]
    xy[:, 5] = np.c_[62.0 + 8.0 * t, np.full_like(t, 40.0)]
    if receiver_gap:
        xy[throw + 3, 3] = np.nan
    present = np.isfinite(xy).all(axis=2)
    ball = np.c_[40.0 + 20.0 * t, np.full_like(t, 26.0)]
    return Play(
        game_id=1, play_id=2, frame_ids=np.arange(1, n_frames + 1), nfl_ids=ids, xy=xy,
        o=np.zeros((n_frames, ids.size)), present=present, ball_xy=ball, club=clubs,
        position=pos, jersey=np.array(["12", "80", "81", "88", "24", "31"], dtype=object),
        name=np.array(["Q B", "Wide One", "Wide Two", "Tight End", "Corner Back", "Free Safety"], dtype=object),
        events=np.full(n_frames, "", dtype=object), play_direction="right",
        possession_team="OFF", defensive_team="DEF", pass_forward_frame=throw + 1,
        pass_arrived_frame=arrive + 1, target_nfl_id=target,
    )


class PursuitModel:
    """Test double with the model's signature: every defender runs straight at the chosen
    target's position at the throw at 8 yd/s (stopping there)."""

    def predict_frame(self, xy_hist, o_hist, ball_hist, defenders, receivers, context=None, horizon=10,
                      *, is_offense=None):
        xy = np.asarray(xy_hist)[-1]
        mean = np.zeros((len(defenders), len(receivers), horizon, 2))
        for i, d in enumerate(defenders):
            for j, r in enumerate(receivers):
                gap = xy[r] - xy[d]
                dist = np.linalg.norm(gap)
                step = np.minimum(8.0 * DT * np.arange(1, horizon + 1), dist)
                mean[i, j] = xy[d] + step[:, None] * gap / max(dist, 1e-9)
        return SimpleNamespace(mean=mean, sigma=np.zeros_like(mean))


def test_open_receiver_ranks_first_and_flags_are_right():
    play = constructed_play()
    ranking = decisions.rank_receivers(play, ConstantVelocityModel())
    by_id = {o.nfl_id: o for o in ranking}
    assert [o.rank for o in ranking] == [1, 2, 3]
    assert ranking[0].nfl_id == 102  # 12 yd from the nearest defender
    assert by_id[101].separation_at_arrival == pytest.approx(np.hypot(1.5, 1.0))
    assert by_id[101].closest_defender_nfl_id == 201
    assert by_id[102].separation_at_arrival == pytest.approx(12.0)
    assert [o.is_actual_target for o in ranking].count(True) == 1 and by_id[101].is_actual_target
    # The TE's track misses a frame of the flight: unknown, ranked last.
    assert ranking[-1].nfl_id == 103 and np.isnan(ranking[-1].separation_at_arrival)
    assert ranking[-1].to_dict()["separation_at_arrival"] is None


def test_counterfactual_is_scored_against_the_receivers_tracked_route():
    play = constructed_play(receiver_gap=False)
    decision = decisions.analyse_decision(play, PursuitModel())
    by_id = {o.nfl_id: o for o in decision.options}
    # Ghosts are rolled out in 3-frame blocks against WR 102's *tracked* route: the FS ghost,
    # 12 yd downfield, runs back at him (they close at 16 yd/s), then each block runs to where
    # the WR was at the block's start, which he has left 3 x 0.8 yd behind by its end.
    assert by_id[102].separation_at_arrival == pytest.approx(2.4)
    assert by_id[102].closest_defender_nfl_id == 202
    assert by_id[102].coverage_score == pytest.approx(
        metric.score(decision.ghosts[102][1], play.xy[decision.t0 : decision.t1 + 1, 2]).value)
    # Ghost paths start at the tracked positions at the throw and have the flight's length.
    g = decision.ghosts[102]
    assert g.shape == (2, 15 + 1, 2)
    assert np.allclose(g[:, 0], play.xy[decision.t0, play.defensive_backs()])


def test_pursuit_of_a_standing_receiver_is_closing():
    play = constructed_play(receiver_gap=False)
    play.xy[:, 2] = [60.0, 40.0]  # WR 102 stands still; the FS starts 12 yd away at x = 62 + ...
    play.xy[:, 5] = [75.0, 40.0]
    options = decisions.rank_receivers(play, PursuitModel())
    wr2 = next(o for o in options if o.nfl_id == 102)
    standing = next(o for o in decisions.rank_receivers(play, ConstantVelocityModel()) if o.nfl_id == 102)
    assert wr2.coverage_score < standing.coverage_score  # closing covers him better than standing
    assert wr2.separation_at_arrival < 3.5  # 15 yd closed at 8 yd/s over 1.5 s leaves 3 yd


def test_frame_id_and_errors():
    play = constructed_play(receiver_gap=False)
    later = decisions.analyse_decision(play, ConstantVelocityModel(), frame_id=10)
    assert later.frame_id == 10 and later.arrival_frame_id == 21
    no_pass = constructed_play()
    no_pass.pass_forward_frame = None
    with pytest.raises(ValueError, match="pass_forward"):
        decisions.rank_receivers(no_pass, ConstantVelocityModel())
    with pytest.raises(ValueError):
        decisions.rank_receivers(play, ConstantVelocityModel(), frame_id=2)  # no t-2
    with pytest.raises(KeyError):
        decisions.rank_receivers(play, ConstantVelocityModel(), frame_id=999)
    # After the arrival frame: scores a 1.0 s window (or up to the play's end).
    after = decisions.analyse_decision(play, ConstantVelocityModel(), frame_id=25)
    assert after.arrival_frame_id == 30


def test_plot_decision_writes_png(tmp_path):
    from PIL import Image

    play = constructed_play(receiver_gap=False)
    decision = decisions.analyse_decision(play, PursuitModel())
    out = tmp_path / "decision.png"
    plot_decision(play, decision.options, decision.ghosts, out)
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size[0] > 400 and im.size[1] > 300


@pytest.mark.slow
def test_decisions_cli_on_a_real_play(ngs_dir, tmp_path, capsys):
    from ghostedge.cli import main

    out = tmp_path / "d.png"
    rc = main(["decisions", "--data", str(ngs_dir), "--game", "2018090912", "--play", "2775",
               "--baseline", "--json", "--plot", str(out)])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frameId"] == 152 and summary["arrivalFrameId"] == 181
    ranks = [r["rank"] for r in summary["receivers"]]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 3
    assert sum(r["is_actual_target"] for r in summary["receivers"]) == 1
    assert out.stat().st_size > 0


@pytest.mark.slow
def test_rank_receivers_with_the_shipped_model(ngs_dataset, tmp_path):
    from ghostedge.model.inference import GhostModel, default_model_path

    if not default_model_path().is_file():
        pytest.skip("no shipped ghost model (models/ghostedge_ghost.onnx) yet")
    play = ngs_dataset.play(2018090912, 2775)
    decision = decisions.analyse_decision(play, GhostModel())
    assert sum(o.is_actual_target for o in decision.options) == 1
    known = [o for o in decision.options if np.isfinite(o.separation_at_arrival)]
    assert len(known) >= 3
    seps = [o.separation_at_arrival for o in known]
    assert seps == sorted(seps, reverse=True)
    # Ghosts depend on the target: the actual target's and the best alternative's differ.
    ids = [o.nfl_id for o in decision.options[:2]]
    assert not np.allclose(decision.ghosts[ids[0]], decision.ghosts[ids[1]])
    plot_decision(play, decision.options, decision.ghosts, tmp_path / "d.png")
    assert (tmp_path / "d.png").stat().st_size > 0


def test_ranking_by_expected_value_with_the_completion_model():
    from ghostedge.model.completion import CompletionModel

    play = constructed_play(receiver_gap=True)
    options = decisions.rank_receivers(play, ConstantVelocityModel(), completion_model=CompletionModel())
    by_id = {o.nfl_id: o for o in options}
    for o in options[:2]:
        assert o.expected_value_yd == pytest.approx(o.completion_probability * o.expected_gain_yd)
        # air yards (the WR at the arrival, x 66, minus the ball at the throw, x 50) + 1 yd per
        # yd of ghost separation at the arrival
        assert o.expected_gain_yd == pytest.approx(
            66.0 - 50.0 + decisions.YAC_PER_SEPARATION_YD * o.separation_at_arrival)
    assert options[0].nfl_id == 102 and options[0].expected_value_yd > by_id[101].expected_value_yd
    assert options[-1].nfl_id == 103 and np.isnan(options[-1].expected_value_yd)


def test_decisions_all_json_rows(tmp_path, capsys, monkeypatch):
    from ghostedge.cli import main
    from ghostedge.commands import decisions as command

    plays = [constructed_play(receiver_gap=False), constructed_play(receiver_gap=False)]
    plays[1].play_id = 7
    plays[1].pass_forward_frame = None  # not a pass: not scored
    fake = SimpleNamespace(iter_plays=lambda keys=None: iter(plays), play_keys=lambda: [(1, 2), (1, 7)])
    monkeypatch.setattr("ghostedge.data.load_dataset", lambda path: fake)
    rc = main(["decisions", "--data", str(tmp_path), "--all", "--json", "--baseline"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_plays"] == 1 and out["n_plays_skipped"] == 0
    assert sorted(r["nfl_id"] for r in out["rows"]) == [101, 102, 103]
    row = out["rows"][0]
    assert {"gameId", "playId", "nfl_id", "rank", "completion_probability", "expected_value_yd",
            "separation_at_arrival", "coverage_score", "is_actual_target"} <= set(row)
    assert [r["rank"] for r in out["rows"]] == [1, 2, 3]
    with pytest.raises(ValueError, match="--all"):
        command.run(SimpleNamespace(all=True, game=1, play=2, json=True))
