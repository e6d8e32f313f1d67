import pytest

from shadowscan.redact import contains_secret, redact

SECRETS = [
    ("ODBC;DSN=Magnapinna;UID=safexit;PWD=DummyPassword;APP=Microsoft Office", "DummyPassword"),
    ('Provider=SQLOLEDB;Data Source=erp01;User ID=sa;Password="Sommer 2024";', "Sommer 2024"),
    ("Driver={SQL Server};Server=qms;UID=qa;PWD={pa;ss}", "pa;ss"),
    ('strPassword = "hunter2"', "hunter2"),
    ("https://bob:s3cr3t@erp.example/api", "s3cr3t"),
    ('$cred = ConvertTo-SecureString "Pa55w0rd" -AsPlainText -Force', "Pa55w0rd"),
    ("Invoke-Sqlcmd -ServerInstance erp -Password geheim -Query 'x'", "geheim"),
    ("Authorization: Bearer abcdefghijklmnop1234", "abcdefghijklmnop1234"),
    ("api_key='AKIA1234567890'", "AKIA1234567890"),
    ("haslo=Tajne123;", "Tajne123"),
    ('api_key <- "AKIA1234567890"', "AKIA1234567890"),
    ('{"password": "hunter2", "user": "sa"}', "hunter2"),
    # UNO property values (LibreOffice Basic, Python macros)
    ('oProp.Name = "Password" : oProp.Value = "Kal!br2024"', "Kal!br2024"),
    ('aArgs = Array(MakePropertyValue("Password", "Kal!br2024"))', "Kal!br2024"),
    ('oConn = oSource.getConnection("qms_kal", "Kal!br2024")', "Kal!br2024"),
    # shapes a review found in clear (2026-11-30): headers as one string or as a name-value pair of
    # arguments, typed VBA constants, Python string prefixes, Perl/PHP arrows, a declaration before
    # the assignment on one line, an Authorization token
    ('curl -X POST -H "X-Api-Key: hunter2secret" https://erp.local/api', "hunter2secret"),
    ('req.setRequestHeader "X-Api-Key", "hunter2secret"', "hunter2secret"),
    ('Const ERP_PASSWORD As String = "hunter2secret": cn.Open "DSN=ERP"', "hunter2secret"),
    ('password = f"hunter2secret"', "hunter2secret"),
    ("password = r'hunter2secret'", "hunter2secret"),
    ('password => "hunter2secret"', "hunter2secret"),
    ('Dim pw: pw = "hunter2secret"', "hunter2secret"),
    ('headers={"Authorization": f"Token hunter2secret"}', "hunter2secret"),
    ('auth=("svc", f"hunter2secret")', "hunter2secret"),
]


@pytest.mark.parametrize("text,secret", SECRETS)
def test_secret_is_masked(text, secret):
    out = redact(text)
    assert secret not in out
    assert "***" in out
    assert contains_secret(text)


@pytest.mark.parametrize("text", [
    "SELECT * FROM Lots WHERE Result = 'FAIL'",
    'password = os.environ["DB_PASSWORD"]',
    "Public strPassword As String",
    "pwd = getpass.getpass()",
])
def test_code_that_is_not_a_secret_stays(text):
    assert redact(text) == text


@pytest.mark.parametrize("text", [
    # prose after "password:" where no value follows (the encrypted-database reason read "password: ***")
    "ACE14 database encrypted with a password: ask the owner for an unencrypted copy",
    "the password: see the runbook",
    "Remove-Item Env:DB_PASSWORD -Force",
    "session.findById(\"wnd[0]/usr/txtRSYST-BNAME\").text = \"QSCAN\"",
    "If Me.txtPassword.Value = \"\" Then Exit Sub",
    "Token validation failed for request abcdefghij",
    'x = "Content-Type: application/json"',
])
def test_prose_and_empty_values_stay(text):
    assert redact(text) == text


@pytest.mark.parametrize("text,secret", [
    ("Password: hunter2", "hunter2"),
    ("login failed for sa, password: letmein", "letmein"),
    ("user=sa password: ask2024 connected", "ask2024"),
    ("set DB_PASSWORD=BatLeak4!", "BatLeak4!"),
    ("setx DB_PASSWORD BatLeak4!", "BatLeak4!"),
    ("export DB_PASSWORD=ShLeak5!", "ShLeak5!"),
])
def test_a_value_after_a_password_name_is_masked(text, secret):
    assert secret not in redact(text)


def test_redact_is_idempotent():
    once = redact(SECRETS[0][0])
    assert redact(once) == once


# Issue 12, item 10: every real shape, by the structure the password sits in. -----------------
SECRET = "Zq77w#Vx& Kp77Lm"  # a space and an "&" inside: the tail used to leak


def _shapes():
    from test_secrets import NAMED_SHAPES, SCRIPT_SHAPES, VBA_SHAPES

    return VBA_SHAPES + [shape for shapes in (*SCRIPT_SHAPES.values(), *NAMED_SHAPES.values()) for shape in shapes] + [
        "ODBC;DSN=ERP;UID=lager;PWD={s};APP=Access",  # Access linked table, Excel connection
        "Driver={{SQL Server}};Server=qms;UID=qa;PWD={{{s}}}",
        "smbclient //srv/share -U 'svc%{s}'",
        "sshpass -p '{s}' ssh svc@plc01",
        "requests.post('https://bob:Zq77w@erp01/api')",
    ]


@pytest.mark.parametrize("shape", _shapes())
def test_every_shape_is_masked_whole(shape):
    from shadowscan.rules.engine import units

    text = " ".join(u.text for u in units(shape.format(s=SECRET), "vba"))  # VBA joins "_" continuations
    out = redact(text)
    for piece in (SECRET, SECRET[:4], SECRET[-4:]):
        assert piece not in out, out
    assert "***" in out
    assert redact(out) == out


def test_snippet_is_redacted_before_it_is_cut():
    from shadowscan.rules.engine import SNIPPET_CHARS, snippet

    line = 's = "Provider=SQLOLEDB;' + "x" * (SNIPPET_CHARS - 30) + f';PWD={SECRET};"'
    assert "Zq77" not in snippet(line)


@pytest.mark.parametrize("text", [
    "Set rs = cn.Execute(\"SELECT * FROM Lots WHERE Status = 'PASS'\")",
    "Workbooks.Open Filename:=path, ReadOnly:=True",
    "cn.Open strConn",
    "Get-ChildItem -Path \\\\srv\\share -Recurse",
    "mkdir -p /tmp/x",
    "net use Z: \\\\srv\\share /persistent:no",
    "$cred = Get-Credential -Message 'ERP login'",
    'aArgs = Array(MakePropertyValue("FilterName", "calc_pdf_Export"))',
    'oProp.Name = "User" : oProp.Value = "qs_lesen"',
])
def test_structure_without_a_secret_stays(text):
    assert redact(text) == text


def test_owner_hints_mask_the_rest_of_a_field():
    from shadowscan.redact import redact_field

    assert "Kp77" not in redact_field(f"ERP login PWD={SECRET}")
    assert "Kp77" not in redact_field(f"Passwort: {SECRET}")
    assert redact_field("Anna Nowak") == "Anna Nowak"
