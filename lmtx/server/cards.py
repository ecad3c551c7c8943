"""lmtx results as CDS Hooks 2.0 cards.

One card per alert and per treatment recommendation, one for the workup, one
for monitoring, one for prognosis, and one for data quality (the FHIR
resources lmtx could not read, or read under an assumption).

Cards are a pure function of the request and the result: the same call gives
the same cards, byte for byte. Each card's ``uuid`` (and each suggestion's) is
a name-based UUID (version 5) of the service, the ``hookInstance``, the patient
and the card's content, so it is unique to one hook call and reproducible.

Every card's detail (GitHub-flavoured Markdown) names the statements it rests
on, with lmtx's paraphrase of each, the document's references, the rule that
fired and the knowledge base's version and digest. A card of the safety pack
(configuration key ``safety_pack``) says first that it is a caution of the
pack, not of the document, and names its public sources, each linked; its
``source`` is the pack and its first source. Text taken from the FHIR input
(ids, EGFR report text) is escaped before it enters Markdown.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from lmtx.fhir import NO_LUNG_CANCER, SNOMED, FhirMapping, agent_of
from lmtx.model import Agent
from lmtx.result import Alert, Dose, PrognosisNote, Recommendation, Result
from lmtx.server.hooks import Service
from lmtx.statements import DOCUMENT, statement

__all__ = ["CARD_NAMESPACE", "TOPIC_SYSTEM", "build_cards", "fit"]

CARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lmtx:cds-hooks:card")
"""The namespace of card and suggestion UUIDs."""
TOPIC_SYSTEM = "urn:lmtx:card-topic"
"""The code system of the cards' ``source.topic`` (alert, treatment, workup, monitoring, prognosis, data-quality)."""
OVERRIDE_SYSTEM = "urn:lmtx:override-reason"
UCUM = "http://unitsofmeasure.org"
MAX_SUMMARY = 140
MAX_ISSUES_SHOWN = 25

_TOPICS = {
    "alert": "Alert",
    "treatment": "Treatment recommendation",
    "workup": "Diagnostic workup",
    "monitoring": "Monitoring",
    "prognosis": "Prognosis",
    "data-quality": "Data quality",
}
_INDICATOR_ORDER = {"critical": 0, "warning": 1, "info": 2}
_KIND_ORDER = {kind: i for i, kind in enumerate(_TOPICS)}
_OVERRIDE_REASONS = (
    {"system": OVERRIDE_SYSTEM, "code": "clinical-judgement", "display": "Clinical judgement differs"},
    {"system": OVERRIDE_SYSTEM, "code": "patient-preference", "display": "Patient preference"},
    {"system": OVERRIDE_SYSTEM, "code": "record-incomplete", "display": "The record is incomplete or wrong"},
)
_VERBS = {
    "start": "Start",
    "increase": "Increase to",
    "switch": "Switch to",
    "continue": "Continue",
    "add": "Add",
    "consider": "Consider",
    "perform": "Perform",
    "resume": "Resume",
}
_WHAT = {
    "osimertinib-160": "osimertinib 160 mg orally once daily",
    "osimertinib-80": "osimertinib 80 mg orally once daily",
    "it-pemetrexed": "intrathecal pemetrexed 30-50 mg per administration",
    "osimertinib-tolerated": "osimertinib at the highest dose tolerated",
    "platinum-pemetrexed": "platinum-based chemotherapy, preferably with pemetrexed",
    "prefer-intrathecal": "intrathecal rather than systemic chemotherapy",
}
_LABELS = {
    ("osimertinib-tolerated", "review"): "Review with a specialist whether osimertinib is given again",
    ("it-pemetrexed", "hold"): "Hold intrathecal pemetrexed",
}
"""Suggestion labels of advice that is no order of a dose (docs/output-format.md)."""
_ORDERABLE = {
    "osimertinib-160": Agent.OSIMERTINIB,
    "osimertinib-80": Agent.OSIMERTINIB,
    "it-pemetrexed": Agent.PEMETREXED,
}
_ROUTE_CODINGS = {
    "oral": {"system": SNOMED, "code": "26643006", "display": "Oral route"},
    "intrathecal": {"system": SNOMED, "code": "72607000", "display": "Intrathecal route"},
}
_PEMETREXED_RXNORM = {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "68446", "display": "pemetrexed"}
_MONITORING_NAMES = {
    "monitor-neuro-exam": "neurological exams",
    "monitor-mri": "neuraxis MRI",
    "monitor-csf-cytology": "CSF cytology",
    "assess-rano-lm": "RANO-LM response",
    "monitor-adverse-effects": "adverse effects",
}
_PROGNOSIS_NAMES = {
    "median-survival": "median survival",
    "performance-status-prognostic": "performance status",
    "csf-flow-interrupted": "CSF flow",
}


