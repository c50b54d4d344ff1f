"""The messages of the UDP protocol (docs/network-protocol.md; keep the two in step).

Inbound (one UDP port): a datagram that starts with the wire magic is tag-read data (handed to
the engine's decoder as is); a datagram that starts with ``{`` is a JSON control message
(``roster``, ``event``, ``end``). Anything else is counted and dropped.

Outbound: per tracking frame either JSON datagrams (one ``frame`` object, then one
``defender`` object per defensive back) or OSC 1.0 bundles (timetag = the frame's capture time),
each datagram kept under :data:`MAX_DATAGRAM`.
"""

from __future__ import annotations

import json

import numpy as np

from ..ingest.wire import WIRE_MAGIC
from ..jsonsafe import finite_or_none, rounded_list
from .osc import osc_bundles, osc_float_message, osc_message

PROTOCOL_VERSION = 1
MAX_DATAGRAM = 8000  # bytes; below the 8 KB many receivers allocate, and below 9 KB jumbo limits
OSC_PREFIX = "/ghostedge"


def frame_header(result) -> dict:
    """The per-frame ``frame`` object (everything but the trajectories)."""
    return {"type": "frame", "v": PROTOCOL_VERSION, **result.header_dict()}


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
                "metric": finite_or_none(result.metric[d, r], 4),
                "mean": rounded_list(result.mean[d, r], 2),
                "sigma": rounded_list(result.sigma[d, r], 2),
            }, separators=(",", ":"))
            for r, r_id in enumerate(result.receiver_ids)
        ]
        head = json.dumps({
            "type": "defender", "v": PROTOCOL_VERSION, "frame_id": header["frame_id"],
            "index": d, "count": len(result.defender_ids), "nfl_id": int(nfl_id),
            "position": rounded_list(result.defender_xy[d], 2), "part": 0, "parts": 0,
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
    return osc_bundles(msgs, result.time_us, MAX_DATAGRAM)


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


class ProtocolVersionError(ValueError):
    """A control message of a protocol version this server does not speak (or of none)."""


def parse_control(data: bytes) -> dict:
    """Decode a JSON control datagram; ValueError with the reason when malformed,
    :class:`ProtocolVersionError` (a ValueError) when its ``v`` is not :data:`PROTOCOL_VERSION`:
    a message of another version may mean something else, so it is never applied."""
    try:
        msg = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"control message is not JSON: {exc}") from None
    if not isinstance(msg, dict) or msg.get("type") not in ("roster", "event", "end"):
        raise ValueError("control message needs a 'type' of roster, event or end")
    version = msg.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:  # (True is not version 1)
        raise ProtocolVersionError(f"control message of protocol version {version!r}; this server "
                                   f"speaks version {PROTOCOL_VERSION}")
    return msg


def roster_message(roster) -> bytes:
    """The ``roster`` control datagram for a :class:`ghostedge.engine.Roster`."""
    data = json.dumps({"type": "roster", "v": PROTOCOL_VERSION, **roster.to_dict()},
                      separators=(",", ":")).encode()
    if len(data) > 60000:
        raise ValueError(f"roster message of {len(data)} bytes does not fit one UDP datagram")
    return data


def event_message(name: str, time_us: int | None = None, target_nfl_id: int | None = None) -> bytes:
    """A host event (``Engine.signal_event``): at the frame of ``time_us`` when given and the
    roster numbers frames, else at the newest frame."""
    msg = {"type": "event", "v": PROTOCOL_VERSION, "name": name}
    if time_us is not None:
        msg["time_us"] = int(time_us)
    if target_nfl_id is not None:
        msg["target_nfl_id"] = int(target_nfl_id)
    return json.dumps(msg).encode()


def end_message() -> bytes:
    return json.dumps({"type": "end", "v": PROTOCOL_VERSION}).encode()
