"""Plain statements for the rows every message writes, where the ORM's own work is the larger cost.

Building a query costs the ORM twenty times what running it costs the database (about 0.5 ms
against 0.03 ms for one insert on a small server), and delivery writes a few rows for every
message on both nodes. These helpers write exactly what ``save(force_insert=True)`` would: the
same columns, converted by the model's own fields. They send no ``pre_save``/``post_save``
signals; the messaging models have no receivers (``test_rows.py`` checks it).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection, models


@cache
def _insert_plan(model: type[models.Model]) -> tuple[list[models.Field[Any, Any]], str, bool]:
    """The fields to write, the statement, and whether the database numbers the row (auto primary key)."""
    meta = model._meta
    numbered = isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    fields = [field for field in meta.concrete_fields if not (numbered and field.primary_key)]
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    statement = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if numbered:
        statement += f" RETURNING {connection.ops.quote_name(str(meta.pk.column))}"
    return fields, statement, numbered


def insert(instance: models.Model) -> None:
    """Insert ``instance`` as a new row (what ``save(force_insert=True)`` does, in one plain statement)."""
    fields, statement, numbered = _insert_plan(type(instance))
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        if numbered:
            instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias
