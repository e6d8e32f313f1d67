"""The command line: a thin click group. It builds options, calls the engine, writes
output and sets the exit code; it holds no analysis logic."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

import click

from . import __version__
from .analysis import analyze_file
from .classify import classify
from .coverage import LIMITED, not_analysed_phrase, plural, root_sentence
from .crawl import kind_of
from .db import display_name, errors, has_password, is_url, scrub
from .governance import signoff_state, write_evidence
from .model import Analysis, Artifact, Candidate, Limits, Status
from .pool import Failure, WorkerPool, default_jobs
from .queue import STALLED_AFTER, QueueSender, run_worker
from .registry import (
    DATA_ACCESS,
    FUNCTIONS,
    PLATFORMS,
    VERDICTS,
    Match,
    Registry,
    RegistryError,
    check_platform,
    check_review,
    check_signer,
    entries_as_rows,
    now_iso,
    same_person,
    validate,
    who_am_i,
)
from .reports import BY_EXTENSION, FORMATS, NoCrawl, Report, build
from .roots import canonical, dedupe
from .scan import CrawlOptions, CrawlResult, one_line, run_crawl
from .sources import SourceOptions, display_path, is_smb, source_for, sweep_private_copies
from .store import SCHEMA_VERSION, LeaseLost, Store, StoreError
from .textio import visible

DEFAULT_DB = "shadowscan.db"
DEFAULT_OUTPUT = "out"  # the one output folder made when missing (the README's examples write into ./out)
PASSWORD_ENV = "SHADOWSCAN_SMB_PASSWORD"
PROGRESS_ENV = "SHADOWSCAN_PROGRESS_EVERY"


def _progress_every() -> float:
    """Seconds between progress lines when the output is no terminal (``SHADOWSCAN_PROGRESS_EVERY``, default 10;
    0 prints a line for every file)."""
    raw = os.environ.get(PROGRESS_ENV) or "10"
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # 0: a line for every file (the tests use it)
        raise click.UsageError(f"{PROGRESS_ENV}={raw!r}: give the seconds between progress lines, 0 or more")
    return seconds
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
FAIL_ON = ("shadow-it", "unregistered", "stale-signoff", "never")
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_NOT_ANALYSED = 0, 1, 2, 3, 4
EXIT_CODES = """\b
Exit status:
  0  completed, every root covered, nothing at or above --fail-on
  1  findings at or above --fail-on (crawl; default: never)
  2  usage error, or the command could not run (bad option, unusable --db or output path);
     a registry, sign-off or review change refused (one line says why; nothing written);
     prune while a crawl runs (nothing removed; prune --wait SECONDS waits for it)
  3  incomplete coverage: a root, folder or file could not be scanned, or the crawl was
     interrupted or failed (3 wins over 1: the findings of a partial scan are not the whole answer)
  4  covered, but the crawl's limits stopped the analysis of files (timeout, analyzer-crashed,
     too-large: raise --timeout, --memory or --max-size); wins over 1, 3 wins over it"""
CONTEXT = {"help_option_names": ["-h", "--help"]}


@dataclass
class Config:
    db: str
    debug: bool = False


pass_config = click.make_pass_decorator(Config)


def parse_size(text: str) -> int:
    """'200MB', '1.5g', '4096' -> bytes."""
    match = _SIZE.match(text)
    if not match:
        raise click.BadParameter(f"{text!r} is not a size (use e.g. 200MB, 2GB, 4096)")
    number, unit = match.groups()
    return int(float(number) * 1024 ** "bkmgt".index((unit or "b").lower()))


class CliError(click.ClickException):
    """A one-line error for the user: exit status 2 (1 is reserved for findings)."""

    exit_code = EXIT_USAGE


class _Group(click.Group):
    """Every error becomes one line on stderr and exit status 2; ``--debug`` shows the traceback."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:  # one line, with where to look, instead of click's usage block
            hint = f" (see '{exc.ctx.command_path} -h')" if exc.ctx is not None else ""
            message = " ".join(exc.format_message().split())  # click lists a choice one per line
            click.echo(f"Error: {message}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_USAGE)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.UsageError):
            raise
        except click.ClickException as exc:
            if type(exc) is click.ClickException:  # 1 is reserved for findings
                raise CliError(exc.message) from exc
            raise
        except Exception as exc:
            config = ctx.find_object(Config)
            if config is not None and config.debug:  # the traceback, with the --db URL's passwords scrubbed
                click.echo(_secretless("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                                       ).rstrip(), err=True)
                sys.exit(EXIT_USAGE)
            raise CliError(_explain(exc) + " (--debug shows the traceback)") from exc


def _explain(exc: Exception) -> str:
    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, errors()):
        if "disk" in str(exc):
            return f"cannot write the inventory: {_secretless(str(exc))} (is the disk full?)"
        return f"the inventory database failed: {_secretless(one_line(exc))}"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror or one_line(exc)}"
    return f"unexpected error: {one_line(exc)}"


def _secretless(text: str) -> str:
    """A message with the password of any --db URL in it replaced (the URL in SHADOWSCAN_DB too)."""
    ctx = click.get_current_context(silent=True)
    config = ctx.find_object(Config) if ctx is not None else None
    return scrub(text, config.db) if config is not None else display_name(text)


def _warn_password(db: str) -> None:
    if has_password(db):
        click.echo("Warning: the --db URL carries a password, which other users of this machine can see "
                   "(ps, shell history); put it in PGPASSWORD or ~/.pgpass instead", err=True)


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(Config).db = value
        _warn_password(value)


def db_option(command: Any) -> Any:
    """``--db`` after the command too (``shadowscan report --db x``), as before it."""
    return click.option("--db", default=None, expose_value=False, callback=_set_db, is_eager=True,
                        metavar="PATH|URL", help="Inventory database (same as --db before the command).")(command)


@click.group(cls=_Group, context_settings=CONTEXT, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="shadowscan")
@click.option("--db", envvar="SHADOWSCAN_DB", default=DEFAULT_DB, show_default=True,
              help="Inventory database: an SQLite file, or postgresql://user@host/db (password from PGPASSWORD, "
                   "~/.pgpass or a service file). Also SHADOWSCAN_DB; may also follow the command.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error instead of one line.")
@click.pass_context
def main(ctx: click.Context, db: str, debug: bool) -> None:
    """Find the shadow IT on a plant's file shares and say what to do about it."""
    _warn_password(db)
    ctx.obj = Config(db=db, debug=debug)


def _open(config: Config, *, readonly: bool = False, must_exist: bool = True) -> Store:
    """The inventory; commands that only read it, or change what is in it, refuse to create one."""
    if must_exist and not Store.exists(config.db):
        raise CliError(f"no inventory at {display_name(config.db)}: run `shadowscan crawl PATH` first (or pass --db)")
    return Store(config.db, readonly=readonly)


def _visible(text: str) -> str:
    """A file name safe to print on a terminal: control, bidi and invisible characters escaped."""
    return visible(text, one_line=True)


class _Progress:
    """The crawl's progress on stderr: files listed so far, analysed of listed, rate, ETA once the
    listing is complete and the current file. On a terminal a live line (rich) fitted to its width;
    otherwise a plain line every ``every`` seconds, also while nothing finishes (a heartbeat naming
    the file in analysis the longest, and for how long); nothing when quiet."""

    def __init__(self, mode: str, every: float = 10.0, in_flight: bool = True) -> None:
        self.mode, self.every = mode, every
        self.listed = self.done = 0
        self.complete = False
        self.current = ""
        self.started = self.last = time.monotonic()
        self._live: Any = None
        self._task: Any = None
        # files listed and not finished yet, with when they were listed: being analysed (a queued crawl's
        # files are analysed by workers elsewhere, and not tracked)
        self._flight: dict[str, tuple[str, float]] | None = {} if in_flight else None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if mode == "tty":
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
            from rich.table import Column

            self._live = Progress(
                TextColumn("listed {task.fields[listed]:,}"), BarColumn(bar_width=20), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                TextColumn("{task.fields[current]}", table_column=Column(no_wrap=True, overflow="ellipsis")),
                console=Console(stderr=True), transient=True, refresh_per_second=8)
            self._live.start()
            self._task = self._live.add_task("crawl", total=None, listed=0, rate="", current="")

    def _rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-6)

    def listed_more(self, count: int) -> None:
        if self.mode == "plain" and self._ticker is None:  # started with the crawl, stopped by close()
            self._ticker = threading.Thread(target=self._beat, name="shadowscan-progress", daemon=True)
            self._ticker.start()
        with self._lock:
            self.listed += count
        self._update()

    def __call__(self, artifact: Artifact) -> None:
        with self._lock:
            self.done += 1
            self.current = _visible(artifact.candidate.relpath or artifact.candidate.path)
            if self._flight is not None:
                self._flight.pop(artifact.candidate.path, None)
        self._update()

    def pending(self, candidate: Candidate) -> None:
        """A listed file the crawl reads or judges: in flight until it is stored or found no artifact."""
        if self._flight is not None:
            with self._lock:
                self._flight[candidate.path] = (candidate.relpath or candidate.path, time.monotonic())

    def skipped(self, candidate: Candidate) -> None:
        with self._lock:
            self.done += 1
            if self._flight is not None:
                self._flight.pop(candidate.path, None)
        self._update()

    def remembered(self, count: int) -> None:
        """``count`` listed files read before, found to be no artifact and unchanged since: done."""
        with self._lock:
            self.done += count
        self._update()

    def waiting(self, left: int) -> None:
        """A queued crawl waits for the workers: ``left`` files not stored yet."""
        if self.mode != "off" and time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            click.echo(f"shadowscan: listing done, waiting for workers: {plural(left, 'file')} not analysed yet",
                       err=True)

    def listing_done(self) -> None:
        self.complete = True
        if self._live is not None:
            self._live.update(self._task, total=self.listed)

    def _update(self) -> None:
        if self._live is not None:
            self._live.update(self._task, completed=self.done, listed=self.listed,
                              rate=f"{self._rate():,.0f} files/s", current=self.current)
        elif self.mode == "plain":
            self._say_if_due()

    def _say_if_due(self) -> None:
        with self._lock:
            if time.monotonic() - self.last >= self.every:
                self.last = time.monotonic()
                click.echo(self.line(), err=True)

    def _beat(self) -> None:
        """A line at least every ``every`` seconds while the crawl runs, whether or not a file finishes."""
        while not self._stop.wait(max(min(self.every, 1.0), 0.05)):
            self._say_if_due()

    def line(self) -> str:
        rate = self._rate()
        eta = (f", about {_duration((self.listed - self.done) / rate)} left" if self.complete and rate > 0 else
               ", still listing")
        text = (f"shadowscan: listed {plural(self.listed, 'file')}, analysed {self.done:,} of {self.listed:,} "
                f"({rate:,.0f} files/s{eta})")
        if self._flight:  # the file in analysis the longest (a slow one keeps the count still)
            name, since = min(self._flight.values(), key=lambda item: item[1])
            more = f" (and {len(self._flight) - 1:,} more)" if len(self._flight) > 1 else ""
            return f"{text}; analysing {_visible(name)} for {_duration(time.monotonic() - since)}{more}"
        return f"{text} {self.current}".rstrip()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._live is not None:
            self._live.stop()
            self._live = None


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


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
    classes = ", ".join(f"{n:,} {k}" for k, n in sorted(result.classifications.items())) or "nothing found"
    statuses = ", ".join(f"{n:,} {k}" for k, n in sorted(result.statuses.items()))
    state = "interrupted" if result.interrupted else "finished"
    changes = ", ".join(f"{result.changes[k]:,} {k}" for k in ("new", "changed", "unchanged", "not-rechecked",
                                                               "removed") if result.changes.get(k))
    coverage = "complete" if result.complete else "INCOMPLETE"
    failed = not_analysed_phrase(result.not_analysed)
    if failed:
        coverage += f", {failed}"
    unscanned = "".join(f"; {part}" for part in _not_scanned(result))
    atime = (f" The account cannot preserve access times on {result.atime_not_kept} files and folders "
             "(not their owner): they show this crawl's read." if result.atime_not_kept else "")
    return (f"Crawl {result.crawl_id} {state}: {plural(result.total, 'artifact')} ({classes}); "
            f"status: {statuses or 'none'}{unscanned}; since last crawl: {changes or 'nothing'}; coverage {coverage}; "
            f"{result.seconds:.1f} s. Inventory: {db}{atime}")


