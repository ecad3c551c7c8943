"""The result of an evaluation: typed, frozen, convertible to and from the wire format (docs/output-format.md)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs
import cattrs

__all__ = [
    "ADVERSE_EFFECT_TERMS",
    "Alert",
    "Dose",
    "KnowledgeBaseInfo",
    "Origin",
    "PackInfo",
    "PrognosisNote",
    "Recommendation",
    "Result",
    "Source",
    "TraceEntry",
]

Severity = Literal["info", "warning", "critical"]
Origin = Literal["document", "safety-pack"]
"""Where an item comes from: the encoded document, or the opt-in safety pack (docs/safety-pack.md)."""

ADVERSE_EFFECT_TERMS = (
    "rash",
    "leukopenia",
    "neutropenia",
    "thrombocytopenia",
    "anemia",
    "aseptic_meningitis",
    "fatigue",
)
"""The codes of :attr:`Recommendation.adverse_effects`, in the order lists use.

They are the input's toxicity terms (docs/input-format.md), so a reported
toxicity and an adverse effect to watch share one vocabulary: myelosuppression
is its four terms.
"""


@attrs.frozen
class Dose:
    """A dose: a fixed ``mg`` or a range ``mg_min``-``mg_max`` (whole mg), with route and frequency.

    ``mg`` is the document's dose, or for ``osimertinib-tolerated`` ``continue`` the dose per
    administration given now (which may not be whole). ``resume`` and ``review`` give no dose:
    route and frequency only.
    """

    route: str
    mg: int | float | None = None
    mg_min: int | None = None
    mg_max: int | None = None
    frequency: str | None = None


@attrs.frozen
class Source:
    """A public source a safety-pack caution cites: a drug label, a trial registry entry or a guideline.

    Attributes:
        citation: The source by title and year, in lmtx's words (never its text).
        url: Where to read it, when it has a stable address.
    """

    citation: str
    url: str | None = None


@attrs.frozen
class Recommendation:
    """A recommended action, with the statements and rule behind it.

    Attributes:
        code: Stable code (docs/output-format.md), e.g. ``it-pemetrexed``.
        kind: ``treatment``, ``workup`` or ``monitoring``.
        action: ``start``, ``increase``, ``switch``, ``continue``, ``add``,
            ``consider``, ``resume``, ``review``, ``hold`` or ``perform``.
        summary: One line, at most 140 characters.
        detail: Why, in a few sentences.
        dose: The dose, for drug recommendations.
        statements: Statement ids encoded (primary first).
        evidence: Statement ids of supporting evidence.
        references: The document's reference numbers behind those statements.
        rule: Id of the rule that produced it.
        adverse_effects: For ``monitor-adverse-effects`` only: the adverse
            effects to watch for, as toxicity terms of
            :data:`ADVERSE_EFFECT_TERMS` in that order; empty (and absent
            from the wire format) for every other recommendation.
        origin: ``document`` (every recommendation today: the safety pack
            emits alerts only).
    """

    code: str
    kind: str
    action: str
    summary: str
    detail: str
    dose: Dose | None
    statements: tuple[str, ...]
    evidence: tuple[str, ...]
    references: tuple[int, ...]
    rule: str
    adverse_effects: tuple[str, ...] = ()
    origin: Origin = "document"


@attrs.frozen
class Alert:
    """A warning for the clinician, with its severity and provenance.

    ``detail`` says what decided the alert where that matters (the findings,
    terms, agents or dates behind it); it may be empty. ``origin`` says whether
    the document or the safety pack gave it; a safety-pack caution cites no
    statement of the document but its public ``sources`` (at least one), which
    a document alert never has.
    """

    code: str
    severity: Severity
    summary: str
    statements: tuple[str, ...]
    references: tuple[int, ...]
    rule: str
    detail: str = ""
    origin: Origin = "document"
    sources: tuple[Source, ...] = ()


@attrs.frozen
class PrognosisNote:
    """A prognostic statement that applies to the patient; ``detail`` may be empty."""

    code: str
    summary: str
    statements: tuple[str, ...]
    references: tuple[int, ...]
    rule: str
    detail: str = ""
    origin: Origin = "document"


@attrs.frozen
class TraceEntry:
    """One rule firing: the rule, the facts it matched, the new facts it asserted."""

    rule: str
    matched: tuple[str, ...]
    emitted: tuple[str, ...]


@attrs.frozen
class PackInfo:
    """A knowledge base of cautions turned on beside the document's (the safety pack): id, version, digest."""

    id: str
    version: str
    digest: str


@attrs.frozen
class KnowledgeBaseInfo:
    """Which knowledge base produced a result: id, version and content digest of the document's rules.

    ``packs`` lists the packs that were on (``lmtx-safety``), empty by
    default; they never change the document's ``id``, ``version`` or ``digest``.
    """

    id: str
    version: str
    digest: str
    packs: tuple[PackInfo, ...] = ()


