"""The command line: a thin click group. It builds options, calls the engine, writes
output and sets the exit code; it holds no analysis logic."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import click

from . import __version__
from .crawl import kind_of
from .model import Artifact, Candidate, Limits, Status
from .pool import Failure, WorkerPool, default_jobs
from .registry import DATA_ACCESS, FUNCTIONS, PLATFORMS, Registry, RegistryError, entries_as_rows, validate
from .reports import BY_EXTENSION, FORMATS
from .reports.data import NoCrawl, build
from .scan import CrawlOptions, CrawlResult, analyze_file, run_crawl
from .sources import SourceOptions, display_path, is_smb, source_for
from .store import Store
from .textio import visible

DEFAULT_DB = "shadowscan.db"
PASSWORD_ENV = "SHADOWSCAN_SMB_PASSWORD"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Config:
    db: str


pass_config = click.make_pass_decorator(Config)


def parse_size(text: str) -> int:
    """'200MB', '1.5g', '4096' -> bytes."""
    match = _SIZE.match(text)
    if not match:
        raise click.BadParameter(f"{text!r} is not a size (use e.g. 200MB, 2GB, 4096)")
    number, unit = match.groups()
    return int(float(number) * 1024 ** "bkmgt".index((unit or "b").lower()))


@click.group()
@click.version_option(__version__, prog_name="shadowscan")
@click.option("--db", envvar="SHADOWSCAN_DB", default=DEFAULT_DB, show_default=True,
              help="Inventory database (SQLite). Also SHADOWSCAN_DB.")
@click.pass_context
def main(ctx: click.Context, db: str) -> None:
    """Find the shadow IT on a plant's file shares and say what to do about it."""
    ctx.obj = Config(db=db)


class _Progress:
    """One updating line on a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.count = 0

    def __call__(self, artifact: Artifact) -> None:
        self.count += 1
        if self.enabled:
            width = max(20, (os.get_terminal_size(sys.stderr.fileno()).columns if sys.stderr.isatty() else 80) - 30)
            name = visible(artifact.candidate.relpath, one_line=True)[-width:]  # no ESC/BEL/bidi from a name
            click.echo(f"\r\033[K[{self.count}] {artifact.verdict.classification.value:<19} {name}",
                       err=True, nl=False)

    def close(self) -> None:
        if self.enabled and self.count:
            click.echo("\r\033[K", err=True, nl=False)


def _source_options(paths: tuple[str, ...], username: str | None, port: int) -> SourceOptions:
    """SMB credentials: user from --username, password from the environment or a hidden prompt."""
    if not username or not any(is_smb(p) for p in paths):
        return SourceOptions(port=port)
    domain, _, user = username.rpartition("\\")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError(f"no password for {username}: set {PASSWORD_ENV} (or run in a terminal to be asked)")
        password = click.prompt(f"Password for {username}", hide_input=True)
    return SourceOptions(username=user, password=password, port=port, domain=domain or None)


def summary_line(result: CrawlResult, db: str) -> str:
    classes = ", ".join(f"{n} {k}" for k, n in sorted(result.classifications.items())) or "nothing found"
    statuses = ", ".join(f"{n} {k}" for k, n in sorted(result.statuses.items()))
    state = "interrupted" if result.interrupted else "finished"
    changes = ", ".join(f"{result.changes[k]} {k}" for k in ("new", "changed", "unchanged", "removed")
                        if result.changes.get(k))
    atime = (f" The account cannot preserve access times on {result.atime_not_kept} files and folders "
             "(not their owner): they show this crawl's read." if result.atime_not_kept else "")
    return (f"Crawl {result.crawl_id} {state}: {result.total} artifacts ({classes}); "
            f"status: {statuses or 'none'}; since last crawl: {changes or 'nothing'}; "
            f"{result.seconds:.1f} s. Inventory: {db}{atime}")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--exclude", "excludes", multiple=True, metavar="GLOB",
              help="Skip files and folders matching GLOB (relative path or name). Repeatable.")
@click.option("--max-size", default="200MB", show_default=True, help="Files larger than this are recorded as too-large.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=default_jobs, show_default="number of cores",
              help="Analysis worker processes.")
@click.option("--timeout", type=click.FloatRange(0.1), default=120.0, show_default=True,
              help="Seconds of analysis per file before it is recorded as timeout.")
@click.option("--memory", type=click.IntRange(0), default=2048, show_default=True,
              help="Memory cap per worker in MiB (0: none).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Also write a report (format from the extension: .html, .json, .csv, .xlsx, .sarif).")
@click.option("--full", is_flag=True, help="Analyse every file again, even when size and mtime are unchanged.")
@click.option("--username", "-U", default=None,
              help=f"SMB user (DOMAIN\\user or user@realm) for //server/share paths; the password comes from "
                   f"{PASSWORD_ENV} or a prompt, never from the command line.")
@click.option("--port", type=click.IntRange(1, 65535), default=445, show_default=True, help="SMB port.")
@click.option("--follow-links", is_flag=True,
              help="Follow symbolic links that lead out of the crawl root (default: record them with their target).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no summary line.")
@pass_config
def crawl(config: Config, paths: tuple[str, ...], excludes: tuple[str, ...], max_size: str, jobs: int,
          timeout: float, memory: int, report_path: str | None, full: bool, username: str | None, port: int,
          follow_links: bool, quiet: bool) -> None:
    """Crawl PATHS (folders, mounted shares or //server/share) and classify every artifact found."""
    if report_path:
        _format_of(report_path)  # refuse a bad extension before crawling for an hour
    limits = Limits(max_file_size=parse_size(max_size), timeout=timeout, memory_mb=memory)
    options = CrawlOptions(excludes=excludes, limits=limits, jobs=jobs, incremental=not full,
                           source=replace(_source_options(paths, username, port), follow_links=follow_links))
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())
    with Store(config.db) as store:
        try:
            result = run_crawl(list(paths), store, options, progress)
        except KeyboardInterrupt:
            progress.close()
            click.echo("Interrupted: everything finished so far is kept in the inventory.", err=True)
            sys.exit(130)
        progress.close()
        if not quiet:
            click.echo(summary_line(result, config.db))
        if report_path:
            _write(store, result.crawl_id, _format_of(report_path), report_path)


