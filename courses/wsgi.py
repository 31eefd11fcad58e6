"""The app's WSGI handler: Django's, with requests that survive any ``Content-Type`` charset.

Django builds the request before any middleware or view runs, and on the way it adopts the
``charset`` of ``Content-Type`` if Python knows a codec of that name, then decodes the query
string with it (``HttpRequest.encoding``'s setter reads ``GET``). Python also knows codecs that
are not text encodings (``rot13``, ``base64``, ``hex``, ``zlib``, ``uu``): decoding with one
raises ``LookupError`` inside ``WSGIRequest.__init__``, where neither a middleware nor the API's
exception handler can catch it, so any anonymous client got a plain-text 500 from the server.
Hence the fix sits where the request is built: ``CheckedWSGIRequest`` leaves such a charset
unused (as Django leaves an unknown one) and notes it, and ``UnusableCharsetMiddleware``, first
in the chain, refuses the request: 415 ``unsupported_media_type`` in the one error shape under
``/api/``, the 400 page on the site. ``config/wsgi.py`` serves ``WSGIHandler`` (``runserver``
and gunicorn load it from there).
"""

from __future__ import annotations

import codecs

from django.core.handlers import wsgi
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import parse_header_parameters
from rest_framework.renderers import JSONRenderer

from courses.api.errors import error_body


def is_non_text_codec(name: str) -> bool:
    """Whether Python knows a codec ``name`` that does not decode bytes to text (``rot13``)."""
    try:
        codecs.lookup(name)
    except LookupError:
        return False  # unknown: Django ignores such a charset, and so does the app
    try:
        b"x".decode(name, "ignore")  # one byte: decoding nothing succeeds with any codec
    except LookupError:
        return True  # "'rot13' is not a text encoding"
    except ValueError:
        pass  # a text encoding that cannot read this byte
    return False


class CheckedWSGIRequest(wsgi.WSGIRequest):
    #: The ``Content-Type`` charset that names a codec but no text encoding, if any.
    unusable_charset: str | None = None

    def _set_content_type_params(self, meta):
        """Django's (5.2), except that a charset decoding to no text is noted and not used."""
        content_type, params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        charset = params.get("charset")
        if charset is not None and is_non_text_codec(charset):
            self.content_type, self.content_params = content_type, params
            self.unusable_charset = charset
            return
        super()._set_content_type_params(meta)


class WSGIHandler(wsgi.WSGIHandler):
    request_class = CheckedWSGIRequest


class UnusableCharsetMiddleware:
    """Refuse a request whose charset ``CheckedWSGIRequest`` could not use, before anything
    reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = getattr(request, "unusable_charset", None)
        if charset is None:
            return self.get_response(request)
        message = (
            f'The Content-Type charset "{charset}" is not a text encoding; '
            "send UTF-8 (charset=utf-8, or no charset)."
        )
        if request.path_info.startswith("/api/"):
            body = JSONRenderer().render(error_body("unsupported_media_type", message))
            return HttpResponse(body, content_type="application/json", status=415)
        return render(request, "400.html", {"exception": message}, status=400)
