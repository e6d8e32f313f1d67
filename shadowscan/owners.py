"""Ownership hints: who to ask about an artifact nobody registered.

Analyzers read the document's own names (author, last editor; Office properties), the crawl
adds the account that owns the file. Every place that names a person (governance findings,
the report's "who to ask", migration cards, CSV/XLSX owner columns) asks here, in one order:
the registered owner, the last editor, the author, the file's owner account (unless a system
account), the folder's department."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from .model import OwnerHints

# the hints that name a person (title names the document), in the order they are shown
PEOPLE = ("author", "last_modified_by", "file_owner")

# accounts that own files without being anybody to ask (service and system accounts)
SYSTEM_ACCOUNTS = frozenset({"root", "nobody", "daemon", "administrator", "administrators", "system",
                             "nt authority\\system", "builtin\\administrators", "trustedinstaller"})


def hints_of(facts: Mapping[str, Any]) -> OwnerHints:
    """The ownership hints among an analysis's facts (empty where it found none)."""
    hints = facts.get("owner_hints")
    return cast(OwnerHints, hints) if isinstance(hints, Mapping) else OwnerHints()


def document_person(hints: OwnerHints) -> str | None:
    """The person the document itself names: its last editor, else its author."""
    return hints.get("last_modified_by") or hints.get("author") or None


def file_owner(hints: OwnerHints) -> str | None:
    """The account owning the file, unless it is a system or service account."""
    owner = hints.get("file_owner")
    return None if not owner or str(owner).strip().lower() in SYSTEM_ACCOUNTS else str(owner)


def who_to_ask(hints: OwnerHints, registered_owner: str | None, department: str) -> tuple[str, str]:
    """(role, name) of the one to ask: the registered owner, else the last editor, else the author,
    else the file's owner account (not a system account), else the department."""
    for role, value in (("registered owner", registered_owner), ("last edited by", hints.get("last_modified_by")),
                        ("author", hints.get("author")), ("file owner", file_owner(hints))):
        if value:
            return role, str(value)
    return "department", department


def described(hints: OwnerHints) -> str:
    """'author: A, last modified by: B, file owner: C' for the hints that name a person, in the order found."""
    return ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in hints.items() if key in PEOPLE)
