"""Direct unit tests of governance.assess (POLICY.md "Ownership and sign-off") and of the one
order of who to ask (owners.py): pure functions, no crawl."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shadowscan import owners
from shadowscan.classify import classify
from shadowscan.governance import assess, signoff_state
from shadowscan.model import Analysis, Evidence, Family, Finding, Severity, Status
from shadowscan.registry import Entry, Match, Signoff

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
LOGIC = "vba:" + "a" * 64
OTHER = "vba:" + "b" * 64


def entry(**changes: object) -> Entry:
    fields: dict[str, object] = dict(id=7, path="/share/Quality/chart.xlsm", kind="excel", fingerprint=LOGIC,
                                     sha256=None, owner="Anna Nowak", function="quality", purpose="charts",
                                     platform="excel", data_access="read-only", cost_center="K-1", review_every=90,
                                     registered_at="2026-05-01T00:00:00+00:00",
                                     signoffs=(Signoff("Anna Nowak", "2026-05-02T00:00:00+00:00", None, LOGIC),))
    fields.update(changes)
    return Entry(**fields)


def analysis(fingerprint: str = LOGIC, *findings: Finding, **facts: object) -> Analysis:
    return Analysis(Status.ANALYZED, "", findings, facts, fingerprint=fingerprint)


def rules(match: Match | None, a: Analysis) -> list[str]:
    found, _state = assess(match, a, classify(a), NOW)
    return [f.rule for f in found]


def test_a_complete_registration_raises_nothing():
    found, state = assess(Match(entry(), "registered"), analysis(), classify(analysis()), NOW)
    assert found == []
    assert state == {"registered": True, "registry_id": 7, "owner": "Anna Nowak", "signoff": "valid",
                     "registry_match": "registered"}


def test_unregistered_names_the_document_people_in_order_found():
    a = analysis(owner_hints={"author": "Jan", "title": "OEE", "last_modified_by": "Ewa", "file_owner": "ewa"})
    found, state = assess(None, a, classify(a), NOW)
    assert [f.rule for f in found] == ["governance.no-owner"] and state["registered"] is False
    assert found[0].evidence[0].snippet == ("not in the registry (document author: Jan, last modified by: Ewa, "
                                            "file owner: ewa)")
    assert found[0].severity is Severity.LOW  # citizen development; shadow IT would be medium


@pytest.mark.parametrize(("changes", "fingerprint", "expected"), [
    ({"signoffs": ()}, LOGIC, ["governance.no-signoff"]),
    ({"signoffs": ()}, OTHER, ["governance.changed-without-signoff"]),
    ({}, OTHER, ["governance.changed-without-signoff"]),
    ({"cost_center": None}, LOGIC, ["governance.no-cost-center"]),
    ({"review_every": None}, LOGIC, ["governance.no-review-cadence"]),
    ({"review_every": 10}, LOGIC, ["governance.review-overdue"]),
    ({"function": "it"}, LOGIC, ["governance.it-owner"]),
])
def test_each_gap_is_one_finding(changes, fingerprint, expected):
    assert rules(Match(entry(**changes), "registered"), analysis(fingerprint)) == expected


def test_a_copy_is_named_and_the_sign_off_state_follows_the_logic():
    assert rules(Match(entry(), "copy"), analysis()) == ["governance.copy"]
    assert signoff_state(Match(entry(), "registered"), OTHER) == "stale"
    assert signoff_state(Match(entry(signoffs=(Signoff("None", "", None, LOGIC),)), "registered"), LOGIC) == "missing"
    assert signoff_state(None, LOGIC) == "missing"


def test_read_only_that_writes_is_contradicted_unless_accepted_for_this_logic():
    write = Finding("writes.file", Family.WRITES, "Writes files", Severity.MEDIUM,
                    (Evidence("VBA/Module1", 3, "ws.SaveAs"),))
    a = analysis(LOGIC, write)
    assert rules(Match(entry(), "registered"), a) == ["governance.read-only-contradicted"]
    accepted = {"reason": "an export for the auditor", "by": "Anna Nowak", "at": "2026-05-01", "fingerprint": LOGIC}
    assert rules(Match(entry(accepted_writes=accepted), "registered"), a) == ["governance.writes-accepted"]
    stale = {**accepted, "fingerprint": OTHER}
    assert rules(Match(entry(accepted_writes=stale), "registered"), a) == ["governance.read-only-contradicted"]


@pytest.mark.parametrize(("hints", "registered", "expected"), [
    ({"author": "Jan", "last_modified_by": "Ewa", "file_owner": "ewa"}, "Anna", ("registered owner", "Anna")),
    ({"author": "Jan", "last_modified_by": "Ewa", "file_owner": "ewa"}, None, ("last edited by", "Ewa")),
    ({"author": "Jan", "file_owner": "ewa"}, None, ("author", "Jan")),
    ({"file_owner": "ewa"}, None, ("file owner", "ewa")),
    ({"file_owner": "NT AUTHORITY\\SYSTEM"}, None, ("department", "Quality")),
    ({"file_owner": "root", "title": "OEE"}, None, ("department", "Quality")),
])
def test_who_to_ask_in_one_order(hints, registered, expected):
    assert owners.who_to_ask(hints, registered, "Quality") == expected


def test_hints_and_the_document_person():
    assert owners.hints_of({"owner_hints": None}) == {} and owners.hints_of({}) == {}
    assert owners.document_person({"author": "Jan", "last_modified_by": "Ewa"}) == "Ewa"
    assert owners.document_person({"title": "OEE", "file_owner": "ewa"}) is None
