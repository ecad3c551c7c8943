"""The safety pack (docs/safety-pack.md): its cautions on clinical scenarios, its two properties, its switches.

Scenarios are data (``tests/safety_pack/*.json``): a record, the evaluation
date, the policy, the document's advice the scenario relies on, the pack's
cautions expected (code -> severity, in the pack's order) and words each
caution's text must contain (what triggered it, with its date).

The two properties hold for every record :mod:`lmtx.strategies` generates;
the thorough profile runs at least 10,000 examples of each::

    HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_safety_pack.py -k property

- the pack changes nothing of the document: with it on, the result without
  its items and its ``packs`` entry is, byte for byte, the result with it off
  (the trace aside: it lists the pack's firings too);
- each caution fires exactly when its trigger holds, as
  :mod:`tests.pack_oracle` (an independent reading that imports nothing of
  lmtx) reads the trigger from the record and the document's part of the result.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lmtx
from lmtx import strategies as lst
from lmtx.packs.safety import CAUTIONS, PACK_NOTE
from tests.pack_oracle import ORDER, expected_cautions

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = Path(__file__).parent / "safety_pack"
SCENARIOS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(SCENARIO_DIR.glob("*.json"))
}
EXAMPLE = ROOT / "lmtx" / "examples" / "safety-pack.json"
LMTX = Path(sys.executable).parent / "lmtx"
TIMEOUT = 600  # seconds; a hung process fails the test instead of hanging the suite
ON = {"safety_pack": True}


def scenario_params() -> list[str]:
    return sorted(SCENARIOS)


def evaluate(patient: Any, as_of: Any = None, policy: dict[str, Any] | None = None, *, pack: bool) -> lmtx.Result:
    return lmtx.evaluate(patient, as_of=as_of, policy={**(policy or {}), "safety_pack": pack})


def pack_alerts(result: lmtx.Result) -> list[lmtx.Alert]:
    return [a for a in result.alerts if a.origin == "safety-pack"]


def document_part(wire: dict[str, Any]) -> dict[str, Any]:
    """A result's wire form without the pack's items, its ``packs`` entry and the trace."""
    part = json.loads(json.dumps(wire))
    for key in ("recommendations", "alerts", "prognosis"):
        part[key] = [item for item in part[key] if item["origin"] == "document"]
    part["knowledge_base"]["packs"] = []
    del part["trace"]
    return part


def lmtx_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The console script in a real subprocess."""
    return subprocess.run([str(LMTX), *args], capture_output=True, text=True, cwd=cwd, timeout=TIMEOUT, check=False)


# --- scenarios ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", scenario_params())
def test_scenario(name: str) -> None:
    scenario = SCENARIOS[name]
    policy = scenario.get("policy") or {}
    result = evaluate(scenario["patient"], scenario["as_of"], policy, pack=True)
    advice = {r.code: r.action for r in result.recommendations}
    assert {code: advice.get(code) for code in scenario.get("advice", {})} == scenario.get("advice", {})
    alerts = pack_alerts(result)
    assert [(a.code, a.severity) for a in alerts] == list(scenario["expect"].items())
    assert expected_cautions(scenario["patient"], result.to_dict(), policy.get("poor_ps_ecog", 3)) == scenario["expect"]
    for code, words in scenario.get("mentions", {}).items():
        alert = result.alert(code)
        assert alert is not None
        for said in words:
            assert said in f"{alert.summary} {alert.detail}", (code, said)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_without_the_pack_is_the_document_alone(name: str) -> None:
    scenario = SCENARIOS[name]
    on = evaluate(scenario["patient"], scenario["as_of"], scenario.get("policy"), pack=True)
    off = evaluate(scenario["patient"], scenario["as_of"], scenario.get("policy"), pack=False)
    assert document_part(on.to_dict()) == document_part(off.to_dict())
    assert not pack_alerts(off)
    assert off.knowledge_base.packs == ()
    assert on.knowledge_base.packs == (lmtx.safety_pack().info,)
    assert "sources" not in json.dumps(off.to_dict()["alerts"])
    assert pack_alerts(on) or not scenario["expect"]


def test_every_caution_has_a_scenario() -> None:
    covered = {code for s in SCENARIOS.values() for code in s["expect"]}
    assert covered == {c.code for c in CAUTIONS}


# --- what every caution says -------------------------------------------------------------------


