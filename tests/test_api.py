"""The public API: input forms, as_of, results and their wire format."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

import lmtx
from tests.scenarios import load_scenarios

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "lmtx" / "examples" / "inadequate-response.json"
SCENARIOS = load_scenarios()


def test_public_names_are_exported() -> None:
    for name in lmtx.__all__:
        assert getattr(lmtx, name) is not None, name


def test_every_input_form_gives_the_same_result() -> None:
    text = EXAMPLE.read_text()
    data = json.loads(text)
    typed, _ = lmtx.parse_patient(data)
    results = {lmtx.evaluate(form).to_json() for form in (text, text.encode(), bytearray(text.encode()), data, typed)}
    assert len(results) == 1


def test_as_of_defaults_to_the_latest_date_and_can_be_pinned() -> None:
    data = json.loads(EXAMPLE.read_text())
    assert lmtx.evaluate(data).as_of == dt.date(2026, 3, 3)
    assert lmtx.evaluate(data, as_of="2026-06-01").as_of == dt.date(2026, 6, 1)
    assert lmtx.evaluate(data, as_of=dt.date(2026, 6, 1)).as_of == dt.date(2026, 6, 1)
    assert lmtx.evaluate({"histology": "sclc"}).as_of is None


def test_result_round_trips_through_the_wire_format() -> None:
    for scenario in SCENARIOS.values():
        result = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
        wire = json.loads(result.to_json())
        assert wire == result.to_dict()
        again = lmtx.Result.from_dict(wire)
        assert again == result
        assert lmtx.Result.from_json(result.to_json()).to_json() == result.to_json()


def test_result_wire_format_shape() -> None:
    wire = lmtx.evaluate(EXAMPLE.read_text()).to_dict()
    assert list(wire) == [
        "patient_id",
        "as_of",
        "applicable",
        "not_applicable_reasons",
        "lm_status",
        "phase",
        "recommendations",
        "alerts",
        "prognosis",
        "trace",
        "knowledge_base",
    ]
    pemetrexed = next(r for r in wire["recommendations"] if r["code"] == "it-pemetrexed")
    assert pemetrexed["dose"] == {
        "route": "intrathecal",
        "mg_min": 30,
        "mg_max": 50,
        "frequency": "courses every 2-3 months, 2-3 administrations per course",
    }
    assert pemetrexed["statements"] == ["S07", "S01"]
    assert pemetrexed["evidence"] == ["S11", "S12", "S13"]
    assert pemetrexed["references"] == [1, 2, 4]
    assert pemetrexed["rule"] == "add-intrathecal-pemetrexed"
    osimertinib = next(r for r in wire["recommendations"] if r["code"] == "osimertinib-160")
    assert osimertinib["dose"] == {"route": "oral", "mg": 160, "frequency": "once daily"}


def test_adverse_effects_are_a_structured_list_on_their_item_only() -> None:
    wire = lmtx.evaluate(EXAMPLE.read_text()).to_dict()
    watch = next(r for r in wire["recommendations"] if r["code"] == "monitor-adverse-effects")
    # Inadequate response: osimertinib given, intrathecal pemetrexed advised.
    assert watch["adverse_effects"] == [
        "rash",
        "leukopenia",
        "neutropenia",
        "thrombocytopenia",
        "anemia",
        "aseptic_meningitis",
        "fatigue",
    ]
    assert set(watch["adverse_effects"]) <= {t.value for t in lmtx.ToxicityTerm}
    assert all("adverse_effects" not in r for r in wire["recommendations"] if r["code"] != "monitor-adverse-effects")
    result = lmtx.Result.from_dict(wire)
    assert result.adverse_effects == tuple(watch["adverse_effects"])
    assert lmtx.evaluate({"histology": "sclc"}).adverse_effects == ()
    # A result written before the field existed still reads (no key: no list).
    del watch["adverse_effects"]
    assert lmtx.Result.from_dict(wire).adverse_effects == ()


def test_alerts_and_notes_carry_a_detail() -> None:
    scenario = SCENARIOS["restart-after-osimertinib-stopped"]
    wire = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"]).to_dict()
    modification = next(a for a in wire["alerts"] if a["code"] == "dose-modification")
    assert "osimertinib 80 mg a day, stopped on 2025-12-01" in modification["detail"]
    assert modification["statements"] == ["S25"]
    note = next(p for p in wire["prognosis"] if p["code"] == "performance-status-prognostic")
    assert note["detail"] == "ECOG 1, recorded on 2026-01-05."
    assert all(isinstance(a["detail"], str) for a in wire["alerts"])


def test_result_from_dict_rejects_foreign_data() -> None:
    with pytest.raises(ValueError, match="not an lmtx result"):
        lmtx.Result.from_dict({"patient_id": "x"})


def test_trace_explains_each_item() -> None:
    result = lmtx.evaluate(EXAMPLE.read_text())
    fired = [entry.rule for entry in result.trace]
    for item in (*result.recommendations, *result.alerts, *result.prognosis):
        assert item.rule in fired
    entry = next(e for e in result.trace if e.rule == "phase-inadequate-response")
    assert entry.matched[0] == "regimen(name=osimertinib, start=2026-01-12)"
    assert entry.emitted == ("phase(value=inadequate-response)",)
    lm = next(e for e in result.trace if e.rule == "lm-confirmed")
    assert lm.matched == ("cytology(date=2026-03-03, result=positive)",)


def test_alerts_are_ordered_by_severity_then_catalogue() -> None:
    result = lmtx.evaluate(SCENARIOS["toxicities-all-kinds"]["patient"], as_of="2026-04-01")
    assert [(a.severity, a.code) for a in result.alerts] == [
        ("critical", "toxicity-myelosuppression"),
        ("warning", "toxicity-aseptic-meningitis"),
        ("warning", "dose-modification"),
        ("info", "toxicity-skin-rash"),
        ("info", "toxicity-fatigue"),
    ]
    myelosuppression = result.alert("toxicity-myelosuppression")
    assert myelosuppression is not None
    assert "thrombocytopenia" in myelosuppression.summary
    assert "grade 4" in myelosuppression.summary


def test_performance_status_note_states_the_patients_score() -> None:
    result = lmtx.evaluate(SCENARIOS["initial-switch-with-radiotherapy"]["patient"])
    note = next(p for p in result.prognosis if p.code == "performance-status-prognostic")
    assert note.summary.startswith("Performance status KPS 40 (ECOG 3)")
    assert note.rule == "prognosis-performance-status"


def test_lm_workup_names_what_is_missing() -> None:
    summaries = {
        name: lmtx.evaluate(SCENARIOS[name]["patient"]).recommendation("lm-workup")
        for name in ("suspected-no-workup", "suspected-mri-missing", "suspected-cytology-missing")
    }
    assert "MRI and a CSF cytology" in summaries["suspected-no-workup"].summary  # type: ignore[union-attr]
    assert "neuraxis MRI since" in summaries["suspected-mri-missing"].summary  # type: ignore[union-attr]
    assert "CSF cytology since" in summaries["suspected-cytology-missing"].summary  # type: ignore[union-attr]


def test_readme_example_prints_what_it_says(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "example.py"
    script.write_text(code)
    output = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    first = output.splitlines()[0]
    assert first == "confirmed initial"
    assert "osimertinib-160 increase" in output


@pytest.mark.parametrize(
    ("dose", "action"),
    [
        (1e-05, "increase"),
        (159.9995, "increase"),
        (159.99999999999997, "increase"),
        (160, "continue"),
        (1e5, "continue"),
    ],
)
def test_doses_reach_the_engine_exactly(dose: float, action: str) -> None:
    # Tiny doses once reached durable-rules as "1e-05" (the process aborted); rounding
    # them away must not move a dose across the 160 mg threshold.
    patient = {
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant"},
        "csf_cytology": [{"date": "2026-02-01", "result": "positive"}],
        "therapies": [{"agent": "osimertinib", "status": "active", "start": "2026-01-01", "dose_mg": dose}],
    }
    recommendation = lmtx.evaluate(patient).recommendation("osimertinib-160")
    assert recommendation is not None
    assert recommendation.action == action
