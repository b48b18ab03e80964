"""Fast bulk inserts inside the caller's transaction (imports of 100,000 rows).

PostgreSQL: ``COPY ... FROM STDIN`` on the transaction's own connection. SQLite: the DB-API
``executemany`` with values converted by the columns' own SQLAlchemy bind processors, so what
is stored is exactly what an ordinary ``insert()`` would store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (dicts keyed by column name; all rows have the same keys)."""
    if not rows:
        return 0
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # nosec B101 # type narrowing / internal invariant
    if conn.dialect.name == "postgresql":
        is_json = [isinstance(c.type, JSON) for c in columns]
        cols = ", ".join(f'"{n}"' for n in names)
        pg_cursor: Any = dbapi.cursor()
        try:
            with pg_cursor.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([json.dumps(row[n]) if j and row[n] is not None else row[n]
                                    for n, j in zip(names, is_json, strict=True)])
        finally:
            pg_cursor.close()
        return len(rows)
    processors = [c.type.bind_processor(conn.dialect) for c in columns]
    marks = ", ".join("?" for _ in names)
    # Table and column names come from the SQLAlchemy Table; every value is a bound parameter.
    sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({marks})'  # nosec B608
    if any(processors):
        values = [tuple(p(row[n]) if p is not None else row[n]
                        for n, p in zip(names, processors, strict=True)) for row in rows]
    else:
        values = [tuple(row[n] for n in names) for row in rows]
    cur = dbapi.cursor()
    try:
        cur.executemany(sql, values)
    finally:
        cur.close()
    return len(rows)
