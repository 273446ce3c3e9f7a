"""Rows written and read on the public intake's hot path with SQL made once per database.

A submission is a handful of small statements, and building each with the query compiler cost
more than running it. Here they are written once per (model, database vendor) from the models'
own table and column names, and each value goes through the field's own conversion, so the rows
are the ones ``Model.save()`` writes. Only names from the models go into the text; every value
is a parameter. Nothing here sends signals: the models used with it have no receivers.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def _quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def table(model: type[models.Model]) -> str:
    return _quote(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    return _quote(str(model._meta.get_field(name).column))  # type: ignore[union-attr]


def _pk(model: type[models.Model]) -> Any:
    pk = model._meta.pk
    if pk is None:  # never for a concrete model
        raise TypeError(f"{model.__name__} has no primary key")
    return pk


@functools.cache
def _insert(model: type[models.Model], vendor: str) -> tuple[str, list[Any], bool]:
    """(INSERT text, the fields it writes, whether the primary key comes back from the database)."""
    pk = _pk(model)
    generated = isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    fields = [f for f in model._meta.concrete_fields if not (generated and f.primary_key)]
    columns = ", ".join(_quote(f.column) for f in fields)
    text = f"INSERT INTO {table(model)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    if generated and connection.features.can_return_columns_from_insert:
        text += f" RETURNING {_quote(pk.column)}"
    return text, fields, generated


def insert(instance: M) -> M:
    """``instance.save(force_insert=True)`` without the query compiler: the same row, defaults and
    ``auto_now_add`` values (set on the instance too), a generated key read back."""
    model = type(instance)
    text, fields, generated = _insert(model, connection.vendor)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(text, values)
        if generated:
            if connection.features.can_return_columns_from_insert:
                instance.pk = cursor.fetchone()[0]
            else:
                instance.pk = connection.ops.last_insert_id(cursor, model._meta.db_table, _pk(model).column)
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def param(model: type[models.Model], name: str, value: Any) -> Any:
    """``value`` as the database stores field ``name`` of ``model`` (a UUID as text on SQLite)."""
    return model._meta.get_field(name).get_db_prep_value(value, connection, prepared=False)  # type: ignore[union-attr]


def value(model: type[models.Model], name: str, stored: Any) -> Any:
    """A value read back, as the ORM would give it (a UUID, bytes rather than a memoryview)."""
    field = model._meta.get_field(name)
    if isinstance(field, models.BinaryField):
        return None if stored is None else bytes(stored)
    return field.to_python(stored)  # type: ignore[union-attr]


def loaded(model: type[M], **values: Any) -> M:
    """An instance as the ORM makes one from a row holding only ``values``: any other field is
    deferred, read from the database if it is ever used."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]  # from_db's order
    if len(names) != len(values):
        raise TypeError(f"{model.__name__} has no field among {sorted(set(values) - set(names))}")
    return model.from_db(connection.alias, names, [values[name] for name in names])
