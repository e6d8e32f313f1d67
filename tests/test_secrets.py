"""Planted secrets never appear in any output: terminal, every report format, the inventory database."""
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fixtures.jet4 import Column, LinkedTable, Query, QueryRow, Table, write_mdb
from fixtures.office import VbaModule, write_workbook
from shadowscan.analyzers.access import pick_driver

REPO = Path(__file__).resolve().parent.parent
SECRETS = ["Sommer2024!", "hunter2hunter2", "Tajne#Haslo9", "s3cr3t-t0ken-x9", "Pa55w0rd-Erp", "AKIAFAKEKEY12345"]
ACCESS_SECRETS = ["Lager#Link77", "PassThru-Qms9"]


def plant(share: Path) -> None:
    share.mkdir()
    (share / "post.py").write_text(
        f'conn = pyodbc.connect("DRIVER={{SQL Server}};SERVER=erp01;UID=sa;PWD={SECRETS[0]}")\n'
        f'API_TOKEN = "{SECRETS[3]}"\nrequests.post("https://bob:{SECRETS[4]}@erp01/api", json=costs)\n')
    (share / "load.ps1").write_text(f'$c = ConvertTo-SecureString "{SECRETS[2]}" -AsPlainText -Force\n'
                                    f'Invoke-Sqlcmd -ServerInstance qms -Password {SECRETS[1]} -Query "SELECT 1"\n')
    (share / "keys.R").write_text(f'api_key <- "{SECRETS[5]}"\n')
    write_workbook(share / "erp.xlsm", sheets={"S": [["x"]]}, vba_modules=[VbaModule(
        "Conn", f'Sub C()\n    cn.Open "Provider=SQLOLEDB;Data Source=erp01;User ID=sa;Password={SECRETS[1]};"\nEnd Sub\n')],
        connections=[{"name": "ERP", "connection_string": f"DSN=ERP;UID=fin;PWD={SECRETS[2]}",
                      "command": "SELECT * FROM postings"}])
    # An Access database: an ODBC-linked table and a pass-through query, each with a password.
    write_mdb(share / "lager.mdb",
              tables=[Table("Bestand", [Column("Teil", "text"), Column("Menge", "long")], [("A-1", 3)])],
              links=[LinkedTable("ERP_Lager", "dbo.STOCK", connect=f"ODBC;DSN=ERP;UID=lager;PWD={ACCESS_SECRETS[0]};")],
              queries=[Query("qryQms", [QueryRow(0), QueryRow(1, expression="SELECT * FROM lots", flag=8,
                                                           name1=f"ODBC;DSN=QMS;UID=q;PWD={ACCESS_SECRETS[1]}"),
                                        QueryRow(255)], flags=112)])


def output_texts(tmp_path: Path) -> list[str]:
    """Every file a report wrote, as text (XLSX: every part of the package)."""
    texts = []
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file() and "share" not in p.parts):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as package:
                texts += [package.read(name).decode("utf-8", "replace") for name in package.namelist()]
        else:
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return texts


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_no_output_carries_a_planted_secret(tmp_path):
    share = tmp_path / "share"
    plant(share)
    db = tmp_path / "inv.db"
    cli = [sys.executable, "-m", "shadowscan.cli", "--db", str(db)]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    outputs = [subprocess.run(cli + ["crawl", str(share), "--report", str(tmp_path / "r.html")],
                              capture_output=True, text=True, env=env, check=True)]
    for fmt in ("json", "csv"):
        outputs.append(subprocess.run(cli + ["report", "-f", fmt], capture_output=True, text=True, env=env, check=True))
    everything = ["-f", "html", "-f", "json", "-f", "csv", "-f", "csv-findings", "-f", "xlsx", "-f", "sarif",
                  "-f", "migration", "-o", str(tmp_path / "out" / "all")]
    outputs.append(subprocess.run(cli + ["report", *everything], capture_output=True, text=True, env=env, check=True))
    texts = [o.stdout + o.stderr for o in outputs] + output_texts(tmp_path)
    assert len(texts) > 12  # terminal, seven formats, migration pages, the database files
    texts.append("\n".join(sqlite3.connect(db).iterdump()))
    for path in tmp_path.glob("inv.db*"):
        texts.append(path.read_bytes().decode("latin-1"))  # the raw file, WAL included
    report = json.loads(outputs[1].stdout)
    found = {f["rule"] for a in report["artifacts"] for f in a["findings"]}
    assert {"secrets.connection-password", "secrets.hardcoded", "secrets.url-credentials"} <= found
    planted = SECRETS
    if pick_driver() is not None:
        lager = next(a for a in report["artifacts"] if a["relpath"] == "lager.mdb")
        assert lager["status"] == "analyzed", lager["status_reason"]
        assert "PWD=***" in lager["facts"]["linked_tables"][0]["connect"]
        assert "PWD=***" in lager["facts"]["queries"][0]["connect"]
        planted = SECRETS + ACCESS_SECRETS
    for secret in planted:
        for text in texts:
            assert secret not in text


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_dummy_password_of_the_corpus_database_never_shows(tmp_path, corpus):
    """odbcLinkerTestV2007.accdb links an ODBC table with PWD=DummyPassword: no output shows it."""
    if pick_driver() is None:
        import pytest

        pytest.skip("no Access ODBC driver (Debian: apt-get install unixodbc odbc-mdbtools)")
    share = tmp_path / "share"
    share.mkdir()
    shutil.copy(corpus / "access/jackcess/odbcLinkerTestV2007.accdb", share)  # a temporary copy, not into the project
    db = tmp_path / "inv.db"
    cli = [sys.executable, "-m", "shadowscan.cli", "--db", str(db)]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    runs = [subprocess.run(cli + ["crawl", str(share)], capture_output=True, text=True, env=env, check=True),
            subprocess.run(cli + ["report", "-f", "html", "-f", "json", "-f", "csv-findings", "-f", "xlsx", "-f", "sarif",
                                  "-f", "migration", "-o", str(tmp_path / "out" / "r")],
                           capture_output=True, text=True, env=env, check=True)]
    texts = [r.stdout + r.stderr for r in runs] + output_texts(tmp_path)
    texts += [p.read_bytes().decode("latin-1") for p in tmp_path.glob("inv.db*")]
    assert any("PWD=***" in t for t in texts)
    assert not [t for t in texts if "DummyPassword" in t]


