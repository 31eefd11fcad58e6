"""``FakeJudge0``: a real HTTP(S) server on 127.0.0.1 that behaves like Judge0 CE 1.14.

What it reproduces (research/judge0-api.md): every route a client uses (``/submissions`` and its
batch forms, ``/languages``, ``/languages/all``, ``/languages/{id}``, ``/statuses``,
``/config_info`` with all of Judge0's keys, ``/about`` and ``/version`` consistent with the
language list, ``/workers``, ``/``), 201 ``{"token"}`` on create and the result fields with
``wait=true``, the batch shapes (POST answers a list in input order with a token or a field map per
entry, 201 if any entry is valid else 422; GET answers ``{"submissions": [...]}`` with ``null`` for
unknown tokens), batches switchable (400 "batched submissions are not allowed") and sized by
``max_submission_batch_size``, ``fields`` validation (400), 422 field maps against the configured
maxima, ``X-Auth-Token`` (401 with an empty body) or RapidAPI headers (401/403 with the gateway's
``message`` bodies), 404 bodies, 400 with an empty body for malformed JSON, 503 "queue is full",
base64 in and out with MIME newlines (every 60 characters), empty outputs as ``null``, ``time``
and ``wall_time`` as strings of seconds and ``memory`` in KB, statuses 1 to 14, callbacks (a PUT
of the default fields, always base64, retried only on connection errors), and the one-second
cache of ``GET /submissions/{token}`` (the batch route is not cached).

``config`` overrides keys of ``/config_info`` (``enable_batched_submissions``,
``max_submission_batch_size``, ``max_memory_limit``...); the fake obeys what it announces, so the
official ``judge0`` SDK and our backend both read the deployment from it.

Submissions go through a queue to ``workers`` threads (default 2 × cores, Judge0's default), each
sleeping ``processing_delay_s`` (Judge0's box set-up) and then REALLY running the program
(``runner``). Tests script faults per route for the next N requests or for a number of seconds
(``script``), force the status of the next runs (``force_status``), hold the queue (``pause``),
make the server forget tokens (``forget``), and stop and restart it on the same port (``stop`` /
``start``, or ``outage(seconds)``); submissions survive a restart, as they survive in Judge0's
database. ``created`` counts the submissions ever created: the number a quota is charged.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import queue
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .runner import ARCHIVED, LANGUAGES, VERSION_1_14_ONLY, RunSpec, execute
from .tls import make_tls_files

STATUSES = {
    1: "In Queue",
    2: "Processing",
    3: "Accepted",
    4: "Wrong Answer",
    5: "Time Limit Exceeded",
    6: "Compilation Error",
    7: "Runtime Error (SIGSEGV)",
    8: "Runtime Error (SIGXFSZ)",
    9: "Runtime Error (SIGFPE)",
    10: "Runtime Error (SIGABRT)",
    11: "Runtime Error (NZEC)",
    12: "Runtime Error (Other)",
    13: "Internal Error",
    14: "Exec Format Error",
}
DEFAULT_FIELDS = (
    "token",
    "time",
    "memory",
    "stdout",
    "stderr",
    "compile_output",
    "message",
    "status",
)
COLUMNS = (
    "source_code", "language_id", "stdin", "expected_output", "stdout", "status_id", "created_at",
    "finished_at", "time", "memory", "stderr", "token", "number_of_runs", "cpu_time_limit",
    "cpu_extra_time", "wall_time_limit", "memory_limit", "stack_limit",
    "max_processes_and_or_threads", "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit", "max_file_size", "compile_output", "exit_code",
    "exit_signal", "message", "wall_time", "compiler_options", "command_line_arguments",
    "redirect_stderr_to_stdout", "callback_url", "additional_files", "enable_network",
)  # fmt: skip
AVAILABLE_FIELDS = (*COLUMNS, "status", "language")
TEXT_FIELDS = (
    "source_code",
    "stdin",
    "expected_output",
    "stdout",
    "stderr",
    "compile_output",
    "message",
)
#: Request field -> (the /config_info key of its default, of its maximum, minimum, integer?).
LIMITS = {
    "cpu_time_limit": ("cpu_time_limit", "max_cpu_time_limit", 0, False),
    "cpu_extra_time": ("cpu_extra_time", "max_cpu_extra_time", 0, False),
    "wall_time_limit": ("wall_time_limit", "max_wall_time_limit", 1, False),
    "memory_limit": ("memory_limit", "max_memory_limit", 2048, True),
    "stack_limit": ("stack_limit", "max_stack_limit", 0, True),
    "max_processes_and_or_threads": (
        "max_processes_and_or_threads",
        "max_max_processes_and_or_threads",
        1,
        True,
    ),
    "max_file_size": ("max_file_size", "max_max_file_size", 0, True),
    "number_of_runs": ("number_of_runs", "max_number_of_runs", 1, True),
}
#: ``/config_info`` of a default Judge0 (``app/helpers/config.rb``): all of its keys.
DEFAULT_CONFIG: dict[str, Any] = {
    "maintenance_mode": False,
    "enable_wait_result": True,
    "enable_compiler_options": True,
    "allowed_languages_for_compile_options": [],
    "enable_command_line_arguments": True,
    "enable_submission_delete": False,
    "enable_callbacks": True,
    "callbacks_max_tries": 3,
    "callbacks_timeout": 5.0,
    "enable_additional_files": True,
    "max_queue_size": 100,
    "cpu_time_limit": 5.0,
    "max_cpu_time_limit": 15.0,
    "cpu_extra_time": 1.0,
    "max_cpu_extra_time": 5.0,
    "wall_time_limit": 10.0,
    "max_wall_time_limit": 20.0,
    "memory_limit": 128000,
    "max_memory_limit": 512000,
    "stack_limit": 64000,
    "max_stack_limit": 128000,
    "max_processes_and_or_threads": 60,
    "max_max_processes_and_or_threads": 120,
    "enable_per_process_and_thread_time_limit": False,
    "allow_enable_per_process_and_thread_time_limit": True,
    "enable_per_process_and_thread_memory_limit": False,
    "allow_enable_per_process_and_thread_memory_limit": True,
    "max_file_size": 1024,
    "max_max_file_size": 4096,
    "number_of_runs": 1,
    "max_number_of_runs": 20,
    "redirect_stderr_to_stdout": False,
    "max_extract_size": 10240,
    "enable_batched_submissions": True,
    "max_submission_batch_size": 20,
    "submission_cache_duration": 1.0,
    "use_docs_as_homepage": False,
    "allow_enable_network": True,
    "enable_network": False,
}
#: What ``/languages/{id}`` adds to a language, per kind (as Judge0's seeds write them).
LANGUAGE_DETAILS = {
    "python": ("script.py", None, "/usr/local/python/bin/python3 script.py"),
    "python2": ("script.py", None, "/usr/local/python2/bin/python script.py"),
    "c": ("main.c", "/usr/local/gcc/bin/gcc %s main.c", "./a.out"),
    "cpp": ("main.cpp", "/usr/local/gcc/bin/g++ %s main.cpp", "LD_LIBRARY_PATH=/usr/lib ./a.out"),
    "javascript": ("script.js", None, "/usr/local/node/bin/node script.js"),
    "text": ("text.txt", None, "/bin/cat text.txt"),
}
UTF8_ERROR = (
    "some attributes for {} cannot be converted to UTF-8, use base64_encoded=true query parameter"
)
RAPIDAPI_INVALID_KEY = {
    "message": "Invalid API key. Go to https://docs.rapidapi.com/docs/keys for more info."
}
RAPIDAPI_NOT_SUBSCRIBED = {"message": "You are not subscribed to this API."}


def encode64(data: bytes) -> str:
    """Ruby's ``Base64.encode64``: a newline after every 60 characters and at the end."""
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def decode64(text: str) -> bytes:
    """Ruby's ``Base64.decode64``: lenient, skips characters outside the alphabet, no padding."""
    alphabet = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    data = bytes(c for c in text.encode("latin-1", "replace") if c in alphabet)
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    return base64.b64decode(data + b"=" * (-len(data) % 4))


