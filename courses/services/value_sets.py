"""A list of values as *one* bind parameter, so that set-based writes cost the same few queries
whatever the list's length.

``filter(pk__in=[...])`` sends one parameter per value: SQLite refuses more than 32,766 of them,
and Django splits ``bulk_create`` into statements of 999 parameters on SQLite (199 enrollments
each). Here the list travels as one JSON text (SQLite's ``json_each``) or one array
(PostgreSQL's ``unnest``), and the database unpacks it. Other databases get a plain list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from django.db import connection
from django.db.models.expressions import RawSQL

Kind = Literal["bigint", "text"]


def value_set(values: Sequence[int | str], *, kind: Kind) -> RawSQL | list:
    """A subquery yielding ``values``, for ``__in`` filters: ``filter(pk__in=value_set(ids))``."""
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(values)),))
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{kind}[])", (list(values),))
    return list(values)


def insert_ignoring_conflicts(
    model, *, values: dict, key_column: str, keys: Sequence[int], conflict: Sequence[str]
) -> list[int] | None:
    """``INSERT`` one row per key, skipping rows that break the ``conflict`` unique columns.

    Each row has ``key_column`` = one of ``keys`` and the same ``values`` (``{field name:
    Python value}``) otherwise; one statement whatever the number of keys. Returns the keys
    actually inserted, or ``None`` on a database where this helper does not apply (the caller
    falls back to ``bulk_create``).
    """
    if connection.vendor not in ("sqlite", "postgresql") or not (
        connection.features.can_return_rows_from_bulk_insert
    ):
        return None
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in values]
    columns = ", ".join(quote(c) for c in [key_column, *(f.column for f in fields)])
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    if connection.vendor == "sqlite":
        placeholders = ", ".join(["%s"] * len(fields))
    else:  # typed: an untyped parameter in a SELECT list fails with server-side binding
        placeholders = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
    if connection.vendor == "sqlite":
        source = "SELECT value, {p} FROM json_each(%s) WHERE true"  # WHERE: see ON CONFLICT docs
        params.append(json.dumps(list(keys)))
    else:
        source = "SELECT k, {p} FROM unnest(%s::bigint[]) AS k"
        params.append(list(keys))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"{source.format(p=placeholders)} "
        f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING "
        f"RETURNING {quote(key_column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
