"""The input JSON Schema: generated from the model, valid draft 2020-12, agreeing with lmtx."""

from __future__ import annotations

import copy
import enum
import json
import typing
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lmtx
from lmtx import model
from lmtx import strategies as lst
from lmtx._docstrings import field_docs, summary
from lmtx.schema import DIALECT, patient_schema
from tests.scenarios import load_scenarios
from tests.test_batch import population
from tests.test_validation import CASES

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = patient_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

# What only the whole record shows: lmtx checks it, the schema cannot (its $comment says so).
CROSS_FIELD = (
    "after the evaluation date",
    "on or after start",
    "already an active",
    "same date",
    "in a history of two or more",
    "is in the record",
)


def _accepted_by_lmtx(payload: object) -> tuple[bool, list[lmtx.Problem]]:
    try:
        lmtx.evaluate(payload)  # type: ignore[arg-type]
    except lmtx.InvalidPatient as error:
        return False, list(error.problems)
    return True, []


def _errors(payload: object) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(payload)]


def test_the_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == DIALECT
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"].endswith(lmtx.__version__)


def test_patient_schema_returns_a_fresh_copy() -> None:
    first = lmtx.patient_schema()
    first["$defs"].clear()
    assert lmtx.patient_schema() == SCHEMA


def _model_classes() -> list[type]:
    return [c for c in vars(model).values() if isinstance(c, type) and attrs.has(c)]


def test_every_model_class_field_and_enum_value_is_in_the_schema() -> None:
    defs = SCHEMA["$defs"]
    assert set(defs) == {c.__name__ for c in _model_classes()}
    for cls in _model_classes():
        definition = defs[cls.__name__]
        assert definition["additionalProperties"] is False
        assert list(definition["properties"]) == [f.name for f in attrs.fields(cls)]
        assert definition.get("required", []) == [f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING]
        hints = typing.get_type_hints(cls)
        for field in attrs.fields(cls):
            text = json.dumps(definition["properties"][field.name])
            enums = [a for a in (hints[field.name], *typing.get_args(hints[field.name])) if isinstance(a, type)]
            for kind in enums:
                if issubclass(kind, enum.StrEnum):
                    assert all(json.dumps(member.value) in text for member in kind), (cls, field.name)


def test_defaults_are_the_models() -> None:
    properties = SCHEMA["$defs"]["Patient"]["properties"]
    assert properties["egfr"]["default"] == {"status": "unknown", "variants": []}
    assert properties["csf_flow"]["default"] == "unknown"
    assert properties["brain_metastases"]["default"] is False
    assert properties["therapies"]["default"] == []


def _shipped() -> list[tuple[str, Any]]:
    examples = [
        (f"example:{p.stem}", json.loads(p.read_text())) for p in sorted((ROOT / "lmtx" / "examples").glob("*.json"))
    ]
    scenarios = [(f"scenario:{name}", s["patient"]) for name, s in load_scenarios().items()]
    return examples + scenarios


SHIPPED = _shipped()


@pytest.mark.parametrize("payload", [p for _, p in SHIPPED], ids=[n for n, _ in SHIPPED])
def test_every_shipped_example_and_scenario_is_valid(payload: Any) -> None:
    assert _errors(payload) == []


def test_shipped_records_exist() -> None:
    assert any(name.startswith("example:") for name, _ in SHIPPED)


def test_a_random_population_is_valid() -> None:
    for patient in population(300, seed=21):
        assert _errors(patient) == [], patient


