"""Tag-read simulator: turns a real tracked :class:`~ghostedge.data.Play` into the packet stream
the stadium's radio system would have sent, with known truth, so that decoding, fusion and
filtering can be measured (``ghostedge ingest-eval``).

Model (defaults in :class:`SimConfig`): every player wears two shoulder tags, half a shoulder
width (0.25 yd) left and right of his tracked position, across his orientation ``o`` (NGS:
facing ``(sin o, cos o)``, so the right shoulder lies along ``(cos o, -sin o)``); the ball has
one tag. Tags blink at ~25 Hz with a random phase and jitter; positions between the 10 Hz
frames are interpolated linearly (orientation along the shorter arc); no reads are made across
a gap in the source track. Each read gets gaussian error (2 in per axis), rare gross outliers
(0.1% of reads, 1-5 yd off in a random direction), some players lose one shoulder tag for
0.5-3 s, and reads are batched into packets every 20 ms that are lost (1%) or delayed past
later ones (reordered). Deterministic for a given seed.

    sim = simulate_play(play, SimConfig(), seed=7)
    sim.packets, sim.packet_times_us   # encoded packets in arrival order, arrival times
    sim.reads, sim.read_is_outlier, sim.read_delivered   # truth per generated read

``python -m ghostedge.sim.simulator --data DIR --out FILE`` writes a play's stream as a capture file;
``ghostedge simulate`` sends it over UDP (``ghostedge.net``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

import numpy as np

from ..constants import FRAME_US
from ..data.play import Play
from ..ingest import wire
from ..ingest.registry import BALL_TAG_ID, Registry

INCH_YD = 1.0 / 36.0


@dataclass
class SimConfig:
    noise_in: float = 2.0  # gaussian error per axis, inches
    outlier_rate: float = 0.001  # fraction of reads that are gross outliers
    outlier_min_yd: float = 1.0
    outlier_max_yd: float = 5.0
    loss_rate: float = 0.01  # fraction of packets lost
    reorder_rate: float = 0.02  # fraction of packets delayed past later ones
    reorder_max_delay_us: int = 40_000
    latency_us: int = 5_000  # hub -> receiver
    packet_interval_us: int = 20_000  # the hub sends what it has every 20 ms
    blink_hz: float = 25.0
    blink_jitter: float = 0.15  # uniform, fraction of the blink period, either way
    shoulder_half_width_yd: float = 0.25
    shoulder_height_yd: float = 1.6
    single_tag_rate_per_s: float = 0.01  # per player: rate of starting a one-tag period
    single_tag_min_s: float = 0.5
    single_tag_max_s: float = 3.0
    ball: bool = True
    start_time_us: int = 1_600_000_000_000_000  # time of the play's first frame (UTC us)


@dataclass
class SimulatedPlay:
    play: Play
    registry: Registry
    frame_times_us: np.ndarray  # [T] time of each source frame (play.frame_ids)
    packets: list[bytes]  # delivered packets, in arrival order
    packet_times_us: np.ndarray  # [P] arrival time of each delivered packet
    reads: np.ndarray  # [R] READ_DTYPE: every generated read, in blink-time order
    read_is_outlier: np.ndarray  # [R] bool
    read_is_ball: np.ndarray  # [R] bool
    read_delivered: np.ndarray  # [R] bool: in a packet that was not lost
    packets_generated: int = 0
    single_tag_periods: list[tuple[int, int, int, int]] = field(default_factory=list)  # (nflId, side, t0, t1)

    def stream(self) -> bytes:
        """The delivered packets concatenated in arrival order (a capture file's content)."""
        return b"".join(self.packets)


def _interp_track(times_us, frame_t0_us, xy, o, present):
    """Positions (and orientations) at `times_us` for one object; NaN across gaps/outside."""
    T = xy.shape[0]
    u = (times_us - frame_t0_us) / FRAME_US
    i = np.floor(u).astype(np.int64)
    ok = (i >= 0) & (i < T - 1)
    i = np.clip(i, 0, max(T - 2, 0))
    frac = u - i
    ok &= present[i] & present[np.minimum(i + 1, T - 1)]
    j = np.minimum(i + 1, T - 1)
    pos = xy[i] * (1 - frac)[:, None] + xy[j] * frac[:, None]
    ang = None
    if o is not None:
        d = (o[j] - o[i] + 180.0) % 360.0 - 180.0
        ang = (o[i] + frac * d) % 360.0
    pos[~ok] = np.nan
    return pos, ang, ok


def _blink_times(rng, t_start, t_end, cfg: SimConfig):
    period = 1e6 / cfg.blink_hz
    n = int(np.ceil((t_end - t_start) / period)) + 1
    k = np.arange(n)
    t = t_start + rng.uniform(0, period) + k * period
    t += rng.uniform(-cfg.blink_jitter, cfg.blink_jitter, n) * period
    t = np.round(t).astype(np.int64)
    return t[(t >= t_start) & (t <= t_end)]


def simulate_play(play: Play, config: SimConfig | None = None, seed: int = 0) -> SimulatedPlay:
    """Simulate the tag-read packet stream of one play (see the module docstring)."""
    cfg = config or SimConfig()
    rng = np.random.default_rng(seed)
    registry = Registry.from_play(play, ball=cfg.ball)
    T = play.n_frames
    t0 = int(cfg.start_time_us)
    frame_times = t0 + np.arange(T, dtype=np.int64) * FRAME_US
    t_end = int(frame_times[-1])
    # Orientation where missing: the nearest earlier known one (else 0) - only for tag placement.
    o_filled = play.o.copy()
    for n in range(play.n_players):
        col = o_filled[:, n]
        known = np.flatnonzero(np.isfinite(col))
        if known.size == 0:
            col[:] = 0.0
            continue
        idx = np.maximum.accumulate(np.where(np.isfinite(col), np.arange(T), known[0]))
        o_filled[:, n] = col[idx]

    parts_t, parts_tag, parts_xy, parts_z, parts_ball = [], [], [], [], []
    periods = []
    hw = cfg.shoulder_half_width_yd
    for n in range(play.n_players):
        nfl = int(play.nfl_ids[n])
        # Periods with one shoulder tag silent (Poisson starts over the play).
        n_periods = rng.poisson(cfg.single_tag_rate_per_s * (t_end - t0) * 1e-6)
        silent = []
        for _ in range(n_periods):
            a = int(rng.uniform(t0, t_end))
            b = a + int(rng.uniform(cfg.single_tag_min_s, cfg.single_tag_max_s) * 1e6)
            side = int(rng.integers(0, 2))
            silent.append((side, a, b))
            periods.append((nfl, side, a, b))
        for side in (0, 1):
            t = _blink_times(rng, t0, t_end, cfg)
            for s_side, a, b in silent:
                if s_side == side:
                    t = t[(t < a) | (t > b)]
            pos, ang, ok = _interp_track(t, t0, play.xy[:, n], o_filled[:, n], play.present[:, n])
            t, pos, ang = t[ok], pos[ok], ang[ok]
            rad = np.deg2rad(ang)
            sign = 1.0 if side == 1 else -1.0  # right shoulder along (cos o, -sin o)
            pos = pos + sign * hw * np.stack([np.cos(rad), -np.sin(rad)], axis=1)
            parts_t.append(t)
            parts_tag.append(np.full(t.size, registry.core.shoulder_tag(n, side), np.uint32))
            parts_xy.append(pos)
            parts_z.append(np.full(t.size, cfg.shoulder_height_yd))
            parts_ball.append(np.zeros(t.size, bool))
    if cfg.ball:
        t = _blink_times(rng, t0, t_end, cfg)
        ball_present = np.isfinite(play.ball_xy).all(axis=1)
        pos, _, ok = _interp_track(t, t0, play.ball_xy, None, ball_present)
        parts_t.append(t[ok])
        parts_tag.append(np.full(int(ok.sum()), BALL_TAG_ID, np.uint32))
        parts_xy.append(pos[ok])
        parts_z.append(np.full(int(ok.sum()), 1.0))
        parts_ball.append(np.ones(int(ok.sum()), bool))

    times = np.concatenate(parts_t) if parts_t else np.empty(0, np.int64)
    order = np.argsort(times, kind="stable")
    times = times[order]
    tags = np.concatenate(parts_tag)[order]
    xy = np.concatenate(parts_xy)[order]
    z = np.concatenate(parts_z)[order]
    is_ball = np.concatenate(parts_ball)[order]
    R = times.size

    sigma = cfg.noise_in * INCH_YD
    xy = xy + rng.normal(0.0, sigma, (R, 2))
    z = z + rng.normal(0.0, sigma, R)
    is_outlier = rng.random(R) < cfg.outlier_rate
    k = int(is_outlier.sum())
    if k:
        r = rng.uniform(cfg.outlier_min_yd, cfg.outlier_max_yd, k)
        th = rng.uniform(0, 2 * np.pi, k)
        xy[is_outlier] += np.stack([r * np.cos(th), r * np.sin(th)], axis=1)

    reads = np.zeros(R, wire.READ_DTYPE)
    reads["time_us"] = times
    reads["tag_id"] = tags
    reads["x"] = xy[:, 0]
    reads["y"] = xy[:, 1]
    reads["z"] = z
    reads["quality"] = 200

    # Packets: everything blinked in a 20 ms interval, sent at its end.
    interval = cfg.packet_interval_us
    pkt_of_read = (times - t0) // interval
    pkt_ids, counts = np.unique(pkt_of_read, return_counts=True)
    if counts.size and counts.max() > wire.MAX_RECORDS:
        raise ValueError(f"a {interval} us packet would hold {counts.max()} reads (> {wire.MAX_RECORDS})")
    capture = t0 + (pkt_ids + 1) * interval
    sequences = np.arange(pkt_ids.size, dtype=np.int64)
    stream, offsets = wire.encode_batch(reads, counts, sequences, capture)
    P = pkt_ids.size
    lost = rng.random(P) < cfg.loss_rate
    delay = np.full(P, cfg.latency_us, np.int64)
    late = rng.random(P) < cfg.reorder_rate
    delay[late] += rng.integers(0, cfg.reorder_max_delay_us + 1, int(late.sum()))
    arrival = capture + delay
    keep = np.flatnonzero(~lost)
    keep = keep[np.argsort(arrival[keep], kind="stable")]
    buf = stream.tobytes()
    packets = [buf[offsets[i]:offsets[i + 1]] for i in keep]
    delivered = np.repeat(~lost, counts)
    return SimulatedPlay(
        play=play, registry=registry, frame_times_us=frame_times, packets=packets,
        packet_times_us=arrival[keep], reads=reads, read_is_outlier=is_outlier,
        read_is_ball=is_ball, read_delivered=delivered, packets_generated=int(P),
        single_tag_periods=periods,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ghostedge.sim.simulator",
                                description="Simulate a real play's tag-read packet stream.")
    p.add_argument("--data", required=True, help="data directory or tracking file")
    p.add_argument("--play", help="GAMEID/PLAYID (default: the first play)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise-in", type=float, default=SimConfig.noise_in)
    p.add_argument("--outlier-rate", type=float, default=SimConfig.outlier_rate)
    p.add_argument("--loss-rate", type=float, default=SimConfig.loss_rate)
    p.add_argument("--out", help="write a capture file (packets concatenated)")
    p.add_argument("--registry-out", help="write the play's tag registry CSV")
    args = p.parse_args(argv)
    from ..data import load_dataset

    ds = load_dataset(args.data)
    if args.play:
        g, pl = (int(v) for v in args.play.split("/"))
        play = ds.play(g, pl)
    else:
        play = next(ds.iter_plays())
    cfg = SimConfig(noise_in=args.noise_in, outlier_rate=args.outlier_rate, loss_rate=args.loss_rate)
    sim = simulate_play(play, cfg, seed=args.seed)
    if args.out:
        n = wire.write_capture(args.out, sim.packets)
        print(f"wrote {len(sim.packets)} packets ({n} bytes) to {args.out}", file=sys.stderr)
    if args.registry_out:
        sim.registry.to_csv(args.registry_out)
    if not (args.out or args.registry_out):
        p.error("nothing to do: give --out and/or --registry-out (UDP: `ghostedge simulate`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
