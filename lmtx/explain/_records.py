"""Input records in clinical words, for the findings of explanations: ``CSF cytology 2026-03-03: positive``.

Each record is described from the model, field by field, with its date; a
policy threshold is said as the threshold it is (``poor performance status
from ECOG 3 (policy threshold)``), never by its field name.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from lmtx.model import (
    CsfCytology,
    MriAssessment,
    NeuroExam,
    Patient,
    PerformanceStatus,
    Symptoms,
    Therapy,
    TherapyStatus,
    Toxicity,
)
from lmtx.policy import Policy

__all__ = ["FIELD_LABELS", "input_words", "record_words", "symptoms_words", "value_words"]

FIELD_LABELS = {
    "histology": "histology",
    "egfr": "EGFR",
    "csf_flow": "CSF flow",
    "systemic_disease": "systemic disease",
    "symptoms": "symptoms",
    "response": "response",
    "scale": "scale",
    "reason": "reason",
    "missing": "missing",
    "term": "term",
}
"""Fields whose values read better after a label (``EGFR mutant``); others show the value alone."""

_VALUES = {
    "nsclc_nos": "NSCLC NOS",
    "sclc": "SCLC",
    "wild_type": "wild-type",
    "egfr-tki": "EGFR TKI",
    "complete_response": "complete response",
    "partial_response": "partial response",
    "not_evaluable": "not evaluable",
    "external_beam": "external beam",
    "ecog": "ECOG",
    "kps": "KPS",
}
"""Values whose words are not simply the value with spaces."""

_POLICY_WORDS = {
    "poor_ps_ecog": "poor performance status from ECOG {} (policy threshold)",
}
"""How each policy threshold is said; a threshold without an entry is said from its own name."""


def value_words(value: object) -> str:
    """A value of the record or of a fact in words: ``large cell``, ``EGFR TKI``, ``yes``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return _VALUES.get(text, text.replace("_", " "))


def symptoms_words(symptoms: str) -> str:
    """A neurological finding in words: ``no symptoms``, ``persistent symptoms``, ``symptoms resolved``."""
    if symptoms == Symptoms.NONE.value:
        return "no symptoms"
    if symptoms == Symptoms.RESOLVED.value:
        return "symptoms resolved"
    return f"{symptoms} symptoms"


def _therapy(therapy: Therapy) -> str:
    text = therapy.agent.value if therapy.agent.value != "other" else f"'{therapy.name}'" if therapy.name else "other"
    if therapy.name and therapy.agent.value != "other":
        text += f" ('{therapy.name}')"
    if therapy.dose_mg is not None:
        text += f" {therapy.dose_mg:g} mg"
    if therapy.interval_days not in (None, 1):
        text += f" every {therapy.interval_days} days"
    if therapy.route is not None:
        text += f" {value_words(therapy.route.value)}"
    text += f", {therapy.status.value}"
    if therapy.start is not None:
        since = " since" if therapy.status is TherapyStatus.ACTIVE else ", from"
        text += f"{since} {therapy.start.isoformat()}"
    if therapy.end is not None:
        text += f" to {therapy.end.isoformat()}"
    if therapy.stop_reason is not None:
        text += f" ({therapy.stop_reason.value.replace('-', ' ')})"
    return text


def record_words(record: object) -> tuple[str, dt.date | None]:  # noqa: PLR0911 - one return per record class
    """An input record in words, and its date (a therapy's start; its end once it ended)."""
    if isinstance(record, NeuroExam):
        return f"neurological exam {record.date.isoformat()}: {symptoms_words(record.symptoms.value)}", record.date
    if isinstance(record, CsfCytology):
        return f"CSF cytology {record.date.isoformat()}: {record.result.value}", record.date
    if isinstance(record, MriAssessment):
        seen = "leptomeningeal enhancement" if record.leptomeningeal_enhancement else "no leptomeningeal enhancement"
        read = record.response.value if record.response is not None else None
        response = "" if read is None else f", {'response ' if read == 'not_evaluable' else ''}{value_words(read)}"
        return f"MRI {record.date.isoformat()}: {seen}{response}", record.date
    if isinstance(record, Therapy):
        # A stopped or completed therapy's age counts from its end (docs/interpretation.md#texts).
        return _therapy(record), record.end if record.end is not None else record.start
    if isinstance(record, Toxicity):
        when = f", {record.date.isoformat()}" if record.date else ""
        return f"{value_words(record.term.value)} grade {record.grade}{when}", record.date
    if isinstance(record, PerformanceStatus):
        when = f", {record.date.isoformat()}" if record.date else ""
        return f"performance status {record.scale.value.upper()} {record.score}{when}", record.date
    if attrs.has(type(record)):
        values = attrs.asdict(record, recurse=False)  # type: ignore[arg-type]
        shown = ", ".join(value_words(v) for v in values.values() if v is not None)
        return f"{type(record).__name__.lower()} ({shown})", getattr(record, "date", None)
    return value_words(record), None


_FLAGS = {"brain_metastases": "brain metastases"}
_INDEXED = re.compile(r"(?P<list>[a-z_]+)\[(?P<index>\d+)\]")


def input_words(patient: Patient, policy: Policy, path: str) -> tuple[str, dt.date | None]:
    """The input at a JSON path (``therapies[0]``, ``egfr.status``, ``policy.poor_ps_ecog``) in words."""
    indexed = _INDEXED.fullmatch(path)
    if indexed is not None:
        return record_words(getattr(patient, indexed["list"])[int(indexed["index"])])
    if path.startswith("policy."):
        name = path.removeprefix("policy.")
        template = _POLICY_WORDS.get(name, f"{name.replace('_', ' ')} {{}} (policy threshold)")
        return template.format(value_words(getattr(policy, name))), None
    value: Any = patient
    for part in path.split("."):
        value = getattr(value, part)
    if attrs.has(type(value)):
        return record_words(value)
    field = path.split(".", maxsplit=1)[0]
    if isinstance(value, bool):
        words = _FLAGS.get(field, field.replace("_", " "))
        return (words if value else f"no {words}"), None
    label = FIELD_LABELS.get(field, field.replace("_", " "))
    return f"{label} {value_words(getattr(value, 'value', value))}", None
