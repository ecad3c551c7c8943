"""Build-time generation of the safety pack's page (docs/safety-pack.md) from the pack itself.

The page's hand-written parts say why the pack exists, how to turn it on
and what it is not; the parts generated here restate the pack's data
(:func:`lmtx.safety_pack`): the overview table, each caution with its
trigger, severity, texts, sources and rules, and the pack's id, version and
digest. A caution without a source, or a rule no caution owns, fails the
build (:class:`PackDocsError`). The package lists these generators with its
own (:data:`GENERATORS`), so the page's markers work like the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from lmtx.dsl import Derive, Emit, Match, NoMatch, Ref, Test
from lmtx.knowledge import SafetyPack, safety_pack
from lmtx.packs import Caution
from lmtx.result import Source

PAGE = "safety-pack.md"


class PackDocsError(Exception):
    """The pack's page and the pack disagree; the message says where."""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _anchor(prefix: str, name: str) -> str:
    return f"{prefix}-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _source(source: Source) -> str:
    return f"[{source.citation}]({source.url})" if source.url else source.citation


def _test(test: Test) -> str:
    value = test.value
    if isinstance(value, tuple):
        shown = "(" + ", ".join(map(str, value)) + ")"
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    else:
        shown = str(value)
    return f"`{test.field} {test.op} {shown}`"


def _condition(condition: Match | NoMatch) -> str:
    tests = " and ".join(_test(t) for t in condition.tests)
    where = f" with {tests}" if tests else ""
    if isinstance(condition, Match):
        return f"there is a `{condition.fact}` fact{where}, called `{condition.binding}`"
    return f"there is no `{condition.fact}` fact{where}"


def _value(value: object) -> str:
    return f"{value.binding}.{value.field}" if isinstance(value, Ref) else str(value)


def _consequence(consequence: Derive | Emit) -> str:
    if isinstance(consequence, Derive):
        shown = ", ".join(f"{k} = {_value(v)}" for k, v in consequence.fields)
        return f"derive `{consequence.fact}`" + (f" (`{shown}`)" if shown else "")
    extra = [f"severity `{consequence.severity}`"] + [f"`{k} = {_value(v)}`" for k, v in consequence.params]
    return f"emit alert [`{consequence.code}`](#{_anchor('caution', consequence.code)}) ({', '.join(extra)})"


def _checked(pack: SafetyPack) -> SafetyPack:
    owned = [rule.id for caution in pack.cautions for rule in caution.rules]
    if sorted(owned) != sorted(info.id for info in pack.rules) or len(set(owned)) != len(owned):
        raise PackDocsError("every rule of the pack belongs to exactly one caution")
    for caution in pack.cautions:
        if not caution.sources:
            raise PackDocsError(f"{caution.code}: a caution without a source")
    return pack


def pack_identity() -> str:
    """The pack's id, version and digest, as a result's ``knowledge_base.packs`` lists them."""
    info = _checked(safety_pack()).info
    return f"```json\n{json.dumps({'id': info.id, 'version': info.version, 'digest': info.digest})}\n```\n"


def caution_overview() -> str:
    """One row per caution, in the order a result lists them."""
    pack = _checked(safety_pack())
    rows = ["| caution | severity | fires when | sources |", "|---|---|---|---|"]
    for caution in pack.cautions:
        link = f"[`{caution.code}`](#{_anchor('caution', caution.code)})"
        rows.append(f"| {link} | {_cell(caution.severity)} | {_cell(caution.trigger)} | {len(caution.sources)} |")
    return "\n".join(rows) + "\n"


def _texts(caution: Caution) -> list[str]:
    lines: list[str] = []
    shared: dict[tuple[str, str], list[str]] = {}
    for value, text in caution.texts.items():
        shared.setdefault((text.summary, text.detail), []).append(value)
    for (summary, detail), values in shared.items():
        if caution.variant is not None:
            lines.append(f"With `{caution.variant}` {' or '.join(f'`{v}`' for v in values)}:\n")
        lines += [f"> {summary}", ">", f"> {detail}", ""]
    return lines


def caution_sections() -> str:
    """Each caution: trigger, severity, texts, sources and the rules that give it."""
    pack = _checked(safety_pack())
    parts: list[str] = []
    for caution in pack.cautions:
        parts.append(f"### `{caution.code}` {{ #{_anchor('caution', caution.code)} }}\n")
        parts.append(f"- **Severity:** {caution.severity}")
        parts.append(f"- **Fires when:** {caution.trigger}")
        rules = ", ".join(f"[`{r.id}`](#{_anchor('rule', r.id)})" for r in caution.rules)
        parts.append(f"- **Rules:** {rules}\n")
        parts.append("**Sources**\n")
        parts += [f"- {_source(s)}" for s in caution.sources]
        parts.append("")
        parts.append("**Text** (words in braces are filled in from what triggered it)\n")
        parts += _texts(caution)
    return "\n".join(parts)


def pack_rules() -> str:
    """Every rule of the pack, caution by caution: its conditions and what it derives or emits."""
    pack = _checked(safety_pack())
    parts: list[str] = []
    for caution in pack.cautions:
        for rule in caution.rules:
            parts.append(f"### {rule.id} {{ #{_anchor('rule', rule.id)} }}\n")
            parts.append(f"{rule.description}\n")
            parts.append("**When**\n")
            parts += [f"- {_condition(c)}" for c in rule.when]
            parts += ["", "**Then**\n"]
            parts += [f"- {_consequence(c)}" for c in rule.then]
            parts.append("")
    return "\n".join(parts)


GENERATORS: dict[str, Callable[[], str]] = {
    "safety-pack-identity": pack_identity,
    "safety-pack-overview": caution_overview,
    "safety-pack-cautions": caution_sections,
    "safety-pack-rules": pack_rules,
}
"""Marker name -> generator, for the markers of docs/safety-pack.md."""