def _broken_link(root: str) -> str | None:
    """Where a local root that is a symbolic link to nothing points (None: it is no broken link)."""
    if is_smb(root) or not os.path.islink(root) or os.path.exists(root):
        return None
    with contextlib.suppress(OSError):
        return os.readlink(root)
    return None


def _not_scanned(result: CrawlResult) -> list[str]:
    """What the crawl could not look into, in words: roots not reached (a broken link said so) and folders."""
    roots = [c.root for c in result.coverage if c.state == "unreachable"]
    links = sum(_broken_link(root) is not None for root in roots)
    folders = max(result.unscanned - len(roots), 0)
    parts = []
    if links:
        parts.append("root is a broken link" if links == len(roots) == 1 else
                     f"{links} roots are broken links" if links > 1 else "1 root is a broken link")
    if len(roots) > links:
        parts.append(f"{plural(len(roots) - links, 'root')} not reached")
    if folders:
        parts.append(f"{plural(folders, 'folder')} not scanned")
    return parts


def _fail_on_hits(result: CrawlResult, level: str) -> int:
    """How many artifacts are at or above ``level`` (shadow-it > unregistered > stale-signoff)."""
    ranked = ("shadow-it", "unregistered", "stale-signoff")
    if level not in ranked:
        return 0
    return sum(result.levels[name] for name in ranked[:ranked.index(level) + 1])


