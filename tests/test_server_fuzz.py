"""Property-based fuzzing of the CDS Hooks service's door: no request a client can send gets a 5xx.

Hypothesis builds hook calls and feedback field by field from valid requests
(lmtx's own records and the CDS Hooks specification's feedback examples):
each example replaces, removes, adds or duplicates fields anywhere in the body
with wrong JSON types, lone UTF-16 surrogates and other odd Unicode, deep
nesting, huge strings and arrays, NaN and Infinity, and sends it with one of
several content types to the real ASGI application, served by uvicorn on
loopback in a thread of the test process (fetching is enabled against a
loopback port nothing listens on, so a fetch fails fast).

Every answer must be below 500, be JSON, carry no traceback, and, when the
service refuses a field, name a field the example changed.

The ``ci`` hypothesis profile runs 100 examples per property; the thorough one
runs 10,000: ``HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_server_fuzz.py``.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmtx.server import create_app
from tests.test_server import assert_cds_response, free_port, hook_request, load

CDS_HOOKS_SPEC = Path(__file__).parent / "fhir" / "cds-hooks-spec"
UNREACHABLE_FHIR = "http://127.0.0.1:9/fhir"


@attrs.frozen
class Pairs:
    """A JSON object written key by key, so that a key can appear twice."""

    items: tuple[tuple[str, Any], ...]


@attrs.frozen
class Raw:
    """JSON text written as is (nesting too deep to build as Python values)."""

    text: str = attrs.field(repr=lambda text: f"<{len(text)} characters>")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Short in hypothesis's report too."""
        printer.text(repr(self))


@attrs.frozen
class Huge:
    """A huge string, array or object, built only when the body is written (so reprs stay short)."""

    kind: str  # "string", "array" or "object"
    size: int

    def build(self) -> Any:
        if self.kind == "string":
            return "x" * self.size
        if self.kind == "array":
            return [0] * self.size
        return {f"k{i}": i for i in range(self.size)}


_MISSING = object()


def encode(value: Any) -> str:
    """JSON text for a fuzzed value: NaN and Infinity as the bare words, surrogates as ``\\u`` escapes."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Huge):
        return encode(value.build())
    if isinstance(value, Pairs | dict):
        items = value.items if isinstance(value, Pairs) else tuple(value.items())
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v) for v in value) + "]"
    return json.dumps(value)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (keys and indexes) into a JSON value, parents before children."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def show(path: tuple[Any, ...]) -> str:
    """A path as the service writes it: ``context.draftOrders.entry[0].resource``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            # As the service reads the key: JSON joins an escaped surrogate pair into one character.
            joined = json.loads(json.dumps(part))
            shown = joined.encode("utf-8", "backslashreplace").decode("utf-8")
            text += f".{shown}" if text else shown
    return text


# --- what goes into the fields ---------------------------------------------------------------------

_ODD_STRINGS = [
    "",
    " ",
    "\ud800",
    "x\ud800y",
    "\udc00\ud800",
    "\udfff",
    "\x00",
    "\u202e",
    "\ufeff",
    "e\u0301",
    "\U0001fa7a",
    "\uffff",
    "null",
    "Patient/../../etc/passwd",
    "accepted",
    "overridden",
    "patient-view",
    "order-select",
    "Bearer",
    "2026-01-01T00:00:00Z",
    UNREACHABLE_FHIR,
    "file:///etc/passwd",
]
_FIELD_NAMES = [
    "hook",
    "hookInstance",
    "fhirServer",
    "fhirAuthorization",
    "access_token",
    "token_type",
    "context",
    "patientId",
    "userId",
    "selections",
    "draftOrders",
    "prefetch",
    "extension",
    "resourceType",
    "entry",
    "resource",
    "link",
    "feedback",
    "card",
    "outcome",
    "acceptedSuggestions",
    "overrideReason",
    "reason",
    "userComment",
    "id",
]

