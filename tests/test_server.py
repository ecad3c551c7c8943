"""The CDS Hooks service (lmtx.server): the real server on loopback, called with a real HTTP client.

Each server runs as ``python -m lmtx.server`` in a subprocess on a free port of
127.0.0.1; a small fake FHIR server (a thread, also on loopback) stands in for
an EHR's FHIR API. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

import lmtx
from lmtx.fhir import from_bundle
from lmtx.server import ConfigError, FeedbackStore, ServerConfig, check_listen, create_app, fetch, load_config
from lmtx.server.config import FhirFetchConfig
from lmtx.server.hooks import PREFETCH, render_template
from tests.test_fhir import synthea_like_bundle

DATA = Path(__file__).parent / "fhir"
ISSUER = "https://ehr.example.org"
KID = "ehr-signing-key-1"
PREFETCH_KEYS = (
    "patient",
    "conditions",
    "observations",
    "medicationRequests",
    "medicationStatements",
    "procedures",
    "adverseEvents",
)
_KEY_OF_TYPE = {
    "Patient": "patient",
    "Condition": "conditions",
    "Observation": "observations",
    "MedicationRequest": "medicationRequests",
    "MedicationStatement": "medicationStatements",
    "Procedure": "procedures",
    "AdverseEvent": "adverseEvents",
}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def prefetch_from(bundle: dict[str, Any]) -> dict[str, Any]:
    """What a CDS client would prefetch for the services' templates, from one patient's bundle."""
    searches: dict[str, list[dict[str, Any]]] = {key: [] for key in PREFETCH_KEYS if key != "patient"}
    prefetch: dict[str, Any] = {"patient": None}
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    local = patient.get("fullUrl")
    for entry in bundle["entry"]:
        resource = json.loads(json.dumps(entry["resource"]))
        for key in ("subject", "patient"):  # a FHIR server gives references as Type/id, not urn:uuid
            if local and resource.get(key) == {"reference": local}:
                resource[key] = {"reference": f"Patient/{patient['resource']['id']}"}
        key = _KEY_OF_TYPE.get(resource["resourceType"])
        if key == "patient":
            prefetch["patient"] = resource
        elif key is not None:
            searches[key].append({"fullUrl": entry.get("fullUrl"), "resource": resource})
    for key, entries in searches.items():
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": entries} if entries else None
    return prefetch


def hook_request(bundle_name: str, *, hook: str = "patient-view", hook_instance: str | None = None) -> dict[str, Any]:
    bundle = load(bundle_name)
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    return {
        "hookInstance": hook_instance or "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "hook": hook,
        "context": {"userId": "Practitioner/example", "patientId": patient},
        "prefetch": prefetch_from(bundle),
    }


# --- running servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_config(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def running_server(config: Path, port: int | None = None) -> Iterator[str]:
    """``python -m lmtx.server`` on 127.0.0.1; yields its base URL once it answers."""
    port = port or free_port()
    log = (config.parent / f"server-{port}.log").open("w+", encoding="utf-8")
    command = [sys.executable, "-m", "lmtx.server", "--host", "127.0.0.1", "--port", str(port), "--config", str(config)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a readiness wait, not a timing assertion
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(f"the server exited with {process.returncode}:\n{log.read()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/lmtx/knowledge-base", timeout=2).status_code == 200:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


class FakeFhirServer:
    """A read-only FHIR R4 server on loopback, serving one bundle's resources; records each request."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.resources = [e["resource"] for e in bundle["entry"]]
        self.requests: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, self.headers.get("Authorization")))
                status, body = fake.answer(self.path)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeFhirServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        segments = parts.path.removeprefix("/fhir/").split("/")
        kind = segments[0]
        if len(segments) == 2:
            found = [r for r in self.resources if r["resourceType"] == kind and r["id"] == segments[1]]
            return (200, found[0]) if found else (404, {"resourceType": "OperationOutcome", "issue": []})
        patient = query.get("patient") or query.get("subject")
        matches = [
            r
            for r in self.resources
            if r["resourceType"] == kind
            and (r.get("subject") or r.get("patient") or {}).get("reference") == f"Patient/{patient}"
        ]
        if "code" in query:
            wanted = set(query["code"].split(","))
            matches = [
                r
                for r in matches
                if any(f"{c.get('system')}|{c.get('code')}" in wanted for c in r["code"].get("coding", []))
            ]
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(matches)}
        if kind == "Observation" and "page" not in query and len(matches) > 3:
            rest = dict(query, page="2")
            next_url = f"{self.base}/Observation?" + "&".join(f"{k}={v}" for k, v in rest.items())
            if patient == "lm-evil":
                next_url = "http://127.0.0.2:9/fhir/Observation?page=2"
            bundle["link"] = [{"relation": "next", "url": next_url}]
            matches = matches[:3]
        elif query.get("page") == "2":
            matches = matches[3:]
        bundle["entry"] = [{"resource": r} for r in matches]
        return 200, bundle


# --- the CDS Hooks response shape ------------------------------------------------------------------


