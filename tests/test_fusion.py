"""Fusion geometry through the compiled core: the NGS orientation convention (checked against
the real data), the simulator's shoulder placement and the single-tag fallback."""

from __future__ import annotations

import numpy as np
import pytest

from ghostedge import _core
from ghostedge.ingest.pipeline import FLAG_SINGLE_TAG, IngestPipeline
from ghostedge.ingest.registry import Registry
from ghostedge.ingest.wire import READ_DTYPE


def test_orientation_convention_round_trip():
    # o = 0 faces +y: the right shoulder is at +x; o = 90 faces +x: right shoulder at -y.
    assert _core.right_shoulder_unit(0.0) == pytest.approx((1.0, 0.0))
    assert _core.right_shoulder_unit(90.0) == pytest.approx((0.0, -1.0), abs=1e-12)
    for o in np.arange(0.0, 360.0, 7.5):
        ux, uy = _core.right_shoulder_unit(o)
        assert _core.orientation_from_shoulders(ux, uy) == pytest.approx(o, abs=1e-9)


@pytest.mark.slow
def test_ngs_orientation_matches_direction_of_motion(ngs_dataset):
    """The convention check on real data: running players face where they run, so with o in
    the same convention as dir (0 = +y, clockwise) the median |o - dir| is small."""
    t = ngs_dataset.tracking
    run = t[(t["nflId"] >= 0) & (t["s"] > 4.0)]
    diff = np.abs((run["o"] - run["dir"] + 180.0) % 360.0 - 180.0)
    assert float(np.median(diff)) < 15.0


def reads_for(tags, t0, n, positions):
    out = np.zeros(len(tags) * n, READ_DTYPE)
    k = 0
    for i in range(n):
        for tag, (x, y) in zip(tags, positions):
            out[k] = (t0 + i * 20_000 + k, tag, x, y, 1.6, 200)
            k += 1
    return out


def test_midpoint_orientation_and_single_tag_fallback():
    reg = Registry.from_players([7], ball=False)
    left, right = reg.core.shoulder_tag(0, 0), reg.core.shoulder_tag(0, 1)
    pipe = IngestPipeline(reg, delay_s=0.0)
    ux, uy = _core.right_shoulder_unit(135.0)
    c = np.array([40.0, 25.0])
    l_pos, r_pos = c - 0.25 * np.array([ux, uy]), c + 0.25 * np.array([ux, uy])
    t0 = 1_600_000_000_000_000
    for k in range(10):  # both tags for 1 s
        base = t0 + k * 100_000
        pipe.push_reads(reads_for([left, right], base + 1, 5, [l_pos, r_pos]))
        f = pipe.tick(base + 100_000)
    assert f.x[0] == pytest.approx(40.0, abs=1e-3) and f.y[0] == pytest.approx(25.0, abs=1e-3)
    assert f.o[0] == pytest.approx(135.0, abs=0.5)
    assert not f.flags[0] & FLAG_SINGLE_TAG
    for k in range(10, 15):  # right tag silent: the left tag + half a shoulder along o=135
        base = t0 + k * 100_000
        pipe.push_reads(reads_for([left], base + 1, 5, [l_pos]))
        f = pipe.tick(base + 100_000)
        assert f.flags[0] & FLAG_SINGLE_TAG
        assert f.x[0] == pytest.approx(40.0, abs=0.01) and f.y[0] == pytest.approx(25.0, abs=0.01)


def test_ball_in_flight_on_sample_plays():
    """The five shipped sample plays through simulate -> pipeline: the filtered ball follows
    the throws (before the ball rework: RMSE 130 in, p90 253 in, from a saw-tooth of stale
    re-acquisitions) and the ball read gate still rejects its injected outliers."""
    from ghostedge.commands.ingest_eval import evaluate_plays
    from ghostedge.data import load_samples

    r = evaluate_plays(list(load_samples().iter_plays()), seed=0)
    assert r["ball_flight_frames"] > 50 and r["ball_flight_missing"] == 0
    assert r["ball_rmse_in"] < 12.0
    assert r["ball_p90_error_in"] < 12.0
    assert r["ball_max_error_in"] < 36.0
    assert r["ball_false_rejections"] <= 0.01 * r["ball_reads"]
    assert r["ball_outliers_rejected"] == r["ball_outliers_injected"]
