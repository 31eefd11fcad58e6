"""Reading a zip of test cases: ``NAME.in`` / ``NAME.out`` pairs, defensively.

The archive comes from a person's upload, so nothing in it is trusted:

- at most ``max_files`` entries, and at most ``max_uncompressed_bytes`` of content, counted while
  decompressing (the sizes a zip declares are never believed: zip bombs lie);
- names that are absolute (``/x``, ``C:x``), contain ``..`` parts or backslashes, are links or
  other non-regular files (Unix mode in the external attributes), or are encrypted are refused;
- folders are allowed and ignored (``tests/1.in`` is case ``1``), and so are the metadata that
  archivers add (any path part starting with ``.``, or ``__MACOSX``); any other file that is not
  ``NAME.in`` or ``NAME.out`` is refused, and so is a NAME that appears twice;
- every ``.in`` needs its ``.out`` and the other way round;
- contents are UTF-8 (a leading byte-order mark is dropped) without NUL characters.

Order: samples first, then the others, each in natural order (``2`` before ``10``). A case is a
sample when its NAME starts with ``sample`` (any case: ``sample1``, ``Sample-2``).

Every refusal is an ``ArchiveError`` naming the file at fault; nothing here touches the database.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass

CHUNK_BYTES = 64 * 1024
SAMPLE_PREFIX = "sample"
METADATA_DIRS = frozenset({"__MACOSX"})
_DRIVE = re.compile(r"^[A-Za-z]:")
_DIGITS = re.compile(r"(\d+)")


class ArchiveError(ValueError):
    """The archive cannot be imported; ``file`` names the entry at fault (empty: the archive)."""

    def __init__(self, message: str, *, file: str = "") -> None:
        super().__init__(f"{file}: {message}" if file else message)
        self.file = file
        self.reason = message


class ArchiveTooLarge(ArchiveError):
    pass


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int
    max_uncompressed_bytes: int
    max_files: int


@dataclass(frozen=True)
class ArchiveCase:
    name: str
    input: str
    expected_output: str
    is_sample: bool
    input_file: str
    output_file: str


def natural_key(name: str) -> tuple:
    """``case2`` before ``case10``: digit runs compare as numbers (text parts, then numbers)."""
    parts = _DIGITS.split(name.lower())
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts)), name


def is_sample_name(name: str) -> bool:
    return name.lower().startswith(SAMPLE_PREFIX)


def read_case_archive(data: bytes, limits: ArchiveLimits) -> list[ArchiveCase]:
    """The cases of a zip archive, in import order; ``ArchiveError`` for anything amiss."""
    if len(data) > limits.max_bytes:
        raise ArchiveTooLarge(f"The archive is larger than {limits.max_bytes} bytes.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile raises many kinds on malformed input; all mean the same
        raise ArchiveError(f"This is not a readable zip archive ({exc}).") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_files:
            raise ArchiveError(
                f"The archive has {len(entries)} entries; at most {limits.max_files} are allowed."
            )
        members = _case_members(entries)
        budget = [limits.max_uncompressed_bytes]
        texts = {
            key: _read_text(archive, info, budget, limits.max_uncompressed_bytes)
            for key, info in members.items()
        }
    return _pairs(members, texts)


def check_entry(info: zipfile.ZipInfo) -> list[str]:
    """The entry's path parts, after the checks on its name and file type (for other readers of
    untrusted zips, such as ``courses.packages.archive``); ``ArchiveError`` when it is refused."""
    parts = _checked_parts(info.filename)
    _check_file_type(info)
    return parts


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], total: int):
    """The entry's bytes, decompressed while counting them against ``budget[0]`` (what is left of
    ``total``): ``ArchiveTooLarge`` as soon as the real bytes exceed it, whatever the zip says."""
    chunks = []
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise ArchiveTooLarge(
                        f"The archive's files add up to more than {total} bytes uncompressed.",
                        file=info.filename,
                    )
                chunks.append(chunk)
    except ArchiveError:
        raise
    except Exception as exc:  # a bad CRC, a corrupt stream, an unknown compression method...
        raise ArchiveError(f"This file cannot be extracted ({exc}).", file=info.filename) from exc
    return b"".join(chunks)


def _case_members(entries: list[zipfile.ZipInfo]) -> dict[tuple[str, str], zipfile.ZipInfo]:
    """``{(NAME, "in"|"out"): entry}`` after every check on names and file types."""
    members: dict[tuple[str, str], zipfile.ZipInfo] = {}
    for info in entries:
        name = info.filename
        parts = check_entry(info)
        if info.is_dir() or _is_metadata(parts):
            continue
        stem, dot, extension = parts[-1].rpartition(".")
        if not dot or extension not in ("in", "out") or not stem:
            raise ArchiveError(
                "Only NAME.in and NAME.out files are allowed (and folders).", file=name
            )
        key = (stem, extension)
        if key in members:
            raise ArchiveError(
                f"{parts[-1]} appears twice (also as {members[key].filename}).", file=name
            )
        members[key] = info
    return members


def _checked_parts(name: str) -> list[str]:
    if "\x00" in name or "\\" in name:
        raise ArchiveError("Names may not contain backslashes or NUL characters.", file=name)
    if name.startswith("/") or _DRIVE.match(name):
        raise ArchiveError("Absolute paths are not allowed.", file=name)
    parts = [part for part in name.rstrip("/").split("/")]
    if any(part in ("", ".", "..") for part in parts):
        raise ArchiveError("Paths may not contain empty, '.' or '..' parts.", file=name)
    return parts


def _check_file_type(info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise ArchiveError("Encrypted entries are not allowed.", file=info.filename)
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if stat.S_ISLNK(mode):
        raise ArchiveError("Symbolic links are not allowed.", file=info.filename)
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        raise ArchiveError("Only regular files and folders are allowed.", file=info.filename)


def _is_metadata(parts: list[str]) -> bool:
    return any(part.startswith(".") or part in METADATA_DIRS for part in parts)


def _read_text(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], total: int):
    """Decompress one entry, counting real bytes against what is left of the total budget."""
    raw = read_entry(archive, info, budget, total)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveError(
            f"Not UTF-8 text (byte {exc.start} is invalid); save it as UTF-8.", file=info.filename
        ) from exc
    if "\x00" in text:
        raise ArchiveError("NUL characters cannot be stored in test data.", file=info.filename)
    return text.removeprefix("\ufeff")


def _pairs(members: dict, texts: dict) -> list[ArchiveCase]:
    names = {stem for stem, _ in members}
    for stem in sorted(names, key=natural_key):
        for have, need in (("in", "out"), ("out", "in")):
            if (stem, have) in members and (stem, need) not in members:
                raise ArchiveError(
                    f"{stem}.{have} has no {stem}.{need} to pair with.",
                    file=members[stem, have].filename,
                )
    if not names:
        raise ArchiveError("The archive holds no NAME.in / NAME.out pairs.")
    ordered = sorted(names, key=lambda stem: (not is_sample_name(stem), natural_key(stem)))
    return [
        ArchiveCase(
            name=stem,
            input=texts[stem, "in"],
            expected_output=texts[stem, "out"],
            is_sample=is_sample_name(stem),
            input_file=members[stem, "in"].filename,
            output_file=members[stem, "out"].filename,
        )
        for stem in ordered
    ]