def _format_of(path: str) -> str:
    fmt = BY_EXTENSION.get(Path(path).suffix.lower().lstrip("."))
    if fmt is None:
        raise click.BadParameter(f"cannot tell the format of {path!r}: use one of "
                                 + ", ".join(f".{ext}" for ext in BY_EXTENSION), param_hint="--report")
    return fmt.name


def _emit(report: dict, fmt: str, output: str | None) -> None:
    """Render one format of a built report to ``output`` (a file, a folder, or stdout)."""
    rendered = FORMATS[fmt].render(report)
    if output is None or output == "-":
        click.echo(rendered, nl=False)
        return
    target = Path(output)
    if isinstance(rendered, Mapping):
        if target.exists() and not target.is_dir():
            raise click.ClickException(f"{output} is a file: the {fmt} report is a folder of pages")
        for name, text in rendered.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {fmt} report ({len(rendered)} files): {target.resolve()}{os.sep}", err=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(rendered, bytes):
        target.write_bytes(rendered)
    else:
        target.write_text(rendered, encoding="utf-8")
    click.echo(f"Wrote {fmt.upper()} report: {target.resolve()}", err=True)


def _write(store: Store, crawl_id: int | None, fmt: str, output: str | None) -> None:
    _emit(build(store, crawl_id), fmt, output)


def _targets(formats: tuple[str, ...], output: str | None) -> list[tuple[str, str | None]]:
    """Where each format goes: ``-o`` itself for one format; for several, ``-o`` without its
    extension plus each format's suffix (out/report -> out/report.html, out/report.xlsx,
    out/report-migration/)."""
    formats = tuple(dict.fromkeys(formats))
    unfit = [f for f in formats if FORMATS[f].is_binary or FORMATS[f].is_directory]
    if output in (None, "-") and (len(formats) > 1 or unfit):
        raise click.UsageError("several formats need --output (each format gets its own file)" if len(formats) > 1
                               else f"the {unfit[0]} format needs --output "
                                    f"({'a folder' if FORMATS[unfit[0]].is_directory else 'a file'})")
    if len(formats) == 1:
        return [(formats[0], output)]
    base = Path(output)  # type: ignore[arg-type]
    stem = str(base.with_suffix("")) if base.suffix else str(base)
    return [(f, stem + (FORMATS[f].suffix or f"-{f}")) for f in formats]


