"""Records, facts and conditions in clinical words, for the text form of explanations.

Nothing here knows a particular rule. The words come from three general
sources, so that a rule added or revised needs no wording of its own:

- an input record is described from the model, field by field
  (``CSF cytology 2026-03-03: positive``);
- a condition is described from its fact type and its tests, with the values
  it refers to resolved (``a CSF cytology dated on or after 2026-03-01``);
- a derived fact is described by its type and its values
  (``response verdict (osimertinib, cytology, failing)``).

A fact type or field without an entry in the tables below is still described,
from its own name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from lmtx._facts import DATE_FIELDS, NO_DATE, Fact
from lmtx.dsl import Match, NoMatch, Ref, Test
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

__all__ = [
    "condition_words",
    "fact_words",
    "input_words",
    "noun",
    "test_words",
]

NOUNS: dict[str, tuple[str, str]] = {
    # fact type: (article, noun)
    "neuro_exam": ("a", "neurological exam"),
    "cytology": ("a", "CSF cytology"),
    "mri": ("an", "MRI"),
    "therapy": ("a", "therapy"),
    "toxicity": ("an", "adverse event"),
    "ps": ("a", "performance status"),
    "patient": ("the", "patient record"),
    "policy": ("the", "policy"),
    "latest_neuro": ("the", "latest neurological exam"),
    "latest_mri": ("the", "latest MRI"),
    "latest_cytology": ("the", "latest CSF cytology"),
    "lm": ("the", "LM status"),
    "phase": ("the", "phase"),
    "regimen": ("the", "regimen being judged"),
    "verdict": ("a", "response verdict"),
    "ecog": ("the", "ECOG score"),
    "applicable": ("the", "applicability of the algorithm"),
    "not_applicable": ("a", "reason the algorithm does not apply"),
    "nsclc": ("a", "diagnosis of NSCLC"),
    "egfr_mutant": ("an", "EGFR mutation"),
    "cns_involvement": ("a", "CNS involvement"),
    "symptom_onset": ("a", "symptom onset"),
    "workup_gap": ("a", "gap in the workup"),
    "mri_since": ("an", "MRI since the symptom onset"),
    "first_mri": ("the", "first MRI since the symptom onset"),
    "cytology_since": ("a", "CSF cytology since the symptom onset"),
    "first_cytology": ("the", "first CSF cytology since the symptom onset"),
    "workup_complete": ("a", "complete workup since the symptom onset"),
    "symptoms_after_workup": ("a", "new or worse symptom after a complete workup"),
    "high_dose_regimen": ("an", "osimertinib 160 mg regimen"),
    "intrathecal_given": ("an", "intrathecal pemetrexed course given on the 160 mg regimen"),
    "intrathecal_first": ("the", "first intrathecal pemetrexed course on the 160 mg regimen"),
    "intrathecal_latest": ("the", "latest intrathecal pemetrexed course on the 160 mg regimen"),
    "platinum_given": ("a", "platinum course given on the 160 mg regimen"),
    "platinum_first": ("the", "first platinum course on the 160 mg regimen"),
    "platinum_latest": ("the", "latest platinum course on the 160 mg regimen"),
    "watch": ("an", "adverse effect to watch"),
    "reported": ("a", "reported adverse event"),
    "linked": ("an", "active agent linked to a severe adverse event"),
    "other_tki_in_use": ("another", "EGFR TKI in use"),
    "osimertinib_in_use": ("an", "osimertinib regimen in use"),
    "platinum_in_use": ("a", "platinum chemotherapy in use"),
    "radiotherapy_in_use": ("a", "radiotherapy in use"),
    "poor_ps": ("a", "poor performance status"),
    "severe_toxicity": ("a", "severe adverse event"),
    "recommendation": ("a", "recommendation"),
    "alert": ("an", "alert"),
    "prognosis": ("a", "prognosis note"),
}
"""Fact type -> how to name one such fact; other types are named from their own name."""

_LABELS = {
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
    "code": "code",
}
"""Fields whose values read better after a label (``EGFR mutant``); others show the value alone."""

_FLAGS = {"enhancement": "leptomeningeal enhancement", "brain_metastases": "brain metastases"}
"""Boolean fields: the words for true (false is ``no`` + the words)."""

_QUANTITIES = {
    "dose_mg": ("a dose", " mg"),
    "once_daily_mg": ("a once-daily dose", " mg"),
    "score": ("a score", ""),
    "grade": ("a grade", ""),
}
_DATE_VERBS = {
    "date": "dated",
    "start": "started",
    "end": "ended",
    "onset": "with onset",
    "done": "completed",
    "regimen_start": "on a regimen started",
    "judged_from": "with day one",
    "stop": "stopped",
}
_DATE_OPS = {"==": "on", "!=": "not on", "<": "before", "<=": "on or before", ">": "after", ">=": "on or after"}
_NUMBER_OPS = {"==": "of", "!=": "other than", "<": "below", "<=": "of at most", ">": "above", ">=": "of at least"}
_BOOKKEEPING = frozenset({"seq", "prev", "t", "sid", "n"})
_VOWEL = re.compile(r"[aeiou]", re.IGNORECASE)


def noun(fact_type: str, *, article: bool = True) -> str:
    """How to name a fact of a type: ``a CSF cytology``, ``the phase`` (or without the article)."""
    known = NOUNS.get(fact_type)
    if known is None:
        name = fact_type.replace("_", " ")
        known = ("an" if _VOWEL.match(name) else "a", name)
    return f"{known[0]} {known[1]}" if article else known[1]


def _date_verb(field: str) -> str:
    return _DATE_VERBS.get(field, field.replace("_", " "))


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("_", " ")


def _day(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "no date" if value == NO_DATE else dt.date.fromordinal(value).isoformat()
    return str(value)


def _alternatives(values: Sequence[object]) -> str:
    shown = [_value(v) for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _resolved(test: Test, bound: Mapping[str, Fact]) -> tuple[bool, Any]:
    """(known, value) of a test's value: a literal, or the field of a bound fact."""
    if isinstance(test.value, Ref):
        fact = bound.get(test.value.binding)
        if fact is None or test.value.field not in fact:
            return False, f"the {test.value.field.replace('_', ' ')} of {test.value.binding.replace('_', ' ')}"
        return True, fact[test.value.field]
    return True, test.value