def _loads_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _now_iso() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _number(value: float) -> str:
    """A decimal column as Judge0 renders it: ``"5.0"``, ``"0.25"``."""
    text = f"{float(value):.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


@dataclass
class Fault:
    """What a matching request gets instead of (or on top of) the normal answer.

    ``delay_s`` answers late (then normally, unless something else is set); ``hang`` never
    answers (until the server stops or ``hang_s`` passes, then closes the connection); ``drop``
    closes the connection without a word, before doing anything; ``drop_after`` does the work
    (a create creates) and then closes without answering: the answer is lost; ``truncate`` sends
    the headers and only that many bytes of the body, then closes; ``trickle_s`` sends the answer
    one small piece every ``trickle_s`` seconds; ``chunked`` sends it without a Content-Length, in
    chunks (as a proxy may), so only counting what arrives can bound it;
    ``status``/``body``/``headers`` replace the answer (a ``dict``/``list`` body is JSON,
    ``bytes``/``str`` are sent as they are, with ``content_type``), before Judge0 does anything,
    or with ``acted`` after it did the work (a proxy's 504 after Judge0 created the submissions);
    ``mutate`` edits the normal JSON answer (wrong types, missing fields, numbers out of range).
    """

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay_s: float = 0.0
    hang: bool = False
    hang_s: float = 30.0
    drop: bool = False
    drop_after: bool = False
    truncate: int | None = None
    trickle_s: float = 0.0
    chunked: bool = False
    mutate: Callable[[Any], Any] | None = None
    acted: bool = False


