"""Network side of the engine: UDP transport, the JSON and OSC 1.0 result messages, and the
control messages (roster, events) that share the tag-read port.

Everything here is documented in docs/network-protocol.md; keep the two in step.

Inbound (one UDP port): a datagram that starts with the wire magic ``GETR`` is tag-read data
(handed to the engine's decoder as is); a datagram that starts with ``{`` is a JSON control
message (``roster``, ``event``, ``end``). Anything else is counted and dropped.

Outbound: per tracking frame either JSON datagrams (one ``frame`` object, then one
``defender`` object per defensive back) or OSC 1.0 bundles (timetag = the frame's capture time),
each datagram kept under :data:`MAX_DATAGRAM`.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import time
from typing import Iterable, Sequence

import numpy as np

from .ingest import LATE_PACKET_MARGIN_US

PROTOCOL_VERSION = 1
MAX_DATAGRAM = 8000  # bytes; below the 8 KB many receivers allocate, and below 9 KB jumbo limits
WIRE_MAGIC = b"GETR"
OSC_PREFIX = "/ghostedge"
NTP_EPOCH_OFFSET_S = 2208988800  # seconds from 1900-01-01 (NTP/OSC epoch) to 1970-01-01


# --------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------

def parse_hostport(text: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``"HOST:PORT"`` or ``":PORT"`` or ``"PORT"`` -> (host, port); ValueError when malformed."""
    host, sep, port_text = str(text).rpartition(":")
    if not sep:
        host, port_text = "", str(text)
    host = host.strip("[]") or default_host
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"bad address {text!r}: expected HOST:PORT, e.g. 127.0.0.1:5005") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"bad address {text!r}: port must be 0..65535")
    return host, port


# --------------------------------------------------------------------------------------------
# OSC 1.0 encoding (http://opensoundcontrol.org/spec-1_0): big-endian, every item padded to 4
# --------------------------------------------------------------------------------------------

def _osc_string(text: str) -> bytes:
    raw = text.encode("utf-8") + b"\0"
    return raw + b"\0" * (-len(raw) % 4)


