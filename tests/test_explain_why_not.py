"""A why-not answer is for a clinician: short, in clinical words, and its events are checked.

At most 15 lines: what is not met, and at most three clinical events, dated
the evaluation date, each of which changes the advice on the code when it is
added to the record and the record is evaluated again at the same date (this
module re-evaluates to check, applying each event's JSON Patch itself). No
event edits an existing entry's agent or date. The engine's account stays
available (``detail="engine"``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lmtx
from lmtx import _codec
from lmtx import strategies as lst
from lmtx.catalogue import CATALOGUE
from tests.scenarios import load_scenarios
from tests.test_explain_words import not_clinical

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE: dict[str, Any] = json.loads((ROOT / "lmtx" / "examples" / "inadequate-response.json").read_text())
SCENARIOS = load_scenarios()
MAX_LINES = 15

_RECORD_FIELDS = {
    "/performance_status",
    "/systemic_disease",
    "/systemic_disease_date",
    "/csf_flow",
    "/csf_flow_date",
    "/brain_metastases",
    "/brain_metastases_date",
    "/egfr",
}
"""Record-level findings an event may set: a new assessment of each (never an entry's agent or date)."""
_THERAPY_FIELDS = {"status", "end", "stop_reason"}
"""What stopping a therapy (or changing its dose) sets on it; a planned one without a start also gets its start."""


def _advice(result: lmtx.Result, code: str) -> tuple[bool, str | None]:
    for item in (*result.recommendations, *result.alerts, *result.prognosis):
        if item.code == code:
            return True, getattr(item, "action", None) or getattr(item, "severity", None)
    return False, None


def _patched(record: dict[str, Any], patch: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """RFC 6902 ``add`` operations applied to a copy of the record (``-`` appends to a list)."""
    changed = copy.deepcopy(record)
    for operation in patch:
        assert operation["op"] == "add", operation
        *parents, last = operation["path"].split("/")[1:]
        target: Any = changed
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if last == "-":
            target.append(operation["value"])
        else:
            assert not isinstance(target, list), operation
            target[last] = operation["value"]
    return changed


def _dates(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k in ("date", "start", "end") and isinstance(v, str)]
    return []


def _check_event(record: dict[str, Any], event: lmtx.explain.Event, as_of: dt.date) -> None:
    """An event is dated as_of and adds: records to a list, a new finding, or a therapy's stop or start."""
    for operation in event.patch:
        path, value = operation["path"], operation["value"]
        parts = path.split("/")[1:]
        if parts[-1] == "-":
            assert all(d == as_of.isoformat() for d in _dates(value)), (path, value)
        elif parts[0] == "therapies":
            therapy = record["therapies"][int(parts[1])]
            started = parts[2] == "start" and "start" not in therapy and therapy["status"] == "planned"
            assert parts[2] in _THERAPY_FIELDS or started, path
            assert parts[2] not in therapy or parts[2] == "status", f"{path} edits {therapy}"
            if parts[2] in ("end", "start"):
                assert value == as_of.isoformat()
        else:
            assert path in _RECORD_FIELDS, path
            if path == "/performance_status":
                earlier = record.get("performance_status")
                kept = [] if earlier is None else earlier if isinstance(earlier, list) else [earlier]
                added = value if isinstance(value, list) else [value]
                assert added[: len(kept)] == kept, "an earlier assessment was edited"
                assert len(added) == len(kept) + 1
                assert _dates(added[-1]) == [as_of.isoformat()]
            if path.endswith("_date"):
                assert value == as_of.isoformat()


def _check(patient: Any, code: str, as_of: dt.date | None, policy: Any = None) -> lmtx.WhyNot:
    answer = lmtx.why_not(patient, code, as_of=as_of, policy=policy)
    text = answer.to_text()
    assert len(text.splitlines()) <= MAX_LINES, text
    assert len(answer.events) <= 3
    assert len({event.kind for event in answer.events}) == len(answer.events)
    before = _advice(lmtx.evaluate(patient, as_of=as_of, policy=policy), code)
    assert before == (answer.present, getattr(answer.item, "action", None) or getattr(answer.item, "severity", None))
    if answer.events:
        assert answer.as_of is not None
        record = _codec.unstructure_patient(lmtx.parse_patient(patient, as_of)[0])
        for event in answer.events:
            _check_event(record, event, answer.as_of)
            after = _advice(lmtx.evaluate(_patched(record, event.patch), as_of=answer.as_of, policy=policy), code)
            assert after != before, event
            assert after == (event.given, event.action), event
    return answer


# --- properties ---------------------------------------------------------------------------------


@given(lst.evaluation_cases(), st.sampled_from(sorted(CATALOGUE)), st.integers(min_value=40, max_value=160))
def test_a_why_not_answer_is_short_and_each_event_changes_the_advice(
    case: lst.EvaluationCase, code: str, width: int
) -> None:
    """At most 15 lines at any width, in clinical words; each event re-evaluated changes the advice."""
    answer = _check(case.patient, code, case.as_of)
    assert len(answer.to_text(width).splitlines()) <= MAX_LINES
    patient_id = case.patient.get("id") if isinstance(case.patient, dict) else case.patient.id
    names = tuple(t["name"] for t in case.patient.get("therapies", []) if t.get("name"))
    assert not_clinical(answer.to_text(), patient_id=patient_id, names=names) == []


# --- every scenario -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_why_not_answers_of_every_scenario(name: str) -> None:
    """Each scenario, asked about the codes it lacks of the kind it tests, and about one it has."""
    scenario = SCENARIOS[name]
    patient, as_of, policy = scenario["patient"], scenario["as_of"], scenario.get("policy")
    result = lmtx.evaluate(patient, as_of=as_of, policy=policy)
    absent = [code for code in CATALOGUE if code not in result.codes and CATALOGUE[code].output == "recommendation"]
    present = [code for code in CATALOGUE if code in result.codes]
    for code in [*absent[:3], *present[:1]]:
        answer = _check(patient, code, dt.date.fromisoformat(as_of) if as_of else None, policy)
        found = not_clinical(answer.to_text(), patient_id=patient.get("id"))
        assert found == [], (code, found)
