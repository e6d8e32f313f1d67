"""Output formats. Each module renders the same typed report (:mod:`.view`, built by :mod:`.data`) and runs
no analysis; the CLI decides where the output goes.

A renderer returns text, bytes (XLSX) or, for a format that is a set of files (the
migration pages), a mapping of relative file names to text. A format that ``streams`` is
written piece by piece into a binary file instead (``write``), so a report of 100,000
artifacts is never held as one string; ``render`` still returns the whole of it.
"""
from __future__ import annotations

import importlib
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, cast

from ..store import Store
from .view import Report

__all__ = ["BY_EXTENSION", "FORMATS", "Format", "NoCrawl", "Output", "Report", "build"]

Output = str | bytes | Mapping[str, str]


class NoCrawl(LookupError):
    """The inventory holds no crawl (or not the one asked for)."""


def build(store: Store, crawl_id: int | None = None, scope: Sequence[str] = ()) -> Report:
    """The report (:func:`.data.build`), its module loaded when a report is made: a crawl
    without ``--report`` does not pay for importing it."""
    builder = importlib.import_module(".data", __name__).build
    return cast(Callable[[Store, "int | None", Sequence[str]], Report], builder)(store, crawl_id, scope)


@dataclass(frozen=True)
class Format:
    """One output format: how it renders and how its file is named."""

    name: str
    suffix: str  # appended to the output stem when several formats share one -o; "" for a directory
    renderer: str  # "module:function" in this package, imported when used (a crawl loads no openpyxl/jinja2)
    description: str
    streams: bool = False  # the renderer is ``write(report, binary_file)``

    def _function(self) -> Callable[..., Any]:
        module, function = self.renderer.split(":")
        found: Callable[..., Any] = getattr(importlib.import_module(f".{module}", __name__), function)
        return found

    def render(self, report: Report) -> Output:
        if not self.streams:
            rendered: Output = self._function()(report)
            return rendered
        out = io.BytesIO()
        self._function()(report, out)
        return out.getvalue() if self.is_binary else out.getvalue().decode("utf-8")

    def write(self, report: Report, out: IO[bytes]) -> None:
        """Write a one-file format into ``out`` (piece by piece where the format streams)."""
        if self.streams:
            self._function()(report, out)
            return
        rendered = self._function()(report)
        if isinstance(rendered, Mapping):
            raise TypeError(f"the {self.name} format is a folder of files, not one file")
        out.write(rendered.encode("utf-8") if isinstance(rendered, str) else rendered)

    @property
    def is_directory(self) -> bool:
        return not self.suffix

    @property
    def is_binary(self) -> bool:
        return self.name == "xlsx"


_ALL = (
    Format("html", ".html", "html:write", "leadership report: one self-contained page", streams=True),
    Format("json", ".json", "jsonfmt:write", "the shadowscan/report-v1 contract", streams=True),
    Format("csv", ".csv", "csvfmt:write", "one row per artifact", streams=True),
    Format("csv-findings", ".findings.csv", "csvfmt:write_findings", "one row per finding", streams=True),
    Format("xlsx", ".xlsx", "xlsx:write", "workbook: Summary, Tools, Inventory, Findings, Migration backlog, Registry",
           streams=True),
    Format("sarif", ".sarif", "sarif:write", "SARIF 2.1.0 for security dashboards", streams=True),
    Format("migration", "", "migration:render", "folder: backlog (index.html, backlog.csv) and one page per card"),
)
FORMATS: dict[str, Format] = {f.name: f for f in _ALL}
BY_EXTENSION: dict[str, Format] = {f.suffix.rsplit(".", 1)[-1]: f for f in _ALL
                                   if f.suffix and f.name != "csv-findings"}
