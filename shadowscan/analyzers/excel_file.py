"""Reading an Excel workbook: the facts, no judgement.

Order matters, each step guarding the next:
1. container sniffing (OLE2 or zip; anything else is corrupt);
2. encryption (``oletools.crypto.is_encrypted``); Excel's default password
   ``VelvetSweatshop`` is tried in memory, an unknown password means ``encrypted``;
3. zip pre-check (member sizes and compression ratios) before anything inflates parts,
   because openpyxl has no zip-bomb guard;
4. VBA modules through oletools, XLM macro sheets (BIFF via oletools, OOXML by reading
   ``xl/macrosheets/`` ourselves, which oletools misses), data connections, structure (sheets,
   defined names, external links, document properties) and cell formulas through openpyxl,
   or for a binary workbook through oletools' BIFF plugin.

What comes out is a :class:`Workbook` (typed facts for the reports, and the code, macro-sheet
formulas, connections and cell formulas the rules read: :mod:`.excel` judges them), or, for a
file that cannot be read as a workbook at all, the failed :class:`Analysis` that says why.
"""
from __future__ import annotations

import io
import logging
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from xml.etree import ElementTree

from ..model import Analysis, ExcelFacts, Limits, OwnerHints, Status
from ..readfile import TooLarge, read_bytes
from ..redact import redact

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
DEFAULT_PASSWORD = "VelvetSweatshop"
MAX_FORMULA_CELLS = 20_000
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}

for _name in ("olevba", "oletools", "msoffcrypto"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


class ZipRefused(Exception):
    """The package would inflate beyond the limits (a zip bomb or just too big)."""


def check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse packages whose members inflate too far, before any part is parsed."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > limits.max_member:
            raise ZipRefused(f"zip member {info.filename} inflates to {info.file_size:,} bytes "
                             f"(cap {limits.max_member:,})")
        if info.compress_size and info.file_size / info.compress_size > limits.max_ratio \
                and info.file_size > 1 << 20:
            raise ZipRefused(f"zip member {info.filename} has compression ratio "
                             f"{info.file_size / info.compress_size:,.0f}:1 (cap {limits.max_ratio:,.0f}:1)")
    if total > limits.max_unzipped:
        raise ZipRefused(f"package inflates to {total:,} bytes (cap {limits.max_unzipped:,})")


def is_macro_package(names: list[str]) -> bool:
    """An .xlsx counts only with macro sheets, a VBA project, data connections or links."""
    return any(n.startswith(("xl/macrosheets/", "xl/externalLinks/")) or n in ("xl/connections.xml", "xl/vbaProject.bin")
               for n in names)


def ole_damage(data: bytes) -> str | None:
    """Why an OLE2 container is structurally broken (truncated, bad FAT), or None."""
    return _read_ole(data).damage


@dataclass(frozen=True)
class _OleRead:
    """One strict parse of an OLE2 container: why it is damaged, or else its BIFF workbook
    stream and owner hints, read from the same parse (see :func:`_read_ole`)."""

    damage: str | None
    stream: tuple[str, bytes] | None = None
    owner_hints: OwnerHints = field(default_factory=lambda: OwnerHints())


def _read_ole(data: bytes) -> _OleRead:
    """oletools reads damaged containers "relaxed" and reports no macros; olefile in strict
    mode, reading every stream, notices sectors that point past the end of the file. A
    container that passes is parsed exactly as a relaxed reader would parse it (strict mode
    only raises where relaxed mode would log and go on), so the workbook stream and the owner
    hints come from this parse too; where the strict reader refuses one of them, the relaxed
    reader is asked, as before."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT) as ole:
            for stream in ole.listdir(streams=True, storages=False):
                ole.openstream(stream).read()
            try:
                workbook = _stream_of(ole)
            except Exception:  # olefile raises many types on damaged containers
                workbook = _workbook_stream(data)
            try:
                hints = _hints_of(ole)
            except Exception:
                hints = _ole_owner_hints(data)
            return _OleRead(None, workbook, hints)
    except Exception as exc:  # olefile raises OleFileError, OSError, struct.error, IndexError...
        return _OleRead(f"{type(exc).__name__}: {exc}")


def _decrypt(data: bytes) -> bytes | None:
    """Decrypt with Excel's default password, in memory; None when that is not the password."""
    import msoffcrypto

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=DEFAULT_PASSWORD)
        out = io.BytesIO()
        office.decrypt(out)
        return out.getvalue()
    except Exception:  # msoffcrypto raises many types for a wrong key
        return None


