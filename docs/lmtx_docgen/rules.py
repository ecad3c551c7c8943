"""The rule catalogue page (``rules.md``): every rule, by section, with its conditions, consequences and statements."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lmtx.dsl import Derive, Emit, Match, NoMatch, Ref, SeverityFromGrade, Test
from lmtx.knowledge import RuleInfo, knowledge_base
from lmtx.statements import STATEMENTS

from .common import cell, code, code_link, joined, rule_anchor, statement_link


def _test_text(test: Test) -> str:
    return code(test)


def _condition_text(condition: Match | NoMatch) -> str:
    tests = " and ".join(_test_text(t) for t in condition.tests)
    where = f" with {tests}" if tests else ""
    if isinstance(condition, Match):
        return f"there is a {code(condition.fact)} fact{where}, called {code(condition.binding)}"
    return f"there is no {code(condition.fact)} fact{where}"


def _value_text(value: object) -> str:
    if isinstance(value, Ref):
        return f"{value.binding}.{value.field}"
    return str(value)


def _consequence_text(consequence: Derive | Emit) -> str:
    if isinstance(consequence, Derive):
        shown = ", ".join(f"{k} = {_value_text(v)}" for k, v in consequence.fields)
        return f"derive {code(consequence.fact)}" + (f" ({code(shown)})" if shown else "")
    extra = []
    if consequence.action:
        extra.append(f"action {code(consequence.action)}")
    if isinstance(consequence.severity, SeverityFromGrade):
        extra.append(f"severity by the grade of {code(consequence.severity.grade)}")
    elif consequence.severity:
        extra.append(f"severity {code(consequence.severity)}")
    extra += [f"{k} = {code(_value_text(v))}" for k, v in consequence.params]
    return f"emit {consequence.kind} {code_link(consequence.code)}" + (f" ({', '.join(extra)})" if extra else "")


def _statement_rows(statement_ids: Iterable[str]) -> list[str]:
    by_id = {s.id: s for s in STATEMENTS}
    rows = ["| statement | section | gist | references |", "|---|---|---|---|"]
    for sid in statement_ids:
        s = by_id[sid]
        rows.append(
            f"| {statement_link(sid)} | {cell(s.section)} | {cell(s.gist)} | {joined(map(str, s.references))} |"
        )
    return rows


def rule_catalogue() -> str:
    """Every rule of :func:`lmtx.knowledge_base`, by section: conditions, consequences, statements, references."""
    kb = knowledge_base()
    sections = list(dict.fromkeys(info.section for info in kb.rules))
    parts = ["| section | rules |", "|---|---|"]
    for section in sections:
        count = sum(1 for info in kb.rules if info.section == section)
        parts.append(f"| [{section}](#{_section_anchor(section)}) | {count} |")
    parts.append(f"| **all** | **{len(kb.rules)}** |\n")
    for section in sections:
        parts.append(f"## {section} {{ #{_section_anchor(section)} }}\n")
        for info in kb.rules:
            if info.section == section:
                parts.append(_rule_section(info))
    return "\n".join(parts)


def _section_anchor(section: str) -> str:
    return "section-" + re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")


def _rule_section(info: RuleInfo) -> str:
    lines = [f"### {info.id} {{ #{rule_anchor(info.id)} }}\n", f"{info.description}\n", "**When**\n"]
    lines += [f"- {_condition_text(c)}" for c in info.rule.when]
    lines += ["", "**Then**\n"]
    lines += [f"- {_consequence_text(c)}" for c in info.rule.then]
    lines += ["", "**Encodes**\n"]
    lines += _statement_rows(info.statements)
    refs = joined(map(str, info.references), empty="none")
    lines += ["", f"**References**: {refs}\n"]
    return "\n".join(lines)
