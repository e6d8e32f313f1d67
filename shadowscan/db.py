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
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, cast

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


# TCP keepalives: a crawler or worker whose host died (power, network) loses its session, and with it
# its crawl lease, after about 60 + 3 * 10 s instead of the kernel's default of about two hours.
KEEPALIVES: dict[str, str | int] = {"keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10, "keepalives_count": 3}


def lock_namespace(schema: str) -> int:
    """The first advisory-lock key of the inventory in ``schema``: advisory locks are server-wide, so
    inventories in two schemas of one database must not share keys (``public`` keeps the historic key)."""
    if schema in ("", "public"):
        return LOCK_NAMESPACE
    return zlib.crc32(f"shadowscan:{schema}".encode()) & 0x7FFFFFFF  # positive: pg_locks shows it as oid


class Row(Protocol):
    """A result row: by position and by column name (sqlite3.Row and :class:`PgRow`)."""

    def __getitem__(self, key: int | str) -> Any: ...

    def keys(self) -> list[str]: ...


class Connection(Protocol):
    """What the backends' connections share (sqlite3.Connection, psycopg.Connection)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


def is_url(target: str) -> bool:
    return target.lower().startswith(URL_SCHEMES)


# a password in a query (``?password=``, ``sslpassword=``: any key ending in "password", any case) or in
# a libpq keyword/value string (``host=h password='s e c'``)
_PASSWORD_PARAM = re.compile(r"(?i)(\w*password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)")
_URL_IN_TEXT = re.compile(r"(?i)(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@")


def _userinfo_end(rest: str) -> int:
    """In a URL without its scheme, where the user info ends: the last ``@`` before the query (-1: none)."""
    query = rest.find("?")
    return rest.rfind("@", 0, query if query >= 0 else len(rest))


def url_secrets(target: str) -> list[str]:
    """The passwords a ``postgresql://`` URL carries (user info, query keys ending in "password")."""
    if not is_url(target):
        return [m.group(2).strip("'") for m in _PASSWORD_PARAM.finditer(target) if m.group(2).strip("'")]
    rest = target.split("://", 1)[1]
    at = _userinfo_end(rest)
    found = [rest[:at].split(":", 1)[1]] if at >= 0 and ":" in rest[:at] else []
    query = rest.split("?", 1)[1] if "?" in rest else ""
    found += [value for key, value in urllib.parse.parse_qsl(query.split("#", 1)[0], keep_blank_values=True)
              if key.lower().endswith("password")]
    found += [m.group(2) for m in _PASSWORD_PARAM.finditer(query)]
    return [secret for secret in found if secret]


def libpq_url(target: str) -> str:
    """The URL as libpq takes it: libpq knows its schemes in lower case only (``POSTGRESQL://`` would
    be read as a keyword/value string)."""
    scheme, sep, rest = target.partition("://")
    return scheme.lower() + sep + rest


def conninfo(url: str) -> str:
    """What libpq connects with: the URL (scheme in lower case) and the TCP keepalives."""
    from psycopg.conninfo import make_conninfo  # loaded by the caller already (a PostgreSQL inventory)

    return make_conninfo(libpq_url(url), **KEEPALIVES)


def has_password(target: str) -> bool:
    """Whether the URL itself carries a password (visible in ``ps``; PGPASSWORD or ~/.pgpass are not)."""
    return bool(url_secrets(target))


def display_name(target: str) -> str:
    """The database as a person may see it: a URL's password (``user:PASS@``, any query key ending in
    ``password``) or a conninfo string's ``password=`` replaced by ``***``."""
    if not is_url(target):
        return _PASSWORD_PARAM.sub(r"\1***", target)
    scheme, rest = target.split("://", 1)
    at = _userinfo_end(rest)
    if at >= 0 and ":" in rest[:at]:
        rest = rest[:at].split(":", 1)[0] + ":***" + rest[at:]
    if "?" in rest:
        path, query = rest.split("?", 1)
        rest = path + "?" + _PASSWORD_PARAM.sub(r"\1***", query)
    return f"{scheme}://{rest}"


def scrub(text: str, target: str) -> str:
    """``text`` (a driver's message, a traceback) with the passwords of ``target`` removed wherever they
    appear, and any password of a URL or conninfo string in it."""
    for secret in sorted(set(url_secrets(target)), key=len, reverse=True):
        for form in {secret, urllib.parse.unquote(secret), urllib.parse.unquote_plus(secret)}:
            if len(form) > 1:
                text = text.replace(form, "***")
    return _PASSWORD_PARAM.sub(r"\1***", _URL_IN_TEXT.sub(r"\1***@", text))


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

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> Iterable[tuple[Any, ...]]:
        """The rows of a query as plain tuples (no row objects: for many rows that are only compared)."""
        raise NotImplementedError

    def script(self, sql: str) -> None:
        """Several statements at once, in one transaction."""
        raise NotImplementedError

    def statements(self, sql: str) -> None:
        """Several statements in the transaction that is open (no commit)."""
        raise NotImplementedError

    conn: Connection  # sqlite3's or psycopg's: both commit, roll back and close alike

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()

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

    @property
    def broken(self) -> bool:
        """Whether the connection is lost for good (the server restarted, the network cut it)."""
        return False

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

    def holds_crawl_lease(self, crawl_id: int) -> bool:
        """Whether this connection still holds crawl ``crawl_id``'s lease (SQLite: its process does)."""
        return True

    def live_crawls(self, rows: Sequence[Row]) -> set[int]:
        """Which of the ``running`` crawl rows (id, pid, host) have a live crawler."""
        raise NotImplementedError

    def read_only(self) -> str | None:
        """Why this connection may not write the inventory (None: it may)."""
        return None

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
    conn: sqlite3.Connection

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

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> Iterable[tuple[Any, ...]]:
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cast("Iterable[tuple[Any, ...]]", cursor.execute(sql, params))

    def script(self, sql: str) -> None:
        try:
            self.conn.executescript("BEGIN;" + sql + ";COMMIT;")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.rollback()
            raise

    def statements(self, sql: str) -> None:
        pending = ""
        for piece in sql.split(";"):  # a ';' inside a literal or a trigger does not end a statement
            pending += piece + ";"
            if sqlite3.complete_statement(pending):
                if pending.strip(" \n;"):
                    self.conn.execute(pending)
                pending = ""
        if pending.strip(" \n;"):
            raise sqlite3.OperationalError(f"incomplete SQL statement: {pending[:80]}")

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

    def read_only(self) -> str | None:
        # SQLite opens a file it may not write read-only without a word, and says so at the first write:
        # a write transaction begun and rolled back tells now. Another process writing (busy) may write it.
        if self.conn.in_transaction:
            return None
        timeout = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:  # a table made and never kept: the first page written is where a read-only file says so
                self.conn.execute("CREATE TABLE shadowscan_write_probe (x)")
            finally:
                self.conn.rollback()
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc) or "read-only" in str(exc):
                return str(exc)
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        return None

    def compact(self) -> None:
        # VACUUM writes the whole file into the WAL: checkpointed afterwards, so the file is compact and the
        # journal empty when its size is measured (and no second copy is left beside it)
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute("VACUUM")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
            conninfo(url), row_factory=_pg_rows, application_name="shadowscan", connect_timeout=30)
        self.conn.read_only = readonly or None
        self.conn.execute("SET client_min_messages = warning")
        if self.conn.info.server_version >= 140000:  # the server notices a vanished client mid-query too
            self.conn.execute("SET client_connection_check_interval = '10s'")
        schema = self.conn.execute("SELECT current_schema()").fetchone()
        self.lock_namespace = lock_namespace(str(schema[0]) if schema and schema[0] else "")
        self.conn.commit()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(_to_pyformat(sql) if params else sql, params or None)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(_to_pyformat(sql), rows)

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> Iterable[tuple[Any, ...]]:
        from psycopg.rows import tuple_row  # loaded with the connection already (see __init__)

        return self.conn.cursor(row_factory=tuple_row).execute(_to_pyformat(sql) if params else sql, params or None)

    def script(self, sql: str) -> None:
        try:
            self.conn.execute(sql)
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def statements(self, sql: str) -> None:
        self.conn.execute(sql)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus  # loaded with the connection already

        return self.conn.info.transaction_status != TransactionStatus.IDLE

    @property
    def broken(self) -> bool:
        return bool(self.conn.broken or self.conn.closed)

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        self.conn.execute("SELECT pg_advisory_lock(%s, -1)", (self.lock_namespace,))
        self.conn.commit()
        try:
            yield
        finally:
            if self.in_transaction:
                self.conn.rollback()
            self.conn.execute("SELECT pg_advisory_unlock(%s, -1)", (self.lock_namespace,))
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
        self.conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (self.lock_namespace,))

    def hold_crawl_lease(self, crawl_id: int) -> None:
        # a session lock: PostgreSQL drops it when the crawler's connection ends (a crash, kill -9)
        self.conn.execute("SELECT pg_advisory_lock(%s, %s)", (self.lock_namespace, crawl_id))

    def release_crawl_lease(self, crawl_id: int) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (self.lock_namespace, crawl_id))
        self.conn.commit()

    def holds_crawl_lease(self, crawl_id: int) -> bool:
        try:
            row = self.conn.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s "
                "AND objsubid = 2 AND granted AND pid = pg_backend_pid()",
                (self.lock_namespace, crawl_id)).fetchone()
        except pg_errors():  # the session is gone (server restarted, connection cut): so is the lease
            return False
        return row is not None

    def live_crawls(self, rows: Sequence[Row]) -> set[int]:
        held = {int(r[0]) for r in self.conn.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2 AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (self.lock_namespace,)).fetchall()}
        return {int(r["id"]) for r in rows if int(r["id"]) in held}

    def read_only(self) -> str | None:
        row = self.conn.execute(
            "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on', "
            "to_regclass('crawls') IS NULL OR (has_table_privilege('crawls', 'INSERT') "
            "AND has_table_privilege('crawls', 'UPDATE'))").fetchone()
        self.conn.commit()
        if row is None:
            return None
        if row[0]:
            return "the server is a standby (read-only replica); pass the primary's URL"
        if row[1]:
            return "the server makes its sessions read-only (default_transaction_read_only)"
        if not row[2]:
            return "the database user may not write its tables (grant INSERT, UPDATE, DELETE on them)"
        return None

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
