"""Follow values within a procedure: what it computes from money or measurements, and where
the result goes.

A keyword says what a tool is about; what makes it shadow IT is what it *does* with such
values (POLICY.md, "How the rule reads on real tools"). Per procedure (a VBA/VBScript
Sub or Function, a Python/PowerShell/R function, the module's top-level code; SQL and
batch files as a whole) this module looks at the logical lines the engine produced and
finds, with evidence at the line that computes and the line that writes:

* **prices**: a price, amount or tax computed by multiplying money by a quantity or a
  rate (``qty * price``, ``subtotal * 0.18``, ``partCost * (1 + markup)``) and written to
  a cell, a record, a file or a document;
* **documents that carry money**: a procedure that names an invoice, quote, purchase
  order or pay slip and exports, prints, saves, mails or files it as a new record;
* **registers**: money amounts written into the next empty row or a new record;
* **records**: a new or edited record whose fields are money or quality data;
* **status decisions**: a status (FAIL/NG, OVERDUE, "Not acceptable") set in a
  procedure that compares values against a limit or a date;
* **due dates**: a calibration or inspection due date computed from an interval.

Summing, subtracting and showing money (totals, variances, dashboards) is not pricing:
only multiplication by a quantity or a rate, or adding a tax, is.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

from ..model import Family, Impact, Severity
from . import catalogue, vocab
from .literals import Checked
from .rule import VB_DIALECTS

I = re.IGNORECASE  # noqa: E741 - the re module's own short name (re.I)

Flow = tuple[str, Family, str, Severity, Impact, tuple[int, ...]]  # rule, family, title, severity, impact, unit indexes



def _meta(rule_id: str) -> tuple[str, Family, str, Severity, Impact]:
    """A flow rule's tuple; flows always prove an impact."""
    rule_id, family, title, severity, impact = catalogue.rule(rule_id).meta
    assert impact is not None, rule_id
    return rule_id, family, title, severity, impact


PRICES = _meta("financial.prices")
DOCUMENTS = _meta("financial.issues-documents")
REGISTER = _meta("financial.register")
QUAL_RECORDS = _meta("quality.writes")
STATUS = _meta("quality.decision")
DUE_DATES = _meta("quality.due-dates")
LIMIT_TABLE = _meta("quality.limit-table")

# procedures ------------------------------------------------------------------------------
_HEADERS = {
    "vba": re.compile(r"^\s*(?:(?:public|private|friend|static)\s+)*(?:sub|function|property\s+(?:get|let|set))\s+\w+", I),
    "powershell": re.compile(r"^\s*function\s+[\w-]+", I),
    "r": re.compile(r"^\s*[\w.]+\s*(?:<-|=)\s*function\s*\(", I),
}
_HEADERS["vbscript"] = _HEADERS["basic"] = _HEADERS["vba"]
_VB_FUNCTION = re.compile(r"^\s*(?:(?:public|private|friend|static)\s+)*(?:function|property\s+get)\s+(\w+)", I)
_PY_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+\w+|^(\s*)class\s+\w+")


def procedures(text: str, language: str) -> list[tuple[int, int]]:
    """(first line, last line) of each procedure, 1-based; lines outside any are one more span."""
    lines = text.splitlines()
    spans: list[tuple[int, int]] = []
    if language == "python":
        stack: list[tuple[int, int]] = []  # (indent, start)
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip())
            while stack and indent <= stack[-1][0]:
                _, start = stack.pop()
                spans.append((start, number - 1))
            match = _PY_DEF.match(line)
            if match and match.group(0).lstrip().startswith(("def", "async")):
                stack.append((indent, number))
        spans += [(start, len(lines)) for _, start in stack]
    elif language in _HEADERS:
        starts = [n for n, line in enumerate(lines, 1) if _HEADERS[language].match(line)]
        spans = [(s, (starts[i + 1] - 1) if i + 1 < len(starts) else len(lines)) for i, s in enumerate(starts)]
    spans.sort()
    # nested spans (methods in methods) keep their own lines; the rest of the file is one procedure
    return spans


