"""The worker's side of the sandbox service: start it, send it work, restart it when it died.

One ``ServiceClient`` per backend; safe to use from many threads at once (each call has its own
reply socket; sending is serialised). The service is started lazily by whichever thread comes
first and is not tied to that thread (see ``service.py``). A child forked from this process
(Celery's prefork pool, ``multiprocessing``) forgets the parent's service and starts its own.
"""

from __future__ import annotations

import array
import base64
import json
import os
import select
import socket
import subprocess
import threading
import time
import weakref
from pathlib import Path

from courses.judging.errors import JudgeError

SERVICE = str(Path(__file__).with_name("service.py"))
#: Beyond the run's own outer wall limit: start-up, teardown, a loaded host.
REPLY_GRACE_S = 30.0

_clients: weakref.WeakSet[ServiceClient] = weakref.WeakSet()


class ServiceFailed(JudgeError):
    """The sandbox service or a supervisor failed: the run did not happen (or not fully)."""


class ServiceClient:
    def __init__(self, config: dict, python: str) -> None:
        self.config = config
        self.python = python
        self._lock = threading.Lock()
        self._control: socket.socket | None = None
        self._proc: subprocess.Popen | None = None
        self._owner = os.getpid()
        _clients.add(self)

    # -- the service's life -------------------------------------------------------------------
    @property
    def service_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _alive(self) -> bool:
        return (
            self._owner == os.getpid()
            and self._proc is not None
            and self._proc.poll() is None
            and self._control is not None
        )

    def start(self) -> None:
        """Start the service now (it then pre-starts its sandboxes); later calls reuse it."""
        with self._lock:
            if not self._alive():
                self._start()

    def _start(self) -> None:
        self._discard()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = dict(self.config, worker_pid=os.getpid())
        config["seccomp"] = base64.b64encode(config["seccomp"]).decode()
        config_fd = os.memfd_create("codecourses-service-config")
        try:
            os.write(config_fd, json.dumps(config).encode())
            os.lseek(config_fd, 0, os.SEEK_SET)
            self._proc = subprocess.Popen(
                [self.python, "-I", "-S", SERVICE, "--config-fd", str(config_fd),
                 "--control-fd", str(theirs.fileno())],
                pass_fds=[config_fd, theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env={},
                close_fds=True,
                start_new_session=True,
            )  # fmt: skip
        finally:
            os.close(config_fd)
            theirs.close()
        self._control = ours
        self._owner = os.getpid()

    def _discard(self) -> None:
        """Drop the current service (dead, or another process's): close our end of it.

        The service exits on its own once its control socket is closed; ``subprocess`` reaps
        the dropped ``Popen`` later (no thread here: this also runs at interpreter shutdown,
        from ``__del__``, when no new thread can start).
        """
        if self._control is not None:
            self._control.close()
            self._control = None
        self._proc = None

    def close(self, *, wait: bool = False) -> None:
        """Stop the service (it sees EOF, tears down its sandboxes, sweeps and exits).

        ``wait``: until it has exited (its sandboxes are gone then).
        """
        with self._lock:
            proc = self._proc if self._owner == os.getpid() else None
            self._discard()
        if wait and proc is not None:
            proc.wait(timeout=60)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        if self._control is not None:
            self._control.close()  # our copy only: the parent keeps its service
        self._control = None
        self._proc = None
        self._owner = os.getpid()

    # -- calls --------------------------------------------------------------------------------
    def call(self, request: dict, fds: list[int], timeout_s: float) -> tuple[dict, bytes, bytes]:
        """Send ``request`` with ``fds`` (after the reply socket); the reply's (header, body)."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._send(request, [theirs.fileno(), *fds])
            theirs.close()
            data = _read_reply(mine, timeout_s)
        finally:
            theirs.close()
            mine.close()
        head, sep, body = data.partition(b"\n")
        if not sep:
            raise ServiceFailed("the sandbox service stopped before the run ended")
        try:
            header = json.loads(head)
            n_out, n_err = header.get("stdout_len", 0), header.get("stderr_len", 0)
        except (ValueError, AttributeError) as exc:
            raise ServiceFailed(f"unreadable reply from the sandbox service: {exc}") from exc
        if len(body) != n_out + n_err:
            raise ServiceFailed("truncated reply from the sandbox service")
        return header, body[:n_out], body[n_out:]

    def _send(self, request: dict, fds: list[int]) -> None:
        message = json.dumps(request).encode()
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())]
        with self._lock:
            for attempt in (1, 2):
                if not self._alive():
                    self._start()
                try:
                    self._control.sendmsg([message], ancillary)
                    return
                except OSError as exc:  # the service died: start another once
                    self._discard()
                    if attempt == 2:
                        raise ServiceFailed(f"the sandbox service is not reachable: {exc}") from exc

    def ping(self) -> dict:
        header, _, _ = self.call({"op": "ping"}, [], 10.0)
        return header

    def sweep(self) -> dict:
        header, _, _ = self.call({"op": "sweep"}, [], 120.0)
        return header


def _read_reply(sock: socket.socket, timeout_s: float) -> bytes:
    """Everything the service sends on ``sock`` until it closes it.

    ``poll``, not ``select``: a worker that holds many descriptors (database connections,
    files) gets socket numbers above 1023, which ``select`` refuses.
    """
    chunks = []
    deadline = time.monotonic() + timeout_s
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ServiceFailed("the sandbox service did not answer in time")
        if not poller.poll(min(remaining, 5.0) * 1000):
            continue
        data = sock.recv(1 << 20)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def _after_fork_in_child() -> None:
    for client in list(_clients):
        client._after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)
