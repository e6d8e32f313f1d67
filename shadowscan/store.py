"""The inventory: crawls, artifacts, findings and verdicts, in an SQLite file or a PostgreSQL
database (the SQL is written once; :mod:`.db` is where the backends differ, :mod:`.migrations`
versions the schema of both).

Each freshly analysed artifact is committed as soon as it is classified (WAL journal), so a
crawl that is killed keeps everything it analysed; reused verdicts of unchanged files are
committed at least every half second (redoing them costs milliseconds). The crawl row stays
``running`` until it ends.
Paths are stored as text that SQLite can hold even when a file name is not valid UTF-8
(undecodable bytes become ``\\xNN`` escapes, one-to-one: see :func:`safe_text`).

An artifact's analysed state is a *version*; a crawl holds *members* (crawl, version,
change). An unchanged re-crawl shares the versions of the last one and adds about 20
bytes per artifact. ``crawl_roots`` records what each root of a crawl covered, ``unscanned`` what it could
not look into (a root it could not open, a folder it could not list, a folder link it does not follow).
"""
from __future__ import annotations

import functools
import hashlib
import json
import operator
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from . import migrations
from .coverage import NOT_ANALYSED
from .db import Database, Row, connect, display_name, is_url, pg_errors, pid_alive, scrub
from .migrations import SCHEMA_VERSION
from .model import Analysis, Artifact, Evidence, Family, Finding, Impact, Severity, Status, Unscanned

# The oldest schema reports read as it is (they may only be allowed to read the inventory): what later
# migrations added (files that are no artifact, sites, progress, the queue) reports do without.
READABLE_AS_IS = 2
class StoreError(Exception):
    """The inventory cannot be used (a folder, not SQLite, read-only, missing): one line for the user."""


def safe_text(text: str) -> str:
    r"""Text SQLite and JSON can hold, one-to-one with the file name's bytes.

    A name that is valid UTF-8 and has no backslash is kept as it is. Otherwise (on POSIX)
    backslashes are doubled and undecodable bytes become ``\xNN``: a file literally named
    ``Kosten\xff.py`` and one whose name holds the byte 0xFF stay two artifacts."""
    try:
        text.encode("utf-8")
        if os.name == "nt" or "\\" not in text:
            return text
    except UnicodeEncodeError:
        pass
    if os.name == "nt":
        return text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    escaped = text.replace("\\", "\\\\")
    return os.fsencode(escaped).decode("utf-8", errors="backslashreplace")