# what a line does ------------------------------------------------------------------------
_ISSUE = {
    "vb": Checked(re.compile(r"\.exportasfixedformat\b|\.printout\b|\.saveas\b|\.savecopyas\b|\bdocmd\.(?:outputto|sendobject)\b|"
                     r"\.attachments\.add\b|\.send\b|\bworkbooks\.add\b|\.copy\s*$|\.copy\s+after\s*:=|\.copy\s+before\s*:=|"
                     r"\bopen\b.+\bfor\s+(?:output|append)\b|\.createtextfile\b", I)),
    "python": Checked(re.compile(r"\.save\(|\.to_(?:excel|csv|pdf|sql)\(|\.output\(|\.build\(|canvas\.canvas\(|"
                         r"\bsend_message\(|\.sendmail\(|\bopen\([^)]*['\"][wa]", I)),
    "other": Checked(re.compile(r"\b(?:export-\w+|out-file|set-content|add-content|send-mailmessage)\b|\bwrite\.(?:csv2?|xlsx)\(|"
                        r"\bwrite_xlsx\(|\bsaveworkbook\(|\bsend\.mail\(", I)),
}
_RECORD = {
    "vb": Checked(re.compile(r"\.addnew\b|\binsert\s+into\b|\blistrows\.add\b|\.insert\s+shift\b|\bselection\.insert\b|"
                     r"\.pastespecial\b|\bdocmd\.runsql\b|\.end\(xlup\)\.row\s*\+\s*1|\.end\(xlup\)\.offset\(1", I)),
    "python": Checked(re.compile(r"\binsert\s+into\b|\bws\.append\(|\.append\(\s*\[|\.add\(|\.commit\(\)|\.to_sql\("
                                 r"|writerow", I)),
    "other": Checked(re.compile(r"\binsert\s+into\b|\bupdate\s+\S+\s+set\b|\bexport-csv\b.*-append|\bbulk\s+insert\b", I)),
}
# An HTTP request object (MSXML2.XMLHTTP, WinHttp.WinHttpRequest): its ``.Send`` asks a web
# service for data, it mails nothing.
_HTTP_OBJECT = re.compile(r"^\s*(?:set\s+)?(\w+)\s*=\s*(?:createobject\s*\(\s*\"[^\"]*(?:xmlhttp|winhttp)[^\"]*\"|"
                          r"new\s+[\w.]*(?:xmlhttp|winhttp)\w*)|^\s*(?:dim|private|public)\s+(\w+)\s+as\s+"
                          r"(?:new\s+)?[\w.]*(?:xmlhttp|winhttp)\w*", I)
# an object stored through an ORM session: ``db.session.add(medicion)``, ``session.add(Invoice(...))``
_ORM_ADD = re.compile(r"\bsession\.add\(\s*([A-Za-z_]\w*)")
_CONSTRUCTOR = re.compile(r"^([A-Za-z_][\w.]*)\s*\(")
_HTTP_WORD = re.compile("http", I)  # one search of the text before any line is looked at for an HTTP object
_TRAILING_NAME = re.compile(r"(\w+)\s*$")
# members that are cells: ``Range(...).Copy`` puts cells on the clipboard inside the workbook;
# only a sheet or workbook copied (``Sheets("Invoice").Copy``) makes a new document
_CELL_MEMBERS = frozenset({"range", "cells", "rows", "columns", "usedrange", "currentregion", "selection",
                           "entirerow", "entirecolumn", "resize", "offset", "specialcells", "databodyrange",
                           "end", "areas", "cell", "row", "column"})


def http_objects(units: Sequence[tuple[int, str]]) -> frozenset[str]:
    """Names that hold an HTTP request object anywhere in the text (VBA/VBScript)."""
    found = set()
    for _, code in units:
        if "http" in code.lower():
            match = _HTTP_OBJECT.match(code)
            if match:
                found.add((match.group(1) or match.group(2)).lower())
    return frozenset(found)


