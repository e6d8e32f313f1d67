"""Reading an Access database (.mdb .accdb .mde .accde): the facts, no judgement.

The header is read by hand before any driver touches the file: format and version, encryption
(an encrypted ACE file "connects" and shows nothing through the MDBTools driver), a JET4
database password, and the pages the database says it uses against the file's length (a file
cut at a page boundary). Then, through pyodbc and a real ODBC driver, the catalog: user tables
with their columns and row counts, saved queries rebuilt from MSysQueries
(:mod:`.access_queries`), linked tables, forms, reports, macros, and the VBA project from
MSysAccessStorage. Each statement gets its own connection, because the MDBTools driver's
``COUNT(*)`` breaks a connection for every later statement; reserved column names are
bracketed and ``SELECT *`` on MSysObjects is never sent (it crashed the driver on a real file).

What comes out is a :class:`Database`: the typed facts the reports show (``AccessFacts``, with
connection strings and SQL redacted) and the texts the rules read (:mod:`.access` judges them).
"""
from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model import AccessFacts
from ..redact import redact
from .access_queries import group_rows, pass_through_connection, rebuild

LINUX_DRIVER = "MDBTools"
WINDOWS_DRIVER = "Microsoft Access Driver (*.mdb, *.accdb)"
VERSIONS = {0: "JET3", 1: "JET4", 2: "ACE12", 3: "ACE14", 4: "ACE15", 5: "ACE16", 6: "ACE17"}
MAGIC = (b"Standard Jet DB", b"Standard ACE DB")
# MSysObjects.Type, signed; the MDBTools driver returns them unsigned (form -32768 -> 32768)
TABLE, QUERY, LINKED_JET, LINKED_ODBC = 1, 5, 6, 4
FORM, REPORT, MACRO, MODULE = -32768, -32764, -32766, -32761
# RC4 key that masks the JET4/ACE header (bytes 0x18..0x18+126), as mdbtools and Jackcess use it
HEADER_KEY = bytes([0xC7, 0xDA, 0x39, 0x6B])
_COMPLEX_TABLE = re.compile(r"^f_[0-9A-F]{32}_", re.IGNORECASE)


class Unreadable(Exception):
    """The driver could not read the catalog: the file is damaged or truncated."""


class Truncated(Exception):
    """The database uses pages past the end of the file (the reason says which tables)."""


@dataclass(frozen=True)
class SavedQuery:
    """A saved query as the rules read it: its rebuilt SQL and, for a pass-through query, the connection
    it is sent over (both unredacted: the facts hold the redacted text)."""

    name: str
    type: str
    sql: str
    connect: str | None


@dataclass(frozen=True)
class Link:
    """A linked table as the rules read it: its name and where it points (connect and database, unredacted)."""

    name: str
    target: str


@dataclass(frozen=True)
class Database:
    """What was read of one database. ``facts`` holds the header, tables, queries, linked tables and object
    counts as the reports show them; the other fields are what the rules read besides."""

    facts: AccessFacts
    queries: tuple[SavedQuery, ...]  # the saved queries rebuilt from MSysQueries (none when it could not be read)
    links: tuple[Link, ...]  # in the order of ``facts["linked_tables"]``
    modules: tuple[tuple[str, str], ...]  # the VBA project: (``VBA/<module>``, source)
    vba_problems: tuple[str, ...]  # what of a damaged VBA project could not be read
    macros: tuple[str, ...]  # names of the macro objects
    created: str | None = None  # the oldest and newest date of any catalog object (ISO)
    last_changed: str | None = None


# page usage -----------------------------------------------------------------------------
# Where JET3 / JET4-ACE keep, per page, the row count (offsets follow it) and, in a table
# definition, the pointer to the usage map of the table's data pages (mdbtools' format constants).
_ROW_COUNT = {2048: 0x08, 4096: 0x0C}
_USAGE_MAP = {2048: 35, 4096: 55}


