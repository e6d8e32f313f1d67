"""HTML: the leadership report, rendered by Jinja2 from ``templates/`` with autoescape on.

One self-contained page: inline CSS, inline SVG charts, a small inline script, no network
(the Content-Security-Policy forbids any). The summary, top risks and governance gaps are
HTML; the full inventory travels as a JSON blob that the script pages, sorts, filters and
searches, so 20,000 artifacts cost one parse, not 20,000 table rows. The page is written into
its file as a stream: rendered around the blob, which is written (compressed once it is large) as
each artifact is read, so a page of 100,000 artifacts is never held in memory. The blob is escaped
for a ``<script>`` element (no ``<``, ``>`` or ``&`` survive), and the script builds every
element with ``textContent``: nothing from a scanned file is ever parsed as markup.
"""
from __future__ import annotations

import base64
import gzip
import io
import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, cast

import jinja2

from .. import __version__
from ..textio import visible, visible_deep
from .data import CHECKLIST
from .estate import labels
from .view import JSON, ArtifactRow, Card, ClassCounts, Dot, FindingRow, Others, Report, Summary, shown

TOP_RISKS = 10
TOP_GAPS = 15
UNSCANNED = 50  # roots and folders the crawl could not look into, listed by name (the exports list all)
TOP_DEPARTMENTS = 10
SNIPPET = 200  # characters of an evidence snippet carried into the page
EVIDENCE = 2  # pieces of evidence per finding carried into the page (the JSON/XLSX exports have all)
REASON = 300
COMPRESS_OVER = 1 << 20  # a larger inventory blob travels gzip-compressed (base64), unpacked by the browser
SEVERITY = {"info": 0, "low": 1, "medium": 2, "high": 3}
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def template_dir() -> Path:
    """``shadowscan/templates`` in an installed wheel, ``templates/`` in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "report.html.j2").is_file():
            return candidate
    raise FileNotFoundError(f"report templates not found next to {here}")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda ts: datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d") if ts else ""
    env.filters["size"] = _human_size
    env.filters["pct"] = lambda n, d: f"{100 * n / d:.0f}%" if d else "–"
    env.filters["cut"] = _cut
    env.filters["exposure"] = exposure_text
    return env


def exposure_text(values: list[str], limit: int = 6) -> str:
    """``4711, 5400`` / ``from the fields USL, LSL and 4 more``: literal values first, then the fields that hold
    them (see exposure.py), at most ``limit`` named."""
    literal = [v for v in values if not v.startswith("from field ")]
    fields = [v.removeprefix("from field ") for v in values if v.startswith("from field ")]
    shown = literal[:limit]
    parts = [", ".join(shown)] if shown else []
    room = limit - len(shown)
    if fields and room > 0:
        parts.append(("from the field " if len(fields) == 1 else "from the fields ") + ", ".join(fields[:room]))
    hidden = len(literal) - len(shown) + max(0, len(fields) - max(room, 0))
    return "; ".join(parts) + (f" and {hidden} more" if hidden else "")


def _human_size(n: int | None) -> str:
    if not n:
        return "0 B"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _cut(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def script_json(data: Any) -> str:
    """JSON that can sit inside a <script> element: it cannot close it or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _ESCAPES.items():
        text = text.replace(char, escape)
    return text


