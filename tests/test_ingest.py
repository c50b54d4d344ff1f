"""The live ingest pipeline end to end (simulated play -> packets -> frames) and the
ingest-eval acceptance thresholds on real plays (slow)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from test_sim import synthetic_play

from ghostedge.commands.ingest_eval import evaluate_plays
from ghostedge.ingest.pipeline import FLAG_NEVER_SEEN, IngestPipeline, replay_packets
from ghostedge.ingest.registry import Registry
from ghostedge.sim import SimConfig, simulate_play


def test_pipeline_on_simulated_play():
    play = synthetic_play(T=100, step=0.4)
    sim = simulate_play(play, SimConfig(outlier_rate=0.01), seed=4)
    pipe = IngestPipeline(sim.registry)
    out = replay_packets(pipe, sim.packets, sim.packet_times_us, sim.frame_times_us)
    N = play.n_players
    err = np.hypot(out["x"][5:, :N] - play.xy[5:, :, 0], out["y"][5:, :N] - play.xy[5:, :, 1])
    assert np.sqrt(np.mean(err ** 2)) * 36 < 3.0
    assert np.all(np.abs(out["s"][10:, :N] - 4.0) < 1.0)
    c = pipe.counters()
    assert c["reads_in"] == int(sim.read_delivered.sum())
    assert c["reads_gated"] >= 0.9 * int((sim.read_is_outlier & sim.read_delivered & ~sim.read_is_ball).sum())
    assert c["decode_packets_ok"] == len(sim.packets)
    assert c["ticks"] == play.n_frames


def test_frame_state_and_bad_input():
    reg = Registry.from_players([3, 4])
    pipe = IngestPipeline(reg)
    frame = pipe.tick(1_600_000_000_000_000)
    assert list(frame.nfl_ids) == [3, 4]
    assert np.all(frame.flags & FLAG_NEVER_SEEN) and np.all(np.isnan(frame.x))
    assert not frame.has_estimate().any()
    pipe.push(b"\x00garbage that is not a packet" * 10)  # skipped and counted, not fatal
    assert pipe.counters()["decode_bytes_skipped"] > 0
    with pytest.raises(ValueError):
        pipe.push_reads(np.zeros(3, dtype=[("a", "f8")]))
    with pytest.raises(ValueError, match="rate_hz"):
        IngestPipeline(reg, rate_hz=0.0)
    with pytest.raises(ValueError, match="delay_s"):
        IngestPipeline(reg, delay_s=0.5)
    with pytest.raises(TypeError):
        IngestPipeline(reg.core)


def test_unknown_tags_counted():
    play = synthetic_play(T=30)
    sim = simulate_play(play, seed=1)
    pipe = IngestPipeline(Registry.from_players(play.nfl_ids[:1]))  # roster knows one player
    replay_packets(pipe, sim.packets, sim.packet_times_us, sim.frame_times_us)
    c = pipe.counters()
    assert c["reads_unknown_tag"] > 0 and c["reads_accepted"] > 0


def test_cli_json(tmp_path, capsys):
    """ingest-eval on a tiny tracking file prints exactly one JSON object with the keys."""
    import pandas as pd

    from ghostedge.cli import main

    play = synthetic_play(T=40, step=0.3)
    rows = []
    for t in range(play.n_frames):
        for n in range(play.n_players):
            rows.append(dict(gameId=1, playId=2, nflId=int(play.nfl_ids[n]), frameId=t + 1,
                             x=play.xy[t, n, 0], y=play.xy[t, n, 1], s=3.0, o=play.o[t, n], dir=90.0))
        rows.append(dict(gameId=1, playId=2, nflId=None, frameId=t + 1, x=play.ball_xy[t, 0],
                         y=play.ball_xy[t, 1], s=3.0, o=None, dir=None))
    pd.DataFrame(rows).to_csv(tmp_path / "tracking.csv", index=False)
    assert main(["ingest-eval", "--data", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("frames", "raw_rmse_in", "position_rmse_in", "p99_error_in", "speed_rmse_yps",
                "dir_median_err_deg", "o_median_err_deg", "outliers_injected", "outliers_rejected",
                "false_rejections", "max_player_speed_yps", "packets", "packets_rejected"):
        assert key in report
    assert report["frames"] + report["flagged_missing"] == report["source_player_frames"]


@pytest.fixture(scope="module")
def real_report(ngs_dataset):
    plays = list(itertools.islice(ngs_dataset.iter_plays(), 0, 400, 20))  # 20 plays
    return evaluate_plays(plays, SimConfig(), seed=0)


@pytest.mark.slow
def test_ingest_eval_thresholds_on_real_plays(real_report):
    r = real_report
    assert r["accounted_for"]
    assert r["position_rmse_in"] <= 3.0
    assert r["outliers_rejected"] >= 0.99 * r["outliers_injected"]
    assert r["false_rejections"] <= 0.001 * r["reads"]
    assert r["max_player_speed_yps"] <= 12.5 + 1e-9
    assert r["speed_rmse_yps"] <= 0.35
    assert r["dir_median_err_deg"] <= 5.0


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 2 asks for <= 0.70 x raw with at most one frame of delay; the best "
                   "constant-acceleration smoother with one frame of look-ahead reaches ~0.76 (docs/filtering.md, "
                   "'What one frame of delay allows'; tools/fixed_lag_bound.py)")
def test_smoothing_gain_on_real_plays(real_report):
    assert real_report["position_rmse_in"] <= 0.7 * real_report["raw_rmse_in"]


def test_reads_from_a_clock_running_ahead_are_counted_early_and_dropped():
    from ghostedge.ingest.wire import READ_DTYPE

    reg = Registry.from_players([7])
    pipe = IngestPipeline(reg)
    t0 = 1_600_000_000_000_000

    def reads(times_us):
        r = np.zeros(len(times_us), READ_DTYPE)
        r["time_us"], r["tag_id"], r["x"], r["y"] = times_us, 14, 30.0, 20.0
        return r

    pipe.tick(t0)
    # Next tick t0 + 0.1 s closes reads up to t0 + 0.2 s; 1 s beyond that is still allowed.
    pipe.push_reads(reads([t0 + 150_000, t0 + 1_150_000, t0 + 1_250_000, t0 + 5_000_000]))
    pipe.tick(t0 + 100_000)
    c = pipe.counters()
    assert c["reads_early"] == 2 and c["reads_late"] == 0
    for k in range(2, 12):  # the one read 1.15 s ahead is used when its tick comes
        pipe.tick(t0 + k * 100_000)
    c = pipe.counters()
    assert c["reads_early"] == 2 and c["reads_accepted"] == 2
