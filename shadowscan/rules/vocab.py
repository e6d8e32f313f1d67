"""Domain vocabulary in English, German and Polish, as regular expressions.

Identifiers in code are split first (``scrapCost`` -> ``scrap Cost``, ``TEST_LIMIT`` ->
``TEST LIMIT``), so the word-start anchors below also find terms inside names.
Stems without a trailing anchor catch compounds and inflections
(``Kostenstelle``, ``fakturę``, ``Prüfgrenzen``).
"""
from __future__ import annotations

import re

FLAGS = re.IGNORECASE | re.UNICODE

FINANCIAL = re.compile(
    r"\b(?:"
    # English
    r"costs?\b|costing|cost[ -]?cent(?:er|re)|prices?\b|pricing|invoic\w*|billing|"
    r"g/?l[ -]?account|general[ -]ledger|ledger|journal[ -]entr\w*|postings?\b|accruals?|"
    r"budget\w*|p\s?&\s?l\b|profit[ -]and[ -]loss|margins?\b|revenue\w*|payroll|"
    r"currenc\w*|exchange[ -]rates?|cogs\b|write[ -]?offs?|purchase[ -]orders?|vat\b|gst\b|"
    # German
    r"kosten\w*|preis\w*|rechnung\w*|buchung\w*|sachkont\w*|hauptbuch|rückstellung\w*|"
    r"umsatz\w*|umsätze|marge\w*|lohn\w*|gehalt\w*|währung\w*|wechselkurs\w*|gutschrift\w*|"
    r"mwst|abschreibung\w*|faktur\w*|"
    # Polish
    r"koszt\w*|cen[aey]\b|cenni\w*|księgow\w*|ksiegow\w*|budżet\w*|marż\w*|przych[oó]d\w*|"
    r"wynagrodze\w*|płac\w*|walut\w*|rozliczeni\w*|należnoś\w*"
    r")",
    FLAGS,
)

QUALITY = re.compile(
    r"\b(?:"
    # English
    r"test[ -]?limits?|spec(?:ification)?[ -]?limits?|(?:upper|lower|control)[ -]?limits?|"
    r"usl\b|lsl\b|ucl\b|lcl\b|toleranc\w*|spc\b|cpk?\b|ppk\b|pass[ /-]?fail|"
    r"dispositions?\b|reject\w*|scrap\w*|ncr\b|non-?conformanc\w*|capa\b|inspection\w*|"
    r"calibrat\w*|(?:lot|batch)[ -]?release\w*|certificate[ -]of[ -]analysis|coa\b|"
    r"block(?:ed)?[ -]shipment|quarantin\w*|deviation\w*|defects?\b|final[ -]test\w*|gauge[ -]?r&r|"
    r"test[ -]?results?\b|measurements?\b|"
    # German
    r"prüf\w*|pruef\w*|toleranz\w*|grenzwert\w*|ausschuss\w*|sperr\w*|gesperrt|freigabe\w*|"
    r"chargenfreigabe\w*|kalibrier\w*|reklamation\w*|abweichung\w*|qualität\w*|n\.?i\.?o\b|messwert\w*|"
    # Polish
    r"tolerancj\w*|wad[ayę]\b|wadliw\w*|granic\w*|kontrol\w* jakości|jakoś\w*|zwolnieni\w* partii|"
    r"odrzu[ct]\w*|złom\w*|kalibracj\w*|niezgodnoś\w*|reklamacj\w*|dyspozycj\w*|wynik\w* (?:badań|pomiar\w*)|pomiar\w*"
    r")",
    FLAGS,
)

# Values that are a quality decision when a program assigns them.
DECISION_LITERAL = (
    r"(?:pass(?:ed)?|fail(?:ed)?|nok|n\.?i\.?o\.?|i\.?o\.?|reject(?:ed)?|accept(?:ed)?|released?|"
    r"block(?:ed)?|scrap|rework|quarantine|gesperrt|freigegeben|ausschuss|nacharbeit|"
    r"zwolnion[ay]|odrzucon[ay]|zgodn[ya]|niezgodn[ya]|zablokowan[ya])"
)

# Names of a value that is a limit.
LIMIT_NAME = re.compile(
    r"\b(?:usl|lsl|ucl|lcl|limit\w*|(?:test|spec|upper|lower|control)\s?limit\w*|toleranc\w*|toleranz\w*|"
    r"tolerancj\w*|\w*grenz\w*|granic\w*)", FLAGS
)

_CAMEL = re.compile(r"(?<=[a-zäöüßąćęłńóśźż])(?=[A-ZÄÖÜĄĆĘŁŃÓŚŹŻ])")


def split_identifiers(text: str) -> str:
    """``scrapCost_EUR`` -> ``scrap Cost EUR``: so word anchors see terms inside names."""
    return _CAMEL.sub(" ", text).replace("_", " ")
