"""Turn the bytes of a script into text without guessing wrong silently.

Plant scripts come as UTF-8, UTF-8 with BOM, UTF-16 from PowerShell ISE and cp1252 or
cp1250 from old Windows editors. :func:`decode` returns the text and the encoding it
used, so a finding can say how a file was read.
"""
from __future__ import annotations

import codecs
import re

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
_LONG_RUN = re.compile(r"(?<!\S)\S{%d,}" % (MAX_RUN + 1))


def bound_runs(text: str, limit: int = MAX_RUN) -> str:
    """``text`` with every run of more than ``limit`` non-space characters (a 300 KB hex
    literal, a base64 blob) cut to its first and last ``limit // 2`` characters around ``…``.

    No identifier, keyword or statement is that long, and pattern matching over such runs
    can cost time in the square of their length; cut, every rule sees at most ``limit``
    characters at a time. A run is redacted before it is cut, so a cut never leaves part
    of a password unmasked."""
    if len(text) <= limit:
        return text
    from .redact import redact

    def cut(match: re.Match[str]) -> str:
        run = redact(match.group(0))
        half = limit // 2
        return run if len(run) <= limit else run[:half] + "…" + run[-half:]

    return _LONG_RUN.sub(cut, text)