def pages_beyond_end(path: str, info: AccessFacts, tables: dict[int, str]) -> str:
    """Why the database is cut short, or "" when every page it uses is in the file.

    A file cut at a page boundary passes the size check of :func:`read_header` and the driver
    reads it without a word: a table's rows on pages past the end are simply missing. So the
    file's length is held against the pages the database itself says it uses, read from the file:
    MSysObjects' table definition (page 2) and every table the catalog lists (``tables``: table
    definition page -> name), each with its continuation pages and its usage map (the pages that
    hold its rows; inline bitmap or map pages). The highest page referenced must be in the file."""
    page = int(info.get("page_size") or 4096)
    if page not in _ROW_COUNT:
        return ""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            count = size // page
            cache: dict[int, bytes | None] = {}

            def at(number: int) -> bytes | None:
                """Page ``number``, or None when it is not in the file (read once, only the pages needed)."""
                if number not in cache:
                    if not 0 <= number < count:
                        cache[number] = None
                    else:
                        f.seek(number * page)
                        cache[number] = f.read(page)
                return cache[number]

            beyond: dict[str, tuple[int, str]] = {}  # table -> (highest page past the end, what it is)
            for tdef, name in sorted({2: "MSysObjects", **tables}.items()):
                for number, what in _table_pages(at, page, tdef):
                    if number >= count and number > beyond.get(name, (-1, ""))[0]:
                        beyond[name] = (number, what)
    except OSError:
        return ""
    if not beyond:
        return ""
    # the user's tables first (what a person misses), then the system tables
    names = sorted(beyond, key=lambda n: (n.startswith(("MSys", "~")), n.lower()))
    shown = ", ".join(f"{n} ({beyond[n][1]})" for n in names[:4]) + (f" and {len(names) - 4} more"
                                                                     if len(names) > 4 else "")
    return (f"truncated {info.get('format', 'Access')} database: the file ends after page {count - 1:,} "
            f"({size:,} bytes), but the database uses pages up to {max(v[0] for v in beyond.values()):,}; "
            f"missing pages of {len(names)} table{'s' if len(names) > 1 else ''}: {shown}")


# table definition layout (Jackcess TableImpl, mdbtools HACKING): page size -> (number of columns,
# of logical indexes, of real indexes, owned-pages map, real index entry, column entry, name length
# bytes, real index column block, logical index entry)
_TDEF = {2048: (25, 27, 31, 35, 8, 18, 1, 39, 20), 4096: (45, 47, 51, 55, 12, 25, 2, 52, 28)}


def _table_pages(at: Callable[[int], bytes | None], page: int, tdef: int) -> Iterator[tuple[int, str]]:
    """(page number, what it is) for the pages one table uses: its definition pages, and the
    usage maps with the pages they mark (rows; long values where a column has its own map)
    (``at`` reads a page of the file; None past its end)."""
    number, seen, body = tdef, set(), bytearray()
    while number and number not in seen:  # the definition and its continuation pages
        seen.add(number)
        part = at(number)
        yield number, "table definition"
        if part is None or part[0] != 0x02:
            break
        body += part if number == tdef else part[8:]
        number = struct.unpack_from("<I", part, 4)[0]
    if not body:
        return
    cols_at, idx_at, ridx_at, owned_at, ridx_size, col_size, name_len, ridx_block, idx_size = _TDEF[page]
    pointers = [(struct.unpack_from("<I", body, owned_at)[0], "data pages")]
    try:  # per-column usage maps (long values) follow the index names
        columns = struct.unpack_from("<H", body, cols_at)[0]
        indexes, real = struct.unpack_from("<II", body, idx_at)[0], struct.unpack_from("<I", body, ridx_at)[0]
        pos = owned_at + 8 + real * ridx_size + columns * col_size
        for _ in range(columns):
            pos += name_len + int.from_bytes(body[pos:pos + name_len], "little")
        pos += real * ridx_block + indexes * idx_size
        for _ in range(indexes):
            pos += name_len + int.from_bytes(body[pos:pos + name_len], "little")
        while pos + 10 <= len(body):
            column, owned = struct.unpack_from("<HI", body, pos)
            if column == 0xFFFF:
                break
            pointers.append((owned, "long values"))
            pos += 10
    except struct.error:
        pass
    for pointer, what in pointers:
        yield from _map_pages(at, page, pointer, what)


