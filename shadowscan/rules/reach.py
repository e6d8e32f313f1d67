"""Reach: where a tool connects to — databases, DSNs, web, network shares, ERP/QMS/MES."""
from __future__ import annotations

import re

from .rule import UNO, Rule

I = re.IGNORECASE  # noqa: E741 - the re module's own short name (re.I)

# An ERP is reached through its client libraries, scripting engines and product names, not
# through a variable that happens to be called SAP.
ERP = re.compile(
    r"\bsap\s*gui\b|\bsapgui\w*|\bsap\.(?:functions|logoncontrol|tablefactory|bapi|gui)\b|\bsaprfc\b|\bpyrfc\b|"
    r"\bnwrfc\w*|getscriptingengine|\bsap\s*(?:netweaver|hana|s/?4\s*hana|s/?4|r/?3|business\s*one|logon|system|client)\b|"
    r"\bbapi_\w+|\brfc_read_table\b|\bnavision\b|dynamics\s*(?:nav|ax|365)|oracle\s*ebs|jd\s*edwards|proalpha|"
    r"\babas\b|comarch|symfonia|\benova\b|\berp\d*\b|\bodoo\b|\bexecute_kw\b|/xmlrpc/2/object", I)
QMS_MES = re.compile(r"\b(?:qms|caq|mes|lims|babtec|historian|pi\s*server|osisoft|wonderware)(?:\d+|\b)", I)

RULES = (
    Rule.of(
        "reach.database",
        re.compile(r"\b(?:provider\s*=|driver\s*=\s*\{|dsn\s*=|data\s+source\s*=|server\s*=|initial\s+catalog\s*=|"
                   r"dbq\s*=)|\bodbc;|adodb\.(?:connection|recordset)|\bopendatabase\b|\.openrecordset\b|"
                   r"\bpyodbc\.connect|\bcreate_engine\(|\bcx_oracle\b|\boracledb\b|\bpymssql\b|\bpsycopg2?\b|"
                   r"\bsqlite3\.connect|\binvoke-sqlcmd\b|\bsqlcmd\b|system\.data\.(?:sqlclient|odbc|oledb)|"
                   r"\bodbcconnect\w*\(|\bdbconnect\(|\bmysql\.connector\b|\bpymysql\b|\bmysqldb\b|\bmariadb\.connect\(|"
                   r"\bpsycopg\.connect\(|\bhdbcli\b|\bpyhdb\b|\bibm_db\b|\bsnowflake\.connector\b|\bteradatasql\b|"
                   r"\bpymongo\b|\bjaydebeapi\b|\bturbodbc\b", I),
    ),
    Rule.of(
        "reach.database",
        # UNO database access: sdbc/sdb services, a registered data source, a connection URL
        re.compile(r"com\.sun\.star\.sdbc?\.|\bdatabasecontext\b|\bdrivermanager\b|\bsdbc:\w+|"
                   r"\.getconnection(?:withinfo)?\b", I),
        languages=UNO,
    ),
    Rule.of(
        "reach.web",
        re.compile(r"https?://|msxml2\.(?:server)?xmlhttp|microsoft\.xmlhttp|winhttp\.winhttprequest|"
                   r"\brequests\.(?:get|post|put|patch|delete|session)\b|\burllib\b|\bhttpx\b|"
                   r"\binvoke-(?:webrequest|restmethod)\b|net\.webclient|\bhttr::|\bdownload\.file\(|"
                   r"\b(?:curl|wget)\b", I),
    ),
    Rule.of(
        "reach.network-path",
        re.compile(r"\\\\[\w.$-]+\\[\w.$ -]+|\b[D-Zd-z]:\\\\?[\w$ ]|\bnet\s+use\b|new-psdrive", 0),
    ),
    Rule.of("reach.erp", ERP),
    Rule.of("reach.qms-mes", QMS_MES),
)
