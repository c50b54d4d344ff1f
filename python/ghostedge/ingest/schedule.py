"""The packet schedule: which tag-read packets a receiver pushes before it closes each frame.

One rule, used by every driver of the ingest pipeline (replay, soak, ``serve``, ingest-eval,
benchmarks, tests): the packets of the frame at ``t`` are due by ``t + delay + margin``, where
``delay`` is the filter's look-ahead (``IngestPipeline.delay_s``, one frame) and ``margin``
(:data:`LATE_PACKET_MARGIN_US`) the wait for late, reordered packets. A packet that arrives
after its frame's due time is pushed before the next frame and counted late by the pipeline.
"""

from __future__ import annotations

import numpy as np

# How long a receiver waits for late (reordered, delayed) packets before closing a tick.
LATE_PACKET_MARGIN_US = 30_000


def due_time_us(frame_time_us, delay_us: int, margin_us: int = LATE_PACKET_MARGIN_US):
    """When the frame at ``frame_time_us`` may be closed (scalar or array)."""
    return frame_time_us + int(delay_us) + int(margin_us)


def frame_of_packets(arrival_us, frame_times_us, delay_us: int,
                     margin_us: int = LATE_PACKET_MARGIN_US) -> np.ndarray:
    """For every packet, the index of the first frame whose tick must see it: packets that
    arrive by frame i's due time are pushed before tick i. ``len(frame_times_us)`` for packets
    that arrive after the last frame's due time."""
    due = due_time_us(np.asarray(frame_times_us, dtype=np.int64), delay_us, margin_us)
    return np.searchsorted(due, np.asarray(arrival_us, dtype=np.int64), side="left")


def packets_by_frame(packets, arrival_us, frame_times_us, delay_us: int,
                     margin_us: int = LATE_PACKET_MARGIN_US, keep_late: bool = False) -> list[list]:
    """The packets grouped by the frame whose tick first sees them, each group in the given
    order. ``keep_late``: packets after the last due time join the last frame (else dropped)."""
    n = len(frame_times_us)
    groups: list[list] = [[] for _ in range(n)]
    for packet, i in zip(packets, frame_of_packets(arrival_us, frame_times_us, delay_us, margin_us)):
        if i < n:
            groups[int(i)].append(packet)
        elif keep_late and n:
            groups[-1].append(packet)
    return groups