def _osc_blob(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data + b"\0" * (-len(data) % 4)


def osc_message(address: str, args: Sequence = ()) -> bytes:
    """One OSC message. Python ints -> ``i`` (int32), floats -> ``f`` (float32), str -> ``s``,
    bytes -> ``b``. Only the OSC 1.0 core types, so that every OSC library parses it."""
    if not address.startswith("/"):
        raise ValueError(f"OSC address must start with '/': {address!r}")
    tags = [","]
    payload = []
    for a in args:
        if isinstance(a, (bool, np.bool_)):
            a = int(a)
        if isinstance(a, (int, np.integer)):
            v = int(a)
            if not -(2**31) <= v < 2**31:
                raise ValueError(f"OSC int32 out of range: {v}")
            tags.append("i")
            payload.append(struct.pack(">i", v))
        elif isinstance(a, (float, np.floating)):
            tags.append("f")
            payload.append(struct.pack(">f", float(a)))
        elif isinstance(a, str):
            tags.append("s")
            payload.append(_osc_string(a))
        elif isinstance(a, (bytes, bytearray)):
            tags.append("b")
            payload.append(_osc_blob(bytes(a)))
        else:
            raise TypeError(f"no OSC type for {type(a).__name__}")
    return _osc_string(address) + _osc_string("".join(tags)) + b"".join(payload)


def _osc_float_array(tag_count: int, values: np.ndarray) -> tuple[str, bytes]:
    """Fast path for many float32 args: tags and big-endian payload in one go."""
    return "f" * tag_count, np.ascontiguousarray(values, dtype=">f4").tobytes()


def osc_float_message(address: str, ints: Sequence[int], floats: np.ndarray) -> bytes:
    """An OSC message ``address ,i..if..f`` (ints first, then the float32 array, flattened)."""
    flat = np.asarray(floats, dtype=np.float64).ravel()
    ftags, fbytes = _osc_float_array(flat.size, flat)
    ibytes = b"".join(struct.pack(">i", int(v)) for v in ints)
    return _osc_string(address) + _osc_string("," + "i" * len(ints) + ftags) + ibytes + fbytes


def osc_timetag(time_us: int | None) -> bytes:
    """OSC/NTP 64-bit timetag for a UTC time in microseconds; None -> 1 ("immediately")."""
    if time_us is None or time_us <= 0:
        return struct.pack(">Q", 1)
    seconds, micros = divmod(int(time_us), 1_000_000)
    frac = (micros << 32) // 1_000_000
    return struct.pack(">II", (seconds + NTP_EPOCH_OFFSET_S) & 0xFFFFFFFF, frac)


def osc_bundles(elements: Iterable[bytes], time_us: int | None,
                max_size: int = MAX_DATAGRAM) -> list[bytes]:
    """Pack OSC messages into as few bundles as fit ``max_size`` each (same timetag on all)."""
    head = _osc_string("#bundle") + osc_timetag(time_us)
    bundles: list[bytes] = []
    parts: list[bytes] = [head]
    size = len(head)
    for el in elements:
        item = struct.pack(">i", len(el)) + el
        if len(head) + len(item) > max_size:
            raise ValueError(f"OSC message of {len(el)} bytes does not fit a {max_size}-byte bundle")
        if size + len(item) > max_size:
            bundles.append(b"".join(parts))
            parts, size = [head], len(head)
        parts.append(item)
        size += len(item)
    if len(parts) > 1:
        bundles.append(b"".join(parts))
    return bundles


# --------------------------------------------------------------------------------------------
# Result -> messages
# --------------------------------------------------------------------------------------------

def _finite_or_none(v: float, ndigits: int = 3):
    return round(float(v), ndigits) if math.isfinite(v) else None


def _rounded_list(a: np.ndarray, ndigits: int = 2) -> list:
    """Nested lists with NaN -> None (JSON has no NaN)."""
    r = np.round(np.asarray(a, dtype=np.float64), ndigits)
    out = r.astype(object)
    out[~np.isfinite(r)] = None
    return out.tolist()


def frame_header(result) -> dict:
    """The per-frame ``frame`` object (everything but the trajectories)."""
    return {
        "type": "frame",
        "v": PROTOCOL_VERSION,
        "frame_id": int(result.frame_id),
        "time_us": int(result.time_us),
        "age_ms": _finite_or_none(result.age_s * 1e3, 2),
        "stale": bool(result.stale),
        "ok": bool(result.ok),
        "phase": result.phase,
        "target_nfl_id": None if result.target_nfl_id is None else int(result.target_nfl_id),
        "target_source": result.target_source,
        "horizon": int(result.mean.shape[2]) if result.mean.ndim == 4 else 0,
        "dt_s": result.dt_s,
        "defender_ids": [int(v) for v in result.defender_ids],
        "receiver_ids": [int(v) for v in result.receiver_ids],
        "timings_ms": {k: _finite_or_none(v, 4) for k, v in result.timings_ms.items()},
        "counters": {k: int(v) for k, v in result.counters.items()},
        "last_error": result.last_error,
    }


def result_to_json_datagrams(result) -> list[bytes]:
    """One ``frame`` object, then one ``defender`` object per defensive back. A defender whose
    ghosts do not fit one datagram (long horizons, many receivers) is split over several
    objects, each with a share of the receivers (``part`` of ``parts``)."""
    header = frame_header(result)
    out = [json.dumps(header, separators=(",", ":")).encode()]
    for d, nfl_id in enumerate(result.defender_ids):
        ghosts = [
            json.dumps({
                "nfl_id": int(r_id),
                "metric": _finite_or_none(result.metric[d, r], 4),
                "mean": _rounded_list(result.mean[d, r]),
                "sigma": _rounded_list(result.sigma[d, r]),
            }, separators=(",", ":"))
            for r, r_id in enumerate(result.receiver_ids)
        ]
        head = json.dumps({
            "type": "defender", "v": PROTOCOL_VERSION, "frame_id": header["frame_id"],
            "index": d, "count": len(result.defender_ids), "nfl_id": int(nfl_id),
            "position": _rounded_list(result.defender_xy[d]), "part": 0, "parts": 0,
        }, separators=(",", ":"))[:-1]
        budget = MAX_DATAGRAM - len(head) - len(',"receivers":[]}') - 8  # 8: part digits
        groups: list[list[str]] = [[]]
        size = 0
        for g in ghosts:
            if len(g) + 1 > budget:
                raise ValueError(f"one ghost of {len(g)} bytes does not fit a {MAX_DATAGRAM}-byte datagram")
            if groups[-1] and size + len(g) + 1 > budget:
                groups.append([])
                size = 0
            groups[-1].append(g)
            size += len(g) + 1
        for k, group in enumerate(groups):
            text = (head.replace('"part":0,"parts":0', f'"part":{k},"parts":{len(groups)}')
                    + ',"receivers":[' + ",".join(group) + "]}")
            out.append(text.encode())
    return out


def result_to_osc_datagrams(result) -> list[bytes]:
    """OSC 1.0 bundles for one frame; see docs/network-protocol.md for the addresses."""
    frame_id = int(result.frame_id)
    target = -1 if result.target_nfl_id is None else int(result.target_nfl_id)
    horizon = int(result.mean.shape[2]) if result.mean.ndim == 4 else 0
    msgs = [
        osc_message(f"{OSC_PREFIX}/frame", [
            frame_id, int(bool(result.stale)), int(bool(result.ok)), float(result.age_s * 1e3),
            result.phase, target, len(result.defender_ids), len(result.receiver_ids), horizon,
        ]),
        osc_message(f"{OSC_PREFIX}/receivers", [frame_id] + [int(v) for v in result.receiver_ids]),
    ]
    for d, d_id in enumerate(result.defender_ids):
        msgs.append(osc_float_message(f"{OSC_PREFIX}/defender", [frame_id, int(d_id)],
                                      result.defender_xy[d]))
        for r, r_id in enumerate(result.receiver_ids):
            # metric, then H (x, y) means, then H (sx, sy) sigmas: yards, field coordinates
            values = np.concatenate([[result.metric[d, r]], result.mean[d, r].ravel(),
                                     result.sigma[d, r].ravel()])
            msgs.append(osc_float_message(f"{OSC_PREFIX}/ghost",
                                          [frame_id, int(d_id), int(r_id), horizon], values))
    stages = list(result.timings_ms.items())
    msgs.append(osc_message(f"{OSC_PREFIX}/timings",
                            [frame_id] + [x for k, v in stages for x in (k, float(v))]))
    msgs.append(osc_message(f"{OSC_PREFIX}/status", [
        frame_id, int(sum(int(v) for k, v in result.counters.items() if k.startswith("errors"))),
        result.last_error or "",
    ]))
    return osc_bundles(msgs, result.time_us)


# --------------------------------------------------------------------------------------------
# Inbound control messages
# --------------------------------------------------------------------------------------------

def classify_datagram(data: bytes) -> str:
    """'tags' (wire packet data), 'control' (JSON object) or 'unknown'."""
    if data[:4] == WIRE_MAGIC:
        return "tags"
    if data[:1] == b"{":
        return "control"
    return "unknown"


def parse_control(data: bytes) -> dict:
    """Decode a JSON control datagram; ValueError with the reason when malformed."""
    try:
        msg = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"control message is not JSON: {exc}") from None
    if not isinstance(msg, dict) or msg.get("type") not in ("roster", "event", "end"):
        raise ValueError("control message needs a 'type' of roster, event or end")
    return msg


