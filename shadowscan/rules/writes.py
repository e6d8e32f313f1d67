"""Writes: SQL data changes, recordset edits, file writes onto shares, e-mail, web posts.

Every rule here is ``persistent``: the program leaves data behind that others rely on.
"""
from __future__ import annotations

import re

from ..model import Family, Severity
from .engine import Rule

I = re.IGNORECASE
VB = frozenset({"vba", "vbscript"})

RULES = (
    Rule(
        "writes.sql", Family.WRITES, "Changes database data (SQL INSERT/UPDATE/DELETE/MERGE, make-table, DDL)",
        Severity.HIGH,
        re.compile(
            # shaped like SQL, not prose: INSERT INTO t (...)|VALUES|SELECT, SELECT ... INTO t FROM
            r"\b(?:insert\s+into\s+[\w\[\].\"`]+\s*(?:\(|values\b|select\b|\"\s*&)|insert\s+into\s*\"\s*&|"
            r"update\s+[\w\[\].\"` ]+?\s+set\b|delete\s+(?:\*\s+)?from\s+[\w\[\].\"`]+|merge\s+into|"
            r"select\b.+?\binto\s+[\w\[\].]+\s+from\b|truncate\s+table\b|(?:create|drop|alter)\s+table\b)", I),
        persistent=True,
    ),
    Rule(
        "writes.recordset", Family.WRITES, "Edits records through ADO/DAO (AddNew/Edit/Update, RunSQL)",
        Severity.HIGH,
        # ADO's cn.Execute also runs SELECTs, so it is not a write by itself: the SQL it runs
        # is caught by writes.sql. DAO's CurrentDb.Execute and DoCmd.RunSQL only run action queries.
        re.compile(r"\.addnew\b|\.edit\s*$|\b\w*(?:rs|rst|recordset)\w*\.(?:update|delete)\b|"
                   r"\bdocmd\.runsql\b|\bcurrentdb(?:\(\))?\.execute\b", I),
        languages=VB, persistent=True,
    ),
    Rule(
        "writes.file", Family.WRITES, "Writes, copies or deletes files (SaveAs, Kill, exports)",
        Severity.MEDIUM,
        re.compile(r"\.saveas\b|\.savecopyas\b|\bkill\s|\bfilecopy\b|\bopen\b.+\bfor\s+(?:output|append|binary)\b|"
                   r"\.createtextfile\b|\.savetofile\b|\.(?:copy|move|delete)(?:file|folder)\b|\bmkdir\b|"
                   r"\.exportasfixedformat\b|\bdocmd\.(?:transferspreadsheet|transfertext|outputto)\b", I),
        languages=VB, persistent=True,
    ),
    Rule(
        "writes.file", Family.WRITES, "Writes, copies or deletes files",
        Severity.MEDIUM,
        re.compile(r"\bopen\([^)]*,\s*(?:mode\s*=\s*)?['\"][^'\"]*[wax+]|\.to_(?:csv|excel|sql|parquet|json)\(|"
                   r"\bshutil\.(?:copy\w*|move|rmtree)\(|\bos\.(?:remove|unlink|rename|replace|makedirs)\(|"
                   r"\.write_(?:text|bytes)\(|\.save\(", I),
        languages=frozenset({"python"}), persistent=True,
    ),
    Rule(
        "writes.file", Family.WRITES, "Writes, copies or deletes files",
        Severity.MEDIUM,
        re.compile(r"\b(?:set-content|add-content|out-file|export-csv|export-excel|remove-item|copy-item|"
                   r"move-item|rename-item|new-item)\b|\[io\.file\]::write", I),
        languages=frozenset({"powershell"}), persistent=True,
    ),
    Rule(
        "writes.file", Family.WRITES, "Writes, copies or deletes files",
        Severity.MEDIUM,
        re.compile(r"^\s*@?(?:copy|xcopy|robocopy|move|del|erase|ren|rename|mkdir|md|rd|rmdir)\b|>>?\s*(?!nul\b)[\w\\%\"]",
                   I),
        languages=frozenset({"batch"}), persistent=True,
    ),
    Rule(
        "writes.file", Family.WRITES, "Writes, copies or deletes files",
        Severity.MEDIUM,
        re.compile(r"\bwrite\.(?:csv2?|table|xlsx)\(|\bwritelines\(|\bsaverds\(|\bwrite_(?:csv|xlsx)\(|"
                   r"\bfile\.(?:copy|rename|remove)\(|\bunlink\(", I),
        languages=frozenset({"r"}), persistent=True,
    ),
    Rule(
        "writes.email", Family.WRITES, "Sends e-mail",
        Severity.MEDIUM,
        re.compile(r"outlook\.application|cdo\.message|\bdocmd\.sendobject\b|\.sendmail\b|send-mailmessage|"
                   r"\bsmtplib\b|\bsendmail\b|\bblat(?:\.exe)?\s|\bsend\.mail\(|system\.net\.mail", I),
        persistent=True,
    ),
    Rule(
        "writes.web", Family.WRITES, "Sends data to a web service (POST/PUT)",
        Severity.HIGH,
        re.compile(r"\brequests\.(?:post|put|patch|delete)\(|-method\s+['\"]?(?:post|put|patch|delete)\b|"
                   r"\.open\s*\(?\s*\"(?:post|put|patch|delete)\"|\bhttr::(?:post|put)\(|"
                   r"\bcurl\b.*\s-(?:x\s*post|d|-data)\b", I),
        persistent=True,
    ),
)
