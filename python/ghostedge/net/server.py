"""``ghostedge serve``: UDP tag reads and control messages in -> engine -> UDP results out."""

from __future__ import annotations

import json
import logging
import math
import time

from ..ingest.schedule import LATE_PACKET_MARGIN_US
from ..ingest.wire import packet_capture_time_us
from .protocol import (
    ProtocolVersionError,
    classify_datagram,
    parse_control,
    result_to_json_datagrams,
    result_to_osc_datagrams,
)
from .udp import udp_listener, udp_sender

log = logging.getLogger("ghostedge.net")


def _int_or_none(value):
    """A JSON number that must be an integer (time, nflId), or None; ValueError otherwise."""
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or (isinstance(value, float) and not (math.isfinite(value) and value.is_integer()))):
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)


class GhostServer:
    """``ghostedge serve``: tag-read datagrams in, one result per tracking frame out.

    The frame clock is the data's: a frame at time T is closed (ticked) once a packet captured
    at T + the ingest filter's delay + ``tick_lag_us`` or later has arrived, or when the feed has been silent for two frame
    periods (then wall time advances the clock, for at most ``hold_s``). After each tick the
    server waits up to one frame period for that frame's inference and sends the freshest
    result (flagged stale when inference fell behind).
    """

    def __init__(self, listen: tuple[str, int], send: tuple[str, int], fmt: str = "json",
                 config=None, roster=None, model=None, tick_lag_us: int = LATE_PACKET_MARGIN_US,
                 hold_s: float = 1.0) -> None:
        from ..live import Engine, EngineConfig

        if fmt not in ("json", "osc"):
            raise ValueError(f"format must be json or osc, not {fmt!r}")
        self.fmt = fmt
        self.engine = Engine(config or EngineConfig(), model=model)
        self.period_us = int(round(1e6 / self.engine.config.rate_hz))
        self.tick_lag_us = int(tick_lag_us)
        self.hold_s = hold_s
        self.sock_in = udp_listener(listen)
        self.address = self.sock_in.getsockname()[:2]
        self.sock_out = udp_sender(send)
        self.stats = {"datagrams_in": 0, "tag_datagrams": 0, "control_messages": 0,
                      "bad_control": 0, "control_bad_version": 0, "unknown_datagrams": 0,
                      "frames": 0, "datagrams_out": 0, "bytes_out": 0, "send_errors": 0, "rosters": 0}
        self._roster_key = None
        self._next_tick_us: int | None = None
        self._max_capture_us: int | None = None
        self._last_data_wall = time.monotonic()
        if roster is not None:
            self._apply_roster(roster)

    def close(self) -> None:
        if self.engine.state != "closed":
            self.engine.close()
        self.sock_in.close()
        self.sock_out.close()

    def _apply_roster(self, roster) -> None:
        key = json.dumps(roster.to_dict(), sort_keys=True, default=str)
        if key == self._roster_key:
            return  # re-sent roster: nothing changed
        self._roster_key = key
        from ..live import EngineStateError

        try:
            self.engine.set_roster(roster)  # while active: swapped in, the worker keeps running
        except EngineStateError:  # more players than this activation allocated for
            self.engine.deactivate()
            self.engine.set_roster(roster)
        if self.engine.state != "active":
            self.engine.activate()
        self._next_tick_us = roster.frame0_time_us
        self._max_capture_us = None
        self.stats["rosters"] += 1

    def _handle_control(self, data: bytes) -> bool:
        """Returns True on an ``end`` message."""
        from ..live import Roster

        try:
            msg = parse_control(data)
            if msg["type"] == "roster":
                self._apply_roster(Roster.from_dict(msg))
            elif msg["type"] == "event":
                if not self.engine.signal_event(str(msg.get("name")), _int_or_none(msg.get("time_us")),
                                                _int_or_none(msg.get("target_nfl_id"))):
                    raise ValueError(f"event not applied: {self.engine.last_error}")
            else:
                return True
            self.stats["control_messages"] += 1
        except ProtocolVersionError as exc:
            self.stats["control_bad_version"] += 1
            log.error(f"control message rejected: {exc}")
        except (ValueError, TypeError) as exc:
            self.stats["bad_control"] += 1
            log.error(f"bad control message: {exc}")
        return False

    def _send(self, result) -> None:
        datagrams = (result_to_json_datagrams(result) if self.fmt == "json"
                     else result_to_osc_datagrams(result))
        for d in datagrams:
            try:
                self.sock_out.send(d)
                self.stats["datagrams_out"] += 1
                self.stats["bytes_out"] += len(d)
            except OSError:  # nobody listening (ICMP refused) or buffer full: drop, count
                self.stats["send_errors"] += 1

    def _tick_until(self, data_time_us: int, progress=None) -> None:
        if self.engine.state != "active":
            return
        if self._next_tick_us is None:  # no frame clock from the roster: start at the data
            self._next_tick_us = (data_time_us // self.period_us) * self.period_us
        wait_us = self.engine.ingest_delay_us + self.tick_lag_us
        while self._next_tick_us + wait_us <= data_time_us:
            self.engine.tick(self._next_tick_us)
            self.engine.flush(timeout_s=self.period_us / 1e6)
            self._send(self.engine.latest())
            self.stats["frames"] += 1
            self._next_tick_us += self.period_us
            if progress is not None:
                progress.update(1)

    def run(self, stop=None, until_end: bool = False, max_idle_s: float | None = None,
            progress=None) -> dict:
        """Serve until ``stop`` is set, an ``end`` message arrives (``until_end``), or no
        datagram came for ``max_idle_s`` seconds. Returns the server's counters."""
        idle_since = time.monotonic()
        while stop is None or not stop.is_set():
            try:
                data = self.sock_in.recv(65536)
            except TimeoutError:
                now = time.monotonic()
                if max_idle_s is not None and now - idle_since > max_idle_s:
                    break
                silent = now - self._last_data_wall
                if (self._max_capture_us is not None and 2 * self.period_us / 1e6 < silent < self.hold_s):
                    self._tick_until(self._max_capture_us + int(silent * 1e6), progress)
                continue
            except OSError:
                break
            idle_since = time.monotonic()
            self.stats["datagrams_in"] += 1
            kind = classify_datagram(data)
            if kind == "tags":
                self.stats["tag_datagrams"] += 1
                if self.engine.state != "active":
                    continue  # no roster yet: nothing to map tags to
                self.engine.push_packets(data)
                t = packet_capture_time_us(data)
                if t is not None:
                    self._max_capture_us = t if self._max_capture_us is None else max(self._max_capture_us, t)
                    self._last_data_wall = idle_since
                    self._tick_until(self._max_capture_us, progress)
            elif kind == "control":
                if self._handle_control(data):
                    if self._max_capture_us is not None:  # close the frames still open
                        self._tick_until(self._max_capture_us + self.engine.ingest_delay_us
                                         + self.tick_lag_us + self.period_us - 1, progress)
                    self._max_capture_us = None
                    if until_end:
                        break
            else:
                self.stats["unknown_datagrams"] += 1
        out = dict(self.stats)
        if self.engine.state == "active":
            out.update({f"engine_{k}": v for k, v in self.engine.counters().items()})
            out["last_error"] = self.engine.last_error
        return out
