"""What a crawl covered, in words: the same sentences in the terminal and in every report.

A crawl that could not open a root, list a folder or read a file, or that did not run to
its end, did not look at everything: no output may then read as an all-clear. Pure
functions of the per-root rows the store records (``crawl_roots``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

COMPLETE = "complete"
# listed, but not (fully) analysed: what the file holds is not in the figures. ``unreadable`` files
# are counted apart (they make a root's coverage partial); a crawl's own limits stopped the ones in
# LIMITED (--timeout, --memory, --max-size), which a scheduled run must notice (exit status 4).
NOT_ANALYSED = ("timeout", "analyzer-crashed", "too-large", "encrypted", "corrupt", "unsupported")
LIMITED = ("timeout", "analyzer-crashed", "too-large")


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


def not_analysed_phrase(counts: Mapping[str, int] | None) -> str:
    """``3 files could not be analysed (timeout 1, too-large 2)``, or "" when every listed file was."""
    counts = {k: n for k, n in (counts or {}).items() if n and k in NOT_ANALYSED}
    if not counts:
        return ""
    detail = ", ".join(f"{k} {counts[k]:,}" for k in NOT_ANALYSED if k in counts)
    return f"{plural(sum(counts.values()), 'file')} could not be analysed ({detail})"


def _not_analysed(row: Mapping[str, Any]) -> str:
    phrase = not_analysed_phrase(row.get("not_analysed"))
    return f"; {phrase}: what they hold is not in the figures" if phrase else ""


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
        return f"{root} was scanned in part: {' and '.join(parts)}{_kept(row)}{_not_analysed(row)}."
    if state == "incomplete":
        how = {"interrupted": "was interrupted", "failed": "failed", "running": "is still running",
               "stopped": "stopped before its end"}.get(crawl_state, "did not finish")
        why = f" ({crawl_reason})" if crawl_reason else ""
        return f"{root} was not scanned completely: the crawl {how}{why}{_not_analysed(row)}."
    phrase = not_analysed_phrase(row.get("not_analysed"))
    if phrase:
        return f"{root} was opened and listed, but {phrase}: what they hold is not in the figures."
    return f"{root} was scanned completely."


def summarize(rows: Sequence[Mapping[str, Any]], crawl_state: str,
              crawl_reason: str | None = None) -> dict[str, Any]:
    """The ``coverage`` section of a report: complete or not, one statement, and per root."""
    roots = [{**dict(r), "sentence": root_sentence(r, crawl_state, crawl_reason)} for r in rows]
    complete = crawl_state == "finished" and bool(roots) and all(r["state"] == COMPLETE for r in roots)
    return {"complete": complete, "statement": statement(roots, complete), "roots": roots,
            "not_analysed": _total(roots)}


def _total(roots: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for row in roots:
        for status, n in (row.get("not_analysed") or {}).items():
            total[status] = total.get(status, 0) + n
    return total


def statement(roots: Sequence[Mapping[str, Any]], complete: bool) -> str:
    """The coverage statement over the roots' rows (each with its ``sentence``): an all-clear only
    when every root was opened and listed, every file read *and analysed*, and the crawl ended."""
    if complete:
        phrase = not_analysed_phrase(_total(roots))
        if not phrase:
            return ("Coverage complete: every root was opened and listed, every file was read and analysed "
                    "and the crawl ran to its end.")
        return ("Coverage complete, but not every file was analysed: every root was opened and listed and the crawl "
                f"ran to its end, but {phrase}; what they hold is not in the figures below.")
    missing = [r for r in roots if r["state"] != COMPLETE]
    return ("Coverage INCOMPLETE: the figures below count only what was scanned, they are not an "
            "all-clear. " + " ".join(r["sentence"] for r in missing or roots)
            + "".join(f" {r['sentence']}" for r in roots if r["state"] == COMPLETE and r.get("not_analysed")
                      and any(r["not_analysed"].values())))


__all__ = ["LIMITED", "NOT_ANALYSED", "not_analysed_phrase", "plural", "root_sentence", "statement", "summarize"]
