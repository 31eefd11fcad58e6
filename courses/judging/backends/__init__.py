"""Choosing the judging backend.

``COURSES_JUDGE_BACKEND`` names a backend: ``local`` (the embedded sandbox, the default) or
``judge0``, or gives the dotted path of any class implementing ``JudgeBackend`` — which is how
tests inject a scripted backend. Backend modules are imported only when chosen, so a host without
``httpx`` or without a sandbox can still use the other one.

A backend class is built with its ``from_settings()`` classmethod when it has one, else with no
arguments. Only ``django.conf`` is read here; the judging package never touches the ORM.
"""

from __future__ import annotations

import threading
from importlib import import_module

from courses.judging.backends.base import JudgeBackend, limit_problems
from courses.judging.errors import BackendConfigurationError
from courses.judging.types import Limits

__all__ = [
    "BACKENDS",
    "JudgeBackend",
    "backend_class",
    "configured_language_problem",
    "configured_limit_problems",
    "get_backend",
    "shared_backend",
]

#: Short names and the classes they stand for.
BACKENDS: dict[str, str] = {
    "local": "courses.judging.backends.local.LocalSandboxBackend",
    "judge0": "courses.judging.backends.judge0.Judge0Backend",
}


def backend_class(name: str) -> type:
    """The class a backend name or dotted path names; ``BackendConfigurationError`` if none."""
    path = BACKENDS.get(name, name)
    module_name, _, class_name = path.rpartition(".")
    if not module_name or not class_name:
        known = ", ".join(sorted(BACKENDS))
        raise BackendConfigurationError(
            f"unknown judge backend {name!r}: use one of {known} or a dotted class path"
        )
    try:
        module = import_module(module_name)
    except ImportError as error:
        raise BackendConfigurationError(
            f"judge backend {name!r}: cannot import {module_name}: {error}", cause=error
        ) from error
    try:
        return getattr(module, class_name)
    except AttributeError as error:
        raise BackendConfigurationError(
            f"judge backend {name!r}: {module_name} has no {class_name}", cause=error
        ) from error


def get_backend(name: str | None = None) -> JudgeBackend:
    """A new instance of the named backend, or of ``settings.COURSES_JUDGE_BACKEND``."""
    if name is None:
        from django.conf import settings

        name = getattr(settings, "COURSES_JUDGE_BACKEND", "local")
    cls = backend_class(name)
    from_settings = getattr(cls, "from_settings", None)
    backend = from_settings() if callable(from_settings) else cls()
    if not isinstance(backend, JudgeBackend):
        raise BackendConfigurationError(f"judge backend {name!r} does not implement JudgeBackend")
    return backend


_shared: dict[tuple, JudgeBackend] = {}
_shared_lock = threading.Lock()


def shared_backend() -> JudgeBackend:
    """The configured backend, built once per process and configuration.

    The local backend probes the host and sweeps what killed runs left behind when it starts;
    that belongs to process start-up, not to every judged submission. Backends are thread-safe.
    """
    from django.conf import settings

    key = (
        getattr(settings, "COURSES_JUDGE_BACKEND", "local"),
        # Every JUDGE0_* setting shapes the Judge0 backend: a change builds a new one.
        tuple(sorted((n, repr(getattr(settings, n))) for n in dir(settings) if n[:7] == "JUDGE0_")),
    )
    with _shared_lock:
        if key not in _shared:
            _shared[key] = get_backend(key[0])
        return _shared[key]


def configured_limit_problems(limits: Limits) -> list[tuple[str, str]]:
    """What the configured backend cannot honour of ``limits`` (``base.limit_problems``).

    A backend class without maxima of its own (the local sandbox) is not even built, so saving a
    problem never starts a sandbox; Judge0's answer comes from its cached ``/config_info``.
    """
    from django.conf import settings

    cls = backend_class(getattr(settings, "COURSES_JUDGE_BACKEND", "local"))
    if not callable(getattr(cls, "limit_problems", None)):
        return []
    return limit_problems(shared_backend(), limits)


def configured_language_problem(language_key: str) -> str | None:
    """Why the configured backend cannot run ``language_key`` (a custom checker's language), or
    ``None``: a backend's own ``language_problem`` (Judge0: its ``/languages``), else this
    host's toolchain (the local sandbox). An unreachable judge is no reason: never block on it.
    """
    from django.conf import settings

    from courses.judging.languages import missing_toolchain

    cls = backend_class(getattr(settings, "COURSES_JUDGE_BACKEND", "local"))
    check = getattr(cls, "language_problem", None)
    if callable(check):
        return shared_backend().language_problem(language_key)
    if cls.__name__ == "LocalSandboxBackend":
        return missing_toolchain(language_key)
    return None
