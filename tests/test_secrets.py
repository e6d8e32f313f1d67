"""Planted secrets never appear in any output: terminal, HTML, JSON, CSV, the inventory database."""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from shadowscan.fixtures.office import VbaModule, write_workbook

REPO = Path(__file__).resolve().parent.parent
SECRETS = ["Sommer2024!", "hunter2hunter2", "Tajne#Haslo9", "s3cr3t-t0ken-x9", "Pa55w0rd-Erp", "AKIAFAKEKEY12345"]


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
    texts = [o.stdout + o.stderr for o in outputs] + [(tmp_path / "r.html").read_text()]
    texts.append("\n".join(sqlite3.connect(db).iterdump()))
    for path in tmp_path.glob("inv.db*"):
        texts.append(path.read_bytes().decode("latin-1"))  # the raw file, WAL included
    report = json.loads(outputs[1].stdout)
    found = {f["rule"] for a in report["artifacts"] for f in a["findings"]}
    assert {"secrets.connection-password", "secrets.hardcoded", "secrets.url-credentials"} <= found
    for secret in SECRETS:
        for text in texts:
            assert secret not in text
