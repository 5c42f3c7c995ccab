"""The SQL engine: the staged events live in a table of the Django database (SQLite or
PostgreSQL), and the metric queries run there. The embedded default: no Java, no extra process."""

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction

from analytics import raw
from analytics.models import StagedEvent

EPOCH = date(1970, 1, 1)
INSERT_CHUNK = 5000
COLUMNS = ("event_id", "type", "dn", "hour", "ts_ms", "actor_id", "conversation_id", "user_id", "kind", "client")


def derived_columns(table):
    """The raw Arrow table with the columns the queries group by, first copy of each id only."""
    seen, keep = set(), []
    for index, event_id in enumerate(table.column("event_id").to_pylist()):
        if event_id not in seen:
            seen.add(event_id)
            keep.append(index)
    table = table.take(pa.array(keep, type=pa.int64()))
    micros = pc.cast(pc.cast(table.column("occurred_at"), "timestamp[us]"), "int64")
    ts_ms = pc.floor(pc.divide(pc.cast(micros, "double"), 1000.0))
    day_ms = 86_400_000
    return {
        "event_id": table.column("event_id").to_pylist(),
        "type": table.column("type").to_pylist(),
        "dn": pc.cast(pc.floor(pc.divide(ts_ms, float(day_ms))), "int64").to_pylist(),
        "hour": pc.hour(table.column("occurred_at")).to_pylist(),
        "ts_ms": pc.cast(ts_ms, "int64").to_pylist(),
        "actor_id": table.column("actor_id").to_pylist(),
        "conversation_id": table.column("conversation_id").to_pylist(),
        "user_id": table.column("user_id").to_pylist(),
        "kind": table.column("kind").to_pylist(),
        "client": table.column("client").to_pylist(),
    }


class SqlEngine:
    name = "sql"
    events = StagedEvent._meta.db_table
    text = "TEXT"  # SQLite and PostgreSQL (and MySQL's CHAR would be a one-line change)

    def stage(self, first, last, data=None):
        """Replace the staged events of first..last with the raw files of those days. Day by day:
        an event id only ever appears in its own day's folder, and memory stays one day's worth."""
        table = connection.ops.quote_name(self.events)
        staged = 0
        with transaction.atomic():
            StagedEvent.objects.filter(dn__gte=(first - EPOCH).days, dn__lte=(last - EPOCH).days).delete()
            with connection.cursor() as cursor:
                for day in raw.days_between(first, last):
                    columns = derived_columns(raw.read_days(day, day, data))
                    rows = list(zip(*(columns[name] for name in COLUMNS), strict=True))
                    self._insert(cursor, table, rows)
                    staged += len(rows)
        return staged

    @staticmethod
    def _insert(cursor, table, rows):
        names = ", ".join(COLUMNS)
        if connection.vendor == "postgresql":
            # COPY: an order of magnitude faster than INSERTs for millions of rows.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608 # nosec B608 - the model's own table and column names
        for start in range(0, len(rows), INSERT_CHUNK):
            cursor.executemany(insert, rows[start : start + INSERT_CHUNK])

    def days(self, lo, hi):
        """A table of one column `dn` holding lo..hi."""
        return (
            f"(WITH RECURSIVE d(dn) AS (SELECT {int(lo)} UNION ALL SELECT dn + 1 FROM d WHERE dn < {int(hi)}) "  # noqa: S608 # nosec B608 - two integers
            "SELECT dn FROM d)"
        )

    def rows(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]

    def finish(self, first, last, data=None):
        """The staged table is this engine's curated copy; nothing more to write."""