def _is_encrypted(data: bytes) -> bool:
    from oletools import crypto

    try:
        return bool(crypto.is_encrypted(io.BytesIO(data)))
    except Exception:
        return False


@dataclass(frozen=True)
class MacroSheet:
    """An Excel 4.0 macro sheet: where it is, and its formulas (``None``: a binary part, not read)."""

    location: str
    formulas: tuple[str, ...] | None


@dataclass(frozen=True)
class Connection:
    """An external data connection (``xl/connections.xml``)."""

    name: str
    connection: str  # the connection string, redacted
    command: str  # the command text as the workbook holds it


@dataclass(frozen=True)
class Formula:
    """A cell formula: where (``Sheet!A1``), its text (``=...``), the header of its column in row 1
    (OOXML; "" when there is none) and whether it comes from a binary (BIFF) workbook."""

    location: str
    text: str
    header: str = ""
    binary: bool = False


@dataclass
class Workbook:
    """What was read of one workbook. ``failure``: the status and reason of a part that could not
    be read (an encrypted or damaged part after the VBA project): the analysis fails with the facts
    read up to it."""

    facts: ExcelFacts
    default_password: bool = False  # decrypted with Excel's default password
    modules: list[tuple[str, str]] = field(default_factory=list)  # VBA: (``VBA/<module>``, source)
    macro_sheets: list[MacroSheet] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    formulas: list[Formula] = field(default_factory=list)  # at most MAX_FORMULA_CELLS
    failure: tuple[Status, str] | None = None


def read_workbook(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Workbook | Analysis:
    """Read a workbook (its bytes, or the file at ``path``); a file that is no readable workbook, or
    an .xlsx/.xltx without macros, connections or links, comes back as its :class:`Analysis`."""
    if data is None:
        try:
            data = read_bytes(path, limits.max_file_size)
        except TooLarge as exc:
            return Analysis.failed(Status.TOO_LARGE, str(exc))
    if not data:
        return Analysis.failed(Status.CORRUPT, "empty file (0 bytes): not a workbook")
    book = Workbook({})
    facts = book.facts
    ole: _OleRead | None = None
    if data.startswith(OLE_MAGIC):
        facts["container"] = "ole"
        ole = _read_ole(data)
        if ole.damage:
            return Analysis.failed(Status.CORRUPT, f"damaged or truncated OLE2 file: {ole.damage}", container="ole")
        if _is_encrypted(data):
            plain = _decrypt(data)
            if plain is None:
                return Analysis.failed(
                    Status.ENCRYPTED,
                    "encrypted with a password (not Excel's default): ask the owner for the password "
                    "or an unencrypted copy to analyse it", container="ole")
            facts["encryption"] = "Excel default password (VelvetSweatshop)"
            book.default_password = True
            data = plain
            ole = None  # the decrypted workbook is another container
            if data.startswith(ZIP_MAGIC):
                facts["container"] = "zip"
    elif data.startswith(ZIP_MAGIC):
        facts["container"] = "zip"
    else:
        return Analysis.failed(Status.CORRUPT, f"not an Excel file: neither OLE2 nor zip (starts with {data[:8]!r})")

    archive: zipfile.ZipFile | None = None
    if facts["container"] == "zip":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            check_zip(archive, limits)
        except ZipRefused as exc:
            return Analysis.failed(Status.TOO_LARGE, f"refused as a possible zip bomb: {exc}", container="zip")
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError, zlib.error) as exc:
            return Analysis.failed(Status.CORRUPT, f"damaged zip package: {exc}", container="zip")
        names = archive.namelist()
        if fmt in ("xlsx", "xltx") and not is_macro_package(names):
            return Analysis.not_an_artifact("a workbook without macros, macro sheets, connections or external links")

    parser = None
    try:
        parser = _parser(path, data)
        book.modules = _vba(parser)
    except _Corrupt as exc:
        if parser is not None:
            parser.close()
        return Analysis.failed(Status.CORRUPT, str(exc), **facts)
    if archive is not None:
        parser.close()
        try:
            _ooxml_macrosheets(archive, book)
            _ooxml_connections(archive, book)
            _ooxml_structure(archive, book, fmt)
        except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required for extraction"
            book.failure = (Status.ENCRYPTED, f"encrypted workbook part: {exc}")
        except (zipfile.BadZipFile, EOFError, ValueError, KeyError, OSError, NotImplementedError, zlib.error,
                ElementTree.ParseError) as exc:
            book.failure = (Status.CORRUPT, f"damaged workbook part: {exc}")
    else:
        # read once: macro-sheet check and formulas both need it (from the damage check's parse)
        stream = ole.stream if ole is not None else _workbook_stream(data)
        try:  # the same parser: its VBA is extracted, now its macro sheets (one parse per .xls)
            _ole_xlm(parser, stream, book)
        finally:
            parser.close()
        _biff_formulas(stream, book)
        facts["owner_hints"] = ole.owner_hints if ole is not None else _ole_owner_hints(data)
    return book


