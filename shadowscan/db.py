"""The inventory's database backends: an SQLite file, or PostgreSQL at a ``postgresql://`` URL.

The store and the registry write their SQL once, in SQLite's spelling with ``?`` and
``:name`` placeholders and portable upserts (``ON CONFLICT``, ``RETURNING``); this module
is the seam where the two backends differ: placeholders, DDL types, JSON fields, write
locks, compaction, which crawl is alive, and how a connection is opened and named.

PostgreSQL passwords come from libpq's own sources (``PGPASSWORD``, ``~/.pgpass``, a
service file); a password written into the URL works but is never shown: every message
names the database by :func:`display_name`, with the password as ``***``.
"""
from __future__ import annotations

import functools
import os
import re
import socket
import sqlite3
import sys
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import psycopg

URL_SCHEMES = ("postgresql://", "postgres://")


def pg_errors() -> tuple[type[Exception], ...]:
    """psycopg's errors once it is loaded. psycopg is imported only for a ``postgresql://``
    inventory (it costs ~70 ms at every start), so before that none of its errors can occur."""
    module = sys.modules.get("psycopg")
    return (module.Error,) if module is not None else ()


def errors() -> tuple[type[Exception], ...]:
    """Errors of either backend (a command turns them into one line)."""
    return (sqlite3.Error, *pg_errors())

# Namespace of the advisory locks shadowscan takes (first key of pg_advisory_lock(int, int)).
LOCK_NAMESPACE = 0x5CA5


class Row(Protocol):
    """A result row: by position and by column name (sqlite3.Row and :class:`PgRow`)."""

    def __getitem__(self, key: int | str) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


def is_url(target: str) -> bool:
    return target.startswith(URL_SCHEMES)


_PASSWORD_IN_URL = re.compile(r"(?i)(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@")
_PASSWORD_PARAM = re.compile(r"(?i)(\bpassword=)[^&\s]*")


def display_name(target: str) -> str:
    """The database as a person may see it: a URL's password (``user:PASS@`` or
    ``?password=``) replaced by ``***``."""
    if not is_url(target):
        return target
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***@", target))


def scrub(text: str, target: str) -> str:
    """``text`` (a driver's message) with the password of ``target`` removed wherever it appears."""
    text = display_name(text) if "://" in text else text
    if is_url(target):
        parts = urllib.parse.urlsplit(target)
        secrets = [parts.password or ""]
        secrets += [v for k, v in urllib.parse.parse_qsl(parts.query) if k.lower() == "password"]
        for secret in filter(None, secrets):
            text = text.replace(secret, "***").replace(urllib.parse.unquote(secret), "***")
    return text


@functools.lru_cache(maxsize=512)
def _to_pyformat(sql: str) -> str:
    """SQLite placeholders (``?``, ``:name``) as psycopg's (``%s``, ``%(name)s``); ``%`` doubled.
    Placeholders inside string literals are left alone."""
    parts = re.split(r"('(?:[^']|'')*')", sql.replace("%", "%%"))
    for i in range(0, len(parts), 2):  # outside literals
        parts[i] = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", parts[i].replace("?", "%s"))
    return "".join(parts)


class PgRow:
    """A PostgreSQL row that reads like sqlite3.Row: ``row[0]``, ``row["name"]``, ``dict(row)``."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence[Any]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key if isinstance(key, int) else self._names[key]]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._names, self._values))!r})"


def _pg_rows(cursor: Any) -> Any:
    names = {d.name: i for i, d in enumerate(cursor.description or ())}
    return lambda values: PgRow(names, values)


class Database:
    """One connection to the inventory, SQL in SQLite's spelling for both backends."""

    dialect = ""
    name = ""  # for messages (no password)
    # a join whose left table stays the outer loop (SQLite's planner hint; PostgreSQL plans it itself)
    cross_join = "JOIN"

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def script(self, sql: str) -> None:
        """Several statements at once, in one transaction."""
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @property
    def in_transaction(self) -> bool:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Commit what the block wrote, or roll it back on an exception."""
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        self.commit()

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Only one process migrates the schema at a time (crawlers and workers starting together)."""
        yield

    def tables(self) -> set[str]:
        raise NotImplementedError

    def columns(self, table: str) -> set[str]:
        raise NotImplementedError

    def ddl(self, schema: str) -> str:
        """The schema (written for SQLite) in this backend's types."""
        return schema

    def json_text(self, column: str, key: str) -> str:
        """SQL for a JSON object column's ``key`` as text."""
        raise NotImplementedError

    def json_true(self, column: str, key: str) -> str:
        """SQL that is true where a JSON object column's ``key`` is true."""
        raise NotImplementedError

    def begin_exclusive(self) -> None:
        """Start a transaction that no other writer of the crawl table runs beside."""
        raise NotImplementedError

    def hold_crawl_lease(self, crawl_id: int) -> None:
        """Hold crawl ``crawl_id``'s lease for as long as this connection lives."""

    def release_crawl_lease(self, crawl_id: int) -> None:
        """Give the lease back when the crawl ends (the connection may run another crawl)."""

    def live_crawls(self, rows: Sequence[Row]) -> set[int]:
        """Which of the ``running`` crawl rows (id, pid, host) have a live crawler."""
        raise NotImplementedError

    def compact(self) -> None:
        raise NotImplementedError

    def size(self) -> int:
        """Bytes the inventory takes."""
        raise NotImplementedError

    def resync_ids(self, table: str) -> None:
        """After rows were inserted with explicit ids: new rows get ids past them."""


