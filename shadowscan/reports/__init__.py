"""Output formats. Each module renders the same report dict (see :mod:`.data`) and runs
no analysis; the CLI decides where the output goes.

A renderer returns text, bytes (XLSX) or, for a format that is a set of files (the
migration pages), a mapping of relative file names to text.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ..store import Store

Output = str | bytes | Mapping[str, str]


class NoCrawl(LookupError):
    """The inventory holds no crawl (or not the one asked for)."""


def build(store: Store, crawl_id: int | None = None, scope: Sequence[str] = ()) -> dict[str, Any]:
    """The report dict (:func:`.data.build`), its module loaded when a report is made: a crawl
    without ``--report`` does not pay for importing it."""
    builder = importlib.import_module(".data", __name__).build
    return cast(Callable[[Store, "int | None", Sequence[str]], "dict[str, Any]"], builder)(store, crawl_id, scope)


@dataclass(frozen=True)
class Format:
    """One output format: how it renders and how its file is named."""

    name: str
    suffix: str  # appended to the output stem when several formats share one -o; "" for a directory
    renderer: str  # "module:function" in this package, imported when used (a crawl loads no openpyxl/jinja2)
    description: str

    def render(self, report: dict[str, Any]) -> Output:
        module, function = self.renderer.split(":")
        return getattr(importlib.import_module(f".{module}", __name__), function)(report)

    @property
    def is_directory(self) -> bool:
        return not self.suffix

    @property
    def is_binary(self) -> bool:
        return self.name == "xlsx"


_ALL = (
    Format("html", ".html", "html:render", "leadership report: one self-contained page"),
    Format("json", ".json", "jsonfmt:render", "the shadowscan/report-v1 contract"),
    Format("csv", ".csv", "csvfmt:render", "one row per artifact"),
    Format("csv-findings", ".findings.csv", "csvfmt:render_findings", "one row per finding"),
    Format("xlsx", ".xlsx", "xlsx:render", "workbook: Summary, Tools, Inventory, Findings, Migration backlog, Registry"),
    Format("sarif", ".sarif", "sarif:render", "SARIF 2.1.0 for security dashboards"),
    Format("migration", "", "migration:render", "folder: backlog (index.html, backlog.csv) and one page per card"),
)
FORMATS: dict[str, Format] = {f.name: f for f in _ALL}
BY_EXTENSION: dict[str, Format] = {f.suffix.rsplit(".", 1)[-1]: f for f in _ALL
                                   if f.suffix and f.name != "csv-findings"}
