"""Mask secrets before anything is shown or stored.

Every snippet, connection string, reason and fact passes through :func:`redact` before it
leaves an analyzer (:func:`redact_analysis` is the last net over a whole analysis), so the
inventory, the terminal and every report only ever hold the masked form. The patterns
favour over-masking: a masked non-secret costs nothing, a leaked password costs a lot.

Passwords are found by the structure they sit in, not by what they look like:

* **connection-string grammar** — ``key=value`` pairs separated by ``;``: a password
  key's value runs to the next ``;`` (or the end of the string), ``{braced}`` and quoted
  values whole, so a space or an ``&`` inside a password masks like any other character;
  ``"...;Password=" & "x"`` (also across a VBA ``_`` continuation) masks the operand that
  follows the empty value;
* **code** — a literal assigned to a name that says password/secret/token/key
  (``strPassword = "x"``, ``api_key <- "x"``, ``"password": "x"``, ``Password:="x"``);
* **call arguments** — the password positions of calls that take one: ADO
  ``cn.Open conn, user, pwd``, ``.Unprotect``/``.Protect``, ``.login(user, pwd)``,
  ``auth=(user, pwd)``, ``HTTPBasicAuth``, ``NetworkCredential``, ``pymssql.connect``,
  ``sp_addlinkedsrvlogin``, ``sp_addlogin``, ``OPENROWSET(provider, db; user; pwd, ...)``;
* **command-line options** — ``-Password[:] x``, ``--password=x``, ``sqlcmd -P x``,
  ``mysql -px``, ``curl -u user:x``, ``smbclient -U user%x``, ``net use \\\\srv\\sh x``;
* URLs (``scheme://user:x@host``), ``Bearer``/``Basic`` tokens, ``ConvertTo-SecureString "x"``,
  and prose such as ``Password: x`` (document titles, authors).

Every pattern is linear in the length of the text (no nested or overlapping unbounded
repetition; names are bounded), so a 300 KB line costs milliseconds.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .model import Analysis

MASK = "***"

_KEYWORDS = ("pwd", "password", "passwd", "passwort", "kennwort", "hasło", "haslo", "hasla", "hasło", "pass",
             "secret", "token", "apikey", "api_key", "api-key", "accesskey", "access_key", "access-key",
             "accountkey", "sharedaccesskey", "clientsecret", "client_secret", "client-secret", "credential",
             "mot de passe", "motdepasse", "contraseña", "contrasena", "senha", "wachtwoord", "heslo", "parola",
             "şifre", "sifre")
_NOT_SECRETS = ("passthrough", "pass_through", "pass-through", "bypass", "passed", "passes", "passing", "compass",
                "password_prompt", "passport", "tokenize", "tokenizer", "tokens")


def is_secret_name(name: str) -> bool:
    """A name (key, variable, parameter) that says it holds a password, secret, token or key."""
    low = name.lower().strip(" \t\"'$@-{}[]")
    if not low or low in _NOT_SECRETS:
        return False
    if low in ("pw", "pwd", "pass"):
        return True
    if any(word in low for word in _KEYWORDS) and not any(low == n for n in _NOT_SECRETS):
        return True
    # a short word of its own inside a longer name: ERP_PW, sap.pw, db-pw, or its last word: strPw, dbPW
    return "pw" in low and ("pw" in _NAME_PARTS.split(low) or _LAST_WORD_PW.search(name) is not None)


_NAME_PARTS = re.compile(r"[^a-z0-9]+")
_LAST_WORD_PW = re.compile(r"[a-z0-9](?:Pw|PW)[\"'\]}]*$")  # strPw, dbPW: the name's last word is "pw"


def _quoted(val: str) -> str:
    """Mask a value, keeping its quotes or braces so the snippet still reads as code."""
    if len(val) >= 2 and val[0] == val[-1] and val[0] in "\"'":
        return val[0] + MASK + val[0]
    if len(val) >= 2 and val[0] == "{" and val[-1] == "}":
        return "{" + MASK + "}"
    if val and val[0] in "\"'{":
        return val[0] + MASK
    return MASK


def _done(val: str) -> bool:
    return val.strip("\"'{} ") == MASK


# --- connection-string grammar -------------------------------------------------------------
# A pair starts at the start of the text, after ";" or after an opening quote; the key is at
# most 60 characters of a key's alphabet ("Jet OLEDB:Database Password", "User ID").
_VALUE = (r"(?P<val>\{[^}\r\n]*\}?|\"[^\"\r\n]*\"?(?=[ \t]*(?:;|$))"
          r"|(?:[^;\"'\r\n]|'(?![ \t]*(?:[,);&+]|$)))*)")
_CONN = re.compile(r"(?P<key>(?<=[;\"'])[ \t]*(?P<name>\w[\w .:-]{0,59}?)[ \t]*=[ \t]*)" + _VALUE, re.MULTILINE)
# the first pair of a bare connection string ("Password=x;Provider=..."): no space before "="
_CONN_START = re.compile(r"(?P<key>^[ \t]*(?P<name>\w[\w .:-]{0,59}?)(?<![ \t])=[ \t]*)" + _VALUE, re.MULTILINE)
# "...;Password=" & "x"   /   '...;pwd=' + secret   (the value is the next operand)
_CONCAT = re.compile(r"(?P<key>(?P<name>[\w.:-]{1,60})[ \t]*=[ \t]*[\"'][ \t]*(?:[&+]|\|\|)[ \t]*(?:_[ \t]*)?)"
                     r"(?P<val>\"[^\"\r\n]*\"|'[^'\r\n]*'|[\w.$()]{1,80})")


def _conn(match: re.Match[str]) -> str:
    val = match.group("val")
    if not is_secret_name(match.group("name")) or not val.strip() or _done(val):
        return match.group(0)
    # keep a trailing space run outside the mask only when it precedes the next pair
    return match.group("key") + _quoted(val.rstrip()) + val[len(val.rstrip()):]


# --- code: a literal (or a bare value) assigned to a secret's name ---------------------------
# The name may carry a PowerShell scope ($env:DB_PASSWORD, ${env:DB_PASSWORD}) and a control's
# text or value property (txtPassword.Text, Me!txtPwd.Value).
_ASSIGN = re.compile(
    r"(?P<key>(?<![\w$@])(?:\$\{?(?i:env|global|script|local|private|using):|[$@])?(?P<name>\w{1,64})\}?"
    r"(?:[ \t]+(?i:as)[ \t]+\w{1,40})?"  # VBA: Const ERP_PASSWORD As String = "x"
    r"(?:\.(?i:text|value)\b)?[\"']?[ \t]*(?::=|<-|=>|==?|:(?!:))[ \t]*)"
    r"(?P<val>(?:[rRuUbBfF]{1,2}(?=[\"']))?(?:\"[^\"\r\n]*\"|'[^'\r\n]*')"  # f"x", r'x', u"x" too
    r"|[^\s;\"'&,()\[\]]{1,256}(?![\w(\[.])(?![ \t]*=))")  # Dim pw: pw = "x": the name, not its value
# a literal assigned to something whose name is a string: a key or an id that says password
# (CDO .Fields.Item(".../sendpassword") = "x", os.environ["DB_PASSWORD"] = "x", {"X-Api-Key": "x"},
# SAP GUI session.findById("wnd[0]/usr/pwdRSYST-BCODE").text = "x": "pwd" is the GUI's password
# field type), or a constant whose name says so (.Item(cdoSendPassword) = "x"). A quote right after
# a word character closes a string, it does not open one.
_LITERAL = r"(?P<val>(?:[rRuUbBfF]{1,2}(?=[\"']))?(?:\"(?:[^\"\r\n]|\"\")+\"|'[^'\r\n]+'))"
_KEYED = re.compile(
    r"(?P<key>(?<![\w\"'])(?P<q>[\"'])(?P<name>[^\"'\r\n]{1,200})(?P=q)[ \t]*(?:[)\]][ \t]*){0,2}"
    r"(?:\.(?i:text|value)\b[ \t]*)?(?:=(?![=>])|:(?![:=]))[ \t]*)" + _LITERAL)
_KEYED_NAME = re.compile(
    r"(?P<key>\([ \t]*(?P<name>[A-Za-z_]\w{0,63})[ \t]*\)[ \t]*(?:\.(?i:text|value)\b[ \t]*)?=(?![=>])[ \t]*)"
    + _LITERAL)
# batch: set DB_PASSWORD=x (the value runs to the end of the command), set "DB_PASSWORD=x";
# setx DB_PASSWORD x
_SET = re.compile(r"(?P<key>(?<![\w-])(?i:set)[ \t]+(?:/[pP][ \t]+)?(?P<q>\")?(?P<name>[\w.-]{1,64})=)"
                  r"(?P<val>(?(q)[^\"\r\n]+|[^\r\n&|<>]+))")
# PowerShell's environment drive: Set-Item -Path Env:DB_PASSWORD -Value "x", New-Item Env:\\DB_PASSWORD "x"
_ENV_ITEM = re.compile(r"(?P<key>(?<![\w$:])(?i:env):\\?(?P<name>\w{1,64})[ \t]+(?:-(?i:value)(?:[ \t]+|:[ \t]*))?)"
                       r"(?P<val>\"[^\"\r\n]*\"?|'[^'\r\n]*'?|[^\s\"'|;)-][^\s\"'|;)]{0,255})")
_SETX = re.compile(r"(?P<key>(?<![\w-])(?i:setx)[ \t]+(?P<name>[\w.-]{1,64})[ \t]+)"
                   r"(?P<val>\"[^\"\r\n]*\"?|[^\s\"]{1,256})")
# -Password x   -Password:"x"   --password=x   --api-key x   -pw x
_OPTION = re.compile(
    r"(?P<key>(?<![\w-])--?(?P<name>[\w-]{1,40})(?:[:=]|[ \t]+))"
    r"(?P<val>\"[^\"\r\n]*\"?|'[^'\r\n]*'?|[^\s\"';,)|]{1,256})")
# sqlcmd / osql / bcp -P x (capital P is the password there)
_DASH_P = re.compile(r"(?P<key>(?<![\w-])-P(?:[ \t]+|(?=[\"'])))(?P<val>\"[^\"\r\n]*\"?|'[^'\r\n]*'?|[^\s\"';|]{1,256})")
# mysql -px, psexec -p x, sshpass -p x: only on lines that run such a tool
_LOWER_P = re.compile(r"(?P<key>(?<![\w-])-p[ \t]*)(?P<val>\"[^\"\r\n]*\"?|'[^'\r\n]*'?|[^\s\"';|-][^\s\"';|]{0,255})")
_LOWER_P_TOOLS = re.compile(r"\b(?:mysql\w*|mariadb\w*|psexec\w*|sshpass|plink|pscp|mysqldump)\b", re.IGNORECASE)
# "-p" attached inside quotes: "-px" (the quote opens before the option)
_QUOTED_P = re.compile(r"(?P<key>[\"']-p)(?P<val>[^\"'\r\n]{1,256})(?=[\"'])")
# curl -u user:x, --user user:x, smbclient -U user%x (also quoted: "user:x")
_USER_PASS = re.compile(r"(?P<key>(?<![\w-])(?:-u|-U|--user|--username)[ \t]+(?P<q>[\"'])?[^\s:%\"'/]{1,128}[:%])"
                        r"(?P<val>(?(q)[^\"'\r\n]{1,256}|[^\s\"']{1,256}))")
# net use \\srv\share x /user:... (or /user:... x)
_NET_USE = re.compile(r"\bnet[ \t]+use\b(?P<rest>[^\r\n]{0,1000})", re.IGNORECASE)
_TOKEN = re.compile(r"\"[^\"]*\"?|'[^']*'?|\S+")
# scheme://user:x@host
_URL = re.compile(r"(?P<key>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://[^/\s:@\"']{0,256}:)"
                  r"(?P<val>[^@/\s\"']{1,256})(?=@)")
_BEARER = re.compile(r"(?P<key>\b(?:bearer|basic)[ \t]+)(?P<val>[A-Za-z0-9._~+/=-]{8,})"
                     r"|(?P<tkey>\btoken[ \t]+)(?P<tval>(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,})",
                     re.IGNORECASE)  # "Authorization: Token x9..." (a word after "token" is prose, a code is not)
# Basic authentication built in code: GetBytes("user:x"), b64encode(b"user:x"), btoa("user:x")
_ENCODED_PAIR = re.compile(r"(?P<key>(?i:getbytes|b64encode|btoa|base64encode|encodebase64)\([ \t]*b?(?P<q>[\"'])"
                           r"[^\"':\r\n]{1,128}:)(?P<val>[^\"'\r\n]+)(?=[\"'])")
_SECURESTRING = re.compile(r"(?P<key>ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?)(?P<val>\"[^\"\r\n]*\"|'[^'\r\n]*')",
                           re.IGNORECASE)
# OPENROWSET('provider', 'datasource'; 'user'; 'x', ...)
_ROWSET = re.compile(r"(?P<key>'[^'\r\n]{0,512}'[ \t]*;[ \t]*'[^'\r\n]{0,256}'[ \t]*;[ \t]*)(?P<val>'[^'\r\n]*'?)")

# calls whose arguments from a position on are passwords (0-based), matched by the name before "("
_CALLS: dict[str, int] = {
    "open": 2,  # ADO Connection.Open conn, user, password; Workbooks.Open file, , , , password
    "protect": 0, "unprotect": 0,  # Worksheet/Workbook.(Un)Protect password
    "login": 1,  # smtplib / ftplib .login(user, password)
    "httpbasicauth": 1, "httpdigestauth": 1, "httpntlmauth": 1, "httpproxyauth": 1,
    "networkcredential": 1, "pscredential": 1,
    "connect": 1,  # pymssql.connect(server, user, password), cx_Oracle.connect(user, password, dsn)
    "ftp": 2, "ftp_tls": 2,
    "sp_addlinkedsrvlogin": 4, "sp_addlogin": 1, "sp_password": 0, "sp_addsrvrolemember": 99,
    "auth": 1,  # auth=(user, password)
    "getconnection": 1,  # UNO DataSource.getConnection(user, password) (LibreOffice Basic and Python macros)
}
_STRING_PREFIX = re.compile(r"[NrRuUbBfF]{1,2}(?=[\"'])")
_CALL = re.compile(r"(?P<name>\b[A-Za-z_][\w]{0,40})(?:[ \t]*=)?[ \t]*(?P<open>\(|[ \t](?=[ \t]*[\"'@]))")
# UNO property values (LibreOffice Basic and Python macros): a property named for a password gets
# its value next to the name: p.Name = "Password" : p.Value = "x" (one line), or as a pair of
# arguments, MakePropertyValue("Password", "x") / PropertyValue("Password", 0, "x", ...)
_PROPERTY_PAIR = re.compile(r"(?P<key>\.Name[ \t]*=[ \t]*\"(?P<name>[^\"\r\n]{1,40})\"[^\r\n]{0,200}?\.Value[ \t]*=[ \t]*)"
                            r"(?P<val>\"[^\"\r\n]*\"?|[^\s:]{1,256})", re.IGNORECASE)
_NAMED_ARGUMENT = re.compile(r"(?P<key>\([ \t]*(?P<q>[\"'])(?P<name>[^\"'\r\n]{1,40})(?P=q)[ \t]*,[ \t]*"
                             r"(?:[-\d]{1,6}[ \t]*,[ \t]*)?)(?P<val>\"[^\"\r\n]*\"?|'[^'\r\n]*'?)")
# the same over lines: oProp.Name = "Password" ... oProp.Value = "x" (see redact_property_values)
# a header written as one string: -H "X-Api-Key: x", "Authorization: Token x"
_HEADER = re.compile(r"(?P<key>(?<![\w\"'])[\"'][ \t]*(?P<name>[\w-]{1,64})[ \t]*:[ \t]*)(?P<val>[^\"'\r\n]{1,512})(?=[\"'])")
# a string naming a secret, then its value as the next string argument: req.setRequestHeader "X-Api-Key", "x";
# headers.Add("X-Api-Key", "x")
_NAMED_PAIR = re.compile(r"(?P<key>(?<![\w\"'])(?P<q>[\"'])(?P<name>[^\"'\r\n]{1,40})(?P=q)[ \t]*,[ \t]*)"
                         r"(?P<val>(?:[rRuUbBfF]{1,2}(?=[\"']))?(?:\"[^\"\r\n]*\"?|'[^'\r\n]*'?))")
_PROPERTY_NAME = re.compile(r"(?P<obj>\b[A-Za-z_]\w{0,40}(?:\(\s*\d{1,4}\s*\))?)\.Name[ \t]*=[ \t]*\"(?P<name>[^\"\r\n]{1,40})\"",
                            re.IGNORECASE)


def split_args(text: str, start: int, paren: bool) -> list[tuple[int, int]]:
    """(start, end) of each argument after ``start``: commas at depth 0 separate; a closing
    parenthesis (or, without one, a newline or statement end) stops. Bounded to 1,000 chars."""
    spans: list[tuple[int, int]] = []
    depth, i, arg_start = 0, start, start
    end = min(len(text), start + 1000)
    quote = ""
    while i < end:
        ch = text[i]
        if quote:
            if ch == quote:
                if i + 1 < end and text[i + 1] == quote:  # "" inside a VBA string
                    i += 2
                    continue
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            spans.append((arg_start, i))
            arg_start = i + 1
        elif not paren and depth == 0 and ch in ";\r\n":
            break
        i += 1
    spans.append((arg_start, i))
    return spans


def _mask_calls(text: str) -> str:
    low = text.lower()
    if not any(name in low for name in _CALLS):
        return text
    pieces: list[str] = []
    last = scanned = 0
    for match in _CALL.finditer(text):
        first = _CALLS.get(match.group("name").lower())
        if first is None or match.start() < scanned:  # inside the arguments just read: each char read once
            continue
        spans = split_args(text, match.end(), match.group("open") == "(")
        scanned = spans[-1][1]
        for index, (a, b) in enumerate(spans):
            if index < first or a < last:
                continue
            arg = text[a:b].strip()
            prefix = _STRING_PREFIX.match(arg)  # N'x' (T-SQL), f"x", r'x', u"x", b"x" (Python)
            if arg and (arg[0] in "\"'" or arg.startswith("@") or prefix):
                if arg.startswith("@") and "=" in arg:  # @rmtpassword = 'x': the assignment rule decides
                    continue
                lead = len(text[a:b]) - len(text[a:b].lstrip())
                head = prefix.group(0) if prefix else ""
                value = arg[len(head):]
                if not _done(value):
                    pieces.append(text[last:a + lead] + head + _quoted(value))
                    last = a + lead + len(arg)
    pieces.append(text[last:])
    return "".join(pieces)


def _named(match: re.Match[str]) -> str:
    val = match.group("val")
    if not is_secret_name(match.group("name")) or _done(val) or val in ('""', "''"):  # an empty string hides nothing
        return match.group(0)
    return match.group("key") + _quoted(match.group("val"))


# prose, not a value: "encrypted with a password: ask the owner" ("Password: hunter2" is a value)
_PROSE_WORDS = frozenset({
    "a", "an", "and", "are", "ask", "by", "contact", "enter", "for", "from", "in", "is", "missing", "must",
    "needed", "none", "not", "of", "or", "please", "required", "see", "set", "should", "the", "then", "to",
    "type", "unknown", "use", "was", "will", "with"})


def _assigned(match: re.Match[str]) -> str:
    key, val = match.group("key"), match.group("val")
    after = match.string[match.end():match.end() + 40].split()
    if (key.rstrip().endswith(":") and not key.rstrip().endswith(":=") and val.lower() in _PROSE_WORDS
            and match.string[match.end():match.end() + 1] in (" ", "")
            and (not after or after[0].lower().strip(".,;") in _PROSE_WORDS)):  # "ask the owner", not "use x9"
        return match.group(0)
    return _named(match)


def _always(match: re.Match[str]) -> str:
    key, val = ("tkey", "tval") if "tkey" in match.re.groupindex and match.group("tkey") is not None else ("key", "val")
    value = match.group(val)
    return match.group(0) if _done(value) else match.group(key) + _quoted(value)


def _net_use(match: re.Match[str]) -> str:
    rest = match.group("rest")
    out, last = [], 0
    for token in _TOKEN.finditer(rest):
        word = token.group(0)
        if word in ("&", "&&", "|", "||"):  # the next command starts
            break
        bare = word.strip("\"'")
        if (bare.startswith(("/", "\\\\", "//", "*", ">", "<", "2>")) or re.fullmatch(r"[A-Za-z]:", bare)
                or bare.lower() in ("use", "/delete", "/y", "/n") or _done(word)):
            continue
        out.append(rest[last:token.start()] + _quoted(word))
        last = token.end()
    out.append(rest[last:])
    return match.group(0)[: match.start("rest") - match.start()] + "".join(out)


_STEPS: tuple[tuple[re.Pattern[str], Callable[..., str]], ...] = (
    (_URL, _always),
    (_CONCAT, _named),
    (_CONN, _conn),
    (_CONN_START, _conn),
    (_ASSIGN, _assigned),
    (_KEYED, _named),
    (_KEYED_NAME, _named),
    (_SET, _named),
    (_SETX, _named),
    (_ENV_ITEM, _named),
    (_OPTION, _named),
    (_DASH_P, _always),
    (_USER_PASS, _always),
    (_QUOTED_P, _always),
    (_BEARER, _always),
    (_SECURESTRING, _always),
    (_ENCODED_PAIR, _always),
    (_ROWSET, _always),
    (_NET_USE, _net_use),
    (_PROPERTY_PAIR, _named),
    (_NAMED_ARGUMENT, _named),
    (_HEADER, _named),
    (_NAMED_PAIR, _named),
)


def redact(text: str) -> str:
    """Return ``text`` with passwords, tokens and keys replaced by ``***``."""
    if not text:
        return text
    for pattern, mask in _STEPS:
        text = pattern.sub(mask, text)
    if _LOWER_P_TOOLS.search(text):
        text = _LOWER_P.sub(_always, text)
    return _mask_calls(text)


def redact_property_values(code: str) -> str:
    """Macro source with the value of every UNO property named for a password masked, also when
    name and value are set on different lines (``oProp.Name = "Password"`` then, within the next
    lines, ``oProp.Value = "x"``): what :func:`redact` cannot see in a one-line snippet. Applied to
    module text before it is scanned, so no snippet of it carries the value."""
    if ".name" not in code.lower():
        return code
    for match in list(_PROPERTY_NAME.finditer(code))[:1000]:
        if not is_secret_name(match.group("name")):
            continue
        value = re.compile(re.escape(match.group("obj")) + r"\.Value[ \t]*=[ \t]*(\"[^\"\r\n]*\"?)", re.IGNORECASE)
        found = value.search(code, match.end(), match.end() + 2000)
        if found and not _done(found.group(1)):
            code = code[:found.start(1)] + _quoted(found.group(1)) + code[found.end(1):]
    return code


_PROSE_KEY = re.compile(r"(?<!\w)(?P<name>\w{1,40})[ \t]*[:=]", re.UNICODE)


def redact_field(text: str) -> str:
    """A free-text field (document title, author, last editor): after :func:`redact`, a
    secret's name followed by ``:`` or ``=`` masks everything after it (prose has no
    grammar that says where a password ends)."""
    text = redact(text)
    for match in _PROSE_KEY.finditer(text):
        if is_secret_name(match.group("name")):
            rest = text[match.end():]
            if rest.strip() and rest.strip() != MASK:
                return text[: match.end()] + " " + MASK
    return text


def contains_secret(text: str) -> bool:
    """True when :func:`redact` would change ``text``."""
    return redact(text) != text


def _deep(value: Any, field: bool = False) -> Any:
    if isinstance(value, str):
        return redact_field(value) if field else redact(value)
    if isinstance(value, dict):
        return {k: _deep(v, field or k == "owner_hints") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_deep(v, field) for v in value]
    return value


def redact_analysis(analysis: Analysis) -> Analysis:
    """The last net before an analysis leaves the worker: every string of its reason, facts
    (owner hints, connections, queries, ...) and evidence redacted, whatever produced it."""
    findings = tuple(replace(f, evidence=tuple(replace(e, snippet=redact(e.snippet)) for e in f.evidence))
                     for f in analysis.findings)
    return replace(analysis, reason=redact(analysis.reason), facts=_deep(dict(analysis.facts)), findings=findings)