# what json.dumps leaves in a string that visible() would change: C0 escapes (an escape only after
# an even run of backslashes: "\\\\fs01" is an escaped backslash before "fs01", not \f) and raw
# C1, bidi and invisible characters
_ESCAPE = re.compile(r"(\\+)(?:u00|[bfr])")
_RAW_INVISIBLE = re.compile("[\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def needs_visible(json_text: str) -> bool:
    """Whether a JSON text (``ensure_ascii=False``) holds a string :func:`visible` would change."""
    if _RAW_INVISIBLE.search(json_text):
        return True
    return "\\" in json_text and any(len(m.group(1)) % 2 for m in _ESCAPE.finditer(json_text))


class _Base64:
    """A binary file that writes what it is given base64-encoded into another, three bytes to four characters
    as they come (the same text as encoding the whole at once)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.rest = out, b""

    def write(self, data: bytes) -> int:
        data = self.rest + bytes(data)
        whole = len(data) - len(data) % 3
        self.out.write(base64.b64encode(data[:whole]))
        self.rest = data[whole:]
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.out.write(base64.b64encode(self.rest))
        self.rest = b""


class _Packer:
    """The blob's text as it is made: kept as text while small, then gzip-compressed and base64-encoded into
    the page as it comes once it grows past ``over`` characters (the page unpacks it), so a large inventory
    is never held, as text or compressed. ``head`` is the page up to the blob's ``data-encoding="``."""

    def __init__(self, out: IO[bytes], head: bytes, over: int) -> None:
        self.out, self.head, self.over, self.size = out, head, over, 0
        self.parts: list[str] = []
        self.b64: _Base64 | None = None
        self.gz: gzip.GzipFile | None = None

    def add(self, text: str) -> None:
        if self.gz is not None:
            self.gz.write(text.encode("utf-8"))
            return
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.over:
            self.out.write(self.head + b'gzip+base64">')
            self.b64 = _Base64(self.out)
            self.gz = gzip.GzipFile(fileobj=cast(IO[bytes], self.b64), mode="wb", compresslevel=6, mtime=0)
            for part in self.parts:
                self.gz.write(part.encode("utf-8"))
            self.parts = []

    def close(self) -> None:
        if self.gz is None or self.b64 is None:
            self.out.write(self.head + b'json">' + "".join(self.parts).encode("utf-8"))
            return
        self.gz.close()
        self.b64.close()


def _row(a: ArtifactRow, rule: Callable[[FindingRow], int], word: Callable[[str], int], roots: dict[str, int],
         tool: int) -> dict[str, JSON]:
    findings = []
    for f in sorted(a.findings, key=lambda f: (not f.impact, -SEVERITY.get(f.severity, 0))):
        cap = EVIDENCE if f.impact or SEVERITY.get(f.severity, 0) >= SEVERITY["medium"] else 1
        evidence = [[word(e.location or ""), e.line, _cut(e.snippet, SNIPPET)] for e in f.evidence[:cap]]
        findings.append([rule(f), f.severity, f.impact or "", evidence, max(0, len(f.evidence) - cap)])
    hints = a.facts.get("owner_hints") or {}
    return {
        "r": a.risk_score, "c": a.classification, "p": a.relpath, "k": a.kind, "fm": a.format,
        "s": a.status, "d": a.department, "o": a.owner or "", "a": a.action,
        "so": "" if a.registered else a.shown_owner,  # the person to show, decided once (data.py), not in the page
        # new / changed since the previous crawl, else unchanged (an artifact not re-checked too)
        "ch": a.change if a.change in ("new", "changed") else "unchanged",
        "h": a.headline, "i": list(a.impacts), "z": a.size, "m": a.mtime,
        "g": list(a.gaps), "rg": [a.registered, a.registry_id, a.signoff, a.registry_match],
        "oh": {k: str(v) for k, v in hints.items() if k in ("author", "last_modified_by", "title", "file_owner")},
        "sr": a.status_reason, "why": [_cut(r, REASON) for r in a.reasons],
        "x": [[word(f.factor), f.points] for f in a.risk_factors], "f": findings,
        "st": [_cut(line, 1000) for line in a.structure or ()],
        **({"rt": roots[a.root]} if a.root in roots else {"fp": a.path}),
        "t": tool,
    }


def write_blob(report: Report, out: IO[bytes], head: bytes, compress_over: int = COMPRESS_OVER) -> None:
    """The compact inventory the page's script reads, written into ``out`` after ``head`` (the page up to
    ``data-encoding="``): the encoding ("json", or "gzip+base64" when it is large), ``">`` and the data.
    Rows plus detail, one artifact at a time; rule titles and short repeated strings (locations, risk
    factors) sent once. Every string shown with control and bidi characters as escapes."""
    rules: dict[str, int] = {}
    rule_list: list[list[str]] = []
    words: dict[str, int] = {}

    def word(text: str) -> int:
        return words.setdefault(visible(text), len(words))

    def rule(f: FindingRow) -> int:
        if f.rule not in rules:
            rules[f.rule] = len(rule_list)
            rule_list.append(visible_deep([f.rule, f.title, f.family]))
        return rules[f.rule]

    roots = {root: n for n, root in enumerate(report.crawl.roots)}
    label = labels(list(roots)) if len(roots) > 1 else {}
    ranked = report.artifacts.with_tools()  # each artifact's tool from the scratch table
    packer = _Packer(out, head, compress_over)
    packer.add('{"rows":[')
    for n, (a, tool) in enumerate(ranked):
        row = _row(a, rule, word, roots, tool)
        if needs_visible(json.dumps(row, ensure_ascii=False)):
            row = visible_deep(row)  # control and bidi characters shown as escapes, never rendered raw
        packer.add(("," if n else "") + script_json(row))
    packer.add('],"rules":' + script_json(rule_list) + ',"words":' + script_json(list(words)) + ',"roots":'
               + script_json(list(roots)) + ',"tools":[')
    for n, t in enumerate(report.tools.brief()):  # one tool at a time
        packer.add(("," if n else "") + script_json(visible_deep([
            t.tool_id, t.name, t.classification, t.risk_score, t.copies, len(t.departments),
            t.last_changed.name, t.last_changed.mtime, t.copies_differ, t.headline,
            t.ask.name + " (" + t.ask.role + ")", t.kind])))
    packer.add('],"labels":' + script_json([label.get(r, "") for r in roots] if label else []) + "}")
    packer.close()


SCATTER = 200  # dots in the risk x effort chart
LABELLED = 10  # of which the first (by rank) carry their rank as a label, where it does not overlap another


def scatter(cards: Sequence[Card]) -> list[Dot]:
    """The risk x effort chart's dots (viewBox 300 x 220: x 40-285 by effort points, y 190-10 by risk) and
    where each of the first ranks' labels goes: beside its dot on whichever side overlaps no label placed
    before it and no other dot; none where every side is taken (the dot's tooltip still names it)."""
    shown = cards[:SCATTER]
    peak = max([1.0, *[float(c.effort.points) for c in shown]])
    dots = [Dot(c, 40 + 245 * float(c.effort.points) / peak, 190 - 1.8 * c.risk_score,
                round(max(4.0, min(12.0, 3 + c.copies ** 0.5)), 1)) for c in shown]
    taken: list[tuple[float, float, float, float]] = []  # label boxes (left, top, right, bottom)

    def clear(box: tuple[float, float, float, float]) -> bool:
        left, top, right, bottom = box
        if left < 0 or right > 300 or top < 0 or bottom > 200:
            return False
        if any(left < b[2] and b[0] < right and top < b[3] and b[1] < bottom for b in taken):
            return False
        return not any(left < d.x + d.r and d.x - d.r < right and top < d.y + d.r and d.y - d.r < bottom
                       for d in dots)

    for n, d in enumerate(dots[:LABELLED]):
        width, height, gap = 6.0 * len(str(d.card.rank)), 9.0, d.r + 1
        for dx, dy, end in ((gap, -gap, False), (gap, gap + height, False), (-gap, -gap, True),
                            (-gap, gap + height, True), (gap, 3.0, False), (-gap, 3.0, True)):
            x, y = d.x + dx, d.y + dy  # text anchor point: baseline, start (or end) of the text
            box = (x - width if end else x, y - height, x if end else x + width, y)
            if clear(box):
                taken.append(box)
                dots[n] = replace(d, label=(x, y, end))
                break
    return dots


def _departments(summary: Summary) -> tuple[list[tuple[str, ClassCounts]], Others | None]:
    """The top departments by high-risk tools, then tools; the rest summed as "others" (in words, not a bar:
    with 500 departments a bar of the rest would dwarf every other)."""
    items = list(summary.by_department_tools.items())
    if len(items) <= TOP_DEPARTMENTS:
        return items, None
    rest = items[TOP_DEPARTMENTS:]
    return items[:TOP_DEPARTMENTS], Others(len(rest), ClassCounts(
        sum(r.total for _, r in rest), sum(r.shadow_it for _, r in rest), sum(r.citizen_development for _, r in rest),
        sum(r.unknown for _, r in rest)))


def _shown(report: Report) -> tuple[list[tuple[Card, int | None]], list[tuple[ArtifactRow, int]]]:
    """The top cards with each one's place in the inventory, and the first governed artifacts with gaps
    (escaped: only these few are shown from the artifacts themselves), read from the scratch table and the
    inventory, not every artifact."""
    cards = report.migration[:TOP_RISKS]
    index = report.artifacts.positions(card.path for card in cards)
    gaps = [(shown(a), n) for a, n in report.artifacts.with_gaps(TOP_GAPS)]
    return [(shown(card), index.get(card.path)) for card in cards], gaps


def write(report: Report, out: IO[bytes], compress_over: int = COMPRESS_OVER) -> None:
    """The page, written into ``out``: rendered around its inventory blob, which is streamed in as it is made."""
    top, gaps = _shown(report)
    # control and bidi characters shown as escapes, never rendered raw (the artifacts and tools as the blob reads them)
    escaped = shown(report)
    departments, others = _departments(escaped.summary)
    token = secrets.token_hex(16)  # where the blob goes: no text of the report can hold it
    page = environment().get_template("report.html.j2").render(
        report=escaped, top=top, gaps=gaps, unscanned_cap=UNSCANNED, scatter=scatter(escaped.migration),
        departments=departments,
        others=others, checklist=CHECKLIST, blob=(token, token), evidence_cap=EVIDENCE, version=__version__,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    head, tail = page.split(f'{token}">{token}', 1)
    write_blob(report, out, head.encode("utf-8"), compress_over)
    out.write(tail.encode("utf-8"))


def render(report: Report, compress_over: int = COMPRESS_OVER) -> str:
    """The page as one string (:func:`write`)."""
    out = io.BytesIO()
    write(report, out, compress_over)
    return out.getvalue().decode("utf-8")