def _map_pages(at: Callable[[int], bytes | None], page: int, pointer: int, what: str) -> Iterator[tuple[int, str]]:
    """The usage map row at ``pointer`` (page << 8 | row) and the pages it marks."""
    map_page, map_row = pointer >> 8, pointer & 0xFF
    if not map_page:
        return
    yield map_page, "usage map"
    holder = at(map_page)
    if holder is None or holder[0] != 0x01:  # usage maps are rows of a data page
        return
    rows_at = _ROW_COUNT[page]
    if map_row >= struct.unpack_from("<H", holder, rows_at)[0]:
        return
    start = struct.unpack_from("<H", holder, rows_at + 2 + 2 * map_row)[0] & 0x1FFF
    end = page if map_row == 0 else struct.unpack_from("<H", holder, rows_at + 2 * map_row)[0] & 0x1FFF
    usage = holder[start:end]
    if len(usage) >= 5 and usage[0] == 0:  # inline bitmap from a first page
        top = _highest_bit(usage[5:])
        if top is not None:
            yield struct.unpack_from("<I", usage, 1)[0] + top, what
    elif usage[:1] == b"\x01":  # a list of bitmap pages, each covering (page - 4) * 8 pages
        span = (page - 4) * 8
        for index in range((len(usage) - 1) // 4):
            bitmap = struct.unpack_from("<I", usage, 1 + 4 * index)[0]
            if not bitmap:
                continue
            yield bitmap, "usage map"
            body = at(bitmap)
            top = _highest_bit(body[4:]) if body is not None else None
            if top is not None:
                yield index * span + top, what


def _highest_bit(bitmap: bytes) -> int | None:
    """The highest bit set (bit i of byte b is page 8 * b + i), or None."""
    stripped = bitmap.rstrip(b"\x00")
    if not stripped:
        return None
    return (len(stripped) - 1) * 8 + stripped[-1].bit_length() - 1


# header -------------------------------------------------------------------------------
def rc4(key: bytes, data: bytes) -> bytes:
    """RC4, as JET4/ACE mask the database header (and the fixture writer applies the mask)."""
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


def read_header(header: bytes, size: int) -> AccessFacts | str:
    """Format, encryption and password facts from the first pages, or why the file is not a database."""
    if len(header) < 0x80 or header[4:19] not in MAGIC:
        return "not an Access database (no 'Standard Jet DB' / 'Standard ACE DB' header)"
    version = header[0x14]
    fmt = VERSIONS.get(version, f"unknown version {version}")
    page = 2048 if version == 0 else 4096
    if size < 3 * page or size % page:
        return f"truncated {fmt} database: {size:,} bytes is not a whole number of {page}-byte pages (at least 3)"
    info: AccessFacts = {"format": fmt, "page_size": page, "encrypted": False, "database_password": False}
    if version == 0:
        return info
    # The MSysObjects definition sits on page 2 (0x02 0x01 = table definition page); an encrypted
    # ACE database stores its pages enciphered, so that signature is missing.
    if header[2 * page:2 * page + 2] != b"\x02\x01":
        info["encrypted"] = True
        return info
    plain = rc4(HEADER_KEY, header[0x18:0x18 + 126])
    decoded = header[:0x18] + plain + header[0x18 + 126:]
    password = bytearray(decoded[0x42:0x42 + 40])
    date = struct.unpack("<d", decoded[0x72:0x7A])[0]
    mask = struct.pack("<i", int(date)) if abs(date) < 2 ** 31 else b""
    if mask:
        for i in range(len(password)):
            password[i] ^= mask[i % 4]
    info["database_password"] = any(password)
    return info


# driver -------------------------------------------------------------------------------
def pick_driver() -> str | None:
    try:
        import pyodbc
    except ImportError:
        return None
    drivers = pyodbc.drivers()
    for name in (WINDOWS_DRIVER, LINUX_DRIVER):
        if name in drivers:
            return name
    return next((d for d in drivers if "access" in d.lower() or "mdb" in d.lower()), None)


def _connection_string(driver: str, path: str) -> str:
    if driver == LINUX_DRIVER:
        return f"DRIVER={{{driver}}};DBQ={path}"
    return f"DRIVER={{{driver}}};DBQ={path};ReadOnly=1;Exclusive=0"


class _Db:
    """One short-lived connection per statement (the MDBTools driver's COUNT(*) poisons connections)."""

    def __init__(self, driver: str, path: str) -> None:
        self.conn_str = _connection_string(driver, path)

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        import pyodbc

        with closing(pyodbc.connect(self.conn_str, autocommit=True, readonly=True)) as cn:
            cur = cn.cursor()
            cur.execute(sql)
            columns = [_clean(d[0]) for d in cur.description or ()]
            return columns, [tuple(row) for row in cur.fetchall()]

    def rows(self, sql: str) -> list[dict[str, Any]]:
        columns, rows = self.query(sql)
        return [dict(zip(columns, (_clean(v) if isinstance(v, str) else v for v in row))) for row in rows]

    def tables(self) -> list[str]:
        import pyodbc

        with closing(pyodbc.connect(self.conn_str, autocommit=True, readonly=True)) as cn:
            return [_clean(t.table_name) for t in cn.cursor().tables() if t.table_type == "TABLE"]


def _clean(text: str) -> str:
    """Non-ASCII names come back from the MDBTools driver with a trailing NUL."""
    return text.rstrip("\x00")


def _signed(value: Any) -> int:
    number = int(value or 0)
    return number - 65536 if 32767 < number < 65536 else number


# the catalog ---------------------------------------------------------------------------
def read_database(path: str, driver: str, info: AccessFacts) -> Database:
    """Read the catalog, tables, saved queries, linked tables and VBA of a database whose header
    (``info``) was read; raises :class:`Unreadable` when the driver cannot read the system catalog
    and :class:`Truncated` when the tables it lists use pages past the end of the file."""
    import pyodbc

    db = _Db(driver, path)
    try:
        objects = db.rows("SELECT Id, ParentId, Name, Type, Flags, DateCreate, DateUpdate, [Connect], [Database], "
                          "ForeignName FROM MSysObjects")
    except pyodbc.Error as exc:
        raise Unreadable(_driver_message(exc)) from exc
    if not objects:
        raise Unreadable("MSysObjects is empty")
    tables = {int(o["Id"]) & 0xFFFFFF: _clean(str(o["Name"])) for o in objects if _signed(o["Type"]) == TABLE}
    missing = pages_beyond_end(path, info, tables)
    if missing:
        raise Truncated(missing)
    by_type: dict[int, list[dict[str, Any]]] = {}
    for obj in objects:
        by_type.setdefault(_signed(obj["Type"]), []).append(obj)
    facts: AccessFacts = {**info}
    facts["tables"] = _tables(db)
    facts["queries"], queries = _queries(db, by_type.get(QUERY, []))
    facts["linked_tables"], links = _links(by_type)
    facts.update({"forms": len(by_type.get(FORM, [])), "reports": len(by_type.get(REPORT, [])),
                  "macros": len(by_type.get(MACRO, [])), "module_objects": len(by_type.get(MODULE, []))})
    problems: list[str] = []
    modules = _vba_modules(db, problems)
    dates = [d for obj in objects for d in (obj.get("DateUpdate"), obj.get("DateCreate")) if isinstance(d, datetime)]
    return Database(facts, tuple(queries), tuple(links), tuple(modules), tuple(problems),
                    tuple(str(m["Name"]) for m in by_type.get(MACRO, [])),
                    min(dates).isoformat() if dates else None, max(dates).isoformat() if dates else None)


def _driver_message(exc: Exception) -> str:
    text = " ".join(str(a) for a in getattr(exc, "args", ()) if isinstance(a, str)) or str(exc)
    return " ".join(text.split())[:200]


def _tables(db: _Db) -> list[dict[str, Any]]:
    """User tables with their columns and row counts (system and complex-column tables skipped)."""
    import pyodbc

    out = []
    for name in db.tables():
        if name.startswith(("MSys", "~TMP")) or _COMPLEX_TABLE.match(name):
            continue
        table: dict[str, Any] = {"name": name, "columns": [], "rows": None}
        try:
            table["columns"], _ = db.query(f"SELECT * FROM [{name}] WHERE 1=0")
            _, count = db.query(f"SELECT COUNT(*) FROM [{name}]")
            table["rows"] = int(count[0][0]) if count else 0
        except (pyodbc.Error, ValueError, TypeError) as exc:
            table["error"] = _driver_message(exc)
        out.append(table)
    return out


def _queries(db: _Db, objects: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[SavedQuery]]:
    """Saved queries rebuilt from MSysQueries: (their facts, redacted; the queries the rules read)."""
    import pyodbc

    if not objects:
        return [], []
    try:
        # JET3 (Access 97) has no LvExtra column: ask only for the columns this catalog has.
        present, _ = db.query("SELECT * FROM MSysQueries WHERE 1=0")
        wanted = [c for c in ("Attribute", "Expression", "Flag", "LvExtra", "Name1", "Name2", "ObjectId") if c in present]
        rows = db.rows(f"SELECT {', '.join(wanted)} FROM MSysQueries")
    except pyodbc.Error as exc:
        return [{"name": str(o["Name"]), "type": "unknown", "sql": "", "error": _driver_message(exc)}
                for o in objects], []
    grouped = group_rows(rows)
    out, queries = [], []
    for obj in objects:
        pieces = grouped.get(int(obj["Id"]), [])
        query = rebuild(_clean(str(obj["Name"])), pieces, int(obj.get("Flags") or 0))
        entry = {"name": query.name, "type": query.type, "sql": redact(query.sql), "hidden": query.hidden}
        if query.error:
            entry["error"] = query.error
        connect = pass_through_connection(pieces) if query.type == "pass-through" else None
        if connect:
            entry["connect"] = redact(connect)
        out.append(entry)
        queries.append(SavedQuery(query.name, query.type, query.sql, connect or None))
    return out, queries


def _links(by_type: dict[int, list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[Link]]:
    """Linked tables: where the database reaches (ODBC servers, other databases, workbooks)."""
    out, links = [], []
    for kind, objects in (("odbc", by_type.get(LINKED_ODBC, [])), ("file", by_type.get(LINKED_JET, []))):
        for obj in objects:
            out.append({"name": str(obj["Name"]), "kind": kind, "connect": redact(str(obj.get("Connect") or "")),
                        "database": redact(str(obj.get("Database") or "")),
                        "foreign_name": str(obj.get("ForeignName") or "")})
            links.append(Link(str(obj["Name"]), f"{obj.get('Connect') or ''}\n{obj.get('Database') or ''}"))
    return out, links


# VBA in MSysAccessStorage ---------------------------------------------------------------
def _vba_modules(db: _Db, problems: list[str] | None = None) -> list[tuple[str, str]]:
    """(``VBA/<module>``, code) from the compressed VBA project in MSysAccessStorage (Access 2000+);
    what of a VBA project that is there could not be read goes to ``problems``."""
    import pyodbc

    try:
        rows = db.rows("SELECT Id, ParentId, Name, Type, Lv FROM MSysAccessStorage")
    except pyodbc.Error:
        return []  # JET3 and files without a VBA project have no such table
    children: dict[Any, dict[str, dict[str, Any]]] = {}
    root = None
    for row in rows:
        if row["Name"] == "MSysAccessStorage_ROOT":
            root = row["Id"]
        children.setdefault(row["ParentId"], {})[str(row["Name"])] = row
    node = root
    for name in ("VBA", "VBAProject", "VBA"):
        entry = children.get(node, {}).get(name)
        if entry is None:
            return []
        node = entry["Id"]
    streams = {name: row.get("Lv") for name, row in children.get(node, {}).items()}
    return vba_from_streams(streams, problems)


def vba_from_streams(streams: dict[str, bytes | None], problems: list[str] | None = None) -> list[tuple[str, str]]:
    """Module source from a VBA storage's ``dir`` and module streams (MS-OVBA 2.3.4).

    A damaged project never raises: what could not be read is described in ``problems``
    (a missing or undecodable ``dir`` stream, a module whose stream is missing or damaged)."""
    from oletools.olevba import decompress_stream

    problems = problems if problems is not None else []
    dir_stream = streams.get("dir")
    if not dir_stream:
        problems.append("the VBA storage has no dir stream, so no module can be located")
        return []
    try:
        data = bytes(decompress_stream(bytearray(dir_stream)))
    except Exception as exc:
        problems.append(f"the dir stream cannot be decompressed ({type(exc).__name__}: {exc})"[:200])
        return []
    if data[:2] != b"\x01\x00":  # every dir stream opens with PROJECTSYSKIND (MS-OVBA 2.3.4.2.1.1)
        problems.append("the dir stream is not a VBA project description (no PROJECTSYSKIND record)")
        return []
    records = _dir_records(data)
    codec = f"cp{records.codepage}" if records.codepage else "cp1252"
    modules = []
    for name, stream, offset in records.modules:
        code_stream = streams.get(stream)
        if not code_stream:
            problems.append(f"module {name}: its stream {stream!r} is missing")
            continue
        if offset >= len(code_stream):
            problems.append(f"module {name}: its source offset {offset:,} is past the end of the stream")
            continue
        try:
            code = bytes(decompress_stream(bytearray(code_stream[offset:]))).decode(codec, errors="replace")
        except Exception as exc:
            problems.append(f"module {name}: its source cannot be decompressed ({type(exc).__name__}: {exc})"[:200])
            continue
        modules.append((f"VBA/{name}", code))
    return modules


class _DirRecords:
    def __init__(self) -> None:
        self.codepage = 0
        self.modules: list[tuple[str, str, int]] = []


def _dir_records(data: bytes) -> _DirRecords:
    """Walk the dir stream's records: code page, then per module its name, stream name and text offset."""
    out = _DirRecords()
    pos = 0
    name = stream = ""
    while pos + 6 <= len(data):
        record, size = struct.unpack_from("<HI", data, pos)
        pos += 6
        if record == 0x0009:  # PROJECTVERSION: its size field says 4, its data is 6 bytes
            size = 6
        value = data[pos:pos + size]
        pos += size
        if record == 0x0003 and size >= 2:
            out.codepage = struct.unpack_from("<H", value)[0]
        elif record == 0x0019:
            name = stream = value.decode("latin-1")
        elif record == 0x0047:
            name = value.decode("utf-16-le", errors="replace")
        elif record == 0x001A:
            stream = value.decode("latin-1")
        elif record == 0x0032:
            stream = value.decode("utf-16-le", errors="replace")
        elif record == 0x0031 and size >= 4:
            out.modules.append((name, stream, struct.unpack_from("<I", value)[0]))
    return out
