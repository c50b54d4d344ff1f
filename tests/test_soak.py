"""The soak on a short game of the shipped sample plays, with every fault kind, through the real
engine, model and ingest pipeline (the full 180-minute run is recorded in docs/reliability.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ghostedge.data import sample_data_dir
from ghostedge.sim import faults as fl
from ghostedge.sim.soak import RECOVERY_TOLERANCE_YD, SoakConfig, run_soak


@pytest.fixture(scope="module")
def report():
    # 4 game-minutes of the samples visit every fault kind at least once.
    return run_soak(SoakConfig(game_minutes=4, data=str(sample_data_dir()), seed=11, progress=False))


def test_every_frame_answered_without_exceptions(report):
    assert report["frames"] == 2400
    assert report["frames_answered"] == report["frames"]
    assert report["exceptions"] == 0, report["exception_messages"]


def test_every_fault_kind_injected(report):
    assert set(report["faults_injected"]) == set(fl.FAULT_KINDS)


@pytest.mark.parametrize("kind", fl.FAULT_KINDS)
def test_fault_counted_under_its_kind(report, kind):
    assert report["faults_counted"].get(kind) == report["faults_injected"].get(kind), [
        e for e in report["faults_uncounted"] if e["kind"] == kind]


def test_recovery_comparator_is_exact_on_clean_data(report):
    # The comparator itself: on clean frames the engine and the clean rerun must agree exactly
    # (same frame, inputs built by the same code, the same model call): anything else would be
    # measured as "not recovered" by the checks below.
    assert report["recovery_controls"] >= 20
    assert report["recovery_control_max_yd"] is not None and report["recovery_control_max_yd"] < 1e-6


# Every episode's ghosts must be back within the tolerance of the clean run's RECOVERY_FRAMES
# (1.8 s) after the fault (once an xfail: the 2 s packet loss in play 2019092600/253, where the
# clean run gated out a returning shoulder against a long-held orientation; docs/filtering.md).
RECOVERY_CHECKED = [k for k in fl.FAULT_KINDS if k not in ("player_leaves_field", "model_missing", "model_corrupt")]


@pytest.mark.parametrize("kind", RECOVERY_CHECKED)
def test_ghosts_recover_after_every_fault(report, kind):
    r = report["recovery"][kind]
    assert r["checked"] >= 1
    assert r["recovered"] == r["checked"], (kind, r, RECOVERY_TOLERANCE_YD, [
        e for e in report["not_recovered"] if e["kind"] == kind])


def test_soak_cli_json(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "ghostedge", "soak", "--game-minutes", "0.5", "--faults",
         "garbage_bytes,bit_flip", "--seed", "3", "--data", str(sample_data_dir()), "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)  # exactly one JSON object on stdout
    assert report["frames"] == 300 == report["frames_answered"]
    assert set(report["faults_injected"]) <= {"garbage_bytes", "bit_flip"}
    assert report["faults_injected"] == report["faults_counted"]


def test_soak_cli_rejects_unknown_fault():
    out = subprocess.run([sys.executable, "-m", "ghostedge", "soak", "--faults", "meteor_strike", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "meteor_strike" in out.stderr and out.stdout == ""


def test_the_gate_fails_on_every_kind_of_failure(report):
    from ghostedge.sim.soak import soak_failures

    assert soak_failures(report) == []
    bad = json.loads(json.dumps(report))
    kind = next(iter(bad["faults_injected"]))
    bad["faults_counted"][kind] -= 1
    bad["recovery"]["bit_flip"]["recovered"] -= 1
    bad["frames_answered"] -= 1
    bad["exceptions"], bad["exception_messages"] = 1, ["tick: boom"]
    bad["recovery_control_max_yd"] = 0.01
    reasons = " | ".join(soak_failures(bad))
    for words in ("not counted", "did not recover", "unanswered", "exception", "clean data"):
        assert words in reasons, (words, reasons)


def test_a_player_running_infield_still_walks_off_and_every_off_field_read_is_counted():
    """The soak once left 3 of 11 player_leaves_field episodes uncounted (reads_off_field 0):
    the walk was added to the player's own running, and a player running back infield never
    crossed the field's margin. In play 2019020300/2816 of the samples the player nearest a
    sideline runs infield at about the walk's speed."""
    import numpy as np

    from ghostedge.data import load_samples
    from ghostedge.ingest.pipeline import IngestPipeline
    from ghostedge.ingest.schedule import packets_by_frame
    from ghostedge.sim.simulator import SimConfig, simulate_play
    from ghostedge.sim.soak_plan import plan_episode

    play = next(p for p in load_samples().iter_plays() if (p.game_id, p.play_id) == (2019020300, 2816))
    sim = simulate_play(play, SimConfig(start_time_us=1_600_000_000_000_000, loss_rate=0.0, reorder_rate=0.0), seed=5)
    times = sim.frame_times_us
    delay_us = round(IngestPipeline(sim.registry).delay_s * 1e6)
    clean = packets_by_frame(sim.packets, sim.packet_times_us, times, delay_us, keep_late=True)
    for seed in range(6):
        chunks = [list(c) for c in clean]
        ep = plan_episode("player_leaves_field", play, sim, times, chunks, "x", np.random.default_rng(seed), delay_us)
        assert ep is not None
        faulted, reference = IngestPipeline(sim.registry), IngestPipeline(sim.registry)
        for i, t in enumerate(times):
            for p in chunks[i]:
                faulted.push(p)
            for p in clean[i]:
                reference.push(p)
            faulted.tick(int(t))
            reference.tick(int(t))
        observed = faulted.counters()["reads_off_field"] - reference.counters()["reads_off_field"]
        op, expected = ep.event.expected["reads_off_field"]
        assert op == "==" and expected > 0 and observed == expected, (seed, expected, observed)
