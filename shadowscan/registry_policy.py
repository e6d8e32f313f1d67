"""What POLICY.md asks of the registry's inputs: a named business owner (never IT), a platform
that fits the file, a Product Owner who alone signs off, a reviewer's reasoned decision. Each
check raises :class:`RegistryError` saying what to fix; nothing is written before they pass."""
from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterable
from typing import Any

from .registry_types import (
    DATA_ACCESS,
    FUNCTIONS,
    IMPACTS,
    NOT_BUSINESS,
    PLATFORM_OF_FORMAT,
    PLATFORMS,
    VERDICTS,
    Entry,
    RegistryError,
)

_IT_WORDS = frozenset({"it", "ict", "edv", "helpdesk", "servicedesk", "sysadmin", "admin", "administrator",
                       "informatik", "informatyka", "itsupport", "itops"})
_PLACEHOLDER_OWNERS = frozenset({"", "it", "n/a", "na", "none", "unknown", "tbd", "team", "everyone", "all"})


def who_am_i() -> str:
    """The account running the command: who an event names when no --by was given."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^\w]+|_", name.casefold()) if t]


def is_it_name(name: str | None) -> bool:
    """``IT``, ``IT-Support``, ``Anna Nowak (IT)``, ``EDV``, ``Helpdesk``: an IT function, not the business."""
    return bool(name) and any(t in _IT_WORDS for t in _tokens(str(name)))


def same_person(a: str | None, b: str | None) -> bool:
    """Names compared as people write them: case and runs of spaces do not matter."""
    return bool(a) and bool(b) and _tokens(str(a)) == _tokens(str(b))


def _named(name: str) -> bool:
    return name.strip().lower() not in _PLACEHOLDER_OWNERS and any(ch.isalpha() for ch in name)


def validate(fields: dict[str, Any]) -> dict[str, Any]:
    """Check registration fields against POLICY.md; returns the cleaned fields."""
    owner = (fields.get("owner") or "").strip()
    function = (fields.get("function") or "").strip().lower()
    if not _named(owner):
        raise RegistryError(f"owner {owner!r} is not a named person: name the one accountable business owner")
    if function not in FUNCTIONS:
        raise RegistryError(f"unknown function {function!r}: choose one of {', '.join(FUNCTIONS)}")
    if function in NOT_BUSINESS or is_it_name(owner):
        raise RegistryError("the accountable owner must come from the business (operations, quality, maintenance, "
                            "finance, ...), not IT; IT may be named with --contributors")
    product_owner = (fields.get("product_owner") or "").strip() or None
    if product_owner is not None and (not _named(product_owner) or is_it_name(product_owner)):
        raise RegistryError(f"product owner {product_owner!r} cannot sign off: the Product Owner is a named person "
                            "from the business, not IT (IT writes the code, Operations certifies it)")
    platform = (fields.get("platform") or "").strip().lower()
    if platform not in PLATFORMS:
        raise RegistryError(f"unknown platform {platform!r}: choose one of {', '.join(PLATFORMS)}")
    access = (fields.get("data_access") or "").strip().lower()
    if access not in DATA_ACCESS:
        raise RegistryError(f"unknown data access {access!r}: choose read-only or read-write")
    purpose = (fields.get("purpose") or "").strip()
    if not purpose:
        raise RegistryError("say what the tool is for with --purpose")
    review = fields.get("review_every")
    if review is not None and (not isinstance(review, int) or review <= 0):
        raise RegistryError(f"review interval must be a positive number of days, not {review!r}")
    contributors = tuple(c.strip() for c in (fields.get("contributors") or ()) if c and c.strip())
    return {**fields, "owner": owner, "function": function, "platform": platform, "data_access": access,
            "purpose": purpose, "contributors": contributors, "product_owner": product_owner,
            "cost_center": (fields.get("cost_center") or "").strip() or None,
            "scale_decision": (fields.get("scale_decision") or "").strip() or None}


def check_platform(platform: str, path: str) -> None:
    """The platform must be what the file is: a ``.py`` is python, an ``.xlsm`` excel."""
    fmt = path.rpartition(".")[2].lower() if "." in path.rsplit("/", 1)[-1] else ""
    fits = PLATFORM_OF_FORMAT.get(fmt)
    if fits is not None and platform != fits:
        raise RegistryError(f"platform {platform!r} does not fit a .{fmt} file: it is {fits} "
                            f"(use --platform {fits})")


def check_signer(entry: Entry, by: str) -> str:
    """Only the entry's Product Owner (or its business owner where none is named) signs off;
    an IT function never does. Returns the signer's name as registered."""
    by = (by or "").strip()
    who = f"only {entry.signer} ({'Product Owner' if entry.product_owner else 'business owner; no Product Owner named'})" \
          f" may sign off entry {entry.id}"
    if not by or not any(ch.isalpha() for ch in by):
        raise RegistryError(f"name who signs off with --by: {who}")
    if is_it_name(by):
        raise RegistryError(f"{by!r} is IT, and IT writes the code while Operations certifies it: {who}")
    if not same_person(by, entry.signer):
        raise RegistryError(f"{by!r} is not the Product Owner of entry {entry.id}: {who}")
    return entry.signer


def check_review(verdict: str, impacts: Iterable[str], by: str, reason: str) -> tuple[str, tuple[str, ...], str, str]:
    """A reviewer's decision: a verdict, the impacts a shadow-IT verdict names, a named reviewer and a reason."""
    verdict = (verdict or "").strip().lower()
    if verdict not in VERDICTS:
        raise RegistryError(f"unknown verdict {verdict!r}: choose shadow-it or citizen-development")
    found = tuple(sorted({i.strip().lower() for i in impacts if i and i.strip()}))
    unknown = [i for i in found if i not in IMPACTS]
    if unknown:
        raise RegistryError(f"unknown impact {unknown[0]!r}: choose financial, quality or both")
    if verdict == "shadow-it" and not found:
        raise RegistryError("a shadow-IT verdict names what it decides: --impacts financial, quality or both")
    if verdict == "citizen-development" and found:
        raise RegistryError("citizen development generates no financial data and controls no quality decision: "
                            "drop --impacts, or give the verdict shadow-it")
    by = (by or "").strip()
    if not _named(by):
        raise RegistryError(f"reviewer {by!r} is not a named person: say who reviewed it with --by")
    reason = " ".join((reason or "").split())
    if len(reason) < 10 or not any(ch.isalpha() for ch in reason):
        raise RegistryError(f"--reason {reason!r} is too short: say why in a sentence of at least 10 characters "
                            "(the report shows it beside the decision)")
    return verdict, found, by, reason
