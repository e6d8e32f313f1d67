"""JSON: the documented contract (``shadowscan/report-v1``), written as it is read.

The small sections are indented; ``artifacts`` and ``tools`` are lists with one element a
line, and the path lists of ``changes`` one list a line: the same JSON for a parser, written
piece by piece with the C encoder (an indented dump of 100,000 artifacts takes the pure-Python
encoder and holds the whole text).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import IO, Any

from ..textio import json_visible
from .view import Changes, Report

ONE_A_LINE = frozenset({"artifacts", "tools"})


def _text(value: Any, indent: int | None = None) -> str:
    """Control and bidi characters travel as ``\\uXXXX`` escapes (the same data, nothing raw)."""
    return json_visible(json.dumps(value, indent=indent, ensure_ascii=False))


def _items(out: IO[bytes], items: Iterable[Any]) -> None:
    out.write(b"[")
    first = True
    for item in items:
        out.write(("\n    " if first else ",\n    ").encode() + _text(item).encode("utf-8"))
        first = False
    out.write(b"\n  ]" if not first else b"]")


def _line(out: IO[bytes], value: Any) -> None:
    """A value on one line; a list that is read as it is written (the ``changes`` paths) item by item."""
    if isinstance(value, (str, int, float, bool, dict, list, tuple, Mapping)) or value is None:
        out.write(_text(value).encode("utf-8"))
        return
    out.write(b"[")
    for n, item in enumerate(value):
        out.write((", " if n else "").encode() + _text(item).encode("utf-8"))
    out.write(b"]")


def write(report: Report, out: IO[bytes]) -> None:
    out.write(b"{")
    for n, (key, value) in enumerate(report.sections()):
        out.write(("\n  " if n == 0 else ",\n  ").encode() + _text(key).encode("utf-8") + b": ")
        if key in ONE_A_LINE:
            _items(out, value)
        elif isinstance(value, Changes):
            out.write(b"{")
            for m, (k, v) in enumerate(value.lists()):
                out.write(("\n    " if m == 0 else ",\n    ").encode() + _text(k).encode("utf-8") + b": ")
                _line(out, v)
            out.write(b"\n  }")
        elif isinstance(value, list) and value:  # the migration cards: one at a time, indented as one dump would be
            for m, item in enumerate(value):
                text = ("[" if m == 0 else ",") + "\n  " + _text(item, 2).replace("\n", "\n  ")
                out.write(text.replace("\n", "\n  ").encode("utf-8"))
            out.write(b"\n  ]")
        else:
            out.write(_text(value, 2).replace("\n", "\n  ").encode("utf-8"))
    out.write(b"\n}\n")