SCHEMA_INVALID: list[tuple[str, Any]] = [
    ("not an object", ["adenocarcinoma"]),
    ("no histology", {"egfr": {"status": "mutant"}}),
    ("unknown key", {"histology": "adenocarcinoma", "histolgy": "x"}),
    ("unknown nested key", {"histology": "squamous", "egfr": {"status": "mutant", "variant": ["L858R"]}}),
    ("enum", {"histology": "nsclc"}),
    ("string for a number", {"histology": "sclc", "toxicities": [{"term": "rash", "grade": "2"}]}),
    ("boolean for a number", {"histology": "sclc", "toxicities": [{"term": "rash", "grade": True}]}),
    ("fraction for an integer", {"histology": "sclc", "toxicities": [{"term": "rash", "grade": 2.5}]}),
    ("grade 6", {"histology": "sclc", "toxicities": [{"term": "rash", "grade": 6}]}),
    ("number for a boolean", {"histology": "sclc", "brain_metastases": 1}),
    ("null for a list", {"histology": "sclc", "mri": None}),
    ("date form", {"histology": "sclc", "neuro_exams": [{"date": "2026-1-6", "symptoms": "new"}]}),
    ("calendar date", {"histology": "sclc", "neuro_exams": [{"date": "2026-02-30", "symptoms": "new"}]}),
    ("date with a newline", {"histology": "sclc", "neuro_exams": [{"date": "2026-02-03\n", "symptoms": "new"}]}),
    ("ECOG 5", {"histology": "sclc", "performance_status": {"scale": "ecog", "score": 5}}),
    ("KPS 0", {"histology": "sclc", "performance_status": {"scale": "kps", "score": 0}}),
    ("KPS 75", {"histology": "sclc", "performance_status": {"scale": "kps", "score": 75}}),
    ("KPS 110", {"histology": "sclc", "performance_status": {"scale": "kps", "score": 110}}),
    ("variants without mutant", {"histology": "sclc", "egfr": {"variants": ["T790M"]}}),
    ("duplicate variant", {"histology": "sclc", "egfr": {"status": "mutant", "variants": ["T790M", "T790M"]}}),
    ("id too long", {"histology": "sclc", "id": "x" * 257}),
    ("zero dose", {"histology": "sclc", "therapies": [{"agent": "cisplatin", "dose_mg": 0, "status": "planned"}]}),
    ("huge dose", {"histology": "sclc", "therapies": [{"agent": "cisplatin", "dose_mg": 1e6, "status": "planned"}]}),
    ("osimertinib without dose", {"histology": "sclc", "therapies": [{"agent": "osimertinib", "status": "planned"}]}),
    ("no route, methotrexate", {"histology": "sclc", "therapies": [{"agent": "methotrexate", "status": "planned"}]}),
    (
        "drug class on a listed agent",
        {"histology": "sclc", "therapies": [{"agent": "icotinib", "drug_class": "egfr-tki", "status": "planned"}]},
    ),
    (
        "interval 0",
        {"histology": "sclc", "therapies": [{"agent": "erlotinib", "interval_days": 0, "status": "planned"}]},
    ),
    (
        "interval on radiotherapy",
        {"histology": "sclc", "therapies": [{"agent": "radiotherapy", "interval_days": 7, "status": "planned"}]},
    ),
    (
        "stop reason while active",
        {
            "histology": "sclc",
            "therapies": [{"agent": "erlotinib", "status": "active", "start": "2026-01-01", "stop_reason": "toxicity"}],
        },
    ),
    ("empty name", {"histology": "sclc", "therapies": [{"agent": "other", "name": "", "status": "planned"}]}),
    ("empty attribution", {"histology": "sclc", "toxicities": [{"term": "rash", "grade": 2, "attributed_to": []}]}),
    ("brain metastases date alone", {"histology": "sclc", "brain_metastases_date": "2026-01-01"}),
    ("flow date, unknown flow", {"histology": "sclc", "csf_flow": "unknown", "csf_flow_date": "2026-01-01"}),
    ("systemic date, no assessment", {"histology": "sclc", "systemic_disease_date": "2026-01-01"}),
    ("ECOG 5 in a history", {"histology": "sclc", "performance_status": [{"scale": "ecog", "score": 5}]}),
    (
        "null dose",
        {"histology": "sclc", "therapies": [{"agent": "osimertinib", "dose_mg": None, "status": "planned"}]},
    ),
    (
        "radiotherapy dosed",
        {"histology": "sclc", "therapies": [{"agent": "radiotherapy", "dose_mg": 30, "status": "planned"}]},
    ),
    ("no route", {"histology": "sclc", "therapies": [{"agent": "pemetrexed", "dose_mg": 30, "status": "planned"}]}),
    (
        "wrong route",
        {
            "histology": "sclc",
            "therapies": [{"agent": "gefitinib", "route": "intravenous", "dose_mg": 250, "status": "planned"}],
        },
    ),
    ("no start", {"histology": "sclc", "therapies": [{"agent": "radiotherapy", "status": "completed"}]}),
    (
        "end while active",
        {
            "histology": "sclc",
            "therapies": [{"agent": "other", "status": "active", "start": "2026-01-01", "end": "2026-02-01"}],
        },
    ),
    (
        "overflowing number",
        {"histology": "sclc", "therapies": [{"agent": "cisplatin", "dose_mg": 1e400, "status": "planned"}]},
    ),
]


@pytest.mark.parametrize("payload", [p for _, p in SCHEMA_INVALID], ids=[n for n, _ in SCHEMA_INVALID])
def test_invalid_payloads_are_rejected_by_both(payload: Any) -> None:
    assert _errors(payload) != []
    accepted, problems = _accepted_by_lmtx(payload)
    assert not accepted
    assert problems


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_lmtx_validation_cases_are_rejected_by_the_schema_unless_cross_field(case: tuple[str, Any, str, str]) -> None:
    _, payload, path, fragment = case
    try:
        json.dumps(payload, allow_nan=False)
    except ValueError:
        return  # NaN and infinities are not JSON: lmtx's loader refuses them before any schema could see them
    if any(marker in fragment for marker in CROSS_FIELD):
        assert _errors(payload) == [], f"{path}: {fragment} is a cross-field check the schema should not make"
    else:
        assert _errors(payload) != [], f"the schema accepts what lmtx refuses: {path}: {fragment}"


