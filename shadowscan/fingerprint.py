"""Logic fingerprints: a hash of what a tool *does*, not of its bytes.

A workbook whose cell values changed, or a file copied to another folder, keeps its
fingerprint; a change to its code does not. The registry matches sanctioned tools by it.

* VBA: each module's code without ``Attribute`` lines, comments, blank lines and
  indentation, keyed by module name and sorted;
* Python: the AST (``ast.dump`` without positions), so formatting and comments don't count;
* other scripts, SQL and XLM: the text without comments, with runs of whitespace collapsed;
* Access: queries' SQL, table definitions and module code (see the Access analyzer).
"""
from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterable

from .rules.engine import strip_comment

_WS = re.compile(r"\s+")
_ATTRIBUTE = re.compile(r"^\s*Attribute\s+VB_", re.IGNORECASE)
PREFIX = "lf1:"  # bump when normalisation changes, so old fingerprints are not compared with new ones


def normalise_code(text: str, language: str) -> str:
    """Code without comments, blank lines and layout whitespace."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if language == "vba" and _ATTRIBUTE.match(line):
            continue
        code = _WS.sub(" ", strip_comment(line, language)).strip()
        if code:
            lines.append(code)
    return "\n".join(lines)


def python_logic(text: str) -> str | None:
    """The AST of a Python file, without positions; None when it does not parse."""
    try:
        return ast.dump(ast.parse(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def combine(parts: Iterable[tuple[str, str]]) -> str | None:
    """Hash of (name, normalised logic) pairs, order-independent; None when there is no logic."""
    items = sorted((name, logic) for name, logic in parts if logic)
    if not items:
        return None
    digest = hashlib.sha256()
    for name, logic in items:
        digest.update(name.encode("utf-8", "surrogatepass") + b"\x00" + logic.encode("utf-8", "surrogatepass") + b"\x01")
    return PREFIX + digest.hexdigest()
