"""UDP sockets and addresses."""

from __future__ import annotations

import socket


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