# Every real shape a password takes (issue 12, item 10), planted in every kind of artifact. ---------
def _secret(n: int) -> str:
    """A password with a space and an ``&`` inside (the tail used to leak) and plain ends, so a
    leaked prefix or tail of four characters can be searched for in escaped outputs too."""
    return f"Zq{n:02d}w#Vx& Kp{n:02d}Lm"


VBA_SHAPES = [  # code lines; {s} is the secret
    'cn.Open "DSN=ERP", "sa", "{s}"',
    'cn.Open("DSN=ERP", "sa", "{s}")',
    's = "Provider=SQLOLEDB;Data Source=erp01;Password=" & "{s}"',
    's = "Provider=SQLOLEDB;Data Source=erp01;Password=" & _\n        "{s}"',
    's = "Provider=SQLOLEDB;Data Source=erp01;User ID=sa;Password={s};"',
    's = "Provider=SQLOLEDB;' + "Data Source=erp01;" * 9 + 'PWD={s};"',  # cut by the 200-character snippet
    'ws.Unprotect "{s}"',
    'Set db = OpenDatabase("x.mdb", False, False, "ODBC;DSN=ERP;UID=sa;PWD={s};")',
]
SCRIPT_SHAPES = {
    "py": ['r = requests.get(url, auth=("svc", "{s}"))',
           'con = pymssql.connect("erp01", "sa", "{s}", "erp")',
           'conn = pyodbc.connect("DRIVER={{SQL Server}};SERVER=erp01;UID=sa;PWD={s}")',
           'cur.execute("UPDATE Kosten SET x = 1") ; smtp.login("svc", "{s}")'],
    "ps1": ['Invoke-Sqlcmd -ServerInstance qms -Password:"{s}" -Query "UPDATE Lots SET x = 1"',
            'Invoke-Sqlcmd -ServerInstance qms -Password "{s}" -Query "SELECT 1"',
            '$c = New-Object System.Net.NetworkCredential("svc", "{s}")'],
    "bat": ['net use \\\\srv\\share "{s}" /user:PLANT\\svc',
            'sqlcmd -S erp01 -U sa -P "{s}" -Q "UPDATE Kosten SET x = 1"',
            'curl -u "svc:{s}" https://erp01/api',
            'mysql -u root "-p{s}" erp'],
    "sql": ["EXEC sp_addlinkedsrvlogin 'ERP', 'false', NULL, 'sa', '{s}';",
            "EXEC sp_addlinkedsrvlogin @rmtsrvname = 'ERP', @useself = 'false', @rmtuser = 'sa', @rmtpassword = '{s}';",
            "SELECT * FROM OPENROWSET('Microsoft.ACE.OLEDB.12.0', 'C:\\x.mdb'; 'admin'; '{s}', 'SELECT * FROM t');",
            "SELECT * FROM OPENROWSET('SQLNCLI', 'Server=erp01;Uid=sa;Pwd={s};', 'SELECT 1');"],
    "vbs": VBA_SHAPES[:5],
    "r": ['con <- dbConnect(odbc::odbc(), "ERP", uid = "sa", pwd = "{s}")'],
}
# Named like a password where the name is a string key, an id, a constant or an environment variable
# (a new user's trial: each was stored and reported in clear). Planted in files of their own.
NAMED_SHAPES = {
    "vbs": ['objMail.Configuration.Fields.Item("http://schemas.microsoft.com/cdo/configuration/sendpassword") = "{s}"',
            '.Item(cdoSendPassword) = "{s}"',
            'objMsg.Configuration.Fields("http://schemas.microsoft.com/cdo/configuration/sendpassword") = "{s}"',
            '.Fields.Item("urn:schemas:httpmail:pwd").Value = "{s}"',
            'session.findById("wnd[0]/usr/pwdRSYST-BCODE").text = "{s}"',
            'Me.txtPassword.Value = "{s}"',
            'Forms!Login!txtPwd = "{s}"'],
    "ps1": ['$env:DB_PASSWORD = "{s}"',
            '${{env:DB_PASSWORD}} = "{s}"',
            '[Environment]::SetEnvironmentVariable("DB_PASSWORD", "{s}", "User")',
            'Set-Item -Path Env:DB_PASSWORD -Value "{s}"',
            '$h = "Basic " + [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes("svc:{s}"))'],
    "py": ['os.environ["DB_PASSWORD"] = "{s}"',
           "os.environ.setdefault('API_TOKEN', '{s}')",
           'pw = os.getenv("ERP_PW", "{s}")',
           'headers = {{"X-Api-Key": "{s}"}}',
           'session.findById("wnd[0]/usr/pwdRSYST-BCODE").text = "{s}"'],
    "bat": ['set "DB_PASSWORD={s}"',
            'setx DB_PASSWORD "{s}" /M'],
}


