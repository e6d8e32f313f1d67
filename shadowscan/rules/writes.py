"""Writes: SQL data changes, recordset edits, file writes onto shares, e-mail, web posts.

Every rule here is ``persistent``: the program leaves data behind that others rely on.
"""
from __future__ import annotations

import re

from .rule import UNO, VB_DIALECTS, Rule

I = re.IGNORECASE  # noqa: E741 - the re module's own short name (re.I)
VB = VB_DIALECTS  # VBA, VBScript and LibreOffice Basic write files and records alike

RULES = (
    Rule.of(
        "writes.sql",
        re.compile(
            # shaped like SQL, not prose: INSERT INTO t (...)|VALUES|SELECT, SELECT ... INTO t FROM
            r"\b(?:insert\s+into\s+[\w\[\].\"`{}$%]+\s*(?:\(|values\b|select\b|\"\s*&)|insert\s+into\s*\"\s*&|"
            r"update\s+[\w\[\].\"`{}$% ]+?\s+set\b|delete\s+(?:\*\s+)?from\s+[\w\[\].\"`{}$%]+|merge\s+into|"
            # a multi-table update: UPDATE t [AS] a [INNER|LEFT] JOIN (...) b ... SET (MySQL, Access)
            r"update\s+[\w\[\]\"`{}$%]+(?:\.[\w\[\]\"`{}$%]+)*(?:\s+(?:as\s+)?\w+)?\s+(?:(?:inner|left|right|cross)\s+(?:outer\s+)?)?"
            r"join\s+(?:\(|[\w\[\]\"`]).{0,2000}?\bset\s+[\w\[\]\"`.]+\s*=|"
            r"select\b.+?\binto\s+[\w\[\].]+\s+from\b|truncate\s+table\b|(?:create|drop|alter)\s+table\b)", I),
    ),
    Rule.of(
        "writes.recordset",
        # ADO's cn.Execute also runs SELECTs, so it is not a write by itself: the SQL it runs
        # is caught by writes.sql. DAO's CurrentDb.Execute and DoCmd.RunSQL only run action queries.
        re.compile(r"\.addnew\b|\.edit\s*$|\b\w*(?:rs|rst|recordset)\w*\.(?:update|delete)\b|"
                   r"\bdocmd\.runsql\b|\bcurrentdb(?:\(\))?\.execute\b", I),
        languages=VB,
    ),
    Rule.of(
        "writes.file",
        re.compile(r"\.saveas\b|\.savecopyas\b|\bkill\s|\bfilecopy\b|\bopen\b.+\bfor\s+(?:output|append|binary)\b|"
                   r"\.createtextfile\b|\.savetofile\b|\.(?:copy|move|delete)(?:file|folder)\b|\bmkdir\b|"
                   r"\.exportasfixedformat\b|\bdocmd\.(?:transferspreadsheet|transfertext|outputto)\b", I),
        languages=VB,
    ),
    Rule.of(
        "writes.recordset",
        # UNO database access (com.sun.star.sdbc): an updatable result set's row changes
        re.compile(r"\.(?:movetoinsertrow|insertrow|updaterow|deleterow)\b", I),
        languages=UNO,
    ),
    Rule.of(
        "writes.file",
        # UNO: a document stored or exported (storeToURL is "Save a copy" and every export filter,
        # store() saves the document over itself), text written through a UNO output stream
        re.compile(r"\.store(?:to|as)url\b|\b(?:thiscomponent|\w*doc\w*)\.store\s*(?:\(\s*\)|$)|\.writestring\b|"
                   r"\.(?:openfilewrite|openfilereadwrite|writefile|createfolder)\b", I),
        languages=UNO,
    ),
    Rule.of(
        "writes.file",
        re.compile(r"\bopen\([^)]*,\s*(?:mode\s*=\s*)?['\"][^'\"]*[wax+]|\.to_(?:csv|excel|sql|parquet|json)\(|"
                   r"\bshutil\.(?:copy\w*|move|rmtree)\(|\bos\.(?:remove|unlink|rename|replace|makedirs)\(|"
                   r"\.write_(?:text|bytes)\(|\.save\(", I),
        languages=frozenset({"python"}),
    ),
    Rule.of(
        "writes.file",
        re.compile(r"\b(?:set-content|add-content|out-file|export-csv|export-excel|remove-item|copy-item|"
                   r"move-item|rename-item|new-item)\b|\[io\.file\]::write", I),
        languages=frozenset({"powershell"}),
    ),
    Rule.of(
        "writes.file",
        re.compile(r"^\s*@?(?:copy|xcopy|robocopy|move|del|erase|ren|rename|mkdir|md|rd|rmdir)\b|>>?\s*(?!nul\b)[\w\\%\"]",
                   I),
        languages=frozenset({"batch"}),
    ),
    Rule.of(
        "writes.file",
        re.compile(r"\bwrite\.(?:csv2?|table|xlsx)\(|\bwritelines\(|\bsaverds\(|\bwrite_(?:csv|xlsx)\(|"
                   r"\bfile\.(?:copy|rename|remove)\(|\bunlink\(", I),
        languages=frozenset({"r"}),
    ),
    Rule.of(
        "writes.email",
        re.compile(r"outlook\.application|cdo\.message|\bdocmd\.sendobject\b|\.sendmail\b|send-mailmessage|"
                   r"\bsmtplib\b|\bsendmail\b|\bblat(?:\.exe)?\s|\bsend\.mail\(|system\.net\.mail", I),
    ),
    Rule.of(
        "writes.email",
        re.compile(r"com\.sun\.star\.(?:mail\.|system\.simple(?:system|command)?mail)|"
                   r"\bsimple(?:system|command)mail\b|\.sendsimplemailmessage\b", I),
        languages=UNO,
    ),
    Rule.of(
        "writes.web",
        re.compile(r"\brequests\.(?:post|put|patch|delete)\(|-method\s+['\"]?(?:post|put|patch|delete)\b|"
                   r"\.open\s*\(?\s*\"(?:post|put|patch|delete)\"|\bhttr::(?:post|put)\(|"
                   r"\bcurl\b.*\s-(?:x\s*post|d|-data)\b|"
                   # ERP remote calls that create or change records (Odoo XML-RPC, SAP BAPIs through RFC)
                   r"\bexecute_kw\s*\(.*['\"](?:create|write|unlink|action_post|button_validate)\w*['\"]|"
                   r"\.call\s*\(\s*['\"]bapi_\w*(?:create|change|post|save|update)\w*['\"]", I),
    ),
)