def check_caution(alert: lmtx.Alert) -> None:
    """A caution's fixed form: the pack's, with sources, no statement of the document, a short summary."""
    caution = lmtx.safety_pack().caution(alert.code)
    assert alert.origin == "safety-pack"
    assert alert.sources == caution.sources
    assert alert.statements == ()
    assert alert.references == ()
    assert alert.rule in {r.id for r in caution.rules}
    assert alert.summary.startswith("Safety-pack caution: ")
    assert len(alert.summary) <= 140
    assert alert.detail.startswith("Triggered")
    assert alert.detail.endswith(PACK_NOTE)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_caution_says_it_is_the_packs_and_cites_its_sources(name: str) -> None:
    scenario = SCENARIOS[name]
    result = evaluate(scenario["patient"], scenario["as_of"], scenario.get("policy"), pack=True)
    for alert in pack_alerts(result):
        check_caution(alert)
    assert lmtx.Result.from_dict(result.to_dict()) == result


def test_the_packs_data() -> None:
    pack = lmtx.safety_pack()
    assert (pack.id, pack.version) == ("lmtx-safety", "1.0.0")
    assert [c.code for c in pack.cautions] == list(ORDER)
    document_rules = {r.id for r in lmtx.knowledge_base().rules}
    for caution in pack.cautions:
        assert caution.sources
        for source in caution.sources:
            # By title and year (a year, or the document's own numbered reference), never the source's text.
            assert any(str(year) in source.citation for year in range(2004, 2026)) or "reference" in source.citation
            assert source.url is None or source.url.startswith("https://")
        for rule in caution.rules:
            assert rule.id.startswith("safety-")
            assert rule.id not in document_rules
            assert rule.statements == ()
    texts = {c.code: set(c.texts) for c in pack.cautions if c.variant is not None}
    nsclc = {"adenocarcinoma", "squamous", "large_cell", "nsclc_nos"}
    assert texts == {
        "it-blood-counts": {"info", "warning"},
        "it-csf-flow": {"unknown", "interrupted"},
        "egfr-testing": nsclc,
    }
    assert [info.rule for info in pack.rules] == [rule for c in pack.cautions for rule in c.rules]
    # A knowledge base of its own: listing it changes nothing of the document's.
    assert pack.digest != lmtx.knowledge_base().digest
    assert pack.to_dict()["cautions"][0]["sources"][0]["citation"].startswith("ClinicalTrials.gov")


# --- the two properties ------------------------------------------------------------------------

cases = lst.evaluation_cases()
policies = st.integers(1, 4)


@given(cases, policies)
def test_property_the_pack_changes_nothing_of_the_document(case: lst.EvaluationCase, poor_ps_ecog: int) -> None:
    policy = {"poor_ps_ecog": poor_ps_ecog}
    on = evaluate(case.patient, case.as_of, policy, pack=True)
    off = evaluate(case.patient, case.as_of, policy, pack=False)
    off_wire = off.to_dict()
    assert off_wire["knowledge_base"]["packs"] == []
    assert all(i["origin"] == "document" for k in ("recommendations", "alerts", "prognosis") for i in off_wire[k])
    on_wire = on.to_dict()
    assert on_wire["knowledge_base"]["packs"] == [
        {"id": "lmtx-safety", "version": lmtx.safety_pack().version, "digest": lmtx.safety_pack().digest}
    ]
    del off_wire["trace"]
    assert json.dumps(document_part(on_wire), ensure_ascii=False) == json.dumps(off_wire, ensure_ascii=False)
    # The pack's alerts come after the document's, and the result reads back whole.
    origins = [a.origin for a in on.alerts]
    assert origins == sorted(origins, key=lambda o: o == "safety-pack")
    assert lmtx.Result.from_dict(on_wire) == on


@given(cases, policies)
def test_property_each_caution_fires_exactly_when_its_trigger_holds(
    case: lst.EvaluationCase, poor_ps_ecog: int
) -> None:
    result = evaluate(case.patient, case.as_of, {"poor_ps_ecog": poor_ps_ecog}, pack=True)
    alerts = pack_alerts(result)
    assert {a.code: a.severity for a in alerts} == expected_cautions(case.patient, result.to_dict(), poor_ps_ecog)
    assert [a.code for a in alerts] == [code for code in ORDER if result.alert(code) is not None]
    for alert in alerts:
        check_caution(alert)


# --- switching it on ---------------------------------------------------------------------------


