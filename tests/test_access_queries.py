"""Saved queries rebuilt from MSysQueries: the SQL Jackcess's own test suite expects.

The corpus check reads queryTestV2003.mdb through the real MDBTools ODBC driver; the
row-level cases are Jackcess's QueryTest scenarios expressed as MSysQueries rows.
"""
import pytest

from shadowscan.analyzers import access
from shadowscan.analyzers.access_queries import (
    COLUMN,
    FLAG,
    GROUP_BY,
    HAVING,
    JOIN,
    ORDER_BY,
    PARAMETER,
    REMOTE_DB,
    TABLE,
    TYPE,
    WHERE,
    WRITES,
    Row,
    group_rows,
    pass_through_connection,
    rebuild,
)


def lines(*parts):
    return "\n".join(parts)


# From Jackcess QueryTest.testReadQueries as of its current main branch (the stored
# DDL/pass-through text ends in a NUL there; we drop it: storage padding, not SQL).
JACKCESS = {
    "SelectQuery": ("select", lines(
        "SELECT DISTINCT Table1.*, Table2.col1, Table2.col2, Table3.col3",
        "FROM (Table1 LEFT JOIN Table3 ON Table1.col1 = Table3.col1) INNER JOIN Table2 ON "
        "(Table3.col1 = Table2.col2) AND (Table3.col1 = Table2.col1)",
        'WHERE (((Table2.col2)="foo" Or (Table2.col2) In ("buzz","bazz")))',
        "ORDER BY Table2.col1;")),
    "DeleteQuery": ("delete", lines(
        "DELETE Table1.col1, Table1.col2, Table1.col3",
        "FROM Table1",
        'WHERE (((Table1.col1)>"blah"));')),
    "AppendQuery": ("append", lines(
        "INSERT INTO Table3 (col2, col2, col3)",
        "SELECT [Table1].[col2], [Table2].[col2], [Table2].[col3]",
        "FROM Table3, Table1 INNER JOIN Table2 ON [Table1].[col1]=[Table2].[col1];")),
    "UpdateQuery": ("update", lines(
        "PARAMETERS User Name Text;",
        "UPDATE Table1",
        'SET Table1.col1 = "foo", Table1.col2 = [Table2].[col3], [Table2].[col1] = [User Name]',
        "WHERE ((([Table2].[col1]) Is Not Null));")),
    "MakeTableQuery": ("make-table", lines(
        "SELECT Max(Table2.col1) AS MaxOfcol1, Table2.col2, Table3.col2 INTO Table4",
        "FROM (Table2 INNER JOIN Table1 ON Table2.col1 = Table1.col2) RIGHT JOIN Table3 ON Table1.col2 = Table3.col3",
        "GROUP BY Table2.col2, Table3.col2",
        'HAVING (((Max(Table2.col1))="buzz") AND ((Table2.col2)<>"blah"));')),
    "CrosstabQuery": ("crosstab", lines(
        "TRANSFORM Count([Table2].[col2]) AS CountOfcol2",
        "SELECT Table2_1.col1, [Table2].[col3], Avg(Table2_1.col2) AS AvgOfcol2",
        "FROM (Table1 INNER JOIN Table2 ON [Table1].[col1]=[Table2].[col1]) INNER JOIN Table2 AS Table2_1 ON "
        "[Table2].[col1]=Table2_1.col3",
        'WHERE ((([Table1].[col1])>"10") And ((Table2_1.col1) Is Not Null) And ((Avg(Table2_1.col2))>"10"))',
        "GROUP BY Table2_1.col1, [Table2].[col3]",
        "ORDER BY [Table2].[col3]",
        "PIVOT [Table1].[col1];")),
    "UnionQuery": ("union", lines(
        "Select Table1.col1, Table1.col2",
        'where Table1.col1 = "foo"',
        "UNION",
        "Select Table2.col1, Table2.col2",
        "UNION ALL Select Table3.col1, Table3.col2",
        'where Table3.col3 > "blah";')),
    "PassthroughQuery": ("pass-through", "ALTER TABLE Table4 DROP COLUMN col5;"),
    "DataDefinitionQuery": ("data-definition", "CREATE TABLE Table5 (col1 CHAR, col2 CHAR);"),
}


@pytest.fixture(scope="module")
def corpus_queries(corpus):
    if access.pick_driver() is None:
        pytest.skip("no Access ODBC driver (Debian: apt-get install unixodbc odbc-mdbtools)")
    from shadowscan.model import Limits

    analysis = access.analyze(str(corpus / "access/jackcess/queryTestV2003.mdb"), "mdb", Limits())
    assert analysis.status.value == "analyzed", analysis.reason
    return analysis


def test_all_nine_query_types_match_jackcess(corpus_queries):
    got = {q["name"]: (q["type"], q["sql"]) for q in corpus_queries.facts["queries"]}
    assert got == JACKCESS


