"""Request body parsing for the API: JSON everywhere, CSV where a view says so; bounded in size."""

from __future__ import annotations

from django.conf import settings
from django.utils.http import parse_header_parameters
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.utils import json

from courses.services.enrollment_import import rows_from_csv_bytes


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies over ``COURSES_API_MAX_BODY_BYTES`` with a 413.

    DRF 3.18 parses JSON from the request stream, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    (enforced when ``request.body`` is read) never applies to it. This parser reads at most one
    byte past the limit, whatever ``Content-Length`` claims, so a huge body is never held in
    memory. Bodies must be UTF-8 JSON (RFC 8259) without NaN or Infinity; anything else is a
    ``ParseError``, nesting too deep for the parser's recursion included (a body of a thousand
    ``[`` fits in 2 KB).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.COURSES_API_MAX_BODY_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            text = raw.decode("utf-8")
            return json.loads(text)  # DRF's: NaN and Infinity are refused
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError
            raise ParseError(f"The body is not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise ParseError("The body is not valid JSON: it is nested too deeply.") from exc


class BoundedCSVParser(BaseParser):
    """``text/csv`` bodies as a list of rows (lists of cells), at most
    ``COURSES_API_MAX_CSV_BYTES`` (413 beyond, read as the JSON parser reads).

    The charset is the media type's (``text/csv; charset=latin-1``), UTF-8 by default; a byte
    order mark is dropped. Undecodable or unreadable CSV is 400 ``malformed_csv``.
    """

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> list[list[str]]:
        limit = settings.COURSES_API_MAX_CSV_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"The CSV body is larger than {limit} bytes.")
        charset = parse_header_parameters(media_type or "")[1].get("charset") or "utf-8"
        return rows_from_csv_bytes(raw, charset=charset)


class BoundedZipParser(BaseParser):
    """A raw ``application/zip`` body, as bytes, refused over ``COURSES_CASE_ARCHIVE_MAX_BYTES``.

    Like ``BoundedJSONParser`` it reads at most one byte past the limit, whatever
    ``Content-Length`` claims. What is inside is for ``courses.services.case_archive`` to judge.
    """

    media_type = "application/zip"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = settings.COURSES_CASE_ARCHIVE_MAX_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"The archive is larger than {limit} bytes.")
        return raw


class BoundedPackageParser(BoundedZipParser):
    """A course or problem package (``application/zip``), refused over
    ``COURSES_PACKAGE_MAX_BYTES``; ``courses.packages.archive`` judges what is inside."""

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = settings.COURSES_PACKAGE_MAX_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"The package is larger than {limit} bytes.")
        return raw
