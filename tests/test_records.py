"""Databases judged by what they store (rules/records.py): order or invoice lines are financial
records; a product list with a price and a stock count is not."""
import pytest

from shadowscan.analyzers import access
from shadowscan.model import Impact, Limits, Status
from shadowscan.rules.records import judge_table


@pytest.mark.parametrize("name,columns,financial", [
    # a line of a transaction: a quantity, a money value and references to the document and the item
    ("Order Items", ["Order_item_ID", "Order_ID", "Item_ID", "Quantity", "Total_Price"], True),
    ("Positionen", ["PosNr", "AuftragNr", "ArtikelNr", "Menge", "Preis"], True),
    ("itens_pedido", ["id", "pedido_id", "produto_id", "qtd", "valor_total"], True),
    # a product list: its own key, a price, a stock count; no document it belongs to
    ("Stationery", ["Item_ID", "Item_name", "Category", "Price", "Stock_quantity"], False),
    ("Artikel", ["ArtikelNr", "Bezeichnung", "Preis", "Mindestmenge"], False),
    # references and a quantity but no money: a pick list
    ("Picks", ["Pick_ID", "Order_ID", "Item_ID", "Quantity"], False),
    # stock lists and asset registers: references, a quantity, a price, but no document they belong to
    ("spare_parts", ["id", "part_no", "bin_no", "quantity", "unit_price"], False),
    ("Ersatzteile", ["ID", "ArtikelNr", "LagerNr", "Menge", "Preis"], False),
    ("tools", ["tool_id", "serial_number", "asset_number", "qty", "cost"], False),
    # invoice lines in Portuguese
    ("itens_nota", ["id", "fatura_id", "produto_id", "quantidade", "valor_total"], True),
])
def test_line_tables(name, columns, financial):
    assert judge_table(name, columns)[0] is financial


def test_order_lines_in_a_real_jet_file_are_a_financial_record_store(tmp_path):
    """Written by the project's JET4 writer, read through the real MDBTools ODBC driver."""
    from fixtures.jet4 import Column, Table, write_mdb

    path = tmp_path / "shop.mdb"
    write_mdb(path, tables=[
        Table("Items", [Column("Item_ID", "long"), Column("Item_name", "text"), Column("Price", "currency"),
                        Column("Stock_quantity", "long")], [(1, "Pen", 1.5, 300)]),
        Table("Order Items", [Column("Order_item_ID", "long"), Column("Order_ID", "long"), Column("Item_ID", "long"),
                              Column("Quantity", "long"), Column("Total_Price", "currency")], [(1, 7, 1, 10, 15.0)]),
    ])
    analysis = access.analyze(str(path), "mdb", Limits())
    assert analysis.status is Status.ANALYZED, analysis.reason
    store = next(f for f in analysis.findings if f.rule == "financial.record-store")
    assert store.impact is Impact.FINANCIAL
    assert [e.location for e in store.evidence] == ["table Order Items"]
