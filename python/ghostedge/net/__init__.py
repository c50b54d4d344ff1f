"""Net: the engine over the network (layer 7).

Owns the UDP protocol (``protocol``: JSON result datagrams, control messages; ``osc``: the OSC 1.0
encoder), sockets and addresses (``udp``), ``ghostedge serve`` (``server``: tag reads in ->
engine -> results out) and ``ghostedge simulate`` (``sender``). docs/network-protocol.md is the
contract.

May import: ``live``, ``ingest``, ``jsonsafe``, ``constants``. Never pandas, plotting or torch.
"""

from .osc import osc_bundles, osc_float_message, osc_message, osc_timetag
from .protocol import (
    MAX_DATAGRAM,
    OSC_PREFIX,
    PROTOCOL_VERSION,
    ProtocolVersionError,
    classify_datagram,
    end_message,
    event_message,
    frame_header,
    parse_control,
    result_to_json_datagrams,
    result_to_osc_datagrams,
    roster_message,
)
from .sender import send_simulated_play
from .server import GhostServer
from .udp import parse_hostport, udp_listener, udp_sender

__all__ = [
    "MAX_DATAGRAM", "OSC_PREFIX", "PROTOCOL_VERSION", "ProtocolVersionError", "classify_datagram", "end_message",
    "event_message", "frame_header", "parse_control", "result_to_json_datagrams",
    "result_to_osc_datagrams", "roster_message", "osc_bundles", "osc_float_message", "osc_message",
    "osc_timetag", "send_simulated_play", "GhostServer", "parse_hostport", "udp_listener", "udp_sender",
]
