"""Migration pages: a folder with the backlog (``index.html``, ``backlog.csv``) and one card
per high-risk artifact (``cards/NNN-name.html``), rendered from the report's ``migration``
list (see :mod:`.plan`). File names are built from the rank and a sanitised artifact name,
so no name from a share can leave the folder."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import PurePosixPath

from .. import __version__
from .csvfmt import Row, write_rows
from .html import environment
from .view import Card, Report, shown

BACKLOG_COLUMNS = ("rank", "priority", "relpath", "tool_id", "copies", "department", "target", "target_reason",
                   "effort", "effort_estimate", "effort_points", "measured_size", "impacts", "risk_score", "headline",
                   "writes_into", "reaches", "owner", "registered", "next_step", "path")
_UNSAFE = re.compile(r"[^\w.-]+")


def card_file(card: Card) -> str:
    stem = _UNSAFE.sub("_", PurePosixPath(card.relpath).name).strip("._") or "artifact"
    return f"cards/{card.rank:03d}-{stem[:60]}.html"


def _csv_row(c: Card) -> Row:
    """The row of :data:`BACKLOG_COLUMNS` of one card."""
    return {
        "rank": c.rank, "priority": c.priority, "relpath": c.relpath, "tool_id": c.tool_id, "copies": c.copies,
        "department": c.department, "target": c.target, "target_reason": c.target_reason,
        "effort": c.effort.size, "effort_estimate": c.effort.estimate, "effort_points": c.effort.points,
        "measured_size": ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c.size.items()),
        "impacts": ";".join(c.impacts), "risk_score": c.risk_score, "headline": c.headline,
        "writes_into": ";".join(c.does.write_targets),
        "reaches": "; ".join(f"{r.system} ({r.where})" for r in c.reaches),
        "owner": c.owner.name or c.owner.document_person or "",
        "registered": c.owner.registered, "next_step": c.next_step, "path": c.path,
    }


def render(report: Report) -> dict[str, str]:
    report = shown(report)  # control and bidi characters shown as escapes, never rendered raw
    cards = report.migration
    pages = {c.rank: card_file(c) for c in cards}
    template = environment().get_template("migration.html.j2")
    common = {"report": report, "version": __version__, "pages": pages,
              "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    files = {"index.html": template.render(page="index", cards=cards, card=None, **common),
             "backlog.csv": write_rows(BACKLOG_COLUMNS, (_csv_row(c) for c in cards))}
    for c in cards:
        files[pages[c.rank]] = template.render(page="card", cards=cards, card=c, **common)
    return files
