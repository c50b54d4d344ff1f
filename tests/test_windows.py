"""Windowing, split and sample construction (issue 3 definitions)."""

from __future__ import annotations

import numpy as np
import pytest

from ghostedge.data.play import Play
from ghostedge.model.features import N_FEATURES
from ghostedge.model.frames import H_MAX, to_model_xy
from ghostedge.model.windows import (
    game_split,
    has_full_flight,
    is_pass_play,
    play_samples,
    window_starts,
)


def make_play(n_frames=40, pf=11, pa=30, direction="right", gaps=()):
    """A small synthetic pass play: 2 DBs (CB, FS), a WR target, a QB; frameIds start at 1."""
    T, N = n_frames, 4
    t = np.arange(T, dtype=float)[:, None]
    xy = np.zeros((T, N, 2))
    xy[:, 0] = np.hstack([30 + 0.5 * t, 20 + 0.1 * t])  # CB
    xy[:, 1] = np.hstack([40 + 0.3 * t, 30 - 0.2 * t])  # FS
    xy[:, 2] = np.hstack([28 + 0.8 * t, 18 + 0.0 * t])  # WR (target)
    xy[:, 3] = np.hstack([20 + 0.0 * t, 26 + 0.0 * t])  # QB
    present = np.ones((T, N), bool)
    for f, n in gaps:
        xy[f - 1, n] = np.nan
        present[f - 1, n] = False
    ball = np.hstack([20 + 1.5 * t, 26 - 0.3 * t])
    return Play(
        game_id=2019090800, play_id=55, frame_ids=np.arange(1, T + 1), nfl_ids=np.array([1, 2, 3, 4]),
        xy=xy, o=np.full((T, N), 90.0), present=present, ball_xy=ball,
        club=np.array(["DEF", "DEF", "OFF", "OFF"], dtype=object),
        position=np.array(["CB", "FS", "WR", "QB"], dtype=object),
        jersey=np.array(["21", "33", "11", "12"], dtype=object), name=np.array(["a", "b", "c", "d"], dtype=object),
        events=np.full(T, "", dtype=object), play_direction=direction, possession_team="OFF",
        defensive_team="DEF", pass_forward_frame=pf, pass_arrived_frame=pa, target_nfl_id=3,
        context={"down": 2, "yardsToGo": 6, "absoluteYardlineNumber": 35, "quarter": 2, "gameClockSeconds": 300.0},
    )


def test_split_is_deterministic_by_game_and_about_20_percent_heldout():
    games = range(2018090600, 2018090600 + 4000)
    splits = [game_split(g) for g in games]
    assert splits == [game_split(g) for g in games]
    frac = np.mean([s == "heldout" for s in splits])
    assert 0.17 < frac < 0.23
    assert set(splits) == {"train", "val", "heldout"}


def test_window_starts_cover_pass_forward_to_arrival_minus_10():
    play = make_play(pf=11, pa=30)
    assert window_starts(play, 0) == list(range(11, 21))  # 11 .. 30 - 10
    assert has_full_flight(play, 0)


def test_missing_frames_remove_exactly_the_windows_that_need_them():
    play = make_play(pf=11, pa=30, gaps=[(15, 0)])  # defender 0 misses frame 15
    # a window starting at t uses t-2 .. t+10: frame 15 is in windows 5..17 -> only 18..20 remain
    assert window_starts(play, 0) == [18, 19, 20]
    assert not has_full_flight(play, 0)
    assert window_starts(play, 1) == list(range(11, 21))


def test_pass_play_requirements():
    assert is_pass_play(make_play())
    assert not is_pass_play(make_play(pf=20, pa=20))
    p = make_play()
    p.target_nfl_id = 99  # target not tracked
    assert not is_pass_play(p)


