"""SMB shares without a mount, through smbprotocol's ``smbclient`` (Linux and macOS).

``//server/share/sub`` and ``\\\\server\\share\\sub`` name the same folder. Candidates get
paths in the first form and the same relpaths a local crawl of the same tree gives.

* Listing is latency-bound, so several folders are listed at once, each by a thread with
  a connection of its own, and each small folder costs one round trip: CREATE, two
  QUERY_DIRECTORY and CLOSE go out as one compound request, and the entries are parsed
  with ``struct`` (size and mtime come with the listing; nothing is stat'ed). A folder is
  entered once per file id, so a link back up the tree is walked once, as locally.
* Files are opened for reading data only, with FILE_OPEN (never created) and full share
  access, so nobody else is ever blocked; drivers that need a file get a private copy.
* Credentials: ``--username`` with a password (NTLM, or Kerberos through SPNEGO); without
  a user, the Kerberos ticket of the machine's login when there is one, else a guest
  session (signing and secure-negotiate relaxed for it: a guest has no signing key).
* Connections belong to one process: a forked analysis worker opens its own and never
  touches the socket it inherited. A dropped connection is re-opened once per operation.
"""
from __future__ import annotations

import atexit
import contextlib
import errno
import os
import stat
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar

from ..kinds import excluded, kind_of
from ..model import Candidate
from ..readfile import TooLarge
from .base import Entry, Listing, Problem, SourceOptions, flatten, private_copy

LISTERS = 4             # folders listed at once (threads, each with its own connection)
QUERY_BYTES = 65536     # one QUERY_DIRECTORY response: one credit, ~500 entries
CHUNK = 1 << 20
CONNECT_TIMEOUT = 30
LOGON_TIMEOUT = 2 * CONNECT_TIMEOUT  # connecting, then the session setup smbprotocol waits on without a timeout
_EPOCH = 116444736000000000  # 1970-01-01 in FILETIME (100 ns since 1601)
_DIRECTORY = 0x10
_ENTRY = struct.Struct("<I4xQQQQQQIII4xQ")  # FILE_ID_FULL_DIR_INFORMATION up to the name (80 bytes)
_BODY = struct.Struct("<2xHI")               # QUERY_DIRECTORY response: buffer offset and length

T = TypeVar("T")


class SmbPath(NamedTuple):
    server: str
    share: str
    parts: tuple[str, ...]  # below the share

    @property
    def unc(self) -> str:
        return "\\\\" + "\\".join((self.server, self.share, *self.parts))

    @property
    def display(self) -> str:
        return "//" + "/".join((self.server, self.share, *self.parts))


