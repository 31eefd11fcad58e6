"""CSV downloads: a renderer for ``text/csv`` views.

The text, with every cell safe to open in a spreadsheet, comes from ``courses/csv_export.py``
(shared with the site's staff pages). The API renders JSON; a view that answers CSV lists
``CSVRenderer`` and inherits ``CSVDownloadMixin``, so clients asking for ``text/csv`` (or
anything) get the file while every failure stays in the one JSON error shape
(``courses/api/errors.py``).
"""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer, JSONRenderer


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
