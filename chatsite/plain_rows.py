"""Rows of a plain SQL statement turned into the model instances the ORM would make.

On the hottest read, a token check on every request and socket connect, building the query
through the ORM cost several times its round trip. There the statement is written once, and its
rows go through what Django's own raw querysets use: the
database's and the fields' converters (datetimes, booleans, JSON, UUIDs on SQLite), then
`Model.from_db`. One statement can select several models side by side, as a join does.
"""

from django.db import connection
from django.db.models.sql import Query


class Shape:
    """The columns of several models side by side, under the given table aliases."""

    def __init__(self, *parts):
        """`parts`: (model, alias) pairs, in the order their columns are selected."""
        qn = connection.ops.quote_name
        self.models = [model for model, _ in parts]
        fields = [(alias, f) for model, alias in parts for f in model._meta.concrete_fields]
        self.columns = ", ".join(f"{alias}.{qn(f.column)}" for alias, f in fields)
        self.widths = [len(model._meta.concrete_fields) for model in self.models]
        self.names = [[f.attname for f in model._meta.concrete_fields] for model in self.models]
        # The compiler holds the connection proxy, so it converts for the connection of the thread
        # that reads.
        self.compiler = connection.ops.compiler("SQLCompiler")(Query(self.models[0]), connection, connection.alias)
        self.converters = self.compiler.get_converters([f.get_col(f.model._meta.db_table) for _, f in fields])

    def read(self, sql, params):
        """Run `sql` (which selects `self.columns` first) -> one tuple of instances per row, with
        None for a model whose primary key came back empty (an outer join found no row)."""
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [self._instances(list(row)) for row in rows]

    def _instances(self, row):
        out, start = [], 0
        for model, width, names in zip(self.models, self.widths, self.names, strict=True):
            values = row[start : start + width]
            start += width
            pk = values[names.index(model._meta.pk.attname)]
            out.append(None if pk is None else model.from_db(connection.alias, names, values))
        return tuple(out)
