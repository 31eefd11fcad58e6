"""A fake Judge0 CE server for tests and benchmarks: see ``server.FakeJudge0``."""

from .server import FakeJudge0, Fault
from .tls import TlsFiles, make_tls_files

__all__ = ["FakeJudge0", "Fault", "TlsFiles", "make_tls_files"]
