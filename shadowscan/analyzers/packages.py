"""Shared guards for the formats that are zip packages or JSON documents (Power BI, Power
Apps, Grafana, notebooks, OpenDocument): every part is read from memory, every zip is checked
for bombs before a member is inflated (:func:`excel_file.check_zip`), every JSON document is
size-capped before it is parsed, and a failure is a status with a reason, never an exception."""
from __future__ import annotations

import codecs
import io
import json
import zipfile
import zlib
from typing import Any

from ..model import Analysis, Limits, Status
from ..readfile import TooLarge, read_bytes
from .excel_file import ZIP_MAGIC, ZipRefused, check_zip

MAX_JSON = 64 * 1024 * 1024  # characters of one JSON document (a dashboard, a notebook, a schema)


class Refused(Exception):
    """The input cannot be analysed; ``analysis`` says how it ends."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.analysis = Analysis.failed(status, reason)


def file_bytes(path: str, data: bytes | None, limits: Limits) -> bytes:
    if data is not None:
        return data
    try:
        return read_bytes(path, limits.max_file_size)
    except TooLarge as exc:
        raise Refused(Status.TOO_LARGE, str(exc)) from exc


def open_zip(data: bytes, limits: Limits, what: str) -> zipfile.ZipFile:
    """The package, checked for bombs; ``Refused`` when it is damaged or would inflate too far."""
    if not data.startswith(ZIP_MAGIC):
        raise Refused(Status.CORRUPT, f"not a {what}: not a zip package (starts with {data[:8]!r})")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        check_zip(archive, limits)
        return archive
    except ZipRefused as exc:
        raise Refused(Status.TOO_LARGE, f"refused as a possible zip bomb: {exc}") from exc
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError, zlib.error) as exc:
        # NotImplementedError: a compression method or zip version Python cannot read
        raise Refused(Status.CORRUPT, f"damaged zip package ({what}): {type(exc).__name__}: {exc}") from exc


def member(archive: zipfile.ZipFile, name: str) -> bytes:
    """One member (already size-checked by :func:`open_zip`); a damaged one is ``corrupt``."""
    try:
        return archive.read(name)
    except RuntimeError as exc:  # zipfile's "File ... is encrypted, password required for extraction"
        raise Refused(Status.ENCRYPTED, f"encrypted zip member {name}: {exc}") from exc
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError, NotImplementedError, zlib.error) as exc:
        raise Refused(Status.CORRUPT, f"damaged zip member {name}: {type(exc).__name__}: {exc}") from exc


def decode_json_text(data: bytes) -> str:
    """JSON text in UTF-8 (with or without a BOM) or UTF-16 (Power BI writes UTF-16 LE)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if len(data) >= 2 and data[1:2] == b"\x00" and data[0:1] != b"\x00":
        return data.decode("utf-16-le", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def load_json(data: bytes | str, what: str) -> Any:
    """Parse one JSON document; too big, too deep or malformed ends as ``Refused``."""
    text = decode_json_text(data) if isinstance(data, bytes) else data
    if len(text) > MAX_JSON:
        raise Refused(Status.TOO_LARGE, f"{what} of {len(text):,} characters (cap {MAX_JSON:,}): not parsed")
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise Refused(Status.CORRUPT, f"{what} nested too deeply to parse") from exc
    except ValueError as exc:
        raise Refused(Status.CORRUPT, f"malformed {what}: {exc}") from exc


def walk_json(node: Any, limit: int = 200_000) -> Any:
    """Every dict inside ``node``, iteratively (no recursion on hostile nesting), at most ``limit``."""
    stack = [node]
    seen = 0
    while stack and seen < limit:
        item = stack.pop()
        if isinstance(item, dict):
            seen += 1
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