@main.command()
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(list(FORMATS)), default=("html",),
              show_default=True,
              help="Output format: " + "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values())
                   + ". Repeat for several; each goes to its own file.")
@click.option("--output", "-o", default=None,
              help="Output file, or folder for migration (several formats: the extension is replaced per format). "
                   "Default: stdout.")
@click.option("--crawl", "crawl_id", type=int, default=None, help="Crawl id (default: the latest).")
@pass_config
def report(config: Config, formats: tuple[str, ...], output: str | None, crawl_id: int | None) -> None:
    """Write a report of the latest crawl (or of --crawl ID)."""
    if not Path(config.db).exists():
        raise click.ClickException(f"no inventory at {config.db}: run `shadowscan crawl PATH` first (or pass --db)")
    targets = _targets(formats, output)
    with Store(config.db) as store:
        try:
            built = build(store, crawl_id)
        except NoCrawl as exc:
            raise click.ClickException(str(exc)) from exc
    for fmt, target in targets:
        _emit(built, fmt, target)



# registry ---------------------------------------------------------------------------------
def _artifact_path(path: str) -> str:
    """How the registry stores a path: absolute locally, ``//server/share/...`` on a share."""
    return display_path(path) if is_smb(path) else str(Path(path).resolve())


def _analyse_one(path: str, options: SourceOptions) -> tuple[str | None, str]:
    """(sha256, fingerprint) of the file at ``path`` now, analysed like a crawl would (locally
    or over SMB, through the same source); refuses what is not an artifact."""
    target = _artifact_path(path)
    found = [item for item in source_for(target, options).walk(target, ()) if isinstance(item, Candidate)]
    if len(found) != 1 or found[0].path != target:
        raise click.ClickException(f"{path} is not a known artifact (an Excel workbook, Access database or script "
                                   "that exists): nothing registered")
    candidate, limits = found[0], Limits()
    with WorkerPool(1, limits.timeout, limits.memory_mb) as pool:
        (_, outcome), = list(pool.map(iter([(candidate, analyze_file, (candidate, limits, options))])))
    if isinstance(outcome, Failure):
        raise click.ClickException(f"cannot read {path}: {outcome.reason}")
    sha256, analysis = outcome
    if analysis is None:
        raise click.ClickException(f"{path} holds no macros, connections or code: nothing to register")
    if analysis.status is not Status.ANALYZED or not analysis.fingerprint:
        raise click.ClickException(f"cannot register {path}: it could not be analysed "
                                   f"({analysis.status.value}: {analysis.reason or 'no logic found'})")
    return sha256, analysis.fingerprint


def smb_options(command: Any) -> Any:
    """--username/--port for commands that read one file (a path on a share works as in crawl)."""
    command = click.option("--port", type=click.IntRange(1, 65535), default=445, show_default=True,
                           help="SMB port.")(command)
    return click.option("--username", "-U", default=None,
                        help=f"SMB user for //server/share paths; password from {PASSWORD_ENV} or a prompt.")(command)


def _registry(store: Store) -> Registry:
    return Registry(store.db)


@main.command()
@click.argument("path")
@click.option("--owner", required=True, help="The one accountable business owner (a named person, not IT).")
@click.option("--function", "function", required=True, type=click.Choice(FUNCTIONS, case_sensitive=False),
              help="The owner's function.")