@main.command(epilog=EXIT_CODES)
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
@click.option("--report", "report_paths", multiple=True, type=click.Path(), metavar="PATH",
              help="Also write a report (format from the extension: .html, .json, .csv, .xlsx, .sarif). "
                   "Repeatable.")
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(list(FORMATS)),
              help="Also write the report in this format to --output (default stdout). Repeatable.")
@click.option("--output", "-o", default=None,
              help="Where --format goes ('-': stdout; the summary then goes to stderr); without --format the "
                   "format comes from the extension. Its folder must exist (one named out is made).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="never", show_default=True,
              help="Exit 1 when an artifact is at or above this level: shadow-it; unregistered (or shadow-it); "
                   "stale-signoff (or unregistered, or shadow-it).")
@click.option("--full", is_flag=True, help="Analyse every file again, even when size and mtime are unchanged.")
@click.option("--username", "-U", default=None,
              help=f"SMB user (DOMAIN\\user or user@realm) for //server/share paths; the password comes from "
                   f"{PASSWORD_ENV} or a prompt, never from the command line.")
@click.option("--port", type=click.IntRange(1, 65535), default=445, show_default=True, help="SMB port.")
@click.option("--follow-links", is_flag=True,
              help="Follow symbolic links that lead out of the crawl root (default: record them with their target).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no summary line.")
@click.option("--queue", "queued", is_flag=True,
              help="List only, and leave the analysis to `shadowscan worker` processes on any host (PostgreSQL "
                   "inventory); the crawl ends when they have stored every file.")
@click.option("--site", default=None, metavar="NAME",
              help="The plant or site this crawler serves (crawls of many hosts share one inventory; "
                   "`report --site NAME` shows one site).")
@db_option
@pass_config
def crawl(config: Config, paths: tuple[str, ...], excludes: tuple[str, ...], max_size: str, jobs: int,
          timeout: float, memory: int, report_paths: tuple[str, ...], formats: tuple[str, ...], output: str | None,
          fail_on: str, full: bool, username: str | None, port: int, follow_links: bool,
          quiet: bool, queued: bool, site: str | None) -> None:
    """Crawl PATHS (folders, mounted shares or //server/share) and classify every artifact found."""
    # refuse a bad extension before crawling for an hour
    targets: list[tuple[str, str | None]] = [(_format_of(p), p) for p in report_paths]
    if formats:
        targets += _targets(formats, output if output is not None else "-")
    elif output is not None:  # -o alone: the format from its extension (never silently nothing)
        targets.append((_format_of(output, "--output"), output))
    to_stdout = any(t in (None, "-") for _, t in targets)
    for fmt, target in targets:  # and a report that could not be written, before crawling for an hour
        _check_writable(fmt, target)
    limits = Limits(max_file_size=parse_size(max_size), timeout=timeout, memory_mb=memory)
    roots, notes = dedupe(list(paths))
    for note in notes:
        click.echo(f"shadowscan: {note}", err=True)
    if site is not None and not site.strip():
        raise click.BadParameter("a site needs a name", param_hint="--site")
    options = CrawlOptions(excludes=excludes, limits=limits, jobs=jobs, incremental=not full,
                           source=replace(_source_options(paths, username, port), follow_links=follow_links),
                           site=site.strip() if site else None)
    if queued and not is_url(config.db):
        raise CliError("--queue needs a PostgreSQL inventory that workers on other hosts reach "
                       "(--db postgresql://...)")
    mode = "off" if quiet else "tty" if sys.stderr.isatty() else "plain"
    progress = _Progress(mode, _progress_every(), in_flight=not queued)
    with _open(config, must_exist=False) as store, contextlib.ExitStack() as stack:
        stack.callback(progress.close)
        queue = None
        if queued:
            queue = QueueSender(store, config.db, progress.waiting)
            stack.callback(queue.close)
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            result = run_crawl(roots, store, options, _Hooks(progress), queue)
        except KeyboardInterrupt:
            progress.close()
            click.echo("Interrupted: everything finished so far is kept in the inventory; coverage is incomplete.",
                       err=True)
            sys.exit(EXIT_INCOMPLETE)
        except LeaseLost as exc:  # the crawl is marked interrupted: its coverage is incomplete, not a usage error
            progress.close()
            click.echo(f"Error: {exc}; everything finished so far is kept in the inventory; coverage is incomplete.",
                       err=True)
            sys.exit(EXIT_INCOMPLETE)
        except StoreError:
            progress.close()
            raise
        except Exception as exc:
            progress.close()
            if config.debug:
                raise
            click.echo(f"Error: the crawl failed: {_explain(exc)}; what was recorded so far is kept and the crawl "
                       "is marked failed (--debug shows the traceback)", err=True)
            sys.exit(EXIT_INCOMPLETE)
        finally:
            signal.signal(signal.SIGTERM, previous)
        progress.close()
        if not quiet:
            click.echo(summary_line(result, display_name(config.db)), err=to_stdout)
        if targets:
            built = build(store, result.crawl_id)
            for fmt, target in targets:
                _emit(built, fmt, target)
    if not result.complete:
        for cov in result.coverage:
            if cov.state != "complete":
                row = {"root": cov.root, "state": cov.state, "reason": cov.reason, "unlisted": len(cov.unlisted),
                       "unreadable": cov.unreadable, "not_rechecked": cov.not_rechecked, "baseline": cov.baseline}
                target = _broken_link(cov.root) if cov.state == "unreachable" else None
                if target is not None:
                    row["reason"] = f"it is a broken link to {target}"
                click.echo(f"Coverage incomplete: {root_sentence(row)}", err=True)
        sys.exit(EXIT_INCOMPLETE)
    limited = {k: n for k, n in result.not_analysed.items() if k in LIMITED}
    if limited:
        click.echo(f"Not analysed: {not_analysed_phrase(limited)}; raise --timeout, --memory or --max-size "
                   "(exit status 4)", err=True)
        sys.exit(EXIT_NOT_ANALYSED)
    hits = _fail_on_hits(result, fail_on)
    if hits:
        click.echo(f"{plural(hits, 'artifact')} at or above --fail-on {fail_on}: exit status 1", err=True)
        sys.exit(EXIT_FINDINGS)


class _Hooks:
    """What the engine calls while it crawls: the progress display."""

    def __init__(self, progress: _Progress) -> None:
        self.progress = progress

    def __call__(self, artifact: Artifact) -> None:
        self.progress(artifact)

    def listed(self, count: int) -> None:
        """``count`` more files listed."""
        self.progress.listed_more(count)

    def pending(self, candidate: Candidate) -> None:
        """A listed file to read or judge (every listed file but the remembered ones)."""
        self.progress.pending(candidate)

    def skipped(self, candidate: Candidate) -> None:
        """A file read and found to be no artifact."""
        self.progress.skipped(candidate)

    def remembered(self, count: int) -> None:
        """``count`` listed files need nothing done (read before, no artifact, unchanged since)."""
        self.progress.remembered(count)

    def listing_done(self) -> None:
        self.progress.listing_done()


