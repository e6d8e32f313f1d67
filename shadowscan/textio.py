"""Turn the bytes of a script into text without guessing wrong silently.

Plant scripts come as UTF-8, UTF-8 with BOM, UTF-16 from PowerShell ISE and cp1252 or
cp1250 from old Windows editors. :func:`decode` returns the text and the encoding it
used, so a finding can say how a file was read.
"""
from __future__ import annotations

import codecs
import re
from typing import Any

from .redact import redact

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Bytes that mark cp1250 (Polish/Czech) rather than cp1252 in the 0x80-0xFF range:
# ą ś ź Ą Ś Ź ł Ł ż Ż in cp1250 are 0xB9 0x9C 0x9F 0xA5 0x8C 0x8F 0xB3 0xA3 0xBF 0xAF.
_CP1250_HINTS = frozenset(b"\xb9\x9c\x9f\xa5\x8c\x8f\xb3\xa3")


def decode(data: bytes) -> tuple[str, str]:
    """Decode script bytes; returns (text, encoding name). Never raises."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name.replace("-sig", ""), errors="replace"), name
    sample = data[:4096]
    if len(sample) >= 4:
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > half * 0.4 and even_nuls < half * 0.05:
            return data.decode("utf-16-le", errors="replace"), "utf-16-le"
        if even_nuls > half * 0.4 and odd_nuls < half * 0.05:
            return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    high = {b for b in data if b >= 0x80}
    name = "cp1250" if high & _CP1250_HINTS else "cp1252"
    return data.decode(name, errors="replace"), name


MAX_RUN = 1024  # characters of one whitespace-free run that pattern matching sees
_LONG_RUN = re.compile(rf"(?<!\S)\S{{{MAX_RUN + 1},}}")


def bound_runs(text: str, limit: int = MAX_RUN) -> str:
    """``text`` with every run of more than ``limit`` non-space characters (a 300 KB hex
    literal, a base64 blob) cut to its first and last ``limit // 2`` characters around ``…``.

    No identifier, keyword or statement is that long, and pattern matching over such runs
    can cost time in the square of their length; cut, every rule sees at most ``limit``
    characters at a time. A run is redacted before it is cut, so a cut never leaves part
    of a password unmasked."""
    if len(text) <= limit:
        return text

    def cut(match: re.Match[str]) -> str:
        run = redact(match.group(0))
        half = limit // 2
        return run if len(run) <= limit else run[:half] + "…" + run[-half:]

    return _LONG_RUN.sub(cut, text)


# Characters that change how text around them is shown: C0/C1 controls (ESC, BEL, CR), DEL,
# bidirectional overrides and isolates (U+202E turns "x\u202egpj.xlsm" into "xmslx.jpg"),
# line/paragraph separators and invisible spaces.
_INVISIBLE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
_SHOWN = re.compile(f"[{_INVISIBLE}]")
_SHOWN_ALL = re.compile(f"[\t\n{_INVISIBLE}]")  # one-line outputs (CSV cells, the terminal) also escape tab and LF


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, one_line: bool = False) -> str:
    """``text`` for display: every control, bidi and invisible character shown as an escape
    (``\\x1b``, ``\\u202e``), so nothing from a scanned file can move the cursor, ring the
    terminal, split a CSV row or reorder what a reader sees. ``one_line`` also escapes tab
    and line feed."""
    pattern = _SHOWN_ALL if one_line else _SHOWN
    return pattern.sub(_escape, text) if pattern.search(text) else text


def visible_deep(value: Any, one_line: bool = False) -> Any:
    """:func:`visible` over every string of a JSON-like structure (keys included)."""
    if isinstance(value, str):
        return visible(value, one_line)
    if isinstance(value, dict):
        return {visible_deep(k, one_line): visible_deep(v, one_line) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [visible_deep(v, one_line) for v in value]
    return value


def json_visible(text: str) -> str:
    """JSON text with every control, bidi and invisible character as a ``\\uXXXX`` escape:
    the same data for a parser, nothing raw for a reader (JSON escapes C0 itself)."""
    return _SHOWN.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
