"""The in-sandbox runner, seen from the caller: build its program and payload, read its report.

The program itself is ``harness_program.py`` (stdlib only). Two ways to feed it, one
implementation:
- the local backend runs it as the pid 1 of every sandbox and hands it the payload as a memfd
  over its control socket, so inputs never exist as files the student code could open;
- ``build_harness_program`` returns one self-contained program text with the payload embedded
  (base64 comment lines at the end) for backends that take a single source file, such as Judge0;
  it decodes the payload in a throw-away child and deletes its own file before running any case.
Either way the harness prints one JSON line; ``parse_report`` validates it strictly and
``case_result`` turns one case into a ``RunResult`` with the same rules as every other path.
"""

from __future__ import annotations

import base64
import functools
import json
import signal
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from courses.judging.types import Limits, Outcome, RunResult

from .harness_program import MAGIC, PAYLOAD_MARKER
from .outcomes import Facts, classify
from .supervisor import SHM_BYTES, TMP_BYTES

PROGRAM_PATH = Path(__file__).with_name("harness_program.py")
#: Same as the one-process-per-case path: a cgroup limit is the memory limit plus 8 MiB.
MEMORY_SLACK_BYTES = 8 << 20
STDERR_CAP_BYTES = 64 << 10
#: RLIMIT_FSIZE of a case: room for a file as large as a scratch mount (``/tmp``, ``/dev/shm``).
#: Not the stdout cap: the limit holds for every file a case writes, and the runner enforces the
#: cap itself (it watches stdout's size and cuts it).
SCRATCH_FILE_BYTES = max(TMP_BYTES, SHM_BYTES)
CASE_NOFILE = 256
#: Room for the interpreter's own mappings when RLIMIT_AS stands in for a memory cgroup.
AS_SLACK_BYTES = 64 << 20


class HarnessFailed(Exception):
    """The harness did not produce a valid report: the caller must fall back to one run per case."""


@functools.cache
def program_text() -> str:
    return PROGRAM_PATH.read_text(encoding="utf-8")


def case_limits(
    limits: Limits,
    *,
    stdout_cap: int | None = None,
    local: bool = False,
    address_space: bool = False,
) -> dict:
    """One case's limits as the runner applies them.

    ``local`` adds what only the local sandbox lets the runner set per case (processes, stack);
    ``address_space`` adds RLIMIT_AS (no memory cgroup: the runner polls memory instead).
    """
    memory_bytes = limits.memory_kb * 1024 + MEMORY_SLACK_BYTES
    output = limits.output_bytes if stdout_cap is None else stdout_cap
    found = {
        "cpu_ms": limits.cpu_time_ms,
        "wall_ms": limits.wall_time_ms,
        "memory_bytes": memory_bytes,
        "output_bytes": output,
        "stderr_bytes": STDERR_CAP_BYTES,
        "fsize": file_size_limit(output),
        "nofile": CASE_NOFILE,
        "tick_ms": 10,
    }
    if local:
        found.update(processes=limits.processes, stack=memory_bytes)
    if address_space:
        found["address_space"] = memory_bytes + AS_SLACK_BYTES
    return found


def file_size_limit(stdout_cap: int) -> int:
    """The largest file a case may write (RLIMIT_FSIZE): a scratch mount's size, or more when
    its stdout cap is larger (stdout is a file too: going past the cap is the runner's call)."""
    return max(SCRATCH_FILE_BYTES, stdout_cap + 1)


#: A case's record in the payload's case table: its stdin's offset and length, and the position
#: of its limits in the header's ``limits`` (``harness_program._case_spec`` reads one at a time).
CASE_RECORD = struct.Struct(">QQI")


