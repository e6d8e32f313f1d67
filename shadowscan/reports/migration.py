"""Migration pages: a folder with the backlog (``index.html``, ``backlog.csv``) and one card
per high-risk artifact (``cards/NNN-name.html``), rendered from the report's ``migration``
list (see :mod:`.plan`). File names are built from the rank and a sanitised artifact name,
so no name from a share can leave the folder."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any

from .. import __version__
from .csvfmt import write_rows
from .html import environment
from .view import Report, shown

BACKLOG_COLUMNS = ("rank", "priority", "relpath", "tool_id", "copies", "department", "target", "target_reason",
                   "effort", "effort_estimate", "effort_points", "measured_size", "impacts", "risk_score", "headline",
                   "writes_into", "reaches", "owner", "registered", "next_step", "path")
_UNSAFE = re.compile(r"[^\w.-]+")


def card_file(card: dict[str, Any]) -> str:
    stem = _UNSAFE.sub("_", PurePosixPath(card["relpath"]).name).strip("._") or "artifact"
    return f"cards/{card['rank']:03d}-{stem[:60]}.html"


def _csv_row(c: dict[str, Any]) -> dict[str, Any]:
    return {
        **c, "effort": c["effort"]["size"], "effort_estimate": c["effort"]["estimate"],
        "effort_points": c["effort"]["points"],
        "measured_size": ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c["size"].items()),
        "impacts": ";".join(c["impacts"]), "writes_into": ";".join(c["does"]["write_targets"]),
        "reaches": "; ".join(f"{r['system']} ({r['where']})" for r in c["reaches"]),
        "owner": c["owner"]["name"] or c["owner"]["last_modified_by"] or c["owner"]["author"] or "",
        "registered": c["owner"]["registered"],
    }


def render(report: Report) -> dict[str, str]:
    report = shown(report)  # control and bidi characters shown as escapes, never rendered raw
    cards = [dict(c, file=card_file(c)) for c in report.migration]
    template = environment().get_template("migration.html.j2")
    common = {"report": report, "version": __version__,
              "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    files = {"index.html": template.render(page="index", cards=cards, card=None, **common),
             "backlog.csv": write_rows(BACKLOG_COLUMNS, (_csv_row(c) for c in cards))}
    for c in cards:
        files[c["file"]] = template.render(page="card", cards=cards, card=c, **common)
    return files