def assert_no_empty_values(value: Any, path: str = "$") -> None:
    """CDS Hooks 2.0: JSON elements SHALL NOT be null or empty."""
    assert value not in (None, "", [], {}), f"{path} is null or empty"
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_empty_values(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_no_empty_values(item, f"{path}[{index}]")


def assert_cds_response(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Check a service response against CDS Hooks 2.0 ("CDS Service Response", "Card Attributes")."""
    assert set(body) == {"cards"}
    cards: list[dict[str, Any]] = body["cards"]
    assert isinstance(cards, list)
    uuids = [card["uuid"] for card in cards]
    assert len(set(uuids)) == len(uuids)
    for card in cards:
        assert_no_empty_values(card)
        allowed = {
            "uuid",
            "summary",
            "detail",
            "indicator",
            "source",
            "suggestions",
            "selectionBehavior",
            "overrideReasons",
        }
        assert set(card) <= allowed
        assert uuid.UUID(card["uuid"]).version == 5
        assert isinstance(card["summary"], str)
        assert len(card["summary"]) <= 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert isinstance(card["detail"], str)
        source = card["source"]
        assert isinstance(source["label"], str)
        assert source["url"].startswith(("http://", "https://"))
        assert set(source["topic"]) == {"system", "code", "display"}
        assert ("suggestions" in card) == ("selectionBehavior" in card)
        if "suggestions" in card:
            assert card["selectionBehavior"] in ("at-most-one", "any")
            recommended = [s for s in card["suggestions"] if s.get("isRecommended")]
            if card["selectionBehavior"] == "at-most-one":
                assert len(recommended) <= 1
            for suggestion in card["suggestions"]:
                assert isinstance(suggestion["label"], str)
                uuid.UUID(suggestion["uuid"])
                assert isinstance(suggestion["isRecommended"], bool)
                for action in suggestion.get("actions", []):
                    assert action["type"] in ("create", "update", "delete")
                    assert isinstance(action["description"], str)
                    resource = action["resource"]
                    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        for reason in card.get("overrideReasons", []):
            assert {"system", "code", "display"} <= set(reason)
    return cards


def topics(cards: list[dict[str, Any]]) -> list[list[str]]:
    return [[c["indicator"], c["source"]["topic"]["code"], c["summary"]] for c in cards]


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_fhir() -> Iterator[FakeFhirServer]:
    bundles = [load("lm-inadequate-response.bundle.json"), load("lm-probable-on-erlotinib.bundle.json")]
    evil = json.loads(json.dumps(load("lm-inadequate-response.bundle.json")).replace("lm-001", "lm-evil"))
    merged = {"entry": [e for b in (*bundles, evil) for e in b["entry"]]}
    with FakeFhirServer(merged) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fake_fhir: FakeFhirServer) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("server")
    config = write_config(
        folder / "lmtx.toml",
        [
            "max_body_bytes = 4_194_304",
            'feedback_db = "feedback.sqlite3"',
            "[fhir_fetch]",
            "enabled = true",
            f'allowed_servers = ["{fake_fhir.base}"]',
            "max_pages = 5",
        ],
    )
    with running_server(config) as base:
        yield base


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as http:
        yield http


# --- discovery -------------------------------------------------------------------------------------


def test_discovery(client: httpx.Client) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()["services"]}
    assert {sid: s["hook"] for sid, s in services.items()} == {
        "lmtx-patient-view": "patient-view",
        "lmtx-order-select": "order-select",
    }
    for service in services.values():
        assert service["description"]
        assert service["title"]
        assert set(service["prefetch"]) == set(PREFETCH_KEYS)
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert all("{{context.patientId}}" in template for template in service["prefetch"].values())
        assert "http://loinc.org|89247-1" in service["prefetch"]["observations"]


def test_knowledge_base_page_is_the_cards_source(client: httpx.Client) -> None:
    page = client.get("/lmtx/knowledge-base").json()
    assert page["id"] == "lmtx-egfr-lm"
    assert page["digest"].startswith("sha256:")
    assert len(page["statements"]) == 30


# --- hook calls ---------------------------------------------------------------------------------


def test_patient_view_cards_from_a_bundle(client: httpx.Client) -> None:
    response = client.post("/cds-services/lmtx-patient-view", json=hook_request("lm-inadequate-response.bundle.json"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    cards = assert_cds_response(response.json())
    assert topics(cards) == load("lm-inadequate-response.cards.json")
    pemetrexed = next(c for c in cards if c["summary"].startswith("Add intrathecal pemetrexed"))
    (suggestion,) = pemetrexed["suggestions"]
    assert suggestion["isRecommended"] is True
    (action,) = suggestion["actions"]
    order = action["resource"]
    assert (action["type"], order["status"], order["intent"]) == ("create", "draft", "proposal")
    assert order["subject"] == {"reference": "Patient/lm-001"}
    dosage = order["dosageInstruction"][0]
    assert dosage["route"]["coding"][0]["code"] == "72607000"
    assert dosage["doseAndRate"][0]["doseRange"]["low"]["value"] == 30
    assert dosage["doseAndRate"][0]["doseRange"]["high"]["value"] == 50
    patient = from_bundle(load("lm-inadequate-response.bundle.json")).patient
    assert patient is not None
    expected = lmtx.evaluate(patient)
    recommendation = expected.recommendation("it-pemetrexed")
    assert recommendation is not None
    for sid in (*recommendation.statements, *recommendation.evidence):
        assert f"{sid} (" in pemetrexed["detail"]
    assert f"**Rule:** `{recommendation.rule}`" in pemetrexed["detail"]
    assert expected.knowledge_base.digest[:19] in pemetrexed["detail"]
    assert cards[0]["source"]["url"].endswith("/lmtx/knowledge-base")


def test_cards_name_the_adverse_effect_terms_and_what_decided(client: httpx.Client) -> None:
    """The monitoring card lists the result's adverse effects as toxicity terms; the prognosis card its details."""
    request = hook_request("lm-inadequate-response.bundle.json")
    result = lmtx.evaluate(from_bundle(load("lm-inadequate-response.bundle.json")).patient)
    cards = assert_cds_response(client.post("/cds-services/lmtx-patient-view", json=request).json())
    monitoring = next(c for c in cards if c["source"]["topic"]["code"] == "monitoring")
    assert result.adverse_effects  # intrathecal pemetrexed is advised: its effects are listed too
    terms = ", ".join(f"`{term}`" for term in result.adverse_effects)
    assert f"- **Adverse effects to watch (toxicity terms):** {terms}" in monitoring["detail"]
    prognosis = next(c for c in cards if c["source"]["topic"]["code"] == "prognosis")
    details = [note.detail for note in result.prognosis if note.detail]
    assert details  # the performance status with its date
    assert all(detail in prognosis["detail"] for detail in details)


def test_cards_are_reproducible_and_unique_per_hook_instance(client: httpx.Client) -> None:
    request = hook_request("lm-inadequate-response.bundle.json")
    first = client.post("/cds-services/lmtx-patient-view", json=request)
    again = client.post("/cds-services/lmtx-patient-view", json=request)
    assert first.content == again.content
    other = client.post(
        "/cds-services/lmtx-patient-view",
        json=hook_request("lm-inadequate-response.bundle.json", hook_instance=str(uuid.uuid4())),
    )
    a, b = first.json()["cards"], other.json()["cards"]
    assert [c["summary"] for c in a] == [c["summary"] for c in b]
    assert not {c["uuid"] for c in a} & {c["uuid"] for c in b}


def test_probable_lm_on_erlotinib(client: httpx.Client) -> None:
    response = client.post("/cds-services/lmtx-patient-view", json=hook_request("lm-probable-on-erlotinib.bundle.json"))
    cards = assert_cds_response(response.json())
    assert [c["indicator"] for c in cards][:3] == ["warning"] * 3
    switch = next(c for c in cards if c["summary"].startswith("Switch from the current EGFR TKI"))
    (action,) = switch["suggestions"][0]["actions"]
    assert action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 160
    quality = next(c for c in cards if c["source"]["topic"]["code"] == "data-quality")
    assert quality["indicator"] == "info"
    assert "Condition/lm" in quality["detail"]


def test_unmapped_lm_diagnosis_gets_a_warning_card(client: httpx.Client) -> None:
    response = client.post(
        "/cds-services/lmtx-patient-view", json=hook_request("lm-diagnosis-without-findings.bundle.json")
    )
    cards = assert_cds_response(response.json())
    quality = next(c for c in cards if c["source"]["topic"]["code"] == "data-quality")
    assert quality["indicator"] == "warning"
    assert quality["summary"].startswith("lmtx left out 1 FHIR resource")
    assert "Condition/lm" in quality["detail"]
    assert "no field for the diagnosis" in quality["detail"]


def test_messy_record_escapes_input_text_in_markdown(client: httpx.Client) -> None:
    response = client.post("/cds-services/lmtx-patient-view", json=hook_request("messy-record.bundle.json"))
    cards = assert_cds_response(response.json())
    quality = next(c for c in cards if c["source"]["topic"]["code"] == "data-quality")
    assert quality["indicator"] == "warning"
    assert "Observation/egfr\\-text" in quality["detail"]
    assert "wild\\-type" in quality["detail"]
    warnings = [c["summary"] for c in cards if c["indicator"] == "warning"]
    # The dose-modification summary names what the event is linked to (docs/interpretation.md#toxicity).
    assert any(summary.startswith("Grade 3 neutropenia linked to cisplatin: dose changes") for summary in warnings)
    assert any(summary.startswith("Myelosuppression (grade 3 neutropenia)") for summary in warnings)


def test_doses_the_core_cannot_take_do_not_reach_it(client: httpx.Client) -> None:
    # durable-rules aborted the process on numbers JSON writes with an exponent (1e-05, 1e+16):
    # the FHIR mapping reports such doses instead of passing them on, so the service stays up.
    for value in (1e-05, 1e16, 1e20):
        request = hook_request("lm-inadequate-response.bundle.json")
        order = request["prefetch"]["medicationRequests"]["entry"][0]["resource"]
        order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] = {"value": value, "unit": "mg"}
        response = client.post("/cds-services/lmtx-patient-view", json=request)
        assert response.status_code == 200
        cards = assert_cds_response(response.json())
        assert any("not a plausible dose" in c["detail"] for c in cards)
    assert client.get("/cds-services").status_code == 200


def test_a_record_without_lung_cancer_gets_no_cards(client: httpx.Client) -> None:
    noise = synthea_like_bundle(
        {"entry": [{"resource": {"resourceType": "Patient", "id": "healthy-1"}}]}, encounters=20
    )
    request = {
        "hookInstance": "a-hook-instance",
        "hook": "patient-view",
        "context": {"userId": "Practitioner/example", "patientId": "healthy-1"},
        "prefetch": prefetch_from(noise),
    }
    response = client.post("/cds-services/lmtx-patient-view", json=request)
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def test_an_invalid_selected_draft_is_not_echoed_in_an_update(client: httpx.Client) -> None:
    """A selected draft that is not valid FHIR (found by the fuzz test): lmtx suggests a new order instead."""
    request = hook_request("order-select-osimertinib-80.bundle.json", hook="order-select")
    request["context"]["selections"] = ["MedicationRequest/draft-osimertinib"]
    request["context"]["draftOrders"] = load("order-select-osimertinib-80.draft-orders.json")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    for change in ({"colour": "blue"}, {"note": []}):  # no such element in R4; an empty array
        request["context"]["draftOrders"]["entry"][0]["resource"] = {**order, **change}
        response = client.post("/cds-services/lmtx-order-select", json=request)
        cards = assert_cds_response(response.json())  # every suggested resource valid FHIR R4, nothing empty
        start = next(c for c in cards if c["summary"].startswith("Start osimertinib 160 mg"))
        (action,) = start["suggestions"][0]["actions"]
        assert action["type"] == "create"
        assert action["resource"]["intent"] == "proposal"  # lmtx's own new order, not the client's draft
        assert "colour" not in action["resource"]


def spec_order_select_request() -> dict[str, Any]:
    """The CDS Hooks specification's order-select example (amoxicillin), with the spec's own Patient as prefetch."""
    greeting = load("cds-hooks-spec/patient-view-request.json")
    example = load("cds-hooks-spec/order-select-context-r4.json")
    prefetch: dict[str, Any] = dict.fromkeys(PREFETCH_KEYS)
    prefetch["patient"] = greeting["prefetch"]["patientToGreet"]  # Patient/1288992, the same patient
    return {
        "hookInstance": "a7a5c2b4-6bcd-4b87-a6d8-9a3b4c4b8e21",
        "hook": "order-select",
        "context": example["context"],
        "prefetch": prefetch,
    }


def test_the_specifications_order_select_example_gets_no_cards(client: httpx.Client) -> None:
    """Amoxicillin for a patient without lung cancer: out of scope, so no cards (its doseAndRate slip is read)."""
    request = spec_order_select_request()
    assert isinstance(
        request["context"]["draftOrders"]["entry"][1]["resource"]["dosageInstruction"][0]["doseAndRate"], dict
    )
    response = client.post("/cds-services/lmtx-order-select", json=request)
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def test_no_lung_cancer_with_an_unreadable_resource_gets_a_card_saying_so(client: httpx.Client) -> None:
    request = spec_order_select_request()
    order = request["context"]["draftOrders"]["entry"][1]["resource"]
    order["dosageInstruction"][0]["doseAndRate"] = "5 mL"  # not a slip lmtx can mend: it could hold anything
    response = client.post("/cds-services/lmtx-order-select", json=request)
    (card,) = assert_cds_response(response.json())
    assert card["indicator"] == "warning"
    assert card["source"]["topic"]["code"] == "data-quality"
    assert card["summary"] == "lmtx found no lung cancer in this record but could not read 1 FHIR resource; check them."
    assert "MedicationRequest/smart\\-MedicationRequest\\-103" in card["detail"]


def test_lung_cancer_without_histology_gets_a_could_not_evaluate_card(client: httpx.Client) -> None:
    request = hook_request("lm-inadequate-response.bundle.json")
    conditions = request["prefetch"]["conditions"]["entry"]
    primary = next(e["resource"] for e in conditions if e["resource"]["id"] == "primary-nsclc")
    primary["code"] = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C34.90"}]}
    del primary["extension"]
    response = client.post("/cds-services/lmtx-patient-view", json=request)
    (card,) = assert_cds_response(response.json())
    assert card["indicator"] == "warning"
    assert card["source"]["topic"]["code"] == "data-quality"
    assert card["summary"].startswith("lmtx could not evaluate this record: lung cancer (Condition/primary-nsclc)")
    assert "without a histology" in card["summary"]


def test_synthea_style_prefetch_gives_the_same_cards_as_its_core(client: httpx.Client) -> None:
    core = client.post("/cds-services/lmtx-patient-view", json=hook_request("lm-inadequate-response.bundle.json"))
    big = synthea_like_bundle(load("lm-inadequate-response.bundle.json"))
    request = hook_request("lm-inadequate-response.bundle.json")
    request["prefetch"] = prefetch_from(big)
    assert len(json.dumps(request)) > 1_000_000
    response = client.post("/cds-services/lmtx-patient-view", json=request)
    assert response.status_code == 200
    assert response.json() == core.json()


def test_order_select_updates_the_selected_draft(client: httpx.Client) -> None:
    request = hook_request("order-select-osimertinib-80.bundle.json", hook="order-select")
    request["context"]["selections"] = ["MedicationRequest/draft-osimertinib"]
    request["context"]["draftOrders"] = load("order-select-osimertinib-80.draft-orders.json")
    response = client.post("/cds-services/lmtx-order-select", json=request)
    cards = assert_cds_response(response.json())
    kinds = {c["source"]["topic"]["code"] for c in cards}
    assert kinds <= {"alert", "treatment", "workup", "data-quality"}
    start = next(c for c in cards if c["summary"].startswith("Start osimertinib 160 mg"))
    (action,) = start["suggestions"][0]["actions"]
    assert action["type"] == "update"
    assert action["resource"]["id"] == "draft-osimertinib"
    assert action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 160
    wrong_hook = dict(request, hook="patient-view")
    assert client.post("/cds-services/lmtx-order-select", json=wrong_hook).status_code == 400


# --- prefetch and FHIR fetch -----------------------------------------------------------------------


def test_missing_prefetch_without_a_fhir_server_is_412(client: httpx.Client) -> None:
    request = hook_request("lm-inadequate-response.bundle.json")
    del request["prefetch"]["observations"]
    response = client.post("/cds-services/lmtx-patient-view", json=request)
    assert response.status_code == 412
    assert response.json()["error"] == "prefetch-unavailable"
    assert "observations" in response.json()["message"]


def test_fhir_server_not_allowed_is_never_called(client: httpx.Client, fake_fhir: FakeFhirServer) -> None:
    request = hook_request("lm-inadequate-response.bundle.json")
    del request["prefetch"]
    request["fhirServer"] = "http://127.0.0.1:9/fhir"
    request["fhirAuthorization"] = {
        "access_token": "t",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "x",
        "subject": "lmtx",
    }
    before = len(fake_fhir.requests)
    response = client.post("/cds-services/lmtx-patient-view", json=request)
    assert response.status_code == 412
    assert "not a FHIR server this service is allowed to call" in response.json()["message"]
    assert len(fake_fhir.requests) == before


def test_fetch_from_the_fhir_server_when_prefetch_is_absent(client: httpx.Client, fake_fhir: FakeFhirServer) -> None:
    prefetched = client.post("/cds-services/lmtx-patient-view", json=hook_request("lm-inadequate-response.bundle.json"))
    request = hook_request("lm-inadequate-response.bundle.json")
    kept = {"patient": request["prefetch"]["patient"]}
    request["prefetch"] = kept
    request["fhirServer"] = fake_fhir.base
    token = f"access-{uuid.uuid4()}"
    request["fhirAuthorization"] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "lmtx",
    }
    before = len(fake_fhir.requests)
    response = client.post("/cds-services/lmtx-patient-view", json=request)
    assert response.status_code == 200
    assert response.json() == prefetched.json()
    calls = fake_fhir.requests[before:]
    assert {auth for _, auth in calls} == {f"Bearer {token}"}
    paths = [path for path, _ in calls]
    assert not any(p.startswith("/fhir/Patient/") for p in paths)  # prefetched, so not fetched
    assert sum(p.startswith("/fhir/Observation?") for p in paths) == 2  # two pages followed
    assert len(paths) == 7


