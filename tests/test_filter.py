"""The batch (offline) filter on known trajectories: straight line, stop, outlier spike,
speed cap, gaps held then lost, and bad input shapes."""

from __future__ import annotations

import numpy as np
import pytest

from ghostedge.ingest.pipeline import FLAG_HELD, FLAG_LOST, FLAG_REJECTED, filter_tracks

FRAME_US = 100_000


def track(xs, ys):
    t = np.arange(len(xs), dtype=np.int64) * FRAME_US
    return t, np.asarray(xs, float)[:, None], np.asarray(ys, float)[:, None]


def test_straight_line_speed_and_direction():
    rng = np.random.default_rng(1)
    k = np.arange(80)
    t, x, y = track(10 + 0.8 * k + rng.normal(0, 0.03, 80), 5 + 0.6 * k + rng.normal(0, 0.03, 80))
    out = filter_tracks(t, x, y)
    assert np.sqrt(np.mean((out["s"][20:, 0] - 10.0) ** 2)) < 0.35  # 10 yd/s
    expected_dir = np.degrees(np.arctan2(0.8, 0.6))
    assert np.all(np.abs(out["dir"][20:, 0] - expected_dir) < 5.0)
    clean = np.hypot(out["x"][20:, 0] - (10 + 0.8 * k[20:]), out["y"][20:, 0] - (5 + 0.6 * k[20:]))
    assert np.sqrt(np.mean(clean ** 2)) < 0.03 * np.sqrt(2)


def test_stop_and_outlier_spike():
    xs = np.concatenate([30 + 0.5 * np.arange(30), np.full(30, 44.5)])
    xs[40] += 4.0  # a 4 yd spike while standing
    t, x, y = track(xs, np.full(60, 10.0))
    out = filter_tracks(t, x, y)
    assert out["rejected"] == 1
    assert out["flags"][40, 0] & FLAG_REJECTED
    assert abs(out["x"][40, 0] - 44.5) < 0.2
    assert out["s"][-1, 0] < 0.3


def test_speed_never_exceeds_cap_for_players_but_ball_is_free():
    t, x, y = track(10 + 2.0 * np.arange(40), np.full(40, 20.0))  # 20 yd/s
    player = filter_tracks(t, x, y)
    assert np.nanmax(player["s"]) <= 12.5 + 1e-9
    ball = filter_tracks(t, x, y, is_ball=True)
    assert ball["s"][-1, 0] == pytest.approx(20.0, abs=0.5)


def test_gap_is_held_then_lost_never_dropped():
    xs = np.concatenate([50 + 0.3 * np.arange(10), np.full(15, np.nan), 60 + 0.3 * np.arange(5)])
    t, x, y = track(xs, np.full(30, 20.0))
    out = filter_tracks(t, x, y)
    flags = out["flags"][:, 0]
    assert flags[10] & FLAG_HELD and not flags[10] & FLAG_LOST
    assert np.isfinite(out["x"][10, 0])
    assert flags[24] & FLAG_LOST and np.isnan(out["x"][24, 0])
    assert not flags[26] & FLAG_LOST and abs(out["x"][26, 0] - 60.3) < 0.3


def test_bad_shapes_raise_value_error():
    t = np.arange(5, dtype=np.int64)
    with pytest.raises(ValueError, match="x and y must be"):
        filter_tracks(t, np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="strictly increasing"):
        filter_tracks(np.zeros(5, np.int64), np.zeros((5, 1)), np.zeros((5, 1)))
