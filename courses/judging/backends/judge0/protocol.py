"""Judge0's wire format, as pure functions: no I/O, so every rule here is cheap to test.

Facts from ``research/judge0-api.md``:
- Texts travel base64 (``base64_encoded=true`` on every call). Judge0 encodes MIME style, a
  newline after every 60 characters, so newlines are stripped before a strict decode. Outputs stay
  ``bytes``: a program may print invalid UTF-8.
- ``time`` and ``wall_time`` are *strings* of seconds (``"0.002"``); ``memory`` is an int in KB;
  an empty output is ``null``. Every number of a result is bounded (``MAX_RUN_SECONDS``,
  ``MAX_MEMORY_KB``, exit codes 0-255, signals 0-64, a status id of Judge0's table): what is
  saved must fit the database's columns (PostgreSQL ``integer``), and a number out of range is
  garbage like any other (``BackendProtocolError``: waited out while polling, an outage after).
- Limits go out in Judge0's units (seconds, KB). The maxima are the deployment's
  (``/config_info``, ``Deployment``): limits above them are refused (``limit_problems``), never
  clamped, since a clamped limit gives a TLE or MLE the local sandbox would not give. Below
  Judge0's minima (1 s of wall clock, 2048 KB) a limit is raised: that only loosens it.
- Language ids differ between Judge0 versions: they are resolved by name from ``/languages``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from courses.judging.errors import BackendConfigurationError, BackendProtocolError
from courses.judging.types import Limits
from courses.judging.verdicts import JUDGE0_STATUSES

#: Judge0's minima (``app/models/submission.rb``): a request below them is a 422.
MIN_WALL_TIME_S = Decimal(1)
MIN_MEMORY_KB = 2048
#: The largest time (CPU or wall) a result may report: a day, far over any Judge0 limit (20 s of
#: wall clock by default, compiling included), and in milliseconds far under 2**31.
MAX_RUN_SECONDS = Decimal(86_400)
#: The largest peak memory a result may report: 1 TiB in KB, under 2**31.
MAX_MEMORY_KB = 2**30
MAX_EXIT_CODE = 255
#: Linux signals are 1 to 64 (SIGRTMAX); 0 is read as no signal.
MAX_SIGNAL = 64


@dataclass(frozen=True, slots=True)
class Deployment:
    """What one Judge0 allows, from its ``/config_info`` (defaults: ``app/helpers/config.rb``)."""

    batched: bool = True
    batch_size: int = 20
    max_cpu_time_s: Decimal = Decimal(15)
    max_wall_time_s: Decimal = Decimal(20)
    max_memory_kb: int = 512_000
    max_file_size_kb: int = 4096
    max_processes: int = 120
    callbacks: bool = False
    #: False when ``/config_info`` could not be read and these are Judge0's defaults.
    read: bool = True


def parse_config(doc: object) -> Deployment:
    """A ``Deployment`` from ``/config_info``; a missing key keeps Judge0's default, a key of the
    wrong type is a ``BackendProtocolError``."""
    if not isinstance(doc, Mapping):
        raise BackendProtocolError(f"Judge0 /config_info: expected an object, got {_kind(doc)}")
    default = Deployment()

    def number(key: str, fallback: Decimal) -> Decimal:
        value = doc.get(key)
        if value is None:
            return fallback
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise BackendProtocolError(f"Judge0 /config_info: {key} is {_kind(value)}")
        try:
            result = Decimal(str(value))
        except InvalidOperation as error:
            raise BackendProtocolError(f"Judge0 /config_info: {key} = {value!r}") from error
        if not result.is_finite() or result <= 0:
            raise BackendProtocolError(f"Judge0 /config_info: {key} = {value!r}")
        return result

    def flag(key: str, fallback: bool) -> bool:
        value = doc.get(key)
        if value is None:
            return fallback
        if not isinstance(value, bool):
            raise BackendProtocolError(f"Judge0 /config_info: {key} is {_kind(value)}")
        return value

    return Deployment(
        batched=flag("enable_batched_submissions", default.batched),
        batch_size=int(number("max_submission_batch_size", Decimal(default.batch_size))),
        max_cpu_time_s=number("max_cpu_time_limit", default.max_cpu_time_s),
        max_wall_time_s=number("max_wall_time_limit", default.max_wall_time_s),
        max_memory_kb=int(number("max_memory_limit", Decimal(default.max_memory_kb))),
        max_file_size_kb=int(number("max_max_file_size", Decimal(default.max_file_size_kb))),
        max_processes=int(
            number("max_max_processes_and_or_threads", Decimal(default.max_processes))
        ),
        callbacks=flag("enable_callbacks", default.callbacks),
    )


#: What we ask for when fetching; Judge0 answers 400 for any unknown name, so keep to real ones.
RESULT_FIELDS = (
    "token",
    "status",
    "stdout",
    "stderr",
    "compile_output",
    "message",
    "time",
    "wall_time",
    "memory",
    "exit_code",
    "exit_signal",
)


def b64encode(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return base64.b64encode(data).decode("ascii")


def b64decode(value: object, field: str) -> bytes:
    """Decode one base64 field of a reply; ``null`` is empty. MIME newlines are removed first."""
    if value is None:
        return b""
    if not isinstance(value, str):
        raise BackendProtocolError(f"Judge0 field {field!r}: expected a string, got {_kind(value)}")
    try:
        return base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError) as error:
        raise BackendProtocolError(f"Judge0 field {field!r} is not base64", cause=error) from error


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def seconds_to_ms(value: object, field: str) -> int:
    """``"0.002"`` -> 2. Judge0 sends strings (its docs say floats; issue #174): accept both.
    Negative, not finite, or over ``MAX_RUN_SECONDS``: ``BackendProtocolError``."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BackendProtocolError(f"Judge0 field {field!r}: expected seconds, got {_kind(value)}")
    try:
        seconds = Decimal(str(value))
    except InvalidOperation as error:
        raise BackendProtocolError(
            f"Judge0 field {field!r}: {value!r} is not a number", cause=error
        ) from error
    if not seconds.is_finite() or not 0 <= seconds <= MAX_RUN_SECONDS:
        raise BackendProtocolError(f"Judge0 field {field!r}: {value!r} is not a duration")
    return int((seconds * 1000).to_integral_value())


def optional_int(value: object, field: str, low: int = 0, high: int = 2**31 - 1) -> int | None:
    """An integer field in ``[low, high]``, or None for ``null``; ``BackendProtocolError``
    for another type or a value out of range."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BackendProtocolError(
            f"Judge0 field {field!r}: expected an integer, got {_kind(value)}"
        )
    if not low <= value <= high:
        raise BackendProtocolError(
            f"Judge0 field {field!r}: {value} is out of range ({low} to {high})"
        )
    return value


@dataclass(frozen=True, slots=True)
class Submission:
    """A submission as read back, decoded and typed. Unknown fields were ignored."""

    token: str
    status_id: int
    stdout: bytes = b""
    stderr: bytes = b""
    compile_output: bytes = b""
    message: str = ""
    cpu_time_ms: int = 0
    wall_time_ms: int = 0
    memory_kb: int | None = None
    exit_code: int | None = None
    exit_signal: int | None = None

    @property
    def is_final(self) -> bool:
        """Judge0's own rule (``Submission.is_done``): neither In Queue (1) nor Processing (2)."""
        return self.status_id not in (1, 2)


def parse_submission(doc: object) -> Submission:
    """Validate and decode one submission object; ``BackendProtocolError`` on a wrong shape."""
    if not isinstance(doc, Mapping):
        raise BackendProtocolError(f"Judge0 submission: expected an object, got {_kind(doc)}")
    token = doc.get("token")
    if not isinstance(token, str) or not token:
        raise BackendProtocolError("Judge0 submission without a token")
    status = doc.get("status")
    if not isinstance(status, Mapping):
        raise BackendProtocolError(f"Judge0 submission {token}: missing or malformed status")
    status_id = optional_int(status.get("id"), "status.id")
    if status_id is None:
        raise BackendProtocolError(f"Judge0 submission {token}: status without an id")
    if status_id not in JUDGE0_STATUSES:
        raise BackendProtocolError(f"Judge0 submission {token}: unknown status id {status_id}")
    message = b64decode(doc.get("message"), "message")
    return Submission(
        token=token,
        status_id=status_id,
        stdout=b64decode(doc.get("stdout"), "stdout"),
        stderr=b64decode(doc.get("stderr"), "stderr"),
        compile_output=b64decode(doc.get("compile_output"), "compile_output"),
        message=message.decode("utf-8", "replace"),
        cpu_time_ms=seconds_to_ms(doc.get("time"), "time"),
        wall_time_ms=seconds_to_ms(doc.get("wall_time"), "wall_time"),
        memory_kb=optional_int(doc.get("memory"), "memory", 0, MAX_MEMORY_KB),
        exit_code=optional_int(doc.get("exit_code"), "exit_code", 0, MAX_EXIT_CODE),
        exit_signal=optional_int(doc.get("exit_signal"), "exit_signal", 0, MAX_SIGNAL) or None,
    )


def output_file_kb(limits: Limits, deployment: Deployment) -> int:
    """``max_file_size`` for a run: one KB over our output cap, so that going over it is visible
    (we then cap and say OLE, as the local sandbox does; Python ignores SIGXFSZ and would
    otherwise just fail a write), within the deployment's maximum."""
    return min(math.ceil(limits.output_bytes / 1024) + 1, deployment.max_file_size_kb)


def limit_problems(limits: Limits, deployment: Deployment) -> list[tuple[str, str]]:
    """Which of ``limits`` this Judge0 cannot honour: ``(Limits field, why)`` pairs, [] if none."""
    problems = []
    cpu_s = Decimal(limits.cpu_time_ms) / 1000
    if cpu_s > deployment.max_cpu_time_s:
        problems.append(
            ("cpu_time_ms", f"{cpu_s} s of CPU time is over this Judge0's maximum of "
             f"{deployment.max_cpu_time_s} s (max_cpu_time_limit)")
        )  # fmt: skip
    wall_s = Decimal(limits.wall_time_ms) / 1000
    if wall_s > deployment.max_wall_time_s:
        problems.append(
            ("wall_time_ms", f"{wall_s} s of wall-clock time is over this Judge0's maximum of "
             f"{deployment.max_wall_time_s} s (max_wall_time_limit)")
        )  # fmt: skip
    if limits.memory_kb > deployment.max_memory_kb:
        problems.append(
            ("memory_kb", f"{limits.memory_kb} KB of memory is over this Judge0's maximum of "
             f"{deployment.max_memory_kb} KB (max_memory_limit)")
        )  # fmt: skip
    if math.ceil(limits.output_bytes / 1024) > deployment.max_file_size_kb:
        problems.append(
            ("output_bytes", f"{math.ceil(limits.output_bytes / 1024)} KB of output is over this "
             f"Judge0's maximum of {deployment.max_file_size_kb} KB (max_max_file_size)")
        )  # fmt: skip
    if limits.processes > deployment.max_processes:
        problems.append(
            ("processes", f"{limits.processes} processes is over this Judge0's maximum of "
             f"{deployment.max_processes} (max_max_processes_and_or_threads)")
        )  # fmt: skip
    return problems


def _seconds(ms: int, low: Decimal | None = None) -> str:
    value = Decimal(ms) / 1000
    if low is not None:
        value = max(value, low)
    return str(value.quantize(Decimal("0.001")))


def limit_fields(
    limits: Limits,
    deployment: Deployment,
    *,
    cpu_ms: int | None = None,
    wall_ms: int | None = None,
    memory_kb: int | None = None,
) -> dict:
    """Judge0 request fields for ``limits``, in its units; never above the deployment's maxima.

    Callers refuse limits over the maxima first (``limit_problems``); the keyword overrides let
    the harness path ask for a whole chunk's CPU and wall budget, which it sizes to fit them.
    ``max_file_size`` bounds stdout (Judge0 writes it to a file; going over is SIGXFSZ).
    """
    return {
        "cpu_time_limit": _seconds(limits.cpu_time_ms if cpu_ms is None else cpu_ms),
        "wall_time_limit": _seconds(
            limits.wall_time_ms if wall_ms is None else wall_ms, MIN_WALL_TIME_S
        ),
        "memory_limit": max(limits.memory_kb if memory_kb is None else memory_kb, MIN_MEMORY_KB),
        "max_file_size": output_file_kb(limits, deployment),
        "max_processes_and_or_threads": max(1, limits.processes),
    }


_VERSION_RE = re.compile(r"\d+(?:\.\d+)*")


def _version_key(name: str) -> tuple[int, ...]:
    match = _VERSION_RE.search(name)
    return tuple(int(part) for part in match.group().split(".")) if match else ()


def choose_language_id(languages: object, prefixes: Sequence[str]) -> int:
    """The id of the best ``/languages`` entry for a language's ``judge0_names`` prefixes.

    The first prefix with any match wins (so ``"Python (3."`` never picks Python 2); among its
    matches the highest version number wins, then the highest id. ``BackendProtocolError`` for a
    malformed list; ``BackendConfigurationError`` when this Judge0 does not offer the language.
    """
    if not isinstance(languages, list):
        raise BackendProtocolError(f"Judge0 /languages: expected a list, got {_kind(languages)}")
    entries: list[tuple[int, str]] = []
    for item in languages:
        if not isinstance(item, Mapping):
            raise BackendProtocolError("Judge0 /languages: an entry is not an object")
        lang_id, name = item.get("id"), item.get("name")
        if isinstance(lang_id, bool) or not isinstance(lang_id, int) or not isinstance(name, str):
            raise BackendProtocolError("Judge0 /languages: an entry lacks an integer id or a name")
        entries.append((lang_id, name))
    for prefix in prefixes:
        matches = [(lid, name) for lid, name in entries if name.startswith(prefix)]
        if matches:
            return max(matches, key=lambda m: (_version_key(m[1]), m[0]))[0]
    offered = ", ".join(sorted(name for _, name in entries)) or "none"
    raise BackendConfigurationError(
        f"this Judge0 offers no language named like {list(prefixes)} (it offers: {offered})"
    )


_DELTA_SECONDS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")
#: A longer ``Retry-After`` is read as this: nobody schedules anything on it.
MAX_RETRY_AFTER_S = 86_400.0


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds, or None when absent or unreadable.

    RFC 9110 allows delta-seconds (digits; a decimal part is tolerated) or an HTTP date (a past
    one is 0); either is capped at ``MAX_RETRY_AFTER_S``. Anything else — garbage, a negative
    number, ``inf``, ``nan``, a date out of range — is None: the caller's own backoff applies.
    How long a submission then waits is capped by the retry schedule, never by this value
    (``courses.services.submissions.retry_delay``).
    """
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return min(float(value), MAX_RETRY_AFTER_S)
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), MAX_RETRY_AFTER_S)
