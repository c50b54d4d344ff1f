"""The soak's fault planner: one fault episode injected into a play's packet stream, with the
counters that must see it (docs/reliability.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _core
from ..constants import DT_S, FIELD_LENGTH_YD, FIELD_WIDTH_YD
from ..data.play import Play
from ..model.features import MAX_HISTORY
from . import faults as fl

CLOCK_JUMP_US = 5_000_000  # a hub clock stepping 5 s (e.g. an NTP correction)
WALK_OFF_YPS = 7.0  # a player leaving the field, jogging toward the nearest sideline
# Ghosts are compared with the clean run this many frames (1.8 s) after a fault's last frame:
# the model reads frames t-10..t, so from the 11th frame on no faulted frame is in its input,
# and the filter keeps the 8 frames to settle that it had when the model read t-2..t only and
# the check came 10 frames after the fault.
FILTER_SETTLE_FRAMES = 8
RECOVERY_FRAMES = (MAX_HISTORY - 1) + FILTER_SETTLE_FRAMES
# Player reads beyond the field plus this margin are rejected (and counted) as off the field.
FIELD_MARGIN_YD = float(_core.PIPELINE_DEFAULTS["field_margin_yd"])


@dataclass
class Episode:
    event: fl.FaultEvent
    start: int  # first frame index of the fault
    end: int  # last frame index of the fault (inclusive)
    check: int | None  # frame index of the recovery check (None: no check)
    exclude_nfl: int | None = None  # player the fault removed (excluded from the ghost check)
    before: dict = field(default_factory=dict)
    clean_before: dict = field(default_factory=dict)
    stale_clean: list = field(default_factory=list)
    stale_slow: list = field(default_factory=list)
    poisoned_frames: int = 0  # nan_inf_frame: frames and players given bad values
    poisoned_players: int = 0


def plan_episode(kind: str, play: Play, sim, times, chunks, name: str, rng: np.random.Generator,
                 delay_us: int = 0) -> Episode | None:
    """Inject one fault of ``kind`` into ``chunks`` (per-frame packet lists, in place).
    ``delay_us``: the ingest pipeline's delay; the last tick reads up to ``times[-1] +
    delay_us`` (later reads of a play cut short by the game's end are never ticked)."""
    n = len(times)
    duration = {"packet_loss_burst": 20, "clock_jump_forward": 10, "clock_jump_backward": 10,
                "unknown_tags": 10, "nan_inf_frame": 3, "slow_inference": 10}.get(kind, 1)
    first = max(RECOVERY_FRAMES + 5, 15)
    # The recovery check needs a second of clean data: it must fall where the source still
    # tracks players (some plays' last frames have none; both runs would only extrapolate).
    tracked = np.flatnonzero(play.present[:n].any(axis=1))
    n_tracked = int(tracked[-1]) + 1 if tracked.size else 0
    last = n_tracked - duration - RECOVERY_FRAMES - 2
    if kind == "player_leaves_field":
        last = n - 30  # walking off takes seconds: checked again below
    if last < first:
        return None
    s = int(rng.integers(first, last + 1))
    e = s + duration - 1
    ev = fl.FaultEvent(kind=kind, start_us=int(times[s]), end_us=int(times[e]), play=name)
    ep = Episode(event=ev, start=s, end=e, check=e + RECOVERY_FRAMES)

    def packet_at(frame: int) -> int | None:
        return int(rng.integers(len(chunks[frame]))) if chunks[frame] else None

    j = packet_at(s)
    if kind in fl.PACKET_FAULTS and kind != "packet_loss_burst" and j is None:
        return None
    if kind == "garbage_bytes":
        junk = fl.garbage(rng, int(rng.integers(1, 2048)))
        chunks[s].insert(j, junk)
        ev.injected, ev.expected = len(junk), {"decode_bytes_skipped": ["==", len(junk)]}
    elif kind == "truncated_packet":
        part = fl.truncate(chunks[s][j], rng)
        chunks[s][j] = part
        ev.injected = len(part)
        ev.expected = {"decode_bytes_skipped": ["==", len(part)], "decode_packets_rejected": [">=", 1]}
    elif kind == "bit_flip":
        chunks[s][j] = fl.flip_bit(chunks[s][j], rng)
        ev.injected = 1
        ev.expected = {"decode_packets_rejected": ["==", 1],
                       "decode_bytes_skipped": ["==", len(chunks[s][j])]}
    elif kind == "duplicate_packet":
        chunks[s].insert(j + 1, chunks[s][j])
        ev.expected = {"decode_packets_duplicate": ["==", 1]}
    elif kind == "reordered_packets":
        if len(chunks[s]) < 2:
            return None
        j = min(j, len(chunks[s]) - 2)
        chunks[s][j], chunks[s][j + 1] = chunks[s][j + 1], chunks[s][j]
        ev.expected = {"decode_packets_reordered": ["==", 1]}
    elif kind == "out_of_range_wire":
        chunks[s][j], _ = fl.out_of_range_record(chunks[s][j], rng)
        ev.expected = {"decode_records_bad_position": ["==", 1]}
    elif kind == "packet_loss_burst":
        lost = sum(len(chunks[f]) for f in range(s, e + 1))
        for f in range(s, e + 1):
            chunks[f] = []
        ev.injected = lost
        # The decoder counts the sequence numbers it never received.
        ev.expected = {"decode_packets_missing": ["==", lost]}
    elif kind in ("clock_jump_forward", "clock_jump_backward"):
        delta = CLOCK_JUMP_US if kind == "clock_jump_forward" else -CLOCK_JUMP_US
        reads = 0
        for f in range(s, e + 1):
            reads += sum((len(p) - 32) // 24 for p in chunks[f])
            chunks[f] = [fl.shift_clock(p, delta) for p in chunks[f]]
        ev.injected = reads
        # 5 s behind: late for their tick; 5 s ahead: beyond the pipeline's lead limit.
        ev.expected = {"reads_late" if delta < 0 else "reads_early": ["==", reads]}
    elif kind in ("tag_dies", "player_leaves_field"):
        # A player on the field for the rest of the play (slots follow play.nfl_ids); the one
        # who walks off is the one nearest a sideline, so that he is gone before the play ends.
        stays = np.flatnonzero(play.present[s:n].mean(axis=0) >= 0.95)
        if stays.size == 0:
            return None
        if kind == "tag_dies":
            slot = int(rng.choice(stays))
        else:
            y = play.xy[s, stays, 1]
            to_side = np.minimum(y, FIELD_WIDTH_YD - y)
            slot = int(stays[int(np.nanargmin(to_side))])
            # Beyond the sideline plus the pipeline's field margin, and 1 yd more.
            frames_needed = int(np.ceil((float(np.nanmin(to_side)) + FIELD_MARGIN_YD + 1.0)
                                        / WALK_OFF_YPS / DT_S))
            if s + frames_needed + 2 >= n:
                return None
        nfl = int(sim.registry.slot_nfl_ids[slot])
        ep.exclude_nfl = nfl
        tags = [t for t in (sim.registry.core.shoulder_tag(slot, 0), sim.registry.core.shoulder_tag(slot, 1)) if t]
        if kind == "tag_dies":
            dead = tags[int(rng.integers(len(tags)))]
            touched = 0
            for f in range(s, n):
                new = []
                for p in chunks[f]:
                    q, c = fl.map_records(p, lambda r, _t: r["tag_id"] != dead)
                    new.append(q)
                    touched += c
                chunks[f] = new
            ev.injected = touched
            # The player keeps one tag: single-tag frames for (most of) the rest of the play.
            ev.expected = {"player_ticks_single_tag": [">=", (n - s) // 2]}
            ev.end_us = int(times[-1])
            ep.check = s + RECOVERY_FRAMES
        else:
            # His reads are moved onto a straight walk from where he is at the fault's start:
            # his own running is taken out (np.interp of his tracked y at each read's time), or
            # a player running back infield cancels the walk and never crosses the margin (it
            # did: 3 of 11 episodes of a 20-minute soak went uncounted, reads_off_field 0).
            t_start = int(times[s])
            direction = -1.0 if play.xy[s, slot, 1] < FIELD_WIDTH_YD / 2 else 1.0
            speed_mm_per_us = WALK_OFF_YPS * fl.MM_PER_YD / 1e6
            tracked_y = np.isfinite(play.xy[:n, slot, 1])
            track_t = np.asarray(times, dtype=np.float64)[tracked_y]
            track_y_mm = play.xy[:n, slot, 1][tracked_y] * fl.MM_PER_YD
            y0_mm = float(np.interp(t_start, track_t, track_y_mm))
            # He stops 5 yd past the margin: his reads stay inside the wire format's coordinate
            # window (50 yd beyond the lines), so the pipeline, not the decoder, rejects them.
            stop_mm = (-(FIELD_MARGIN_YD + 5.0) if direction < 0 else FIELD_WIDTH_YD + FIELD_MARGIN_YD + 5.0) * fl.MM_PER_YD
            off_field = [0]  # walked reads beyond the field plus the margin that a tick reads in time
            last_window_end_us = int(times[-1]) + int(delay_us)
            window_start_us = [0]  # of the tick that first sees the chunk being rewritten

            def walk(r, t, tags=tuple(tags)):
                mine = np.isin(r["tag_id"], tags) & (t >= t_start)
                tm = t[mine].astype(np.float64)
                own = np.interp(tm, track_t, track_y_mm) - y0_mm  # his own motion since t_start
                path = y0_mm + direction * speed_mm_per_us * (tm - t_start)
                path = np.maximum(path, stop_mm) if direction < 0 else np.minimum(path, stop_mm)
                r["y_mm"][mine] += np.round(path - y0_mm - own).astype(np.int32)
                # A read the pipeline ticks: not after the last tick's window, and not late (at or
                # before the window start of the tick its packet arrives for: reads_late).
                ticked = (t[mine] <= last_window_end_us) & (t[mine] > window_start_us[0])
                x_yd, y_yd = r["x_mm"][mine] / fl.MM_PER_YD, r["y_mm"][mine] / fl.MM_PER_YD
                off_field[0] += int(np.count_nonzero(ticked & (
                    (x_yd < -FIELD_MARGIN_YD) | (x_yd > FIELD_LENGTH_YD + FIELD_MARGIN_YD)
                    | (y_yd < -FIELD_MARGIN_YD) | (y_yd > FIELD_WIDTH_YD + FIELD_MARGIN_YD))))

            touched = 0
            for f in range(s, n):
                window_start_us[0] = int(times[f - 1]) + int(delay_us)
                new = []
                for p in chunks[f]:
                    q, c = fl.map_records(p, walk)
                    new.append(q)
                    touched += c
                chunks[f] = new
            ev.injected = touched
            # Every walked read beyond the margin is rejected as off the field, and counted.
            ev.expected = {"reads_off_field": ["==", off_field[0]]}
            ev.end_us = int(times[-1])
            ep.end = n - 1
            ep.check = None  # he is gone: nothing to recover
    elif kind == "unknown_tags":
        known = set(int(t) for t in sim.registry.tag_ids)
        stranger = next(t for t in range(3, 1 << 20, 2) if t not in known)
        added = 0
        for f in range(s, e + 1):
            new = []
            for p in chunks[f]:
                raw = fl.RawPacket.parse(p)
                if raw.records.size:
                    extra = raw.records[:1].copy()
                    extra["tag_id"] = stranger
                    raw.records = np.concatenate([raw.records, extra])
                    added += 1
                new.append(raw.to_bytes())
            chunks[f] = new
        ev.injected = added
        ev.expected = {"reads_unknown_tag": ["==", added]}
    elif kind == "nan_inf_frame":
        ev.injected = duration
        ev.expected = {}  # filled in by _episode_end from what the engine offers
    elif kind == "slow_inference":
        ev.injected = duration
        ev.expected = {"stale_while_slow": [">=", 0.8], "fresh_while_normal": [">=", 0.8]}
    return ep
