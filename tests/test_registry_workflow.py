"""Issue 14: the Product Owner signs, registrations are checked against the analysis, entries are
edited with history, and reviewers' decisions last across rescans until the logic changes."""
import csv
import io
import json
import os

import pytest
from test_registry import CHART, CHART_CHANGED, POSTING, Cli, governance, workbook


@pytest.fixture
def cli(tmp_path, inventory):
    """The CLI on a new inventory: the whole workflow runs once on SQLite, once on PostgreSQL."""
    return Cli(tmp_path, inventory)


def refused(cli, *args, says):
    """A refusal: exit 2, one line naming the problem, and nothing written (registry, history, reviews)."""
    before = cli("registry", "export").output if cli.exists() else None
    result = cli(*args, ok=False)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for text in ([says] if isinstance(says, str) else says):
        assert text in lines[0], lines[0]
    assert "nothing written" in lines[0] or "not changed" in lines[0] or "nothing to change" in lines[0]
    after = cli("registry", "export").output if cli.exists() else None
    assert after == before
    return lines[0]


def export(cli):
    return json.loads(cli("registry", "export").output)


# 1. sign-off by the Product Owner only ------------------------------------------------------
def test_only_the_product_owner_signs_off(tmp_path, cli):
    book = workbook(tmp_path / "oee.xlsm", CHART)
    cli.register(book, "--product-owner", "Anna Nowak")
    refused(cli, "signoff", "1", "--by", "Somebody Else", says=["'Somebody Else' is not the Product Owner",
                                                                "only Anna Nowak (Product Owner) may sign off entry 1"])
    for it in ("IT", "IT-Support", "Anna Nowak (IT)", "EDV"):
        refused(cli, "signoff", book, "--by", it, says=["is IT", "only Anna Nowak"])
    assert export(cli)["entries"][0]["signoffs"] == []
    out = cli("signoff", "1", "--by", "anna  nowak").output  # the same person, written loosely
    assert "by Anna Nowak" in out
    assert export(cli)["entries"][0]["signoffs"][0]["signed_by"] == "Anna Nowak"


def test_without_a_product_owner_the_business_owner_signs(tmp_path, cli):
    book = workbook(tmp_path / "oee.xlsm", CHART)
    cli.register(book)
    refused(cli, "signoff", book, "--by", "Jan Nowak",
            says="only Anna Kowalska (business owner; no Product Owner named) may sign off entry 1")
    cli("signoff", book, "--by", "Anna Kowalska")


def test_an_it_product_owner_or_owner_is_refused_at_registration(tmp_path, cli):
    book = workbook(tmp_path / "oee.xlsm", CHART)
    refused(cli, "register", book, "--owner", "Anna Kowalska", "--function", "production", "--purpose", "OEE charts",
            "--platform", "excel", "--data-access", "read-only", "--product-owner", "IT Helpdesk",
            says="product owner 'IT Helpdesk' cannot sign off")
    refused(cli, "register", book, "--owner", "IT Department", "--function", "production", "--purpose", "OEE",
            "--platform", "excel", "--data-access", "read-only", says="not IT")
    assert not cli.exists()


# 2. validation against what was analysed ----------------------------------------------------
def test_platform_must_fit_the_file(tmp_path, cli):
    script = tmp_path / "oee_export.py"
    script.write_text("import csv\nwith open('x.csv') as f:\n    print(sum(1 for _ in csv.reader(f)))\n")
    refused(cli, "register", script, "--owner", "Anna Kowalska", "--function", "production", "--purpose", "counts",
            "--platform", "excel", "--data-access", "read-only",
            says="platform 'excel' does not fit a .py file: it is python (use --platform python)")
    assert not cli.exists()
    cli("register", script, "--owner", "Anna Kowalska", "--function", "production", "--purpose", "counts",
        "--platform", "python", "--data-access", "read-only")
    refused(cli, "registry", "edit", "1", "--platform", "access", says="does not fit a .py file")


