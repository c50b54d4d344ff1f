"""Throughput on one core: tag reads decoded and validated per second (C++ streaming decoder vs
the pure-Python reference decoder, same bytes), and player-frames filtered per second by the
batch form of the causal filter."""

from __future__ import annotations

import numpy as np

from _harness import best_rate

READS_PER_PACKET = (64, 1024)  # a hub flushing ~every 25 ms with a full roster; the format's max


def synthetic_stream(n_reads: int, reads_per_packet: int, seed: int = 0):
    """A valid packet stream of ``n_reads`` tag reads (players moving on the field, 25 Hz
    blinks), as (uint8 stream, number of packets)."""
    from ghostedge.wire import READ_DTYPE, encode_batch

    rng = np.random.default_rng(seed)
    reads = np.zeros(n_reads, READ_DTYPE)
    t0 = 1_568_000_000_000_000
    reads["time_us"] = t0 + np.arange(n_reads) * 40_000 // 45
    reads["tag_id"] = rng.integers(2, 400_000, n_reads)
    reads["x"] = rng.uniform(0, 120, n_reads)
    reads["y"] = rng.uniform(0, 53.3, n_reads)
    reads["z"] = rng.uniform(0.5, 2.0, n_reads)
    reads["quality"] = rng.integers(100, 256, n_reads)
    counts = np.full(n_reads // reads_per_packet, reads_per_packet, np.int64)
    if n_reads % reads_per_packet:
        counts = np.append(counts, n_reads % reads_per_packet)
    firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    capture = reads["time_us"][firsts + counts - 1] + 1_000
    stream, _ = encode_batch(reads, counts, np.arange(counts.size) % (1 << 32), capture)
    return np.ascontiguousarray(stream), int(counts.size)


def decode(cfg: dict) -> dict:
    from ghostedge.wire import READ_DTYPE, Decoder

    import reference_decode

    n_reads = 200_000 if cfg["min_time_s"] < 0.1 else 2_000_000
    rows = []
    for rpp in READS_PER_PACKET:
        stream, n_packets = synthetic_stream(n_reads, rpp)
        out = np.empty(n_reads + 1024, READ_DTYPE)

        def cpp_decode() -> int:
            dec = Decoder()  # fresh: the duplicate window must not reject the second pass
            n = dec.feed_into(stream, out)
            return n

        # Correctness first: every read back, nothing rejected.
        dec = Decoder()
        got = dec.feed_into(stream, out)
        stats = dec.stats()
        if got != n_reads or stats["packets_ok"] != n_packets:
            raise RuntimeError(f"decoder returned {got}/{n_reads} reads, stats {stats}")
        cpp_rate = best_rate(cpp_decode, cfg["min_time_s"] * 2)

        # The reference is ~100x slower: time it on a slice of whole packets.
        packet_bytes = stream.size // n_packets if n_reads % rpp == 0 else 32 + 24 * rpp
        ref_bytes = bytes(stream[: packet_bytes * max(1, 20_000 // rpp)])
        ref_reads, ref_stats = reference_decode.decode(ref_bytes)
        if len(ref_reads) == 0 or ref_stats["packets_bad_crc"]:
            raise RuntimeError(f"reference decoder failed on the stream: {ref_stats}")
        ref_rate = best_rate(lambda: len(reference_decode.decode(ref_bytes)[0]),
                             cfg["min_time_s"], rounds=3)
        rows.append({"reads_per_packet": rpp, "packets": n_packets, "reads": n_reads,
                     "cpp_reads_per_s": cpp_rate, "reference_reads_per_s": ref_rate,
                     "cpp_bytes_per_s": cpp_rate * stream.size / n_reads,
                     "speedup_vs_reference": cpp_rate / ref_rate})
    typical = rows[0]
    return {
        "method": "Decoder.feed_into (allocation-free, single thread) on a whole stream; best of "
                  "rounds; reference = bench/reference_decode.py on whole packets of the same stream",
        "by_packet_size": rows,
        "cpp_reads_per_s": typical["cpp_reads_per_s"],
        "reference_reads_per_s": typical["reference_reads_per_s"],
        "speedup_vs_reference": typical["speedup_vs_reference"],
        "reads_per_packet": typical["reads_per_packet"],
    }


def filter_batch(cfg: dict, data_dir=None) -> dict:
    """Player-frames per second through the batch causal filter, real plays + 2 in noise."""
    from _harness import load_pass_plays
    from bench_scale import filter_points_per_s, noisy_tracks

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
