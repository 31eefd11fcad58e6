"""Judge0's wire format, as pure functions: no I/O, so every rule here is cheap to test.

Facts from ``research/judge0-api.md``:
- Texts travel base64 (``base64_encoded=true`` on every call). Judge0 encodes MIME style, a
  newline after every 60 characters, so newlines are stripped before a strict decode. Outputs stay
  ``bytes``: a program may print invalid UTF-8.
- ``time`` and ``wall_time`` are *strings* of seconds (``"0.002"``); ``memory`` is an int in KB;
  an empty output is ``null``.
- Limits go out in Judge0's units (seconds, KB) and within its maxima; a value over a maximum is a
  422, so it is clamped here instead.
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

#: Judge0's maxima (``app/helpers/config.rb`` defaults) and minima.
MAX_CPU_TIME_S = Decimal(15)
MIN_WALL_TIME_S = Decimal(1)
MAX_WALL_TIME_S = Decimal(20)
MIN_MEMORY_KB = 2048
MAX_MEMORY_KB = 512_000
MAX_FILE_SIZE_KB = 4096
MAX_PROCESSES = 120
#: ``MAX_SUBMISSION_BATCH_SIZE``, for both batch create and batch show.
MAX_BATCH = 20

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
    """``"0.002"`` -> 2. Judge0 sends strings (its docs say floats; issue #174): accept both."""
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
    if not seconds.is_finite() or seconds < 0:
        raise BackendProtocolError(f"Judge0 field {field!r}: {value!r} is not a duration")
    return int((seconds * 1000).to_integral_value())


def optional_int(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BackendProtocolError(
            f"Judge0 field {field!r}: expected an integer, got {_kind(value)}"
        )
    return value


@dataclass(frozen=True, slots=True)
class Submission:
    """A submission as read back, decoded and typed. Unknown fields were ignored."""

    token: str
    status_id: int
    status_description: str
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
    description = status.get("description")
    message = b64decode(doc.get("message"), "message")
    return Submission(
        token=token,
        status_id=status_id,
        status_description=description if isinstance(description, str) else "",
        stdout=b64decode(doc.get("stdout"), "stdout"),
        stderr=b64decode(doc.get("stderr"), "stderr"),
        compile_output=b64decode(doc.get("compile_output"), "compile_output"),
        message=message.decode("utf-8", "replace"),
        cpu_time_ms=seconds_to_ms(doc.get("time"), "time"),
        wall_time_ms=seconds_to_ms(doc.get("wall_time"), "wall_time"),
        memory_kb=optional_int(doc.get("memory"), "memory"),
        exit_code=optional_int(doc.get("exit_code"), "exit_code"),
        exit_signal=optional_int(doc.get("exit_signal"), "exit_signal"),
    )


def _seconds(ms: int, low: Decimal | None, high: Decimal) -> str:
    value = Decimal(ms) / 1000
    if low is not None:
        value = max(value, low)
    return str(min(value, high).quantize(Decimal("0.001")))


def limit_fields(
    limits: Limits,
    *,
    cpu_ms: int | None = None,
    wall_ms: int | None = None,
    memory_kb: int | None = None,
) -> dict:
    """Judge0 request fields for ``limits``, in its units and clamped to its ranges.

    The keyword overrides let the harness path ask for a whole chunk's CPU and wall budget.
    ``max_file_size`` bounds stdout (Judge0 writes it to a file; going over is SIGXFSZ or, in
    Python, a failed write).
    """
    return {
        "cpu_time_limit": _seconds(
            limits.cpu_time_ms if cpu_ms is None else cpu_ms, None, MAX_CPU_TIME_S
        ),
        "wall_time_limit": _seconds(
            limits.wall_time_ms if wall_ms is None else wall_ms, MIN_WALL_TIME_S, MAX_WALL_TIME_S
        ),
        "memory_limit": clamp_memory_kb(limits.memory_kb if memory_kb is None else memory_kb),
        # One KB over our cap, so that going over it is visible (we then cap and say OLE, as the
        # local sandbox does); Python ignores SIGXFSZ and would otherwise just fail a write.
        "max_file_size": min(math.ceil(limits.output_bytes / 1024) + 1, MAX_FILE_SIZE_KB),
        "max_processes_and_or_threads": min(max(1, limits.processes), MAX_PROCESSES),
    }


def clamp_memory_kb(memory_kb: int) -> int:
    return min(max(memory_kb, MIN_MEMORY_KB), MAX_MEMORY_KB)


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


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