def _terminate(_signum: int, _frame: Any) -> None:
    """SIGTERM (a stopped service, a killed job) ends the crawl as Ctrl-C does: marked interrupted."""
    raise KeyboardInterrupt


def _format_of(path: str, option: str = "--report") -> str:
    """The format a file name asks for by its extension (``r.findings.csv``: csv-findings)."""
    longest_first = sorted((f for f in FORMATS.values() if f.suffix), key=lambda f: -len(f.suffix))
    fmt = next((f for f in longest_first if path.lower().endswith(f.suffix)), None)
    if fmt is None and os.path.isdir(path):
        raise CliError(f"cannot write the report to {path}: it is a folder (pass a file name)")
    if fmt is None:
        hint = " or pass -f FORMAT" if option == "--output" else ""
        raise click.BadParameter(f"cannot tell the format of {path!r}: use a name ending in "
                                 + ", ".join(f".{ext}" for ext in BY_EXTENSION) + hint, param_hint=option)
    return fmt.name


def _write_atomic(target: Path, data: str | bytes = b"", writer: Callable[[IO[bytes]], None] | None = None) -> None:
    """Write ``target`` through a temporary name in its folder and rename it into place: a full
    disk or a crash never leaves a truncated report (nor replaces a good one). ``writer``, when given,
    writes into the open file instead (a format that streams)."""
    if target.is_dir():
        raise CliError(f"cannot write the report to {target}: it is a folder (pass a file name)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise CliError(f"cannot write the report to {target}: {exc.strerror or one_line(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as out:
            if writer is not None:
                writer(out)
            else:
                out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CliError(f"cannot write the report to {target}: {exc.strerror or one_line(exc)}; "
                       "nothing was written") from exc
    except BaseException:  # a writer that failed half-way (or Ctrl-C): no half-written file left behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _check_writable(fmt: str, target: str | None, nothing: str = "nothing was crawled") -> None:
    """Refuse an output that cannot be written (a folder where a file goes, a folder that does not
    exist, a folder we may not write into) before any work is done; the writer still writes through a
    temporary name."""
    if target is None or target == "-":
        return
    path = Path(target)
    folder_format = FORMATS[fmt].is_directory
    if path.is_dir() and not folder_format:
        raise CliError(f"cannot write the report to {target}: it is a folder; {nothing}")
    _check_folder(path, nothing)
    parent = path if folder_format and path.is_dir() else path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CliError(f"cannot write the report to {target}: no permission to write in {parent}; {nothing}")


def _check_folder(path: Path, nothing: str) -> None:
    """An output goes into a folder that exists: a mistyped path never makes folders. Only an output
    folder named ``out`` (the README's and the demo's) is made, in a folder that exists."""
    folder = path.parent
    if folder.is_dir() or (folder.name == DEFAULT_OUTPUT and folder.parent.is_dir()):
        return
    what = "is not a folder" if folder.exists() else "does not exist"
    raise CliError(f"cannot write {path}: the folder {folder} {what} (create it first); {nothing}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _emit(report: Report, fmt: str, output: str | None) -> None:
    """Render one format of a built report to ``output`` (a file, a folder, or stdout)."""
    form = FORMATS[fmt]
    if not form.is_directory:
        if output is None or output == "-":
            sys.stdout.flush()
            form.write(report, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        target = Path(output)
        _write_atomic(target, writer=lambda out: form.write(report, out))
        click.echo(f"Wrote {fmt.upper()} report: {target.resolve()}", err=True)
        return
    rendered = form.render(report)
    if output is None or output == "-":
        click.echo(rendered, nl=False)
        return
    target = Path(output)
    if isinstance(rendered, Mapping):
        if target.exists() and not target.is_dir():
            raise CliError(f"{output} is a file: the {fmt} report is a folder of pages")
        for name, text in rendered.items():
            _write_atomic(target / name, text)
        stale = _stale_pages(target, rendered)
        for path in stale:
            path.unlink()
        click.echo(f"Wrote {fmt} report ({len(rendered)} files{f', {len(stale)} stale removed' if stale else ''}): "
                   f"{target.resolve()}{os.sep}", err=True)
        return
    _write_atomic(target, rendered)
    click.echo(f"Wrote {fmt.upper()} report: {target.resolve()}", err=True)


_PAGE = re.compile(r"\d{3,}-[\w.-]*\.html")  # a page the migration format writes (cards/NNN-name.html)


def _stale_pages(target: Path, rendered: Mapping[str, str]) -> list[Path]:
    """Pages an earlier run wrote into the same folder that this run did not (a tool migrated, a rank moved):
    only files named like ours, in the sub-folders this run wrote to."""
    folders = {Path(name).parent for name in rendered if Path(name).parent != Path(".")}
    written = {target / name for name in rendered}
    return sorted(p for folder in folders if (target / folder).is_dir() for p in (target / folder).iterdir()
                  if p.is_file() and _PAGE.fullmatch(p.name) and p not in written)


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
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(list(FORMATS)),
              help="Output format: " + "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values())
                   + ". Repeat for several; each goes to its own file. Default: from the extension of --output "
                     "(.html, .json, .csv, .xlsx, .sarif); html on stdout.")
@click.option("--output", "-o", default=None,
              help="Output file, or folder for migration (several formats: the extension is replaced per format); "
                   "its folder must exist (one named out is made). Default: stdout.")
@click.option("--crawl", "crawl_id", type=int, default=None,
              help="One crawl only (default: the estate, every root's latest crawl; `shadowscan crawls` lists them).")
@click.option("--root", "scope", multiple=True,
              help="Only what lies under this path or share (repeatable).")
@click.option("--site", default=None, metavar="NAME", help="Only the roots the crawls of this site (crawl --site) cover.")
@db_option
@pass_config
def report(config: Config, formats: tuple[str, ...], output: str | None, crawl_id: int | None,
           scope: tuple[str, ...], site: str | None) -> None:
    """Write a report of the estate: every root's latest crawl (or of --crawl ID, under --root, of --site).
    Opens the inventory read-only."""
    if not formats:
        formats = (_format_of(output, "--output"),) if output not in (None, "-") else ("html",)
    targets = _targets(formats, output)
    for fmt, target in targets:  # before the report is built
        _check_writable(fmt, target, "nothing was written")
    with _open(config, readonly=True) as store:
        roots = [canonical(p) for p in scope]
        if site is not None:
            sites = store.sites()
            if site not in sites:
                raise CliError(f"no crawl of site {site!r} in this inventory (sites: {', '.join(sorted(sites)) or 'none'})")
            roots += sites[site]
        try:
            built = build(store, crawl_id, roots)
        except NoCrawl as exc:
            raise CliError(str(exc)) from exc
    for fmt, target in targets:
        _emit(built, fmt, target)


@main.command("crawls")
@click.option("--site", default=None, metavar="NAME", help="Only the crawls of this site.")
@db_option
@pass_config
def crawls_command(config: Config, site: str | None) -> None:
    """List the crawls in the inventory (ids for `report --crawl`), newest first: when, state, host and
    site, artifacts stored (and files still waiting for a worker), coverage and roots."""
    with _open(config, readonly=True) as store:
        rows = store.crawls(site)
        # files listed but not (fully) analysed (timeout, too large, crashed, ...), as the reports count them
        unanalysed = {row["id"]: sum(n for c in store.coverage(row["id"]) for n in c["not_analysed"].values())
                      for row in rows}
    if not rows:
        click.echo("No crawl in this inventory yet: `shadowscan crawl PATH` runs one." if site is None else
                   f"No crawl of site {site!r} in this inventory.")
        return
    for row in rows:
        state = "stopped" if row["state"] == "running" and not row["alive"] else row["state"]
        complete = row["state"] == "finished" and not row["pending"] and all(
            c["state"] == "complete" for c in row["coverage"])
        where = "@".join(filter(None, [row.get("site"), row.get("host")])) or "-"
        counts = plural(row["artifacts"], "artifact")
        if row["pending"]:
            counts += f", {row['pending']:,} waiting for a worker"
        elif state == "running":  # stored counts live, listed at the crawl's last heartbeat: at least as many
            counts += f" of {max(row['listed'], row['artifacts']):,}+ listed"
        covered = "complete" if complete else "INCOMPLETE"
        if unanalysed[row["id"]]:
            covered += f", {plural(unanalysed[row['id']], 'file')} not analysed"
        click.echo(f"{row['id']:>5}  {row['started']}  {state:<11} {_visible(where):<24} {counts:>15}"
                   f"  coverage {covered:<10}  {', '.join(row['roots'])}")


@main.group("db")
def db_group() -> None:
    """The inventory database itself: its schema version and upgrades."""


@db_group.command("upgrade")
@db_option
@pass_config
def db_upgrade(config: Config) -> None:
    """Apply the schema migrations the inventory lacks (a crawl does it too when it opens an older one).
    An empty database (a new PostgreSQL database, an SQLite file not there yet) gets the whole schema:
    the deploy step before the first crawler or worker starts."""
    fresh = not Store.exists(config.db)
    with Store(config.db, upgrade=False) as store:
        before = store.schema_version()
        done = store.upgrade()
        after = store.schema_version()
    if fresh or before == 0:
        click.echo(f"Created the inventory {display_name(config.db)} (schema {after}).")
        return
    if not done:
        click.echo(f"The inventory {display_name(config.db)} is up to date (schema {after}).")
        return
    for migration in done:
        click.echo(f"Applied migration {migration.version}: {migration.name}")
    click.echo(f"Upgraded {display_name(config.db)} from schema {before} to {after}.")


@db_group.command("version")
@db_option
@pass_config
def db_version(config: Config) -> None:
    """The inventory's schema version, and the one this shadowscan writes."""
    if not Store.exists(config.db):
        raise CliError(f"no inventory at {display_name(config.db)}: run `shadowscan crawl PATH` first (or pass --db)")
    with Store(config.db, readonly=True, upgrade=False) as store:
        click.echo(f"schema {store.schema_version()} (this shadowscan: {SCHEMA_VERSION})")


@main.command()
@click.option("--keep", type=click.IntRange(1), default=None,
              help="How many of the newest crawls of each root to keep (without it, with --root: all of them).")
@click.option("--root", "forget", multiple=True, metavar="PATH",
              help="Forget this root entirely (a retired or mistyped share): its crawls leave the inventory and "
                   "the reports. Repeatable.")
@click.option("--wait", type=click.FloatRange(0), default=0.0, show_default=True, metavar="SECONDS",
              help="While a crawl is running, wait up to this long for it to end (then refuse, exit status 2).")
@db_option
@pass_config
def prune(config: Config, keep: int | None, forget: tuple[str, ...], wait: float) -> None:
    """Delete all but the newest --keep crawls of each root, and every crawl of a --root to forget
    (either or both). The registry, sign-offs and everything the kept crawls' reports show are kept;
    the file is compacted afterwards. Never while a crawl of the inventory runs (it may be about to
    reuse what would be deleted): refused with exit status 2, or after waiting up to --wait seconds."""
    if keep is None and not forget:
        raise click.UsageError("prune needs --keep N (the newest crawls of each root to keep), --root PATH "
                               "(a root to forget), or both")
    with _open(config) as store:
        size = store.size()
        known = {root for _, roots in store.crawl_roots() for root in roots}
        targets = [canonical(r) for r in forget]
        unknown = [r for r in targets if r not in known]
        if unknown:
            raise CliError(f"no crawl of {', '.join(unknown)} in this inventory (its roots: "
                           f"{', '.join(sorted(known)) or 'none'}): nothing removed")
        dropped, versions = store.prune(keep or sys.maxsize, targets, wait,
                                        waiting=lambda why: click.echo(f"shadowscan: {why}", err=True))
        after = store.size()
    if not dropped and not versions:
        click.echo(f"Nothing to prune: no root has more than {plural(keep, 'crawl')}." if keep else
                   "Nothing to prune.")
        return
    ids = f" ({', '.join(map(str, dropped))})" if dropped else ""
    gone = f" and forgot {', '.join(targets)}" if targets else ""
    kept = f"the newest {plural(keep, 'crawl')} of each root" if keep else "the crawls of the other roots"
    click.echo(f"Removed {plural(len(dropped), 'crawl')}{ids}{gone}, {plural(versions, 'stored version')}; "
               f"kept {kept}, the registry and sign-offs. Inventory {_megabytes(size)} -> {_megabytes(after)}.")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"


# registry ---------------------------------------------------------------------------------
def _artifact_path(path: str) -> str:
    """How the registry stores a path: absolute locally, ``//server/share/...`` on a share."""
    return canonical(display_path(path))  # the spelling crawls record (roots.py)


def _analyse_one(path: str, options: SourceOptions) -> tuple[str | None, Analysis]:
    """(sha256, analysis) of the file at ``path`` now, analysed like a crawl would (locally or
    over SMB, through the same source); refuses what is not an artifact."""
    target = _artifact_path(path)
    found = [item for item in source_for(target, options).walk(target, ()) if isinstance(item, Candidate)]
    if len(found) != 1 or found[0].path != target:
        raise CliError(f"{path} is not a known artifact (an Excel workbook, Access database or script "
                       "that exists): nothing written")
    candidate, limits = found[0], Limits()
    with WorkerPool(1, limits.timeout, limits.memory_mb, reaped=sweep_private_copies) as pool:
        (_, outcome), = list(pool.map(iter([(candidate, analyze_file, (candidate, limits, options))])))
    if isinstance(outcome, Failure):
        raise CliError(f"cannot read {path}: {outcome.reason}")
    sha256, analysis = outcome
    if not analysis.is_artifact:
        raise CliError(f"{path} holds no macros, connections or code ({analysis.reason}): nothing written")
    if analysis.status is not Status.ANALYZED or not analysis.fingerprint:
        raise CliError(f"cannot use {path}: it could not be analysed "
                       f"({analysis.status.value}: {analysis.reason or 'no logic found'}); nothing written")
    return sha256, analysis


def _writes_check(path: str, analysis: Analysis, data_access: str, accept: str | None,
                  by: str | None) -> dict[str, Any] | None:
    """A read-only registration of a tool the analysis shows writing is refused with the write
    evidence, unless accepted with a reason (returned, to be recorded and reported)."""
    writes = write_evidence(analysis)
    if data_access != "read-only" or not writes:
        if accept is not None:
            raise CliError("--accept-writes accepts the writes of a read-only registration: "
                           + ("the data access is read-write" if data_access != "read-only" else
                              f"the analysis of {_visible(path)} shows no writes") + "; nothing written")
        return None
    if accept is None:
        shown = "; ".join(_visible(f"{ev.location}{f' line {ev.line}' if ev.line else ''}: {ev.snippet}")[:160]
                          for ev in writes[:2])
        more = f" (and {len(writes) - 2} more)" if len(writes) > 2 else ""
        raise CliError(f"{_visible(path)} is not read-only, the analysis shows it writing: {shown}{more}; use "
                       "--data-access read-write, or --accept-writes \"REASON\" to record why read-only holds; "
                       "nothing written")
    reason = " ".join(accept.split())
    if len(reason) < 10:
        raise CliError("--accept-writes needs a reason (a sentence the report shows); nothing written")
    return {"reason": reason, "by": (by or "").strip() or who_am_i(), "at": now_iso(),
            "fingerprint": analysis.fingerprint, "evidence": [ev.to_dict() for ev in writes[:5]]}


def smb_options(command: Any) -> Any:
    """--username/--port for commands that read one file (a path on a share works as in crawl)."""
    command = click.option("--port", type=click.IntRange(1, 65535), default=445, show_default=True,
                           help="SMB port.")(command)
    return click.option("--username", "-U", default=None,
                        help=f"SMB user for //server/share paths; password from {PASSWORD_ENV} or a prompt.")(command)


def _registry(store: Store) -> Registry:
    return Registry(store.db)


def _by_option(command: Any) -> Any:
    return click.option("--by", "by", default=None, metavar="NAME",
                        help="Who makes the change, for its history (default: your login name).")(command)


def _accept_option(command: Any) -> Any:
    return click.option("--accept-writes", "accept_writes", default=None, metavar="REASON",
                        help="Register as read-only although the analysis shows writes, with the reason "
                             "(recorded, and reported with the write evidence).")(command)


@main.command()
@click.argument("path")
@click.option("--owner", required=True, help="The one accountable business owner (a named person, not IT).")
@click.option("--function", "function", required=True, type=click.Choice(FUNCTIONS, case_sensitive=False),
              help="The owner's function.")
@click.option("--purpose", required=True, help="What the tool is for.")
@click.option("--platform", required=True, type=click.Choice(PLATFORMS, case_sensitive=False),
              help="What the tool is built on; must fit the file (.xlsm: excel, .py: python, ...).")
@click.option("--data-access", required=True, type=click.Choice(DATA_ACCESS, case_sensitive=False),
              help="read-only is checked against what the analysis shows the tool writing.")
@click.option("--product-owner", default=None, help="Who signs off changes for production (the business, not IT).")
@click.option("--contributors", default="", help="Contributing functions or people, comma-separated (IT may be one).")
@click.option("--cost-center", default=None, help="The cost center that pays for it.")
@click.option("--review-every", type=click.IntRange(1), default=None, help="Review cadence in days, e.g. 90.")
@click.option("--scale-decision", default=None, help="Who decides whether it scales or is paused.")
@_accept_option
@_by_option
@smb_options
@db_option
@pass_config
def register(config: Config, /, path: str, username: str | None, port: int, by: str | None,
             accept_writes: str | None, **fields: object) -> None:
    """Register PATH as a sanctioned app with its named business owner."""
    contributors = [c for c in str(fields.pop("contributors") or "").split(",") if c.strip()]
    try:
        clean = validate(dict(fields, contributors=contributors))  # refuse bad input before reading the file
        check_platform(clean["platform"], _artifact_path(path))
    except RegistryError as exc:
        raise CliError(f"{exc}; nothing written") from exc
    fresh = not Store.exists(config.db)  # a registry may come before the first crawl: said, so a mistyped --db shows
    # an inventory that exists is opened (and one that may not be written refused) before the file is read
    with contextlib.ExitStack() as stack:
        store = None if fresh else stack.enter_context(_open(config))
        sha256, analysis = _analyse_one(path, _source_options((path,), username, port))
        accepted = _writes_check(path, analysis, clean["data_access"], accept_writes, by)
        store = store or stack.enter_context(_open(config, must_exist=False))
        try:
            entry = _registry(store).register(path=_artifact_path(path), kind=kind_of(Path(path).name)[0].value,  # type: ignore[index]
                                              fingerprint=analysis.fingerprint or "", sha256=sha256,
                                              contributors=contributors, by=by, accepted_writes=accepted, **fields)
        except RegistryError as exc:
            raise CliError(f"{exc}; nothing written") from exc
    click.echo(f"Registered {_visible(entry.path)} as entry {entry.id} (owner {entry.owner}, {entry.function})"
               + (f", read-only with writes accepted: {accepted['reason']}" if accepted else "")
               + f". Next: {entry.signer} signs off with `shadowscan signoff {entry.id} --by \"{entry.signer}\"`.")
    if fresh:
        click.echo(f"Note: there was no inventory at {display_name(config.db)}; a new one was created for this entry "
                   "(pass --db or SHADOWSCAN_DB to register into an existing inventory).", err=True)


@main.command()
@click.argument("ref", metavar="ID|PATH")
@click.option("--by", "by", required=True, help="The Product Owner signing off (the business owner where none is named).")
@click.option("--note", default=None)
@smb_options
@db_option
@pass_config
def signoff(config: Config, ref: str, by: str, note: str | None, username: str | None, port: int) -> None:
    """Record the Product Owner's sign-off of exactly what the entry's file holds now."""
    with _open(config) as store:
        registry = _registry(store)
        try:
            entry = registry.find(ref)
            check_signer(entry, by)  # before reading the file
            sha256, analysis = _analyse_one(entry.path, _source_options((entry.path,), username, port))
            done = registry.signoff(entry, by=by, sha256=sha256, fingerprint=analysis.fingerprint or "", note=note)
        except RegistryError as exc:
            raise CliError(f"{exc}; nothing written") from exc
    click.echo(f"Signed off entry {entry.id} by {done.signed_by} at {done.signed_at} "
               f"(content {str(sha256)[:12]}, logic {done.fingerprint[4:16]}).")


@main.command()
@click.argument("path")
@click.option("--verdict", required=True, type=click.Choice(VERDICTS, case_sensitive=False),
              help="The reviewer's decision.")
@click.option("--impacts", default="", metavar="financial,quality",
              help="What a shadow-it verdict decides: financial, quality or both (comma-separated).")
@click.option("--by", "by", required=True, help="The reviewer (a named person).")
@click.option("--reason", required=True, help="Why: the report shows it beside the decision.")
@smb_options
@db_option
@pass_config
def review(config: Config, path: str, verdict: str, impacts: str, by: str, reason: str, username: str | None,
           port: int) -> None:
    """Record a reviewer's decision on PATH, bound to the logic it holds now: applied by every
    crawl (shown beside the analysis) until the logic changes, then flagged as stale."""
    try:
        verdict, found, by, reason = check_review(verdict, impacts.split(","), by, reason)
    except RegistryError as exc:
        raise CliError(f"{exc}; nothing written") from exc
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(_open(config)) if Store.exists(config.db) else None  # refused before reading
        sha256, analysis = _analyse_one(path, _source_options((path,), username, port))
        said = classify(analysis)
        store = store or stack.enter_context(_open(config, must_exist=False))
        try:
            done = _registry(store).review(
                path=_artifact_path(path), fingerprint=analysis.fingerprint or "", sha256=sha256, verdict=verdict,
                impacts=found, by=by, reason=reason,
                analysis={"classification": said.classification.value, "impacts": [i.value for i in said.impacts]})
        except RegistryError as exc:
            raise CliError(f"{exc}; nothing written") from exc
    differs = said.classification.value != verdict or [i.value for i in said.impacts] != list(found)
    click.echo(f"Recorded review {done.id}: {_visible(done.path)} is {verdict}"
               f"{' (' + ', '.join(found) + ')' if found else ''} by {by} "
               f"(the analysis says {said.classification.value}"
               f"{' (' + ', '.join(i.value for i in said.impacts) + ')' if said.impacts else ''}"
               f"{'; the report shows both' if differs else ''}). It applies from the next crawl until the logic "
               "changes.")


def _fingerprints_now(store: Store, paths: list[str]) -> dict[str, str | None]:
    """The logic each path held when the inventory last saw it (no file is opened)."""
    out = {}
    for path in paths:
        row = store.latest(path)
        out[path] = row["fingerprint"] if row is not None else None
    return out


@main.command("reviews")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json", "csv")), default="table",
              show_default=True)
@db_option
@pass_config
def reviews_command(config: Config, fmt: str) -> None:
    """List reviewers' decisions, with whether each still covers the logic last crawled."""
    with _open(config, readonly=True) as store:
        found = _registry(store).reviews()
        now = _fingerprints_now(store, [r.path for r in found])
    latest = {r.path: r.id for r in found}  # the newest review of a path is the one in force
    rows = [{**r.to_dict(), "state": ("replaced" if latest[r.path] != r.id else
                                      "not crawled" if now[r.path] is None else
                                      "current" if now[r.path] == r.fingerprint else "stale")} for r in found]
    if fmt != "table":
        _listing(rows, fmt, ("id", "state", "path", "verdict", "impacts", "by", "at", "reason"))
        return
    if not rows:
        click.echo("No reviews yet: `shadowscan review PATH --verdict ... --by NAME --reason TEXT` records one.")
        return
    for row in rows:
        click.echo(f"{row['id']:>4}  {row['state']:<11} {row['verdict']:<20} {row['by']:<20} {row['at'][:10]}  "
                   f"{_visible(row['path'])}: {_visible(row['reason'])}")


def _listing(rows: list[dict[str, Any]], fmt: str, columns: tuple[str, ...]) -> None:
    import csv
    import io
    import json

    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = [", ".join(map(str, v)) if isinstance(v, (list, tuple)) else "" if v is None else str(v)
                 for v in (row.get(c) for c in columns)]
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else visible(c) for c in cells])
    click.echo(out.getvalue(), nl=False)


@main.group("registry", cls=_Group)
@db_option
def registry_group() -> None:
    """List, show, edit, remove, export and import registry entries (ids: `registry list`)."""


SIGNOFF_STATES = ("valid", "stale", "missing")


@registry_group.command("list")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json", "csv")), default="table",
              show_default=True)
