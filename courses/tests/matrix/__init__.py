"""The authorization matrix: for every API operation, the exact status each role gets.

Each module of this package holds the rows of one area of the API in ``ROWS``; ``all_rows()``
gathers every module, so adding an area means adding a module. ``test_api_authorization``
runs every row for every role and checks that every route and method of the URL conf has a row.

A row's ``statuses`` is one line of eight numbers, one per role in ``ROLES`` order::

    anonymous student other_student non_member assistant other_instructor instructor superuser

Objects come from ``RoleWorld`` (``courses.tests.api_support``): ``kwargs`` and ``body`` are
functions of the world. Each request runs in a transaction that is rolled back afterwards, so
a row that creates or deletes something sees the same world for every role.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from courses.tests.api_support import ROLES, RoleWorld


def _no_kwargs(world: RoleWorld) -> dict:
    return {}


@dataclass(frozen=True)
class Row:
    #: The URL name without the ``api:`` namespace, e.g. ``"course-detail"``.
    route: str
    method: str
    #: Eight HTTP statuses in ``ROLES`` order, separated by spaces.
    statuses: str
    kwargs: Callable[[RoleWorld], dict] = _no_kwargs
    #: A JSON body, or ``None`` for none.
    body: Callable[[RoleWorld], Any] | None = None
    #: A raw body instead: ``world -> (bytes, content_type)`` (archives, CSV files).
    upload: Callable[[RoleWorld], tuple[bytes, str]] | None = None
    #: Query string parameters.
    query: dict = field(default_factory=dict)
    #: Tells apart two rows of the same route and method (a second case worth pinning).
    note: str = ""

    def expected(self) -> dict[str, int]:
        codes = [int(code) for code in self.statuses.split()]
        if len(codes) != len(ROLES):
            raise ValueError(f"{self.route} {self.method}: {len(codes)} statuses, not 8")
        return dict(zip(ROLES, codes, strict=True))


def all_rows() -> list[Row]:
    rows: list[Row] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        rows.extend(module.ROWS)
    return rows
