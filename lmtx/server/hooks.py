"""The two CDS services lmtx offers, and the checks on what a CDS client sends them.

``lmtx-patient-view`` answers the ``patient-view`` hook with every card;
``lmtx-order-select`` answers ``order-select`` with the cards that bear on
ordering (alerts, treatment, workup, data quality), reading the draft orders
as planned therapies. Both ask for the same prefetch.

Request bodies are checked against CDS Hooks 2.0 before anything else runs;
every problem is reported with its JSON path, and nothing malformed reaches
the FHIR mapping or the rules.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs

from lmtx import fhir

__all__ = [
    "FEEDBACK_OUTCOMES",
    "SERVICES",
    "RequestError",
    "Service",
    "check_feedback",
    "check_request",
    "discovery",
    "parse_json",
    "printable",
    "render_template",
]

_OBSERVATION_CODES = ",".join(
    [
        f"{fhir.LOINC}|89247-1",
        f"{fhir.LOINC}|89243-0",
        f"{fhir.LOINC}|21665-5",
        f"{fhir.LOINC}|69548-6",
        *(
            f"{fhir.LMTX_CODES}|{code}"
            for code in ("csf-cytology", "neuraxis-mri", "neuro-exam", "csf-flow-study", "systemic-disease-status")
        ),
    ]
)

PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}&code=" + _OBSERVATION_CODES,
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
    "adverseEvents": "AdverseEvent?subject={{context.patientId}}",
}
"""The prefetch templates of both services (FHIR R4 searches; see docs/fhir.md)."""


@attrs.frozen
class Service:
    """One CDS service: its id, hook, text and prefetch, and which cards it returns."""

    id: str
    hook: str
    title: str
    description: str
    usage_requirements: str
    card_kinds: frozenset[str]

    def to_dict(self) -> dict[str, Any]:
        """The discovery entry (CDS Hooks 2.0 "Discovery")."""
        return {
            "hook": self.hook,
            "title": self.title,
            "description": self.description,
            "id": self.id,
            "prefetch": dict(PREFETCH),
            "usageRequirements": self.usage_requirements,
        }


_USAGE = (
    "FHIR R4. Reads NSCLC histology, brain and leptomeningeal metastases (Condition), ECOG/KPS, EGFR, CSF "
    "cytology, neuraxis MRI (Observation), EGFR TKIs, pemetrexed and platinum (MedicationRequest/Statement), "
    "radiotherapy (Procedure) and graded adverse events (AdverseEvent). docs/fhir.md has the mapping table."
)
_ALL_CARDS = frozenset({"alert", "treatment", "workup", "monitoring", "prognosis", "data-quality"})

SERVICES: Mapping[str, Service] = {
    s.id: s
    for s in (
        Service(
            id="lmtx-patient-view",
            hook="patient-view",
            title="Leptomeningeal metastases in EGFR-mutant NSCLC (lmtx)",
            description=(
                "Explained recommendations, alerts and prognosis from one document on treating leptomeningeal "
                "metastases of EGFR-mutant NSCLC with osimertinib and intrathecal pemetrexed."
            ),
            usage_requirements=_USAGE,
            card_kinds=_ALL_CARDS,
        ),
        Service(
            id="lmtx-order-select",
            hook="order-select",
            title="lmtx: check orders for leptomeningeal metastases in EGFR-mutant NSCLC",
            description=(
                "Alerts and treatment suggestions for the orders being selected (draft orders are read as "
                "planned therapies), from the same document as lmtx-patient-view."
            ),
            usage_requirements=_USAGE,
            card_kinds=frozenset({"alert", "treatment", "workup", "data-quality"}),
        ),
    )
}
"""The services, by id: what discovery lists."""

FEEDBACK_OUTCOMES = frozenset({"accepted", "overridden"})
"""The feedback outcomes CDS Hooks 2.0 defines."""
MAX_JSON_DEPTH = 64
"""Deepest JSON nesting read (FHIR resources nest about ten levels)."""


class RequestError(ValueError):
    """A request the service refuses: HTTP status, error code and every problem found."""

    def __init__(self, status: int, code: str, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems or []

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.problems:
            body["problems"] = self.problems
        return body


def discovery() -> dict[str, Any]:
    """The discovery response: ``{"services": [...]}``."""
    return {"services": [service.to_dict() for service in SERVICES.values()]}


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """A prefetch template with its ``{{context.x}}`` tokens replaced (URL-encoded).

    Raises:
        RequestError: A token names a context field the request does not carry.
    """

    def replace(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        if not isinstance(value, str):
            raise RequestError(400, "invalid-request", f"context.{match.group(1)} is needed by a prefetch template")
        return quote(value, safe="")

    return re.sub(r"\{\{context\.(\w+)\}\}", replace, template)


def parse_json(body: bytes) -> Any:
    r"""Strict JSON: UTF-8, no duplicate keys, no NaN/Infinity, bounded nesting, text that is Unicode.

    JSON may escape a lone UTF-16 surrogate (``"\\ud800"``); such a string is no
    Unicode text and could not be stored, hashed or answered as UTF-8, so it is
    refused here, with the path of every field that holds one.

    Args:
        body: The raw request body.

    Returns:
        The parsed JSON value.

    Raises:
        RequestError: 400 ``invalid-json`` with the reason (and, for text that
            is not Unicode, the offending fields in ``problems``).
    """

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {printable(key)!r}")
            result[key] = value
        return result

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    def finite(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"the number {text[:40]} is out of range")
        return value

    try:
        text = body.decode("utf-8")
        data = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants, parse_float=finite)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise RequestError(400, "invalid-json", f"the body is not valid JSON: {printable(str(error))[:200]}") from None
    depth, not_unicode = _walk(data)
    if depth > MAX_JSON_DEPTH:
        raise RequestError(400, "invalid-json", f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
    if not_unicode:
        shown = [f"{path}: text that is not Unicode (a lone UTF-16 surrogate)" for path in not_unicode[:20]]
        if len(not_unicode) > len(shown):
            shown.append(f"... and {len(not_unicode) - len(shown)} more")
        raise RequestError(400, "invalid-json", "the JSON holds text that cannot be encoded as UTF-8", shown)
    return data


def printable(text: str) -> str:
    r"""``text`` with anything that cannot be written as UTF-8 (lone surrogates) shown as a ``\\u`` escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(value: Any) -> tuple[int, list[str]]:
    """The nesting depth of a JSON value, and the path of every key or string that is not Unicode text."""
    depth, level = 0, [("", value)]
    bad: list[str] = []
    while level:
        depth += 1
        nxt: list[tuple[str, Any]] = []
        for path, item in level:
            if isinstance(item, dict):
                for key, child in item.items():
                    child_path = f"{path}.{printable(key)}" if path else printable(key)
                    if not _encodable(key):
                        bad.append(child_path + " (the key)")
                    nxt.append((child_path, child))
            elif isinstance(item, list):
                nxt.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
            elif isinstance(item, str) and not _encodable(item):
                bad.append(path or "$")
        level = nxt
    return depth, bad