_NO_DATE_WORDS = {"end": "with no end date (still running)", "start": "with no start date"}


def test_words(test: Test, bound: Mapping[str, Fact]) -> str:  # noqa: PLR0911 - one return per kind of test
    """One test in words: ``dated on or after 2026-03-01``, ``a dose of at least 160 mg``, ``positive``."""
    known, value = _resolved(test, bound)
    field, op = test.field, test.op
    if field in DATE_FIELDS:
        if known and value == NO_DATE and op == "==":
            return _NO_DATE_WORDS.get(field, f"with no {field.replace('_', ' ')} date")
        return f"{_date_verb(field)} {_DATE_OPS.get(op, op)} {_day(value) if known else value}"
    if field in ("seq", "prev"):
        if op == "==" and value == 0:
            return "the first recorded"
        if op == "==" and isinstance(test.value, Ref) and test.value.field == "prev":
            return "the one just before it"
        return {">": "another one, later in order", "<": "another one, earlier in order"}.get(op, "another one")
    if isinstance(value, bool):
        words = _FLAGS.get(field, field.replace("_", " "))
        positive = value == (op == "==")
        return words if positive else f"no {words}" if field in _FLAGS else f"not {words}"
    if field in _QUANTITIES and op not in ("in", "not in"):
        label, unit = _QUANTITIES[field]
        return f"{label} {_NUMBER_OPS.get(op, op)} {_value(value)}{unit}"
    label = f"{_LABELS[field]} " if field in _LABELS else ""
    if op in ("in", "not in"):
        shown = _alternatives(value if isinstance(value, tuple) else (value,))
        return f"{label}{'not ' if op == 'not in' else ''}{shown}"
    if op in ("==", "!="):
        return f"{label}{'not ' if op == '!=' else ''}{_value(value)}"
    return f"{field.replace('_', ' ')} {_NUMBER_OPS.get(op, op)} {_value(value)}"


def condition_words(condition: Match | NoMatch, bound: Mapping[str, Fact]) -> str:
    """A condition as the fact it asks for, e.g. ``a CSF cytology (positive) dated on or after 2026-03-01``.

    A :class:`~lmtx.dsl.NoMatch` is worded as the fact whose absence it asks
    for; the caller says that it must be absent.
    """
    qualifiers = [test_words(t, bound) for t in condition.tests if t.field not in DATE_FIELDS]
    dates = [test_words(t, bound) for t in condition.tests if t.field in DATE_FIELDS]
    text = noun(condition.fact)
    if qualifiers:
        text += f" ({', '.join(qualifiers)})"
    return " ".join([text, *dates])


