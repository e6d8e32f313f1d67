"""Vocabulary as data: every language file loads, and each language's terms are found in
identifiers the way code writes them (split, accents and width folded, abbreviations)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shadowscan.rules import vocab

FOLDER = Path(vocab.__file__).parent / "vocabulary"
LANGUAGES = ("en", "de", "pl", "cs", "fr", "it", "es", "pt", "nl", "tr", "zh", "ja", "ko")


def test_one_file_per_language_with_every_class():
    files = {p.stem for p in FOLDER.glob("*.json")}
    assert set(LANGUAGES) <= files
    for code in LANGUAGES:
        data = json.loads((FOLDER / f"{code}.json").read_text(encoding="utf-8"))
        for name in ("money", "money_document", "quality", "decision_quality"):
            assert data[name] and all(isinstance(t, str) and t.strip() for t in data[name]), (code, name)


@pytest.mark.parametrize("language,identifier,klass", [
    ("en", "curUnitPrice", "money"), ("en", "invoiceTotal", "money_document"), ("en", "TEST_LIMIT", "limit"),
    ("en", "amtTot", "money"), ("en", "qty", "quantity"), ("en", "nextCalibrationDue", "due"),
    ("de", "Materialkosten", "money"), ("de", "RechnungsNr", "money_document"), ("de", "Prüfgrenze", "limit"),
    ("de", "Gesamtbetrag", "money"),
    ("pl", "cena_jednostkowa", "money"), ("pl", "FakturaVAT", "money_document"), ("pl", "tolerancjaGorna", "quality"),
    ("cs", "celkováCena", "money"), ("cs", "cisloFaktury", "money_document"), ("cs", "kalibraceDatum", "quality"),
    ("fr", "prixUnitaire", "money"), ("fr", "numFacture", "money_document"), ("fr", "controleQualite", "quality"),
    ("it", "prezzoTotale", "money"), ("it", "numeroFattura", "money_document"), ("it", "tolleranzaMax", "quality"),
    ("es", "dblPrecio", "money"), ("es", "ValorVenta", "money"), ("es", "hojaCotizacion", "money_document"),
    ("es", "inspeccionFinal", "quality"),
    ("pt", "PREÇO UNITÁRIO", "money"), ("pt", "valorICMS", "money"), ("pt", "numNotaFiscal", "money_document"),
    ("pt", "calibração", "quality"),
    ("nl", "totaalPrijs", "money"), ("nl", "factuurNummer", "money_document"), ("nl", "keuringDatum", "quality"),
    ("tr", "birimFiyat", "money"), ("tr", "faturaNo", "money_document"), ("tr", "kalibrasyonTarihi", "quality"),
    ("zh", "单价", "money"), ("zh", "发票号码", "money_document"), ("zh", "检验结果", "quality"),
    ("ja", "消費税額", "money"), ("ja", "請求書番号", "money_document"), ("ja", "検査結果", "quality"),
    ("ko", "단가", "money"), ("ko", "견적서", "money_document"), ("ko", "불량", "quality"),
])
def test_term_found_in_identifiers(language, identifier, klass):
    words = vocab.split_identifiers(identifier)
    assert klass in vocab.classes_of(words), (language, identifier, words)


@pytest.mark.parametrize("text", [
    "concurrency", "placeholder", "private", "syntax", "syntaxes", "recursive", "nominal", "imported",
    "precondition", "terminal", "newinstance", "xlDoubleQuote", "LeftMargin", "costTime", "cost_seconds",
    "ColumnWidth", "manufacturer", "commanded", "customer", "coutput", "scraping", "SAP", "tribute",
])
def test_programming_words_are_not_money(text):
    words = vocab.split_identifiers(text)
    assert not vocab.FINANCIAL.search(words), (text, vocab.FINANCIAL.findall(words))


@pytest.mark.parametrize("raw,folded", [
    ("scrapCost_EUR", "scrap cost eur"), ("dblPrecio", "dbl precio"), ("PDFInvoice2024", "pdf invoice 2024"),
    ("ＱＴＹ", "quantity"), ("PREÇO", "preco"), ("Łódź", "lodz"), ("n.i.O.", "n.i.o."),
])
def test_split_and_fold(raw, folded):
    assert vocab.split_identifiers(raw) == folded


def test_decision_literals_come_from_every_language():
    import re

    pattern = re.compile(vocab.DECISION_LITERAL, re.IGNORECASE)
    for value in ("FAIL", "NG", "n.i.O.", "niezgodny", "nevyhovuje", "non conforme", "scartato", "rechazado",
                  "reprovado", "afgekeurd", "uygun değil", "不合格", "不良品", "불합격", "Not Acceptable"):
        assert pattern.fullmatch(value) or pattern.fullmatch(vocab.fold(value)), value
