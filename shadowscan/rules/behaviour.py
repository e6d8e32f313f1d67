"""Behaviour: auto-executing code, shell execution, Windows API calls, Excel 4.0 macros."""
from __future__ import annotations

import re

from .rule import UNO, VB_DIALECTS, Rule

I = re.IGNORECASE  # noqa: E741 - the re module's own short name (re.I)
# Office's open events run by their names; LibreOffice Basic runs a macro on open only when the
# document binds it to an event (content.xml's event listeners, read by the OpenDocument analyzer).
VB = frozenset({"vba", "vbscript"})

RULES = (
    Rule.of(
        "behaviour.autoexec",
        re.compile(r"\bsub\s+(?:workbook_open|auto_?open|autoexec|document_open|workbook_activate|auto_close|"
                   r"workbook_beforeclose)\b", I),
        languages=VB,
    ),
    Rule.of(
        "behaviour.shell",
        re.compile(r"\bshell\s*\(|\bshell\s+\"|wscript\.shell|shell\.application|\bshellexecute\w*\b|"
                   r"\.exec\s*\(|\bsubprocess\.|\bos\.(?:system|popen|startfile)\(|\bstart-process\b|"
                   r"\binvoke-expression\b|\biex\b|\bcmd(?:\.exe)?\s+/[ck]\b|\bpowershell(?:\.exe)?\s+-|"
                   r"\bsystem2?\(|\bxp_cmdshell\b|\beval\(|\bexec\(", I),
    ),
    Rule.of(
        "behaviour.shell",
        re.compile(r"\bsystemshellexecute\b", I),
        languages=UNO,
    ),
    Rule.of(
        "behaviour.win32",
        re.compile(r"\bdeclare\s+(?:ptrsafe\s+)?(?:function|sub)\s+\w+\s+lib\b", I),
        languages=VB_DIALECTS,
    ),
    Rule.of(
        "behaviour.sendkeys",
        re.compile(r"\bsendkeys\b", I),
        languages=VB_DIALECTS,
    ),
    Rule.of(
        "behaviour.xlm",
        re.compile(r"\b(?:exec|call|register|fopen|fwrite|formula|halt|alert|run|goto|urldownloadtofile)\s*\(", I),
        languages=frozenset({"xlm"}),
    ),
)