def fit(text: str, limit: int = MAX_SUMMARY) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def escape_markdown(text: str) -> str:
    """Text from the FHIR input made inert in Markdown (no links, emphasis, tables or HTML)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~-])", r"\\\1", " ".join(text.split()))


def build_cards(
    *,
    service: Service,
    hook_instance: str,
    patient_id: str,
    result: Result | None,
    mapping: FhirMapping,
    source_url: str,
    selected_orders: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The cards for one call.

    Args:
        service: The service called (it decides which kinds of card to return).
        hook_instance: The request's ``hookInstance``.
        patient_id: The request's ``context.patientId``.
        result: The evaluation, or ``None`` when the record could not be evaluated.
        mapping: The FHIR mapping (its issues become the data-quality card).
        source_url: The link shown as every card's source.
        selected_orders: ``order-select`` draft orders the user selected; a
            treatment suggestion for the same agent updates the draft instead
            of creating a new order.

    Returns:
        The cards, most urgent first (critical, warning, info), then by kind.
    """
    builder = _Builder(
        service=service,
        hook_instance=hook_instance,
        patient_id=patient_id,
        result=result,
        source_url=source_url,
        selected_orders=selected_orders,
    )
    cards: list[tuple[str, dict[str, Any]]] = []
    if result is not None:
        cards += [("alert", builder.alert(a)) for a in result.alerts]
        treatments = [r for r in result.recommendations if r.kind == "treatment"]
        cards += [("treatment", builder.treatment(r)) for r in treatments]
        cards += [("workup", builder.workup(r)) for r in result.recommendations if r.kind == "workup"]
        monitoring = [r for r in result.recommendations if r.kind == "monitoring"]
        if monitoring:
            cards.append(("monitoring", builder.monitoring(monitoring)))
        if result.prognosis:
            cards.append(("prognosis", builder.prognosis(result.prognosis)))
    quality = builder.data_quality(mapping)
    if quality is not None:
        cards.append(("data-quality", quality))
    chosen = [(kind, card) for kind, card in cards if kind in service.card_kinds]
    chosen.sort(key=lambda kc: (_INDICATOR_ORDER[kc[1]["indicator"]], _KIND_ORDER[kc[0]]))
    return [builder.finish(card) for _, card in chosen]


