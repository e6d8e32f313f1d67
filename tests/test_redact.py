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


def test_redact_is_idempotent():
    once = redact(SECRETS[0][0])
    assert redact(once) == once