def test_read_only_that_writes_is_refused_with_the_evidence_or_accepted_with_a_reason(tmp_path, cli):
    share = tmp_path / "share"
    book = workbook(share / "post.xlsm", POSTING)
    line = refused(cli, "register", book, "--owner", "Anna Kowalska", "--function", "finance", "--purpose", "post",
                   "--platform", "excel", "--data-access", "read-only",
                   says=["is not read-only, the analysis shows it writing", "INSERT INTO FI_Postings",
                         "--accept-writes"])
    assert "VBA/Dashboard line 2" in line
    assert not cli.exists()
    refused(cli, "register", book, "--owner", "Anna Kowalska", "--function", "finance", "--purpose", "post",
            "--platform", "excel", "--data-access", "read-write", "--accept-writes", "it only writes a log table",
            says="the data access is read-write")
    cli.register(book, "--accept-writes", "writes only its own run log, agreed with finance", "--by", "Ewa Lis")
    accepted = export(cli)["entries"][0]["accepted_writes"]
    assert accepted["reason"] == "writes only its own run log, agreed with finance" and accepted["by"] == "Ewa Lis"
    assert "INSERT INTO FI_Postings" in accepted["evidence"][0]["snippet"]
    art = cli.crawl(share)["post.xlsm"]
    rules = governance(art)
    assert "governance.writes-accepted" in rules and "governance.read-only-contradicted" not in rules
    shown = next(f for f in art["findings"] if f["rule"] == "governance.writes-accepted")
    assert "writes only its own run log" in shown["title"] and "accepted by Ewa Lis" in shown["evidence"][0]["snippet"]
    assert any("INSERT INTO FI_Postings" in e["snippet"] for e in shown["evidence"])
    workbook(book, POSTING.replace("FI_Postings", "FI_Journal"))  # other logic: the acceptance no longer covers it
    rules = governance(cli.crawl(share)["post.xlsm"])
    assert "governance.read-only-contradicted" in rules and "governance.writes-accepted" not in rules


# 3. edit with history -------------------------------------------------------------------------
@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_edit_keeps_every_change_in_the_history(tmp_path, cli):
    book = workbook(tmp_path / "oee.xlsm", CHART)
    cli.register(book, "--product-owner", "Anna Nowak", "--by", "Piotr Zieliński")
    out = cli("registry", "edit", "1", "--owner", "Jan Kowalski", "--cost-center", "K-200", "--by", "Ewa Lis").output
    assert "owner Anna Kowalska -> Jan Kowalski" in out and "cost_center (none) -> K-200" in out
    refused(cli, "registry", "edit", "1", "--function", "it", says="not IT")
    refused(cli, "registry", "edit", "1", "--owner", "Jan Kowalski", says="nothing to change")
    refused(cli, "registry", "edit", "1", "--product-owner", "IT", says="cannot sign off")
    cli("signoff", "1", "--by", "Anna Nowak")
    entry = json.loads(cli("registry", "show", "1").output)
    assert entry["owner"] == "Jan Kowalski" and entry["cost_center"] == "K-200"
    assert [(e["action"], e["by"]) for e in entry["history"]] == [
        ("register", "Piotr Zieliński"), ("edit", "Ewa Lis"), ("signoff", "Anna Nowak")]
    assert entry["history"][1]["changes"] == {"owner": ["Anna Kowalska", "Jan Kowalski"], "cost_center": [None, "K-200"]}
    text = cli("registry", "history", "1").output.splitlines()
    assert len(text) == 3 and " edit " in text[1] and "by Ewa Lis" in text[1] and "Jan Kowalski" in text[1]

    cli("registry", "remove", "1", "--by", "Ewa Lis")
    history = json.loads(cli("registry", "history", "1", "-f", "json").output)["history"]
    assert [e["action"] for e in history] == ["register", "edit", "signoff", "remove"]  # outlives the entry
    cli.register(book)
    assert export(cli)["entries"][0]["id"] == 2  # ids are never reused


def test_edit_to_read_only_is_checked_against_the_analysis(tmp_path, cli):
    book = workbook(tmp_path / "post.xlsm", POSTING)
    cli.register(book, "--data-access", "read-write")
    refused(cli, "registry", "edit", "1", "--data-access", "read-only", says="INSERT INTO FI_Postings")
    cli("registry", "edit", "1", "--data-access", "read-only", "--accept-writes", "posting is switched off in production")
    history = export(cli)["entries"][0]["history"]
    assert history[-1]["changes"]["accepted_writes"] == [None, "posting is switched off in production"]
    assert history[-1]["changes"]["data_access"] == ["read-write", "read-only"]


