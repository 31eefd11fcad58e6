"""'Run code' on the workers, and the per-user bound on runs in flight.

In the scaled deployment (``COURSES_RUN_CODE_ON_WORKERS``, on with Redis) a web process checks
the input, sends the run to the ``run`` lane and waits for the answer, so web processes never
need root or a sandbox. Two deadlines, each a 503 with ``Retry-After``:

- no worker takes the run within ``COURSES_RUN_QUEUE_WAIT_SECONDS`` (5 s): ``ExecutorBusy``
  (``busy``: every runner is busy); the message expires then, so no worker runs it later;
- a worker took it but no answer came within the run's own budget (the free-run wait plus a
  compile): ``BackendUnavailable`` (``judge_unavailable``: the worker was lost). So is a broker
  that cannot be reached at all.

A failure of the run itself on the worker (its sandbox busy, Judge0 down) comes back as the
same ``JudgeError`` class the inline path raises, so the API and the pages answer alike.

Runs in flight: at most ``COURSES_MAX_RUNS_IN_FLIGHT`` of one user's runs at once, counted in
the shared cache (Redis when scaled), across every web process and host; 429 ``too_many_runs``
beyond. Runs leave no row, so the database cannot count them; the pending cap
(``COURSES_MAX_PENDING_SUBMISSIONS``) bounds graded submissions, in the database, under the
user's row lock. A cache that fails lets runs through (logged): the throttle and the lanes'
workers still bound them.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache

from courses import metrics
from courses.cache import runs_in_flight_key
from courses.judging import errors
from courses.judging.types import COMPILE_LIMITS
from courses.services.errors import InvalidInput, TooManyRuns

logger = logging.getLogger(__name__)

#: The failures a worker sends back by name, raised again here as they were there.
RETURNED_ERRORS: dict[str, type[errors.JudgeError]] = {
    cls.__name__: cls
    for cls in (
        errors.ExecutorBusy,
        errors.BackendUnavailable,
        errors.AnswerLost,
        errors.SubmissionsForgotten,
        errors.SandboxUnavailable,
        errors.BackendConfigurationError,
        errors.BackendProtocolError,
        errors.BackendRejected,
        errors.BackendInconsistent,
        errors.BackendInternalError,
        errors.UnknownLanguage,
        errors.JudgeError,
    )
}
#: How often the web process looks whether a worker took the run (a Redis GET each time).
POLL_S = 0.05


def answer_budget_s() -> float:
    """How long a taken run may take to answer: its own wait budget plus a compile."""
    return settings.COURSES_FREE_RUN_WAIT_SECONDS + COMPILE_LIMITS.wall_time_ms / 1000


def run_on_worker(call: str, **kwargs) -> dict:
    """Send ``CodeExecutorService.<call>(**kwargs)`` to the ``run`` lane; its answer.

    ``kwargs`` are JSON values (a problem travels as ``problem_id``).
    """
    from courses.tasks import run_code

    wait = settings.COURSES_RUN_QUEUE_WAIT_SECONDS
    try:
        result = run_code.apply_async(
            kwargs={"call": call, **kwargs},
            queue=settings.COURSES_QUEUES["run"],
            expires=wait,
        )
    except Exception as exc:
        raise errors.BackendUnavailable("the run queue cannot be reached", cause=exc) from exc
    try:
        return _answer(result, wait)
    finally:
        with contextlib.suppress(Exception):
            result.forget()


def _answer(result, wait: float) -> dict:
    try:
        deadline = time.monotonic() + wait
        while result.state == "PENDING":
            if time.monotonic() >= deadline:
                with contextlib.suppress(Exception):
                    result.revoke()
                raise errors.ExecutorBusy(f"no runner took the run within {wait:g} s")
            time.sleep(POLL_S)
        reply = result.get(timeout=answer_budget_s(), propagate=False)
    except errors.JudgeError:
        raise
    except Exception as exc:  # the result backend (Redis) failed, or the answer never came
        raise errors.BackendUnavailable("the runner did not answer", cause=exc) from exc
    if not isinstance(reply, dict):
        raise errors.BackendUnavailable(f"the runner failed: {reply!r}")
    if "error" in reply:
        error = reply["error"]
        cls = RETURNED_ERRORS.get(error.get("type"), errors.JudgeError)
        exc = cls(error.get("message", "the run failed on the worker"))
        if error.get("retry_after_s") is not None:
            exc.retry_after_s = error["retry_after_s"]
        raise exc
    if "refused" in reply:  # the problem changed between the check here and the run there
        raise InvalidInput(reply["refused"]["message"], fields=reply["refused"]["fields"])
    return reply["result"]


def run_here(call: str, **kwargs) -> dict:
    """The worker's side: run inline and wrap the answer, or the failure, as JSON."""
    from courses.models import Problem
    from courses.services.code_executor import CodeExecutorService
    from courses.services.errors import ServiceError

    service = CodeExecutorService(on_workers=False)
    service.counts_runs = False  # the web process that sent it counts it
    if "problem_id" in kwargs:
        kwargs["problem"] = Problem.objects.get(pk=kwargs.pop("problem_id"))
    try:
        return {"result": getattr(service, call)(**kwargs)}
    except errors.JudgeError as exc:
        return {
            "error": {
                "type": type(exc).__name__,
                "message": exc.message,
                "retry_after_s": getattr(exc, "retry_after_s", None),
            }
        }
    except ServiceError as exc:
        return {"refused": {"message": exc.message, "fields": exc.fields}}