def test_a_next_link_to_another_server_is_refused(client: httpx.Client, fake_fhir: FakeFhirServer) -> None:
    request = hook_request("lm-inadequate-response.bundle.json")
    request["context"]["patientId"] = "lm-evil"
    del request["prefetch"]
    request["fhirServer"] = fake_fhir.base
    request["fhirAuthorization"] = {
        "access_token": "t",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "x",
        "subject": "lmtx",
    }
    response = client.post("/cds-services/lmtx-patient-view", json=request)
    assert response.status_code == 412
    assert "another server" in response.json()["message"]


def _first_page(fake_fhir: FakeFhirServer, patient: str) -> dict[str, Any]:
    """The first page of the observations search, as the FHIR server gives it to a CDS client."""
    query = render_template(PREFETCH["observations"], {"patientId": patient})
    page: dict[str, Any] = httpx.get(f"{fake_fhir.base}/{query}", timeout=30).json()
    return page


def _authorization(token: str = "t") -> dict[str, Any]:
    return {"access_token": token, "token_type": "Bearer", "expires_in": 300, "scope": "x", "subject": "lmtx"}


def test_a_paginated_prefetch_is_completed_on_the_fhir_server(client: httpx.Client, fake_fhir: FakeFhirServer) -> None:
    whole = client.post(_SERVICE, json=hook_request("lm-inadequate-response.bundle.json"))
    first = _first_page(fake_fhir, "lm-001")
    assert len(first["entry"]) < first["total"]
    assert first["link"][0]["relation"] == "next"
    request = hook_request("lm-inadequate-response.bundle.json")
    request["prefetch"]["observations"] = first
    token = f"access-{uuid.uuid4()}"
    request["fhirServer"] = fake_fhir.base
    request["fhirAuthorization"] = _authorization(token)
    before = len(fake_fhir.requests)
    response = client.post(_SERVICE, json=request)
    assert response.status_code == 200
    assert response.json() == whole.json()
    assert any(
        c["summary"].startswith("Increase to osimertinib 160 mg") or "160 mg" in c["summary"]
        for c in whole.json()["cards"]
    )
    (call,) = fake_fhir.requests[before:]  # only the second page: everything else was prefetched
    assert call[0].startswith("/fhir/Observation?")
    assert "page=2" in call[0]
    assert call[1] == f"Bearer {token}"