def payload_parts(
    source: str,
    stdins: Sequence[bytes],
    limits: Limits | Sequence[Limits] | Sequence[dict],
    *,
    filename: str = "/box/main.py",
    argv0: str = "main.py",
    raw: bool = False,
    argv: Sequence[str] | None = None,
    prelude_end: str | None = None,
) -> list[bytes]:
    """The binary payload the runner reads (format in ``harness_program``'s docstring), as the
    pieces that make it up one after the other: a large batch's inputs are not copied into one.

    ``raw`` asks for raw output bytes after the report line instead of base64 inside it.
    With ``argv`` each case executes that program (``exec`` kind); otherwise each case runs
    ``source`` as Python in a fork of the runner (``python`` kind). ``limits`` may be given
    as ``case_limits`` dicts already. ``prelude_end``: the line that ends the prelude of a
    Python ``source`` the caller checked is its launcher (``templates.is_python_launcher``);
    the runner runs the prelude once, before any case.
    """
    per_case = [limits] * len(stdins) if isinstance(limits, Limits) else list(limits)
    if len(per_case) != len(stdins):
        raise ValueError("one Limits per stdin")
    source_bytes = source.encode("utf-8") if argv is None else b""
    kinds: list[dict] = []  # the distinct limits; a case names its own by position
    table, offset = [], 0
    for data, lim in zip(stdins, per_case, strict=True):
        case = lim if isinstance(lim, dict) else case_limits(lim)
        if case not in kinds:
            kinds.append(case)
        table.append(CASE_RECORD.pack(offset, len(data), kinds.index(case)))
        offset += len(data)
    doc = {
        "kind": "python" if argv is None else "exec",
        "source_len": len(source_bytes),
        "filename": filename,
        "argv0": argv0,
        "raw": raw,
        "case_count": len(stdins),
        "limits": kinds,
    }
    if argv is not None:
        doc["argv"] = list(argv)
    elif prelude_end is not None:
        doc["prelude_end"] = prelude_end
    header = json.dumps(doc).encode()
    return [MAGIC, len(header).to_bytes(8, "big"), header, *table, source_bytes, *stdins]


def build_harness_program(
    source: str, stdins: list[bytes], limits: Limits, *, filename: str = "/box/main.py"
) -> str:
    """A self-contained Python program that runs ``source`` once per stdin, in fresh children.

    Its stdout is a single JSON line (see ``parse_report``); outputs are base64. Run it with a
    Python >= 3.8 on Linux. The program deletes its own file before the first case runs.
    """
    payload = b"".join(payload_parts(source, stdins, limits, filename=filename))
    payload = base64.b64encode(payload).decode()
    text = program_text().replace("\n_EMBEDDED = False\n", "\n_EMBEDDED = True\n")
    lines = [payload[i : i + 76] for i in range(0, len(payload), 76)]
    return text + "\n" + PAYLOAD_MARKER + "\n" + "".join(f"#{line}\n" for line in lines)


@dataclass(frozen=True)
class Report:
    compile_error: str | None
    cases: list[dict]
    #: Why the runner stopped before its last case (a scratch mount it could not empty).
    stopped: str | None = None


_CASE_FIELDS = {
    "exit_code": (int, type(None)),
    "signal": (int, type(None)),
    "killed": (str, type(None)),
    "cpu_ms": (int,),
    "wall_ms": (int,),
    "memory_kb": (int,),
    "oom": (bool,),
    "stdout_bytes": (int,),
    "stderr_bytes": (int,),
}


def _line_end(view: memoryview) -> int:
    """Where the first line of ``view`` ends (-1: nowhere), copying no more than it reads."""
    step = 1 << 16
    for start in range(0, len(view), step):
        found = bytes(view[start : start + step]).find(b"\n")
        if found >= 0:
            return start + found
    return -1