def test_import_of_a_version_1_export_and_history_in_the_file(tmp_path, cli):
    book = workbook(tmp_path / "oee.xlsm", CHART)
    cli.register(book)
    data = export(cli)
    old = {"schema": "shadowscan/registry-v1", "entries": [
        {k: v for k, v in e.items() if k not in ("history", "accepted_writes")} for e in data["entries"]]}
    (tmp_path / "v1.json").write_text(json.dumps(old))
    cli("registry", "import", tmp_path / "v1.json")
    assert [e["action"] for e in export(cli)["entries"][0]["history"]] == ["register", "import"]  # kept, plus import
    data = export(cli)
    data["entries"][0]["history"][0]["action"] = "rewrite"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    refused(cli, "registry", "import", tmp_path / "bad.json", says="$.entries[0].history[0].action")
    data["entries"][0]["history"][0]["action"] = "register"
    data["entries"][0]["signoffs"] = [{"signed_by": "IT", "signed_at": "2024-01-01", "fingerprint":
                                       data["entries"][0]["fingerprint"]}]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    refused(cli, "registry", "import", tmp_path / "bad.json", says="$.entries[0].signoffs[0].signed_by: 'IT' is IT")


# 4. reviewers' decisions ------------------------------------------------------------------------
@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_review_lasts_across_rescans_and_goes_stale_on_a_logic_change(tmp_path, cli):
    share = tmp_path / "share"
    book = workbook(share / "Quality" / "oee.xlsm", CHART)
    art = cli.crawl(share)["Quality/oee.xlsm"]
    assert art["classification"] == "citizen-development" and art["review"] is None
    out = cli("review", book, "--verdict", "shadow-it", "--impacts", "quality", "--by", "Marta Wiśniewska",
              "--reason", "operators block lots on this chart's red cells").output
    assert "the analysis says citizen-development" in out
    for _ in range(2):  # the first rescan and an unchanged one (reused analysis) both apply it
        art = cli.crawl(share)["Quality/oee.xlsm"]
        assert art["classification"] == "shadow-it" and art["impacts"] == ["quality"]
        assert art["action"] == "migrate to an enterprise system now"
        assert art["reasons"][0].startswith("Reviewed as shadow IT (quality) by Marta Wiśniewska on ")
        assert "operators block lots" in art["reasons"][0] and "the analysis said citizen development" in art["reasons"][0]
        assert art["review"]["state"] == "current" and art["review"]["analysis_classification"] == "citizen-development"
    report = json.loads(cli("report", "-f", "json").output)
    assert report["summary"]["reviews"] == {"reviewed": 1, "overrules": 1, "downgrades": 0, "stale": 0}
    html = cli("report", "-f", "html").output
    assert 'id="reviews"' in html and "Reviewed by people" in html and "operators block lots" in html

    workbook(book, CHART_CHANGED, rows=(("Day", "OEE"),))  # the logic changed after the review
    art = cli.crawl(share)["Quality/oee.xlsm"]
    assert art["classification"] == "citizen-development" and art["review"]["state"] == "stale"
    assert "governance.review-stale" in governance(art) and "is stale" in art["reasons"][-1]
    report = json.loads(cli("report", "-f", "json").output)
    assert report["summary"]["reviews"]["stale"] == 1 and report["summary"]["reviews"]["reviewed"] == 0
    assert "stale reviews" in cli("report", "-f", "html").output
    assert " stale " in cli("reviews").output

    cli("review", book, "--verdict", "citizen-development", "--by", "Marta Wiśniewska",
        "--reason", "the new version only charts OEE by shift")
    art = cli.crawl(share)["Quality/oee.xlsm"]
    assert art["review"]["state"] == "current" and not art["review"]["overrules"]
    assert "governance.review-stale" not in governance(art)
    states = [r["state"] for r in json.loads(cli("reviews", "-f", "json").output)]
    assert states == ["replaced", "current"]