@pytest.mark.parametrize("case", ["no-fhir-server", "server-not-allowed", "no-next-link", "next-page-short"])
def test_a_paginated_prefetch_that_cannot_be_completed_is_412(
    client: httpx.Client, fake_fhir: FakeFhirServer, case: str
) -> None:
    # The issue's record: the observations searchset with 2 of its entries, its total and a next link.
    partial = _first_page(fake_fhir, "lm-001")
    partial["entry"] = partial["entry"][:2]
    total = partial["total"]
    assert total == 10
    request = hook_request("lm-inadequate-response.bundle.json")
    request["prefetch"]["observations"] = partial
    expected = "prefetch observations only the first page of a search"
    if case == "server-not-allowed":
        request["fhirServer"] = "http://127.0.0.1:9/fhir"
        request["fhirAuthorization"] = _authorization()
        expected += " (it has a next link), and fhirServer is not a FHIR server this service is allowed to call"
    elif case == "no-next-link":
        del partial["link"]
        expected = f"prefetch observations holds 2 of its {total} search results and no next link"
    elif case == "next-page-short":  # the server's second page starts at the fourth match: the third is lost
        request["fhirServer"] = fake_fhir.base
        request["fhirAuthorization"] = _authorization()
        expected = (
            f"fetching the record: prefetch observations: the search has {total} results and its pages hold {total - 1}"
        )
    else:
        expected += " (it has a next link), and the request carries no fhirServer with fhirAuthorization"
    before = len(fake_fhir.requests)
    response = client.post(_SERVICE, json=request)
    assert response.status_code == 412
    assert response.json() == {"error": "prefetch-incomplete", "message": expected}
    assert len(fake_fhir.requests) - before == (1 if case == "next-page-short" else 0)


