"""The document's statement facts and word-run fingerprint, as test fixtures.

The repository does not carry the document's text. What the tests need of it
is kept in two small files under ``tests/data/``, written by this script from
a copy of the document's numbered statements (a JSON file with a
``statements`` list of ``{id, section, role, references, text}``):

- ``statements.json``: each statement's id, section, role and reference
  numbers (facts about the document, none of its sentences);
- ``document-fingerprint.json``: a truncated SHA-256 of every run of
  :data:`RUN` consecutive words of every statement, lower-cased. The "own
  words" tests hash the runs of lmtx's own prose and look them up here, so
  they can tell a copied run without the document's words being stored.

Usage, from the repository root::

    python -m tests.fingerprint PATH/TO/statements.json
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
STATEMENTS = DATA / "statements.json"
FINGERPRINT = DATA / "document-fingerprint.json"
RUN = 8
"""Eight consecutive words in common count as copied text."""


def words(text: str) -> list[str]:
    """The words of ``text`` as the fingerprint sees them: lower-case runs of letters, digits and hyphens."""
    return re.findall(r"[a-z0-9-]+", text.lower())


def run_hashes(text: str) -> Iterator[str]:
    """The fingerprint of every run of :data:`RUN` consecutive words of ``text``."""
    tokens = words(text)
    for start in range(len(tokens) - RUN + 1):
        run = " ".join(tokens[start : start + RUN])
        yield hashlib.sha256(run.encode()).hexdigest()[:16]


def copied_runs(prose: str, fingerprint: Iterable[str]) -> list[str]:
    """The runs of :data:`RUN` words of ``prose`` whose fingerprint is the document's."""
    known = set(fingerprint)
    tokens = words(prose)
    runs = [" ".join(tokens[i : i + RUN]) for i in range(len(tokens) - RUN + 1)]
    return [run for run, digest in zip(runs, run_hashes(prose), strict=True) if digest in known]


def load_statements() -> list[dict[str, object]]:
    """The statement facts fixture: id, section, role and references of S01-S30."""
    statements: list[dict[str, object]] = json.loads(STATEMENTS.read_text(encoding="utf-8"))["statements"]
    return statements


def load_fingerprint() -> frozenset[str]:
    """The fingerprint fixture: the hashes of the document's word runs."""
    return frozenset(json.loads(FINGERPRINT.read_text(encoding="utf-8"))["runs"])


def write(source: Path) -> None:
    """Write both fixtures from a copy of the document's numbered statements."""
    document = json.loads(source.read_text(encoding="utf-8"))
    facts = [
        {"id": s["id"], "section": s["section"], "role": s["role"], "references": s["references"]}
        for s in document["statements"]
    ]
    DATA.mkdir(exist_ok=True)
    STATEMENTS.write_text(
        json.dumps({"statements": facts}, indent=1) + "\n",
        encoding="utf-8",
    )
    runs = sorted({digest for s in document["statements"] for digest in run_hashes(s["text"])})
    FINGERPRINT.write_text(
        json.dumps({"run_words": RUN, "hash": "sha256, first 16 hex digits", "runs": runs}, indent=0) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    write(Path(sys.argv[1]))