def test_policy_turns_it_on_and_is_checked() -> None:
    assert lmtx.Policy().safety_pack is False
    assert lmtx.Policy().to_dict() == {"poor_ps_ecog": 3, "safety_pack": False}
    example = EXAMPLE.read_text(encoding="utf-8")
    assert lmtx.evaluate(example, policy=lmtx.Policy(safety_pack=True)) == lmtx.evaluate(example, policy=ON)
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.evaluate(example, policy={"safety_pack": "yes"})
    assert [p.path for p in raised.value.problems] == ["policy.safety_pack"]


def test_cache_and_batch_keep_the_pack_apart() -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    cache = lmtx.ResultCache()
    off = lmtx.evaluate(example, cache=cache)
    on = lmtx.evaluate(example, policy=ON, cache=cache)
    assert off != on
    assert cache.misses == 2
    assert lmtx.evaluate(example, policy=ON, cache=cache) is on
    [outcome] = lmtx.evaluate_many([example], policy=ON)
    assert isinstance(outcome, lmtx.Evaluated)
    assert outcome.result == on


def test_command_line_evaluate_with_and_without_the_pack() -> None:
    """The issue's record: intrathecal pemetrexed advised, no CSF flow study, a grade 3 neutropenia."""
    with_pack = lmtx_cli("evaluate", str(EXAMPLE), "--safety-pack")
    assert with_pack.returncode == 0, with_pack.stderr
    data = json.loads(with_pack.stdout)
    cautions = {a["code"]: a for a in data["alerts"] if a["origin"] == "safety-pack"}
    assert {code: a["severity"] for code, a in cautions.items()} == {
        "it-premedication": "info",
        "it-blood-counts": "warning",
        "it-csf-flow": "info",
        "it-dose-trials": "info",
    }
    assert all(a["sources"] and all(s["citation"] for s in a["sources"]) for a in cautions.values())
    assert data["knowledge_base"]["packs"] == [attrs_dict(lmtx.safety_pack().info)]
    without = lmtx_cli("evaluate", str(EXAMPLE))
    assert without.returncode == 0, without.stderr
    assert without.stdout == lmtx.evaluate(EXAMPLE.read_text(encoding="utf-8")).to_json(indent=2) + "\n"
    off = json.loads(without.stdout)
    assert '"origin": "safety-pack"' not in without.stdout
    del off["trace"]
    assert document_part(data) == off


def test_the_identity_check_takes_out_exactly_the_two_additions() -> None:
    """benchmarks/wire_identity.py compare: 0.3.1's output equals today's without origin and packs."""
    from benchmarks.wire_identity import without_pack_fields

    example = EXAMPLE.read_text(encoding="utf-8")
    off, on = lmtx.evaluate(example).to_json(), lmtx.evaluate(example, policy=ON).to_json()
    older = json.loads(off)
    for key in ("recommendations", "alerts", "prognosis"):
        for item in older[key]:
            del item["origin"]
    del older["knowledge_base"]["packs"]
    assert without_pack_fields(off) == json.dumps(older, ensure_ascii=False)
    assert without_pack_fields(json.dumps(older, ensure_ascii=False)) == json.dumps(older, ensure_ascii=False)
    with pytest.raises(ValueError, match="a pack was on"):
        without_pack_fields(on)


def attrs_dict(info: lmtx.PackInfo) -> dict[str, str]:
    return {"id": info.id, "version": info.version, "digest": info.digest}