def fact_words(fact: Fact) -> str:
    """A derived fact in words: its type, then its values (``phase inadequate-response``)."""
    parts: list[str] = []
    for key, value in fact.items():
        if key in _BOOKKEEPING:
            continue
        if key in DATE_FIELDS:
            if value != NO_DATE:
                parts.append(f"{'from' if key == 'start' else _date_verb(key)} {_day(value)}")
        elif isinstance(value, bool):
            words = _FLAGS.get(key, key.replace("_", " "))
            parts.append(words if value else f"no {words}" if key in _FLAGS else f"not {words}")
        elif value not in ("", None):
            parts.append(f"{_LABELS[key]} {_value(value)}" if key in _LABELS and key != "code" else _value(value))
    name = noun(str(fact["t"]), article=False)
    if not parts:
        return name
    return f"{name} {parts[0]}" if len(parts) == 1 else f"{name} ({', '.join(parts)})"


# --- input records ------------------------------------------------------------------------------


def _symptoms(symptoms: Symptoms) -> str:
    if symptoms is Symptoms.NONE:
        return "no symptoms"
    if symptoms is Symptoms.RESOLVED:
        return "symptoms resolved"
    return f"{symptoms.value} symptoms"


def _therapy(therapy: Therapy) -> str:
    text = therapy.agent.value if therapy.agent.value != "other" else f"'{therapy.name}'" if therapy.name else "other"
    if therapy.name and therapy.agent.value != "other":
        text += f" ('{therapy.name}')"
    if therapy.dose_mg is not None:
        text += f" {therapy.dose_mg:g} mg"
    if therapy.interval_days not in (None, 1):
        text += f" every {therapy.interval_days} days"
    if therapy.route is not None:
        text += f" {_value(therapy.route.value)}"
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
        return f"neurological exam {record.date.isoformat()}: {_symptoms(record.symptoms)}", record.date
    if isinstance(record, CsfCytology):
        return f"CSF cytology {record.date.isoformat()}: {record.result.value}", record.date
    if isinstance(record, MriAssessment):
        seen = "leptomeningeal enhancement" if record.leptomeningeal_enhancement else "no leptomeningeal enhancement"
        response = f", response {_value(record.response.value)}" if record.response is not None else ""
        return f"MRI {record.date.isoformat()}: {seen}{response}", record.date
    if isinstance(record, Therapy):
        # A stopped or completed therapy's age counts from its end (docs/interpretation.md#texts).
        return _therapy(record), record.end if record.end is not None else record.start
    if isinstance(record, Toxicity):
        when = f", {record.date.isoformat()}" if record.date else ""
        return f"{_value(record.term.value)} grade {record.grade}{when}", record.date
    if isinstance(record, PerformanceStatus):
        when = f", {record.date.isoformat()}" if record.date else ""
        return f"performance status {record.scale.value.upper()} {record.score}{when}", record.date
    if attrs.has(type(record)):
        shown = ", ".join(f"{k} {_value(v)}" for k, v in attrs.asdict(record, recurse=False).items() if v is not None)  # type: ignore[arg-type]
        return f"{type(record).__name__} ({shown})", getattr(record, "date", None)
    return _value(record), None


_INDEXED = re.compile(r"(?P<list>[a-z_]+)\[(?P<index>\d+)\]")


def input_words(patient: Patient, policy: Policy, path: str) -> tuple[str, dt.date | None]:
    """The input at a JSON path (``therapies[0]``, ``egfr.status``, ``policy.poor_ps_ecog``) in words."""
    indexed = _INDEXED.fullmatch(path)
    if indexed is not None:
        return record_words(getattr(patient, indexed["list"])[int(indexed["index"])])
    if path.startswith("policy."):
        name = path.removeprefix("policy.")
        return f"policy {name.replace('_', ' ')} {_value(getattr(policy, name))}", None
    value: Any = patient
    for part in path.split("."):
        value = getattr(value, part)
    if attrs.has(type(value)):
        return record_words(value)
    field = path.split(".", maxsplit=1)[0]
    if isinstance(value, bool):
        words = _FLAGS.get(field, field.replace("_", " "))
        return (words if value else f"no {words}"), None
    label = _LABELS.get(field, field.replace("_", " "))
    return f"{label} {_value(getattr(value, 'value', value))}", None
