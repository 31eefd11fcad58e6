"""Addresses that fail the way a dead network does, without any traffic leaving the host."""

from __future__ import annotations

import socket

#: Longer than DNS allows (253 characters): glibc fails before sending a query, so a DNS
#: failure is tested without asking any resolver.
UNRESOLVABLE_HOST = ".".join(["a" * 63] * 4) + ".invalid"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