@click.option("--owner", default=None, help="Only entries of this business owner (or Product Owner).")
@click.option("--function", "function", default=None, type=click.Choice(FUNCTIONS, case_sensitive=False),
              help="Only entries of this function.")
@click.option("--state", default=None, type=click.Choice(SIGNOFF_STATES),
              help="Only entries whose sign-off is valid, stale (the logic last crawled differs) or missing.")
@db_option
@pass_config
def registry_list(config: Config, fmt: str, owner: str | None, function: str | None, state: str | None) -> None:
    """List the registry entries (id, owner, function, data access, sign-off state, path)."""
    with _open(config, readonly=True) as store:
        entries = _registry(store).entries()
        now = _fingerprints_now(store, [e.path for e in entries])
    states = {e.id: signoff_state(Match(e, "registered"), now[e.path] or e.fingerprint) for e in entries}
    picked = [e for e in entries
              if (owner is None or same_person(owner, e.owner) or same_person(owner, e.product_owner))
              and (function is None or e.function == function.lower())
              and (state is None or states[e.id] == state)]
    rows = entries_as_rows(picked, states)
    if fmt != "table":
        _listing(rows, fmt, tuple(rows[0]) if rows else ("id", "path", "owner", "function", "signoff"))
        return
    if not rows:
        click.echo("No registry entry matches." if entries else
                   "The registry is empty: `shadowscan register PATH --owner ...` adds an entry.")
        return
    for row in rows:
        click.echo(f"{row['id']:>4}  {row['owner']:<22} {row['function']:<12} {row['data_access']:<10} "
                   f"{row['signoff']:<8} {row['signed_off'] or 'not signed off':<40} {_visible(row['path'])}")