def parse_report(raw: bytes | memoryview, expected_cases: int, *, shared: bool = False) -> Report:
    """Validate the harness's output; ``HarnessFailed`` on anything unexpected.

    In the returned cases ``stdout`` and ``stderr`` are always bytes, whichever framing the
    harness used (base64 in the JSON line, or raw bytes after it), and ``index`` is the case's
    position in the payload. A runner reports every case in order, or, when it ran a ``shared``
    batch's queue, the cases it took: each at most once. A runner that says why it ``stopped``
    reports the cases it ran: the first ones in order, or those it took from the queue.
    """
    view = memoryview(raw)
    newline = _line_end(view)
    if newline < 0:
        raise HarnessFailed("no report line from the harness")
    rest = view[newline + 1 :]  # the raw outputs: sliced per case, not copied whole
    try:
        doc = json.loads(bytes(view[:newline]))
    except ValueError as exc:
        raise HarnessFailed(f"invalid JSON from the harness: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("harness") != 1:
        raise HarnessFailed("not a harness report")
    compile_error = doc.get("compile_error")
    cases = doc.get("cases")
    stopped = doc.get("stopped")
    if compile_error is not None:
        if not isinstance(compile_error, str) or rest:
            raise HarnessFailed("bad compile_error")
        return Report(compile_error, [])
    if stopped is not None and not isinstance(stopped, str):
        raise HarnessFailed("bad stopped")
    if not isinstance(cases, list) or not (
        len(cases) <= expected_cases if shared or stopped else len(cases) == expected_cases
    ):
        raise HarnessFailed(f"expected {expected_cases} case results")
    framed = doc.get("raw") is True
    offset = 0
    seen: set[int] = set()
    for position, case in enumerate(cases):
        if not isinstance(case, dict):
            raise HarnessFailed("bad case result")
        index = case.get("index", position)
        if (
            type(index) is not int
            or not 0 <= index < expected_cases
            or index in seen
            or (not shared and index != position)
        ):
            raise HarnessFailed("bad case index")
        seen.add(index)
        case["index"] = index
        fields = dict(_CASE_FIELDS)
        fields.update(
            {"stdout_len": (int,), "stderr_len": (int,)}
            if framed
            else {"stdout": (str,), "stderr": (str,)}
        )
        for name, types in fields.items():
            value = case.get(name)
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise HarnessFailed(f"bad case field {name}")
        if (case["exit_code"] is None) == (case["signal"] is None):
            raise HarnessFailed("a case has both or neither of exit_code and signal")
        if framed:
            for name in ("stdout", "stderr"):
                length = case[f"{name}_len"]
                if length < 0 or offset + length > len(rest):
                    raise HarnessFailed("raw outputs truncated")
                case[name] = bytes(rest[offset : offset + length])
                offset += length
        else:
            try:
                case["stdout"] = base64.b64decode(case["stdout"], validate=True)
                case["stderr"] = base64.b64decode(case["stderr"], validate=True)
            except ValueError as exc:
                raise HarnessFailed("bad base64 in a case result") from exc
    if offset != len(rest):
        raise HarnessFailed("unexpected bytes after the report")
    return Report(None, cases, stopped)


def case_result(
    case: dict, limits: Limits, *, stdout_cap: int | None = None, file_size: int | None = None
) -> RunResult:
    """One case of ``parse_report`` as a ``RunResult``, by the same rules on every path.

    ``file_size``: the case's RLIMIT_FSIZE, when the caller knows it (named to the student when
    the case died of it, ``classify``).

    The runner reports the kernel's OOM kills when it can see the sandbox's cgroup (``oom``);
    elsewhere a SIGKILL we did not send is the OOM killer when the case had reached its memory
    limit (cases ask to be picked first). A Python program that ends on ``MemoryError`` ran out
    of memory too (an address-space limit, or an allocation the kernel refused outright).
    """
    stdout, stderr = case["stdout"], case["stderr"]
    oom = (
        bool(case.get("oom"))
        or (
            case["killed"] is None
            and case["signal"] == signal.SIGKILL
            and case["memory_kb"] >= limits.memory_kb
        )
        or (case["exit_code"] == 1 and stderr.rstrip().endswith(b"MemoryError"))
    )
    cap = limits.output_bytes if stdout_cap is None else stdout_cap
    facts = Facts(
        killed=case["killed"],
        exit_code=case["exit_code"],
        signal=case["signal"],
        cpu_ms=case["cpu_ms"],
        wall_ms=case["wall_ms"],
        memory_kb=case["memory_kb"],
        oom=oom,
        stdout=stdout,
        stderr=stderr,
        stdout_overflow=case["stdout_bytes"] > cap,
        stderr_truncated=case["stderr_bytes"] > len(stderr),
        file_size=file_size,
    )
    return classify(facts, limits)


def compile_error_result(message: str) -> RunResult:
    return RunResult(outcome=Outcome.COMPILATION_ERROR, compile_output=message)