# --- the schema never refuses what lmtx accepts, and refuses all it can ------------------------

_ENUMS = [c for c in vars(model).values() if isinstance(c, type) and issubclass(c, enum.StrEnum)]
_ENUM_VALUES = sorted({member.value for kind in _ENUMS for member in kind})
_FIELD_NAMES = sorted({f.name for c in _model_classes() for f in attrs.fields(c)})
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-5, 120)
    | st.floats(-5, 500, allow_nan=False)
    | st.sampled_from(_ENUM_VALUES)
    | st.sampled_from(["2026-01-01", "2026-02-30", "2025-12-31", "2026-1-1", ""])
    | st.text(max_size=8)
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_FIELD_NAMES), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


BASES = population(40, seed=33)


@given(st.data())
def test_schema_and_lmtx_agree_on_mutated_records(data: st.DataObject) -> None:
    patient = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(1, 2))):
        paths = _paths(patient)
        target = data.draw(st.sampled_from(paths)) if paths else ()
        *parents, last = target or ("id",)
        node: Any = patient
        for part in parents:
            node = node[part]
        action = data.draw(st.sampled_from(["set", "delete", "add"]))
        if action == "delete":
            del node[last]
        elif action == "add" and isinstance(node, dict):
            node[data.draw(st.sampled_from(_FIELD_NAMES))] = data.draw(_VALUES)
        else:
            node[last] = data.draw(_VALUES)
    accepted, problems = _accepted_by_lmtx(patient)
    errors = _errors(patient)
    if accepted:
        assert errors == [], f"the schema refuses a record lmtx accepts: {errors}"
    elif not errors:
        unexplained = [p for p in problems if not any(marker in p.message for marker in CROSS_FIELD)]
        assert unexplained == [], f"the schema accepts a record lmtx refuses: {unexplained}"


# --- against the public hypothesis strategies (lmtx.strategies) ------------------------------


@given(lst.patient_dicts())
def test_every_generated_patient_is_valid_under_the_schema(patient: dict[str, Any]) -> None:
    assert _errors(patient) == []


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def _not_json(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _as_json_value(payload: object) -> tuple[bool, object]:
    """The payload as a JSON value, if it is one: text without duplicate keys, NaN or infinities."""
    if isinstance(payload, str | bytes | bytearray):
        try:
            payload = json.loads(payload, parse_constant=_not_json, object_pairs_hook=_unique)
        except (ValueError, RecursionError):
            return False, None
    try:
        json.dumps(payload, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return False, None
    return True, payload


@given(lst.invalid_cases())
def test_every_generated_invalid_case_is_rejected_by_the_schema_unless_cross_field(case: lst.InvalidCase) -> None:
    is_json, payload = _as_json_value(case.payload)
    if not is_json:
        return  # not a JSON value at all: lmtx's parser refuses it before any schema applies
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.evaluate(payload, as_of=case.as_of)  # type: ignore[arg-type]
    if not _errors(payload):
        unexplained = [p for p in raised.value.problems if not any(m in p.message for m in CROSS_FIELD)]
        assert unexplained == [], f"{case.kind}: {case.mutation}"


def _properties(schema: object, where: str = "#") -> list[tuple[str, str, dict[str, Any]]]:
    """Every property of every object in the schema, constraint branches included: (where, name, schema)."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        for name, value in schema.get("properties", {}).items():
            found.append((where, name, value))
        for key, value in schema.items():
            found += _properties(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found += _properties(value, f"{where}/{index}")
    return found


def test_every_property_has_the_description_of_its_model_field() -> None:
    properties = _properties(SCHEMA)
    assert len(properties) >= 69
    for where, name, value in properties:
        definition = where.split("/")[2]  # "#/$defs/<class>/..."
        cls = getattr(model, definition)
        assert value.get("description"), f"{where}/{name} has no description"
        assert value["description"] == field_docs(cls)[name]


def test_every_model_field_is_documented_once_in_its_class_docstring() -> None:
    for cls in _model_classes():
        assert list(field_docs(cls)) == [f.name for f in attrs.fields(cls)], cls.__name__
        assert all(len(text) >= 10 for text in field_docs(cls).values()), cls.__name__
        assert SCHEMA["$defs"][cls.__name__]["description"] == summary(cls)


def test_field_docs_reads_a_google_attributes_section() -> None:
    class Example:
        """An example.

        Attributes:
            first: One line.
            second (int): Two
                lines, joined.

        Note:
            Not an attribute.
        """

    assert field_docs(Example) == {"first": "One line.", "second": "Two lines, joined."}
    assert summary(Example) == "An example."

    class Broken:
        """Broken.

        Attributes:
            first one: not a name.
        """

    with pytest.raises(ValueError, match="cannot read the Attributes line"):
        field_docs(Broken)
