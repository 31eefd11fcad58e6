"""``FakeJudge0``: a real HTTP(S) server on 127.0.0.1 that behaves like Judge0 CE 1.13.

What it reproduces (research/judge0-api.md): the routes a client uses (``/submissions`` and its
batch forms, ``/languages``, ``/statuses``, ``/config_info``, ``/about``, ``/workers``, ``/``),
201 ``{"token"}`` on create, the batch shapes (POST answers a list in input order with a token or
a field map per entry, 201 if any entry is valid else 422; GET answers ``{"submissions": [...]}``
with ``null`` for unknown tokens), at most 20 per batch, ``fields`` validation (400), 422 field
maps, ``X-Auth-Token`` (401 with an empty body) or RapidAPI headers (401/403 with the gateway's
``message`` bodies), 404 bodies, 400 with an empty body for malformed JSON, 503 "queue is full",
base64 in and out with MIME newlines (every 60 characters), empty outputs as ``null``, ``time``
and ``wall_time`` as strings of seconds and ``memory`` in KB, statuses 1 to 14, and the one-second
cache of ``GET /submissions/{token}`` (the batch route is not cached).

Submissions go through a queue to ``workers`` threads (default 2 × cores, Judge0's default), each
sleeping ``processing_delay_s`` (Judge0's box set-up) and then REALLY running the program
(``runner``). Tests script faults per route for the next N requests (``script``), force the
status of the next runs (``force_status``), make the server forget tokens (``forget``), and stop
and restart it on the same port (``stop`` / ``start``); submissions survive a restart, as they
survive in Judge0's database.
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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .runner import LANGUAGES, RunSpec, execute
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
#: (default, min, max, integer?) of the limit fields (app/helpers/config.rb).
LIMITS = {
    "cpu_time_limit": (5.0, 0, 15, False),
    "cpu_extra_time": (1.0, 0, 5, False),
    "wall_time_limit": (10.0, 1, 20, False),
    "memory_limit": (128000, 2048, 512000, True),
    "stack_limit": (64000, 0, 128000, True),
    "max_processes_and_or_threads": (60, 1, 120, True),
    "max_file_size": (1024, 0, 4096, True),
    "number_of_runs": (1, 1, 20, True),
}
MAX_BATCH = 20
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


@dataclass
class Fault:
    """What the next matching request gets instead of (or on top of) the normal answer.

    ``delay_s`` answers late (then normally, unless something else is set); ``hang`` never
    answers (until the server stops or ``hang_s`` passes, then closes the connection); ``drop``
    closes the connection without a word; ``status``/``body``/``headers`` replace the answer
    (a ``dict``/``list`` body is JSON, ``bytes``/``str`` are sent as they are); ``mutate`` edits
    the normal JSON answer (wrong types, missing fields).
    """

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    hang: bool = False
    hang_s: float = 30.0
    drop: bool = False
    mutate: Callable[[Any], Any] | None = None


@dataclass
class _Submission:
    token: str
    params: dict
    status_id: int = 1
    result: dict = field(default_factory=dict)
    created_at: str = field(default_factory=_now_iso)
    finished_at: str | None = None


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
    ``wrong_host``, ``expired``, ``untrusted``); clients trust ``ca_path``.
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
        port: int = 0,
    ) -> None:
        self.tls_files = make_tls_files(tls) if tls else None
        self.auth_token = auth_token
        self.rapidapi_key = rapidapi_key
        self.rapidapi_host = rapidapi_host
        self.worker_count = workers or 2 * (os.cpu_count() or 1)
        self.processing_delay_s = processing_delay_s
        self.cache_s = cache_s
        self.max_queue_size = max_queue_size
        self.bash_wrapper = bash_wrapper
        self.port = port
        self.submissions: dict[str, _Submission] = {}
        self.requests: list[dict] = []
        self.lock = threading.RLock()
        self._faults: dict[str, list[tuple[Fault, int]]] = {}
        self._forced: list[tuple[int, str]] = []
        self._cache: dict[tuple, tuple[float, bytes]] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.executed = 0

    # -- life cycle -------------------------------------------------------------------------------
    @property
    def ca_path(self) -> str | None:
        return self.tls_files.ca_path if self.tls_files else None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_files else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

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

    def close(self) -> None:
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
    def script(self, route: str, fault: Fault, times: int = 1) -> None:
        """Give the next ``times`` requests on ``route`` (``"GET /languages"``, ``"POST
        /submissions/batch"``, ``"GET /submissions/batch"``, ``"GET /submissions/:token"``,
        ``"POST /submissions"``, or ``"*"``) this fault."""
        with self.lock:
            self._faults.setdefault(route, []).append((fault, times))

    def reset_script(self) -> None:
        """Forget scripted faults, forced statuses and the request log (between tests)."""
        with self.lock:
            self._faults.clear()
            self._forced.clear()
            self.requests.clear()

    def force_status(self, status_id: int, *, times: int = 1, message: str = "") -> None:
        """The next ``times`` runs end with this status without running (e.g. 13, 14)."""
        with self.lock:
            self._forced.extend([(status_id, message)] * times)

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
        with self.lock:
            for key in (route, "*"):
                pending = self._faults.get(key)
                if pending:
                    fault, times = pending[0]
                    if times <= 1:
                        pending.pop(0)
                    else:
                        pending[0] = (fault, times - 1)
                    return fault
        return None

    # -- workers --------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            token = self._queue.get()
            if token is None:
                return
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

    def _run(self, params: dict) -> dict:
        _, kind = LANGUAGES[params["language_id"]]
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
            if language_id not in LANGUAGES:
                errors["language_id"] = [
                    f"language with id {body.get('language_id')} doesn't exist"
                ]
            params["language_id"] = language_id
        for name, (default, low, high, integer) in LIMITS.items():
            value = body.get(name)
            if value is None:
                params[name] = default
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                errors[name] = ["is not a number"]
                continue
            if integer and number != int(number):
                errors[name] = ["must be an integer"]
            elif number < low:
                errors[name] = [f"must be greater than or equal to {low}"]
            elif number > high:
                errors[name] = [f"must be less than or equal to {high}"]
            params[name] = int(number) if integer else number
        return (None, errors) if errors else (params, {})

    def create(self, params: dict) -> str:
        token = str(uuid.uuid4())
        with self.lock:
            self.submissions[token] = _Submission(token, params)
        self._queue.put(token)
        return token

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
                out[name] = {"id": lid, "name": LANGUAGES[lid][0]}
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
                out[name] = f"{float(values[name]):.1f}"
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # quiet
        pass

    # -- plumbing ---------------------------------------------------------------------------------
    def _send(self, status: int, body: Any = b"", headers: dict | None = None) -> None:
        content_type = "application/json; charset=utf-8"
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
            if not data:
                content_type = "text/html"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method: str, path: str) -> str:
        if path.startswith("/submissions/") and path != "/submissions/batch":
            return f"{method} /submissions/:token"
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
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.request.shutdown(socket.SHUT_RDWR)
                return
            if fault.hang:
                fake._stopping.wait(fault.hang_s)
                self.close_connection = True
                return
            if fault.delay_s and fake._stopping.wait(fault.delay_s):
                self.close_connection = True
                return
            if fault.status is not None:
                self._send(
                    fault.status, fault.body if fault.body is not None else b"", fault.headers
                )
                return
        status, body, headers = self._dispatch(method, parts.path, query, raw_body)
        if fault is not None and fault.mutate is not None:
            body = fault.mutate(json.loads(body) if isinstance(body, bytes) else body)
        self._send(status, body, headers)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

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
        if method == "GET" and path == "/languages":
            items = sorted(LANGUAGES.items(), key=lambda item: item[1][0])
            return 200, [{"id": lid, "name": name} for lid, (name, _) in items], None
        if method == "GET" and path == "/statuses":
            return 200, [{"id": i, "description": d} for i, d in STATUSES.items()], None
        if method == "GET" and path == "/about":
            return (
                200,
                {"version": "1.13.1", "homepage": "", "source_code": "", "maintainer": ""},
                None,
            )
        if method == "GET" and path == "/config_info":
            return (
                200,
                {
                    "max_submission_batch_size": MAX_BATCH,
                    "max_queue_size": fake.max_queue_size,
                    "submission_cache_duration": fake.cache_s,
                },
                None,
            )
        if method == "GET" and path == "/workers":
            return (
                200,
                [
                    {
                        "queue": "1.13.1",
                        "size": fake._queue.qsize(),
                        "available": fake.worker_count,
                        "idle": 0,
                        "working": 0,
                        "paused": 0,
                        "failed": 0,
                    }
                ],
                None,
            )
        if path == "/submissions" and method == "POST":
            return self._create_one(raw, b64)
        if path == "/submissions/batch" and method == "POST":
            return self._create_batch(raw, b64)
        if path == "/submissions/batch" and method == "GET":
            tokens = query.get("tokens") or self.headers.get("tokens") or ""
            return self._show_batch(tokens.split(","), fields, b64)
        if path.startswith("/submissions/") and method == "GET":
            return self._show_one(path.rsplit("/", 1)[1], fields, b64, query)
        return self._not_found()

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

    def _create_one(self, raw: bytes, b64: bool):
        fake = self.server.fake
        body, error = self._json_body(raw)
        if error:
            return error
        if fake.queued() + 1 > fake.max_queue_size:
            return 503, {"error": "queue is full"}, None
        params, errors = fake.validate(body, b64)
        if errors:
            return 422, errors, None
        return 201, {"token": fake.create(params)}, None

    def _create_batch(self, raw: bytes, b64: bool):
        fake = self.server.fake
        body, error = self._json_body(raw)
        if error:
            return error
        items = body.get("submissions") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return 400, {"error": "there should be at least one submission in a batch"}, None
        if len(items) > MAX_BATCH:
            return (
                400,
                {"error": "number of submissions in a batch should be less than or equal to 20"},
                None,
            )
        if fake.queued() + len(items) > fake.max_queue_size:
            return 503, {"error": "queue is full"}, None
        answer, valid = [], 0
        for item in items:
            params, errors = fake.validate(item, b64)
            if errors:
                answer.append(errors)
            else:
                answer.append({"token": fake.create(params)})
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
        if not tokens or tokens == [""]:
            return 400, {"error": "there should be at least one submission in a batch"}, None
        if len(tokens) > MAX_BATCH:
            return (
                400,
                {"error": "number of submissions in a batch should be less than or equal to 20"},
                None,
            )
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
