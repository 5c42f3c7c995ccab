"""Rows of a model as plain JSON-ready dicts and back: what the workspace export writes for the
relational tables. Each app declares which of its tables travel (accounts.transfer,
chats.transfer) and the workspace commands only move the dicts.

Loading is keyed, so a batch loaded twice changes nothing: a resumed import may repeat the batch
it was in when it stopped.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.core.management.color import no_style
from django.db import connection, transaction


def canonical(row: dict) -> str:
    """One line of a table file; also what its checksum is taken over."""
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=plain)


def plain(value):
    """json.dumps' default= for the ids and times of rows and messages."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


@dataclass(frozen=True)
class Portable:
    name: str
    model: type
    fields: tuple[str, ...]  # attnames (author_id, not author)
    key: tuple[str, ...]  # unique together; also the order of the dump

    def count(self) -> int:
        return self.model._default_manager.count()

    def dump(self):
        """Every row as a dict, in key order, streamed."""
        rows = self.model._default_manager.order_by(*self.key).values(*self.fields)
        for row in rows.iterator(chunk_size=1000):
            yield json.loads(canonical(row))

    def load(self, rows: list[dict]) -> None:
        fields = {f.attname: f for f in self.model._meta.concrete_fields}
        values = [{k: fields[k].to_python(v) for k, v in row.items()} for row in rows]
        with transaction.atomic():
            self.model._default_manager.bulk_create([self.model(**v) for v in values], ignore_conflicts=True)
            self._restore_stamped(values, fields)

    def _restore_stamped(self, values, fields):
        # bulk_create stamps auto_now_add fields with the time of the import: put the exported ones back.
        stamped = [name for name in self.fields if getattr(fields[name], "auto_now_add", False)]
        if not stamped or not values:
            return
        # By the key's first column, then the rest in Python: a thousand ORed pairs is too deep for SQLite.
        first = {f"{self.key[0]}__in": {v[self.key[0]] for v in values}}
        rows = self.model._default_manager.filter(**first).values_list("pk", *self.key)
        pks = {tuple(r[1:]): r[0] for r in rows.iterator()}
        objects = [self.model(pk=pks[tuple(v[k] for k in self.key)], **{k: v[k] for k in stamped}) for v in values]
        self.model._default_manager.bulk_update(objects, stamped)

    def reset_sequence(self) -> None:
        """After rows came with their own ids, new rows must not be handed one of them (PostgreSQL)."""
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                cursor.execute(statement)
