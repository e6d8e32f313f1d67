"""Output formats. Each module renders the same report dict (see :mod:`.data`) and runs
no analysis; the CLI decides where the text goes."""
from __future__ import annotations

from typing import Any, Callable

from . import csvfmt, html, jsonfmt

Renderer = Callable[[dict[str, Any]], str]
FORMATS: dict[str, Renderer] = {"html": html.render, "json": jsonfmt.render, "csv": csvfmt.render}
