"""Raw events as Parquet, one folder per day: <ANALYTICS_DATA_DIR>/raw/events/date=YYYY-MM-DD/.

Every writer (the outbox exporter, the generator, the Kafka landing job) writes this one flat
schema, so both engines read the same columns. A file is never rewritten: late events land in a
new file of their day, and an event written twice (an exporter killed before its checkpoint) is
dropped by its id when the engines read the day.
"""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("actor_id", pa.int64()),
        ("conversation_id", pa.string()),
        ("user_id", pa.int64()),
        # The conversation's kind (direct, group, channel) and the sending client (web, api), when known.
        ("kind", pa.string()),
        ("client", pa.string()),
        ("payload", pa.string()),
    ]
)


# `data` everywhere below: the data folder (ANALYTICS_DATA_DIR unless given).


def raw_dir(data=None):
    return Path(data or settings.ANALYTICS_DATA_DIR) / "raw" / "events"


def processed_dir(data=None):
    return Path(data or settings.ANALYTICS_DATA_DIR) / "processed"


def day_dir(day, data=None):
    return raw_dir(data) / f"date={day.isoformat()}"


def days_between(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def files_for(first, last, data=None):
    """The Parquet files of the days first..last that exist, day by day."""
    found = []
    for day in days_between(first, last):
        folder = day_dir(day, data)
        if folder.is_dir():
            found.extend(sorted(str(path) for path in folder.glob("*.parquet")))
    return found


def _int_or_none(value):
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None


def flatten(envelope, kind=None):
    """One row of SCHEMA from an event envelope (streaming.events); `kind` fills in the
    conversation kind for events whose payload does not carry it (messages)."""
    payload = envelope.get("payload") or {}
    occurred = envelope["occurred_at"]
    if isinstance(occurred, str):
        occurred = datetime.fromisoformat(occurred)
    conversation = payload.get("conversation_id")
    return {
        "event_id": str(envelope["id"]),
        "type": envelope["type"],
        "occurred_at": occurred.astimezone(UTC),
        "actor_id": _int_or_none(envelope.get("actor")),
        "conversation_id": str(conversation) if conversation else None,
        "user_id": _int_or_none(payload.get("user_id")),
        "kind": payload.get("kind") or kind,
        "client": payload.get("client"),
        "payload": json.dumps(payload, sort_keys=True, default=str),
    }


def write_rows(rows, data=None):
    """Append rows (dicts of SCHEMA) to their days' folders, one new file per day; returns the days."""
    by_day = {}
    for row in rows:
        by_day.setdefault(row["occurred_at"].astimezone(UTC).date(), []).append(row)
    for day, day_rows in by_day.items():
        folder = day_dir(day, data)
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(day_rows, schema=SCHEMA)
        # Written under a temporary name and renamed: a reader never sees half a file.
        name = f"part-{uuid.uuid4().hex}.parquet"
        tmp = folder / f".{name}.tmp"
        pq.write_table(table, tmp, compression="snappy")
        tmp.rename(folder / name)
    return sorted(by_day)


def read_days(first: date, last: date, data=None):
    """All raw rows of first..last as one Arrow table (duplicates included)."""
    files = files_for(first, last, data)
    if not files:
        return SCHEMA.empty_table()
    return pa.concat_tables(pq.read_table(path, schema=SCHEMA) for path in files)
