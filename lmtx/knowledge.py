"""The knowledge bases as data, each with a content digest: the document's rules, and the safety pack.

:func:`knowledge_base` is the document: rules, statements and catalogue.
:func:`safety_pack` is the opt-in pack of cautions with public sources
(:mod:`lmtx.packs.safety`), a knowledge base of its own, with its own id,
version and digest; turning it on never changes the document's.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

import attrs

from lmtx import __about__
from lmtx.catalogue import CATALOGUE, Entry, references_of
from lmtx.dsl import Rule
from lmtx.packs import Caution
from lmtx.packs import safety as _safety
from lmtx.result import PackInfo
from lmtx.rules import RULES
from lmtx.statements import DOCUMENT, STATEMENTS, Statement

__all__ = ["KNOWLEDGE_BASE_ID", "KnowledgeBase", "RuleInfo", "SafetyPack", "knowledge_base", "safety_pack"]

KNOWLEDGE_BASE_ID = "lmtx-egfr-lm"
"""The id every result carries in ``knowledge_base.id``."""


@attrs.frozen
class RuleInfo:
    """A rule as the catalogue shows it.

    Attributes:
        id: The rule's id.
        section: The part of the document it belongs to.
        description: One line, in plain words.
        statements: Statement ids it encodes.
        references: The document's reference numbers behind those statements.
        codes: Output codes it can emit.
        derives: Fact types it derives.
        conditions: Its conditions, in words.
        consequences: What it derives and emits, in words.
        rule: The full rule description.
    """

    id: str
    section: str
    description: str
    statements: tuple[str, ...]
    references: tuple[int, ...]
    codes: tuple[str, ...]
    derives: tuple[str, ...]
    conditions: tuple[str, ...]
    consequences: tuple[str, ...]
    rule: Rule


@attrs.frozen
class KnowledgeBase:
    """Everything lmtx knows, as data.

    Attributes:
        id: ``lmtx-egfr-lm``.
        version: The lmtx version that ships it.
        digest: ``sha256:`` of the canonical JSON of rules, catalogue and statements.
        document: Title and date of the encoded document.
        rules: Every rule, in catalogue order.
        statements: The statement index S01-S30.
        catalogue: Every output code's entry.
    """

    id: str
    version: str
    digest: str
    document: dict[str, str]
    rules: tuple[RuleInfo, ...]
    statements: tuple[Statement, ...]
    catalogue: tuple[Entry, ...]

    def rule(self, rule_id: str) -> RuleInfo:
        """The rule with ``rule_id``.

        Args:
            rule_id: A rule id, e.g. ``add-intrathecal-pemetrexed``.

        Raises:
            KeyError: When no rule has that id.
        """
        return _find_rule(self.rules, rule_id)

    def rules_citing(self, statement_id: str) -> tuple[RuleInfo, ...]:
        """The rules that encode a statement.

        Args:
            statement_id: ``S01`` ... ``S30``.
        """
        return tuple(r for r in self.rules if statement_id in r.statements)

    def rules_emitting(self, code: str) -> tuple[RuleInfo, ...]:
        """The rules that can emit an output code.

        Args:
            code: A recommendation, alert or prognosis code.
        """
        return tuple(r for r in self.rules if code in r.codes)

    def to_dict(self) -> dict[str, Any]:
        """The knowledge base as JSON-compatible data (rules, statements, catalogue)."""
        return {
            "id": self.id,
            "version": self.version,
            "digest": self.digest,
            "document": dict(self.document),
            "rules": [_rule_dict(r) for r in self.rules],
            "statements": [attrs.asdict(s) for s in self.statements],
            "catalogue": [_entry_dict(e) for e in self.catalogue],
        }


def _find_rule(rules: tuple[RuleInfo, ...], rule_id: str) -> RuleInfo:
    for info in rules:
        if info.id == rule_id:
            return info
    raise KeyError(rule_id)


def _rule_dict(info: RuleInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "section": info.section,
        "description": info.description,
        "statements": list(info.statements),
        "references": list(info.references),
        "codes": list(info.codes),
        "derives": list(info.derives),
        "conditions": list(info.conditions),
        "consequences": list(info.consequences),
    }


def _entry_dict(entry: Entry) -> dict[str, Any]:
    data = attrs.asdict(entry, recurse=True)
    data["texts"] = {k: attrs.asdict(v) for k, v in entry.texts.items()}
    return data


def _info(rule: Rule) -> RuleInfo:
    return RuleInfo(
        id=rule.id,
        section=rule.section,
        description=rule.description,
        statements=rule.statements,
        references=references_of(rule.statements),
        codes=tuple(dict.fromkeys(rule.codes)),
        derives=tuple(dict.fromkeys(rule.derives)),
        conditions=tuple(str(c) for c in rule.when),
        consequences=tuple(str(c) for c in rule.then),
        rule=rule,
    )


def _rules_payload(infos: tuple[RuleInfo, ...]) -> list[dict[str, Any]]:
    """The rules as a digest sees them: as the catalogue shows them, and their full descriptions."""
    return [{**_rule_dict(i), "when": repr(i.rule.when), "then": repr(i.rule.then)} for i in infos]


def _digest(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


@cache
def knowledge_base() -> KnowledgeBase:
    """The knowledge base lmtx evaluates with.

    Every rule with its id, description, statements and the codes it can
    emit; the statement index; the catalogue.

    Returns:
        The same frozen object on every call.
    """
    infos = tuple(_info(rule) for rule in RULES)
    catalogue = tuple(CATALOGUE.values())
    payload = {
        "rules": _rules_payload(infos),
        "statements": [attrs.asdict(s) for s in STATEMENTS],
        "catalogue": [_entry_dict(e) for e in catalogue],
    }
    return KnowledgeBase(
        id=KNOWLEDGE_BASE_ID,
        version=__about__.__version__,
        digest=_digest(payload),
        document=dict(DOCUMENT),
        rules=infos,
        statements=STATEMENTS,
        catalogue=catalogue,
    )


@attrs.frozen
class SafetyPack:
    """The safety pack as data: its cautions and rules, with its own id, version and digest.

    Attributes:
        id: ``lmtx-safety``.
        version: The pack's own version (not lmtx's).
        digest: ``sha256:`` of the canonical JSON of its rules, texts and sources.
        rules: Every rule, caution by caution (they encode no statement of the document).
        cautions: Every caution, in the order a result lists them.
    """

    id: str
    version: str
    digest: str
    rules: tuple[RuleInfo, ...]
    cautions: tuple[Caution, ...]

    @property
    def info(self) -> PackInfo:
        """The pack as a result's ``knowledge_base.packs`` lists it."""
        return PackInfo(id=self.id, version=self.version, digest=self.digest)

    def caution(self, code: str) -> Caution:
        """The caution with an alert code.

        Args:
            code: A caution's code, e.g. ``it-csf-flow``.

        Raises:
            KeyError: When no caution has that code.
        """
        for caution in self.cautions:
            if caution.code == code:
                return caution
        raise KeyError(code)

    def rule(self, rule_id: str) -> RuleInfo:
        """The rule with ``rule_id``.

        Args:
            rule_id: A rule id of the pack, e.g. ``safety-it-csf-flow-unknown``.

        Raises:
            KeyError: When no rule of the pack has that id.
        """
        return _find_rule(self.rules, rule_id)

    def to_dict(self) -> dict[str, Any]:
        """The pack as JSON-compatible data: id, version, digest, rules and cautions with their sources."""
        return {
            "id": self.id,
            "version": self.version,
            "digest": self.digest,
            "rules": [_rule_dict(r) for r in self.rules],
            "cautions": [_caution_dict(c) for c in self.cautions],
        }


def _caution_dict(caution: Caution) -> dict[str, Any]:
    return {
        "code": caution.code,
        "severity": caution.severity,
        "trigger": caution.trigger,
        "variant": caution.variant,
        "texts": {k: {"summary": v.summary, "detail": v.detail} for k, v in caution.texts.items()},
        "sources": [attrs.asdict(s) for s in caution.sources],
        "rules": [r.id for r in caution.rules],
    }


@cache
def safety_pack() -> SafetyPack:
    """The safety pack that ``Policy(safety_pack=True)`` adds (docs/safety-pack.md).

    Returns:
        The same frozen object on every call.
    """
    infos = tuple(_info(rule) for rule in _safety.RULES)
    payload = {
        "rules": _rules_payload(infos),
        "cautions": [_caution_dict(c) for c in _safety.CAUTIONS],
    }
    return SafetyPack(
        id=_safety.ID,
        version=_safety.VERSION,
        digest=_digest(payload),
        rules=infos,
        cautions=_safety.CAUTIONS,
    )