@attrs.frozen
class Result:
    """The outcome of :func:`lmtx.evaluate` for one patient.

    Lists are ordered: recommendations as in the catalogue (treatment, workup,
    monitoring); alerts by severity (critical, warning, info) then catalogue
    order; prognosis notes in catalogue order; not-applicable reasons in the
    order of docs/output-format.md; the trace in firing order.
    """

    patient_id: str | None
    as_of: dt.date | None
    applicable: bool
    not_applicable_reasons: tuple[str, ...]
    lm_status: str
    phase: str | None
    recommendations: tuple[Recommendation, ...]
    alerts: tuple[Alert, ...]
    prognosis: tuple[PrognosisNote, ...]
    trace: tuple[TraceEntry, ...]
    knowledge_base: KnowledgeBaseInfo

    def recommendation(self, code: str) -> Recommendation | None:
        """The recommendation with ``code``, if the result has it."""
        return next((r for r in self.recommendations if r.code == code), None)

    def alert(self, code: str) -> Alert | None:
        """The alert with ``code``, if the result has it."""
        return next((a for a in self.alerts if a.code == code), None)

    @property
    def adverse_effects(self) -> tuple[str, ...]:
        """The adverse effects to watch for (``monitor-adverse-effects``), as toxicity terms; empty without it."""
        watch = self.recommendation("monitor-adverse-effects")
        return watch.adverse_effects if watch is not None else ()

    @property
    def codes(self) -> frozenset[str]:
        """Every recommendation, alert and prognosis code in the result."""
        return frozenset(
            [r.code for r in self.recommendations] + [a.code for a in self.alerts] + [p.code for p in self.prognosis]
        )

    def to_dict(self) -> dict[str, Any]:
        """The result in the wire format of docs/output-format.md (JSON-compatible)."""
        # Written out for speed (the same dict cattrs would unstructure, made about twice as
        # fast); from_dict, through cattrs, reads it back, so a field left out here fails there.
        return {
            "patient_id": self.patient_id,
            "as_of": self.as_of.isoformat() if self.as_of is not None else None,
            "applicable": self.applicable,
            "not_applicable_reasons": list(self.not_applicable_reasons),
            "lm_status": self.lm_status,
            "phase": self.phase,
            "recommendations": [_recommendation(r) for r in self.recommendations],
            "alerts": [
                {
                    "code": a.code,
                    "severity": a.severity,
                    "summary": a.summary,
                    "statements": list(a.statements),
                    "references": list(a.references),
                    "rule": a.rule,
                    "detail": a.detail,
                    "origin": a.origin,
                    **({"sources": [_source(s) for s in a.sources]} if a.origin == "safety-pack" else {}),
                }
                for a in self.alerts
            ],
            "prognosis": [
                {
                    "code": p.code,
                    "summary": p.summary,
                    "statements": list(p.statements),
                    "references": list(p.references),
                    "rule": p.rule,
                    "detail": p.detail,
                    "origin": p.origin,
                }
                for p in self.prognosis
            ],
            "trace": [{"rule": t.rule, "matched": list(t.matched), "emitted": list(t.emitted)} for t in self.trace],
            "knowledge_base": {
                "id": self.knowledge_base.id,
                "version": self.knowledge_base.version,
                "digest": self.knowledge_base.digest,
                "packs": [{"id": p.id, "version": p.version, "digest": p.digest} for p in self.knowledge_base.packs],
            },
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The wire format as JSON text; identical input gives identical text.

        Args:
            indent: Indentation for pretty printing; ``None`` for one line.
        """
        if indent is None:
            return _encode(self.to_dict())
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Read a result back from its wire format.

        Raises:
            ValueError: When ``data`` is not a result in the wire format.
        """
        try:
            return _CONVERTER.structure(data, cls)
        except cattrs.BaseValidationError as error:
            messages = "; ".join(cattrs.transform_error(error, path="$"))
            raise ValueError(f"not an lmtx result: {messages}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Result:
        """Read a result back from JSON text."""
        return cls.from_dict(json.loads(text))


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)
    converter.register_structure_hook(dt.date, lambda v, _: dt.date.fromisoformat(v))
    converter.register_structure_hook(int | float | None, _mg)
    return converter


def _mg(value: object, _: object) -> int | float | None:
    """A dose in mg as the wire gives it: a JSON number (never a boolean), kept as it is."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise ValueError(f"not a number of mg: {value!r}")


_CONVERTER = _make_converter()
_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), made once


def _recommendation(item: Recommendation) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": item.code,
        "kind": item.kind,
        "action": item.action,
        "summary": item.summary,
        "detail": item.detail,
        "dose": None,
        "statements": list(item.statements),
        "evidence": list(item.evidence),
        "references": list(item.references),
        "rule": item.rule,
    }
    dose = item.dose
    if dose is not None:
        data["dose"] = {
            k: v
            for k, v in (
                ("route", dose.route),
                ("mg", dose.mg),
                ("mg_min", dose.mg_min),
                ("mg_max", dose.mg_max),
                ("frequency", dose.frequency),
            )
            if v is not None
        }
    if item.adverse_effects:  # present only where it applies (docs/output-format.md)
        data["adverse_effects"] = list(item.adverse_effects)
    data["origin"] = item.origin
    return data


def _source(source: Source) -> dict[str, str]:
    if source.url is None:
        return {"citation": source.citation}
    return {"citation": source.citation, "url": source.url}