class _Corrupt(Exception):
    pass


def _parser(path: str, data: bytes) -> Any:
    """oletools' ``VBA_Parser`` over the bytes, opened once per workbook."""
    from oletools.olevba import OlevbaBaseException, VBA_Parser

    try:
        return VBA_Parser(path, data=data)
    except OlevbaBaseException as exc:
        raise _Corrupt(f"oletools cannot open it: {exc}") from exc
    except Exception as exc:  # oletools raises AttributeError etc. on fuzzed OLE files
        raise _Corrupt(f"damaged file: oletools failed with {type(exc).__name__}: {exc}") from exc


def _vba(parser: Any) -> list[tuple[str, str]]:
    """VBA modules through the parser (not closed here: an .xls asks it for XLM next)."""
    try:
        if not parser.detect_vba_macros():
            return []
        modules = []
        for _subfile, stream_path, vba_filename, code in parser.extract_macros():
            name = vba_filename.rsplit(".", 1)[0] if vba_filename else stream_path.rsplit("/", 1)[-1]
            if isinstance(code, bytes):
                code = code.decode("latin-1")
            modules.append((f"VBA/{name}", code))
    except Exception as exc:
        raise _Corrupt(f"damaged VBA project: {type(exc).__name__}: {exc}") from exc
    return modules


BOUNDSHEET, EOF_RECORD, MACRO_SHEET = 0x0085, 0x000A, 0x01


