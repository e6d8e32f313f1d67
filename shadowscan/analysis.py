"""Analysing one file, as a worker process does: read it read-only through its source, hash it,
hand it to its kind's analyzer, redact what comes out. And the engine id: which code such an
analysis depends on, so that a stored analysis is reused only by the very same analysis code.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from . import __version__
from .analyzers import analyzer_for
from .model import Analysis, Candidate, Limits, Status
from .readfile import TooLarge, sha256_file, take_atime_failures
from .redact import redact_analysis
from .sources import SourceOptions, source_for

# What an analysis depends on, relative to the package: the analyzers, the rules and their data,
# the data types, reading (the sources read the bytes: local, private copies, SMB), decoding,
# redaction, fingerprints and this module. The crawl, the
# store, the registry, the judgement and the reports are not among them: they run again on every
# crawl (a stored analysis is judged again), so a change there must not make a crawl re-read
# every file.
ANALYSIS_CODE = ("__init__.py", "analysis.py", "analyzers", "fingerprint.py", "kinds.py", "model.py", "readfile.py",
                 "redact.py", "rules", "sources", "textio.py")


def engine_id(package: Path) -> str:
    """The version plus a digest of the code and rule data that analyse (:data:`ANALYSIS_CODE`, every
    ``.py`` and ``.json`` in it): a stored analysis or a "no artifact" note is reused only by the very
    same engine, so new rules or a fixed analyzer read every file again, even when the version
    number did not move; a change to a report or to the store does not."""
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".json") and "__pycache__" not in p.parts
                       and p.relative_to(package).parts[0] in ANALYSIS_CODE):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"shadowscan {__version__}+{digest.hexdigest()[:12]}"


ENGINE = engine_id(Path(__file__).resolve().parent)  # a stored analysis is reused only by the same engine
ATIME_NOT_KEPT = ("changed by reading: the scanning account is not the file's owner, so it can neither read "
                  "without updating the access time (O_NOATIME) nor put it back")


def analyze_file(candidate: Candidate, limits: Limits,
                 options: SourceOptions | None = None) -> tuple[str | None, Analysis]:
    """Hash and analyse one file (runs inside a worker process); whatever the analyzer
    produced leaves the worker redacted (reason, facts, evidence)."""
    take_atime_failures()  # whatever this process noted before (a forked worker inherits the parent's)
    sha256, analysis = _analyze_file(candidate, limits, options)
    if take_atime_failures() and analysis.is_artifact:
        analysis = replace(analysis, facts={**analysis.facts, "access_time": ATIME_NOT_KEPT})
    return sha256, redact_analysis(analysis)


# An empty file (0 bytes, or nothing but whitespace and a byte-order mark) is no tool of any kind:
# not an artifact, remembered like the other files that are none. A file of nothing but NUL bytes
# is not empty: its content was lost (a failed copy or sync leaves one at its old size), so it is
# a damaged tool and stays in the inventory as corrupt.
EMPTY = "an empty file (0 bytes, or only whitespace): no tool"
NUL_ONLY = ("only NUL bytes: the content was lost (a failed copy or sync leaves such a file at its old size); "
            "restore it from a backup")
_BLANK = b" \t\r\n\x0b\x0c"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16 = ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))  # text whose every ASCII letter has a NUL


def _utf16(data: bytes) -> str | None:
    """The text of UTF-16 with its byte-order mark, else None."""
    for bom, codec in _UTF16:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="ignore")
    return None


def is_blank(data: bytes) -> bool:
    """Nothing but whitespace and a byte-order mark (or nothing at all)."""
    text = _utf16(data)
    if text is not None:
        return not text.strip()
    return not data.strip(_BLANK).removeprefix(_UTF8_BOM).strip(_BLANK)


def _lost(data: bytes) -> bool:
    """Nothing but NUL bytes (and whitespace, a byte-order mark), at least one NUL."""
    text = _utf16(data)
    if text is not None:
        return "\x00" in text and not text.strip("\x00 \t\r\n\x0b\x0c")
    data = data.removeprefix(_UTF8_BOM)
    return b"\x00" in data and not data.strip(_BLANK + b"\x00")


def _content_of(path: str) -> str:
    """"blank", "lost" (:func:`_lost`) or "content" for a (private, local) file, read until its first
    byte of content."""
    with open(path, "rb") as f:
        first, nul = True, False
        while chunk := f.read(1 << 20):
            if first and is_blank(chunk):
                first = False
                continue
            if not _lost(chunk) and chunk.strip(_BLANK):
                return "content"
            nul, first = nul or b"\x00" in chunk, False
    return "lost" if nul else "blank"


def _empty_or_lost(sha256: str, state: str) -> tuple[str, Analysis] | None:
    if state == "blank":
        return sha256, Analysis.not_an_artifact(EMPTY)
    if state == "lost":
        return sha256, Analysis.failed(Status.CORRUPT, NUL_ONLY)
    return None


def _analyze_file(candidate: Candidate, limits: Limits,
                  options: SourceOptions | None = None) -> tuple[str | None, Analysis]:
    analyzer = analyzer_for(candidate.kind)
    source = source_for(candidate.path, options)
    try:
        if not analyzer.needs_file:  # analysed in memory
            data = source.read_bytes(candidate.path, limits.max_file_size)
            digest = hashlib.sha256(data).hexdigest()
            empty = _empty_or_lost(digest, "blank" if is_blank(data) else "lost" if _lost(data) else "content")
            return empty or (digest, analyzer(candidate.path, candidate.format, limits, data=data))
        with source.local_file(candidate.path, limits.max_file_size) as local:
            digest = sha256_file(local)
            empty = _empty_or_lost(digest, _content_of(local))
            return empty or (digest, analyzer(local, candidate.format, limits))  # the private copy is local
    except TooLarge as exc:
        return None, Analysis.failed(Status.TOO_LARGE, f"{exc}; raise --max-size to analyse it")
    except FileNotFoundError:
        return None, Analysis.failed(Status.UNREADABLE, "the file vanished during the crawl (deleted or moved)")
    except PermissionError as exc:
        why = exc.strerror or str(exc)  # "Permission denied" said once, another reason (EPERM) kept
        said = "permission denied" if why.lower() == "permission denied" else f"permission denied ({why})"
        return None, Analysis.failed(Status.UNREADABLE, f"{said}; grant the scanning account read access")
    except OSError as exc:
        return None, Analysis.failed(Status.UNREADABLE, f"cannot read the file: {exc.strerror or exc} "
                                                        "(locked, offline or damaged storage)")
