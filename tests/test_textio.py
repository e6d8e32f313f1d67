import codecs

from shadowscan.textio import decode

TEXT = "Prüfgrenze = Toleranz * 2 ' łódź"


def test_utf8():
    assert decode(TEXT.encode("utf-8")) == (TEXT, "utf-8")


def test_utf8_bom():
    assert decode(codecs.BOM_UTF8 + TEXT.encode("utf-8")) == (TEXT, "utf-8-sig")


def test_utf16_with_and_without_bom():
    assert decode(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")) == (TEXT, "utf-16-le")
    assert decode(TEXT.encode("utf-16-le")) == (TEXT, "utf-16-le")
    assert decode(TEXT.encode("utf-16-be")) == (TEXT, "utf-16-be")


def test_legacy_code_pages():
    assert decode("Prüfgrenze Kosten".encode("cp1252")) == ("Prüfgrenze Kosten", "cp1252")
    assert decode("Koszt złomu, łączna wartość".encode("cp1250")) == ("Koszt złomu, łączna wartość", "cp1250")


def test_invalid_bytes_never_raise():
    text, encoding = decode(bytes(range(256)) * 3)
    assert isinstance(text, str) and encoding