@pytest.mark.parametrize("direction", ["right", "left"])
def test_samples_hold_the_true_future_in_the_model_frame(direction):
    play = make_play(pf=11, pa=30, direction=direction)
    s = play_samples(play, mirror=True)
    left = direction == "left"
    assert set(s.start_frame.tolist()) == set(range(11, 30))
    assert s.features.shape[1] == N_FEATURES and s.future.shape[1:] == (H_MAX, 2)
    row = np.flatnonzero((s.nfl_id == 1) & (s.start_frame == 11) & ~s.mirrored)[0]
    m = to_model_xy(play.xy[:, 0], left)
    np.testing.assert_allclose(s.future[row, :19], m[11:30] - m[10], atol=1e-5)
    assert s.mask[row, :19].all() and not s.mask[row, 19:].any()  # nothing after the arrival
    np.testing.assert_allclose(s.past[row], m[8:10] - m[10], atol=1e-5)
    # the defender moves toward +x in raw coordinates: in the model frame that flips for 'left'
    assert (s.future[row, 18, 0] > 0) == (not left)
    # mirrored rows exist, are never evaluation rows, and flip y only
    mrow = np.flatnonzero((s.nfl_id == 1) & (s.start_frame == 11) & s.mirrored)[0]
    np.testing.assert_allclose(s.future[mrow, :19] * [1, -1], s.future[row, :19], atol=1e-5)
    assert not s.is_window[s.mirrored].any() and not s.is_flight[s.mirrored].any()
    assert s.is_flight.sum() == 2 and s.is_window.sum() == 20  # 2 DBs x 10 windows


def test_all_defenders_adds_non_dbs_but_evaluation_flags_stay_db_only():
    play = make_play()
    play.position = np.array(["CB", "OLB", "WR", "QB"], dtype=object)
    s = play_samples(play, all_defenders=True)
    assert set(s.nfl_id.tolist()) == {1, 2}
    assert not s.is_window[s.nfl_id == 2].any()


def test_a_start_frame_needs_the_ball_tracked_in_its_last_three_frames():
    play = make_play()
    full = play_samples(play)
    play.ball_xy[13 - 1] = np.nan  # frame 13 (start frames are 11..29): 11, 12 still hold it
    assert len(play_samples(play)) == len(full)
    play.ball_xy[11 - 1 : 13 - 1] = np.nan  # now 11..13
    s = play_samples(play)
    assert 13 in set(full.start_frame.tolist()) and 13 not in set(s.start_frame.tolist())
    assert len(s) == len(full) - (full.start_frame == 13).sum()


def test_split_overrides_and_a_models_record_of_its_games():
    from ghostedge.model.windows import SPLIT_OVERRIDES

    for game, split in SPLIT_OVERRIDES.items():
        assert game_split(game) == split
    assert sorted(SPLIT_OVERRIDES.values()) == ["heldout", "train", "train"]
    recorded = {11: "train", 12: "val"}
    assert [game_split(g, recorded) for g in (11, 12, 13)] == ["train", "val", "heldout"]
    # a game the model never saw is held out whatever its CRC bucket
    assert all(game_split(g, recorded) == "heldout" for g in range(2018090600, 2018090650))


class _FakeData:
    def __init__(self, plays, source):
        self.plays, self.source = {(p.game_id, p.play_id): p for p in plays}, source

    def play_keys(self):
        return list(self.plays)

    def iter_plays(self, keys=None):
        yield from (self.plays[k] for k in (keys if keys is not None else self.plays))


def test_dataset_union_keeps_each_plays_folder_and_refuses_clashes():
    from dataclasses import replace

    from ghostedge.model.windows import DatasetUnion, recorded_splits

    a = _FakeData([make_play(), replace(make_play(), play_id=56)], "a")
    b = _FakeData([replace(make_play(), game_id=1131243972886266)], "b")
    u = DatasetUnion([("A", a), ("B", b)])
    assert u.play_keys() == [(2019090800, 55), (2019090800, 56), (1131243972886266, 55)]
    assert u.folder_of(1131243972886266, 55) == "B"
    assert [p.play_id for p in u.iter_plays([(1131243972886266, 55), (2019090800, 56)])] == [56, 55]
    rec = recorded_splits(u)
    assert sorted(rec["train"] + rec["val"]) == sorted(
        g for g in (2019090800, 1131243972886266) if game_split(g) != "heldout")
    assert all(game_split(g) == name for name in ("train", "val") for g in rec[name])
    with pytest.raises(ValueError, match="in both"):
        DatasetUnion([("A", a), ("C", _FakeData([make_play()], "c"))])
    with pytest.raises(ValueError, match="twice"):
        DatasetUnion([("A", a), ("A", b)])


def test_samples_without_orientation_are_kept():
    """The games and BDB 2019 have no o: samples are still built (o features NaN)."""
    from ghostedge.model.features import FEATURE_NAMES, ORIENTATION_FEATURES

    play = make_play()
    play.o[:] = np.nan
    s = play_samples(play)
    assert len(s) > 0 and s.is_window.any()
    o_cols = [FEATURE_NAMES.index(n) for n in ORIENTATION_FEATURES]
    assert np.isnan(s.features[:, o_cols]).all()
    assert (s.features[:, FEATURE_NAMES.index("def_o_known")] == 0).all()
