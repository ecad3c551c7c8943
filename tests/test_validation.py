"""Invalid input (see docs/input-format.md): every problem reported as InvalidPatient with its JSON path."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import lmtx

VALID: dict[str, Any] = {
    "id": "pt-valid",
    "histology": "adenocarcinoma",
    "egfr": {"status": "mutant", "variants": ["L858R"]},
    "performance_status": {"scale": "ecog", "score": 1, "date": "2026-01-08"},
    "brain_metastases": False,
    "neuro_exams": [{"date": "2026-01-06", "symptoms": "new"}],
    "csf_cytology": [{"date": "2026-01-09", "result": "positive"}],
    "mri": [{"date": "2026-01-08", "leptomeningeal_enhancement": True, "response": "baseline"}],
    "csf_flow": "normal",
    "systemic_disease": "controlled",
    "therapies": [
        {"agent": "osimertinib", "route": "oral", "dose_mg": 160, "status": "active", "start": "2026-01-12"},
        {"agent": "gefitinib", "dose_mg": 250, "status": "stopped", "start": "2025-01-01", "end": "2026-01-11"},
    ],
    "toxicities": [{"term": "rash", "grade": 1, "date": "2026-01-20"}],
}


def mutate(path: str, value: object) -> dict[str, Any]:
    """A copy of VALID with the value at a dotted path (``therapies.0.dose_mg``) set or deleted."""
    patient = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = patient
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return patient


DELETE = object()

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # (case id, payload, expected path, fragment of the message)
    ("unknown key", {**VALID, "histolgy": "squamous"}, "histolgy", "unknown field"),
    ("unknown nested key", mutate("therapies.0.dose", 80), "therapies[0].dose", "unknown field"),
    ("missing histology", mutate("histology", DELETE), "histology", "required"),
    ("bad enum", mutate("histology", "nsclc"), "histology", "must be one of"),
    ("number as string", mutate("therapies.0.dose_mg", "160"), "therapies[0].dose_mg", "must be a number"),
    ("boolean as number", mutate("performance_status.score", True), "performance_status.score", "must be a number"),
    ("NaN", mutate("therapies.0.dose_mg", float("nan")), "therapies[0].dose_mg", "finite"),
    ("infinity", mutate("therapies.0.dose_mg", float("inf")), "therapies[0].dose_mg", "finite"),
    ("fractional grade", mutate("toxicities.0.grade", 2.5), "toxicities[0].grade", "whole number"),
    ("number as boolean", mutate("brain_metastases", 0), "brain_metastases", "true or false"),
    ("bad date", mutate("mri.0.date", "08/01/2026"), "mri[0].date", "YYYY-MM-DD"),
    ("impossible date", mutate("mri.0.date", "2026-02-30"), "mri[0].date", "calendar date"),
    ("object instead of list", mutate("neuro_exams", {"date": "2026-01-06"}), "neuro_exams", "must be a list"),
    ("list instead of object", mutate("egfr", ["mutant"]), "egfr", "must be an object"),
    ("null for a required list item", mutate("csf_cytology.0", None), "csf_cytology[0]", "must be an object"),
    ("negative dose", mutate("therapies.0.dose_mg", -80), "therapies[0].dose_mg", "must be > 0, got -80"),
    ("zero dose", mutate("therapies.0.dose_mg", 0), "therapies[0].dose_mg", "must be > 0"),
    ("drug without dose", mutate("therapies.0.dose_mg", DELETE), "therapies[0].dose_mg", "required for osimertinib"),
    ("variants without mutant", mutate("egfr.status", "wild_type"), "egfr.variants", "need status 'mutant'"),
    ("ECOG 5", mutate("performance_status.score", 5), "performance_status.score", "deceased"),
    ("ECOG -1", mutate("performance_status.score", -1), "performance_status.score", "ECOG must be 0-4"),
    (
        "KPS 0",
        mutate("performance_status", {"scale": "kps", "score": 0}),
        "performance_status.score",
        "deceased",
    ),
    (
        "KPS not a multiple of 10",
        mutate("performance_status", {"scale": "kps", "score": 75}),
        "performance_status.score",
        "multiple of 10",
    ),
    ("grade 6", mutate("toxicities.0.grade", 6), "toxicities[0].grade", "1-5"),
    ("grade 0", mutate("toxicities.0.grade", 0), "toxicities[0].grade", "1-5"),
    (
        "start missing",
        mutate("therapies.0.start", DELETE),
        "therapies[0].start",
        "required unless the therapy is planned",
    ),
    (
        "end on an active therapy",
        mutate("therapies.0.end", "2026-02-01"),
        "therapies[0].end",
        "only a completed or stopped",
    ),
    ("end before start", mutate("therapies.1.end", "2024-12-31"), "therapies[1].end", "on or after start"),
    (
        "pemetrexed without route",
        mutate("therapies.1", {"agent": "pemetrexed", "dose_mg": 30, "status": "completed", "start": "2025-01-01"}),
        "therapies[1].route",
        "intrathecal or intravenous",
    ),
    ("wrong route", mutate("therapies.0.route", "intrathecal"), "therapies[0].route", "osimertinib is given oral"),
    (
        "radiotherapy in mg",
        mutate("therapies.1", {"agent": "radiotherapy", "status": "completed", "start": "2025-01-01", "dose_mg": 30}),
        "therapies[1].dose_mg",
        "not dosed in mg",
    ),
    (
        "two active regimens of one agent and route",
        mutate("therapies.1", {"agent": "osimertinib", "dose_mg": 80, "status": "active", "start": "2025-01-01"}),
        "therapies[1].status",
        "already an active osimertinib",
    ),
    (
        "conflicting findings on one date",
        mutate("neuro_exams", [{"date": "2026-01-06", "symptoms": "new"}, {"date": "2026-01-06", "symptoms": "none"}]),
        "neuro_exams[1].date",
        "same date",
    ),
    ("duplicate variant", mutate("egfr.variants", ["L858R", "L858R"]), "egfr.variants[1]", "listed twice"),
    ("id too long", mutate("id", "x" * 10_000), "id", "at most 256"),
    ("id not a string", mutate("id", 7), "id", "must be a string"),
]


@pytest.mark.parametrize(("payload", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_input_names_the_path(payload: dict[str, Any], path: str, fragment: str) -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(payload)
    problems = {(p.path, p.message) for p in caught.value.problems}
    assert any(p == path and fragment in m for p, m in problems), problems
    assert isinstance(caught.value, ValueError)
    assert f"{path}: " in str(caught.value)


def test_the_valid_base_record_is_valid() -> None:
    assert lmtx.evaluate(VALID).lm_status == "confirmed"


def test_every_problem_is_listed_at_once() -> None:
    payload = mutate("therapies.0.dose_mg", "a lot")
    payload["histology"] = "lung"
    payload["unexpected"] = 1
    payload["toxicities"] = [{"term": "rash", "grade": True}, {"term": "itch", "grade": 2}]
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(payload)
    assert [p.path for p in caught.value.problems] == [
        "histology",
        "therapies[0].dose_mg",
        "toxicities[0].grade",
        "toxicities[1].term",
        "unexpected",
    ]


def test_dates_after_as_of_are_errors() -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(VALID, as_of="2026-01-10")
    paths = {p.path for p in caught.value.problems}
    assert paths == {"therapies[0].start", "therapies[1].end", "toxicities[0].date"}


def test_a_planned_start_may_lie_after_as_of() -> None:
    payload = mutate("therapies.1", {"agent": "radiotherapy", "status": "planned", "start": "2027-01-01"})
    result = lmtx.evaluate(payload)
    assert result.as_of is not None
    assert result.as_of.isoformat() == "2026-01-20"


@pytest.mark.parametrize(
    ("as_of", "policy", "paths"),
    [
        ("yesterday", None, {"as_of"}),
        ("2026-02-01T10:00", None, {"as_of"}),
        (20260201, None, {"as_of"}),
        (None, {"poor_ps_ecog": 5}, {"policy.poor_ps_ecog"}),
        (None, {"poor_ps_ecog": "3"}, {"policy.poor_ps_ecog"}),
        (None, {"poor_ps_ecog": True}, {"policy.poor_ps_ecog"}),
        (None, {"poor_ps": 2}, {"policy.poor_ps"}),
        (None, [2], {"policy"}),
        ("soon", {"poor_ps_ecog": 0}, {"as_of", "policy.poor_ps_ecog"}),
    ],
)
def test_bad_as_of_and_policy(as_of: object, policy: object, paths: set[str]) -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(VALID, as_of=as_of, policy=policy)  # type: ignore[arg-type]
    assert {p.path for p in caught.value.problems} == paths


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[1, 2]",
        '"a string"',
        "null",
        "42",
        '{"histology": "squamous", "histology": "sclc"}',
        '{"histology": "squamous", "egfr": {"status": NaN}}',
        '{"histology": "squamous", "therapies": [{"dose_mg": Infinity}]}',
        "[" * 50_000 + "]" * 50_000,
        b"\xff\xfe not utf-8",
    ],
)
def test_bad_json_text(text: str | bytes) -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(text)
    assert all(p.path for p in caught.value.problems)


@pytest.mark.parametrize("value", [None, 42, ["histology"], object(), 3.5])
def test_not_a_patient_at_all(value: object) -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(value)  # type: ignore[arg-type]
    assert [p.path for p in caught.value.problems] == ["$"]


def test_non_string_keys_are_rejected() -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate({"histology": "squamous", 3: "x"})  # type: ignore[dict-item]
    assert [p.path for p in caught.value.problems] == ["$"]


def test_typed_input_is_held_to_the_same_checks() -> None:
    patient = lmtx.Patient(
        histology=lmtx.Histology.ADENOCARCINOMA,
        therapies=(lmtx.Therapy(agent=lmtx.Agent.OSIMERTINIB, status=lmtx.TherapyStatus.ACTIVE, dose_mg=-1),),
        performance_status=lmtx.PerformanceStatus(scale=lmtx.PsScale.ECOG, score=7),
    )
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(patient)
    assert {p.path for p in caught.value.problems} == {
        "therapies[0].dose_mg",
        "therapies[0].start",
        "performance_status.score",
    }


def test_problems_serialise() -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(mutate("therapies.0.dose_mg", -80))
    assert json.loads(json.dumps(caught.value.to_dict())) == {
        "error": "invalid-patient",
        "problems": [{"path": "therapies[0].dose_mg", "message": "must be > 0, got -80"}],
    }


def test_a_type_error_does_not_hide_whole_record_problems() -> None:
    payload = {
        "histology": "adenocarcinoma",
        "id": 7,
        "performance_status": {"scale": "ecog", "score": 9},
        "therapies": [{"agent": "osimertinib", "dose_mg": -80, "status": "active", "start": "2026-01-01"}],
        "toxicities": [{"term": "rash", "grade": "high"}],
    }
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(payload)
    assert [p.path for p in caught.value.problems] == [
        "id",
        "performance_status.score",
        "therapies[0].dose_mg",
        "toxicities[0].grade",
    ]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"id": "\\ud800", "histology": "squamous"}', "id"),
        ('{"id": "x\\ud800y", "histology": "squamous"}', "id"),
        ('{"id": "\\udc00\\ud800", "histology": "squamous"}', "id"),
    ],
)
def test_text_that_cannot_be_utf8_is_refused_at_its_path(text: str, path: str) -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(text)
    assert [p.path for p in caught.value.problems] == [path]
    assert "lone UTF-16 surrogate" in caught.value.problems[0].message
    str(caught.value).encode("utf-8")  # the message itself can always be written
    with pytest.raises(lmtx.InvalidPatient) as from_mapping:
        lmtx.evaluate(json.loads(text))
    assert from_mapping.value.problems == caught.value.problems


def test_a_surrogate_pair_is_one_character_and_welcome() -> None:
    result = lmtx.evaluate('{"id": "\\ud83d\\ude00", "histology": "squamous"}')
    assert result.patient_id == "\U0001f600"
    result.to_json().encode("utf-8")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_token_in_json_text_is_reported_at_its_field(token: str) -> None:
    text = (
        '{"histology": "adenocarcinoma", "therapies": [{"agent": "osimertinib", "status": "active", '
        f'"start": "2026-01-01", "dose_mg": {token}}}]}}'
    )
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate(text)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("therapies[0].dose_mg", f"must be a number, got {token}, which is not a number in JSON")
    ]


def test_a_non_finite_token_in_an_unknown_field_is_reported_too() -> None:
    with pytest.raises(lmtx.InvalidPatient) as caught:
        lmtx.evaluate('{"histology": "adenocarcinoma", "extra": {"a": [1, NaN]}}')
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("$", "holds NaN (at extra.a[1]), which is not a number in JSON"),
        ("extra", "unknown field"),
    ]


def test_empty_json_text_is_called_empty() -> None:
    for text in ("", "  \n", b""):
        with pytest.raises(lmtx.InvalidPatient) as caught:
            lmtx.evaluate(text)
        assert [(p.path, p.message) for p in caught.value.problems] == [
            ("$", "empty input; expected one JSON object (a patient record)")
        ]