def test_action_queries_are_write_findings(corpus_queries):
    finding = next(f for f in corpus_queries.findings if f.rule == "access.action-query")
    located = {e.location for e in finding.evidence}
    assert located == {f"query {name}" for name, (kind, _) in JACKCESS.items() if kind in WRITES}


# Jackcess QueryTest's row-level scenarios ------------------------------------------------

def query(kind_flag, *rows, select_flags=None):
    head = [Row(TYPE, flag=kind_flag)]
    if select_flags is not None:
        head.append(Row(FLAG, flag=select_flags))
    return list(head) + list(rows)


def sql(rows, flags=None):
    return rebuild("Q", rows, flags).sql


def test_union_all_and_distinct():
    parts = [Row(TABLE, "Select * from Table1", name2="X7YZ_____1"), Row(TABLE, "Select * from Table2", name2="X7YZ_____2")]
    assert sql(query(9, *parts, select_flags=3)) == lines("Select * from Table1", "UNION Select * from Table2;")
    assert sql(query(9, *parts, select_flags=1)) == lines("Select * from Table1", "UNION ALL Select * from Table2;")
    ordered = query(9, *parts, Row(ORDER_BY, "Table1.id"), select_flags=1)
    assert sql(ordered) == lines("Select * from Table1", "UNION ALL Select * from Table2", "ORDER BY Table1.id;")
    broken = rebuild("Q", query(9, select_flags=1))
    assert broken.sql == "" and "missing" in broken.error


def test_pass_through_keeps_its_connection():
    rows = query(8)
    rows[0] = Row(TYPE, "Select * from Table1", 8, "ODBC;DSN=ERP;UID=u;PWD=p")
    assert sql(rows) == "Select * from Table1"
    assert pass_through_connection(rows) == "ODBC;DSN=ERP;UID=u;PWD=p"


def test_update_with_where():
    rows = query(4, Row(TABLE, name1="Table1"), Row(COLUMN, '"some string"', name2="Table1.id"),
                 Row(COLUMN, "42", name2="Table1.col1"))
    assert sql(rows) == lines("UPDATE Table1", 'SET Table1.id = "some string", Table1.col1 = 42;')
    rows.append(Row(WHERE, "(Table1.col2 < 13)"))
    assert sql(rows) == lines("UPDATE Table1", 'SET Table1.id = "some string", Table1.col1 = 42',
                              "WHERE (Table1.col2 < 13);")


def test_select_flags_columns_and_aliases():
    base = [Row(TABLE, name1="Table1"), Row(COLUMN, "Table1.id"), Row(COLUMN, "Table1.col", name1="Some.Alias")]
    assert sql(query(1, Row(TABLE, name1="Table1"), select_flags=1)) == lines("SELECT *", "FROM Table1;")
    assert sql(query(1, *base, select_flags=1)) == lines("SELECT Table1.id, Table1.col AS [Some.Alias], *",
                                                         "FROM Table1;")
    assert sql(query(1, *base, select_flags=9)).startswith("SELECT DISTINCTROW Table1.id")
    assert sql(query(1, *base, select_flags=7)) == lines("SELECT DISTINCT Table1.id, Table1.col AS [Some.Alias], *",
                                                         "FROM Table1", "WITH OWNERACCESS OPTION;")
    top = [Row(TYPE, flag=1), Row(FLAG, flag=49, name1="5"), *base]
    assert sql(top) == lines("SELECT TOP 5 PERCENT Table1.id, Table1.col AS [Some.Alias], *", "FROM Table1;")


def test_parameters():
    base = query(1, Row(TABLE, name1="Table1"), Row(COLUMN, "Table1.id"), select_flags=0)
    rows = base + [Row(PARAMETER, flag=3, name1="INT_VAL"), Row(PARAMETER, flag=10, name1="TextVal", extra=50),
                   Row(PARAMETER, flag=0, name1="[Some Value]", extra=50)]
    assert sql(rows) == lines("PARAMETERS INT_VAL Short, TextVal Text(50), [Some Value] Value;",
                              "SELECT Table1.id", "FROM Table1;")
    bad = rebuild("Q", base + [Row(PARAMETER, flag=-1, name1="BadVal")])
    assert bad.sql == "" and "parameter type" in bad.error