def plant_every_shape(share: Path) -> list[str]:
    """Every shape in every kind; returns the planted secrets."""
    share.mkdir()
    secrets: list[str] = []

    def s() -> str:
        secrets.append(_secret(len(secrets)))
        return secrets[-1]

    def vba_module() -> str:
        return "Sub Connect()\n" + "".join("    " + shape.format(s=s()) + "\n" for shape in VBA_SHAPES) + "End Sub\n"

    for ext, shapes in SCRIPT_SHAPES.items():
        (share / f"tool.{ext}").write_text("\n".join(shape.format(s=s()) for shape in shapes) + "\n")
    for ext, shapes in NAMED_SHAPES.items():
        (share / f"named.{ext}").write_text("\n".join(shape.format(s=s()) for shape in shapes) + "\n")
    write_workbook(share / "erp.xlsm", sheets={"S": [["x"]]}, vba_modules=[VbaModule("Conn", vba_module())],
                   connections=[{"name": "ERP", "connection_string": f"DSN=ERP;UID=fin;PWD={s()}",
                                 "command": f"EXEC sp_addlinkedsrvlogin 'ERP', 'false', NULL, 'sa', '{s()}'"}],
                   properties={"title": f"ERP login PWD={s()}", "creator": f"Passwort: {s()}",
                               "last_modified_by": f"svc password={s()}"})
    if pick_driver() is not None:
        write_mdb(share / "lager.mdb",
                  tables=[Table("Bestand", [Column("Teil", "text")], [("A-1",)])],
                  links=[LinkedTable("ERP_Lager", "dbo.STOCK", connect=f"ODBC;DSN=ERP;UID=lager;PWD={s()};")],
                  queries=[Query("qryQms", [QueryRow(0), QueryRow(
                      1, expression=f"EXEC sp_addlinkedsrvlogin 'QMS', 'false', NULL, 'q', '{s()}'", flag=8,
                      name1=f"ODBC;DSN=QMS;UID=q;PWD={s()}"), QueryRow(255)], flags=112)],
                  modules=[VbaModule("Verbindung", vba_module())])
    return secrets