def test_following_pages_is_bounded(fake_fhir: FakeFhirServer) -> None:
    """fetch.follow against the loopback FHIR server: relative next links, the resource and page limits."""
    first = _first_page(fake_fhir, "lm-001")
    base = fake_fhir.base
    first["link"][0]["url"] = first["link"][0]["url"].removeprefix(base + "/")  # a relative next link

    async def follow(settings: FhirFetchConfig) -> dict[str, Any]:
        async with fetch.new_client() as http:
            return await fetch.follow(http, settings, base, "t", first, what="Observation")

    whole = asyncio.run(follow(FhirFetchConfig(enabled=True, allowed_servers=(base,))))
    assert len(whole["entry"]) == first["total"]
    with pytest.raises(fetch.FetchError, match="Observation: more than 4 resources"):
        asyncio.run(follow(FhirFetchConfig(enabled=True, allowed_servers=(base,), max_resources=4)))
    with pytest.raises(fetch.FetchError, match="Observation: more than 1 pages of results"):
        asyncio.run(follow(FhirFetchConfig(enabled=True, allowed_servers=(base,), max_pages=1)))


# --- limits and refusals ---------------------------------------------------------------------------


def test_request_bodies_over_the_limit_are_refused(client: httpx.Client) -> None:
    limit = 4_194_304
    big = b'{"pad": "' + b"x" * limit + b'"}'
    response = client.post("/cds-services/lmtx-patient-view", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "payload-too-large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        yield b'{"pad": "'
        for _ in range(5):
            yield b"x" * 1_000_000
        yield b'"}'

    response = client.post(
        "/cds-services/lmtx-patient-view/feedback", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


_JSON = {"content-type": "application/json"}
_SERVICE = "/cds-services/lmtx-patient-view"


@pytest.mark.parametrize(
    "case",
    [
        ("POST", "/cds-services/nope", b"{}", _JSON, 404, "unknown-service"),
        ("GET", _SERVICE, None, {}, 405, "method-not-allowed"),
        ("GET", "/elsewhere", None, {}, 404, "not-found"),
        ("POST", _SERVICE, b"{}", {"content-type": "text/plain"}, 415, "unsupported-media-type"),
        ("POST", _SERVICE, b"{", _JSON, 400, "invalid-json"),
        ("POST", _SERVICE, b'{"a": NaN}', _JSON, 400, "invalid-json"),
        ("POST", _SERVICE, b"[]", _JSON, 400, "invalid-request"),
        ("POST", _SERVICE, b"[" * 100 + b"]" * 100, _JSON, 400, "invalid-json"),
    ],
    ids=["unknown-service", "get-a-service", "unknown-path", "text-plain", "truncated", "nan", "array", "deep"],
)
def test_bad_requests_get_json_errors(client: httpx.Client, case: tuple[Any, ...]) -> None:
    method, path, body, headers, status, error = case
    response = client.request(method, path, content=body, headers=headers)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert "Traceback" not in response.text


def test_invalid_request_lists_every_problem(client: httpx.Client) -> None:
    request = {"hook": "order-select", "context": {"patientId": "has spaces"}, "prefetch": {"patient": "x"}}
    response = client.post("/cds-services/lmtx-patient-view", json=request)
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert any(p.startswith("hook:") for p in problems)
    assert any(p.startswith("hookInstance:") for p in problems)
    assert any(p.startswith("context.userId:") for p in problems)
    assert any(p.startswith("context.patientId:") for p in problems)
    assert any(p.startswith("prefetch.patient:") for p in problems)


def _feedback_item(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
        "outcome": "overridden",
        "overrideReason": {"reason": {"code": "d7ecf885", "system": "urn:x"}, "userComment": "A comment."},
        "outcomeTimestamp": "2020-12-11T00:00:00Z",
    }
    item.update(changes)
    return item


_LONE = ["\ud800", "x\ud800y", "\udc00\ud800"]


@pytest.mark.parametrize("text", _LONE)
def test_a_lone_surrogate_in_hook_instance_is_refused_at_the_door(client: httpx.Client, text: str) -> None:
    request = hook_request("lm-inadequate-response.bundle.json", hook_instance=text)
    body = json.dumps(request).encode()  # ensure_ascii writes the surrogate as a \u escape, as a client would
    response = client.post(_SERVICE, content=body, headers=_JSON)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid-json"
    assert response.json()["problems"] == ["hookInstance: text that is not Unicode (a lone UTF-16 surrogate)"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (_feedback_item(card="\ud800"), "feedback[0].card"),
        (
            _feedback_item(outcome="accepted", acceptedSuggestions=[{"id": "x\ud800y"}]),
            "feedback[0].acceptedSuggestions[0].id",
        ),
        (
            _feedback_item(overrideReason={"reason": {"code": "\udc00\ud800", "system": "urn:x"}}),
            "feedback[0].overrideReason.reason.code",
        ),
        (_feedback_item(overrideReason={"userComment": "\ud800"}), "feedback[0].overrideReason.userComment"),
    ],
    ids=["card", "accepted-suggestion-id", "override-reason-code", "user-comment"],
)
def test_a_lone_surrogate_in_feedback_is_refused_at_the_door(
    client: httpx.Client, item: dict[str, Any], field: str
) -> None:
    body = json.dumps({"feedback": [item]}).encode()
    response = client.post(f"{_SERVICE}/feedback", content=body, headers=_JSON)
    assert response.status_code == 400
    assert response.json()["problems"] == [f"{field}: text that is not Unicode (a lone UTF-16 surrogate)"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (_feedback_item(outcome=["accepted"]), "feedback[0].outcome"),
        (_feedback_item(acceptedSuggestions=None), "feedback[0].acceptedSuggestions"),
        (_feedback_item(overrideReason=None), "feedback[0].overrideReason"),
        (_feedback_item(outcome={"accepted": True}), "feedback[0].outcome"),
    ],
    ids=["outcome-list", "accepted-suggestions-null", "override-reason-null", "outcome-object"],
)
def test_mistyped_feedback_fields_are_400_naming_the_field(
    client: httpx.Client, item: dict[str, Any], field: str
) -> None:
    response = client.post(f"{_SERVICE}/feedback", json={"feedback": [item]})
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert [p.split(":")[0] for p in problems] == [field]


def test_the_specifications_feedback_examples_are_stored(client: httpx.Client) -> None:
    for name in ("feedback-accepted.json", "feedback-overridden.json", "feedback-overridden-with-reason.json"):
        body = load(f"cds-hooks-spec/{name}")
        response = client.post(f"{_SERVICE}/feedback", json=body)
        assert response.status_code == 200, name
        assert response.json() == {"stored": 1}