def _member_before(code: str) -> str:
    """The last member named before the end of ``code``, past one balanced argument list:
    ``ws.Range("A1:" & Cells(1, 2))`` -> ``range``."""
    text = code.rstrip()
    if text.endswith(")"):
        depth = 0
        for position in range(len(text) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(text[position], 0)
            if depth == 0:
                text = text[:position]
                break
    match = _TRAILING_NAME.search(text)
    return match.group(1).lower() if match else ""


def _issues(code: str, family: str, http: frozenset[str]) -> bool:
    """Whether a line exports, prints, saves, mails or copies out a document (not a web request's
    ``.Send``, not cells copied to the clipboard)."""
    match = _ISSUE[family].search(code)
    if match is None:
        return False
    if family != "vb":
        return True
    action = match.group(0).lower()
    if action.startswith(".send"):
        return _member_before(code[:match.start()]) not in http
    if action.startswith(".copy") and "after" not in action and "before" not in action:
        return _member_before(code[:match.start()]) not in _CELL_MEMBERS
    return True


_APPEND_ROW = Checked(re.compile(r"\.end\(xlup\)\.row\s*\+\s*1|\.rows\.count\s*\+\s*1|\.usedrange\.rows\.count\s*\+\s*1|"
                         r"\.max_row\s*\+\s*1|\bcounta\([^)]*\)\s*\+\s*1", I))
_RECORDSET_FIELD = re.compile(r"^\s*(?:\w+!\[?[^=\]]+\]?|\w+\s*\(\s*\"[^\"]+\"\s*\)|\w+\.fields\s*\(\s*\"[^\"]+\"\s*\)"
                              r"(?:\.value)?)\s*=(?!=)", I)
_RECORDSET_WRITE = Checked(re.compile(r"\.addnew\b|\.edit\b|\w*(?:rs|rst|recordset)\w*\.update\b", I))
_SINK_TARGET = re.compile(r"\bcells\s*\(|\brange\s*\(|\.value\b|\.value2\b|\.formula\b|!\w|\.fields\s*\(|"
                          r"\w\[|\.cell\(|\.offset\s*\(|\b\w+\s*\(\s*\"[^\"]+\"\s*\)$", I)
_COMPARISON = re.compile(r"(?<![<>=!-])(?:<=|>=|<(?![>=-])|>(?!=))(?!=)|\bis\s*[<>]|\bbetween\b|\bdatediff\s*\(|"
                         r"\.days\b", I)
# A date moved by an interval: DateAdd/EDATE/AddMonths do it themselves; a timedelta or an
# interval only when added to something (``last + timedelta(days=n)``, not a constant window).
_DATE_STEP = Checked(re.compile(r"\bdateadd\s*\(|\.add(?:days|months|years)\s*\(|\bedate\s*\(|"
                        r"\+\s*(?:\w+\.)?(?:timedelta|relativedelta|days|months|years)\s*\(|"
                        r"(?:timedelta|relativedelta)\s*\([^)]*\)\s*\+|\+\s*interval\s+'", I))
_STRING = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")
_IDENT = re.compile(r"[A-Za-z_À-ɏ][\w.]*")
_PLAIN_NUMBERS = {"0", "1", "2", "10", "12", "24", "60", "100", "1000", "3600", "1024", "0.5", "365", "7", "30", "31"}
_DECISION_WORDS = re.compile(r"(?:^|[\s:_\-(/])(?:" + vocab.DECISION_LITERAL + "|" + vocab.DUE_LITERAL + r")[\s!.)]*$", I)
_STATUS_WORDS = re.compile(r"^\s*(?:" + vocab.STATUS_LITERAL + "|" + vocab.DECISION_LITERAL + "|" + vocab.DUE_LITERAL
                           + r")(?!\w)[\s!.,]*(?:\w+[\s!.,]*){0,3}$", I)
_ASSIGN = re.compile(r"^(?:(?:let|set|dim|const|public|private)\s+)?(?P<lhs>(?:[^=<>!]|!(?=\[?\w))+?)\s*(?P<op>[+\-*/]?=|<-)(?!=)"
                     r"\s*(?P<rhs>.+)$", I)
_RETURN = re.compile(r"^return\s+(?P<rhs>.+)$", I)
_SPEC_RANGE = re.compile(r"\b(?:spec|usl|lsl)\b.*\b(?:min|max|lo|hi)\b", I)
_ROW_CELL = re.compile(r"\bcells\s*\(\s*([A-Za-z_]\w*)\s*,\s*([^)]+?)\s*\)", I)
_DELETES = re.compile(r"\bdelete\s+(?:\*\s+)?from\b|\btruncate\s+table\b|\.delete\b", I)
_KEY_FIELD = re.compile(r"\b(?:id|no|nr|number|name|code|key)\W*$", I)
_CONSTANT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JUDGEMENT = re.compile(r"\b(?:judg\w*|verdict\w*|disposition\w*|decision\w*|urteil\w*|bewertung\w*|decisi\w*)"
                        r"|判定|判断|판정", I)
_IF_HEAD = re.compile(r"^\s*(?:else\s*)?if\b(?P<cond>.*?)\bthen\b(?P<rest>.*)$", I)
_PY_IF = re.compile(r"^\s*(?:el)?if\b(?P<cond>.*):\s*(?P<rest>.*)$", I)


@dataclass
class _Line:
    index: int
    code: str
    words: str  # split and folded, strings included
    lhs: str = ""
    rhs: str = ""
    op: str = ""
    comparison: bool = False
    strings: list[str] = field(default_factory=list)
    returns: bool = False  # the value leaves the procedure (``return x``, a VBA Function's name assigned)


def _family(language: str) -> str:
    return "vb" if language in VB_DIALECTS or language == "xlm" else "python" if language == "python" else "other"


def _parse(index: int, code: str, language: str) -> _Line:
    line = _Line(index, code, vocab.split_identifiers(code))
    line.strings = [a or b for a, b in _STRING.findall(code)]
    body = code
    head = (_IF_HEAD if language in VB_DIALECTS else _PY_IF if language == "python" else None)
    if head is not None:
        match = head.match(code)
        if match:
            line.comparison = bool(_COMPARISON.search(_STRING.sub('""', match.group("cond"))))
            body = match.group("rest").strip()
            if language in VB_DIALECTS:
                body = re.split(r"\belse\b", body, maxsplit=1, flags=I)[0]
    elif _COMPARISON.search(_STRING.sub('""', code)) and re.match(r"^\s*(?:if|while|case|where)\b", code, I):
        line.comparison = True
    if language == "python" and code.strip().startswith(("if ", "elif ", "while ")):
        line.comparison = line.comparison or bool(_COMPARISON.search(_STRING.sub('""', code)))
    if re.match(r"^\s*case\s+is\s*[<>]", code, I):
        line.comparison = True
    returned = _RETURN.match(body)
    if returned:
        line.lhs, line.rhs, line.op, line.returns = "return", returned.group("rhs"), "=", True
        return line
    match = _ASSIGN.match(body)
    if match and not re.match(r"^\s*(?:if|elseif|while|for|select|case|print|debug\.print|msgbox)\b", match.group("lhs"), I):
        line.lhs, line.rhs, line.op = match.group("lhs").strip(), match.group("rhs").strip(), match.group("op")
    return line


def _names(expr: str) -> set[str]:
    return {m.group(0).lower() for m in _IDENT.finditer(_STRING.sub(" ", expr))}


def _money(words: str) -> bool:
    return bool(vocab.MONEY.search(words))


def _is_pricing(line: _Line, tainted: set[str]) -> bool:
    """Money multiplied by a quantity or a rate, a rate applied as (1 +/- r), or tax added."""
    rhs = _STRING.sub('""', line.rhs)
    if not line.op or not rhs or "*" not in rhs and "/" not in rhs and not (line.op in ("+=", "-=", "*=") or "+" in rhs):
        return False
    rhs_words = vocab.split_identifiers(rhs)
    lhs_words = vocab.split_identifiers(line.lhs)
    names = _names(rhs)
    money_in = _money(rhs_words) or bool(names & tainted)
    rate = bool(vocab.MONEY_RATE.search(rhs_words)) if money_in else False
    if "*" in rhs or line.op == "*=":
        factors = [f for f in re.split(r"\*", rhs) if f.strip()]
        numbers = [n for n in _NUMBER.findall(rhs) if n not in _PLAIN_NUMBERS]
        quantity = bool(vocab.QUANTITY.search(rhs_words))
        if money_in and (len(factors) >= 2 or line.op == "*=") and (quantity or rate or numbers or _money(lhs_words)):
            return True
        if _money(lhs_words) and quantity:
            return True
    if "/" in rhs and money_in and rate:
        return True
    if re.search(r"\(\s*1\s*[+\-]\s*\w", rhs) and rate:
        return True
    return bool(("+" in rhs or line.op == "+=") and rate and _money(lhs_words))  # total = net + vat


# A formula whose value is a decision: IF/IFS/SWITCH returns one (``=IF(F2>D2,"FAIL","PASS")``);
# in a cell, or written into cells by a macro (``.FormulaR1C1 = "=IF(ABS(t)<=tc,""PASSOU"",""FALHA"")"``)
FORMULA_DECISION = re.compile(r"\b(?:if|ifs|switch)\s*\(.*,\s*[\"']" + vocab.DECISION_LITERAL + r"[\"']\s*[,)]", I)
_FORMULA_TARGET = re.compile(r"\.formula(?:r1c1|local|array|2|r1c1local)?\s*$", I)


# R's if as an expression: ``if (cpk > 1.33) {"Pass"} else {"Fail"}``; the values chosen are literals
_R_CHOICE = re.compile(r"\bif\s*\((?P<cond>[^{}]+?)\)\s*\{?\s*(?P<q>[\"'])(?P<a>[^\"']*)(?P=q)\s*\}?\s*else\s*\{?\s*"
                       r"(?P<r>[\"'])(?P<b>[^\"']*)(?P=r)", I)


def _inline_choice(code: str) -> bool:
    """An R if-expression that chooses between decisions by a comparison."""
    match = _R_CHOICE.search(code)
    if match is None or not _COMPARISON.search(match.group("cond")):
        return False
    return _decision_literal(match.group("a")) or _decision_literal(match.group("b"))


def _formula_written(line: _Line) -> bool:
    """A macro line that writes a formula deciding quality into cells."""
    if not line.op or not _FORMULA_TARGET.search(line.lhs):
        return False
    text = line.rhs.strip()
    return text[:2] == '"=' and bool(FORMULA_DECISION.search(text[1:-1].replace('""', '"')))


_WHOLE_DECISION = re.compile(r"^\s*(?:" + vocab.DECISION_LITERAL + "|" + vocab.DUE_LITERAL + r")[\s!.]*$", I)


def _decision_literal(text: str) -> bool:
    """A literal that is a decision: the decision itself (``"FAIL"``, ``"Not acceptable!"``),
    or a short label ending in a decision code written as a code (``"Yield limit NG"``),
    not a message that ends in an ordinary word (``"detection failed"``)."""
    if _WHOLE_DECISION.match(text):
        return True
    match = _DECISION_WORDS.search(text)
    if not match or len(text.split()) > 5:
        return False
    tail = match.group(0).strip(" :_-(/!.)")
    return tail.isupper() or not tail.isascii()


_CHOICE = re.compile(r"[\[({]\s*(?:[\"'][^\"']*[\"']\s*,\s*)+[\"'][^\"']*[\"']\s*[\])}]")


def _recorded_choices(units: Sequence[tuple[int, str]], family: str) -> Iterator[Flow]:
    """A person picks the decision (a list offering ``"i.O.", "n.i.O."`` or ``"PASS", "FAIL"``)
    and the program stores it: a record of quality decisions, wherever the choice is made."""
    choice = record = None
    for index, (_, code) in enumerate(units):
        if choice is None and "," in code:  # a list of choices has commas between its values
            for match in _CHOICE.finditer(code):
                values = {(a or b).strip().lower() for a, b in _STRING.findall(match.group(0))}
                if sum(1 for v in values if _WHOLE_DECISION.match(v)) >= 2:
                    choice = index
                    break
        if record is None and _RECORD[family].search(code):
            record = index
    if choice is not None and record is not None:
        yield (*QUAL_RECORDS, (choice, record))


# a row of a limit table: a name, then values among which a low and a high one ("3V3", 0, 3.2, 3.4, None)
_LIMIT_ROW = re.compile(r"[\[(]\s*[\"'][^\"']+[\"']\s*,([^()\[\]]*)[)\]]")
_NUMBER_FIELD = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")


def _low_high(fields: str) -> bool:
    values = [float(f) if _NUMBER_FIELD.match(f) else None for f in fields.split(",")]
    return any(a is not None and b is not None and a < b for a, b in zip(values, values[1:]))


LIMIT_TABLE_ROWS = 3


def _limit_table(units: Sequence[tuple[int, str]]) -> Iterator[Flow]:
    """A test station's table of limits kept as data (POLICY.md): rows of a name with a low
    and a high value, in code that names limits. The decisions made against it depend on it."""
    rows = []
    for index, (_, code) in enumerate(units):
        match = _LIMIT_ROW.search(code)
        if match and _low_high(match.group(1)):
            rows.append(index)
    if len(rows) >= LIMIT_TABLE_ROWS and any(vocab.LIMIT_NAME.search(vocab.split_identifiers(code)) for _, code in units):
        yield (*LIMIT_TABLE, tuple(rows[:3]))


def _only_string(expr: str) -> str | None:
    """The text of an expression that is one string literal (``"FAIL"``, ``('NG')``), else None."""
    match = _STRING.fullmatch(expr.strip().strip("()").strip())
    return (match.group(1) if match.group(1) is not None else match.group(2)) if match else None


def _sets_decision(line: _Line) -> str | None:
    """How a line sets a status: "strong" when the value is a decision (``"FAIL"``, a label
    ending in a decision code such as ``df['Yield limit NG'] = x``, a constant such as
    ``JUDG_NG``, a judgement computed from limits such as ``verdict = judge(x, spec_min,
    spec_max)``); "weak" for a status that is one only next to a decision (``"OK"``,
    ``"DUE SOON"``); None otherwise, and always for a message that merely mentions one."""
    if line.op not in ("=", "<-") and line.lhs != "return":
        return None
    value = _only_string(line.rhs)
    if value is not None:
        if _decision_literal(value):
            return "strong"
        if _STATUS_WORDS.match(value):
            return "weak"
    keys = [a or b for a, b in _STRING.findall(line.lhs)]
    if any(_decision_literal(k) for k in keys):
        return "strong"
    rhs = line.rhs.strip()
    if _CONSTANT.fullmatch(rhs):  # Res.Judg = JUDG_NG, status = RESULT_FAIL
        words = rhs.replace("_", " ").split()
        if len(words) >= 2 and rhs.isupper() and _WHOLE_DECISION.match(words[-1]):
            return "strong"
        return None
    if _JUDGEMENT.search(vocab.split_identifiers(line.lhs)):  # verdict = judge(value, spec_min, spec_max)
        rhs_words = vocab.split_identifiers(_STRING.sub(" ", rhs))
        if "(" in rhs and (vocab.LIMIT_NAME.search(rhs_words) or _SPEC_RANGE.search(rhs_words)):
            return "strong"
    return None


def _owners(numbers: Sequence[int], spans: Sequence[tuple[int, int]]) -> list[int]:
    """For each line number, the index of the innermost span that holds it (the last in ``spans``,
    which are sorted by start and nested or apart), else -1. One sweep with a stack of open spans
    when the numbers ascend, as units do; a line-by-line search otherwise."""
    if any(b < a for a, b in zip(numbers, numbers[1:])):
        return [max((i for i, (start, end) in enumerate(spans) if start <= n <= end), default=-1) for n in numbers]
    owners: list[int] = []
    open_spans: list[int] = []
    following = 0
    for number in numbers:
        while following < len(spans) and spans[following][0] <= number:
            open_spans.append(following)
            following += 1
        while open_spans and spans[open_spans[-1]][1] < number:
            open_spans.pop()
        owners.append(open_spans[-1] if open_spans else -1)
    return owners


def analyse(units: Sequence[tuple[int, str]], text: str, language: str) -> Iterator[Flow]:
    """Flows found in ``units`` ((line, code) pairs of one text). Each is reported once per procedure."""
    spans = procedures(text, language)
    groups: dict[int, list[int]] = {}
    for index, owner in enumerate(_owners([number for number, _ in units], spans)):
        groups.setdefault(owner, []).append(index)
    family = _family(language)
    http = http_objects(units) if family == "vb" and _HTTP_WORD.search(text) else frozenset()
    yield from erp_gui(units)
    yield from _recorded_choices(units, family)
    yield from _limit_table(units)
    for indexes in groups.values():
        lines = [_parse(i, units[i][1], language) for i in indexes if units[i][1]]
        yield from _procedure(lines, family, language, http)


def _procedure(lines: list[_Line], family: str, language: str, http: frozenset[str] = frozenset()) -> Iterator[Flow]:
    if not lines:
        return
    record = _RECORD[family]
    function = _VB_FUNCTION.match(lines[0].code) if family == "vb" else None
    if function:  # a VBA Function returns what is assigned to its name
        name = function.group(1).lower()
        for ln in lines[1:]:
            if ln.lhs.lower() == name:
                ln.returns = True
    tainted: set[str] = set()
    append_vars: set[str] = set()
    pricing: list[_Line] = []
    sinks: list[_Line] = []
    register: list[_Line] = []
    fields_money: list[_Line] = []
    fields_quality: list[_Line] = []
    decisions: list[_Line] = []
    strong_decision = False
    due: list[_Line] = []
    docs = [ln for ln in lines if vocab.MONEY_DOCUMENT.search(ln.words)]
    actions = [ln for ln in lines if _issues(ln.code, family, http) or record.search(ln.code)]
    records = [ln for ln in lines if record.search(ln.code) or _RECORDSET_WRITE.search(ln.code)]
    # a decision needs something it is taken against: a comparison, or limits the procedure names
    compares = any(ln.comparison for ln in lines) or any(
        vocab.LIMIT_NAME.search(ln.words) or _SPEC_RANGE.search(ln.words) for ln in lines)
    quality_context = any(vocab.QUALITY.search(ln.words) for ln in lines)
    for ln in lines:
        lhs_key = ln.lhs.lower()
        if ln.op:
            rhs_words = vocab.split_identifiers(_STRING.sub(" ", ln.rhs))
            lhs_words = vocab.split_identifiers(ln.lhs)
            if _APPEND_ROW.search(ln.rhs) and _IDENT.fullmatch(ln.lhs.strip()):
                append_vars.add(lhs_key)
            if _is_pricing(ln, tainted):
                pricing.append(ln)
            money_value = _money(lhs_words) or _money(rhs_words) or bool(_names(ln.rhs) & tainted)
            if money_value and _IDENT.fullmatch(ln.lhs.strip()) and not _STRING.fullmatch(ln.rhs.strip()):
                tainted.add(lhs_key)
            target = bool(_SINK_TARGET.search(ln.lhs)) or ln.returns
            if target:
                sinks.append(ln)
                if append_vars & _names(ln.lhs) and money_value:
                    register.append(ln)
            if _RECORDSET_FIELD.match(ln.code):
                field_words = vocab.split_identifiers(ln.lhs)
                if _money(field_words):
                    fields_money.append(ln)
                elif (vocab.QUALITY.search(field_words) or vocab.LIMIT_NAME.search(field_words)) \
                        and not _KEY_FIELD.search(field_words):
                    fields_quality.append(ln)
            kind = _sets_decision(ln) or ("strong" if family == "vb" and _formula_written(ln) else None)
            if kind:
                decisions.append(ln)
                strong_decision = strong_decision or kind == "strong"
            if _DATE_STEP.search(ln.rhs) and (vocab.DUE.search(lhs_words) or vocab.DUE.search(rhs_words)) \
                    and (vocab.QUALITY.search(lhs_words + " " + rhs_words) or quality_context):
                due.append(ln)
    if family == "python":
        _orm_records(lines, fields_money, fields_quality)
    # a row filled field by field (Cells(r, 9) = ..., Cells(r, 13) = ..., ...) is a record written
    row_cells: dict[str, set[str]] = {}
    for ln in sinks:
        for row, column in _ROW_CELL.findall(ln.lhs):
            row_cells.setdefault(row.lower(), set()).add(column)
            if len(row_cells[row.lower()]) == 3:
                actions.append(ln)
    actions.sort(key=lambda a: a.index)
    # prices written somewhere: the assignment itself is a cell/field, or a later line writes the value
    for p in pricing:
        if _SINK_TARGET.search(p.lhs) or p.returns:
            yield (*PRICES, (p.index,))
            break
        later = next((s for s in sinks if s.index > p.index and p.lhs.lower() in _names(s.rhs)), None)
        later = later or next((a for a in actions if a.index > p.index), None)
        if later is not None:
            yield (*PRICES, (p.index, later.index))
            break
    # a document is issued by exporting, printing, saving, mailing or filing it; deleting rows is not
    issuing = [a for a in actions if not _DELETES.search(a.code)]
    if docs and not any(_names_document(d) for d in docs):
        # the document is named only in text (a label, a caption): filing rows or pasting cells
        # under such a label issues nothing; exporting, printing, saving or mailing does
        issuing = [a for a in issuing if _issues(a.code, family, http)]
    if docs and issuing:
        action = next((a for a in issuing if a.index >= docs[0].index), issuing[0])
        doc = max((d for d in docs if d.index <= action.index), key=lambda d: d.index, default=docs[0])
        yield (*DOCUMENTS, (doc.index, action.index))
    if register:
        yield (*REGISTER, (register[0].index,))
    if records and fields_money:
        yield (*REGISTER, (fields_money[0].index, _record_after(records, fields_money[0]).index))
    if records and fields_quality:
        yield (*QUAL_RECORDS, (fields_quality[0].index, _record_after(records, fields_quality[0]).index))
    written = next((d for d in decisions if family == "vb" and _formula_written(d)), None) or next(
        (ln for ln in lines if language == "r" and "else" in ln.code and _inline_choice(ln.code)), None)
    if written is not None:  # the formula compares within itself
        yield (*STATUS, (written.index,))
    elif decisions and compares:
        statuses = {s.lower() for d in decisions for s in d.strings}
        # a status set where the procedure compares against a named limit (value > usl) is a decision too
        limit_compared = any(ln.comparison and vocab.LIMIT_NAME.search(ln.words) for ln in lines)
        if strong_decision or len(statuses) >= 2 and quality_context or limit_compared:
            yield (*STATUS, tuple(d.index for d in decisions[:3]))
    if due:
        yield (*DUE_DATES, (due[0].index,))


def _orm_records(lines: Sequence[_Line], fields_money: list[_Line], fields_quality: list[_Line]) -> None:
    """Objects stored through an ORM session count as records whose fields are what the object
    is: a measurement or calibration record is quality data, an invoice or a price money."""
    for ln in lines:
        match = _ORM_ADD.search(ln.code)
        if not match:
            continue
        name = match.group(1)
        made = next((a for a in lines if a.index < ln.index and a.lhs == name and _CONSTRUCTOR.match(a.rhs)), None)
        constructor = _CONSTRUCTOR.match(made.rhs if made else ln.code[match.start(1):])
        words = vocab.split_identifiers(name + " " + (constructor.group(1) if constructor else ""))
        if vocab.QUALITY.search(words):
            fields_quality.append(made or ln)
        elif vocab.MONEY.search(words) or vocab.MONEY_DOCUMENT.search(words) or vocab.LEDGER.search(words):
            fields_money.append(made or ln)


def _record_after(records: Sequence[_Line], field_line: _Line) -> _Line:
    """The write that stores a field: the record line nearest to it (``rs.AddNew`` before,
    ``rs.Update`` after)."""
    return min(records, key=lambda r: (abs(r.index - field_line.index), r.index))


# a string that names a sheet, a field or a table: Sheets("Invoice"), rs.Fields("Preço unitário")
_NAMING_CALL = re.compile(r"\b(?:sheets|worksheets|workbooks|fields|tabledefs|querydefs|openrecordset|listobjects|"
                          r"charts|range)\s*\(\s*$|!\[?$", I)


def _names_document(line: _Line) -> bool:
    """Whether a line names a money document in its code (a variable, a sheet, a field, a record
    written), not only in text it shows (a caption, a message, a label written into a cell)."""
    if vocab.MONEY_DOCUMENT.search(vocab.split_identifiers(_STRING.sub(" ", line.code))):
        return True
    for match in _STRING.finditer(line.code):
        text = match.group(1) if match.group(1) is not None else match.group(2)
        if not vocab.MONEY_DOCUMENT.search(vocab.split_identifiers(text)):
            continue
        if _NAMING_CALL.search(line.code[:match.start()]) or (line.lhs and match.group(0) in line.lhs):
            return True
    return False


# ERP user interfaces ------------------------------------------------------------------------
_SAP_GUI = re.compile(r"getscriptingengine|\bfindbyid\s*\(|\bsapgui\b|\.modifycell\b|\.getcellvalue\b", I)
_TCODE = re.compile(r"""(?:\.text\s*=\s*|\bstarttransaction\s*\(?\s*(?:transaction\s*=\s*)?|"""  # also Transaction="me21n"
                    r"""\b(?:typewrite|write|sendkeys)\s*\(?\s*)"""  # typed into the SAP window by keystrokes
                    r"""["']\s*(?:/[nNoO])?\s*([A-Za-z0-9_\-]{2,20})\s*(?:\{enter\}|~)?["']""", I)
# keystroke automation (pyautogui, SendKeys) of a window the script names as SAP's
_KEYSTROKES = re.compile(r"\b(?:pyautogui|pywinauto|keyboard)\.(?:typewrite|write)\s*\(|\bsendkeys\b", I)
_SAP_NAMED = re.compile(r"\bsap\b", I)


def _erp_codes() -> dict[str, Any]:
    text = (resources.files("shadowscan.rules") / "erp_transactions.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


_ERP = _erp_codes()
_PRICE_FIELDS = "|".join(_ERP["price_fields"])
# a price field set through a screen field (...-NETPR[..]").text = ) or a grid cell (.modifyCell row, "KBETM", x)
_PRICE_FIELD = re.compile(r"findbyid\s*\(\s*[\"'][^\"']*-(?:" + _PRICE_FIELDS + r")\b[^\"']*[\"']\s*\)\s*\.text\s*=|"
                          r"\.modifycell\s*\(?[^,]+,\s*[\"'](?:" + _PRICE_FIELDS + r")[\"']\s*,", I)
SAP_FINANCIAL = _meta("financial.erp-gui")
SAP_QUALITY = _meta("quality.erp-gui")


def erp_gui(units: Sequence[tuple[int, str]]) -> Iterator[Flow]:
    """SAP GUI scripting, or keystrokes typed into a window named SAP's: the transactions a script
    runs say whether it writes (ME21N, MIGO, VA01, QA11) or only reads (ME2N, COOIS); setting a
    price field is a financial write."""
    if not any(_SAP_GUI.search(code) for _, code in units) and not (
            any(_KEYSTROKES.search(code) for _, code in units) and any(_SAP_NAMED.search(code) for _, code in units)):
        return
    financial: list[int] = []
    quality: list[int] = []
    codes: dict[str, list[str]] = {"financial": [], "quality": []}
    for index, (_, code) in enumerate(units):
        for match in _TCODE.finditer(code):
            tcode = match.group(1).upper()
            for kind, found in (("financial", financial), ("quality", quality)):
                if tcode in _ERP[kind]:
                    found.append(index)
                    codes[kind].append(f"{tcode} {_ERP[kind][tcode]}")
        if _PRICE_FIELD.search(code):
            financial.append(index)
            codes["financial"].append("sets a price or amount field")
    for kind, found, (rule, family, title, severity, impact) in (("financial", financial, SAP_FINANCIAL),
                                                                  ("quality", quality, SAP_QUALITY)):
        if found:
            what = ", ".join(dict.fromkeys(codes[kind]))
            yield rule, family, f"{title}: {what}", severity, impact, tuple(dict.fromkeys(found))[:3]


def transaction_meaning(tcode: str) -> str | None:
    """What a transaction code does, for explanations (None when unknown)."""
    for kind in ("financial", "quality", "read"):
        meaning = _ERP[kind].get(tcode.upper())
        if meaning:
            return str(meaning)
    return None
