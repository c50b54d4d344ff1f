"""Throughput on one core: tag reads decoded and validated per second (C++ streaming decoder vs
the pure-Python reference decoder, same bytes), and player-frames filtered per second by the
batch form of the causal filter."""

from __future__ import annotations

import numpy as np


def decode(cfg: dict) -> dict:
    """WIRE's decode benchmark (bench/bench_decode.py: C++ vs the reference, same stream,
    identical reads checked first) at a hub-sized packet and at the format's maximum."""
    import bench_decode

    sizes = (45,) if cfg["min_time_s"] < 0.1 else (45, 1024)
    rows = [bench_decode.run(quick=cfg["min_time_s"] < 1.0, reads_per_packet=rpp) for rpp in sizes]
    typical = rows[0]
    return {
        "method": "bench/bench_decode.py: Decoder.feed_into (allocation-free, one thread) on a "
                  "whole stream, best of rounds; reference = bench/reference_decode.py",
        "by_packet_size": rows,
        "cpp_reads_per_s": typical["cpp_reads_per_s"],
        "reference_reads_per_s": typical["reference_reads_per_s"],
        "speedup_vs_reference": typical["speedup_vs_reference"],
        "reads_per_packet": typical["reads_per_packet"],
    }


def filter_batch(cfg: dict, data_dir=None) -> dict:
    """Player-frames per second through the batch causal filter, real plays + 2 in noise."""
    from _harness import load_pass_plays

    from ghostedge.sim.bench_parts import filter_points_per_s, noisy_tracks

    plays = load_pass_plays(data_dir, max(cfg["plays"], 4), cfg["samples"]).plays
    rng = np.random.default_rng(0)
    tracks = [noisy_tracks(p, rng) for p in plays]
    rate = filter_points_per_s(tracks, cfg["min_time_s"] * 2)
    return {
        "method": "_core.filter_tracks (outlier gating + Kalman + s/a/dir/o), play by play, one "
                  "core, best of rounds",
        "plays": len(plays),
        "player_frames": int(sum(x.size for _, x, _, _ in tracks)),
        "player_frames_per_s": rate,
    }
