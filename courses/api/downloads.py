"""CSV downloads: a renderer for ``text/csv`` views, and cells safe to open in a spreadsheet.

The API renders JSON; a view that answers CSV lists ``CSVRenderer`` and inherits
``CSVDownloadMixin``, so clients asking for ``text/csv`` (or anything) get the file while every
failure stays in the one JSON error shape (``courses/api/errors.py``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from rest_framework.renderers import BaseRenderer, JSONRenderer

#: A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """``value`` as text that a spreadsheet shows as text: a formula trigger gets a ``'`` first.

    Applied to every cell, so no user-controlled text (usernames, emails, titles) can run as a
    formula; the numbers written here are never negative, so none is changed.
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_text(rows: Iterable[Iterable]) -> str:
    """The rows as CSV (RFC 4180: CRLF line ends, quotes where needed), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


class CSVRenderer(BaseRenderer):
    """Renders text a view has already laid out as CSV (``csv_text``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        return str(data).encode(self.charset)


class CSVDownloadMixin:
    """For a view whose success is a CSV file: everything else is still rendered as JSON.

    DRF renders an error with the renderer negotiated for the request (CSV here); this swaps in
    the JSON renderer for every response that is not CSV text: failures (a 406 included) and
    the metadata of ``OPTIONS``.
    """

    renderer_classes = [CSVRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not isinstance(getattr(response, "data", None), str | bytes):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response