@registry_group.command("show")
@click.argument("ref", metavar="ID|PATH")
@db_option
@pass_config
def registry_show(config: Config, ref: str) -> None:
    """Show an entry (by id or path) with its sign-offs and history, as JSON."""
    import json

    with _open(config, readonly=True) as store:
        try:
            entry = _registry(store).find(ref)
        except RegistryError as exc:
            raise CliError(str(exc)) from exc
    click.echo(json.dumps(entry.to_dict(), indent=2, ensure_ascii=False))


@registry_group.command("edit")
@click.argument("ref", metavar="ID|PATH")
@click.option("--owner", default=None, help="The one accountable business owner (a named person, not IT).")
@click.option("--function", "function", default=None, type=click.Choice(FUNCTIONS, case_sensitive=False))
@click.option("--purpose", default=None)
@click.option("--platform", default=None, type=click.Choice(PLATFORMS, case_sensitive=False))
@click.option("--data-access", default=None, type=click.Choice(DATA_ACCESS, case_sensitive=False))
@click.option("--product-owner", default=None, help="Who signs off changes ('' to name none).")
@click.option("--contributors", default=None, help="Comma-separated; replaces the list ('' for none).")
@click.option("--cost-center", default=None)
@click.option("--review-every", type=click.IntRange(1), default=None)
@click.option("--scale-decision", default=None)
@_accept_option
@_by_option
@smb_options
@db_option
@pass_config
def registry_edit(config: Config, /, ref: str, by: str | None, accept_writes: str | None, username: str | None,
                  port: int, **fields: Any) -> None:
    """Change fields of an entry; the change is kept in its history (`registry history ID`)."""
    changes = {k: v for k, v in fields.items() if v is not None}
    if "contributors" in changes:
        changes["contributors"] = [c.strip() for c in changes["contributors"].split(",") if c.strip()]
    if not changes and accept_writes is None:
        raise CliError("nothing to change: pass the fields to edit (e.g. --owner NAME); see `registry edit -h`")
    with _open(config) as store:
        registry = _registry(store)
        try:
            entry = registry.find(ref)
            merged = validate({**entry.fields(), **changes})  # refuse bad input before reading the file
            check_platform(merged["platform"], entry.path)
            accepted: Any = ...
            if merged["data_access"] == "read-only" and (entry.data_access != "read-only" or accept_writes):
                _, analysis = _analyse_one(entry.path, _source_options((entry.path,), username, port))
                accepted = _writes_check(entry.path, analysis, "read-only", accept_writes, by)
            elif accept_writes is not None:
                raise CliError("--accept-writes accepts the writes of a read-only registration: the data access "
                               "is read-write; nothing written")
            done = registry.edit(entry, by=by, accepted_writes=accepted, **changes)
        except RegistryError as exc:
            raise CliError(f"{exc}; nothing written") from exc
    event = done.history[-1]
    click.echo(f"Edited entry {done.id}: " + "; ".join(
        f"{name} {_shown(before)} -> {_shown(after)}" for name, (before, after) in event.changes.items()) + ".")


