"""Secrets: hard-coded passwords and keys. Evidence is always redacted by the engine."""
from __future__ import annotations

import re

from .rule import VB_DIALECTS, Rule

I = re.IGNORECASE  # noqa: E741 - the re module's own short name (re.I)
_NAMES = r"(?:password|passwort|passwd|hasło|haslo|pwd|secret|token|api_?key|api-key)"

RULES = (
    # In a connection string or configuration text the key may open the text; in code it sits
    # inside a string literal (after a quote or a ';'), so ``Password = VLookup(...)`` is code.
    Rule.of(
        "secrets.connection-password",
        re.compile(r"\b(?:pwd|password)\s*=\s*(?:\{[^}*]+\}|[^\s;\"'&*{][^;\"'&]*)", I),
        languages=frozenset({"text", "xlm"}),
        in_comments=True,
    ),
    Rule.of(
        "secrets.connection-password",
        re.compile(r"(?:[\"';]\s*)(?:pwd|password)\s*=\s*(?:\{[^}*]+\}|[^\s;\"'&*{][^;\"'&]*)", I),
        languages=VB_DIALECTS | {"python", "powershell", "batch", "sql", "r"},
        in_comments=True,
    ),
    Rule.of(
        "secrets.hardcoded",
        re.compile(r"\b(?:\w*(?:password|passwort|passwd|hasło|haslo|pwd|secret|token|api_?key)\w*|\w*pw)"
                   r"(?:\.(?:text|value)\b)?"
                   r"\}?\s*(?::?=|<-)\s*"
                   r"(?:\"[^\"*]{3,}\"|'[^'*]{3,}')|convertto-securestring\s+[\"'][^\"'*]+[\"']\s+-asplaintext", I),
        in_comments=True,
    ),
    # a literal assigned to something named by a string or a constant that says password: a key or
    # an id (CDO .Fields.Item(".../sendpassword") = "x", os.environ["DB_PASSWORD"] = "x", a SAP GUI
    # password field session.findById(".../pwdRSYST-BCODE").text = "x": "pwd" is its type prefix)
    Rule.of(
        "secrets.hardcoded",
        re.compile(r"(?<![\w\"'])[\"'](?=[^\"'\r\n]{0,200}?" + _NAMES + r")[^\"'\r\n]{1,200}[\"'][ \t]*"
                   r"(?:[)\]][ \t]*){0,2}(?:\.(?:text|value)\b[ \t]*)?(?:=(?![=>])|:(?![:=]))[ \t]*"
                   r"(?:\"[^\"*\r\n]{3,}\"|'[^'*\r\n]{3,}')"
                   r"|\([ \t]*\w*" + _NAMES + r"\w*[ \t]*\)[ \t]*(?:\.(?:text|value)\b[ \t]*)?=(?![=>])[ \t]*"
                   r"(?:\"[^\"*\r\n]{3,}\"|'[^'*\r\n]{3,}')", I),
        in_comments=True,
    ),
    # batch: set DB_PASSWORD=x, set "DB_PASSWORD=x", setx DB_PASSWORD x (not %VAR% or !VAR!)
    Rule.of(
        "secrets.hardcoded",
        re.compile(r"(?<![\w-])(?:set[ \t]+\"?\w*" + _NAMES + r"\w*=|setx[ \t]+\w*" + _NAMES + r"\w*[ \t]+\"?)"
                   r"[^\s*%!\"][^\r\n%!*]{2,}", I),
        languages=frozenset({"batch"}),
        in_comments=True,
    ),
    Rule.of(
        "secrets.url-credentials",
        re.compile(r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,30}://[^/\s:@\"']{1,256}:[^@/\s\"'*]{1,256}@", I),
        in_comments=True,
    ),
)