def test_command_line_explain_timeline_batch_audit_and_rules(tmp_path: Path) -> None:
    explained = lmtx_cli("explain", str(EXAMPLE), "--safety-pack")
    assert explained.returncode == 0, explained.stderr
    assert "SAFETY PACK CAUTIONS" in explained.stdout
    assert "NCT05289908" in explained.stdout
    assert "Chamberlain et al." in explained.stdout
    plain = lmtx_cli("explain", str(EXAMPLE))
    assert "SAFETY PACK" not in plain.stdout
    assert "Safety-pack caution" not in plain.stdout

    course = lmtx_cli("timeline", str(EXAMPLE), "--safety-pack", "--format", "json")
    assert course.returncode == 0, course.stderr
    timeline = json.loads(course.stdout)
    assert timeline["knowledge_base"]["packs"] == [attrs_dict(lmtx.safety_pack().info)]
    assert "it-csf-flow" in timeline["steps"][-1]["alerts"]
    course_off = json.loads(lmtx_cli("timeline", str(EXAMPLE), "--format", "json").stdout)
    assert course_off["knowledge_base"]["packs"] == []
    assert course_off["concordance"] == timeline["concordance"]

    cohort = tmp_path / "cohort.jsonl"
    records = [SCENARIOS[name]["patient"] for name in sorted(SCENARIOS)]
    cohort.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    batch = lmtx_cli("batch", str(cohort), "--safety-pack")
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [r["knowledge_base"]["packs"] for r in lines] == [[attrs_dict(lmtx.safety_pack().info)]] * len(records)
    audit_on = json.loads(lmtx_cli("audit", str(cohort), "--safety-pack").stdout)
    audit_off = json.loads(lmtx_cli("audit", str(cohort)).stdout)
    assert audit_on["knowledge_base"].pop("packs") == [attrs_dict(lmtx.safety_pack().info)]
    assert audit_off["knowledge_base"].pop("packs") == []
    assert audit_on == audit_off

    rules = lmtx_cli("rules", "--safety-pack")
    assert rules.returncode == 0, rules.stderr
    assert "rule safety-it-csf-flow-unknown" in rules.stdout
    assert "source: Chamberlain et al." in rules.stdout
    by_code = json.loads(lmtx_cli("rules", "--code", "it-csf-flow", "--format", "json").stdout)
    assert [c["code"] for c in by_code["cautions"]] == ["it-csf-flow"]


def test_explanation_lists_the_cautions_apart() -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    report = lmtx.explanation(example, policy=ON)
    text = report.to_text()
    document, pack = (" ".join(part.split()) for part in text.split("SAFETY PACK CAUTIONS", 1))
    assert "it-csf-flow" in pack
    assert "rule safety-it-csf-flow-unknown" in pack
    assert "it-csf-flow" not in document.split("PROGNOSIS")[0].split("ALERTS")[-1]
    assert f"Safety pack lmtx-safety {lmtx.safety_pack().version}" in text
    wire = report.to_dict()
    assert [a["code"] for a in wire["alerts"]] == [a.code for a in report.result.alerts]
    assert lmtx.explanation(example).to_text() == lmtx.explanation(example, policy={"safety_pack": False}).to_text()


def test_timeline_and_audit_keep_their_counts() -> None:
    records = [s["patient"] for s in SCENARIOS.values()]
    for record in records[:4]:
        on, off = lmtx.timeline(record, policy=ON), lmtx.timeline(record)
        assert on.concordance == off.concordance
        assert [s.recommendations for s in on.steps] == [s.recommendations for s in off.steps]
        assert on.steps[-1].result == lmtx.evaluate(record, policy=ON)
    report_on, report_off = lmtx.audit(records, policy=ON), lmtx.audit(records)
    assert report_on.knowledge_base["packs"] == [attrs_dict(lmtx.safety_pack().info)]
    assert report_off.knowledge_base["packs"] == []
    assert report_on.recommendations == report_off.recommendations
    assert report_on.not_indicated == report_off.not_indicated


# --- the CDS Hooks service ---------------------------------------------------------------------


def cards(config: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    from lmtx.server import create_app
    from tests.test_server import hook_request

    app = create_app({**config, "feedback_db": str(tmp_path / "feedback.sqlite3")})

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post(
                "/cds-services/lmtx-patient-view", json=hook_request("lm-inadequate-response.bundle.json")
            )

    response = asyncio.run(call())
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["cards"]
    return found


def test_cds_cards_of_the_pack_say_so_and_name_their_sources(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    on = cards({"safety_pack": True}, tmp_path)
    off = cards({}, tmp_path)
    pack_cards = [c for c in on if c["summary"].startswith("Safety-pack caution")]
    assert pack_cards
    for card in pack_cards:
        assert card["detail"].startswith("**A caution of lmtx's safety pack, not of the document.**")
        assert "- **Sources:**" in card["detail"]
        assert card["source"]["label"] == "lmtx safety pack (not the document)"
        assert card["source"]["url"].startswith("https://")
        assert "`safety-" in card["detail"]
    assert not [c for c in off if "safety pack" in c["detail"].lower()]
    assert [c["summary"] for c in off] == [c["summary"] for c in on if c not in pack_cards]


def test_service_configuration_key() -> None:
    pytest.importorskip("starlette")
    from lmtx.server import ConfigError, load_config

    assert load_config({"safety_pack": True}).policy == lmtx.Policy(safety_pack=True)
    assert load_config({}).policy.safety_pack is False
    with pytest.raises(ConfigError, match="safety_pack: must be a boolean"):
        load_config({"safety_pack": "yes"})