def _shown(value: Any) -> str:
    if value is None or value == [] or value == "":
        return "(none)"
    return _visible(", ".join(map(str, value)) if isinstance(value, list) else str(value))


@registry_group.command("history")
@click.argument("ref", metavar="ID|PATH")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@db_option
@pass_config
def registry_history(config: Config, ref: str, fmt: str) -> None:
    """Every change to an entry (a removed one too, by id): when, who, what."""
    import json

    with _open(config, readonly=True) as store:
        try:
            entry_id, events = _registry(store).history(ref)
        except RegistryError as exc:
            raise CliError(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps({"id": entry_id, "history": [asdict(e) for e in events]}, indent=2, ensure_ascii=False))
        return
    if not events:
        click.echo(f"Entry {entry_id} has no recorded history (registered before shadowscan kept one).")
    for event in events:
        what = "; ".join(f"{k} {_shown(v[0])} -> {_shown(v[1])}" if isinstance(v, list) and len(v) == 2
                         else f"{k} {_shown(v)}" for k, v in event.changes.items())
        click.echo(f"{event.at}  {event.action:<8} by {_visible(event.by)}: {what}")


@registry_group.command("remove")
@click.argument("ref", metavar="ID|PATH")
@_by_option
@db_option
@pass_config
def registry_remove(config: Config, ref: str, by: str | None) -> None:
    """Remove an entry and its sign-offs; its history is kept (`registry history ID`) and its id never reused."""
    with _open(config) as store:
        registry = _registry(store)
        try:
            entry = registry.find(ref)
        except RegistryError as exc:
            raise CliError(str(exc)) from exc
        registry.remove(entry, by=by)
    click.echo(f"Removed entry {entry.id} ({_visible(entry.path)}); its history stays: "
               f"`shadowscan registry history {entry.id}`.")


