"""Scripts: Python through ``ast`` (never imported or run), the others through rules.

Python files are parsed for imports, calls and string literals; a SQL string is scanned
as SQL with evidence at the literal's line. A file that does not parse (Python 2, a
syntax error) is still scanned as text, and the fact says why. PowerShell, VBScript,
batch, SQL and R go straight to the rule engine with their language's comment and
continuation rules.
"""
from __future__ import annotations

import ast
import re

from ..fingerprint import combine, normalise_code, python_logic
from ..model import Analysis, Finding, Kind, Limits, ScriptFacts, Status
from ..readfile import TooLarge, read_bytes
from ..rules.engine import merge_findings, scan_text
from ..textio import decode

# the analyzer interface (analyzers/__init__.py): the kinds this module analyses, and whether
# it needs the file on disk rather than its bytes
KINDS = frozenset({Kind.SCRIPT})
NEEDS_FILE = False

LANGUAGES = {
    "py": "python", "ps1": "powershell", "psm1": "powershell", "vbs": "vbscript",
    "bat": "batch", "cmd": "batch", "sql": "sql", "r": "r",
    "bas": "vba", "cls": "vba", "frm": "vba",  # exported VBA modules: standard, class, form
    "vb": "vba",  # Visual Basic source: VB.NET, or VBA macros kept as text; the same rules read both
}
# .cls and .frm are also other things (a LaTeX class, other tools' forms): an exported VBA class or
# form carries the header the VBA editor writes near the top, or (exported by a source-control add-in
# without it) VBA's own options and procedures
_VBA_EXPORT = re.compile(r"^\s*(?:attribute\s+vb_name\s*=|version\s+\d+\.\d+\s+class\b|begin\s+(?:vb\.|\{)|"
                         r"option\s+(?:explicit|compare|base|private\s+module)\b|"
                         r"(?:(?:public|private|friend|static)\s+)*(?:sub|function|property\s+(?:get|let|set))\s+\w+\s*\()",
                         re.IGNORECASE | re.MULTILINE)
_SQL_HINT = re.compile(r"\b(?:select|insert|update|delete|merge|create|drop|alter|exec)\b", re.IGNORECASE)
_MAX_CONTROL_RATIO = 0.02
_FUNCTION = {
    "powershell": re.compile(r"^\s*function\s+[\w-]+", re.IGNORECASE | re.MULTILINE),
    "vbscript": re.compile(r"^\s*(?:(?:public|private)\s+)?(?:sub|function)\s+\w+", re.IGNORECASE | re.MULTILINE),
    "vba": re.compile(r"^\s*(?:(?:public|private|friend|static)\s+)*(?:sub|function|property\s+(?:get|let|set))\s+\w+",
                      re.IGNORECASE | re.MULTILINE),
    "batch": re.compile(r"^:\w+", re.MULTILINE),
    "r": re.compile(r"^\s*[\w.]+\s*<-\s*function\s*\(", re.MULTILINE),
    "sql": re.compile(r"^\s*create\s+(?:or\s+alter\s+)?(?:procedure|proc|function|view|trigger)\b",
                      re.IGNORECASE | re.MULTILINE),
}


def _unpadded(text: str) -> str:
    """The text without padding after its last line: a run of NUL bytes (a transfer or a fixed-size
    save), possibly ending in a few fill bytes (``\\xad\\xba``), is no content."""
    end = text.rfind("\n") + 1
    tail = text[end:]
    if tail.count("\x00") * 2 > len(tail):
        return text[:end]
    return text


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    language = LANGUAGES.get(fmt.lower())
    if language is None:
        return Analysis.failed(Status.UNSUPPORTED, f"no script analyzer for .{fmt} files")
    if data is None:
        try:
            data = read_bytes(path, limits.max_file_size)
        except TooLarge as exc:
            return Analysis.failed(Status.TOO_LARGE, str(exc))
    text, encoding = decode(data)
    facts: ScriptFacts = {"language": language, "encoding": encoding, "lines": text.count("\n") + 1 if text else 0}
    text = _unpadded(text)
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    if sample and controls / len(sample) > _MAX_CONTROL_RATIO:
        return Analysis.failed(
            Status.CORRUPT, f"binary content in a .{fmt} file ({controls} control or NUL characters in the first "
            f"{len(sample)} after decoding as {encoding}): not a text script", **facts)
    text = text.replace("\x00", "")
    if fmt.lower() in ("cls", "frm") and not _VBA_EXPORT.search(text[:8192]):
        return Analysis.not_an_artifact(f"a .{fmt} file without VBA (no exported module header, Option or "
                                        "procedure): no VBA module (a LaTeX class, another tool's form)")
    findings: list[Finding] = []
    if language == "python":
        findings.extend(_python(text, path, facts))
    else:
        pattern = _FUNCTION.get(language)
        if pattern:
            facts["procedures"] = len(pattern.findall(text))
    findings.extend(scan_text(text, language, "script"))
    logic = (python_logic(text) if language == "python" else None) or normalise_code(text, language)
    return Analysis(Status.ANALYZED, "", tuple(merge_findings(findings)), facts,
                    fingerprint=combine([("script", logic)]))


def _python(text: str, path: str, facts: ScriptFacts) -> list[Finding]:
    """Imports, defined functions and SQL string literals from the AST."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        facts["parse_error"] = (f"does not parse as Python 3 (line {line}: {getattr(exc, 'msg', exc)}); "
                                "scanned as text (Python 2 or a syntax error)")
        return []
    imports: set[str] = set()
    functions = 0
    findings: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imports.add(node.module)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value \
                and _SQL_HINT.search(node.value):
            findings.extend(scan_text(node.value, "sql", "script", line_offset=node.lineno - 1))
    facts["imports"] = sorted(imports)
    facts["procedures"] = functions
    return findings
