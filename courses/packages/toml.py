"""A small deterministic TOML writer (``tomllib`` reads what it writes).

Only what packages need: a document is a ``dict`` whose values are strings, integers, booleans,
floats, timezone-aware datetimes, lists of those, tables (``dict``) and arrays of tables (lists
of ``dict``). The same value always gives the same text: keys in the order given, scalars before
tables, strings as basic strings with the same escapes, datetimes in UTC with a ``Z``, floats in
Python's shortest round-tripping form. ``None`` values are left out (TOML has no null). An empty
array of tables is left out too (it reads back as absent; readers default it to ``[]``).

Why not a package: ``tomli_w`` would do, but packages promise byte-identical round trips, so the
exact text is part of the format; owning forty lines keeps it from moving under a dependency
upgrade.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


class TomlWriteError(TypeError):
    pass


def dumps(document: dict) -> str:
    lines: list[str] = []
    _table(lines, document, prefix="")
    return "\n".join(lines).strip("\n") + "\n"


def _table(lines: list[str], table: dict, *, prefix: str) -> None:
    scalars, tables, arrays = [], [], []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            scalars.append((key, value))
    for key, value in scalars:
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables:
        name = f"{prefix}{_key(key)}"
        lines.extend(["", f"[{name}]"])
        _table(lines, value, prefix=f"{name}.")
    for key, items in arrays:
        name = f"{prefix}{_key(key)}"
        for item in items:
            lines.extend(["", f"[[{name}]]"])
            _table(lines, item, prefix=f"{name}.")


def _key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise TomlWriteError(f"TOML keys are non-empty strings, not {key!r}")
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise TomlWriteError(f"{value} does not fit a TOML integer")
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TomlWriteError("datetimes are written with their offset; this one has none")
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
        return f"{text}Z"
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            raise TomlWriteError("arrays hold scalars or only tables")
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TomlWriteError(f"cannot write {type(value).__name__} as TOML")


def _string(text: str) -> str:
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            raise TomlWriteError("lone surrogates cannot be written as UTF-8")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
