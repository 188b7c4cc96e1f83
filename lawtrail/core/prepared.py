"""Small look-ups that every case page makes, compiled by the ORM once instead of on every call.

The ORM spends some 0.27 ms of CPU compiling even a one-line query (`filter`, `exclude`, the
SQL text), about three times what sending it and reading its one row cost; a case page asks
a dozen of them, and under load that is the machine's time. `Prepared` takes a function that
builds the query as usual (a `values_list` queryset, so that rows come back as tuples) and
compiles it once per database connection with stand-in arguments; later calls run the kept SQL
with the real ones. Only a stand-in that reaches the SQL unchanged as one parameter may be
replaced: a lookup that rewrites its value (`startswith` adds a `%`) or drops it is refused
when the query is first compiled, so a query is either prepared exactly or not at all. Rows
come back through the fields' converters, as the ORM gives them (times, JSON)."""

import datetime
import itertools

from django.db import DEFAULT_DB_ALIAS, connections

_serial = itertools.count(1)


def _stand_in(kind):
    """A value of this type that no real call passes and that the SQL can be searched for: a
    text with capitals and LIKE's special characters, so that a lookup escaping or folding
    it (`contains`, `iexact` on SQLite) no longer finds it unchanged."""
    n = next(_serial)
    if kind is int:  # (an id: a bigint column; an int4 one would refuse it)
        return 734_000_000_000 + n
    if kind is str:
        return f"\x1fLawTrail%_\\stand-in-{n}\x1f"
    if kind is datetime.datetime:
        return datetime.datetime(1901, 2, 3, tzinfo=datetime.UTC) + datetime.timedelta(microseconds=n)
    raise TypeError(f"no stand-in for {kind.__name__}")


def _sent(value, adapt, wrap):
    value = adapt(value) if adapt else value
    return wrap(value) if wrap else value


class Prepared:
    def __init__(self, build, *kinds):
        """`build(*args)` returns a values_list queryset built from its arguments alone (what
        else it reads is kept as it was the first time: a time must be an argument); `kinds`
        are the arguments' types (int, str or datetime.datetime)."""
        self._build, self._kinds = build, kinds

    def _compile(self, connection):
        """(SQL, slots, compiler, converters, columns asked for), compiled twice with different stand-ins: the
        same text and the same fixed values both times, or the query reads something besides
        its arguments."""
        (sql, slots, compiler), (again, slots_again, _) = (self._compile_once(connection) for _ in range(2))
        if (sql, slots) != (again, slots_again):
            raise ValueError(f"{self._build!r} reads something besides its arguments (a time?): "
                             "it cannot be prepared")
        # The fields' converters, as the ORM applies them to its rows (compiler.results_iter).
        converters = compiler.get_converters([column[0] for column in compiler.select[:compiler.col_count]])
        return sql, slots, compiler, converters, compiler.col_count

    def _compile_once(self, connection):
        stand_ins = [_stand_in(kind) for kind in self._kinds]
        # As the database is sent each argument: a time as the backend adapts it (SQLite's text).
        adapt = [connection.ops.adapt_datetimefield_value if kind is datetime.datetime else None
                 for kind in self._kinds]
        sent = [a(s) if a else s for a, s in zip(adapt, stand_ins)]
        compiler = self._build(*stand_ins).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots, used = [], []
        for param in params:
            # (PostgreSQL's backend sends a big integer as psycopg's Int8, an int of its own type.)
            index = next((i for i, s in enumerate(sent) if isinstance(param, type(s)) and param == s), None)
            if index is None:
                # (escaped or folded, a text stand-in still holds its number and end mark)
                if any(isinstance(s, str) and isinstance(param, str) and s.rsplit("\\", 1)[-1].lower() in param.lower()
                       for s in sent):
                    raise ValueError(f"a lookup rewrote an argument of {self._build!r}: it cannot be prepared")
                slots.append(("fixed", param))
            else:
                wrap = type(param) if type(param) is not type(sent[index]) else None
                slots.append((index, adapt[index], wrap))
                used.append(index)
        if sorted(used) != list(range(len(stand_ins))):
            raise ValueError(f"each argument of {self._build!r} must reach its SQL once and unchanged")
        return sql, slots, compiler

    def rows(self, *args, using=DEFAULT_DB_ALIAS):
        """The query's rows for these arguments, as tuples."""
        connection = connections[using]
        # Kept with each connection (one per thread): the converters are its own.
        kept = connection.__dict__.setdefault("_lawtrail_prepared", {})
        compiled = kept.get(self)
        if compiled is None:
            compiled = kept[self] = self._compile(connection)
        sql, slots, compiler, converters, width = compiled
        for arg, kind in zip(args, self._kinds, strict=True):  # as the ORM would refuse or take them
            if type(arg) is not kind and not (kind is int and isinstance(arg, int) and not isinstance(arg, bool)):
                raise TypeError(f"{self._build!r} takes {kind.__name__}, not {type(arg).__name__}")
            if kind is datetime.datetime and arg.utcoffset() is None:
                raise ValueError(f"{self._build!r} takes an aware time, not {arg!r}")
        params = [slot[1] if slot[0] == "fixed" else _sent(args[slot[0]], *slot[1:]) for slot in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rows and len(rows[0]) > width:  # columns the SQL needs (ordering, distinct), not asked for
            rows = [row[:width] for row in rows]
        return list(map(tuple, compiler.apply_converters(rows, converters))) if converters else rows