def test_a_downgrade_of_proven_impact_is_shown_with_its_reason(tmp_path, cli):
    share = tmp_path / "share"
    book = workbook(share / "Finance" / "post.xlsm", POSTING)
    cli("review", book, "--verdict", "citizen-development", "--by", "Jan Nowak",
        "--reason", "the FI_Postings table is a sandbox copy nobody books from")
    art = cli.crawl(share)["Finance/post.xlsm"]
    assert art["classification"] == "citizen-development"
    overrules = next(f for f in art["findings"] if f["rule"] == "governance.review-overrules")
    assert overrules["severity"] == "high" and "financial" in overrules["title"]
    assert "sandbox copy nobody books from" in overrules["evidence"][0]["snippet"]
    assert any(r.startswith("Analysis: ") and "FI_Postings" in r for r in art["reasons"])  # the analysis stays shown
    assert art["headline"].startswith("Reviewed as citizen-development by Jan Nowak")
    report = json.loads(cli("report", "-f", "json").output)
    assert report["summary"]["reviews"]["downgrades"] == 1
    html = cli("report", "-f", "html").output
    assert "although the analysis proves an impact" in html and "sandbox copy nobody books from" in html


def test_review_refusals(tmp_path, cli):
    book = workbook(tmp_path / "oee.xlsm", CHART)
    cli.register(book)
    refused(cli, "review", book, "--verdict", "shadow-it", "--by", "Jan Nowak", "--reason", "it decides lot release",
            says="--impacts financial, quality or both")
    refused(cli, "review", book, "--verdict", "citizen-development", "--impacts", "quality", "--by", "Jan Nowak",
            "--reason", "only charts", says="drop --impacts")
    refused(cli, "review", book, "--verdict", "shadow-it", "--impacts", "safety", "--by", "Jan Nowak",
            "--reason", "it decides lot release", says="unknown impact 'safety'")
    refused(cli, "review", book, "--verdict", "citizen-development", "--by", "n/a", "--reason", "only charts OEE",
            says="not a named person")
    refused(cli, "review", book, "--verdict", "citizen-development", "--by", "Jan Nowak", "--reason", "ok",
            says="is too short: say why")
    assert export(cli)["reviews"] == []


# 5. listing -------------------------------------------------------------------------------------
@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_registry_list_formats_and_filters(tmp_path, cli):
    share = tmp_path / "share"
    one = workbook(share / "oee.xlsm", CHART)
    two = workbook(share / "post.xlsm", POSTING)
    cli.register(one, "--product-owner", "Anna Nowak")
    cli("register", two, "--owner", "Jan Nowak", "--function", "finance", "--purpose", "postings",
        "--platform", "excel", "--data-access", "read-write")
    cli("signoff", "1", "--by", "Anna Nowak")
    rows = json.loads(cli("registry", "list", "-f", "json").output)
    assert [(r["id"], r["signoff"]) for r in rows] == [(1, "valid"), (2, "missing")]
    assert [r["id"] for r in json.loads(cli("registry", "list", "-f", "json", "--function", "finance").output)] == [2]
    assert [r["id"] for r in json.loads(cli("registry", "list", "-f", "json", "--owner", "anna nowak").output)] == [1]
    table = list(csv.DictReader(io.StringIO(cli("registry", "list", "-f", "csv", "--state", "missing").output)))
    assert [r["id"] for r in table] == ["2"] and table[0]["owner"] == "Jan Nowak"
    workbook(one, CHART_CHANGED)
    cli.crawl(share)
    assert [r["id"] for r in json.loads(cli("registry", "list", "-f", "json", "--state", "stale").output)] == [1]
    assert "No registry entry matches" in cli("registry", "list", "--function", "hr").output


def test_an_inventory_of_the_previous_release_reads_and_upgrades(tmp_path):
    """Without the history and review tables (and the accepted-writes column): a read-only report
    still reads it (empty history, no reviews); the next command that writes adds them (SQLite: the
    previous release knew no other backend)."""
    import sqlite3

    cli = Cli(tmp_path)

    share = tmp_path / "share"
    book = workbook(share / "oee.xlsm", CHART)
    cli.register(book)
    cli.crawl(share)
    db = sqlite3.connect(cli.db)
    db.executescript("DROP TABLE registry_events; DROP TABLE reviews; ALTER TABLE registry DROP COLUMN accepted_writes;")
    db.close()
    os.chmod(cli.db, 0o444)
    try:
        report = json.loads(cli("report", "-f", "json").output)
        assert report["registry"][0]["history"] == [] and report["reviews"] == []
        assert "no recorded history" in cli("registry", "history", "1").output
    finally:
        os.chmod(cli.db, 0o644)
    cli("registry", "edit", "1", "--cost-center", "K-1")
    assert [e["action"] for e in export(cli)["entries"][0]["history"]] == ["edit"]