class _Builder:
    """Builds the cards of one call; knows the call's identity for the UUIDs."""

    def __init__(
        self,
        *,
        service: Service,
        hook_instance: str,
        patient_id: str,
        result: Result | None,
        source_url: str,
        selected_orders: Sequence[Mapping[str, Any]],
    ) -> None:
        self.service = service
        self.hook_instance = hook_instance
        self.patient_id = patient_id
        self.result = result
        self.source_url = source_url
        self.selected_orders = selected_orders

    # -- identity and common parts --

    def _uuid(self, content: Any) -> str:
        name = json.dumps(
            {"service": self.service.id, "hookInstance": self.hook_instance, "patient": self.patient_id, "c": content},
            sort_keys=True,
            ensure_ascii=False,
        )
        return str(uuid.uuid5(CARD_NAMESPACE, name))

    def finish(self, card: dict[str, Any]) -> dict[str, Any]:
        """Put the card's UUID first (computed over everything else)."""
        return {"uuid": self._uuid(card), **card}

    def _source(self, kind: str) -> dict[str, Any]:
        return {
            "label": "lmtx: leptomeningeal metastases in EGFR-mutant NSCLC",
            "url": self.source_url,
            "topic": {"system": TOPIC_SYSTEM, "code": kind, "display": _TOPICS[kind]},
        }

    def _footer(self) -> str:
        title = f"{DOCUMENT['title']} (last updated {DOCUMENT['last_updated']})"
        if self.result is None:
            return f"_Source document: {title}._"
        r = self.result
        kb = r.knowledge_base
        phase = r.phase or "not applicable (" + ", ".join(r.not_applicable_reasons) + ")"
        as_of = r.as_of.isoformat() if r.as_of else "no date in the record"
        return (
            f"_Source document: {title}. Evaluated as of {as_of}: LM status {r.lm_status}, phase {phase}. "
            f"Knowledge base {kb.id} {kb.version}, {kb.digest[:19]}…_"
        )

    @staticmethod
    def _statements(label: str, ids: Iterable[str]) -> str:
        items = [f"{sid} ({statement(sid).gist})" for sid in ids]
        return f"- **{label}:** " + "; ".join(items) if items else ""

    def _provenance(
        self, statements: Sequence[str], references: Sequence[int], rule: str, evidence: Sequence[str] = ()
    ) -> list[str]:
        lines = [self._statements("Statements", statements)]
        if evidence:
            lines.append(self._statements("Evidence", evidence))
        if references:
            lines.append("- **Document references:** " + ", ".join(str(n) for n in references))
        lines.append(f"- **Rule:** `{rule}`")
        return lines

    # -- the kinds of card --

    def alert(self, alert: Alert) -> dict[str, Any]:
        if alert.origin == "safety-pack":
            return self.caution(alert)
        said = [alert.detail, ""] if alert.detail else []
        detail = [*said, *self._provenance(alert.statements, alert.references, alert.rule), "", self._footer()]
        return {
            "summary": fit(alert.summary),
            "indicator": alert.severity,
            "detail": "\n".join(detail),
            "source": self._source("alert"),
        }

    def caution(self, alert: Alert) -> dict[str, Any]:
        """The card of a safety-pack alert: said to be the pack's, not the document's, with its sources."""
        assert self.result is not None  # an alert comes from a result
        packs = ", ".join(f"{p.id} {p.version}, {p.digest[:19]}…" for p in self.result.knowledge_base.packs)
        lines = [
            "**A caution of lmtx's safety pack, not of the document.** The document does not say this; the "
            "pack adds it from the public sources below.",
            "",
            *([alert.detail, ""] if alert.detail else []),
            "- **Sources:**",
            *(f"  - [{s.citation}]({s.url})" if s.url else f"  - {s.citation}" for s in alert.sources),
            f"- **Rule:** `{alert.rule}` (safety pack {packs})",
            "",
            self._footer(),
        ]
        first = next((s.url for s in alert.sources if s.url), None)
        source = self._source("alert")
        source.update(label="lmtx safety pack (not the document)", url=first or self.source_url)
        return {
            "summary": fit(alert.summary),
            "indicator": alert.severity,
            "detail": "\n".join(lines),
            "source": source,
        }

    def treatment(self, rec: Recommendation) -> dict[str, Any]:
        lines = [rec.detail, ""] if rec.detail else []
        if rec.dose is not None:
            lines.append(f"- **Dose:** {_dose_text(rec.dose)}")
        lines.append(f"- **Action:** {rec.action}")
        lines += self._provenance(rec.statements, rec.references, rec.rule, rec.evidence)
        lines += ["", self._footer()]
        label = _LABELS.get((rec.code, rec.action)) or (
            f"{_VERBS.get(rec.action, rec.action.capitalize())} {_WHAT.get(rec.code, rec.summary)}"
        )
        suggestion: dict[str, Any] = {"label": fit(label), "isRecommended": rec.action != "consider"}
        actions = self._actions(rec)
        if actions:
            suggestion["actions"] = actions
        suggestion = {"label": suggestion["label"], "uuid": self._uuid([rec.code, suggestion]), **suggestion}
        return {
            "summary": fit(rec.summary),
            "indicator": "info",
            "detail": "\n".join(lines),
            "source": self._source("treatment"),
            "suggestions": [suggestion],
            "selectionBehavior": "at-most-one",
            "overrideReasons": [dict(reason) for reason in _OVERRIDE_REASONS],
        }

    def workup(self, rec: Recommendation) -> dict[str, Any]:
        lines = [rec.detail, "", *self._provenance(rec.statements, rec.references, rec.rule), "", self._footer()]
        return {
            "summary": fit(rec.summary),
            "indicator": "info",
            "detail": "\n".join(lines),
            "source": self._source("workup"),
        }

    def monitoring(self, recs: Sequence[Recommendation]) -> dict[str, Any]:
        names = [_MONITORING_NAMES.get(r.code, r.code) for r in recs]
        listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
        lines: list[str] = []
        for rec in recs:
            lines += [f"**{rec.summary}**", ""]
            if rec.detail:
                lines += [rec.detail, ""]
            if rec.adverse_effects:
                terms = ", ".join(f"`{term}`" for term in rec.adverse_effects)
                lines += [f"- **Adverse effects to watch (toxicity terms):** {terms}"]
            lines += [*self._provenance(rec.statements, rec.references, rec.rule), ""]
        lines.append(self._footer())
        return {
            "summary": fit(f"Follow up with {listed}."),
            "indicator": "info",
            "detail": "\n".join(lines),
            "source": self._source("monitoring"),
        }

    def prognosis(self, notes: Sequence[PrognosisNote]) -> dict[str, Any]:
        if len(notes) == 1:
            summary = notes[0].summary
        else:
            summary = f"{len(notes)} prognosis notes: " + ", ".join(_PROGNOSIS_NAMES.get(n.code, n.code) for n in notes)
        lines: list[str] = []
        for note in notes:
            lines += [f"**{note.summary}**", ""]
            if note.detail:
                lines += [note.detail, ""]
            lines += [*self._provenance(note.statements, note.references, note.rule), ""]
        lines.append(self._footer())
        return {
            "summary": fit(summary),
            "indicator": "info",
            "detail": "\n".join(lines),
            "source": self._source("prognosis"),
        }

    def data_quality(self, mapping: FhirMapping) -> dict[str, Any] | None:
        unmapped, ambiguous = mapping.unmapped, mapping.ambiguous
        if not unmapped and not ambiguous:
            return None
        if mapping.patient is None and not mapping.sources and not ambiguous and mapping.no_lung_cancer:
            return None  # nothing in the record bears on lmtx's document: no card at all
        unreadable = [i for i in unmapped if i.reason != NO_LUNG_CANCER]
        if mapping.patient is None and mapping.no_lung_cancer is False and len(unreadable) < len(unmapped):
            # No lung cancer was found, but some resources could not be read: one of them might hold it.
            summary = (
                f"lmtx found no lung cancer in this record but could not read {len(unreadable)} FHIR "
                f"resource{'s' if len(unreadable) != 1 else ''}; check them."
            )
        elif mapping.patient is None:
            first = next((i.reason for i in unmapped if i.field == "histology"), unmapped[0].reason if unmapped else "")
            summary = f"lmtx could not evaluate this record: {first}"
        elif unmapped:
            summary = (
                f"lmtx left out {len(unmapped)} FHIR resource{'s' if len(unmapped) != 1 else ''} it could not read; "
                "its advice may miss facts."
            )
        else:
            summary = f"lmtx read {len(ambiguous)} FHIR resource{'s' if len(ambiguous) != 1 else ''} under assumptions."
        rows = ["| Resource | Kind | Field | Reason |", "|---|---|---|---|"]
        for issue in [*unmapped, *ambiguous][:MAX_ISSUES_SHOWN]:
            rows.append(
                f"| {escape_markdown(issue.reference)} | {issue.kind} | {issue.field or ''} | "
                f"{escape_markdown(issue.reason)} |"
            )
        more = len(unmapped) + len(ambiguous) - MAX_ISSUES_SHOWN
        lines = [
            "Resources lmtx could not use (*unmapped*) or read under a documented assumption (*ambiguous*); "
            "see docs/fhir.md for the mapping table.",
            "",
            *rows,
        ]
        if more > 0:
            lines += ["", f"… and {more} more."]
        ignored = mapping.ignored_counts()
        if ignored:
            listed = ", ".join(f"{count} {kind}" for kind, count in ignored.items())
            lines += ["", f"Not read (outside lmtx's mapping table): {escape_markdown(listed)}."]
        lines += ["", self._footer()]
        return {
            "summary": fit(summary),
            "indicator": "warning" if unmapped else "info",
            "detail": "\n".join(lines),
            "source": self._source("data-quality"),
        }

    # -- suggestion actions --

    def _actions(self, rec: Recommendation) -> list[dict[str, Any]]:
        # Only advice to give a dose makes an order: never osimertinib-tolerated (continue and review
        # order nothing; resume leaves the dose to the team) nor a hold (docs/output-format.md).
        agent = _ORDERABLE.get(rec.code)
        if agent is None or rec.dose is None or rec.action not in ("start", "increase", "switch", "add"):
            return []
        dosage = _dosage(rec.dose)
        for order in self.selected_orders:
            if agent_of(order) is agent:
                updated = copy.deepcopy(dict(order))
                updated["dosageInstruction"] = [dosage]
                if not _valid_fhir(updated):
                    break  # the draft is not valid FHIR even with lmtx's dosage: suggest a new order instead
                description = fit(f"Change the selected order to {_WHAT[rec.code]}", 200)
                return [{"type": "update", "description": description, "resource": updated}]
        medication: dict[str, Any] = {"text": agent.value}
        if agent is Agent.PEMETREXED:
            medication = {"coding": [dict(_PEMETREXED_RXNORM)], "text": agent.value}
        resource = {
            "resourceType": "MedicationRequest",
            "status": "draft",
            "intent": "proposal",
            "medicationCodeableConcept": medication,
            "subject": {"reference": f"Patient/{self.patient_id}"},
            "dosageInstruction": [dosage],
            "note": [{"text": f"Suggested by lmtx (rule {rec.rule}; statements {', '.join(rec.statements)})."}],
        }
        return [{"type": "create", "description": fit(f"Order {_WHAT[rec.code]}", 200), "resource": resource}]


