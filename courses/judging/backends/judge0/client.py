"""HTTP to Judge0: authentication, TLS, one deadline per request, a size cap, errors, retries.

Every failure leaves here as a ``courses.judging.errors`` exception carrying its cause:

=============================================  ==============================  ================
what happened                                  raised                          retried here
=============================================  ==============================  ================
refused, DNS failure, connect timeout          ``BackendUnavailable``          yes
read timeout, cut connection, deadline passed  ``BackendUnavailable``          GET only
  ... on a POST (it may have created work)     ``AnswerLost``                  no
5xx, 503 "queue is full"                       ``BackendUnavailable``          GET; POST if 5xx
  ... 504 on a POST                            ``AnswerLost``                  no
429 (``Retry-After`` honoured)                 ``BackendUnavailable``          yes
TLS certificate verification failed            ``BackendConfigurationError``   no
401 / 403 (bad credentials)                    ``BackendConfigurationError``   no
404 on a route                                 ``Judge0NotFound``              no
400 / 422 on a POST (Judge0's field messages)  ``BackendRejected``             no
  ... on a GET (it says nothing of the run)    ``BackendProtocolError``        yes
invalid JSON, an HTML page, a truncated body   ``BackendProtocolError``        GET only
  ... answering a POST                         ``AnswerLost``                  no
an answer over ``max_response_bytes``          ``ResponseTooLarge``            no
=============================================  ==============================  ================

A POST is repeated here only when Judge0 certainly did not act on it: it was never sent (no
connection), or the answer says so (429; 500, Judge0's own request failed, its database down;
503, Judge0's "queue is full" and maintenance, and a proxy's "no upstream"; 502, a proxy that
could not reach Judge0). Anything else after the request went out is ``AnswerLost``, never
repeated here: Judge0 has no idempotency key, and the backend creates again only at the next
try (``jobs``). A 504 is a proxy that gave up waiting for Judge0, which may still have acted.

Each request has one overall deadline (``deadline``): connecting, sending, waiting and reading the
whole body, however slowly it trickles. Retries use exponential backoff with jitter, at least
``Retry-After``, and stop when the next try could not finish before the call's deadline.
TLS trusts ``verify`` (a CA bundle path or a context) or else the system store, which honours
``SSL_CERT_FILE`` and ``SSL_CERT_DIR``: a private CA works from the environment too.
"""

from __future__ import annotations

import json
import random
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from courses.judging.errors import (
    AnswerLost,
    BackendConfigurationError,
    BackendProtocolError,
    BackendRejected,
    BackendUnavailable,
    ResponseTooLarge,
)

from .deadline import DeadlineTransport, request_deadline
from .protocol import parse_retry_after

USER_AGENT = "codecourses-judge0-client/2"
#: An answer this large is refused (reading stops there): the largest legitimate one is a
#: batch of results whose outputs the backend sizes to fit (``jobs``), far under it.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Statuses that say a POST created nothing (see the module docstring). A 500 is Judge0's own
#: request failing (an exception in Rails, typically its database down). One edge is beyond this:
#: a batch create saves its entries one by one, so a database that fails in the middle of one
#: leaves its first entries created (docs/decisions.md, "Judging: outages and Judge0").
POST_NOT_CREATED = frozenset({429, 500, 502, 503})


class Judge0NotFound(BackendConfigurationError):
    """HTTP 404. On ``/languages`` it means a wrong base URL; callers may read it otherwise."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of one HTTP call: at most ``attempts`` tries within ``budget_s`` seconds."""

    attempts: int = 4
    budget_s: float = 10.0
    initial_s: float = 0.2
    max_s: float = 2.0
    jitter_s: float = 0.2

    def backoff(self, attempt: int) -> float:
        """The wait after failed try number ``attempt`` (1-based)."""
        return min(self.max_s, self.initial_s * 2 ** (attempt - 1)) + random.uniform(
            0, self.jitter_s
        )


@dataclass(frozen=True, slots=True)
class Timeouts:
    """``connect_s`` bounds connecting (TLS included); ``request_s`` the whole of one request."""

    connect_s: float = 5.0
    request_s: float = 30.0


