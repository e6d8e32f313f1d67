"""Systems of record: a database is judged by what its tables store (POLICY.md).

A back end whose tables hold the ledger, payables, receivables, payroll, invoices or
prices, or inspection results, calibration records or test limits, is where a plant's
financial or quality data lives, whether or not it has write statements of its own (its
front end writes into it) and even while it is an empty template. A table is judged by
its name and its columns:

* **financial records**: two or more money columns (amount, price, tax, debit, ...), or
  one in a table named for a money document or a book (invoice, order, ledger, payroll);
* **quality records**: two or more columns that are quality data (results, limits,
  pass/fail, due dates, calibration), at least one of them quality or a limit, or one
  such column in a table named for quality (inspection, calibration, test).

A lookup table with one price column, a customer list or a sample register is neither.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..model import Evidence, Finding
from . import catalogue, vocab

MAX_TABLES_SHOWN = 20
_DECISION_COLUMN = re.compile(r"^(?:" + vocab.DECISION_LITERAL + r")$", re.IGNORECASE)

FINANCIAL_STORE = catalogue.rule("financial.record-store")
QUALITY_STORE = catalogue.rule("quality.record-store")


def money_columns(columns: Iterable[str]) -> list[str]:
    return [c for c in columns if vocab.MONEY.search(vocab.split_identifiers(c))]


def quality_columns(columns: Iterable[str]) -> tuple[list[str], list[str]]:
    """(quality-data columns, the strong ones among them: quality vocabulary, limits, pass/fail)."""
    data, strong = [], []
    for column in columns:
        words = vocab.split_identifiers(column)
        is_strong = vocab.QUALITY.search(words) or vocab.LIMIT_NAME.search(words) or _DECISION_COLUMN.match(words)
        if is_strong or vocab.DUE.search(words) or vocab.MEASUREMENT.search(words):
            data.append(column)
            if is_strong:
                strong.append(column)
    return data, strong


_REFERENCE = re.compile(r"(?:^|[\s_])(?:id|no|nr|num|number|key|ref)$|[a-z](?:ID|Id|No|Nr)$")
# the document a line belongs to: an order in the languages of the vocabulary (an invoice, quote or
# purchase order is a money document there already; "order" alone is also a sort order, so only here)
_ORDER = re.compile(r"\b(?:order|auftrag|bestellung|pedido|encomenda|commande|ordine|zam[oó]wieni\w*|bestelling|"
                    r"sipari[sş]|objedn[aá]vk\w*|订单|注文|주문)", re.IGNORECASE)


def _line_table(columns: list[str]) -> bool:
    """A line of a transaction: a quantity, and references to two other records, one of them a
    document that carries money (order_id, item_id, quantity, total_price; AuftragNr, ArtikelNr,
    Menge, Preis). A stock list or an asset register (part_no, bin_no, qty, unit_price) is not."""
    if not any(vocab.QUANTITY.search(vocab.split_identifiers(c)) for c in columns):
        return False
    references = [c for c in columns if _REFERENCE.search(c.strip()) or _REFERENCE.search(c.strip().lower())]
    if references and references[0] == columns[0]:
        references = references[1:]  # the table's own key
    documents = [c for c in references if _ORDER.search(words := vocab.split_identifiers(c)) or
                 vocab.MONEY_DOCUMENT.search(words)]
    return len(references) >= 2 and bool(documents)


def judge_table(name: str, columns: list[str]) -> tuple[bool, list[str], bool, list[str]]:
    """(financial?, money columns, quality?, quality columns) for one table."""
    name_words = vocab.split_identifiers(name)
    money = money_columns(columns)
    money_name = vocab.MONEY_DOCUMENT.search(name_words) or vocab.LEDGER.search(name_words) \
        or vocab.MONEY.search(name_words)
    financial = len(money) >= 2 or (len(money) >= 1 and bool(money_name)) or (len(money) >= 1 and _line_table(columns))
    data, strong = quality_columns(columns)
    quality_name = bool(vocab.QUALITY.search(name_words))
    quality = (len(data) >= 2 and bool(strong)) or (len(data) >= 1 and quality_name)
    return financial, money, quality, data


def judge_tables(tables: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Record-store findings for the tables of one database, evidence per table."""
    found: dict[str, list[Evidence]] = {FINANCIAL_STORE.id: [], QUALITY_STORE.id: []}
    for table in tables:
        name, columns = str(table["name"]), [str(c) for c in table.get("columns") or []]
        financial, money, quality, data = judge_table(name, columns)
        rows = table.get("rows")
        size = f"{rows:,} rows" if isinstance(rows, int) else "rows not counted"
        if financial:
            found[FINANCIAL_STORE.id].append(Evidence(f"table {name}", None, f"{size}; columns {', '.join(money[:6])}"))
        if quality:
            found[QUALITY_STORE.id].append(Evidence(f"table {name}", None, f"{size}; columns {', '.join(data[:6])}"))
    out = []
    for info in (FINANCIAL_STORE, QUALITY_STORE):
        evidence = found[info.id]
        if evidence:
            # tables with rows first: a filled ledger says more than an empty work table
            evidence.sort(key=lambda e: e.snippet.startswith("0 rows"))
            out.append(info.finding(evidence[:MAX_TABLES_SHOWN]))
    return out
