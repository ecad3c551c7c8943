"""The statement index page (``statements.md``): each statement S01-S30 and what covers it.

A statement is covered by the rules that encode it, the output codes it is
evidence for, or the statements it restates; :func:`statement_coverage`
fails the build for a statement covered by nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lmtx.catalogue import CATALOGUE
from lmtx.knowledge import KnowledgeBase, knowledge_base
from lmtx.statements import STATEMENTS, Statement

from .common import DocsError, cell, code_link, emitting, joined, rule_link, statement_anchor, statement_link

_RESTATES = re.compile(r"\bS\d\d\b")


def restated(statement: Statement) -> tuple[str, ...]:
    """The statements a summary statement restates, read from its gist (``Restates S01: ...``)."""
    return tuple(dict.fromkeys(_RESTATES.findall(statement.gist)))


def statement_coverage(kb: KnowledgeBase | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """How each statement is covered: rules encoding it, codes citing it, codes it is evidence for, restated ids.

    Raises:
        DocsError: When a statement is covered by nothing.
    """
    kb = kb or knowledge_base()
    coverage: dict[str, dict[str, tuple[str, ...]]] = {}
    for s in STATEMENTS:
        coverage[s.id] = {
            "rules": tuple(r.id for r in kb.rules_citing(s.id)),
            "codes": tuple(
                e.code
                for e in CATALOGUE.values()
                if s.id in e.statements or any(t.statements and s.id in t.statements for t in e.texts.values())
            ),
            "evidence_for": tuple(e.code for e in CATALOGUE.values() if s.id in e.evidence),
            "restates": restated(s) if s.role == "summary" else (),
        }
    uncovered = []
    for s in STATEMENTS:
        c = coverage[s.id]
        if s.role == "encode" and not c["rules"]:
            uncovered.append(f"{s.id} (encode): no rule encodes it")
        elif s.role == "evidence" and not c["evidence_for"]:
            uncovered.append(f"{s.id} (evidence): attached to no recommendation")
        elif s.role == "summary" and (
            not c["restates"] or any(not coverage[r]["rules"] for r in c["restates"] if r in coverage)
        ):
            uncovered.append(f"{s.id} (summary): restates no statement that a rule encodes")
    if uncovered:
        raise DocsError("statements not covered: " + "; ".join(uncovered))
    return coverage


ROLE_MEANINGS = {
    "encode": "a rule acts on it and cites it",
    "evidence": "attached, as evidence, to the recommendation it supports",
    "summary": "restates other statements",
}


def statement_index() -> str:
    """Every statement S01-S30 with what covers it: an overview table, then one section per statement."""
    kb = knowledge_base()
    coverage = statement_coverage(kb)
    parts = ["| statement | role | section | covered by |", "|---|---|---|---|"]
    for s in STATEMENTS:
        c = coverage[s.id]
        if s.role == "encode":
            covered = f"{len(c['rules'])} rule{'s' if len(c['rules']) != 1 else ''}"
        elif s.role == "evidence":
            covered = "evidence for " + joined(code_link(x) for x in c["evidence_for"])
        else:
            covered = "restates " + joined(c["restates"])
        parts.append(f"| {statement_link(s.id, page='')} | {s.role} | {cell(s.section)} | {cell(covered)} |")
    parts.append("")
    for s in STATEMENTS:
        parts.append(_statement_section(kb, s, coverage))
    return "\n".join(parts)


def _statement_section(kb: KnowledgeBase, s: Statement, coverage: Mapping[str, Mapping[str, tuple[str, ...]]]) -> str:
    c = coverage[s.id]
    lines = [f"### {s.id} {{ #{statement_anchor(s.id)} }}\n", f"> {s.gist}\n"]
    lines.append(f"- **section**: {s.section}")
    lines.append(f"- **role**: {s.role} ({ROLE_MEANINGS[s.role]})")
    lines.append(f"- **references**: {joined(map(str, s.references), empty='none')}")
    if c["rules"]:
        lines.append(f"- **encoded by**: {joined(rule_link(r) for r in c['rules'])}")
    if c["codes"]:
        lines.append(f"- **cited by the output codes**: {joined(code_link(x) for x in c['codes'])}")
    for target in c["evidence_for"]:
        emitters = dict.fromkeys(info.id for info, _ in emitting(kb, target))
        lines.append(f"- **evidence for**: {code_link(target)}, emitted by {joined(rule_link(r) for r in emitters)}")
    for other in c["restates"]:
        count = len(coverage[other]["rules"])
        lines.append(
            f"- **restates**: [{other}](#{statement_anchor(other)}), encoded by {count} rule{'s' if count != 1 else ''}"
        )
    lines.append("")
    return "\n".join(lines)
