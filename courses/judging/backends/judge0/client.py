"""HTTP to Judge0: authentication, TLS, timeouts, error classification, retries, the breaker.

Every failure leaves here as a ``courses.judging.errors`` exception carrying its cause:

==========================================  ==============================  =========
what happened                               raised                          retried
==========================================  ==============================  =========
refused, DNS failure, timeout, reset        ``BackendUnavailable``          yes
5xx, 503 "queue is full"                    ``BackendUnavailable``          yes
429 (``Retry-After`` honoured)              ``BackendUnavailable``          yes
TLS certificate verification failed         ``BackendConfigurationError``   no
401 / 403 (bad credentials)                 ``BackendConfigurationError``   no
404 on a route                              ``Judge0NotFound``              no
400 / 422 (with Judge0's field messages)    ``BackendRejected``             no
invalid JSON                                ``BackendProtocolError``        no
breaker open                                ``CircuitOpen``                 no (fast)
==========================================  ==============================  =========

Retries use exponential backoff with jitter (tenacity), at least ``Retry-After`` when the server
gave one, and stop before the total ``budget_s`` would be exceeded: the caller (a Celery task)
has its own, slower retry schedule above this one. A retried POST may create a submission twice
after a lost answer; the duplicate is harmless (nobody polls it).
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    stop_before_delay,
    wait_exponential_jitter,
)

from courses.judging.errors import (
    BackendConfigurationError,
    BackendProtocolError,
    BackendRejected,
    BackendUnavailable,
    JudgeError,
)

from .circuit import CircuitBreaker, CircuitOpen
from .protocol import parse_retry_after

USER_AGENT = "codecourses-judge0-client/1"


class Judge0NotFound(BackendConfigurationError):
    """HTTP 404. On ``/languages`` it means a wrong base URL; callers may read it otherwise."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries of one HTTP call: at most ``attempts`` tries within ``budget_s`` seconds."""

    attempts: int = 5
    budget_s: float = 20.0
    initial_s: float = 0.2
    max_s: float = 4.0
    jitter_s: float = 0.2


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect_s: float = 5.0
    read_s: float = 15.0
    write_s: float = 15.0
    pool_s: float = 15.0

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_s, read=self.read_s, write=self.write_s, pool=self.pool_s
        )


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


def _short_body(response: httpx.Response) -> str:
    text = response.text.strip()
    return text[:300] if text else "empty body"