def _workbook_stream(data: bytes) -> tuple[str, bytes] | None:
    """(name, bytes) of the BIFF workbook stream of an OLE2 file; None when there is none or
    the container cannot be opened (the callers then leave the decision to oletools)."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return _stream_of(ole)
    except Exception:  # olefile raises many types on damaged containers
        return None


def _stream_of(ole: Any) -> tuple[str, bytes] | None:
    name = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
    return (name, ole.openstream(name).read()) if name else None


def _has_macro_sheet(stream: tuple[str, bytes] | None) -> bool:
    """Whether a BIFF workbook declares an Excel 4.0 macro sheet: the sheet type byte of the
    BOUNDSHEET records at the start of the workbook stream (MS-XLS 2.4.28). True when unsure
    (no stream read), so that oletools decides."""
    import struct

    if stream is None:
        return True
    raw = stream[1]
    pos = 0
    while pos + 4 <= len(raw):
        kind, size = struct.unpack_from("<HH", raw, pos)
        if kind == BOUNDSHEET and size >= 6 and pos + 10 <= len(raw) and raw[pos + 9] == MACRO_SHEET:
            return True
        if kind == EOF_RECORD:
            return False  # end of the workbook globals, where all BOUNDSHEET records are
        pos += 4 + size
    return True


def _ole_xlm(parser: Any, stream: tuple[str, bytes] | None, book: Workbook) -> None:
    """Excel 4.0 macro sheets in BIFF (.xls) through oletools' BIFF plugin, asked of the parser
    that extracted the VBA (after it: asked before, the XLM would be listed as a VBA module)."""
    if not _has_macro_sheet(stream):
        return  # oletools' own check parses every formula of the workbook to find out
    try:
        if not parser.detect_xlm_macros():
            return
        lines = [str(x) for x in (parser.xlm_macros or [])]
    except Exception as exc:
        book.facts["xlm_error"] = f"oletools BIFF plugin failed: {type(exc).__name__}"
        return
    book.facts["xlm_cells"] = len(lines)
    book.macro_sheets.append(MacroSheet("XLM macro sheet (BIFF)", tuple(lines)))


def _biff_formulas(stream: tuple[str, bytes] | None, book: Workbook) -> None:
    """Cell formulas of a binary (BIFF8) workbook, decoded by oletools' BIFF plugin (the
    oledump plugin olevba itself uses for XLM). BIFF keeps column headers in the shared string
    table, which the plugin does not list, so the formulas come without headers."""
    import csv

    from oletools.thirdparty.oledump.plugin_biff import cBIFF

    if stream is None:
        return
    try:
        lines = cBIFF(name=[stream[0]], stream=stream[1], options="-c -r LN").Analyze()
    except Exception as exc:  # the plugin raises many types on odd records
        book.facts["formula_error"] = f"BIFF formulas not read: oletools BIFF plugin failed with {type(exc).__name__}"
        return
    cells = 0
    for row in csv.reader(lines[1:]):
        if len(row) < 3 or not row[2].strip():
            continue
        cells += 1
        if cells > MAX_FORMULA_CELLS:
            book.facts["formula_note"] = f"only the first {MAX_FORMULA_CELLS:,} formulas were read"
            break
        book.formulas.append(Formula(f"{row[0].strip()}!{row[1].strip()}", "=" + row[2].strip(), binary=True))
    book.facts["formula_cells"] = min(cells, MAX_FORMULA_CELLS)


def _parse_part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(archive.read(name))


def _ooxml_macrosheets(archive: zipfile.ZipFile, book: Workbook) -> None:
    """``xl/macrosheets/*.xml``: formulas of Excel 4.0 macro sheets (oletools' blind spot)."""
    cells = 0
    for name in sorted(n for n in archive.namelist() if n.startswith("xl/macrosheets/")):
        if not name.endswith(".xml"):
            book.macro_sheets.append(MacroSheet(name, None))
            continue
        formulas = []
        for cell in _parse_part(archive, name).iterfind(".//m:sheetData/m:row/m:c", NS):
            f = cell.find("m:f", NS)
            if f is not None and f.text:
                formulas.append(f"{cell.get('r', '?')}: ={f.text}")
        cells += len(formulas)
        book.macro_sheets.append(MacroSheet(name, tuple(formulas)))
    if cells:
        book.facts["xlm_cells"] = cells


def _ooxml_connections(archive: zipfile.ZipFile, book: Workbook) -> None:
    """``xl/connections.xml``: external data connections (ODBC/OLEDB) and their commands."""
    if "xl/connections.xml" not in archive.namelist():
        return
    connections = []
    for conn in _parse_part(archive, "xl/connections.xml").iterfind("m:connection", NS):
        name = conn.get("name", "?")
        db = conn.find("m:dbPr", NS)
        conn_str = redact(db.get("connection", "")) if db is not None else ""
        command = db.get("command", "") if db is not None else ""
        connections.append({"name": name, "connection": conn_str, "command": redact(command)})
        book.connections.append(Connection(name, conn_str, command))
    book.facts["connections"] = connections


def _ooxml_structure(archive: zipfile.ZipFile, book: Workbook, fmt: str) -> None:
    """Sheets, defined names, external links, document properties and formulas via openpyxl."""
    facts = book.facts
    if fmt == "xlsb":
        facts["structure"] = "xlsb: binary parts, sheet structure not read"
        return
    import openpyxl

    archive.fp.seek(0)  # type: ignore[union-attr]
    buffer = io.BytesIO(archive.fp.read())  # type: ignore[union-attr]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(buffer, read_only=True, keep_vba=False, keep_links=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types; the VBA analysis above still stands
        facts["structure_error"] = f"openpyxl could not read the workbook: {type(exc).__name__}: {exc}"
        return
    try:
        props = wb.properties
        facts["owner_hints"] = _hints(author=props.creator, last_modified_by=props.lastModifiedBy, title=props.title,
                                      modified=props.modified.isoformat() if props.modified else None)
        facts["sheets"] = list(wb.sheetnames)
        facts["defined_names"] = sorted(wb.defined_names.keys())[:200]
        links = []
        for link in getattr(wb, "_external_links", []):
            target = getattr(getattr(link, "file_link", None), "Target", None)
            if target:
                links.append(redact(target))
        if links:
            facts["external_links"] = links
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book.formulas.extend(_formulas(wb))
    finally:
        wb.close()


def _formulas(wb: Any) -> Iterator[Formula]:
    """The first MAX_FORMULA_CELLS formulas of the worksheets, each with the header of its column
    (row 1). The cells are the ones the sheet XML holds (:func:`_sheet_cells`), never every cell of
    the declared dimension: a sheet whose formatting reaches row 1,048,576 costs what its XML
    costs, not 17 billion empty cells."""
    from openpyxl.utils import get_column_letter

    seen = 0
    for ws in wb.worksheets:
        if not hasattr(ws, "iter_rows"):
            continue
        headers: dict[int, str] = {}
        for number, row, column, value in _sheet_cells(wb, ws):
            if number == 1 and isinstance(value, str) and not value.startswith("="):
                headers[column] = value
            if not (isinstance(value, str) and value.startswith("=")):
                continue
            seen += 1
            if seen > MAX_FORMULA_CELLS:
                return
            yield Formula(f"{ws.title}!{get_column_letter(column)}{row}", value, headers.get(column, ""))


def _sheet_cells(wb: Any, ws: Any) -> Iterator[tuple[int, int, int, Any]]:
    """(row number as read, cell row, cell column, value) of the cells a read-only sheet's XML
    holds, in the order and with the values ``ws.iter_rows()`` gives them (openpyxl's own
    sheet parser: shared strings, shared formulas translated; rows and columns beyond a
    declared dimension are dropped as openpyxl drops them), but without the empty cells
    ``iter_rows`` makes up for every gap of the declared range. Only row 1 (headers) and
    cells that can hold a string are decoded; a number or a style-only cell costs one
    look at its element."""
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    if not hasattr(ws, "_get_source"):  # not a read-only sheet: openpyxl's own iteration
        for number, cells in enumerate(ws.iter_rows(), 1):
            for cell in cells:
                value = getattr(cell, "value", None)
                if value is not None:
                    yield number, cell.row, cell.column, value
        return

    class _Parser(WorkSheetParser):  # type: ignore[misc]  # openpyxl ships no type information
        def parse_cell(self, element: Any) -> dict[str, Any]:
            if self.row_counter == 1 or element.get("t") in _STRING_TYPES or element.find(FORMULA_TAG) is not None:
                return cast(dict[str, Any], super().parse_cell(element))
            coordinate = element.get("r")  # the rest of parse_cell's bookkeeping, value left out
            if coordinate:
                row, column = coordinate_to_tuple(coordinate)
                self.col_counter = column
            else:
                self.col_counter += 1
                row, column = self.row_counter, self.col_counter
            return {"row": row, "column": column, "value": None}

    max_row, max_col = ws.max_row, ws.max_column
    counter = 1
    with ws._get_source() as source:
        parser = _Parser(source, ws._shared_strings, data_only=wb.data_only, epoch=wb.epoch,
                         date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        for number, cells in parser.parse():
            if max_row is not None and number > max_row:
                break
            if number < counter:
                continue  # a row repeated or out of order: iter_rows skips it
            counter = number + 1
            if not cells:
                continue
            last = max_col or cells[-1]["column"]
            by_column: dict[int, dict[str, Any]] = {}
            for cell in cells:  # iter_rows places cells by column; a later one replaces an earlier
                if 1 <= cell["column"] <= last:
                    by_column[cell["column"]] = cell
            for column in sorted(by_column):
                cell = by_column[column]
                if cell["value"] is not None:
                    yield number, cell["row"], column, cell["value"]


_STRING_TYPES = frozenset({"s", "str", "inlineStr"})


def _ole_owner_hints(data: bytes) -> OwnerHints:
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return _hints_of(ole)
    except Exception:
        return {}


def _hints_of(ole: Any) -> OwnerHints:
    meta = ole.get_metadata()

    def text(attr: str) -> str | None:
        value = getattr(meta, attr, None)
        if isinstance(value, bytes):
            value = value.decode("cp1252", errors="replace")
        return str(value) if value else None

    return _hints(author=text("author"), last_modified_by=text("last_saved_by"), title=text("title"))


def _hints(**names: str | None) -> OwnerHints:
    """The owner hints that were found, in the order given."""
    return cast(OwnerHints, {key: value for key, value in names.items() if value})