def _is_cert_failure(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if isinstance(current, ssl.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(error)


def _short(data: bytes) -> str:
    text = data[:300].decode("utf-8", "replace").strip()
    return text if text else "empty body"


def ssl_context(verify: bool | str | ssl.SSLContext) -> ssl.SSLContext:
    """The trust for Judge0: a given context, a CA bundle path, or the system store + env."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        raise BackendConfigurationError("TLS verification cannot be turned off for Judge0")
    if isinstance(verify, str) and verify:
        try:
            return ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as error:
            raise BackendConfigurationError(
                f"JUDGE0_CA_BUNDLE {verify!r} cannot be read: {error}", cause=error
            ) from error
    # OpenSSL's default paths, which SSL_CERT_FILE / SSL_CERT_DIR replace when set.
    return ssl.create_default_context()


class Judge0Client:
    """One Judge0 endpoint. Thread-safe (httpx's pool is), so the backend can poll concurrently.

    ``verify``: ``True`` (the system trust store, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), a CA
    bundle path, or an ``ssl.SSLContext``. ``False`` is refused: TLS is verified, always.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth_token: str | None = None,
        rapidapi_key: str | None = None,
        rapidapi_host: str | None = None,
        verify: bool | str | ssl.SSLContext = True,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_connections: int = 16,
    ) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise BackendConfigurationError(f"JUDGE0_URL must be an http(s) URL, not {base_url!r}")
        if bool(rapidapi_key) != bool(rapidapi_host):
            raise BackendConfigurationError(
                "JUDGE0_RAPIDAPI_KEY and JUDGE0_RAPIDAPI_HOST go together"
            )
        context = ssl_context(verify)
        self.base_url = base_url.rstrip("/")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if auth_token:
            headers["X-Auth-Token"] = auth_token
        if rapidapi_key:
            headers["X-RapidAPI-Key"] = rapidapi_key
            headers["X-RapidAPI-Host"] = rapidapi_host or ""
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=8)
        t = self.timeouts
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            transport=DeadlineTransport(ssl_context=context, limits=limits),
            timeout=httpx.Timeout(t.request_s, connect=t.connect_s),
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    # -- public calls -----------------------------------------------------------------------------
    def get(self, path: str, params: dict | None = None, *, deadline: float | None = None) -> Any:
        """GET and decode JSON; transient failures retried within the policy and ``deadline``."""
        return self._call("GET", path, params, None, deadline)

    def post(
        self, path: str, body: Any, params: dict | None = None, *, deadline: float | None = None
    ) -> Any:
        """POST; repeated only when Judge0 certainly did not act, else ``AnswerLost``."""
        return self._call("POST", path, params, body, deadline)

    def get_text(self, path: str, *, deadline: float | None = None) -> str:
        """A text route (``/version``), with the same retries as ``get``."""
        return self._call("GET", path, None, None, deadline, text=True)

    # -- machinery --------------------------------------------------------------------------------
    def _call(self, method, path, params, body, deadline, *, text: bool = False) -> Any:
        policy = self.retry
        started = time.monotonic()
        budget_end = started + policy.budget_s
        if deadline is not None:
            budget_end = min(budget_end, deadline)
        attempt = 0
        while True:
            attempt += 1
            request_end = time.monotonic() + self.timeouts.request_s
            if deadline is not None:
                request_end = min(request_end, deadline)
            try:
                return self._once(method, path, params, body, request_end, text=text)
            except (BackendUnavailable, BackendProtocolError) as error:
                if not self._may_repeat(method, error) or attempt >= policy.attempts:
                    raise
                wait = policy.backoff(attempt)
                retry_after = getattr(error, "retry_after_s", None)
                if retry_after is not None:
                    wait = max(wait, retry_after)
                if time.monotonic() + wait >= budget_end:
                    raise
                time.sleep(wait)

    @staticmethod
    def _may_repeat(method: str, error: Exception) -> bool:
        if isinstance(error, AnswerLost | ResponseTooLarge):
            return False
        if method == "GET":
            return True
        return getattr(error, "not_created", False)

    def _once(self, method, path, params, body, deadline, *, text: bool) -> Any:
        where = f"{method} {self.base_url}{path}"
        try:
            with request_deadline(deadline):
                request = self._http.build_request(method, path, params=params, json=body)
                response = self._http.send(request, stream=True)
                try:
                    data = self._read_capped(where, response)
                finally:
                    response.close()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # Nothing was sent: the request cannot have been acted on.
            if _is_cert_failure(error):
                raise BackendConfigurationError(
                    f"{where}: TLS certificate verification failed: {error}", cause=error
                ) from error
            raise self._unavailable(f"{where}: cannot connect: {error!r}", error) from error
        except httpx.TimeoutException as error:
            raise self._unavailable(
                f"{where}: no complete answer before the request's deadline ({error!r})",
                error,
                method=method,
            ) from error
        except httpx.TransportError as error:
            if _is_cert_failure(error):
                raise BackendConfigurationError(
                    f"{where}: TLS certificate verification failed: {error}", cause=error
                ) from error
            raise self._unavailable(
                f"{where}: transport error: {error!r}", error, method=method
            ) from error
        return self._read(where, method, response, data, text=text)

    @staticmethod
    def _unavailable(message: str, cause: Exception, *, method: str | None = None):
        """``method`` given: the request went out, and a POST's answer is lost."""
        if method == "POST":
            return AnswerLost(message, cause=cause)
        error = BackendUnavailable(message, cause=cause)
        error.not_created = method is None  # type: ignore[attr-defined]
        return error

    def _read_capped(self, where: str, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise ResponseTooLarge(
                f"{where}: an answer of {declared} bytes, over the cap of "
                f"{self.max_response_bytes} (JUDGE0_MAX_RESPONSE_BYTES)"
            )
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise ResponseTooLarge(
                    f"{where}: the answer passed the cap of {self.max_response_bytes} bytes "
                    "(JUDGE0_MAX_RESPONSE_BYTES); reading stopped"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _read(self, where: str, method: str, response: httpx.Response, data: bytes, *, text):
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            error = BackendUnavailable(
                f"{where}: 429 rate limited: {_short(data)}", retry_after_s=retry_after
            )
            # A rate limit proves Judge0 is alive; it must not open the breaker.
            error.counts_as_failure = False  # type: ignore[attr-defined]
            error.not_created = True  # type: ignore[attr-defined]
            raise error
        if status >= 500:
            message = f"{where}: {status}: {_short(data)}"
            if method == "POST" and status not in POST_NOT_CREATED:
                raise AnswerLost(message, retry_after_s=retry_after)
            error = BackendUnavailable(message, retry_after_s=retry_after)
            error.not_created = True  # type: ignore[attr-defined]
            raise error
        if status in (401, 403):
            raise BackendConfigurationError(
                f"{where}: {status}: Judge0 refused the credentials ({_short(data)}); "
                "check JUDGE0_AUTH_TOKEN or JUDGE0_RAPIDAPI_KEY/HOST"
            )
        if status == 404:
            raise Judge0NotFound(f"{where}: 404 not found")
        if status in (400, 422) and method != "POST":
            # A refused read is about our request or Judge0's state, never the student's run:
            # garbage to wait out (and a failure for the breaker), not a rejected submission.
            doc = _json_or_none(data)
            message = doc.get("error") if isinstance(doc, dict) else None
            raise BackendProtocolError(f"{where}: {status}: {message or _short(data)}")
        if status in (400, 422):
            doc = _json_or_none(data)
            if isinstance(doc, dict) and status == 422:
                fields = {k: v for k, v in doc.items() if k != "error"}
                detail = doc.get("error") or "; ".join(f"{k}: {v}" for k, v in fields.items())
                raise BackendRejected(f"{where}: 422: {detail}", fields=fields)
            if isinstance(doc, list) and status == 422:  # a batch whose every entry is invalid
                fields = {str(i): e for i, e in enumerate(doc) if isinstance(e, dict)}
                raise BackendRejected(f"{where}: 422: {fields}", fields=fields)
            message = doc.get("error") if isinstance(doc, dict) else None
            raise BackendRejected(f"{where}: {status}: {message or _short(data)}")
        if not 200 <= status < 300:
            raise BackendProtocolError(f"{where}: unexpected {status}: {_short(data)}")
        if text:
            return data.decode("utf-8", "replace").strip()
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as error:  # not JSON, or nested absurdly deep
            message = f"{where}: invalid JSON ({error}): {_short(data)}"
            if method == "POST":
                raise AnswerLost(message, cause=error) from error
            raise BackendProtocolError(message, cause=error) from error


def _json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None