def test_numbers_json_cannot_hold_are_refused(client: httpx.Client) -> None:
    response = client.post(_SERVICE, content=b'{"hook": 1e400}', headers=_JSON)
    assert response.status_code == 400
    assert "out of range" in response.json()["message"]


Malformed = tuple[str, str, bytes | None, dict[str, str]]
_JUNK: list[Any] = [None, True, 0, -1, 1e308, "", "x" * 300, [], {}, [None], {"resourceType": 5}, "Patient/../../etc"]


def _random_bytes(rng: random.Random, valid: bytes) -> Malformed:
    return "POST", _SERVICE, rng.randbytes(rng.randint(0, 400)), _JSON


def _truncated(rng: random.Random, valid: bytes) -> Malformed:
    return "POST", _SERVICE, valid[: rng.randint(0, len(valid) - 1)], _JSON


def _top_level_field(rng: random.Random, valid: bytes) -> Malformed:
    data = json.loads(valid)
    key = rng.choice(["hook", "hookInstance", "context", "prefetch", "fhirServer", "fhirAuthorization", "extension"])
    if rng.random() < 0.5:
        data.pop(key, None)
    else:
        data[key] = rng.choice(_JUNK)
    return "POST", _SERVICE, json.dumps(data).encode(), _JSON


def _context_field(rng: random.Random, valid: bytes) -> Malformed:
    data = json.loads(valid)
    data["context"][rng.choice(["patientId", "userId", "encounterId"])] = rng.choice(_JUNK)
    return "POST", _SERVICE, json.dumps(data).encode(), _JSON


def _prefetch_value(rng: random.Random, valid: bytes) -> Malformed:
    data = json.loads(valid)
    junk = [*_JUNK, {"resourceType": "Observation"}, {"resourceType": "Bundle", "entry": "x"}]
    data["prefetch"][rng.choice(PREFETCH_KEYS)] = rng.choice(junk)
    return "POST", _SERVICE, json.dumps(data).encode(), _JSON


def _resource_field(rng: random.Random, valid: bytes) -> Malformed:
    """A FHIR resource with one field replaced by junk: a 200 (reported as unmapped) or a 4xx, never a 5xx."""
    data = json.loads(valid)
    key = rng.choice([k for k in PREFETCH_KEYS if data["prefetch"][k] is not None])
    value = data["prefetch"][key]
    resource = value if value["resourceType"] != "Bundle" else rng.choice(value["entry"])["resource"]
    resource[rng.choice(sorted(resource))] = rng.choice(_JUNK)
    return "POST", _SERVICE, json.dumps(data).encode(), _JSON


def _content_type(rng: random.Random, valid: bytes) -> Malformed:
    return (
        "POST",
        _SERVICE,
        valid,
        rng.choice([{}, {"content-type": "text/plain"}, {"content-type": "application/xml"}]),
    )


def _feedback(rng: random.Random, valid: bytes) -> Malformed:
    stamp = "2026-01-01T00:00:00Z"
    body = rng.choice(
        [
            {},
            {"feedback": []},
            {"feedback": [{"card": 5, "outcome": "maybe"}]},
            {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "yesterday"}]},
            {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": stamp}]},
            {"feedback": [{"card": "c", "outcome": "overridden", "outcomeTimestamp": stamp, "overrideReason": "no"}]},
            [1, 2, 3],
        ]
    )
    return "POST", f"{_SERVICE}/feedback", json.dumps(body).encode(), _JSON


def _path_and_method(rng: random.Random, valid: bytes) -> Malformed:
    method = rng.choice(["GET", "PUT", "DELETE", "PATCH", "POST"])
    target = rng.choice(
        ["/cds-services/../etc/passwd", "/cds-services/%00", "/cds-services/x/y/z", "/", f"{_SERVICE}/feedback/x"]
    )
    return method, target, b"{}", _JSON


def _hostile_json(rng: random.Random, valid: bytes) -> Malformed:
    body = rng.choice([b'{"hook": 1, "hook": 2}', b'{"x": Infinity}', b"[" * 5000 + b"]" * 5000, b'"\\ud800"'])
    return "POST", _SERVICE, body, _JSON


def _order_select(rng: random.Random, valid: bytes) -> Malformed:
    data = json.loads(valid)
    data["hook"] = "order-select"
    if rng.random() < 0.5:
        data["context"]["draftOrders"] = rng.choice(_JUNK)
    return "POST", "/cds-services/lmtx-order-select", json.dumps(data).encode(), _JSON


def _fhir_server(rng: random.Random, valid: bytes) -> Malformed:
    data = json.loads(valid)
    data["fhirServer"] = rng.choice(["file:///etc/passwd", "ftp://x", "http://", "javascript:alert(1)"])
    return "POST", _SERVICE, json.dumps(data).encode(), _JSON


_MALFORMERS = (
    _random_bytes,
    _truncated,
    _top_level_field,
    _context_field,
    _prefetch_value,
    _resource_field,
    _content_type,
    _feedback,
    _path_and_method,
    _hostile_json,
    _order_select,
    _fhir_server,
)


def _malformed_requests(rng: random.Random, count: int) -> Iterator[Malformed]:
    """Deterministic malformed, truncated, mistyped and hostile requests, each kind in turn."""
    valid = json.dumps(hook_request("lm-inadequate-response.bundle.json")).encode()
    for index in range(count):
        yield _MALFORMERS[index % len(_MALFORMERS)](rng, valid)


