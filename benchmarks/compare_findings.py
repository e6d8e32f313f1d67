#!/usr/bin/env python3
"""Before/after check for changes meant to be speed only: analyse every candidate file under
the given folders with the code of two commits and compare the analyses byte for byte.

Each file is analysed as a crawl's worker does (``shadowscan.analysis.analyze_file``: read,
hash, analyser, redaction); what is compared is the status, reason, and every finding with
its evidence (location, line, snippet), in order. A second part runs ``scan_text`` directly
over the generated large files of :mod:`big_scripts` and every script's text in each
language, where evidence caps are reached.

    python benchmarks/compare_findings.py --reference main samples ../shared/corpus /tmp/holdout*
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import REPO, env

_DUMP = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
from shadowscan.analysis import analyze_file
from shadowscan.kinds import kind_of
from shadowscan.model import Candidate, Limits
from shadowscan.rules.engine import scan_text
out = {}
for root in sys.argv[3:]:
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            found = kind_of(name)
            if found is None or not os.path.isfile(path) or os.path.islink(path):
                continue
            kind, fmt = found
            st = os.stat(path)
            cand = Candidate(path=path, root=root, relpath=os.path.relpath(path, root), kind=kind, format=fmt,
                             size=st.st_size, mtime=st.st_mtime)
            _, a = analyze_file(cand, Limits(max_file_size=400 * 1024 * 1024, timeout=600))
            out[path] = [str(a.status), a.reason, [[f.rule, f.title, str(f.severity), str(f.impact),
                         [[e.location, e.line, e.snippet] for e in f.evidence]] for f in a.findings]]
            if kind.value == "script":  # the same text through every language's rules
                with open(path, "rb") as handle:
                    text = handle.read().decode("utf-8", "replace")
                for language in ("vba", "python", "powershell", "sql", "batch", "r", "text"):
                    out[f"{path} as {language}"] = [[f.rule, f.title, [[e.line, e.snippet] for e in f.evidence]]
                                                    for f in scan_text(text, language, "x")]
json.dump(out, open(sys.argv[2], "w"), ensure_ascii=False, indent=0, sort_keys=True)
print(len(out))
"""


def dump(code: Path, roots: list[str], into: Path) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", _DUMP, str(code), str(into), *roots], env=env(),
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    result: dict[str, object] = json.loads(into.read_text(encoding="utf-8"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="main", help="the commit to compare with")
    parser.add_argument("--generated-mb", type=float, default=1.0, help="size of the generated dump and scripts")
    parser.add_argument("roots", nargs="*", default=[str(REPO / "samples")])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sys.path.insert(0, str(Path(__file__).parent))
        from big_scripts import write_script_log, write_sql_dump
        generated = folder / "generated"
        generated.mkdir()
        if args.generated_mb:
            write_sql_dump(generated / "dump.sql", args.generated_mb)
            write_script_log(generated / "log.ps1", args.generated_mb, "powershell")
            write_script_log(generated / "log.py", args.generated_mb, "python")
        reference = folder / "reference"
        reference.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.reference, "shadowscan"],
                                 capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(reference)], input=archive.stdout, check=True)
        roots = [*args.roots, str(generated)]
        before = dump(reference, roots, folder / "before.json")
        after = dump(REPO, roots, folder / "after.json")
        differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        evidence = sum(len(e) for v in after.values() if isinstance(v, list) and len(v) == 3 and isinstance(v[2], list)
                       for f in v[2] if isinstance(f, list) and len(f) == 5 for e in [f[4]])
        print(f"{len(after)} analyses compared ({evidence} pieces of evidence in the files' analyses), "
              f"{args.reference} vs this code: {len(differ)} differ")
        for key in differ[:20]:
            print(f"DIFFERS: {key}\n  before: {json.dumps(before.get(key), ensure_ascii=False)[:1500]}\n"
                  f"  after:  {json.dumps(after.get(key), ensure_ascii=False)[:1500]}")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