def test_tables_remote_database_and_joins():
    tables = [Row(TABLE, name1="Table1"), Row(TABLE, name1="Table2", name2="Another Table"),
              Row(TABLE, "Select val from Table3", name1="val", name2="Table3Val")]
    rows = query(1, Row(COLUMN, "Table1.id"), *tables, select_flags=0)
    assert sql(rows) == lines("SELECT Table1.id",
                              "FROM Table1, Table2 AS [Another Table], [Select val from Table3].val AS Table3Val;")
    remote = rows + [Row(REMOTE_DB, "MDB_FILE;", 2, "other_db.mdb")]
    assert sql(remote).endswith("AS Table3Val IN 'other_db.mdb' [MDB_FILE;];")
    assert sql(rows + [Row(REMOTE_DB, "MDB_FILE;", 2)]).endswith("IN '' [MDB_FILE;];")
    joined = rows + [Row(JOIN, "(Table1.id = [Another Table].id)", 1, "Table1", "Another Table")]
    assert sql(joined) == lines("SELECT Table1.id",
                                "FROM [Select val from Table3].val AS Table3Val, Table1 INNER JOIN Table2 AS "
                                "[Another Table] ON (Table1.id = [Another Table].id);")
    joined.append(Row(JOIN, "(Table1.id = Table3Val.id)", 2, "Table1", "Table3Val"))
    assert sql(joined) == lines("SELECT Table1.id",
                                "FROM (Table1 INNER JOIN Table2 AS [Another Table] ON (Table1.id = [Another Table].id))"
                                " LEFT JOIN [Select val from Table3].val AS Table3Val ON (Table1.id = Table3Val.id);")
    assert "join type" in rebuild("Q", joined + [Row(JOIN, "x", 5, "Table1", "Table3Val")]).error
    bogus = joined + [Row(JOIN, "(Table1.id = Table3Val.id)", 1, "BogusTable", "Table3Val")]
    assert sql(bogus) == lines("SELECT Table1.id",
                               "FROM BogusTable INNER JOIN ((Table1 INNER JOIN Table2 AS [Another Table] ON "
                               "(Table1.id = [Another Table].id)) LEFT JOIN [Select val from Table3].val AS Table3Val "
                               "ON (Table1.id = Table3Val.id)) ON (Table1.id = Table3Val.id);")


def test_joins_both_ways_between_two_tables_combine_latest_first():
    tables = [Row(TABLE, name1=f"Table{i}") for i in range(1, 4)]
    rows = query(1, *tables, Row(JOIN, "Table1.f0 = Table2.f0", 1, "Table1", "Table2"),
                 Row(JOIN, "Table2.f3 = Table1.f3", 1, "Table2", "Table1"), select_flags=1)
    assert sql(rows) == lines("SELECT *", "FROM Table3, Table1 INNER JOIN Table2 ON (Table2.f3 = Table1.f3) AND "
                                          "(Table1.f0 = Table2.f0);")
    chain = query(1, *tables, Row(JOIN, "Table1.f0 = Table2.f0", 1, "Table1", "Table2"),
                  Row(JOIN, "Table2.f3 = Table3.f3", 1, "Table2", "Table3"), select_flags=1)
    assert sql(chain) == lines("SELECT *", "FROM (Table1 INNER JOIN Table2 ON Table1.f0 = Table2.f0) INNER JOIN "
                                           "Table3 ON Table2.f3 = Table3.f3;")


def test_where_group_having_order():
    rows = query(1, Row(TABLE, name1="Table1"), Row(COLUMN, "Table1.id"), Row(WHERE, "(Table1.col2 < 13)"),
                 Row(GROUP_BY, "Table1.id"), Row(GROUP_BY, "SUM(Table1.val)"), Row(HAVING, "(SUM(Table1.val) = 500)"),
                 Row(ORDER_BY, "Table1.id", name1="D"), Row(ORDER_BY, "Table2.val"), select_flags=0)
    assert sql(rows) == lines("SELECT Table1.id", "FROM Table1", "WHERE (Table1.col2 < 13)",
                              "GROUP BY Table1.id, SUM(Table1.val)", "HAVING (SUM(Table1.val) = 500)",
                              "ORDER BY Table1.id DESC, Table2.val;")


def test_append_values():
    # The Flag comes back signed (-32768) or unsigned (32768) depending on the driver.
    rows = [Row(TYPE, flag=3, name1="Table2"), Row(COLUMN, "54", 0x8000 - 0x10000), Row(COLUMN, "'hello'", 0x8000)]
    assert sql(rows) == lines("INSERT INTO Table2", "VALUES (54, 'hello');")
    rows = [Row(TYPE, flag=3, name1="Table2"), Row(COLUMN, "54", 0x8000, name2="ID"),
            Row(COLUMN, "'hello'", 0x8000, name2="Field 3")]
    assert sql(rows) == lines("INSERT INTO Table2 (ID, [Field 3])", "VALUES (54, 'hello');")


def test_type_from_object_flags_when_the_type_row_is_missing_and_unknown_otherwise():
    assert rebuild("Q", [Row(WHERE, "x")], 32).type == "delete"
    unknown = rebuild("Q", [Row(TYPE, flag=77)])
    assert unknown.type == "unknown" and unknown.error


def test_hidden_and_group_rows_from_driver_values():
    rows = [{"ObjectId": -5, "Attribute": 1, "Flag": "1", "Expression": None, "Name1": "Tab\x00", "Name2": None},
            {"ObjectId": -5, "Attribute": 6, "Flag": 0, "Expression": "Tab.x\x00", "Name1": None, "Name2": None},
            {"ObjectId": None, "Attribute": 6}]
    grouped = group_rows(rows)
    assert list(grouped) == [-5] and grouped[-5][1].expression == "Tab.x"
    assert rebuild("Q", grouped[-5], 8).hidden
