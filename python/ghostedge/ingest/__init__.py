"""Ingest: tag-read packets -> fused, filtered player frames (layer 2).

Owns the wire format (``wire``: encoder, streaming decoder, capture files, header parser), the
tag registry (``registry``: tag -> player / ball), the live pipeline (``pipeline``: decode ->
fuse -> Kalman filter, a thin wrapper over the compiled core), the packet schedule
(``schedule``: which packets a receiver pushes before it closes each frame) and archived
captures as plays (``captures``: for ``ghostedge batch --captures``).

May import: ``ghostedge._core``, ``constants``, ``data.play`` (the domain vocabulary). Never
pandas, plotting, torch or anything above it.
"""

from .pipeline import (
    FLAGS,
    FLAGS_NO_ESTIMATE,
    FrameState,
    IngestPipeline,
    filter_tracks,
    replay_packets,
)
from .registry import BALL_TAG_ID, Registry, RegistryError
from .schedule import LATE_PACKET_MARGIN_US, due_time_us, frame_of_packets, packets_by_frame

__all__ = [
    "FLAGS", "FLAGS_NO_ESTIMATE", "FrameState", "IngestPipeline", "filter_tracks", "replay_packets",
    "BALL_TAG_ID", "Registry", "RegistryError",
    "LATE_PACKET_MARGIN_US", "due_time_us", "frame_of_packets", "packets_by_frame",
]
