"""Package zips: written deterministically, read defensively. No ORM here.

Writing: entries sorted by path, each with the same fixed date (1980-01-01), permissions
(``-rw-r--r--``), system (Unix) and compression (deflate, level 9), no folder entries and no
comment, so the same files always give the same bytes.

Reading trusts nothing (the rules of ``courses.services.case_archive``, which this reuses):
the zip's size, its number of entries and its real decompressed size (counted while reading:
zip bombs lie about sizes) are bounded, and so is each file; absolute paths, ``..``, backslashes,
links, devices and encrypted entries are refused, as is a path given twice. Folders and the
metadata archivers add (``__MACOSX``, names starting with ``.``) are skipped. When every file
sits in one top folder (a zip of the package's folder), that folder is taken off.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from courses.services.case_archive import (
    ArchiveError,
    ArchiveTooLarge,
    check_entry,
    read_entry,
)

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
METADATA_DIRS = frozenset({"__MACOSX"})


@dataclass(frozen=True)
class PackageLimits:
    max_bytes: int
    max_uncompressed_bytes: int
    max_files: int
    max_file_bytes: int


def write_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=FIXED_DATE)
            info.create_system = 3
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path], compresslevel=9)
    return buffer.getvalue()


def read_zip(data: bytes, limits: PackageLimits) -> dict[str, bytes]:
    """``{path: content}`` of the zip's files; ``ArchiveError`` (or ``ArchiveTooLarge``)."""
    if len(data) > limits.max_bytes:
        raise ArchiveTooLarge(f"The package is larger than {limits.max_bytes} bytes.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile raises many kinds on malformed input; all mean the same
        raise ArchiveError(f"This is not a readable zip archive ({exc}).") from exc
    files: dict[str, bytes] = {}
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_files:
            raise ArchiveError(
                f"The package has {len(entries)} entries; at most {limits.max_files} are allowed."
            )
        budget = [limits.max_uncompressed_bytes]
        for info in entries:
            parts = check_entry(info)
            if info.is_dir() or any(p.startswith(".") or p in METADATA_DIRS for p in parts):
                continue
            path = "/".join(parts)
            if path in files:
                raise ArchiveError("This path appears twice in the zip.", file=info.filename)
            # Each file within its own bound too: count it on a budget of its own.
            try:
                content = read_entry(archive, info, [limits.max_file_bytes], limits.max_file_bytes)
            except ArchiveTooLarge as exc:
                raise ArchiveTooLarge(
                    f"This file is larger than {limits.max_file_bytes} bytes uncompressed.",
                    file=info.filename,
                ) from exc
            budget[0] -= len(content)
            if budget[0] < 0:
                raise ArchiveTooLarge(
                    f"The package's files add up to more than {limits.max_uncompressed_bytes} "
                    "bytes uncompressed.",
                    file=info.filename,
                )
            files[path] = content
    return _without_top_folder(files)


def _without_top_folder(files: dict[str, bytes]) -> dict[str, bytes]:
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) == 1 and all("/" in path for path in files):
        return {path.split("/", 1)[1]: content for path, content in files.items()}
    return files