def _valid_fhir(resource: Mapping[str, Any]) -> bool:
    """Whether a resource (a draft order with lmtx's dosage) is valid FHIR R4, so that a client can apply it.

    FHIR's JSON (and CDS Hooks) also forbid null and empty values, which the models let through.
    """
    if _has_empty(resource):
        return False
    try:
        get_fhir_model_class(str(resource.get("resourceType"))).model_validate(resource)
    except (pydantic.ValidationError, ValueError, TypeError, KeyError):
        return False
    return True


def _has_empty(value: Any) -> bool:
    if value in (None, "", [], {}):
        return True
    if isinstance(value, Mapping):
        return any(_has_empty(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_empty(v) for v in value)
    return False


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _mg(value: float) -> dict[str, Any]:
    return {"value": _number(value), "unit": "mg", "system": UCUM, "code": "mg"}


def _dose_text(dose: Dose) -> str:
    amount = (
        f"{_number(dose.mg)} mg"
        if dose.mg is not None
        else f"{_number(dose.mg_min)}-{_number(dose.mg_max)} mg"
        if dose.mg_min is not None and dose.mg_max is not None
        else ""  # osimertinib given again: no dose (route and frequency only)
    )
    return ", ".join(part for part in (amount, dose.route, dose.frequency or "") if part)


def _dosage(dose: Dose) -> dict[str, Any]:
    """A FHIR R4 Dosage for a recommended dose."""
    dosage: dict[str, Any] = {"text": _dose_text(dose)}
    if dose.frequency == "once daily":
        dosage["timing"] = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}
    if dose.route in _ROUTE_CODINGS:
        dosage["route"] = {"coding": [dict(_ROUTE_CODINGS[dose.route])], "text": dose.route}
    if dose.mg is not None:
        dosage["doseAndRate"] = [{"doseQuantity": _mg(dose.mg)}]
    elif dose.mg_min is not None and dose.mg_max is not None:
        dosage["doseAndRate"] = [{"doseRange": {"low": _mg(dose.mg_min), "high": _mg(dose.mg_max)}}]
    return dosage