@click.option("--purpose", required=True, help="What the tool is for.")
@click.option("--platform", required=True, type=click.Choice(PLATFORMS, case_sensitive=False))
@click.option("--data-access", required=True, type=click.Choice(DATA_ACCESS, case_sensitive=False))
@click.option("--product-owner", default=None, help="Who signs off changes for production.")
@click.option("--contributors", default="", help="Contributing functions or people, comma-separated (IT may be one).")
@click.option("--cost-center", default=None, help="The cost center that pays for it.")
@click.option("--review-every", type=click.IntRange(1), default=None, help="Review cadence in days, e.g. 90.")
@click.option("--scale-decision", default=None, help="Who decides whether it scales or is paused.")
@smb_options
@pass_config
def register(config: Config, path: str, username: str | None, port: int, **fields: object) -> None:
    """Register PATH as a sanctioned app with its named business owner."""
    contributors = [c for c in str(fields.pop("contributors") or "").split(",") if c.strip()]
    try:
        validate(dict(fields, contributors=contributors))  # refuse bad input before reading the file
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc
    sha256, fingerprint = _analyse_one(path, _source_options((path,), username, port))
    with Store(config.db) as store:
        try:
            entry = _registry(store).register(path=_artifact_path(path), kind=kind_of(Path(path).name)[0].value,  # type: ignore[index]
                                              fingerprint=fingerprint, sha256=sha256, contributors=contributors,
                                              **fields)
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Registered {entry.path} as entry {entry.id} (owner {entry.owner}, {entry.function}). "
               f"Next: the Product Owner signs off with `shadowscan signoff {path} --by NAME`.")


@main.command()
@click.argument("path")
@click.option("--by", "by", required=True, help="The Product Owner signing off.")
@click.option("--note", default=None)
@smb_options
@pass_config
def signoff(config: Config, path: str, by: str, note: str | None, username: str | None, port: int) -> None:
    """Record the Product Owner's sign-off of exactly what PATH holds now."""
    with Store(config.db) as store:
        registry = _registry(store)
        try:
            entry = registry.find(path)
            sha256, fingerprint = _analyse_one(entry.path, _source_options((entry.path,), username, port))
            done = registry.signoff(entry, by=by, sha256=sha256, fingerprint=fingerprint, note=note)
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Signed off entry {entry.id} by {done.signed_by} at {done.signed_at} "
               f"(content {str(sha256)[:12]}, logic {fingerprint[4:16]}).")


@main.group("registry")
def registry_group() -> None:
    """List, show, remove, export and import registry entries."""


@registry_group.command("list")
@pass_config
def registry_list(config: Config) -> None:
    with Store(config.db) as store:
        rows = entries_as_rows(_registry(store).entries())
    if not rows:
        click.echo("The registry is empty: `shadowscan register PATH --owner ...` adds an entry.")
        return
    for row in rows:
        click.echo(f"{row['id']:>4}  {row['owner']:<22} {row['function']:<12} {row['data_access']:<10} "
                   f"{row['signed_off'] or 'not signed off':<40} {row['path']}")


@registry_group.command("show")
@click.argument("ref")
@pass_config
def registry_show(config: Config, ref: str) -> None:
    """Show an entry (by id or path) with its sign-offs, as JSON."""
    import json

    with Store(config.db) as store:
        try:
            entry = _registry(store).find(ref)
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(entry.to_dict(), indent=2, ensure_ascii=False))


@registry_group.command("remove")
@click.argument("ref")
@pass_config
def registry_remove(config: Config, ref: str) -> None:
    with Store(config.db) as store:
        registry = _registry(store)
        try:
            entry = registry.find(ref)
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
        registry.remove(entry)
    click.echo(f"Removed entry {entry.id} ({entry.path}).")


@registry_group.command("export")
@click.option("--output", "-o", default="-", help="File to write (default: stdout).")
@pass_config
def registry_export(config: Config, output: str) -> None:
    """Write the registry as JSON, to keep it in version control."""
    import json

    with Store(config.db) as store:
        text = json.dumps(_registry(store).export(), indent=2, ensure_ascii=False) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote registry: {Path(output).resolve()}", err=True)


@registry_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_config
def registry_import(config: Config, file: str) -> None:
    """Replace the registry with FILE (an export). All or nothing."""
    import json

    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file} is not valid JSON: {exc}") from exc
    except RecursionError:
        raise click.ClickException(f"{file}: nested too deeply to be a registry export; "
                                   "the registry was not changed") from None
    with Store(config.db) as store:
        try:
            count = _registry(store).import_(data)
        except RegistryError as exc:
            raise click.ClickException(f"{file}: {exc}; the registry was not changed") from exc
    click.echo(f"Imported {count} registry entries from {file}.")


if __name__ == "__main__":  # pragma: no cover
    main()