def parse(path: str) -> SmbPath:
    """``//server/share/a/b`` or ``\\\\server\\share\\a\\b`` (mixed separators allowed)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p and p != "."]
    if len(parts) < 2:
        raise ValueError(f"{path!r} names no share: use //server/share[/folder]")
    if ".." in parts:
        raise ValueError(f"{path!r}: '..' is not allowed in an SMB path")
    return SmbPath(parts[0].lower(), parts[1], tuple(parts[2:]))  # host names are case-insensitive


def server_of(path: str) -> str:
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    return parts[0].lower() if parts else ""


# errors -------------------------------------------------------------------------------------
def _status_names() -> dict[int, str]:
    from smbprotocol.header import NtStatus

    return {v: k for k, v in vars(NtStatus).items() if k.startswith("STATUS_") and isinstance(v, int)}


_ERRNO = {
    "STATUS_ACCESS_DENIED": errno.EACCES, "STATUS_PRIVILEGE_NOT_HELD": errno.EACCES,
    "STATUS_LOGON_FAILURE": errno.EACCES, "STATUS_ACCOUNT_DISABLED": errno.EACCES,
    "STATUS_OBJECT_NAME_NOT_FOUND": errno.ENOENT, "STATUS_OBJECT_PATH_NOT_FOUND": errno.ENOENT,
    "STATUS_NO_SUCH_FILE": errno.ENOENT, "STATUS_NOT_FOUND": errno.ENOENT, "STATUS_DELETE_PENDING": errno.ENOENT,
    "STATUS_FILE_DELETED": errno.ENOENT, "STATUS_BAD_NETWORK_NAME": errno.ENOENT,
    "STATUS_SHARING_VIOLATION": errno.EBUSY, "STATUS_FILE_LOCK_CONFLICT": errno.EBUSY,
    "STATUS_LOCK_NOT_GRANTED": errno.EBUSY,
    "STATUS_FILE_IS_A_DIRECTORY": errno.EISDIR, "STATUS_NOT_A_DIRECTORY": errno.ENOTDIR,
}
_WORDS = {
    "STATUS_BAD_NETWORK_NAME": "no such share",
    "STATUS_NOT_FOUND": "no such share or path",  # what a DFS-capable server answers for an unknown share
    "STATUS_SHARING_VIOLATION": "in use by another program",
    "STATUS_FILE_LOCK_CONFLICT": "locked by another program",
    "STATUS_LOCK_NOT_GRANTED": "locked by another program",
    "STATUS_DELETE_PENDING": "being deleted",
}


def os_error(exc: BaseException, path: str) -> OSError:
    """An OSError whose class and strerror say what happened (PermissionError, FileNotFoundError, ...)."""
    from smbprotocol.exceptions import SMBAuthenticationError, SMBOSError, SMBResponseException

    status = getattr(exc, "ntstatus", None) if isinstance(exc, SMBOSError) else (
        getattr(exc, "status", None) if isinstance(exc, SMBResponseException) else None)
    if status is not None:
        name = _status_names().get(status, f"NTSTATUS 0x{status:08X}")
        code = _ERRNO.get(name, errno.EIO)
        words = _WORDS.get(name) or os.strerror(code)
        return OSError(code, f"{words} ({name})", path)
    if isinstance(exc, SMBAuthenticationError):
        return OSError(errno.EACCES, f"logon failed: {exc}", path)
    if isinstance(exc, OSError):
        return exc
    return OSError(errno.EIO, f"{type(exc).__name__}: {exc}", path)


def _dropped(exc: BaseException) -> bool:
    """A connection that is gone (socket closed, server restarted, session expired): worth one reconnect."""
    from smbprotocol.exceptions import SMBConnectionClosed, SMBOSError, SMBResponseException

    if isinstance(exc, (SMBConnectionClosed, ConnectionError, BrokenPipeError, EOFError)):
        return True
    if isinstance(exc, (SMBOSError, SMBResponseException)):
        status = getattr(exc, "ntstatus", None) or getattr(exc, "status", None)
        return _status_names().get(status or 0) in ("STATUS_USER_SESSION_DELETED", "STATUS_NETWORK_SESSION_EXPIRED",
                                                   "STATUS_NETWORK_NAME_DELETED")
    return False


def _parse_entries(buf: bytes) -> Iterator[tuple[str, int, int, float, int]]:
    """(name, attributes, size, mtime, file id) per FILE_ID_FULL_DIR_INFORMATION entry."""
    offset = 0
    while True:
        nxt, _, _, mtime, _, size, _, attrs, name_len, _, file_id = _ENTRY.unpack_from(buf, offset)
        name = buf[offset + 80:offset + 80 + name_len].decode("utf-16-le", "surrogatepass")
        if name not in (".", ".."):
            yield name, attrs, size, (mtime - _EPOCH) / 1e7, file_id
        if not nxt:
            return
        offset += nxt


# the source ---------------------------------------------------------------------------------
class SmbSource:
    """One SMB server with one set of credentials; connections are pooled per process."""

    def __init__(self, server: str, options: SourceOptions | None = None) -> None:
        self.server = server
        self.options = options or SourceOptions()
        self._lock = threading.Lock()
        self._pid = -1
        self._idle: list[dict[str, Any]] = []
        self._open: list[dict[str, Any]] = []
        self._mode: str | None = None  # "user", "kerberos" or "guest" once the first logon said which
        atexit.register(self.close)

    def __repr__(self) -> str:
        return f"SmbSource({self.server!r}, {self.options!r})"

    # sessions ---------------------------------------------------------------------------------
    def _fork_check(self) -> None:
        """A forked worker starts with no connections: the inherited sockets stay the parent's."""
        if self._pid != os.getpid():
            self._lock = threading.Lock()
            self._pid, self._idle, self._open = os.getpid(), [], []

    def _kwargs(self, cache: dict[str, Any]) -> dict[str, Any]:
        o = self.options
        kwargs: dict[str, Any] = {"connection_cache": cache, "port": o.port, "connection_timeout": CONNECT_TIMEOUT}
        if o.username:
            kwargs.update(username=f"{o.domain}\\{o.username}" if o.domain else o.username, password=o.password)
        elif self._mode == "guest":
            kwargs.update(username="Guest", password="", require_signing=False)
        return kwargs

    def _logon(self) -> dict[str, Any]:
        """A new connection and session (its smbclient keyword arguments)."""
        import smbclient
        from smbprotocol.exceptions import SMBAuthenticationError

        cache: dict[str, Any] = {}
        if self.options.username or self._mode == "guest":
            kwargs = self._kwargs(cache)
            _within(LOGON_TIMEOUT, lambda: smbclient.register_session(self.server, **kwargs), cache)
            self._mode = self._mode or "user"
            return kwargs
        try:  # no user: the login's Kerberos ticket, if there is one
            _within(LOGON_TIMEOUT, lambda: smbclient.register_session(
                self.server, port=self.options.port, connection_cache=cache, connection_timeout=CONNECT_TIMEOUT), cache)
            self._mode = "kerberos"
            return self._kwargs(cache)
        except SMBAuthenticationError:
            if self._mode == "kerberos":
                raise
            _disconnect(cache, close=False)
        self._mode = "guest"
        try:
            return self._logon()
        except Exception as exc:
            if isinstance(exc, ValueError) or _dropped(exc):
                raise
            raise OSError(errno.EACCES, "logon failed: no Kerberos ticket and no guest access "
                                        f"({os_error(exc, '').strerror}); pass --username") from exc

    @staticmethod
    def _credits(kwargs: dict[str, Any]) -> dict[str, Any]:
        """Make sure a compound listing (four requests) has the credits it needs: some servers grant one at a time."""
        for connection in kwargs["connection_cache"].values():
            window = connection.sequence_window
            if window["high"] - window["low"] < 8:  # Windows wants the echo on an authenticated session
                connection.echo(sid=next(iter(connection.session_table), 0), timeout=CONNECT_TIMEOUT,
                                credit_request=32)
        return kwargs

    @contextmanager
    def _session(self) -> Iterator[dict[str, Any]]:
        """smbclient keyword arguments for a pooled connection; a dropped one is not returned to the pool."""
        self._fork_check()
        with self._lock:
            kwargs = self._idle.pop() if self._idle else None
        if kwargs is None:
            kwargs = self._credits(self._logon())
            with self._lock:
                self._open.append(kwargs)
        try:
            yield kwargs
        except BaseException as exc:
            if _dropped(exc):
                self._forget(kwargs)
                raise
            with self._lock:
                self._idle.append(kwargs)
            raise
        else:
            with self._lock:
                self._idle.append(kwargs)

    def _forget(self, kwargs: dict[str, Any]) -> None:
        with self._lock:
            if kwargs in self._open:
                self._open.remove(kwargs)
        _disconnect(kwargs["connection_cache"], close=False)

    def _tree_ready(self, kwargs: dict[str, Any], share: str) -> None:
        """Guests connect to shares without the secure-negotiate check (it needs a signing key)."""
        if self._mode != "guest":
            return
        import smbclient
        from smbprotocol.tree import TreeConnect

        session = smbclient.register_session(self.server, **kwargs)
        name = rf"\\{self.server}\{share}"
        if not any(t.share_name == name for t in session.tree_connect_table.values()):
            TreeConnect(session, name).connect(require_secure_negotiate=False)

    def _call(self, path: SmbPath, what: Callable[[dict[str, Any]], T]) -> T:
        """Run ``what(kwargs)``; reconnect once when the connection dropped; SMB errors become OSError."""
        for attempt in (1, 2):
            try:
                with self._session() as kwargs:
                    self._tree_ready(kwargs, path.share)
                    return what(kwargs)
            except (TooLarge, KeyboardInterrupt):
                raise
            except Exception as exc:
                if _dropped(exc) and attempt == 1:
                    continue
                if isinstance(exc, ValueError) and "Failed to connect" in str(exc):
                    raise OSError(errno.ECONNREFUSED, f"cannot connect to {self.server}:{self.options.port}: "
                                  f"{str(exc).rsplit(': ', 1)[-1]}", path.display) from exc
                if _dropped(exc):
                    raise OSError(errno.ECONNRESET, f"connection to {self.server} lost: {exc}",
                                  path.display) from exc
                raise os_error(exc, path.display) from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Log off every connection this process opened (never a forked parent's)."""
        if self._pid != os.getpid():
            return
        with self._lock:
            opened, self._open, self._idle = self._open, [], []
        for kwargs in opened:
            _disconnect(kwargs["connection_cache"], close=True)

    # listing ----------------------------------------------------------------------------------
    def _list(self, folder: SmbPath) -> list[tuple[str, int, int, float, int]]:
        """Every entry of one folder; one round trip for up to ~1,000 entries."""
        return self._call(folder, lambda kwargs: _list_folder(folder.unc, kwargs))

    def walk(self, root: str, excludes: Sequence[str]) -> Iterator[Candidate | Problem]:
        return flatten(self.listings(root, excludes))

    def listings(self, root: str, excludes: Sequence[str]) -> Iterator[Listing | Problem]:
        """Per folder its candidate files (a :class:`Listing`, size and mtime from the listing itself)."""

        try:
            top = parse(root)
            st = self._call(top, lambda kwargs: _stat(top.unc, kwargs))
        except (OSError, ValueError) as exc:
            yield Problem(root, root, "", f"cannot open the crawl root: {getattr(exc, 'strerror', None) or exc}",
                          folder=True)
            return
        if not stat.S_ISDIR(st.st_mode):
            found = kind_of(top.parts[-1]) if top.parts else None
            if found:
                parent, name = top.display.rsplit("/", 1)
                yield Listing(parent + "/", parent, "", [(name, found[0], found[1], st.st_size,
                                                          (st.st_mtime_ns // 100) / 1e7, None)])
            return
        seen = {st.st_ino} if st.st_ino else set()
        todo: list[tuple[SmbPath, str]] = [(top, "")]
        running: dict[Future[Any], tuple[SmbPath, str]] = {}
        pool = ThreadPoolExecutor(LISTERS, thread_name_prefix="smb-list")
        try:
            while todo or running:
                while todo and len(running) < LISTERS:
                    folder, rel = todo.pop()
                    running[pool.submit(self._list, folder)] = (folder, rel)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f][1]):
                    folder, rel = running.pop(future)
                    try:
                        entries = future.result()
                    except OSError as exc:
                        yield Problem(folder.display, root, rel, f"cannot list folder: {exc.strerror or exc}",
                                      folder=True)
                        continue
                    dirs: list[tuple[SmbPath, str]] = []
                    files: list[Entry] = []
                    rel_prefix = rel + "/" if rel else ""
                    for name, attrs, size, mtime, file_id in sorted(entries):
                        if attrs & _DIRECTORY:
                            relpath = rel_prefix + name
                            if excludes and excluded(relpath, name, excludes):
                                continue
                            if file_id and file_id in seen:  # a link back up the tree is walked once
                                continue
                            seen.add(file_id)
                            dirs.append((SmbPath(folder.server, folder.share, (*folder.parts, name)), relpath))
                            continue
                        found = kind_of(name)
                        if found is None or (excludes and excluded(rel_prefix + name, name, excludes)):
                            continue
                        files.append((name, found[0], found[1], size, mtime, None))
                    if files:
                        yield Listing(folder.display + "/", root, rel_prefix, files)
                    todo.extend(reversed(dirs))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # reading ----------------------------------------------------------------------------------
    def _chunks(self, path: str, cap: int) -> Iterator[bytes]:
        """The file in chunks; :class:`TooLarge` past ``cap``. A dropped connection resumes where it was, once."""
        target = parse(path)
        offset, retried = 0, False
        while True:
            try:
                with self._session() as kwargs:
                    self._tree_ready(kwargs, target.share)
                    with _open_for_reading(target.unc, kwargs) as raw:
                        if raw.fd.end_of_file > cap:
                            raise TooLarge(f"file is larger than the {cap:,}-byte cap")
                        raw.seek(offset)
                        while True:
                            chunk = raw.read(CHUNK)
                            if not chunk:
                                return
                            offset += len(chunk)
                            if offset > cap:
                                raise TooLarge(f"file is larger than the {cap:,}-byte cap")
                            yield chunk
            except (TooLarge, GeneratorExit, KeyboardInterrupt):
                raise
            except Exception as exc:
                if _dropped(exc) and not retried:
                    retried = True
                    continue
                if _dropped(exc):
                    raise OSError(errno.ECONNRESET, f"connection to {self.server} lost: {exc}", path) from exc
                raise os_error(exc, path) from exc

    def read_bytes(self, path: str, cap: int) -> bytes:
        return b"".join(self._chunks(path, cap))

    @contextmanager
    def local_file(self, path: str, cap: int) -> Iterator[str]:
        """A private copy for drivers that need a file (ODBC), removed afterwards."""
        with private_copy(parse(path).parts[-1] if parse(path).parts else "file", self._chunks(path, cap)) as copy:
            yield copy

    def exists(self, path: str) -> bool:
        try:
            target = parse(path)
            self._call(target, lambda kwargs: _stat(target.unc, kwargs))
        except (OSError, ValueError):
            return False
        return True


# smbclient calls ------------------------------------------------------------------------------
def _list_folder(unc: str, kwargs: dict[str, Any]) -> list[tuple[str, int, int, float, int]]:
    from smbclient._io import SMBDirectoryIO, SMBFileTransaction
    from smbprotocol.exceptions import NoMoreFiles, NoSuchFile
    from smbprotocol.file_info import FileInformationClass
    from smbprotocol.open import QueryDirectoryFlags

    info = FileInformationClass.FILE_ID_FULL_DIRECTORY_INFORMATION
    raw = SMBDirectoryIO(unc, mode="r", share_access="rwd", **kwargs)
    connection = raw.fd.connection

    def receive(request: Any) -> bytes | None:
        try:
            response = connection.receive(request)
        except (NoMoreFiles, NoSuchFile):
            return None
        body = response["data"].get_value()
        offset, length = _BODY.unpack_from(body)
        return bytes(body[offset - 64:offset - 64 + length])  # the offset counts from the 64-byte SMB2 header

    def query(flags: int) -> tuple[Any, Callable[[Any], bytes | None]]:
        return raw.fd.query_directory("*", info, flags=flags, max_output=QUERY_BYTES, send=False)[0], receive

    # CREATE + QUERY + QUERY + CLOSE in one compound: a folder that fits in one response is done
    transaction = SMBFileTransaction(raw)
    transaction += query(QueryDirectoryFlags.SMB2_RESTART_SCANS)
    transaction += query(0)
    transaction.commit()
    first, second = transaction.results
    if second is None:
        return list(_parse_entries(first)) if first else []
    entries: list[tuple[str, int, int, float, int]] = []  # a big folder: list it again, query by query
    raw.open()
    try:
        flags = QueryDirectoryFlags.SMB2_RESTART_SCANS
        while True:
            request = connection.send(query(flags)[0], raw.fd.tree_connect.session.session_id,
                                      raw.fd.tree_connect.tree_connect_id)
            buf = receive(request)
            if buf is None:
                return entries
            entries.extend(_parse_entries(buf))
            flags = 0
    finally:
        raw.close()


def _stat(unc: str, kwargs: dict[str, Any]) -> Any:
    import smbclient

    return smbclient.stat(unc, **kwargs)


def _open_for_reading(unc: str, kwargs: dict[str, Any]) -> Any:
    """Read data only, FILE_OPEN (never creates), others may read, write and delete meanwhile."""
    from smbclient._io import SMBFileIO
    from smbprotocol.open import FilePipePrinterAccessMask as Access

    raw = SMBFileIO(unc, mode="rb", share_access="rwd",
                    desired_access=Access.FILE_READ_DATA | Access.FILE_READ_ATTRIBUTES, **kwargs)
    raw.open()
    return raw


def _within(seconds: float, call: Callable[[], T], cache: dict[str, Any]) -> T:
    """Run a logon, which smbprotocol may wait on without a timeout (a session setup whose answer never
    comes after the server dropped the connection: seen once under load), for ``seconds`` at most; then
    close the connection, which ends the wait, and raise a dropped-connection error (one reconnect)."""
    done: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(call())
        except BaseException as exc:  # handed to the caller's thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="smb-logon", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        _disconnect(cache, close=True)
        raise ConnectionResetError(errno.ETIMEDOUT, f"no answer to the logon within {seconds:.0f} s")
    if failed:
        raise failed[0]
    return done[0]


def _disconnect(cache: dict[str, Any], close: bool) -> None:
    for connection in list(cache.values()):
        with contextlib.suppress(Exception):  # already gone: nothing to log off
            connection.disconnect(close=close, timeout=5)
    cache.clear()


__all__ = ["SmbSource", "SmbPath", "parse", "server_of", "os_error"]