def pid_alive(pid: int | None, host: str | None) -> bool:
    """Whether the process that ran a crawl still runs (only knowable on this host)."""
    if not pid or host != socket.gethostname():  # another machine's crawl cannot be checked from here
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SQLiteDatabase(Database):
    dialect = "sqlite"
    cross_join = "CROSS JOIN"

    def __init__(self, path: str, readonly: bool = False) -> None:
        self.name = path
        self.path = path
        if readonly:
            uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
            try:
                db = sqlite3.connect(uri, uri=True, timeout=30)
                db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                # a read-only folder without the WAL side files: read the file as it is
                db = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30)
        else:
            db = sqlite3.connect(path, timeout=30)
        db.row_factory = sqlite3.Row
        self.conn = db

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def script(self, sql: str) -> None:
        try:
            self.conn.executescript("BEGIN;" + sql + ";COMMIT;")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.rollback()
            raise

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def tables(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}

    def columns(self, table: str) -> set[str]:
        return {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}

    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def json_true(self, column: str, key: str) -> str:
        return f"COALESCE(json_extract({column}, '$.{key}'), 0) != 0"

    def begin_exclusive(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def live_crawls(self, rows: Sequence[Row]) -> set[int]:
        return {int(r["id"]) for r in rows if pid_alive(r["pid"], r["host"])}

    def compact(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute("VACUUM")

    def size(self) -> int:
        return sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))


_PG_TYPES = ((re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
             (re.compile(r"\bINTEGER\b"), "BIGINT"),
             (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
             (re.compile(r"\)\s*WITHOUT ROWID;"), ");"),
             (re.compile(r"CREATE VIEW IF NOT EXISTS"), "CREATE OR REPLACE VIEW"))


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str, readonly: bool = False) -> None:
        self.name = display_name(url)
        self.url = url
        import psycopg  # only for a PostgreSQL inventory: see pg_errors()

        self.conn: psycopg.Connection[Any] = psycopg.connect(
            url, row_factory=_pg_rows, application_name="shadowscan", connect_timeout=30)
        self.conn.read_only = readonly or None
        self.conn.execute("SET client_min_messages = warning")
        self.conn.commit()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(_to_pyformat(sql) if params else sql, params or None)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(_to_pyformat(sql), rows)

    def script(self, sql: str) -> None:
        try:
            self.conn.execute(sql)
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus  # loaded with the connection already

        return self.conn.info.transaction_status != TransactionStatus.IDLE

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        self.conn.execute("SELECT pg_advisory_lock(%s, -1)", (LOCK_NAMESPACE,))
        self.conn.commit()
        try:
            yield
        finally:
            if self.in_transaction:
                self.conn.rollback()
            self.conn.execute("SELECT pg_advisory_unlock(%s, -1)", (LOCK_NAMESPACE,))
            self.conn.commit()

    def tables(self) -> set[str]:
        rows = self.conn.execute("SELECT table_name FROM information_schema.tables "
                                 "WHERE table_schema = current_schema()").fetchall()
        return {r[0] for r in rows}

    def columns(self, table: str) -> set[str]:
        return {r[0] for r in self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s", (table,)).fetchall()}

    def ddl(self, schema: str) -> str:
        for pattern, replacement in _PG_TYPES:
            schema = pattern.sub(replacement, schema)
        return schema

    def json_text(self, column: str, key: str) -> str:
        return f"(({column})::jsonb ->> '{key}')"

    def json_true(self, column: str, key: str) -> str:
        return f"COALESCE((({column})::jsonb ->> '{key}')::boolean, false)"

    def begin_exclusive(self) -> None:
        if self.in_transaction:
            self.conn.commit()
        self.conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_NAMESPACE,))

    def hold_crawl_lease(self, crawl_id: int) -> None:
        # a session lock: PostgreSQL drops it when the crawler's connection ends (a crash, kill -9)
        self.conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, crawl_id))

    def release_crawl_lease(self, crawl_id: int) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, crawl_id))
        self.conn.commit()

    def live_crawls(self, rows: Sequence[Row]) -> set[int]:
        held = {int(r[0]) for r in self.conn.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2 AND granted",
            (LOCK_NAMESPACE,)).fetchall()}
        return {int(r["id"]) for r in rows if int(r["id"]) in held}

    def compact(self) -> None:
        self.conn.commit()
        self.conn.autocommit = True
        try:
            self.conn.execute("VACUUM ANALYZE")
        finally:
            self.conn.autocommit = False

    def size(self) -> int:
        return int(self.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])  # type: ignore[index]

    def resync_ids(self, table: str) -> None:
        self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"GREATEST((SELECT MAX(id) FROM {table}), 1))")


def connect(target: str, readonly: bool = False) -> Database:
    """The inventory at ``target``: a ``postgresql://`` URL or an SQLite file path."""
    if is_url(target):
        return PostgresDatabase(target, readonly)
    return SQLiteDatabase(target, readonly)
