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
            reader = _Reply(mine, timeout_s)
            head = reader.line()
            try:
                header = json.loads(head)
                n_out, n_err = int(header.get("stdout_len", 0)), int(header.get("stderr_len", 0))
            except (ValueError, TypeError, AttributeError) as exc:
                raise ServiceFailed(f"unreadable reply from the sandbox service: {exc}") from exc
            body = reader.rest(n_out + n_err)
        finally:
            theirs.close()
            mine.close()
        view = memoryview(body)
        return header, view[:n_out], bytes(view[n_out:])

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


class _Reply:
    """What the service sends on ``sock`` until it closes it: a header line, then a body of the
    length the header gives, received into one buffer (a large batch's outputs are megabytes:
    every extra copy of them is a page fault per 4 KiB).

    ``poll``, not ``select``: a worker that holds many descriptors (database connections,
    files) gets socket numbers above 1023, which ``select`` refuses.
    """

    def __init__(self, sock: socket.socket, timeout_s: float) -> None:
        self.sock = sock
        self.deadline = time.monotonic() + timeout_s
        self.poller = select.poll()
        self.poller.register(sock, select.POLLIN)
        self.pending = b""

    def _wait(self) -> None:
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceFailed("the sandbox service did not answer in time")
            if self.poller.poll(min(remaining, 5.0) * 1000):
                return

    def line(self) -> bytes:
        while b"\n" not in self.pending:
            self._wait()
            data = self.sock.recv(1 << 16)
            if not data:
                raise ServiceFailed("the sandbox service stopped before the run ended")
            self.pending += data
        head, _, self.pending = self.pending.partition(b"\n")
        return head

    def rest(self, size: int) -> bytearray:
        """Exactly ``size`` more bytes, then the end of the stream."""
        body = bytearray(size)
        view = memoryview(body)
        got = len(self.pending)
        if got > size:
            raise ServiceFailed("unexpected bytes after the sandbox service's reply")
        view[:got] = self.pending
        while got < size:
            self._wait()
            received = self.sock.recv_into(view[got:])
            if not received:
                raise ServiceFailed("truncated reply from the sandbox service")
            got += received
        self._wait()
        if self.sock.recv(1):
            raise ServiceFailed("unexpected bytes after the sandbox service's reply")
        return body


def _after_fork_in_child() -> None:
    for client in list(_clients):
        client._after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)
