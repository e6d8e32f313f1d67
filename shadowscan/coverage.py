"""What a crawl covered, in words: the same sentences in the terminal and in every report.

A crawl that could not open a root, list a folder or read a file, or that did not run to
its end, did not look at everything: no output may then read as an all-clear. Pure
functions of the per-root rows the store records (``crawl_roots``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

COMPLETE = "complete"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 artifact``, ``2 artifacts``, ``1 folder``..."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def _kept(row: Mapping[str, Any]) -> str:
    n = row.get("not_rechecked") or 0
    if not n:
        return ""
    since = f" from crawl {row['baseline']}" if row.get("baseline") else ""
    return (f"; {plural(n, 'artifact')}{since} {'is' if n == 1 else 'are'} kept as last seen, "
            "not re-checked")


def root_sentence(row: Mapping[str, Any], crawl_state: str = "finished", crawl_reason: str | None = None) -> str:
    """One sentence on what one root of a crawl covered."""
    root, state = row["root"], row["state"]
    if state == "unreachable":
        why = f" ({row['reason'].split(': ', 1)[-1]})" if row.get("reason") else ""
        return f"{root} could not be reached{why}: nothing under it was scanned{_kept(row)}."
    if state == "partial":
        parts = []
        if row.get("unlisted"):
            parts.append(f"{plural(row['unlisted'], 'folder')} could not be listed")
        if row.get("unreadable"):
            parts.append(f"{plural(row['unreadable'], 'file')} could not be read")
        return f"{root} was scanned in part: {' and '.join(parts)}{_kept(row)}."
    if state == "incomplete":
        how = {"interrupted": "was interrupted", "failed": "failed", "running": "is still running",
               "stopped": "stopped before its end"}.get(crawl_state, "did not finish")
        why = f" ({crawl_reason})" if crawl_reason else ""
        return f"{root} was not scanned completely: the crawl {how}{why}."
    return f"{root} was scanned completely."


def summarize(rows: Sequence[Mapping[str, Any]], crawl_state: str,
              crawl_reason: str | None = None) -> dict[str, Any]:
    """The ``coverage`` section of a report: complete or not, one statement, and per root."""
    roots = [{**dict(r), "sentence": root_sentence(r, crawl_state, crawl_reason)} for r in rows]
    complete = crawl_state == "finished" and bool(roots) and all(r["state"] == COMPLETE for r in roots)
    if complete:
        statement = ("Coverage complete: every root was opened and listed, every file was read "
                     "and the crawl ran to its end.")
    else:
        missing = [r for r in roots if r["state"] != COMPLETE]
        statement = ("Coverage INCOMPLETE: the figures below count only what was scanned, they are not an "
                     "all-clear. " + " ".join(r["sentence"] for r in missing or roots))
    return {"complete": complete, "statement": statement, "roots": roots}


__all__ = ["plural", "root_sentence", "summarize"]
