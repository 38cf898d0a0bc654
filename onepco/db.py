"""Writing several related rows in one SQL statement, for the hottest write path.

A new lead is three rows (the lead, its touch, the outbox message that e-mails the founder).
Through the ORM that is six round trips to PostgreSQL (BEGIN, a lookup, three INSERTs,
COMMIT); as one data-modifying CTE it is one, and PostgreSQL runs a single statement atomically
without a transaction block. bench/ measured the difference under load (bench/RESULTS.md).
"""

from functools import cache
from typing import cast

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model


def _insert_parts(obj: Model, *, skip: tuple[str, ...] = ()) -> tuple[list[str], list]:
    """(quoted columns, values) that `obj.save()` would INSERT for a new row.

    The primary key and the fields named in `skip` (attnames) are left out. Defaults,
    `auto_now`/`auto_now_add` and each field's conversion to its database value are applied as
    `save()` applies them.
    """
    fields, columns = _insert_fields(type(obj), skip)
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy, for every value
    return columns, [f.get_db_prep_save(f.pre_save(obj, add=True), connection=db) for f in fields]


@cache
def _insert_fields(model: type[Model], skip: tuple[str, ...]) -> tuple[list, list[str]]:
    fields = [f for f in model._meta.local_concrete_fields if not f.primary_key and f.attname not in skip]
    return fields, [connection.ops.quote_name(f.column) for f in fields]


def insert_unless_conflict(parent: Model, *children: tuple[Model, dict[str, str]]) -> bool:
    """INSERT `parent` and rows that point at it, in one statement; set their primary keys.

    Each child comes with {attname: SQL expression of the parent's `id`}, for the columns that
    refer to the parent (`{"lead_id": "id"}`, `{"args": "jsonb_build_array(id)"}`). When the
    parent collides with a unique index (`ON CONFLICT DO NOTHING`) nothing at all is written
    and the answer is False; otherwise every object gets its new primary key.
    """
    quote = connection.ops.quote_name
    columns, params = _insert_parts(parent)
    ctes = [
        f"row0 AS (INSERT INTO {quote(parent._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(params))}) ON CONFLICT DO NOTHING RETURNING {quote(parent._meta.pk.column)} AS id)"
    ]
    for number, (child, from_parent) in enumerate(children, start=1):
        columns, values = _insert_parts(child, skip=tuple(from_parent))
        linked = [quote(cast(Field, child._meta.get_field(name)).column) for name in from_parent]
        selected = [*from_parent.values(), *(["%s"] * len(values))]
        ctes.append(
            f"row{number} AS (INSERT INTO {quote(child._meta.db_table)} ({', '.join([*linked, *columns])}) "
            f"SELECT {', '.join(selected)} FROM row0 RETURNING {quote(child._meta.pk.column)} AS id)"
        )
        params += values
    ids = ", ".join(f"row{number}.id" for number in range(len(children) + 1))
    tables = ", ".join(f"row{number}" for number in range(len(children) + 1))
    with connection.cursor() as cursor:
        # Table and column names come from the models, never from input; values are parameters.
        cursor.execute(f"WITH {', '.join(ctes)} SELECT {ids} FROM {tables}", params)
        row = cursor.fetchone()
    if row is None:
        return False
    for obj, pk in zip([parent, *(child for child, _ in children)], row, strict=True):
        obj.pk = pk
    return True