def _shown(value: Any, limit: int = 60) -> str:
    """A client's value as quoted in an error message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_request(service: Service, data: Any) -> None:
    """Check a service call's body against CDS Hooks 2.0 and the service's hook.

    Args:
        service: The service called.
        data: The parsed body.

    Raises:
        RequestError: 400 ``invalid-request`` listing every problem with its path.
    """
    if not isinstance(data, dict):
        raise RequestError(400, "invalid-request", "the body must be a JSON object")
    problems: list[str] = []
    if data.get("hook") != service.hook:
        problems.append(f"hook: must be {service.hook!r} for service {service.id}, got {_shown(data.get('hook'))}")
    if not isinstance(data.get("hookInstance"), str) or not data["hookInstance"]:
        problems.append("hookInstance: required, a non-empty string")
    server = data.get("fhirServer")
    if server is not None and (not isinstance(server, str) or not re.match(r"https?://[^\s/]+", server)):
        problems.append("fhirServer: must be an absolute http(s) URL")
    authorization = data.get("fhirAuthorization")
    if authorization is not None:
        if server is None:
            problems.append("fhirAuthorization: needs fhirServer")
        problems += _check_authorization(authorization)
    context = data.get("context")
    if not isinstance(context, dict):
        problems.append("context: required, an object")
    else:
        problems += _check_context(service, context)
    problems += _check_prefetch(data.get("prefetch"))
    extension = data.get("extension")
    if extension is not None and not isinstance(extension, dict):
        problems.append("extension: must be an object")
    if problems:
        raise RequestError(400, "invalid-request", "the request is not a valid CDS Hooks call", problems)


def _check_prefetch(prefetch: Any) -> list[str]:
    if prefetch is None:
        return []
    if not isinstance(prefetch, dict):
        return ["prefetch: must be an object"]
    problems = []
    for key, value in prefetch.items():
        if value is None:
            continue
        if not (isinstance(value, dict) and isinstance(value.get("resourceType"), str)):
            problems.append(f"prefetch.{key}: must be a FHIR resource (an object with a resourceType) or null")
        elif value["resourceType"] == "Bundle":
            for field in ("entry", "link"):
                if field in value and not isinstance(value[field], list):
                    problems.append(f"prefetch.{key}.{field}: must be a list")
            if "total" in value and (not isinstance(value["total"], int) or isinstance(value["total"], bool)):
                problems.append(f"prefetch.{key}.total: must be a whole number")
    return problems


def _check_authorization(authorization: Any) -> list[str]:
    if not isinstance(authorization, dict):
        return ["fhirAuthorization: must be an object"]
    problems = []
    if not isinstance(authorization.get("access_token"), str) or not authorization["access_token"]:
        problems.append("fhirAuthorization.access_token: required, a non-empty string")
    if str(authorization.get("token_type", "")).lower() != "bearer":
        problems.append("fhirAuthorization.token_type: must be 'Bearer'")
    if "expires_in" in authorization and not _is_number(authorization["expires_in"]):
        problems.append("fhirAuthorization.expires_in: must be a number")
    for key in ("scope", "subject"):
        if key in authorization and not isinstance(authorization[key], str):
            problems.append(f"fhirAuthorization.{key}: must be a string")
    return problems


def _check_context(service: Service, context: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("userId", "patientId"):
        value = context.get(key)
        if not isinstance(value, str) or not value:
            problems.append(f"context.{key}: required, a non-empty string")
    patient = context.get("patientId")
    if isinstance(patient, str) and not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", patient):
        problems.append("context.patientId: must be a FHIR id (letters, digits, '-' and '.', at most 64)")
    if "encounterId" in context and not isinstance(context["encounterId"], str):
        problems.append("context.encounterId: must be a string")
    if service.hook == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            problems.append("context.selections: required, a list of strings")
        orders = context.get("draftOrders")
        if not isinstance(orders, dict) or orders.get("resourceType") != "Bundle":
            problems.append("context.draftOrders: required, a FHIR Bundle")
        elif not isinstance(orders.get("entry", []), list):
            problems.append("context.draftOrders.entry: must be a list")
    return problems


def check_feedback(data: Any) -> list[dict[str, Any]]:
    """Check a feedback body (CDS Hooks 2.0 "Feedback") and return its items.

    Args:
        data: The parsed body.

    Returns:
        The feedback items.

    Raises:
        RequestError: 400 ``invalid-request`` listing every problem with its path.
    """
    if not isinstance(data, dict) or not isinstance(data.get("feedback"), list) or not data["feedback"]:
        raise RequestError(400, "invalid-request", 'the body must be {"feedback": [...]} with at least one item')
    problems: list[str] = []
    for i, item in enumerate(data["feedback"]):
        path = f"feedback[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{path}: must be an object")
            continue
        if not isinstance(item.get("card"), str) or not item["card"]:
            problems.append(f"{path}.card: required, the card's uuid")
        outcome = item.get("outcome")
        if not isinstance(outcome, str) or outcome not in FEEDBACK_OUTCOMES:
            problems.append(f"{path}.outcome: must be 'accepted' or 'overridden', got {_shown(outcome)}")
        timestamp = item.get("outcomeTimestamp")
        if not isinstance(timestamp, str) or not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})", timestamp
        ):
            problems.append(f"{path}.outcomeTimestamp: required, an ISO 8601 timestamp")
        accepted = item.get("acceptedSuggestions")
        if outcome == "accepted" and not accepted:
            problems.append(f"{path}.acceptedSuggestions: required for an accepted outcome")
        elif "acceptedSuggestions" in item and accepted is None:
            problems.append(f"{path}.acceptedSuggestions: null is not allowed; leave the key out")
        if accepted is not None and (
            not isinstance(accepted, list)
            or not all(isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"] for s in accepted)
        ):
            problems.append(f'{path}.acceptedSuggestions: must be a list of {{"id": <suggestion uuid>}}')
        reason = item.get("overrideReason")
        if "overrideReason" in item and not _override_reason_ok(reason):
            problems.append(f'{path}.overrideReason: must be {{"reason"?: Coding, "userComment"?: string}}')
    if problems:
        raise RequestError(400, "invalid-request", "the feedback is not valid CDS Hooks feedback", problems)
    return list(data["feedback"])


def _override_reason_ok(reason: Any) -> bool:
    if not isinstance(reason, dict) or not set(reason) <= {"reason", "userComment"}:
        return False
    coding = reason.get("reason")
    if coding is not None and not (
        isinstance(coding, dict) and isinstance(coding.get("code"), str) and isinstance(coding.get("system"), str)
    ):
        return False
    return "userComment" not in reason or isinstance(reason["userComment"], str)