def split_path(path: str) -> tuple[str, str]:
    """(folder, name) of a file's path, local or SMB, with either separator."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[:cut], path[cut + 1:]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# One encoder for every row (json.dumps with options builds a new encoder per call).
_json = json.JSONEncoder(ensure_ascii=False, default=str).encode

_VERSION_COLUMNS = ("path", "root", "relpath", "kind", "format", "size", "mtime", "sha256", "fingerprint", "status",
                    "status_reason", "classification", "impacts", "risk_score", "factors", "action", "reasons",
                    "facts", "registry", "engine", "analysis_id")
_INSERT_VERSION = (f"INSERT INTO versions ({', '.join(_VERSION_COLUMNS)}, digest) "
                   f"VALUES ({', '.join('?' * (len(_VERSION_COLUMNS) + 1))}) RETURNING id")
_version_values = operator.itemgetter(*_VERSION_COLUMNS)  # a stored row's values in that order, as a tuple
FINISHED = "finished"


def _open_error(path: str, exc: BaseException) -> StoreError:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a shadowscan inventory (not an SQLite database): "
                          "pass another --db or move the file away")
    if "readonly" in text or "read-only" in text:
        return ReadOnly.of(path, text)
    if "disk is full" in text or "disk I/O" in text:
        return StoreError(f"cannot write the inventory {path}: {text} (free space or pass another --db)")
    if "unable to open" in text:
        folder = os.path.dirname(os.path.abspath(path))
        why = ("its folder does not exist" if not os.path.isdir(folder) else
               "permission denied" if not os.access(folder, os.W_OK | os.X_OK) else text)
        return StoreError(f"cannot open the inventory {path}: {why}")
    return StoreError(f"cannot use the inventory {path}: {text}")


def _read_only_why(path: str, text: str) -> str:
    """Why this account cannot write the SQLite inventory at ``path`` (an existing file)."""
    folder = os.path.dirname(os.path.abspath(path))
    journal = path + "-wal"
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "its file system is mounted read-only"
    except (OSError, AttributeError):  # no statvfs (Windows)
        pass
    if not os.access(path, os.W_OK):
        info = os.stat(path)
        return f"the file is owned by {_owner(info.st_uid)} with mode {info.st_mode & 0o777:o}"
    if os.path.exists(journal) and not os.access(journal, os.W_OK):
        return f"its journal {journal} is owned by {_owner(os.stat(journal).st_uid)}"
    if not os.path.exists(journal) and not os.access(folder, os.W_OK | os.X_OK):
        return f"it may not create the journal SQLite keeps beside the file in {folder}"
    return text


def _owner(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def _pg_error(name: str, target: str, exc: BaseException) -> StoreError:
    text = scrub(" ".join(str(exc).split()), target)
    return StoreError(f"cannot use the inventory {name}: {text}")


__all__ = ["Store", "StoreError", "CrawlBusy", "PruneBusy", "pid_alive", "safe_text", "SCHEMA_VERSION", "FINISHED"]


class Store:
    """The inventory database. Use as a context manager.

    ``readonly`` opens it for reading only (reports): it never writes, never waits for a
    crawl's write lock and refuses a file that is not already an inventory."""

    def __init__(self, target: str, readonly: bool = False, upgrade: bool = True) -> None:
        self.target = target
        self.path = self.name = display_name(target)  # for messages: a URL's password never shows
        self.readonly = readonly
        self.auto_upgrade = upgrade
        if not is_url(target):
            if os.path.isdir(target):
                raise StoreError(f"{target} is a folder, not an inventory file: pass --db FILE")
            if readonly and not os.path.exists(target):
                raise StoreError(f"no inventory at {target}: run `shadowscan crawl PATH` first (or pass --db)")
        try:
            self.db: Database = connect(target, readonly)
        except sqlite3.Error as exc:
            raise _open_error(target, exc) from exc
        except pg_errors() as exc:
            raise _pg_error(self.name, target, exc) from exc
        try:
            if readonly:
                self._check_readable()
            else:
                self._prepare()
        except sqlite3.Error as exc:
            self.db.close()
            raise _open_error(target, exc) from exc
        except pg_errors() as exc:
            self.db.close()
            raise _pg_error(self.name, target, exc) from exc
        except BaseException:
            self.db.close()
            raise

    @staticmethod
    def exists(target: str) -> bool:
        """Whether ``target`` holds an inventory already (a file; a PostgreSQL database with its tables)."""
        if not is_url(target):
            return os.path.exists(target)
        try:
            db = connect(target, readonly=True)
        except pg_errors() as exc:
            raise _pg_error(display_name(target), target, exc) from exc
        try:
            return "meta" in db.tables()
        finally:
            db.close()

    def _check_readable(self) -> None:
        tables = self.db.tables()
        if "meta" not in tables:
            if is_url(self.target):
                raise StoreError(f"no inventory at {self.name}: run `shadowscan crawl PATH` first (or pass --db)")
            raise StoreError(f"{self.path} is not a shadowscan inventory (an SQLite file without its tables)")
        version = migrations.current(self.db)
        self.db.commit()
        if version < READABLE_AS_IS and self.auto_upgrade:  # an older inventory: upgrade it once, then read
            self.db.close()
            Store(self.target).close()
            self.db = connect(self.target, readonly=True)
        elif version > SCHEMA_VERSION:
            raise StoreError(f"{self.name} was written by a newer shadowscan (schema {version}): upgrade shadowscan")

    def _prepare(self) -> None:
        tables = self.db.tables()
        if tables and "meta" not in tables:
            raise StoreError(f"{self.name} is a database but not a shadowscan inventory: pass another --db")
        if self.db.dialect == "sqlite":
            _wal(self.db)
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
        version = migrations.current(self.db)
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.name} was written by a newer shadowscan (schema {version}): upgrade shadowscan")
        if version < SCHEMA_VERSION and self.auto_upgrade:
            self.upgrade()
        why = self.db.read_only()
        if why is not None:  # refused now, not at the first write of a crawl that has started
            raise ReadOnly.of(self.name, why, None if is_url(self.target) else self.target)

    def upgrade(self) -> list[migrations.Migration]:
        """Apply the schema migrations this inventory lacks (``shadowscan db upgrade``)."""
        return migrations.upgrade(self.db)

    def schema_version(self) -> int:
        return migrations.current(self.db)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        """End the open write transaction (rows added with ``commit=False``)."""
        if self.db.in_transaction:
            self.db.commit()

    # crawls -------------------------------------------------------------------------
    def begin_crawl(self, roots: Sequence[str], options: dict[str, Any],
                    overlaps: Callable[[str, str], bool] | None = None, site: str | None = None,
                    queued: bool = False) -> int:
        """Start a crawl; refuses (:class:`CrawlBusy`) while a live crawl covers one of ``roots``.
        The crawl holds a lease for as long as its process lives (PostgreSQL: a session lock that
        the server drops when the crawler's connection ends, on any host; SQLite: its process id)."""
        self.commit()
        self.db.begin_exclusive()
        try:
            running = self.db.execute(
                "SELECT id, roots, pid, host, started, site FROM crawls WHERE state = 'running'").fetchall()
            alive = self.db.live_crawls(running)
            for row in running:
                if row["id"] not in alive:
                    continue
                busy = [r for r in json.loads(row["roots"]) for mine in roots
                        if (overlaps or (lambda a, b: a == b))(r, safe_text(mine))]
                if busy:
                    where = f"process {row['pid']}" + (f" on {row['host']}" if row["host"] else "") + \
                        (f", site {row['site']}" if row["site"] else "")
                    raise CrawlBusy(f"crawl {row['id']} of {busy[0]} is still running ({where}, "
                                    f"started {row['started']}): wait for it to end, or stop it, then crawl again")
            crawl_id = int(self.db.execute(
                "INSERT INTO crawls (started, state, roots, options, pid, host, site, heartbeat, queued) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (_now(), json.dumps([safe_text(r) for r in roots]), json.dumps(options), os.getpid(),
                 socket.gethostname(), site, _now(), int(queued))).fetchone()[0])
            self.db.executemany("INSERT INTO crawl_roots (crawl_id, root, state) VALUES (?, ?, 'incomplete')",
                                [(crawl_id, safe_text(r)) for r in roots])
            self.db.hold_crawl_lease(crawl_id)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        return crawl_id

    def alive(self, crawl: Row) -> bool:
        """Whether a ``running`` crawl still has its crawler (a killed one has not)."""
        return crawl["id"] in self.db.live_crawls([crawl])

    def progress(self, crawl_id: int, listed: int, analysed: int) -> None:
        """The crawler's own progress and sign of life (``shadowscan crawls`` shows it)."""
        if not self.db.holds_crawl_lease(crawl_id):
            raise LeaseLost(f"crawl {crawl_id} lost its lease on the inventory (the connection to "
                            f"{self.db.name} was cut or the server restarted): stopped, crawl again")
        self.db.execute("UPDATE crawls SET listed = ?, analysed = ?, heartbeat = ? WHERE id = ?",
                        (listed, analysed, _now(), crawl_id))

    def end_crawl(self, crawl_id: int, state: str, started_monotonic: float, reason: str | None = None) -> None:
        self.commit()
        self.db.execute("UPDATE crawls SET finished = ?, state = ?, seconds = ?, reason = ? WHERE id = ?",
                        (_now(), state, round(time.monotonic() - started_monotonic, 3), reason, crawl_id))
        if state != FINISHED:
            self.db.execute("UPDATE crawl_roots SET state = 'incomplete' WHERE crawl_id = ? AND state = 'complete'",
                            (crawl_id,))
        self.db.commit()
        self.db.release_crawl_lease(crawl_id)

    def size(self) -> int:
        """Bytes the inventory takes (the SQLite file with its journal; the PostgreSQL database)."""
        return self.db.size()

    def crawl(self, crawl_id: int | None = None) -> Row | None:
        """One crawl; by default the latest one."""
        if crawl_id is None:
            latest: Row | None = self.db.execute("SELECT * FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
            return latest
        row: Row | None = self.db.execute("SELECT * FROM crawls WHERE id = ?", (crawl_id,)).fetchone()
        return row

    def crawls(self, site: str | None = None) -> list[dict[str, Any]]:
        """Every crawl (of ``site``), newest first, with its artifact count, coverage per root, files
        still waiting for a worker (``pending``) and whether a running crawl still has its crawler."""
        counts = dict(self.db.execute(
            "SELECT crawl_id, COUNT(*) FROM members WHERE change != 'removed' GROUP BY crawl_id").fetchall())
        waiting = dict(self.db.execute("SELECT crawl_id, COUNT(*) FROM pending GROUP BY crawl_id").fetchall()) \
            if "pending" in self.db.tables() else {}  # an older inventory a report reads as it is
        rows = self.db.execute("SELECT * FROM crawls ORDER BY id DESC").fetchall()
        alive = self.db.live_crawls([r for r in rows if r["state"] == "running"])
        out = []
        for row in rows:
            if site is not None and dict(row).get("site") != site:
                continue
            out.append({"site": None, "listed": 0, **dict(row), "roots": json.loads(row["roots"]),
                        "artifacts": counts.get(row["id"], 0),
                        "pending": waiting.get(row["id"], 0), "alive": row["id"] in alive,
                        "coverage": self.coverage(row["id"])})
        return out

    def sites(self) -> dict[str, list[str]]:
        """Site name -> the roots its crawls covered."""
        out: dict[str, list[str]] = {}
        if "site" not in self.db.columns("crawls"):  # an older inventory a report reads as it is
            return out
        for site, roots in self.db.execute("SELECT site, roots FROM crawls WHERE site IS NOT NULL ORDER BY id"):
            for root in json.loads(roots):
                if root not in out.setdefault(site, []):
                    out[site].append(root)
        return out

    def crawl_roots(self, upto: int | None = None) -> list[tuple[int, list[str]]]:
        """(crawl id, roots) of every crawl, oldest first (up to crawl ``upto``): what the estate is made of."""
        return [(int(r[0]), json.loads(r[1])) for r in self.db.execute(
            "SELECT id, roots FROM crawls WHERE id <= ? ORDER BY id", (upto if upto is not None else 1 << 62,))]

    def tool_counts(self, parts: Sequence[tuple[int, str]]) -> dict[str, int]:
        """Distinct tools (logic fingerprint, else content, else path: reports/families.py) in the given
        (crawl, root) parts: high-risk, unregistered, changed without sign-off. One query, for the trend."""
        if not parts:
            return {"shadow_it_tools": 0, "unregistered_tools": 0, "changed_without_signoff": 0, "artifacts": 0}
        pairs = ", ".join("(?, ?)" for _ in parts)
        key = ("COALESCE('fp:' || NULLIF(v.fingerprint, ''), "
               "CASE WHEN v.sha256 IS NOT NULL THEN 'sha:' || v.sha256 END, 'path:' || v.path)")
        row = self.db.execute(
            f"WITH p(crawl_id, root) AS (VALUES {pairs}) "
            f"SELECT COUNT(DISTINCT CASE WHEN v.classification = 'shadow-it' THEN {key} END), "
            f"COUNT(DISTINCT CASE WHEN NOT ({self.db.json_true('v.registry', 'registered')})"
            f" THEN {key} END), "
            f"COUNT(DISTINCT CASE WHEN {self.db.json_text('v.registry', 'signoff')} = 'stale' THEN {key} END), "
            f"COUNT(*) "
            f"FROM p JOIN members m ON m.crawl_id = p.crawl_id JOIN versions v ON v.id = m.version_id "
            # kind 'folder': an inventory older than schema 7 read as it is (a report does not upgrade it)
            f"AND v.root = p.root WHERE m.change != 'removed' AND v.kind != 'folder'",
            [x for c, r in parts for x in (c, safe_text(r))]).fetchone()
        return {"shadow_it_tools": row[0], "unregistered_tools": row[1], "changed_without_signoff": row[2],
                "artifacts": row[3]}

    def coverage(self, crawl_id: int) -> list[dict[str, Any]]:
        """What each root of a crawl covered, in the order the crawl names its roots."""
        row = self.db.execute("SELECT roots FROM crawls WHERE id = ?", (crawl_id,)).fetchone()
        order = {root: n for n, root in enumerate(json.loads(row[0]) if row else [])}
        rows = [dict(r) for r in self.db.execute(
            "SELECT root, state, reason, baseline, unlisted, unreadable, not_rechecked FROM crawl_roots "
            "WHERE crawl_id = ?", (crawl_id,))]
        # files the crawl listed but could not (fully) analyse, by root and status (coverage.NOT_ANALYSED)
        failed: dict[str, dict[str, int]] = {}
        for root, status, n in self.db.execute(
                "SELECT v.root, v.status, COUNT(*) FROM members m JOIN versions v ON v.id = m.version_id "
                "WHERE m.crawl_id = ? AND m.change NOT IN ('removed', 'not-rechecked') AND v.status IN "
                f"({', '.join('?' * len(NOT_ANALYSED))}) GROUP BY v.root, v.status", (crawl_id, *NOT_ANALYSED)):
            failed.setdefault(root, {})[status] = int(n)
        for r in rows:
            r["not_analysed"] = failed.get(r["root"], {})
        return sorted(rows, key=lambda r: (order.get(r["root"], len(order)), r["root"]))

    def add_unscanned(self, crawl_id: int, part: Unscanned) -> None:
        """Record a part of a root the crawl could not look into (committed with the next commit)."""
        self.db.execute("INSERT INTO unscanned (crawl_id, path, root, relpath, status, reason) VALUES (?,?,?,?,?,?) "
                        "ON CONFLICT (crawl_id, path) DO UPDATE SET status = excluded.status, reason = excluded.reason",
                        (crawl_id, safe_text(part.path), safe_text(part.root), safe_text(part.relpath),
                         part.status.value, part.reason))

    def unscanned(self, crawl_id: int) -> list[Unscanned]:
        """What crawl ``crawl_id`` could not look into, by root and relative path (none for an inventory
        older than the table: it kept them among its artifacts, and a report reads it as it is)."""
        if "unscanned" not in self.db.tables():
            return []
        return [Unscanned(r["path"], r["root"], r["relpath"], Status(r["status"]), r["reason"]) for r in self.db.execute(
            "SELECT path, root, relpath, status, reason FROM unscanned WHERE crawl_id = ? ORDER BY root, relpath, path",
            (crawl_id,))]

    def baseline(self, root: str, crawl_id: int) -> int | None:
        """The last *finished* crawl before ``crawl_id`` that covered ``root`` (killed crawls do not count)."""
        row = self.db.execute(
            "SELECT MAX(c.id) FROM crawls c JOIN crawl_roots r ON r.crawl_id = c.id "
            "WHERE c.id < ? AND c.state = 'finished' AND r.root = ?", (crawl_id, safe_text(root))).fetchone()
        return int(row[0]) if row[0] is not None else None

    def close_root(self, crawl_id: int, root: str, baseline: int | None, state: str, reason: str | None,
                   unlisted_folders: Sequence[str], unreadable: int) -> tuple[int, int]:
        """Record what ``root`` covered in this crawl. Artifacts of the baseline that this crawl could not
        look at (the root unreachable, or under a folder it could not list) are kept as they were last seen,
        marked ``not-rechecked``; the baseline's other artifacts this crawl did not see are ``removed``.
        Returns (not re-checked, removed)."""
        root = safe_text(root)
        carried = removed = 0
        if baseline is not None:
            under = "(v.root = :root OR v.path = :root)"
            unseen = (f"FROM members m JOIN versions v ON v.id = m.version_id WHERE m.crawl_id = :base "
                      f"AND m.change != 'removed' AND {under} AND v.path NOT IN "
                      f"(SELECT v2.path FROM members m2 JOIN versions v2 ON v2.id = m2.version_id "
                      f"WHERE m2.crawl_id = :crawl)")
            args: dict[str, Any] = {"base": baseline, "root": root, "crawl": crawl_id}
            if state == "unreachable":
                carried += self.db.execute(f"INSERT INTO members SELECT :crawl, v.id, 'not-rechecked' "
                                           f"{unseen} ON CONFLICT DO NOTHING", args).rowcount
            for n, folder in enumerate(unlisted_folders):
                args[f"f{n}"] = safe_text(folder).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
                carried += self.db.execute(
                    f"INSERT INTO members SELECT :crawl, v.id, 'not-rechecked' {unseen} "
                    f"AND v.relpath LIKE :f{n} ESCAPE '\\' ON CONFLICT DO NOTHING", args).rowcount
            removed = self.db.execute(f"INSERT INTO members SELECT :crawl, v.id, 'removed' {unseen} "
                                      "ON CONFLICT DO NOTHING", args).rowcount
        self.db.execute("INSERT INTO crawl_roots (crawl_id, root, state, reason, baseline, unlisted,"
                        " unreadable, not_rechecked) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (crawl_id, root) DO UPDATE"
                        " SET state = excluded.state, reason = excluded.reason, baseline = excluded.baseline,"
                        " unlisted = excluded.unlisted, unreadable = excluded.unreadable,"
                        " not_rechecked = excluded.not_rechecked",
                        (crawl_id, root, state, reason, baseline, len(unlisted_folders), unreadable, carried))
        self.db.commit()
        return carried, removed

    def prune(self, keep: int, forget: Sequence[str] = (), wait: float = 0.0,
              waiting: Callable[[str], None] | None = None) -> tuple[list[int], int]:
        """Keep the newest ``keep`` crawls *of each root* (a crawl stays while it is among the newest
        ``keep`` of any of its roots) and delete the others, with the versions no kept crawl holds.
        ``forget`` names roots to drop entirely (a retired or mistyped share): their crawls go, and
        from a crawl that also covered other roots only their part. The registry and its sign-offs
        are kept. Returns (deleted crawl ids, deleted versions).

        Never beside a live crawl of any root (:class:`PruneBusy`): a crawl reuses stored versions
        and analyses (of any earlier crawl, and analyses across roots) that pruning may delete
        between the crawl's look-up and its insert. Prune waits up to ``wait`` seconds for the
        running crawls to end (``waiting`` is told why, once); it decides and deletes under the lock
        a crawl takes to begin (:meth:`begin_crawl`), so no crawl starts until it has committed."""
        deadline = time.monotonic() + wait
        told = False
        while True:
            busy = self._live_crawl()  # a plain read first: refusing takes no lock
            self.commit()
            if busy is None:
                self.db.begin_exclusive()
                busy = self._live_crawl()
                if busy is None:
                    break
                self.db.rollback()
            if time.monotonic() >= deadline:
                raise PruneBusy(f"{busy} is running: prune deletes stored versions and analyses a running "
                                "crawl may be about to reuse, so it runs only when no crawl does; nothing "
                                "removed (prune --wait SECONDS waits for the crawls to end)")
            if waiting and not told:
                waiting(f"{busy} is running: waiting for it to end (up to {wait:.0f} s) before pruning")
                told = True
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        try:
            return self._prune(keep, list(forget))
        finally:
            if self.db.in_transaction:
                self.db.rollback()

    def _live_crawl(self) -> str | None:
        """The first live crawl of the inventory, in words (None when no crawl runs)."""
        running = self.db.execute("SELECT id, roots, pid, host, started, site FROM crawls WHERE state = 'running' "
                                  "ORDER BY id").fetchall()
        alive = self.db.live_crawls(running)
        for row in running:
            if row["id"] in alive:
                where = f"process {row['pid']}" + (f" on {row['host']}" if row["host"] else "") + \
                    (f", site {row['site']}" if row["site"] else "")
                return f"crawl {row['id']} of {', '.join(json.loads(row['roots']))} ({where}, started {row['started']})"
        return None

    def _prune(self, keep: int, forget: list[str]) -> tuple[list[int], int]:
        """:meth:`prune` inside its exclusive transaction (no crawl runs or begins)."""
        by_root: dict[str, list[int]] = {}
        all_ids = []
        for cid, roots in self.crawl_roots():
            all_ids.append(cid)
            for root in roots:
                by_root.setdefault(root, []).append(cid)
        kept = {cid for root, ids in by_root.items() if root not in forget for cid in sorted(ids, reverse=True)[:keep]}
        drop = [i for i in all_ids if i not in kept]
        partial = [i for i in all_ids if i in kept and any(i in by_root.get(r, ()) for r in forget)]
        if not drop and not partial:
            return [], 0
        marks = ",".join("?" * len(drop))
        try:
            if drop:
                self.db.execute(f"DELETE FROM members WHERE crawl_id IN ({marks})", drop)
                self.db.execute(f"DELETE FROM crawl_roots WHERE crawl_id IN ({marks})", drop)
                self.db.execute(f"DELETE FROM unscanned WHERE crawl_id IN ({marks})", drop)
                self.db.execute(f"DELETE FROM pending WHERE crawl_id IN ({marks})", drop)
                self.db.execute(f"DELETE FROM crawls WHERE id IN ({marks})", drop)
            for cid in partial:  # a kept crawl that also covered a forgotten root: drop that root's part
                for root in forget:
                    if cid not in by_root.get(root, ()):
                        continue
                    self.db.execute("DELETE FROM members WHERE crawl_id = ? AND version_id IN "
                                    "(SELECT id FROM versions WHERE root = ?)", (cid, root))
                    self.db.execute("DELETE FROM crawl_roots WHERE crawl_id = ? AND root = ?", (cid, root))
                    self.db.execute("DELETE FROM unscanned WHERE crawl_id = ? AND root = ?", (cid, root))
                roots = [r for r in json.loads(self.db.execute("SELECT roots FROM crawls WHERE id = ?", (cid,))
                                               .fetchone()[0]) if r not in forget]
                self.db.execute("UPDATE crawls SET roots = ? WHERE id = ?", (json.dumps(roots), cid))
            if forget:
                self.db.execute(f"DELETE FROM passed WHERE root IN ({','.join('?' * len(forget))})", forget)
            gone = self.db.execute("DELETE FROM versions WHERE id NOT IN (SELECT version_id FROM members)").rowcount
            self.db.execute("DELETE FROM analyses WHERE id NOT IN "
                            "(SELECT analysis_id FROM versions WHERE analysis_id IS NOT NULL)")
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        self.db.compact()
        return sorted(drop), gone

    # queued analysis (crawl --queue, worker) -------------------------------------------
    def add_pending(self, crawl_id: int, items: Sequence[tuple[str, str, str, str]]) -> None:
        """Files of a queued crawl waiting for a worker: (path, root, candidate JSON, change); committed."""
        self.db.executemany("INSERT INTO pending (crawl_id, path, root, candidate, change) VALUES (?,?,?,?,?) "
                            "ON CONFLICT (crawl_id, path) DO NOTHING",
                            [(crawl_id, safe_text(path), safe_text(root), candidate, change)
                             for path, root, candidate, change in items])
        self.db.commit()

    def pending_count(self, crawl_id: int) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM pending WHERE crawl_id = ?", (crawl_id,)).fetchone()
        self.db.commit()
        return int(row[0])

    def take_pending(self, crawl_id: int, path: str) -> Row | None:
        """A worker takes a file: its try is counted (and committed) before the analysis starts, so
        a file that takes down every worker ends after a bounded number of tries."""
        row: Row | None = self.db.execute("UPDATE pending SET tries = tries + 1 WHERE crawl_id = ? AND path = ? "
                                          "RETURNING root, candidate, change, tries", (crawl_id, path)).fetchone()
        self.db.commit()
        return row

    def finish_pending(self, crawl_id: int, path: str) -> bool:
        """Begin storing a worker's verdict: the file leaves the queue in the same transaction as its
        verdict is added (the caller commits). False when another worker stored it already."""
        return self.db.execute("DELETE FROM pending WHERE crawl_id = ? AND path = ? RETURNING path",
                               (crawl_id, path)).fetchone() is not None

    # artifacts ----------------------------------------------------------------------
    def add(self, crawl_id: int, artifact: Artifact, change: str = "new", engine: str = "",
            commit: bool = True, stored: Stored | None = None, replace: bool = True) -> int:
        """Store one artifact with its findings and verdict, committed at once unless ``commit``
        is false (then with the next committed artifact or :meth:`commit`: for rows that cost
        nothing to redo, such as the reused analysis of an unchanged file). A version equal to
        one already stored for the path (an unchanged re-crawl) is shared, not copied.

        The analysis (status, fingerprint, the analyzer's findings) is stored apart from the
        judgement (verdict, registry state, governance findings): ``stored``, the version the
        artifact's analysis was rebuilt from (:meth:`stored`), gives the analysis row to share, so
        that a re-judged artifact costs neither encoding its analysis nor, judged the same way
        again, a new version. ``replace=False``: the caller knows that the crawl holds no version
        of the path yet (the walk yields each path once), so none is looked for to replace."""
        c, a, v = artifact.candidate, artifact.analysis, artifact.verdict
        path = safe_text(c.path)
        found, judged = split_findings(a.findings)
        try:
            if stored is not None and stored.holds(a, found):
                analysis_id = int(stored.row["analysis_id"])
                facts = stored.row["facts"] if a.facts is stored.analysis.facts else _json(a.facts)
            else:
                analysis_id = self._add_analysis(a, found, engine)
                facts = _json(a.facts)
            values = (path, safe_text(c.root), safe_text(c.relpath), c.kind.value, c.format,
                      c.size, c.mtime, artifact.sha256, a.fingerprint, a.status.value, a.reason, v.classification.value,
                      _json([i.value for i in v.impacts]), v.risk_score,
                      _json([[f.name, f.points] for f in v.factors]), v.action.value,
                      _json(list(v.reasons)), facts, _json(dict(artifact.registry)), engine, analysis_id)
            judgement = [self._finding_row(f) for f in judged]
            unchanged = (stored is not None and judgement == stored.judged_rows
                         and values == _version_values(stored.row))
            if replace:
                self.db.execute("DELETE FROM members WHERE crawl_id = ? AND version_id IN "
                                "(SELECT id FROM versions WHERE path = ?)", (crawl_id, path))
            if unchanged:
                same = (stored.row["id"],) if stored is not None else None
            else:
                digest = _digest([values, judgement])
                same = self.db.execute("SELECT id FROM versions WHERE path = ? AND digest = ? ORDER BY id DESC "
                                       "LIMIT 1", (path, digest)).fetchone()
            if same is not None:
                version_id = int(same[0])
            else:
                version_id = int(self.db.execute(_INSERT_VERSION, (*values, digest)).fetchone()[0])
                self.db.executemany(
                    "INSERT INTO findings (artifact_id, rule, family, title, severity, impact, evidence)"
                    " VALUES (?,?,?,?,?,?,?)", [(version_id, *row) for row in judgement])
            self.db.execute("INSERT INTO members (crawl_id, version_id, change) VALUES (?,?,?)",
                            (crawl_id, version_id, change))
        except BaseException:
            self.db.rollback()
            raise
        if commit:
            self.db.commit()
        return version_id

    def _add_analysis(self, a: Analysis, found: Sequence[Finding], engine: str) -> int:
        """The id of the stored analysis equal to ``a`` (its analyzer findings ``found``), added if new."""
        rows = [self._finding_row(f) for f in found]
        digest = _digest([a.status.value, a.reason, a.fingerprint, engine, rows])
        same = self.db.execute("SELECT id FROM analyses WHERE digest = ? ORDER BY id DESC LIMIT 1",
                               (digest,)).fetchone()
        if same is not None:
            return int(same[0])
        analysis_id = int(self.db.execute(
            "INSERT INTO analyses (status, status_reason, fingerprint, engine, digest) VALUES (?,?,?,?,?) RETURNING id",
            (a.status.value, a.reason, a.fingerprint, engine, digest)).fetchone()[0])
        self.db.executemany("INSERT INTO analysis_findings (analysis_id, rule, family, title, severity, impact, "
                            "evidence) VALUES (?,?,?,?,?,?,?)", [(analysis_id, *row) for row in rows])
        return analysis_id

    @staticmethod
    def _finding_row(f: Finding) -> tuple[Any, ...]:
        return (f.rule, f.family.value, f.title, f.severity.value, f.impact.value if f.impact else None,
                _json([e.to_dict() for e in f.evidence]))

    def passed_in(self, folder: str, engine: str) -> set[tuple[str, int, float]]:
        """Files of ``folder`` (the first half of ``split_path(safe_text(path))``) that ``engine`` read
        before and found to be no artifact: (name, size, mtime) as they were then."""
        return set(self.db.tuples("SELECT name, size, mtime FROM passed WHERE folder = ? AND engine = ?",
                                  (folder, engine)))

    def set_passed(self, path: str, root: str, size: int, mtime: float, engine: str | None) -> None:
        """Record that ``path`` (this size and mtime) is no artifact, or with ``engine`` None that it is
        one now: the next crawl reads it again only when it changed. Committed with the next commit."""
        folder, name = split_path(safe_text(path))
        if engine is None:
            self.db.execute("DELETE FROM passed WHERE folder = ? AND name = ?", (folder, name))
        else:
            self.db.execute("INSERT INTO passed (folder, name, root, size, mtime, engine) VALUES (?,?,?,?,?,?) "
                            "ON CONFLICT (folder, name) DO UPDATE SET root = excluded.root, size = excluded.size, "
                            "mtime = excluded.mtime, engine = excluded.engine",
                            (folder, name, safe_text(root), size, mtime, engine))

    def latest(self, path: str) -> Row | None:
        """The newest stored version of ``path`` from any crawl (an interrupted one too): what a
        re-crawl may reuse when size and mtime are unchanged."""
        return cast("Row | None", self.db.execute("SELECT * FROM versions WHERE path = ? ORDER BY id DESC LIMIT 1",
                                                  (safe_text(path),)).fetchone())

    def latest_and_in(self, path: str, crawl_id: int | None) -> tuple[Row | None, Row | None]:
        """(:meth:`latest`, :meth:`in_crawl`) of ``path``: one query when the newest version is the one
        crawl ``crawl_id`` holds (an unchanged file)."""
        latest = self.db.execute(
            "SELECT v.*, EXISTS (SELECT 1 FROM members m WHERE m.crawl_id = ? AND m.version_id = v.id "
            "AND m.change != 'removed') AS in_crawl FROM versions v WHERE v.path = ? ORDER BY v.id DESC LIMIT 1",
            (crawl_id if crawl_id is not None else -1, safe_text(path))).fetchone()
        if latest is None:
            return None, None
        return latest, latest if latest["in_crawl"] else self.in_crawl(path, crawl_id)

    def in_crawl(self, path: str, crawl_id: int | None) -> Row | None:
        """The row of ``path`` in crawl ``crawl_id`` (None when it is not there)."""
        if crawl_id is None:
            return None
        # CROSS JOIN keeps the path index as the outer loop: left to itself, SQLite walks every member
        # of the crawl for each look-up (a re-crawl of n artifacts then costs n^2)
        return cast("Row | None", self.db.execute(
            f"SELECT v.*, m.crawl_id, m.change FROM versions v {self.db.cross_join} members m ON m.version_id = v.id "
            "AND m.crawl_id = ? WHERE v.path = ? AND m.change != 'removed'", (crawl_id, safe_text(path))).fetchone())

    def analysis_of(self, row: Row) -> Analysis:
        """Rebuild what the analyzer produced for a stored row (its judgement is made again)."""
        return self.stored(row).analysis

    def stored(self, row: Row) -> Stored:
        """A stored version as a re-crawl reuses it: the analysis rebuilt from its own rows (the
        judgement's findings are not among them), and the judgement's finding rows, so that
        :meth:`add` recognises the same judgement."""
        found: list[Finding] = []
        judged: list[tuple[Any, ...]] = []
        for f in self.db.execute(  # one statement: the analyzer's findings, then the judgement's rows
                "SELECT 0 AS part, id, rule, family, title, severity, impact, evidence FROM analysis_findings "
                "WHERE analysis_id = ? UNION ALL SELECT 1, id, rule, family, title, severity, impact, evidence "
                "FROM findings WHERE artifact_id = ? ORDER BY 1, 2", (row["analysis_id"], row["id"])):
            if f[0]:
                judged.append(tuple(f)[2:])
            else:
                found.append(Finding(f[2], Family(f[3]), f[4], Severity(f[5]),
                                     tuple(Evidence(e["location"], e["line"], e["snippet"]) for e in json.loads(f[7])),
                                     Impact(f[6]) if f[6] else None))
        findings = tuple(found)
        analysis = Analysis(Status(row["status"]), row["status_reason"], findings, json.loads(row["facts"]),
                            row["fingerprint"])
        return Stored(row, analysis, judged)

    def removed(self, crawl_id: int, roots: Sequence[str] = ()) -> list[str]:
        """Paths the baseline crawls saw and this crawl did not (recorded when the crawl finished)."""
        return sorted(r[0] for r in self.db.execute(
            "SELECT v.path FROM members m JOIN versions v ON v.id = m.version_id "
            "WHERE m.crawl_id = ? AND m.change = 'removed'", (crawl_id,)))

    def removed_rows(self, crawl_id: int) -> list[Row]:
        return cast("list[Row]", self.db.execute(
            "SELECT v.*, m.crawl_id, m.change FROM members m JOIN versions v ON v.id = m.version_id "
            "WHERE m.crawl_id = ? AND m.change = 'removed' ORDER BY v.relpath, v.path", (crawl_id,)).fetchall())

    def last_checked(self, path: str, crawl_id: int) -> int | None:
        """The last crawl up to ``crawl_id`` that really looked at ``path``."""
        row = self.db.execute(
            "SELECT MAX(m.crawl_id) FROM members m JOIN versions v ON v.id = m.version_id "
            "WHERE v.path = ? AND m.crawl_id <= ? AND m.change IN ('new', 'changed', 'unchanged')",
            (safe_text(path), crawl_id)).fetchone()
        return int(row[0]) if row[0] is not None else None

    def artifacts(self, crawl_id: int) -> Iterator[Row]:
        yield from self.db.execute(
            "SELECT v.*, m.crawl_id, m.change FROM members m JOIN versions v ON v.id = m.version_id "
            "WHERE m.crawl_id = ? AND m.change != 'removed' ORDER BY v.relpath, v.path", (crawl_id,))

    # The report reads an artifact and its findings as one row: ``findings_json`` is a JSON list of
    # [rule, family, title, severity, impact, evidence], the analyzer's then the judgement's, in the order
    # they were stored, built by the database (one parse per artifact in Python, not one query per finding).
    _FINDINGS_JSON = {
        "sqlite": "(SELECT json_group_array(json_array(f.rule, f.family, f.title, f.severity, f.impact, "
                  "json(f.evidence))) FROM ({}) f)",
        "postgresql": "(SELECT COALESCE(json_agg(json_build_array(f.rule, f.family, f.title, f.severity, f.impact, "
                      "f.evidence::json) ORDER BY f.part, f.id), '[]'::json)::text FROM ({}) f)",
    }
    _FINDINGS_OF_VERSION = (
        "SELECT 0 AS part, id, rule, family, title, severity, impact, evidence FROM analysis_findings "
        "WHERE analysis_id = v.analysis_id UNION ALL "
        "SELECT 1, id, rule, family, title, severity, impact, evidence FROM findings WHERE artifact_id = v.id "
        "ORDER BY 1, 2")
    _FINDINGS_OF_VERSION_BEFORE_6 = "SELECT 1 AS part, * FROM findings f WHERE f.artifact_id = v.id ORDER BY f.id"

    @property
    def _report_row(self) -> str:
        source = self._FINDINGS_OF_VERSION if self._analyses_apart else self._FINDINGS_OF_VERSION_BEFORE_6
        return (f"SELECT v.*, m.crawl_id, m.change, {self._FINDINGS_JSON[self.db.dialect].format(source)} "
                "AS findings_json FROM members m JOIN versions v ON v.id = m.version_id ")

    def report_rows(self, crawl_id: int) -> Iterator[Row]:
        """Every artifact a crawl holds, with its findings (``findings_json``), in no particular order (sorting
        rows this wide would make SQLite spill them to a temporary file: the report sorts its own keys)."""
        yield from self.db.execute(self._report_row + "WHERE m.crawl_id = ? AND m.change != 'removed'", (crawl_id,))

    def report_rows_of(self, crawl_id: int, version_ids: Sequence[int]) -> dict[int, Row]:
        """The rows of :meth:`report_rows` for some versions of a crawl, by version id."""
        out: dict[int, Row] = {}
        for start in range(0, len(version_ids), 500):  # under SQLite's limit of bound parameters
            chunk = list(version_ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(self._report_row + f"WHERE m.crawl_id = ? AND m.version_id IN ({marks})",
                                       (crawl_id, *chunk)):
                out[int(row["id"])] = row
        return out

    def last_checked_all(self, crawl_id: int, change: str) -> dict[str, int | None]:
        """:meth:`last_checked` for every artifact of a crawl with ``change`` (``not-rechecked``: up to this
        crawl; ``removed``: up to the one before), in one query."""
        upto = crawl_id if change != "removed" else crawl_id - 1
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT v.path, (SELECT MAX(m2.crawl_id) FROM versions v2 JOIN members m2 ON m2.version_id = v2.id "
            "WHERE v2.path = v.path AND m2.crawl_id <= ? AND m2.change IN ('new', 'changed', 'unchanged')) "
            "FROM members m JOIN versions v ON v.id = m.version_id WHERE m.crawl_id = ? AND m.change = ?",
            (upto, crawl_id, change))}

    @functools.cached_property
    def _analyses_apart(self) -> bool:
        """Whether analyses are stored apart from their judgement (schema 6; an older inventory a report
        reads as it is holds every finding in ``findings``)."""
        return "analysis_findings" in self.db.tables()

    def findings(self, artifact_id: int) -> list[Row]:
        """Every finding of a version, as reports show them: the analyzer's, then the judgement's."""
        if not self._analyses_apart:
            return cast("list[Row]", self.db.execute("SELECT * FROM findings WHERE artifact_id = ? ORDER BY id",
                                                     (artifact_id,)).fetchall())
        return cast("list[Row]", self.db.execute(
            "SELECT rule, family, title, severity, impact, evidence FROM (SELECT 0 AS part, f.id, f.rule, f.family, "
            "f.title, f.severity, f.impact, f.evidence FROM analysis_findings f "
            "JOIN versions v ON v.analysis_id = f.analysis_id WHERE v.id = ? UNION ALL "
            "SELECT 1, id, rule, family, title, severity, impact, evidence FROM findings WHERE artifact_id = ?) f "
            "ORDER BY part, id", (artifact_id, artifact_id)).fetchall())


def split_findings(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(the analyzer's findings, the judgement's): the judgement (governance.py: registry, sign-off,
    reviews) makes every finding of the governance family, and no analyzer makes one."""
    found = [f for f in findings if f.family is not Family.GOVERNANCE]
    return found, [f for f in findings if f.family is Family.GOVERNANCE]


def _digest(value: Any) -> str:
    return hashlib.sha256(_json(value).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Stored:
    """A stored version, read back for reuse (:meth:`Store.stored`)."""

    row: Row
    analysis: Analysis  # what the analyzer produced (its stored analysis, with the version's facts)
    judged_rows: list[tuple[Any, ...]]  # the judgement's finding rows as stored, in order

    def holds(self, analysis: Analysis, found: Sequence[Finding]) -> bool:
        """Whether ``analysis`` (judged, its analyzer findings ``found``) is this stored analysis: the
        very findings rebuilt from it, the same status and fingerprint (the judgement adds only facts)."""
        mine = self.analysis
        return (analysis.status is mine.status and analysis.reason == mine.reason
                and analysis.fingerprint == mine.fingerprint and len(found) == len(mine.findings)
                and all(f is g for f, g in zip(found, mine.findings)))


def _wal(db: Database, patience: float = 30.0) -> None:
    """Switch an SQLite inventory to WAL. The switch needs the file to itself, and SQLite does not wait
    for that (busy timeout) when another process writes, e.g. one migrating an old inventory as this
    one opens it: so retried for up to ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class CrawlBusy(StoreError):
    """Another live crawl covers the same roots."""


class PruneBusy(StoreError):
    """A crawl is running: prune would delete what it may be about to reuse."""


class ReadOnly(StoreError):
    """The inventory exists but this account may not write it (a command that writes refuses before it starts)."""

    @classmethod
    def of(cls, name: str, why: str, path: str | None = None) -> ReadOnly:
        if path is not None or not is_url(name):
            why = _read_only_why(path or name, why)
        return cls(f"the inventory {name} is read-only for this user: {why} "
                   "(reports can still read it; pass another --db to write)")


class LeaseLost(StoreError):
    """A running crawl no longer holds its lease (another crawler may take its roots): it stops."""
