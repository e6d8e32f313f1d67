"""Saved Access queries rebuilt as SQL from the pieces Access stores in ``MSysQueries``.

Access keeps no SQL text for a saved query: each query is a set of ``MSysQueries`` rows
(one per column, table, join, condition, ...) keyed by the query's ``MSysObjects`` Id.
``mdb-queries`` rebuilds SELECTs only; the rules below rebuild all nine types the way the
Jackcess project does, so the SQL matches what its test suite asserts for its
``queryTestV*`` databases. Pure functions over plain rows: nothing here touches a driver.

Row attributes: 0 start, 1 type (Flag = query type; Name1 = target table, Expression =
DDL / pass-through text), 2 parameter, 3 select flags, 4 remote database, 5 table,
6 column, 7 join, 8 WHERE, 9 GROUP BY, 10 HAVING, 11 ORDER BY, 255 end.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

START, TYPE, PARAMETER, FLAG, REMOTE_DB, TABLE, COLUMN, JOIN, WHERE, GROUP_BY, HAVING, ORDER_BY = range(12)

# The type row's Flag, and the same type as MSysObjects.Flags & 0xF0 (used when the type row is missing).
QUERY_TYPES = {1: "select", 2: "make-table", 3: "append", 4: "update", 5: "delete", 6: "crosstab",
               7: "data-definition", 8: "pass-through", 9: "union"}
OBJECT_FLAG_TYPES = {0: "select", 80: "make-table", 64: "append", 48: "update", 32: "delete", 16: "crosstab",
                     96: "data-definition", 112: "pass-through", 128: "union"}
# Action queries: running them changes data or structure (pass-through SQL runs on a server
# and is judged by the rules on its text instead).
WRITES = frozenset({"make-table", "append", "update", "delete", "data-definition"})

HIDDEN_OBJECT_FLAG = 0x08
SELECT_STAR, DISTINCT, OWNER_ACCESS, DISTINCT_ROW, TOP, PERCENT = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
UNION_DISTINCT = 0x02
APPEND_VALUE = 0x8000
CROSSTAB_PIVOT, CROSSTAB_NORMAL = 0x01, 0x02
UNION_PARTS = ("X7YZ_____1", "X7YZ_____2")
JOIN_TYPES = {1: " INNER JOIN ", 2: " LEFT JOIN ", 3: " RIGHT JOIN "}
# Parameter Flag = Access data type.
PARAMETER_TYPES = {0: "Value", 1: "Bit", 10: "Text", 2: "Byte", 3: "Short", 4: "Long", 5: "Currency",
                   6: "IEEESingle", 7: "IEEEDouble", 8: "DateTime", 9: "Binary", 11: "LongBinary", 15: "Guid"}
_NEEDS_QUOTES = re.compile(r"\W")
NEWLINE = "\n"


class QueryError(ValueError):
    """The stored pieces do not make a query (unknown type, missing part, dangling join)."""


@dataclass(frozen=True)
class Row:
    """One ``MSysQueries`` row."""

    attribute: int
    expression: str | None = None
    flag: int | None = None
    name1: str | None = None
    name2: str | None = None
    extra: int | None = None

    def has(self, mask: int) -> bool:
        return bool((self.flag or 0) & 0xFFFF & mask)


@dataclass(frozen=True)
class SavedQuery:
    name: str
    type: str
    sql: str
    hidden: bool = False
    error: str = ""


def _text(value: Any) -> str | None:
    # The MDBTools driver leaves a NUL after non-ASCII text; stored DDL ends in one as well.
    return None if value is None else str(value).rstrip("\x00")


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def group_rows(rows: Iterable[Mapping[str, Any]]) -> dict[int, list[Row]]:
    """``MSysQueries`` rows (column name -> value, in table order) grouped by ObjectId."""
    grouped: dict[int, list[Row]] = {}
    for raw in rows:
        object_id, attribute = _int(raw.get("ObjectId")), _int(raw.get("Attribute"))
        if object_id is None or attribute is None:
            continue
        grouped.setdefault(object_id, []).append(
            Row(attribute & 0xFF, _text(raw.get("Expression")), _int(raw.get("Flag")), _text(raw.get("Name1")),
                _text(raw.get("Name2")), _int(raw.get("LvExtra"))))
    return grouped


def rebuild(name: str, rows: Sequence[Row], object_flags: int | None = None) -> SavedQuery:
    """The SQL of one saved query; an unreadable one keeps its name with the reason."""
    hidden = bool((object_flags or 0) & HIDDEN_OBJECT_FLAG)
    q = _Query(rows)
    type_row = q.one(TYPE)
    kind = QUERY_TYPES.get((type_row.flag or 0) & 0xFFFF) if type_row.flag is not None else None
    if kind is None and object_flags is not None:
        kind = OBJECT_FLAG_TYPES.get(object_flags & 0xF0)
    if kind is None:
        return SavedQuery(name, "unknown", "", hidden, "unknown query type")
    try:
        return SavedQuery(name, kind, _BUILDERS[kind](q), hidden)
    except QueryError as exc:
        return SavedQuery(name, kind, "", hidden, str(exc))


class _Query:
    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = list(rows)

    def all(self, attribute: int) -> list[Row]:
        return [r for r in self.rows if r.attribute == attribute]

    def one(self, attribute: int) -> Row:
        found = self.all(attribute)
        if len(found) > 1:
            raise QueryError(f"{len(found)} rows of attribute {attribute}, expected one")
        return found[0] if found else Row(attribute)

    def flag(self, mask: int) -> bool:
        return self.one(FLAG).has(mask)


def _split_identifier(identifier: str) -> list[str]:
    """``[Table 1.x].col`` -> ``['[Table 1.x]', 'col']``: dots inside brackets do not split."""
    parts, current, depth = [], "", 0
    for char in identifier:
        depth += (char == "[") - (char == "]")
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def _quoted(identifier: str, split: bool = True) -> str:
    """``Table 1.col`` -> ``[Table 1].col``: brackets only where a part needs them and has none."""
    parts = _split_identifier(identifier) if split else [identifier]
    return ".".join(p if (p.startswith("[") and p.endswith("]")) or not _NEEDS_QUOTES.search(p) else f"[{p}]"
                    for p in parts)


def _alias(alias: str | None) -> str:
    return f" AS {_quoted(alias, split=False)}" if alias is not None else ""


def _remote(path: str | None, kind: str | None) -> str:
    if path is None and kind is None:
        return ""
    return f" IN '{path or ''}'" + (f" [{kind}]" if kind is not None else "")


def _parameters(q: _Query) -> str:
    params = []
    for row in q.all(PARAMETER):
        type_name = PARAMETER_TYPES.get((row.flag or 0) & 0xFFFF)
        if type_name is None:
            raise QueryError(f"unknown parameter type {row.flag}")
        size = f"({row.extra})" if type_name == "Text" and (row.extra or 0) > 0 else ""
        params.append(f"{row.name1} {type_name}{size}")
    return f"PARAMETERS {', '.join(params)};{NEWLINE}" if params else ""


def _from_tables(q: _Query) -> list[str]:
    """FROM items, with joins folded in the order Access stored them."""
    items: list[tuple[list[str], str, bool]] = []  # (tables, expression, is a join)
    for row in q.all(TABLE):
        expr = (f"[{row.expression}]." if row.expression is not None else "")
        expr += _quoted(row.name1) if row.name1 is not None else ""
        items.append(([row.name2 if row.name2 is not None else row.name1 or ""], expr + _alias(row.name2), False))
    # Joins between the same two tables (either direction) become one join whose
    # conditions are ANDed, the latest stored first (as Access shows them).
    combined: dict[frozenset[str | None], list[Row]] = {}
    for row in q.all(JOIN):
        same = combined.setdefault(frozenset((row.name1, row.name2)), [])
        if same and (same[0].flag or 0) != (row.flag or 0):
            raise QueryError("mismatched join types between the same tables")
        same.append(row)

    def take(table: str | None) -> tuple[list[str], str, bool]:
        for i, item in enumerate(items):
            if table in item[0]:
                return items.pop(i)
        # A table only the join names (Access keeps it out of the table rows at times).
        return ([table or ""], _quoted(table or ""), False)

    def text(item: tuple[list[str], str, bool]) -> str:
        return f"({item[1]})" if item[2] else item[1]

    for joins in combined.values():
        condition = joins[0].expression or ""
        if len(joins) > 1:
            condition = "(" + ") AND (".join(j.expression or "" for j in reversed(joins)) + ")"
        join_type = JOIN_TYPES.get((joins[0].flag or 0) & 0xFFFF)
        if join_type is None:
            raise QueryError(f"unknown join type {joins[0].flag}")
        left, right = take(joins[0].name1), take(joins[0].name2)
        if left[0] == right[0]:
            raise QueryError(f"join of {joins[0].name1!r} with itself")
        items.append((left[0] + right[0], f"{text(left)}{join_type}{text(right)} ON {condition}", True))
    return [item[1] for item in items]  # only joins nested in another join are parenthesised


def _orderings(q: _Query) -> list[str]:
    return [(r.expression or "") + (" DESC" if (r.name1 or "").upper() == "D" else "") for r in q.all(ORDER_BY)]


def _select_type(q: _Query) -> str:
    if q.flag(DISTINCT):
        return "DISTINCT"
    if q.flag(DISTINCT_ROW):
        return "DISTINCTROW"
    if q.flag(TOP):
        return f"TOP {q.one(FLAG).name1}" + (" PERCENT" if q.flag(PERCENT) else "")
    return ""


def _select(q: _Query, columns: Sequence[Row], group_by: Sequence[Row], prefix: bool = True, into: str = "") -> str:
    out = ""
    if prefix:
        select_type = _select_type(q)
        out = "SELECT " + (f"{select_type} " if select_type else "")
    names = [(r.expression or "") + _alias(r.name1) for r in columns]
    if q.flag(SELECT_STAR):
        names.append("*")
    out += ", ".join(names) + into
    tables = _from_tables(q)
    if tables:
        remote = q.one(REMOTE_DB)
        out += f"{NEWLINE}FROM {', '.join(tables)}{_remote(remote.name1, remote.expression)}"
    where = q.one(WHERE).expression
    if where is not None:
        out += f"{NEWLINE}WHERE {where}"
    if group_by:
        out += f"{NEWLINE}GROUP BY {', '.join(r.expression or '' for r in group_by)}"
    having = q.one(HAVING).expression
    if having is not None:
        out += f"{NEWLINE}HAVING {having}"
    orderings = _orderings(q)
    if orderings:
        out += f"{NEWLINE}ORDER BY {', '.join(orderings)}"
    return out


def _standard(q: _Query, body: str) -> str:
    """PARAMETERS before, OWNERACCESS and the closing semicolon after."""
    owner = f"{NEWLINE}WITH OWNERACCESS OPTION" if q.flag(OWNER_ACCESS) else ""
    return _parameters(q) + body + owner + ";"


def _build_select(q: _Query) -> str:
    return _standard(q, _select(q, q.all(COLUMN), q.all(GROUP_BY)))


def _build_make_table(q: _Query) -> str:
    target = q.one(TYPE)
    into = f" INTO {_quoted(target.name1 or '')}{_remote(target.name2, target.expression)}"
    return _standard(q, _select(q, q.all(COLUMN), q.all(GROUP_BY), into=into))


def _build_append(q: _Query) -> str:
    target = q.one(TYPE)
    columns = q.all(COLUMN)
    values = [r for r in columns if r.has(APPEND_VALUE)]
    selected = [r for r in columns if not r.has(APPEND_VALUE)]
    targets = [_quoted(r.name2) for r in columns if r.name2 is not None]
    out = f"INSERT INTO {_quoted(target.name1 or '')}"
    out += f" ({', '.join(targets)})" if targets else ""
    out += _remote(target.name2, target.expression) + NEWLINE
    if values:
        out += f"VALUES ({', '.join(r.expression or '' for r in values)})"
    else:
        out += _select(q, selected, q.all(GROUP_BY))
    return _standard(q, out)


def _build_update(q: _Query) -> str:
    remote = q.one(REMOTE_DB)
    out = f"UPDATE {', '.join(_from_tables(q))}{_remote(remote.name1, remote.expression)}"
    out += f"{NEWLINE}SET " + ", ".join(f"{_quoted(r.name2 or '')} = {r.expression}" for r in q.all(COLUMN))
    where = q.one(WHERE).expression
    if where is not None:
        out += f"{NEWLINE}WHERE {where}"
    return _standard(q, out)


def _build_delete(q: _Query) -> str:
    return _standard(q, "DELETE " + _select(q, q.all(COLUMN), q.all(GROUP_BY), prefix=False))


def _build_crosstab(q: _Query) -> str:
    columns = q.all(COLUMN)
    transform = [r for r in columns if not r.has(CROSSTAB_PIVOT | CROSSTAB_NORMAL)]
    pivot = [r for r in columns if r.has(CROSSTAB_PIVOT)]
    if len(transform) > 1 or len(pivot) > 1:
        raise QueryError("crosstab with more than one TRANSFORM or PIVOT expression")
    out = ""
    if transform and transform[0].expression is not None:
        out = f"TRANSFORM {transform[0].expression}{_alias(transform[0].name1)}{NEWLINE}"
    out += _select(q, [r for r in columns if r.has(CROSSTAB_NORMAL)],
                   [r for r in q.all(GROUP_BY) if r.has(CROSSTAB_NORMAL)])
    out += f"{NEWLINE}PIVOT {pivot[0].expression if pivot else None}"
    return _standard(q, out)


def _build_union(q: _Query) -> str:
    parts = {r.name2: r.expression for r in q.all(TABLE)}
    texts = []
    for part in UNION_PARTS:
        if parts.get(part) is None:
            raise QueryError(f"union part {part} is missing")
        texts.append(re.sub(r"[\r\n]+", NEWLINE, str(parts[part]).strip()))
    out = f"{texts[0]}{NEWLINE}UNION " + ("" if q.flag(UNION_DISTINCT) else "ALL ") + texts[1]
    orderings = _orderings(q)
    if orderings:
        out += f"{NEWLINE}ORDER BY {', '.join(orderings)}"
    return _standard(q, out)


def _build_text(q: _Query) -> str:
    """Pass-through and data-definition queries store their SQL text whole."""
    return q.one(TYPE).expression or ""


_BUILDERS = {"select": _build_select, "make-table": _build_make_table, "append": _build_append,
             "update": _build_update, "delete": _build_delete, "crosstab": _build_crosstab, "union": _build_union,
             "pass-through": _build_text, "data-definition": _build_text}


def pass_through_connection(rows: Sequence[Row]) -> str | None:
    """The ODBC connection string a pass-through query runs on (redact before showing)."""
    return _Query(rows).one(TYPE).name1