odd_text = st.one_of(
    st.sampled_from(_ODD_STRINGS),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.text(st.characters(), max_size=20),
)
keys = st.one_of(st.sampled_from(_FIELD_NAMES), odd_text)
numbers = st.sampled_from([math.nan, math.inf, -math.inf, 0, -1, 1.5, 1e308, 2**70, True, False, None])
huge = st.one_of(
    st.builds(Huge, st.just("string"), st.sampled_from([10_000, 1_000_000])),
    st.builds(Huge, st.just("array"), st.sampled_from([10_000, 200_000])),
    st.builds(Huge, st.just("object"), st.just(20_000)),
)
deep = st.builds(lambda n: Raw("[" * n + "]" * n), st.sampled_from([60, 63, 64, 65, 3000]))
leaves = st.one_of(odd_text, numbers, st.integers(), st.floats())


def _duplicated(pairs: list[tuple[str, Any]]) -> Pairs:
    return Pairs((*pairs, pairs[0])) if pairs else Pairs(())


junk = st.one_of(
    st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(keys, children, max_size=3),
            st.builds(_duplicated, st.lists(st.tuples(keys, children), min_size=1, max_size=3)),
        ),
        max_leaves=8,
    ),
    huge,
    deep,
)


@attrs.frozen
class Change:
    """One field-level change: what and where."""

    action: str  # "replace", "remove", "add" or "duplicate"
    path: tuple[Any, ...]
    key: Any = None
    value: Any = None


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if (isinstance(value, dict) and part in value) or (
            isinstance(value, list) and isinstance(part, int) and part < len(value)
        ):
            value = value[part]
        else:
            return _MISSING
    return value


def apply(body: Any, change: Change) -> tuple[Any, tuple[Any, ...] | None]:  # noqa: PLR0911 - one return per kind of change
    """The body with the change made, and the path it changed (``None`` when the path no longer exists)."""
    target = _get(body, change.path)
    if target is _MISSING:
        return body, None
    if change.action == "replace" or (not change.path and change.action == "remove"):
        return _set(body, change.path, change.value), change.path
    if change.action in ("add", "duplicate") and isinstance(target, dict):
        if change.action == "add":
            return _set(body, change.path, {**target, change.key: change.value}), (*change.path, change.key)
        if not target:
            return body, None
        first = next(iter(target))
        return _set(body, change.path, Pairs((*target.items(), (first, change.value)))), (*change.path, first)
    parent = _get(body, change.path[:-1])
    last = change.path[-1] if change.path else None
    if change.action == "remove" and isinstance(parent, dict):
        return _set(body, change.path[:-1], {k: v for k, v in parent.items() if k != last}), change.path
    if change.action == "remove" and isinstance(parent, list):
        return _set(body, change.path[:-1], [v for i, v in enumerate(parent) if i != last]), change.path
    return _set(body, change.path, change.value), change.path


def _set(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, dict):
        return {**body, head: _set(body[head], rest, value)}
    copy = list(body)
    copy[head] = _set(body[head], rest, value)
    return copy


# --- the requests ------------------------------------------------------------------------------------


def _order_select() -> dict[str, Any]:
    request = hook_request("order-select-osimertinib-80.bundle.json", hook="order-select")
    request["context"]["selections"] = ["MedicationRequest/draft-osimertinib"]
    request["context"]["draftOrders"] = load("order-select-osimertinib-80.draft-orders.json")
    return request


def _feedback() -> dict[str, Any]:
    items = []
    for name in ("feedback-accepted.json", "feedback-overridden.json", "feedback-overridden-with-reason.json"):
        items += json.loads((CDS_HOOKS_SPEC / name).read_text(encoding="utf-8"))["feedback"]
    return {"feedback": items}


def _small_patient_view() -> dict[str, Any]:
    """A patient-view call small enough that every one of its fields is a likely target."""
    request = hook_request("lm-probable-on-erlotinib.bundle.json")
    request["fhirServer"] = UNREACHABLE_FHIR
    request["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer", "expires_in": 300}
    return request


BASES: dict[str, tuple[str, dict[str, Any]]] = {
    "patient-view": ("/cds-services/lmtx-patient-view", hook_request("lm-inadequate-response.bundle.json")),
    "patient-view-fetching": ("/cds-services/lmtx-patient-view", _small_patient_view()),
    "order-select": ("/cds-services/lmtx-order-select", _order_select()),
    "feedback": ("/cds-services/lmtx-patient-view/feedback", _feedback()),
}
_PATHS = {name: list(paths(body)) for name, (_, body) in BASES.items()}
_SHALLOW = {name: [p for p in found if len(p) <= 3] for name, found in _PATHS.items()}