@contextlib.contextmanager
def run_in_flight(user_id: int | None) -> Iterator[None]:
    """Hold one of the user's ``COURSES_MAX_RUNS_IN_FLIGHT`` run places for the block.

    ``TooManyRuns`` when they are all held. The count lives in the shared cache with a lifetime
    longer than any run (a web process killed mid-run frees its place then), renewed at each
    run's start: counted from the first of a user's back-to-back runs, it expired under a later
    one, whose release then found no key and whose place the cap no longer counted.
    """
    limit = settings.COURSES_MAX_RUNS_IN_FLIGHT
    if user_id is None or limit <= 0:
        yield
        return
    key = runs_in_flight_key(user_id)
    try:
        count = _increment(key, in_flight_lifetime_s())
    except Exception as exc:
        logger.error("runs in flight of user %s not counted, the cache failed: %r", user_id, exc)
        yield
        return
    try:
        if count > limit:
            raise TooManyRuns(
                f"You already have {limit} run(s) in progress; wait for one to finish."
            )
        yield
    finally:
        try:
            cache.decr(key)
        except Exception as exc:  # expired meanwhile, or the cache failed: the lifetime heals it
            logger.warning("runs in flight of user %s not released: %r", user_id, exc)


def in_flight_lifetime_s() -> int:
    """How long a user's count of runs in flight lives after the latest run started: longer
    than any run (its wait in the queue, then its answer)."""
    return int(settings.COURSES_RUN_QUEUE_WAIT_SECONDS + answer_budget_s()) + 60


def _increment(key: str, lifetime: int) -> int:
    for _ in range(2):
        cache.add(key, 0, lifetime)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: add it again
            continue
        cache.touch(key, lifetime)  # ``incr`` keeps the expiry of the first run's ``add``
        return count
    raise RuntimeError(f"cache key {key} keeps expiring")


@contextlib.contextmanager
def counted_run(where: str | None) -> Iterator[None]:
    """Count one "Run code" request and its time as the person waits (``courses.metrics``);
    ``where`` None counts nothing (a worker running what a web process sent and counts)."""
    if where is None:
        yield
        return
    started = time.monotonic()
    outcome = "ok"
    try:
        yield
    except errors.ExecutorBusy:
        outcome = "busy"
        raise
    except errors.JudgeError as exc:
        outcome = "unavailable" if exc.outage else "error"
        raise
    except Exception:
        outcome = "refused"
        raise
    finally:
        metrics.CODE_RUNS.labels(where, outcome).inc()
        metrics.RUN_TIME.labels(where).observe(time.monotonic() - started)