def _unescaped(text: str) -> str:
    import html

    return html.unescape(text.replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">"))


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_every_shape_of_secret_in_every_kind_stays_masked(tmp_path):
    share = tmp_path / "share"
    secrets = plant_every_shape(share)
    db = tmp_path / "inv.db"
    cli = [sys.executable, "-m", "shadowscan.cli", "--db", str(db)]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    outputs = [subprocess.run(cli + ["crawl", str(share), "--jobs", "2"], capture_output=True, text=True, env=env,
                              check=True)]
    everything = ["-f", "html", "-f", "json", "-f", "csv", "-f", "csv-findings", "-f", "xlsx", "-f", "sarif",
                  "-f", "migration", "-o", str(tmp_path / "out" / "all")]
    outputs.append(subprocess.run(cli + ["report", *everything], capture_output=True, text=True, env=env, check=True))
    report = json.loads((tmp_path / "out" / "all.json").read_text())
    statuses = {a["relpath"]: a["status"] for a in report["artifacts"]}
    assert set(statuses.values()) == {"analyzed"}, statuses
    texts = [o.stdout + o.stderr for o in outputs] + output_texts(tmp_path)
    texts.append("\n".join(sqlite3.connect(db).iterdump()))
    texts += [p.read_bytes().decode("latin-1") for p in tmp_path.glob("inv.db*")]  # the raw file, WAL included
    texts += [_unescaped(t) for t in texts]
    leaks = [(secret, piece) for secret in secrets for piece in (secret, secret[:4], secret[-4:])
             if any(piece in t for t in texts)]
    assert not leaks, f"{len(leaks)} leaks of {len(secrets)} planted secrets: {leaks}"
    # the masks are there to be seen, and the evidence around them survives
    everywhere = "\n".join(texts)
    assert everywhere.count("***") > len(secrets)


@pytest.mark.parametrize("language,line", [
    ("vbscript", 'session.findById("wnd[0]/usr/pwdRSYST-BCODE").text = "Sup3rS3cretSAP!"'),
    ("python", 'session.findById("wnd[0]/usr/pwdRSYST-BCODE").text = "Sup3rS3cretSAP!"'),
    ("vba", 'objMail.Configuration.Fields.Item("http://schemas.microsoft.com/cdo/configuration/sendpassword") = "Cdo12!"'),
    ("vba", '.Item(cdoSendPassword) = "Cdo12!"'),
    ("vba", 'Me.txtPassword.Value = "Form12!"'),
    ("powershell", '$env:DB_PASSWORD = "EnvLeak10!"'),
    ("powershell", '${env:DB_PASSWORD} = "EnvLeak10!"'),
    ("python", 'os.environ["DB_PASSWORD"] = "EnvLeak10!"'),
    ("batch", "set DB_PASSWORD=BatLeak4!"),
    ("batch", 'set "DB_PASSWORD=BatLeak4!"'),
    ("batch", 'setx DB_PASSWORD "BatLeak4!"'),
    ("powershell", '$pw = "Sup3rPw!"'),
    ("vba", 'strPw = "Hung4rian!"'),
    ("python", 'dbPW = "CamelPw9!"'),
])
def test_a_literal_assigned_to_a_password_by_name_is_flagged_and_masked(language, line):
    """A SAP GUI password field (id type prefix ``pwd``), a CDO configuration field, a constant, a
    control, an environment variable: flagged ``secrets.hardcoded``, the value masked in its evidence."""
    from shadowscan.rules.engine import scan_text

    found = scan_text(line + "\n", language, "script")
    assert [f for f in found if f.rule == "secrets.hardcoded"], line
    value = line.replace("setx DB_PASSWORD ", "=").rsplit("=", 1)[-1].strip().strip('"')
    snippets = [e.snippet for f in found for e in f.evidence]  # as the engine stores them: no second redaction
    assert snippets and all(value not in s for s in snippets), snippets
    assert all("***" in s for f in found if f.rule == "secrets.hardcoded" for s in (e.snippet for e in f.evidence))


@pytest.mark.parametrize("language,line", [
    ("vba", 'session.findById("wnd[0]/usr/txtRSYST-BNAME").text = "QSCAN"'),
    ("vba", 'If Me.txtPassword.Value = "" Then Exit Sub'),
    ("vba", 'Set passwordBox = Me.Controls("txtPassword")'),
    ("batch", "set DB_PASSWORD=%1"),
    ("batch", "set /p DB_PASSWORD=Enter the password:"),
    ("powershell", "$env:DB_PASSWORD = Read-Host -AsSecureString"),
    ("python", 'upward = "north-east"'),
    ("python", 'pwm_duty = "fifty"'),
])
def test_reading_or_prompting_for_a_password_is_no_hardcoded_secret(language, line):
    from shadowscan.rules.engine import scan_text

    assert not [f for f in scan_text(line + "\n", language, "script") if f.rule == "secrets.hardcoded"], line


@pytest.mark.parametrize("language,line", [("powershell", '$pw = "Sup3rPw!"'), ("vba", 'strPw = "Hung4rian!"'),
                                           ("python", 'dbPW = "CamelPw9!"')])
def test_the_engines_own_evidence_of_a_short_password_name_is_masked(language, line):
    """The evidence as the engine stores it (no second redaction): ``pw`` as a name or its last word."""
    from shadowscan.rules.engine import scan_text

    value = line.rsplit("=", 1)[-1].strip().strip('"')
    snippets = [e.snippet for f in scan_text(line + "\n", language, "script") for e in f.evidence]
    assert snippets and all(value not in s for s in snippets), snippets
