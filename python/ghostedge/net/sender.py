"""``ghostedge simulate``: a simulated play's tag-read packets over UDP, at data speed."""

from __future__ import annotations

import time

import numpy as np

from .protocol import end_message, event_message, roster_message
from .udp import udp_sender


def send_simulated_play(sim, roster, target: tuple[str, int], speed: float = 1.0,
                        roster_every_s: float = 1.0, send_end: bool = True, progress=None,
                        events: dict[int, str] | None = None) -> dict:
    """Send a simulated play (``ghostedge.sim.SimulatedPlay``): the roster, then each packet at
    its arrival time scaled by 1/``speed`` (0 = as fast as possible), the roster again every
    ``roster_every_s`` of data time (late joiners, lost datagrams), and ``end``. ``events``:
    {time_us: name} host events sent once the data passes that time."""
    sock = udp_sender(target)
    sent = {"packets": 0, "bytes": 0, "control": 0, "send_errors": 0}

    def send(data: bytes, key: str) -> None:
        try:
            sock.send(data)
            sent[key] += 1
            if key == "packets":
                sent["bytes"] += len(data)
        except OSError:
            sent["send_errors"] += 1

    try:
        roster_msg = roster_message(roster)
        send(roster_msg, "control")
        times = np.asarray(sim.packet_times_us, dtype=np.int64)
        t0_data = int(times[0]) if times.size else 0
        t0_wall = time.monotonic()
        next_roster = t0_data + int(roster_every_s * 1e6)
        pending_events = sorted((events or {}).items())
        for packet, t_us in zip(sim.packets, times):
            if speed > 0:
                delay = (int(t_us) - t0_data) / 1e6 / speed - (time.monotonic() - t0_wall)
                if delay > 0:
                    time.sleep(delay)
            elif sent["packets"] % 8 == 0:
                time.sleep(0.0002)  # as fast as possible, but let the receiver drain its socket
            if t_us >= next_roster:
                send(roster_msg, "control")
                next_roster += int(roster_every_s * 1e6)
            while pending_events and pending_events[0][0] <= t_us:
                _, ev_name = pending_events.pop(0)
                send(event_message(ev_name), "control")
            send(packet, "packets")
            if progress is not None:
                progress.update(1)
        if send_end:
            time.sleep(0.05)
            send(end_message(), "control")
    finally:
        sock.close()
    return sent