@dataclass
class _Scripted:
    fault: Fault
    times: int | None
    until: float | None


@dataclass
class _Submission:
    token: str
    params: dict
    status_id: int = 1
    result: dict = field(default_factory=dict)
    created_at: str = field(default_factory=_now_iso)
    finished_at: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, fake: FakeJudge0, context: ssl.SSLContext | None):
        self.fake = fake
        self.context = context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self):
        sock, address = super().get_request()
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def finish_request(self, request, client_address):
        try:
            if self.context is not None:
                request.settimeout(5)
                request.do_handshake()
                request.settimeout(None)
            super().finish_request(request, client_address)
        except (OSError, ssl.SSLError):
            pass

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):  # quiet: clients hang up on purpose
        pass

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
            self.connections.clear()
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class FakeJudge0:
    """See the module docstring. Use as a context manager, or ``start()`` then ``close()``.

    ``tls``: None for plain HTTP, or a certificate kind of ``tls.make_tls_files`` (``valid``,
    ``wrong_host``, ``expired``, ``untrusted``); clients trust ``ca_path``. ``version``: the
    Judge0 version it plays (``/about``, ``/version``, the queue name and the language list).
    """

    def __init__(
        self,
        *,
        tls: str | None = None,
        auth_token: str | None = None,
        rapidapi_key: str | None = None,
        rapidapi_host: str | None = None,
        workers: int | None = None,
        processing_delay_s: float = 0.0,
        cache_s: float = 1.0,
        max_queue_size: int = 100,
        bash_wrapper: bool = True,
        version: str = "1.14.0",
        config: dict[str, Any] | None = None,
        port: int = 0,
    ) -> None:
        self.tls_files = make_tls_files(tls) if tls else None
        self.auth_token = auth_token
        self.rapidapi_key = rapidapi_key
        self.rapidapi_host = rapidapi_host
        self.worker_count = workers or 2 * (os.cpu_count() or 1)
        self.processing_delay_s = processing_delay_s
        self.bash_wrapper = bash_wrapper
        self.version = version
        self.config = {
            **DEFAULT_CONFIG,
            "max_queue_size": max_queue_size,
            "submission_cache_duration": float(cache_s),
            **(config or {}),
        }
        self.languages = {
            lid: spec
            for lid, spec in LANGUAGES.items()
            if version.startswith("1.14") or lid not in VERSION_1_14_ONLY
        }
        self.port = port
        self.submissions: dict[str, _Submission] = {}
        self.requests: list[dict] = []
        self.callbacks: list[dict] = []
        self.lock = threading.RLock()
        self.created = 0
        self.executed = 0
        self._faults: dict[str, list[_Scripted]] = {}
        self._forced: list[tuple[int, str]] = []
        self._cache: dict[tuple, tuple[float, bytes]] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._running = threading.Event()
        self._running.set()
        self._workers: list[threading.Thread] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._timers: list[threading.Timer] = []

    # -- configuration --------------------------------------------------------------------------
    @property
    def max_queue_size(self) -> int:
        return int(self.config["max_queue_size"])

    @property
    def cache_s(self) -> float:
        return float(self.config["submission_cache_duration"])

    @property
    def batch_size(self) -> int:
        return int(self.config["max_submission_batch_size"])

    # -- life cycle -------------------------------------------------------------------------------
    @property
    def ca_path(self) -> str | None:
        return self.tls_files.ca_path if self.tls_files else None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_files else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> FakeJudge0:
        """Start serving (again), on the same port as before if there was one."""
        if self._server is not None:
            return self
        if not self._workers:
            for number in range(self.worker_count):
                thread = threading.Thread(target=self._work, name=f"fake-judge0-worker-{number}")
                thread.daemon = True
                thread.start()
                self._workers.append(thread)
        self._stopping.clear()
        context = self.tls_files.server_context if self.tls_files else None
        self._server = _Server(("127.0.0.1", self.port), _Handler, self, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering: the port refuses connections; open connections are cut."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def outage(self, seconds: float) -> threading.Timer:
        """Stop now and start again on the same port after ``seconds`` (an API restart)."""
        self.stop()
        timer = threading.Timer(seconds, self.start)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()
        return timer

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self.resume()
        self.stop()
        for _ in self._workers:
            self._queue.put(None)
        for thread in self._workers:
            thread.join(10)
        self._workers.clear()

    def __enter__(self) -> FakeJudge0:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- scripting ------------------------------------------------------------------------------
    def script(
        self, route: str, fault: Fault, times: int | None = 1, *, seconds: float | None = None
    ) -> None:
        """Give the next ``times`` requests on ``route`` (``"GET /languages"``, ``"POST
        /submissions/batch"``, ``"GET /submissions/batch"``, ``"GET /submissions/:token"``,
        ``"POST /submissions"``, or ``"*"``) this fault; with ``seconds``, every request on it
        for that long from now instead."""
        until = time.monotonic() + seconds if seconds is not None else None
        with self.lock:
            entry = _Scripted(fault, None if seconds is not None else times, until)
            self._faults.setdefault(route, []).append(entry)

    def reset_script(self) -> None:
        """Forget scripted faults, forced statuses, the request log, the counters and the pause."""
        with self.lock:
            self._faults.clear()
            self._forced.clear()
            self.requests.clear()
            self.callbacks.clear()
            self.created = 0
        self.resume()

    def force_status(self, status_id: int, *, times: int = 1, message: str = "") -> None:
        """The next ``times`` runs end with this status without running (e.g. 13, 14)."""
        with self.lock:
            self._forced.extend([(status_id, message)] * times)

    def pause(self) -> None:
        """Workers stop taking jobs: new submissions stay In Queue (a stuck Judge0 queue)."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def forget(self, token: str | None = None) -> None:
        """Lose one submission (or all), as after Judge0's database was reset."""
        with self.lock:
            if token is None:
                self.submissions.clear()
            else:
                self.submissions.pop(token, None)
            self._cache.clear()

    def requests_to(self, route: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["route"] == route]

    def _take_fault(self, route: str) -> Fault | None:
        now = time.monotonic()
        with self.lock:
            for key in (route, "*"):
                pending = self._faults.get(key)
                while pending:
                    entry = pending[0]
                    if entry.until is not None:
                        if now >= entry.until:
                            pending.pop(0)
                            continue
                        return entry.fault
                    if entry.times is not None and entry.times <= 1:
                        pending.pop(0)
                    elif entry.times is not None:
                        entry.times -= 1
                    return entry.fault
        return None

    # -- workers --------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            token = self._queue.get()
            if token is None:
                return
            self._running.wait()
            with self.lock:
                sub = self.submissions.get(token)
                if sub is None:
                    continue
                sub.status_id = 2
                forced = self._forced.pop(0) if self._forced else None
            time.sleep(self.processing_delay_s)
            if forced is not None:
                result = {"status_id": forced[0], "message": forced[1].encode() or None}
            else:
                result = self._run(sub.params)
            with self.lock:
                self.executed += 1
                sub.result = result
                sub.status_id = result["status_id"]
                sub.finished_at = _now_iso()
            sub.done.set()
            if sub.params.get("callback_url"):
                threading.Thread(target=self._call_back, args=(sub,), daemon=True).start()

    def _call_back(self, sub: _Submission) -> None:
        """Judge0's ``call_callback``: PUT the default fields, always base64; retried only on
        exceptions (any HTTP answer, 4xx and 5xx included, counts as delivered)."""
        body = json.dumps(self.serialize(sub, DEFAULT_FIELDS, True)).encode()
        request = urllib.request.Request(
            sub.params["callback_url"],
            data=body,
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        for attempt in range(int(self.config["callbacks_max_tries"])):
            try:
                with urllib.request.urlopen(
                    request, timeout=float(self.config["callbacks_timeout"])
                ) as answer:
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                continue
            with self.lock:
                self.callbacks.append({"token": sub.token, "status": status, "try": attempt + 1})
            return

    def _run(self, params: dict) -> dict:
        _, kind = self.languages[params["language_id"]]
        expected = params.get("expected_output")
        spec = RunSpec(
            kind=kind,
            source=params["source_code"],
            stdin=params.get("stdin") or b"",
            cpu_s=float(params["cpu_time_limit"]),
            cpu_extra_s=float(params["cpu_extra_time"]),
            wall_s=float(params["wall_time_limit"]),
            memory_kb=int(params["memory_limit"]),
            max_file_kb=int(params["max_file_size"]),
            expected_output=expected,
            bash_wrapper=self.bash_wrapper,
        )
        try:
            return execute(spec)
        except Exception as error:  # as Judge0: any exception in the job is status 13
            return {"status_id": 13, "message": str(error).encode()}

    # -- submissions ----------------------------------------------------------------------------
    def validate(self, body: Any, b64: bool) -> tuple[dict | None, dict]:
        """(params, {}) for a valid submission, else (None, 422 field map)."""
        if not isinstance(body, dict):
            body = {}
        errors: dict[str, list[str]] = {}
        params: dict = {}
        for name in ("source_code", "stdin", "expected_output"):
            value = body.get(name)
            if value is not None:
                value = str(value)
                params[name] = decode64(value) if b64 else value.encode()
        if not params.get("source_code"):
            errors["source_code"] = ["can't be blank"]
        language_id = body.get("language_id")
        if language_id in (None, ""):
            errors["language_id"] = ["can't be blank", "language with id  doesn't exist"]
        else:
            try:
                language_id = int(language_id)
            except (TypeError, ValueError):
                language_id = None
            if language_id in ARCHIVED:
                errors["language_id"] = [
                    f"language with id {language_id} is archived and cannot be used anymore"
                ]
            elif language_id not in self.languages:
                errors["language_id"] = [
                    f"language with id {body.get('language_id')} doesn't exist"
                ]
            params["language_id"] = language_id
        for name, (default_key, max_key, low, integer) in LIMITS.items():
            value = body.get(name)
            if value is None:
                params[name] = self.config[default_key]
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                errors[name] = ["is not a number"]
                continue
            high = self.config[max_key]
            if integer and number != int(number):
                errors[name] = ["must be an integer"]
            elif number < low:
                errors[name] = [f"must be greater than or equal to {low:g}"]
            elif number > high:
                errors[name] = [f"must be less than or equal to {high:g}"]
            params[name] = int(number) if integer else number
        callback = body.get("callback_url")
        if callback:
            if not self.config["enable_callbacks"]:
                errors["callback_url"] = ["setting callback is not allowed"]
            params["callback_url"] = str(callback)
        return (None, errors) if errors else (params, {})

    def create(self, params: dict) -> _Submission:
        token = str(uuid.uuid4())
        sub = _Submission(token, params)
        with self.lock:
            self.submissions[token] = sub
            self.created += 1
        self._queue.put(token)
        return sub

    def queued(self) -> int:
        with self.lock:
            return sum(1 for s in self.submissions.values() if s.status_id in (1, 2))

    def serialize(self, sub: _Submission, fields: tuple[str, ...], b64: bool) -> dict:
        """Raises ``UnicodeDecodeError`` when a text cannot go out without base64 (Judge0: 400)."""
        values = {**sub.params, **sub.result, "token": sub.token, "status_id": sub.status_id}
        values["created_at"], values["finished_at"] = sub.created_at, sub.finished_at
        out: dict[str, Any] = {}
        for name in fields:
            if name == "status":
                out[name] = {"id": sub.status_id, "description": STATUSES[sub.status_id]}
            elif name == "language":
                lid = sub.params["language_id"]
                out[name] = {"id": lid, "name": self.languages[lid][0]}
            elif name in TEXT_FIELDS:
                data = values.get(name)
                if not data:
                    out[name] = None
                elif b64:
                    out[name] = encode64(data)
                else:
                    if any(byte >= 0x80 for byte in data):
                        raise UnicodeDecodeError("ascii", data, 0, 1, "binary string")
                    out[name] = data.decode()
            elif name in ("cpu_time_limit", "cpu_extra_time", "wall_time_limit"):
                out[name] = _number(values[name])
            elif name in ("enable_per_process_and_thread_time_limit",):
                out[name] = self.config["enable_per_process_and_thread_time_limit"]
            elif name in ("enable_per_process_and_thread_memory_limit",):
                out[name] = self.config["enable_per_process_and_thread_memory_limit"]
            elif name in ("redirect_stderr_to_stdout", "enable_network"):
                out[name] = bool(values.get(name, False))
            else:
                out[name] = values.get(name)
        return out

    def cached(self, key: tuple, build: Callable[[], bytes]) -> bytes:
        now = time.monotonic()
        with self.lock:
            hit = self._cache.get(key)
            if hit and hit[0] > now:
                return hit[1]
        data = build()
        with self.lock:
            self._cache[key] = (now + self.cache_s, data)
        return data

    # -- reference data -------------------------------------------------------------------------
    def language_list(self) -> list[dict]:
        items = sorted(self.languages.items(), key=lambda item: item[1][0])
        return [{"id": lid, "name": name} for lid, (name, _) in items]

    def language_detail(self, lid: int) -> dict | None:
        if lid in self.languages:
            (name, kind), archived = self.languages[lid], False
        elif lid in ARCHIVED:
            (name, kind), archived = ARCHIVED[lid], True
        else:
            return None
        source_file, compile_cmd, run_cmd = LANGUAGE_DETAILS[kind]
        return {
            "id": lid,
            "name": name,
            "is_archived": archived,
            "source_file": source_file,
            "compile_cmd": compile_cmd,
            "run_cmd": run_cmd,
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # quiet
        pass

    # -- plumbing ---------------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: Any = b"",
        headers: dict | None = None,
        *,
        content_type: str | None = None,
        fault: Fault | None = None,
    ) -> None:
        default_type = "application/json; charset=utf-8"
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
            if not data:
                default_type = "text/html"
        self.send_response(status)
        self.send_header("Content-Type", content_type or default_type)
        chunked = fault is not None and fault.chunked
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        fake = self.server.fake
        if chunked:
            for start in range(0, len(data), 64 * 1024):
                piece = data[start : start + 64 * 1024]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if fault is not None and fault.truncate is not None:
            self.wfile.write(data[: fault.truncate])
            self.wfile.flush()
            self._cut()
            return
        if fault is not None and fault.trickle_s:
            for start in range(0, len(data), 4):
                self.wfile.write(data[start : start + 4])
                self.wfile.flush()
                if fake._stopping.wait(fault.trickle_s):
                    self._cut()
                    return
            return
        self.wfile.write(data)

    def _cut(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)

    def _route(self, method: str, path: str) -> str:
        if path.startswith("/submissions/") and path != "/submissions/batch":
            return f"{method} /submissions/:token"
        if path.startswith("/languages/") and path != "/languages/all":
            return f"{method} /languages/:id"
        return f"{method} {path}"

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        route = self._route(method, parts.path)
        with fake.lock:
            fake.requests.append(
                {
                    "route": route,
                    "query": query,
                    "headers": dict(self.headers.items()),
                    "body": _loads_or_none(raw_body),
                }
            )
        fault = fake._take_fault(route)
        if fault is not None:
            if fault.drop:
                self._cut()
                return
            if fault.hang:
                fake._stopping.wait(fault.hang_s)
                self.close_connection = True
                return
            if fault.delay_s and fake._stopping.wait(fault.delay_s):
                self.close_connection = True
                return
            if fault.status is not None and not fault.acted:
                body = fault.body if fault.body is not None else b""
                self._send(
                    fault.status,
                    body,
                    fault.headers,
                    content_type=fault.content_type,
                    fault=fault,
                )
                return
        status, body, headers = self._dispatch(method, parts.path, query, raw_body)
        if fault is not None and fault.drop_after:
            self._cut()
            return
        if fault is not None and fault.status is not None:  # acted: the work is done
            body = fault.body if fault.body is not None else b""
            self._send(fault.status, body, fault.headers, content_type=fault.content_type)
            return
        content_type = None
        if isinstance(body, tuple):  # (text, content type)
            body, content_type = body
        if fault is not None and fault.mutate is not None:
            body = fault.mutate(json.loads(body) if isinstance(body, bytes) else body)
        self._send(status, body, headers, content_type=content_type, fault=fault)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    # -- Judge0 ---------------------------------------------------------------------------------
    def _authenticate(self) -> tuple[int, Any] | None:
        fake = self.server.fake
        if fake.rapidapi_key is not None:
            if self.headers.get("X-RapidAPI-Key") != fake.rapidapi_key:
                return 401, RAPIDAPI_INVALID_KEY
            if self.headers.get("X-RapidAPI-Host") != fake.rapidapi_host:
                return 403, RAPIDAPI_NOT_SUBSCRIBED
        if fake.auth_token is not None:
            given = self.headers.get("X-Auth-Token")
            if given is None:
                query = parse_qs(urlsplit(self.path).query)
                given = (query.get("X-Auth-Token") or [None])[-1]
            if given != fake.auth_token:
                return 401, b""
        return None

    def _dispatch(self, method: str, path: str, query: dict, raw: bytes):
        fake = self.server.fake
        if method == "GET" and path == "/":
            return 200, b"", None
        denied = self._authenticate()
        if denied is not None:
            return denied[0], denied[1], None
        b64 = query.get("base64_encoded") == "true"
        fields: tuple[str, ...] = DEFAULT_FIELDS
        if "fields" in query:
            names = tuple(n for n in query["fields"].split(",") if n)
            if names == ("*",):
                names = AVAILABLE_FIELDS
            invalid = [n for n in names if n not in AVAILABLE_FIELDS]
            if invalid and not (method == "POST" and path == "/submissions/batch"):
                return 400, {"error": f"invalid fields: [{', '.join(invalid)}]"}, None
            fields = names
        if method == "GET":
            answer = self._reference(path)
            if answer is not None:
                return answer
        if path == "/submissions" and method == "POST":
            return self._create_one(raw, b64, query, fields)
        if path == "/submissions/batch" and method in ("POST", "GET"):
            if not fake.config["enable_batched_submissions"]:
                return 400, {"error": "batched submissions are not allowed"}, None
            if method == "POST":
                return self._create_batch(raw, b64)
            tokens = query.get("tokens") or self.headers.get("tokens") or ""
            return self._show_batch(tokens.strip().split(","), fields, b64)
        if path.startswith("/submissions/") and method == "GET":
            return self._show_one(path.rsplit("/", 1)[1], fields, b64, query)
        return self._not_found()

    def _reference(self, path: str):
        """The read-only routes: languages, statuses, about, version, config, workers."""
        fake = self.server.fake
        if path == "/languages":
            return 200, fake.language_list(), None
        if path == "/languages/all":
            everything = [fake.language_detail(lid) for lid in (*fake.languages, *ARCHIVED)]
            listed = [{k: d[k] for k in ("id", "name", "is_archived")} for d in everything if d]
            return 200, sorted(listed, key=lambda d: d["id"]), None
        if path.startswith("/languages/"):
            try:
                detail = fake.language_detail(int(path.rsplit("/", 1)[1]))
            except ValueError:
                detail = None
            return (200, detail, None) if detail else self._not_found()
        if path == "/statuses":
            return 200, [{"id": i, "description": d} for i, d in STATUSES.items()], None
        if path == "/about":
            about = {
                "version": fake.version,
                "homepage": "https://judge0.com",
                "source_code": "https://github.com/judge0/judge0",
                "maintainer": "Herman Zvonimir Došilović <hermanz.dosilovic@gmail.com>",
            }
            return 200, about, None
        if path == "/version":
            return 200, (fake.version, "text/plain; charset=utf-8"), None
        if path == "/config_info":
            return 200, dict(fake.config), None
        if path == "/workers":
            worker = {
                "queue": fake.version,
                "size": fake._queue.qsize(),
                "available": fake.worker_count,
                "idle": 0,
                "working": 0,
                "paused": 0,
                "failed": 0,
            }
            return 200, [worker], None
        return None

    def _not_found(self):
        if "application/json" in (self.headers.get("Accept") or ""):
            return 404, {"status": 404, "error": "Not Found"}, None
        return 404, b"", None

    def _json_body(self, raw: bytes):
        """(body, None) or (None, error answer). Without a JSON type nothing is parsed."""
        if "json" not in (self.headers.get("Content-Type") or ""):
            return {}, None
        try:
            return json.loads(raw or b"{}"), None
        except ValueError:
            return None, (400, b"", None)

    def _create_one(self, raw: bytes, b64: bool, query: dict, fields: tuple[str, ...]):
        fake = self.server.fake
        wait = query.get("wait") == "true"
        if fake.config["maintenance_mode"]:
            return 503, {"error": "Judge0 is currently in maintenance."}, None
        if wait and not fake.config["enable_wait_result"]:
            return 400, {"error": "wait not allowed"}, None
        body, error = self._json_body(raw)
        if error:
            return error
        if fake.queued() + 1 > fake.max_queue_size:
            return 503, {"error": "queue is full"}, None
        params, errors = fake.validate(body, b64)
        if errors:
            return 422, errors, None
        sub = fake.create(params)
        if not wait:
            return 201, {"token": sub.token}, None
        # v1.13.1 runs the job inside the web process; the fake waits for its worker.
        while not sub.done.wait(0.05):
            if fake._stopping.is_set():
                self.close_connection = True
                return 201, {"token": sub.token}, None
        try:
            return 201, fake.serialize(sub, fields, b64), None
        except UnicodeDecodeError:
            return 201, {"error": UTF8_ERROR.format("this submission"), "token": sub.token}, None

    def _create_batch(self, raw: bytes, b64: bool):
        fake = self.server.fake
        body, error = self._json_body(raw)
        if error:
            return error
        items = body.get("submissions") if isinstance(body, dict) else None
        size = fake.batch_size
        if isinstance(items, list) and len(items) > size:
            message = f"number of submissions in a batch should be less than or equal to {size}"
            return 400, {"error": message}, None
        if not isinstance(items, list) or not items:
            return 400, {"error": "there should be at least one submission in a batch"}, None
        if fake.queued() + len(items) > fake.max_queue_size:
            return 503, {"error": "queue is full"}, None
        answer, valid = [], 0
        for item in items:
            params, errors = fake.validate(item, b64)
            if errors:
                answer.append(errors)
            else:
                answer.append({"token": fake.create(params).token})
                valid += 1
        return (201 if valid else 422), answer, None

    def _show_one(self, token: str, fields, b64: bool, query: dict):
        fake = self.server.fake
        with fake.lock:
            sub = fake.submissions.get(token)
        if sub is None:
            return self._not_found()

        def build() -> bytes:
            return json.dumps(fake.serialize(sub, fields, b64)).encode()

        try:
            key = (token, tuple(fields), b64)
            return 200, fake.cached(key, build), None
        except UnicodeDecodeError:
            return (
                400,
                {"error": UTF8_ERROR.format("this submission")},
                None,
            )

    def _show_batch(self, tokens: list[str], fields, b64: bool):
        fake = self.server.fake
        size = fake.batch_size
        if not tokens or tokens == [""]:
            return 400, {"error": "there should be at least one submission in a batch"}, None
        if len(tokens) > size:
            message = f"number of submissions in a batch should be less than or equal to {size}"
            return 400, {"error": message}, None
        out = []
        try:
            for token in tokens:
                with fake.lock:
                    sub = fake.submissions.get(token)
                out.append(None if sub is None else fake.serialize(sub, fields, b64))
        except UnicodeDecodeError:
            return (
                400,
                {"error": UTF8_ERROR.format("one or more submissions")},
                None,
            )
        return 200, {"submissions": out}, None