class Judge0Client:
    """One Judge0 endpoint. Thread-safe (httpx's pool is), so the backend can poll concurrently.

    ``verify`` is httpx's: ``True`` (system trust store), a CA bundle path, or an
    ``ssl.SSLContext``. ``False`` is refused: TLS is verified, always.
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
        circuit: CircuitBreaker | None = None,
        max_connections: int = 16,
    ) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise BackendConfigurationError(f"JUDGE0_URL must be an http(s) URL, not {base_url!r}")
        if verify is False:
            raise BackendConfigurationError("TLS verification cannot be turned off for Judge0")
        if bool(rapidapi_key) != bool(rapidapi_host):
            raise BackendConfigurationError(
                "JUDGE0_RAPIDAPI_KEY and JUDGE0_RAPIDAPI_HOST go together"
            )
        if isinstance(verify, str):  # a CA bundle path
            verify = ssl.create_default_context(cafile=verify)
        self.base_url = base_url.rstrip("/")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if auth_token:
            headers["X-Auth-Token"] = auth_token
        if rapidapi_key:
            headers["X-RapidAPI-Key"] = rapidapi_key
            headers["X-RapidAPI-Host"] = rapidapi_host or ""
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.circuit = circuit
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            verify=verify,
            timeout=self.timeouts.httpx(),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=8),
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    # -- public calls -----------------------------------------------------------------------------
    def get(self, path: str, params: dict | None = None) -> Any:
        return self._with_retries("GET", path, params, None)

    def post(self, path: str, body: Any, params: dict | None = None) -> Any:
        return self._with_retries("POST", path, params, body)

    # -- machinery --------------------------------------------------------------------------------
    def _with_retries(self, method: str, path: str, params: dict | None, body: Any) -> Any:
        policy = self.retry
        retrying = Retrying(
            retry=retry_if_exception(
                lambda e: isinstance(e, BackendUnavailable) and not isinstance(e, CircuitOpen)
            ),
            stop=stop_any(stop_after_attempt(policy.attempts), stop_before_delay(policy.budget_s)),
            wait=self._wait,
            reraise=True,
        )
        return retrying(self._once, method, path, params, body)

    def _wait(self, state: RetryCallState) -> float:
        policy = self.retry
        backoff = wait_exponential_jitter(
            multiplier=policy.initial_s, max=policy.max_s, jitter=policy.jitter_s
        )(state)
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after_s", None)
        return max(backoff, retry_after) if retry_after is not None else backoff

    def _once(self, method: str, path: str, params: dict | None, body: Any) -> Any:
        if self.circuit is not None:
            self.circuit.before_call()
        try:
            result = self._send(method, path, params, body)
        except BackendUnavailable as error:
            if self.circuit is not None and getattr(error, "counts_as_failure", True):
                self.circuit.record_failure()
            raise
        except JudgeError:
            # Judge0 answered: it is up, whatever it thought of the request.
            if self.circuit is not None:
                self.circuit.record_success()
            raise
        if self.circuit is not None:
            self.circuit.record_success()
        return result

    def _send(self, method: str, path: str, params: dict | None, body: Any) -> Any:
        where = f"{method} {self.base_url}{path}"
        try:
            response = self._http.request(method, path, params=params, json=body)
        except httpx.TimeoutException as error:
            raise BackendUnavailable(f"{where}: timed out ({error!r})", cause=error) from error
        except httpx.ConnectError as error:
            if _is_cert_failure(error):
                raise BackendConfigurationError(
                    f"{where}: TLS certificate verification failed: {error}", cause=error
                ) from error
            raise BackendUnavailable(f"{where}: cannot connect: {error}", cause=error) from error
        except httpx.TransportError as error:
            if _is_cert_failure(error):
                raise BackendConfigurationError(
                    f"{where}: TLS certificate verification failed: {error}", cause=error
                ) from error
            raise BackendUnavailable(f"{where}: transport error: {error!r}", cause=error) from error
        return self._read(where, response)

    def _read(self, where: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status == 429:
            error = BackendUnavailable(
                f"{where}: 429 rate limited: {_short_body(response)}",
                retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
            )
            # A rate limit proves Judge0 is alive; it must not open the breaker.
            error.counts_as_failure = False  # type: ignore[attr-defined]
            raise error
        if status >= 500:
            raise BackendUnavailable(
                f"{where}: {status}: {_short_body(response)}",
                retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status in (401, 403):
            raise BackendConfigurationError(
                f"{where}: {status}: Judge0 refused the credentials ({_short_body(response)}); "
                "check JUDGE0_AUTH_TOKEN or JUDGE0_RAPIDAPI_KEY/HOST"
            )
        if status == 404:
            raise Judge0NotFound(f"{where}: 404 not found")
        if status in (400, 422):
            doc = _json_or_none(response)
            if isinstance(doc, dict) and status == 422:
                fields = {k: v for k, v in doc.items() if k != "error"}
                detail = doc.get("error") or "; ".join(f"{k}: {v}" for k, v in fields.items())
                raise BackendRejected(f"{where}: 422: {detail}", fields=fields)
            if isinstance(doc, list) and status == 422:  # a batch whose every entry is invalid
                fields = {str(i): e for i, e in enumerate(doc) if isinstance(e, dict)}
                raise BackendRejected(f"{where}: 422: {fields}", fields=fields)
            message = doc.get("error") if isinstance(doc, dict) else None
            raise BackendRejected(f"{where}: {status}: {message or _short_body(response)}")
        if not 200 <= status < 300:
            raise BackendProtocolError(f"{where}: unexpected {status}: {_short_body(response)}")
        try:
            return json.loads(response.content)
        except ValueError as error:
            raise BackendProtocolError(
                f"{where}: invalid JSON ({error}): {_short_body(response)}", cause=error
            ) from error


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None
