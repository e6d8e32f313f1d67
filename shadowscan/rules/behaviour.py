"""Behaviour: auto-executing code, shell execution, Windows API calls, Excel 4.0 macros."""
from __future__ import annotations

import re

from ..model import Family, Severity
from .engine import Rule

I = re.IGNORECASE
VB = frozenset({"vba", "vbscript"})

RULES = (
    Rule(
        "behaviour.autoexec", Family.BEHAVIOUR, "Runs automatically when the file is opened",
        Severity.MEDIUM,
        re.compile(r"\bsub\s+(?:workbook_open|auto_?open|autoexec|document_open|workbook_activate|auto_close|"
                   r"workbook_beforeclose)\b", I),
        languages=VB,
    ),
    Rule(
        "behaviour.shell", Family.BEHAVIOUR, "Starts other programs (shell execution)",
        Severity.HIGH,
        re.compile(r"\bshell\s*\(|\bshell\s+\"|wscript\.shell|shell\.application|\bshellexecute\w*\b|"
                   r"\.exec\s*\(|\bsubprocess\.|\bos\.(?:system|popen|startfile)\(|\bstart-process\b|"
                   r"\binvoke-expression\b|\biex\b|\bcmd(?:\.exe)?\s+/[ck]\b|\bpowershell(?:\.exe)?\s+-|"
                   r"\bsystem2?\(|\bxp_cmdshell\b|\beval\(|\bexec\(", I),
    ),
    Rule(
        "behaviour.win32", Family.BEHAVIOUR, "Calls the Windows API directly (Declare ... Lib)",
        Severity.LOW,
        re.compile(r"\bdeclare\s+(?:ptrsafe\s+)?(?:function|sub)\s+\w+\s+lib\b", I),
        languages=VB,
    ),
    Rule(
        "behaviour.sendkeys", Family.BEHAVIOUR, "Drives other programs with SendKeys",
        Severity.LOW,
        re.compile(r"\bsendkeys\b", I),
        languages=VB,
    ),
    Rule(
        "behaviour.xlm", Family.BEHAVIOUR, "Excel 4.0 (XLM) macro formulas",
        Severity.HIGH,
        re.compile(r"\b(?:exec|call|register|fopen|fwrite|formula|halt|alert|run|goto|urldownloadtofile)\s*\(", I),
        languages=frozenset({"xlm"}),
    ),
)