def roster_message(roster) -> bytes:
    """The ``roster`` control datagram for a :class:`ghostedge.engine.Roster`."""
    data = json.dumps({"type": "roster", "v": PROTOCOL_VERSION, **roster.to_dict()},
                      separators=(",", ":")).encode()
    if len(data) > 60000:
        raise ValueError(f"roster message of {len(data)} bytes does not fit one UDP datagram")
    return data


def event_message(name: str, time_us: int | None = None) -> bytes:
    return json.dumps({"type": "event", "v": PROTOCOL_VERSION, "name": name,
                       "time_us": time_us}).encode()


def end_message() -> bytes:
    return json.dumps({"type": "end", "v": PROTOCOL_VERSION}).encode()


# --------------------------------------------------------------------------------------------
# Sockets
# --------------------------------------------------------------------------------------------

def udp_sender(target: tuple[str, int]) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in target[0] else socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(target)
    return sock


def udp_listener(address: tuple[str, int], timeout_s: float = 0.05,
                 rcvbuf: int = 4 << 20) -> socket.socket:
    """A bound UDP socket with a large receive buffer (bursts at speed 0) and a short timeout."""
    sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    except OSError:  # the kernel may cap it; a smaller buffer still works at real-time speed
        pass
    sock.bind(address)
    sock.settimeout(timeout_s)
    return sock


# --------------------------------------------------------------------------------------------
# serve: UDP tag reads in -> engine -> UDP results out
# --------------------------------------------------------------------------------------------

def packet_capture_time_us(data: bytes) -> int | None:
    """capture_time_us of a wire packet at the start of ``data`` (header bytes 16..24,
    docs/wire-format.md), or None when the datagram does not start with a header."""
    if len(data) < 24 or data[:4] != WIRE_MAGIC:
        return None
    return struct.unpack_from("<q", data, 16)[0]


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
        from .engine import Engine, EngineConfig

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
                      "bad_control": 0, "unknown_datagrams": 0, "frames": 0, "datagrams_out": 0,
                      "bytes_out": 0, "send_errors": 0, "rosters": 0}
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
        self.engine.set_roster(roster)
        if self.engine.state != "active":
            self.engine.activate()
        self._next_tick_us = roster.frame0_time_us
        self._max_capture_us = None
        self.stats["rosters"] += 1

    def _handle_control(self, data: bytes) -> bool:
        """Returns True on an ``end`` message."""
        from .engine import Roster

        try:
            msg = parse_control(data)
            if msg["type"] == "roster":
                self._apply_roster(Roster.from_dict(msg))
            elif msg["type"] == "event":
                self.engine.signal_event(str(msg.get("name")), msg.get("time_us"),
                                         msg.get("target_nfl_id"))
            else:
                return True
            self.stats["control_messages"] += 1
        except ValueError as exc:
            self.stats["bad_control"] += 1
            log_error(f"bad control message: {exc}")
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
            except socket.timeout:
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


def log_error(msg: str) -> None:
    import logging

    logging.getLogger("ghostedge.net").error(msg)


# --------------------------------------------------------------------------------------------
# simulate: a play -> simulated tag-read packets over UDP
# --------------------------------------------------------------------------------------------

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
                ev_time, ev_name = pending_events.pop(0)
                send(event_message(ev_name, ev_time), "control")
            send(packet, "packets")
            if progress is not None:
                progress.update(1)
        if send_end:
            time.sleep(0.05)
            send(end_message(), "control")
    finally:
        sock.close()
    return sent