@st.composite
def changes(draw: st.DrawFn, base: str) -> Change:
    found = _SHALLOW[base] if draw(st.booleans()) else _PATHS[base]
    path = found[draw(st.integers(0, len(found) - 1))]
    action = draw(st.sampled_from(["replace", "replace", "remove", "add", "duplicate"]))
    key = draw(keys) if action == "add" else None
    return Change(action, path, key, draw(junk))


content_types = st.one_of(
    st.just("application/json"),
    st.sampled_from(
        [
            "application/json; charset=utf-8",
            "application/fhir+json",
            "text/plain",
            "application/xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ]
    ),
)


def _short(body: bytes) -> str:
    return repr(body[:400]) + (f" ... ({len(body)} bytes)" if len(body) > 400 else "")


@attrs.frozen
class Fuzzed:
    """One fuzzed request; its repr (what hypothesis prints on failure) cuts the body short."""

    target: str
    body: bytes = attrs.field(repr=_short)
    content_type: str
    changed: list[str]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """What hypothesis prints for a failing example: this repr, not every field in full."""
        printer.text(repr(self))


@st.composite
def requests(draw: st.DrawFn, bases: tuple[str, ...]) -> Fuzzed:
    """A request built from a valid one, with the paths it changed."""
    name = draw(st.sampled_from(bases))
    target, body = BASES[name]
    changed: list[str] = []
    for change in draw(st.lists(changes(name), min_size=1, max_size=3)):
        body, where = apply(body, change)
        if where is not None:
            changed.append(show(where))
    ctype = draw(st.one_of(st.just("application/json"), content_types))
    return Fuzzed(target, encode(body).encode("utf-8"), ctype, changed)


# --- the property -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("fuzz")
    config = {
        "feedback_db": str(folder / "feedback.sqlite3"),
        "fhir_fetch": {"enabled": True, "allowed_servers": [UNREACHABLE_FHIR], "timeout_seconds": 2.0},
    }
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):  # a readiness wait, not a timing assertion
        if server.started:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("uvicorn did not start")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _names_a_changed_field(problem: str, changed: list[str]) -> bool:
    where = problem.split(":", 1)[0].removesuffix(" (the key)")
    for path in changed:
        parent = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
        last = re.split(r"[.\[\]]", path.rstrip("]"))[-1]
        if where.startswith(path) or path.startswith(where) or (parent and where.startswith(parent)):
            return True
        if last and last in problem:
            return True
    return False


def send(client: httpx.Client, request: Fuzzed) -> None:
    headers = {"content-type": request.content_type} if request.content_type else {}
    response = client.post(request.target, content=request.body, headers=headers)
    check_answer(request.target, response.status_code, response.text, request.changed)


def check_answer(target: str, status: int, text: str, changed: list[str]) -> None:
    assert status < 500, text[:500]
    assert "Traceback" not in text
    assert 'File "' not in text
    body = json.loads(text)  # every answer is JSON
    if status >= 400:
        assert set(body) <= {"error", "message", "problems"}
        assert isinstance(body["error"], str)
        assert isinstance(body["message"], str)
        if status == 400 and body["error"] in ("invalid-request", "invalid-json") and "problems" in body:
            assert any(_names_a_changed_field(p, changed) for p in body["problems"]), (changed, body)
    elif target.endswith("/feedback"):
        assert set(body) == {"stored"}
    else:
        assert_cds_response(body)


_FUZZ = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
)


@_FUZZ
@given(request=requests(("patient-view", "patient-view-fetching", "order-select")))
def test_hook_calls_never_get_a_5xx(app_client: httpx.Client, request: Fuzzed) -> None:
    send(app_client, request)


@_FUZZ
@given(request=requests(("feedback",)))
def test_feedback_never_gets_a_5xx(app_client: httpx.Client, request: Fuzzed) -> None:
    send(app_client, request)