@registry_group.command("export")
@click.option("--output", "-o", default="-", help="File to write (default: stdout).")
@db_option
@pass_config
def registry_export(config: Config, output: str) -> None:
    """Write the registry (entries with sign-offs and history, and the reviews) as JSON, to keep it in
    version control."""
    import json

    with _open(config, readonly=True) as store:
        text = json.dumps(_registry(store).export(), indent=2, ensure_ascii=False) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        _check_folder(Path(output), "nothing was written")
        _write_atomic(Path(output), text)
        click.echo(f"Wrote registry: {Path(output).resolve()}", err=True)


@registry_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_by_option
@db_option
@pass_config
def registry_import(config: Config, file: str, by: str | None) -> None:
    """Replace the registry with FILE (an export), keeping the history it carries. All or nothing."""
    import json

    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"{file} is not valid JSON: {exc}") from exc
    except RecursionError:
        raise CliError(f"{file}: nested too deeply to be a registry export; the registry was not changed") from None
    fresh = not Store.exists(config.db)  # a new inventory may start from a registry kept in version control
    with _open(config, must_exist=False) as store:
        try:
            count = _registry(store).import_(data, by=by, source=os.path.basename(file))
        except RegistryError as exc:
            raise CliError(f"{file}: {exc}; the registry was not changed") from exc
    click.echo(f"Imported {plural(count, 'registry entry', 'registry entries')} from {file} into "
               f"{'a new inventory ' if fresh else ''}{display_name(config.db)}.")


@main.command()
@click.option("--until-empty", is_flag=True, help="Stop when no job is waiting (default: run until stopped).")
@click.option("--stalled-after", type=click.FloatRange(1), default=STALLED_AFTER, show_default=True,
              help="Seconds without a worker's heartbeat before its jobs go to another worker.")
@smb_options
@db_option
@pass_config
def worker(config: Config, until_empty: bool, stalled_after: float, username: str | None, port: int) -> None:
    """Analyse the files queued by `crawl --queue` (any number of workers, on any host) and store
    their verdicts; stops on SIGTERM or Ctrl-C after the file at hand."""
    if not is_url(config.db):
        raise CliError("a worker needs the PostgreSQL inventory the crawlers queue into (--db postgresql://...)")
    with Store(config.db):  # the schema (and the queue's) is current before jobs are taken
        pass
    source = _source_options(("//",) if username else (), username, port)
    done = run_worker(config.db, source, until_empty=until_empty, stalled_after=stalled_after)
    click.echo(f"Worker stopped: {plural(done, 'file')} analysed.", err=True)



if __name__ == "__main__":  # pragma: no cover
    main()