def test_a_thousand_malformed_requests_never_get_a_5xx(client: httpx.Client) -> None:
    statuses: dict[int, int] = {}
    for method, path, body, headers in _malformed_requests(random.Random(20260301), 1000):
        response = client.request(method, path, content=body, headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (method, path, body[:200] if body else body, response.text[:500])
        payload = response.json()
        if response.status_code >= 400:
            assert isinstance(payload["error"], str)
            assert isinstance(payload["message"], str)
        else:
            assert_cds_response(payload)
    assert sum(statuses.values()) == 1000
    assert {200, 400, 404, 405, 412, 415, 422} <= set(statuses)  # every kind of answer was exercised
    assert client.get("/cds-services").status_code == 200  # still serving


# --- feedback -------------------------------------------------------------------------------------


def test_feedback_is_appended_and_survives_a_restart(tmp_path: Path) -> None:
    config = write_config(tmp_path / "lmtx.toml", ['feedback_db = "log/feedback.sqlite3"'])
    request = hook_request("lm-inadequate-response.bundle.json")
    with running_server(config) as base, httpx.Client(base_url=base, timeout=60) as http:
        cards = http.post("/cds-services/lmtx-patient-view", json=request).json()["cards"]
        treatment = next(c for c in cards if c.get("suggestions"))
        feedback = {
            "feedback": [
                {
                    "card": treatment["uuid"],
                    "outcome": "accepted",
                    "acceptedSuggestions": [{"id": treatment["suggestions"][0]["uuid"]}],
                    "outcomeTimestamp": "2026-03-03T10:00:00Z",
                },
                {
                    "card": cards[-1]["uuid"],
                    "outcome": "overridden",
                    "overrideReason": {
                        "reason": {"system": "urn:lmtx:override-reason", "code": "patient-preference"},
                        "userComment": "Prefers to wait a week.",
                    },
                    "outcomeTimestamp": "2026-03-03T10:01:00Z",
                },
            ]
        }
        response = http.post("/cds-services/lmtx-patient-view/feedback", json=feedback)
        assert response.status_code == 200
        assert response.json() == {"stored": 2}
        assert (
            http.post("/cds-services/lmtx-patient-view/feedback", json={"feedback": [{"card": "x"}]}).status_code == 400
        )
    with running_server(config) as base, httpx.Client(base_url=base, timeout=60) as http:
        later = {
            "feedback": [
                {"card": cards[0]["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-03-04T08:00:00+01:00"}
            ]
        }
        assert http.post("/cds-services/lmtx-order-select/feedback", json=later).json() == {"stored": 1}
    entries = FeedbackStore(tmp_path / "log" / "feedback.sqlite3").entries()
    assert [(e.id, e.service_id, e.card_uuid, e.outcome) for e in entries] == [
        (1, "lmtx-patient-view", treatment["uuid"], "accepted"),
        (2, "lmtx-patient-view", cards[-1]["uuid"], "overridden"),
        (3, "lmtx-order-select", cards[0]["uuid"], "overridden"),
    ]
    assert entries[0].accepted_suggestions == (treatment["suggestions"][0]["uuid"],)
    assert entries[1].override_reason is not None
    assert entries[1].override_reason["userComment"] == "Prefers to wait a week."
    assert entries[2].outcome_timestamp == "2026-03-04T08:00:00+01:00"


# --- JWT bearer authentication ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing_key() -> ECKey:
    return ECKey.generate_key("P-384", parameters={"kid": KID, "alg": "ES384"}, private=True)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory, signing_key: ECKey) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("auth")
    (folder / "ehr-jwks.json").write_text(json.dumps({"keys": [signing_key.as_dict(private=False)]}))
    port = free_port()
    config = write_config(
        folder / "lmtx.toml",
        [
            f'base_url = "http://127.0.0.1:{port}"',
            'feedback_db = "feedback.sqlite3"',
            "[auth]",
            "enabled = true",
            "leeway_seconds = 5",
            "max_token_age_seconds = 120",
            f'[auth.issuers."{ISSUER}"]',
            'jwks_file = "ehr-jwks.json"',
        ],
    )
    with running_server(config, port) as base:
        yield base


def make_token(key: ECKey | OctKey, audience: Any, *, alg: str = "ES384", kid: str = KID, **changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": audience, "exp": now + 120, "iat": now, "jti": str(uuid.uuid4())}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": kid}, claims, key, algorithms=[alg])


def test_jwt_accepted(auth_server: str, signing_key: ECKey) -> None:
    service = f"{auth_server}/cds-services/lmtx-patient-view"
    with httpx.Client(timeout=60) as http:
        discovery = http.get(
            f"{auth_server}/cds-services",
            headers={"Authorization": f"Bearer {make_token(signing_key, f'{auth_server}/cds-services')}"},
        )
        assert discovery.status_code == 200
        for audience in (service, [service, "https://other.example"]):
            response = http.post(
                service,
                json=hook_request("lm-inadequate-response.bundle.json"),
                headers={"Authorization": f"Bearer {make_token(signing_key, audience)}"},
            )
            assert response.status_code == 200, response.text
            assert_cds_response(response.json())
        feedback = {"feedback": [{"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-03-03T10:00:00Z"}]}
        response = http.post(
            f"{service}/feedback",
            json=feedback,
            headers={"Authorization": f"Bearer {make_token(signing_key, f'{service}/feedback')}"},
        )
        assert response.status_code == 200


