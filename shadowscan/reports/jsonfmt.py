"""JSON: the documented contract (``shadowscan/report-v1``)."""
from __future__ import annotations

import json
from typing import Any

from ..textio import json_visible


def render(report: dict[str, Any]) -> str:
    """Control and bidi characters travel as ``\\uXXXX`` escapes (the same data, nothing raw)."""
    return json_visible(json.dumps(report, indent=2, ensure_ascii=False)) + "\n"
