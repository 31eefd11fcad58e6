"""Test certificates (trustme): a trusted CA, and the ways a certificate can be wrong."""

from __future__ import annotations

import datetime
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    """``ca_path`` is what a client trusts; ``server_context`` is what the fake serves."""

    ca_path: str
    server_context: ssl.SSLContext


_CA: trustme.CA | None = None
_DIR = tempfile.TemporaryDirectory(prefix="fake-judge0-tls-")


def _ca() -> trustme.CA:
    global _CA
    if _CA is None:
        _CA = trustme.CA()
        _CA.cert_pem.write_to_path(str(Path(_DIR.name) / "ca.pem"))
    return _CA


def make_tls_files(kind: str = "valid") -> TlsFiles:
    """Certificates for the fake; the client always trusts the same test CA (``ca_path``).

    ``valid``: issued by that CA for 127.0.0.1 and localhost. ``wrong_host``: same CA, for
    another name. ``expired``: same CA and names, validity in the past. ``untrusted``: issued by
    a CA the client does not trust.
    """
    ca = _ca()
    names = ("127.0.0.1", "localhost")
    if kind == "valid":
        leaf = ca.issue_cert(*names)
    elif kind == "wrong_host":
        leaf = ca.issue_cert("judge0.example.org")
    elif kind == "expired":
        past = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        leaf = ca.issue_cert(*names, not_before=past, not_after=past + datetime.timedelta(days=1))
    elif kind == "untrusted":
        leaf = trustme.CA().issue_cert(*names)
    else:
        raise ValueError(f"unknown certificate kind {kind!r}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return TlsFiles(str(Path(_DIR.name) / "ca.pem"), context)