def _unsigned(audience: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": ISSUER, "aud": audience, "exp": now + 60, "iat": now, "jti": str(uuid.uuid4())}
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': KID})}.{part(claims)}."


def test_jwt_rejected(auth_server: str, signing_key: ECKey) -> None:
    service = f"{auth_server}/cds-services/lmtx-patient-view"
    impostor = ECKey.generate_key("P-384", parameters={"kid": KID, "alg": "ES384"}, private=True)
    now = int(time.time())
    cases = {
        "no header": None,
        "not bearer": f"Basic {base64.b64encode(b'a:b').decode()}",
        "garbage": "Bearer not.a.jwt",
        "wrong audience": f"Bearer {make_token(signing_key, f'{auth_server}/cds-services/lmtx-order-select')}",
        "expired": f"Bearer {make_token(signing_key, service, exp=now - 60, iat=now - 90)}",
        "issued in the future": f"Bearer {make_token(signing_key, service, iat=now + 600, exp=now + 900)}",
        "issued too long ago": f"Bearer {make_token(signing_key, service, iat=now - 3600, exp=now + 60)}",
        "untrusted issuer": f"Bearer {make_token(signing_key, service, iss='https://evil.example')}",
        "other key, same kid": f"Bearer {make_token(impostor, service)}",
        "unknown kid": f"Bearer {make_token(signing_key, service, kid='another-kid')}",
        "no jti": f"Bearer {make_token(signing_key, service, jti=None)}",
        "no exp": f"Bearer {make_token(signing_key, service, exp=None)}",
        "shared secret (HS256)": f"Bearer {make_token(OctKey.import_key(b'x' * 32), service, alg='HS256')}",
        "unsigned (alg none)": f"Bearer {_unsigned(service)}",
    }
    with httpx.Client(timeout=60) as http:
        for name, header in cases.items():
            headers = {"Authorization": header} if header else {}
            response = http.post(service, json=hook_request("lm-inadequate-response.bundle.json"), headers=headers)
            assert response.status_code == 401, (name, response.text)
            assert response.json()["error"] == "unauthorized", name
            assert response.headers["www-authenticate"].startswith("Bearer"), name
        assert http.get(f"{auth_server}/cds-services").status_code == 401


def test_jwt_replay_is_rejected(auth_server: str, signing_key: ECKey) -> None:
    service = f"{auth_server}/cds-services/lmtx-patient-view"
    headers = {"Authorization": f"Bearer {make_token(signing_key, service)}"}
    with httpx.Client(timeout=60) as http:
        request = hook_request("lm-inadequate-response.bundle.json")
        assert http.post(service, json=request, headers=headers).status_code == 200
        replay = http.post(service, json=request, headers=headers)
        assert replay.status_code == 401
        assert "jti" in replay.json()["message"]


# --- configuration ------------------------------------------------------------------------------


def test_the_service_needs_httpx_only_to_fetch(tmp_path: Path) -> None:
    code = f"""
import sys
sys.modules["httpx"] = None  # as if httpx were not installed
from lmtx.server import ConfigError, create_app
create_app({{"feedback_db": {str(tmp_path / "f.sqlite3")!r}}})
try:
    create_app({{"feedback_db": {str(tmp_path / "f.sqlite3")!r},
                "fhir_fetch": {{"enabled": True, "allowed_servers": ["https://ehr.example.org/fhir"]}}}})
except ConfigError as error:
    print(error)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert run.stdout.strip() == "fhir_fetch.enabled needs httpx: pip install httpx"


def test_invalid_configuration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        create_app(
            {
                "max_body_bytes": -1,
                "colour": "blue",
                "fhir_fetch": {"enabled": True, "max_resources": 0, "total_timeout_seconds": -1},
                "auth": {"enabled": True, "algorithms": ["HS256"]},
            }
        )
    message = str(error.value)
    for expected in (
        "max_body_bytes",
        "colour: unknown key",
        "allowed_servers",
        "fhir_fetch.max_resources: must be > 0",
        "fhir_fetch.total_timeout_seconds: must be > 0",
        "auth.issuers",
        "auth.algorithms",
    ):
        assert expected in message
    secret = tmp_path / "secret-jwks.json"
    secret.write_text(json.dumps({"keys": [OctKey.import_key(b"x" * 32).as_dict(private=True)]}))
    with pytest.raises(ConfigError, match="public keys only"):
        create_app(
            {
                "feedback_db": str(tmp_path / "f.sqlite3"),
                "auth": {"enabled": True, "issuers": {ISSUER: {"jwks_file": str(secret)}}},
            }
        )
    bad = write_config(tmp_path / "bad.toml", ["max_body_bytes = 'lots'"])
    run = subprocess.run(
        [sys.executable, "-m", "lmtx.server", "--config", str(bad), "--port", str(free_port())],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 2
    assert "max_body_bytes: must be a whole number" in run.stderr


# --- safe by default when exposed ------------------------------------------------------------------


@pytest.mark.parametrize("command", [["lmtx", "serve"], ["lmtx.server"]], ids=["lmtx-serve", "python-m-lmtx-server"])
def test_listening_beyond_loopback_without_auth_is_refused(tmp_path: Path, command: list[str]) -> None:
    config = write_config(tmp_path / "lmtx.toml", ['feedback_db = "feedback.sqlite3"'])
    run = subprocess.run(
        [sys.executable, "-m", *command, "--host", "0.0.0.0", "--port", str(free_port()), "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 2
    assert "refusing to listen on 0.0.0.0 (beyond loopback) without JWT verification" in run.stderr
    for advice in ("[auth]", "enabled = true", "jwks_file", "--host 127.0.0.1", "--insecure-listen-without-auth"):
        assert advice in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "feedback.sqlite3").exists()  # refused before anything was set up


def test_check_listen() -> None:
    plain = ServerConfig()
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert check_listen(host, plain) is None
    for host in ("0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "cds.example.org", ""):
        with pytest.raises(ConfigError, match="without JWT verification"):
            check_listen(host, plain)
    warning = check_listen("0.0.0.0", plain, insecure=True)
    assert warning is not None
    assert warning.startswith("listening on 0.0.0.0 without JWT verification")
    by_key = load_config({"insecure_listen_without_auth": True})
    assert check_listen("0.0.0.0", by_key) == warning
    assert check_listen("0.0.0.0", attrs.evolve(plain, auth=attrs.evolve(plain.auth, enabled=True))) is None
    with pytest.raises(ConfigError, match="insecure_listen_without_auth: must be a boolean"):
        load_config({"insecure_listen_without_auth": "yes"})


def test_the_insecure_flag_starts_the_service_with_a_warning(tmp_path: Path) -> None:
    config = write_config(tmp_path / "lmtx.toml", ['feedback_db = "feedback.sqlite3"'])
    port = free_port()
    command = [sys.executable, "-m", "lmtx", "serve", "--host", "0.0.0.0", "--port", str(port)]
    command += ["--config", str(config), "--insecure-listen-without-auth"]
    log = (tmp_path / "serve.log").open("w+", encoding="utf-8")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    try:
        for _ in range(600):  # a readiness wait, not a timing assertion; the test talks to loopback only
            assert process.poll() is None, "the service exited"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=2).status_code == 200:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("the service did not start")
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.seek(0)
        stderr = log.read()
        log.close()
    assert "lmtx serve: WARNING: listening on 0.0.0.0 without JWT verification" in stderr


def _scenario_cards(name: str) -> tuple[lmtx.Result, list[dict[str, Any]]]:
    """A clinical scenario's result, and its patient-view cards."""
    from lmtx.server.cards import build_cards
    from lmtx.server.hooks import SERVICES

    scenario = json.loads((DATA.parent / "scenarios" / f"{name}.json").read_text())
    result = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"])
    cards = build_cards(
        service=SERVICES["lmtx-patient-view"],
        hook_instance="d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        patient_id="p1",
        result=result,
        mapping=from_bundle(load("lm-inadequate-response.bundle.json")),
        source_url="https://example.org/lmtx",
    )
    return result, cards


def test_an_alert_card_says_what_decided_the_alert() -> None:
    """An alert's detail (here: when and at what dose osimertinib was stopped) reaches its card."""
    result, cards = _scenario_cards("restart-after-osimertinib-stopped-twice")
    stopped = result.alert("prior-osimertinib-stopped")
    assert stopped is not None
    assert "2025-12-15" in stopped.detail
    card = next(c for c in cards if c["summary"] == stopped.summary)
    assert card["indicator"] == "warning"
    assert card["detail"].startswith(stopped.detail + "\n")


def test_the_refusal_without_a_configuration_file_names_no_file() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "lmtx", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 2
    assert "refusing to listen on 0.0.0.0" in run.stderr
    assert "invalid configuration" not in run.stderr


@pytest.mark.parametrize(
    ("scenario", "code", "action"),
    [
        ("tolerance-160-reduced-to-80-for-rash", "osimertinib-tolerated", "continue"),
        ("tolerance-withhold-resume-inadequate-response", "osimertinib-tolerated", "resume"),
        ("tolerance-80-stopped-grade-4-attributed-review", "osimertinib-tolerated", "review"),
        ("hold-intrathecal-course-stopped-for-toxicity", "it-pemetrexed", "hold"),
    ],
)
def test_a_card_for_the_dose_tolerated_or_a_hold_orders_nothing(scenario: str, code: str, action: str) -> None:
    """osimertinib-tolerated and a hold are advice the team doses itself: their cards offer no order."""
    result, cards = _scenario_cards(scenario)
    item = result.recommendation(code)
    assert item is not None
    assert item.action == action
    card = next(c for c in cards if c["summary"] == item.summary)
    (suggestion,) = card["suggestions"]
    assert "actions" not in suggestion
    assert "0-0 mg" not in card["detail"]
    if action == "hold":
        assert suggestion["label"] == "Hold intrathecal pemetrexed"
        assert "**Dose:**" not in card["detail"]
