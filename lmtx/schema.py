"""The input wire format (see docs/input-format.md) as a JSON Schema, draft 2020-12, generated from the model.

The shape comes from the attrs classes of :mod:`lmtx.model`: one definition
per class, its fields as properties (required when the field has no
default), enumerations from the ``StrEnum`` classes, defaults from the field
defaults, ``additionalProperties: false`` everywhere (a misspelt field is an
error). Every definition and property carries a description, taken from the
class docstring and its ``Attributes:`` section, where the API reference
reads it too: each field is documented once. The value constraints of the
input format that types cannot carry (ranges,
the routes of each agent, the fields a therapy needs in each status) are
added from :data:`FIELD_CONSTRAINTS` and :func:`_class_constraints`, which
reuse lmtx's own tables (:data:`lmtx._validate.DRUGS`,
:func:`lmtx._validate.allowed_routes`, :data:`lmtx._validate.MAX_DOSE_MG`,
the KPS bands of the prognosis rules).

The schema is necessary, not sufficient: what only the whole record shows
(a date after the evaluation date, an end before its start, two active
regimens of one agent and route, two different findings on one date) is
checked by lmtx alone, as the schema's ``$comment`` says. A record lmtx
accepts is always valid under the schema.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import sys
import types
import typing
from functools import cache
from typing import Any

import attrs

from lmtx.__about__ import __version__
from lmtx._codec import MAX_STRING_LENGTH
from lmtx._docstrings import field_docs, summary
from lmtx._validate import MAX_DOSE_MG, MAX_INTERVAL_DAYS, MAX_NAME_LENGTH
from lmtx.drugs import DOSE_REQUIRED, DRUGS, allowed_routes
from lmtx.model import (
    Agent,
    CsfFlow,
    Egfr,
    EgfrStatus,
    Patient,
    PerformanceStatus,
    PsScale,
    SystemicDisease,
    Therapy,
    TherapyStatus,
    Toxicity,
)
from lmtx.rules.prognosis import KPS_TO_ECOG

__all__ = ["DIALECT", "FIELD_CONSTRAINTS", "patient_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of :func:`patient_schema`."""

_DATE: dict[str, Any] = {
    "type": "string",
    "format": "date",
    # Exactly YYYY-MM-DD: the length pins it (a pattern's "$" would let a trailing newline through).
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "minLength": 10,
    "maxLength": 10,
}

_ECOG_SCORES = sorted({ecog for _, _, ecog in KPS_TO_ECOG})
_KPS_LOW = min(low for low, _, _ in KPS_TO_ECOG)
_KPS_HIGH = max(high for _, high, _ in KPS_TO_ECOG)
_KPS_STEP = 10
_CTCAE_GRADES = (1, 5)

FIELD_CONSTRAINTS: dict[tuple[type, str], dict[str, Any]] = {
    (Patient, "id"): {"maxLength": MAX_STRING_LENGTH},
    (Egfr, "variants"): {"uniqueItems": True},
    (PerformanceStatus, "score"): {"minimum": min(_ECOG_SCORES[0], _KPS_LOW), "maximum": _KPS_HIGH},
    (Therapy, "dose_mg"): {"exclusiveMinimum": 0, "maximum": MAX_DOSE_MG},
    (Therapy, "name"): {"minLength": 1, "maxLength": MAX_NAME_LENGTH},
    (Therapy, "interval_days"): {"minimum": 1, "maximum": MAX_INTERVAL_DAYS},
    (Toxicity, "attributed_to"): {"minItems": 1},
    (Toxicity, "grade"): {"minimum": _CTCAE_GRADES[0], "maximum": _CTCAE_GRADES[1]},
}
"""Constraints on single fields (docs/input-format.md), by (model class, field name)."""

_NOT_IN_SCHEMA = (
    "Checked by lmtx, not expressible here: dates after the evaluation date, a therapy end before its "
    "start, two active regimens of the same agent and route, two different findings of one kind on one date, "
    "a performance-status history of two or more without dates or with two on one day, an attributed_to agent "
    "that no therapy in the record has."
)


def _const(value: object) -> dict[str, Any]:
    return {"const": value}


def _absent_or_null(name: str) -> dict[str, Any]:
    return {"properties": {name: {"type": "null"}}}


def _present(*names: str) -> dict[str, Any]:
    return {"required": list(names), "properties": {name: {"not": {"type": "null"}} for name in names}}


def _when(field: str, values: list[str], then: dict[str, Any]) -> dict[str, Any]:
    condition = {"properties": {field: {"enum": values}}, "required": [field]}
    return {"if": condition, "then": then}


def _class_constraints(cls: type) -> list[dict[str, Any]]:
    """Constraints across the fields of one class (docs/input-format.md), as ``if``/``then`` schemas."""
    if cls is Egfr:
        return [
            {
                "if": {"properties": {"variants": {"type": "array", "minItems": 1}}, "required": ["variants"]},
                "then": {"properties": {"status": _const(EgfrStatus.MUTANT.value)}, "required": ["status"]},
            }
        ]
    if cls is PerformanceStatus:
        return [
            _when("scale", [PsScale.ECOG.value], {"properties": {"score": {"enum": _ECOG_SCORES}}}),
            _when(
                "scale",
                [PsScale.KPS.value],
                {"properties": {"score": {"minimum": _KPS_LOW, "maximum": _KPS_HIGH, "multipleOf": _KPS_STEP}}},
            ),
        ]
    if cls is Therapy:
        unended = [TherapyStatus.PLANNED.value, TherapyStatus.ACTIVE.value]
        started = [s.value for s in TherapyStatus if s is not TherapyStatus.PLANNED]
        rules = [
            _when("status", started, _present("start")),
            _when("status", unended, _absent_or_null("end")),
            _when("agent", sorted(a.value for a in DOSE_REQUIRED), _present("dose_mg")),
            _when("agent", [Agent.RADIOTHERAPY.value], _absent_or_null("dose_mg")),
            _when("agent", [Agent.RADIOTHERAPY.value], _absent_or_null("interval_days")),
            _when("agent", sorted(a.value for a in DRUGS | {Agent.RADIOTHERAPY}), _absent_or_null("drug_class")),
            _when("status", unended, _absent_or_null("stop_reason")),
            _when(
                "agent",
                sorted(a.value for a in DRUGS if len(allowed_routes(a)) > 1),
                _present("route"),
            ),
        ]
        for agent in Agent:
            routes = sorted(r.value for r in allowed_routes(agent))
            rules.append(_when("agent", [agent.value], {"properties": {"route": {"enum": [*routes, None]}}}))
        return rules
    if cls is Patient:
        return [
            {
                "if": {"properties": {"brain_metastases": {"const": True}}, "required": ["brain_metastases"]},
                "else": _absent_or_null("brain_metastases_date"),
            },
            _when("csf_flow", [CsfFlow.UNKNOWN.value], _absent_or_null("csf_flow_date")),
            {"if": {"not": {"required": ["csf_flow"]}}, "then": _absent_or_null("csf_flow_date")},
            _when("systemic_disease", [SystemicDisease.UNKNOWN.value], _absent_or_null("systemic_disease_date")),
            {"if": {"not": {"required": ["systemic_disease"]}}, "then": _absent_or_null("systemic_disease_date")},
        ]
    return []


def _json_value(value: object) -> Any:
    """A model default as JSON (enumerations by value, tuples as lists, objects without nulls)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if attrs.has(type(value)):
        fields = attrs.asdict(value, recurse=False)  # type: ignore[arg-type]  # attrs.has checked it
        return {k: _json_value(v) for k, v in fields.items() if v is not None}
    return value


def _title(name: str) -> str:
    return name.replace("_", " ")


class _Builder:
    """Walks the model's attrs classes and collects one ``$defs`` entry per class."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def type_schema(self, hint: Any) -> dict[str, Any]:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(hint) if a is not type(None)]
            return {"anyOf": [*(self.type_schema(inner) for inner in options), {"type": "null"}]}
        if origin is tuple:
            item, _ellipsis = typing.get_args(hint)
            return {"type": "array", "items": self.type_schema(item)}
        if isinstance(hint, type):
            return self._class_schema(hint)
        raise TypeError(f"no JSON Schema for type {hint!r}")

    def _class_schema(self, cls: type) -> dict[str, Any]:
        simple: dict[type, dict[str, Any]] = {
            bool: {"type": "boolean"},
            int: {"type": "integer"},
            # Finite: JSON has no NaN or infinity, and lmtx refuses numbers that overflow to one.
            float: {"type": "number", "maximum": sys.float_info.max, "minimum": -sys.float_info.max},
            str: {"type": "string"},
            dt.date: dict(_DATE),
        }
        if cls in simple:
            return dict(simple[cls])
        if issubclass(cls, enum.StrEnum):
            return {"type": "string", "enum": [member.value for member in cls]}
        if attrs.has(cls):
            if cls.__name__ not in self.defs:
                self.defs[cls.__name__] = {}  # placeholder: recursion guard and stable order
                self.defs[cls.__name__] = self._object(cls)
            return {"$ref": f"#/$defs/{cls.__name__}"}
        raise TypeError(f"no JSON Schema for type {cls!r}")

    def _object(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        docs = field_docs(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in attrs.fields(cls):
            if field.name not in docs:
                raise TypeError(f"{cls.__name__}.{field.name} has no description in the class's Attributes section")
            schema = self.type_schema(hints[field.name])
            constraints = FIELD_CONSTRAINTS.get((cls, field.name), {})
            if constraints:
                schema = _constrain(schema, constraints)
            if field.default is attrs.NOTHING:
                required.append(field.name)
            elif field.default is not None:
                schema["default"] = _json_value(field.default)
            properties[field.name] = {"title": _title(field.name), "description": docs[field.name], **schema}
        result: dict[str, Any] = {
            "type": "object",
            "title": cls.__name__,
            "description": summary(cls),
            "properties": properties,
            "additionalProperties": False,
        }
        if required:
            result["required"] = required
        rules = _class_constraints(cls)
        if rules:
            result["allOf"] = [_described(rule, docs) for rule in rules]
        return result


def _described(schema: Any, docs: dict[str, str]) -> Any:
    """A constraint schema whose properties carry the fields' own descriptions too (editors show them)."""
    if isinstance(schema, list):
        return [_described(item, docs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    described = {key: _described(value, docs) for key, value in schema.items()}
    if isinstance(schema.get("properties"), dict):
        described["properties"] = {
            name: {"description": docs[name], **_described(value, docs)} for name, value in schema["properties"].items()
        }
    return described


def _constrain(schema: dict[str, Any], constraints: dict[str, Any]) -> dict[str, Any]:
    """Add constraints to the non-null branch of a schema (``anyOf [T, null]``) or to the schema."""
    if "anyOf" in schema:
        *values, null = schema["anyOf"]
        return {"anyOf": [*(_constrain(value, constraints) for value in values), null]}
    return {**schema, **constraints}


@cache
def _schema() -> dict[str, Any]:
    builder = _Builder()
    root = builder.type_schema(Patient)
    return {
        "$schema": DIALECT,
        "$id": f"urn:lmtx:schema:patient:{__version__}",
        "title": "lmtx patient record",
        "description": (
            "The input wire format of lmtx (docs/input-format.md): one patient record with EGFR-mutant NSCLC and "
            "leptomeningeal metastases in view. Unknown keys are errors; numbers are JSON numbers; "
            "dates are YYYY-MM-DD."
        ),
        "$comment": _NOT_IN_SCHEMA,
        **root,
        "$defs": builder.defs,
    }


def patient_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the patient record lmtx accepts.

    Generated from :mod:`lmtx.model` and the constraints of the input format
    (see docs/input-format.md), with each property described; any
    record :func:`lmtx.evaluate` accepts is valid under it. Validate with a
    format checker to have dates checked as calendar dates.

    Returns:
        A fresh JSON-compatible mapping (safe to modify).

    Examples:
        >>> import jsonschema, lmtx
        >>> schema = lmtx.patient_schema()
        >>> schema["$schema"]
        'https://json-schema.org/draft/2020-12/schema'
        >>> jsonschema.Draft202012Validator(schema).is_valid({"histology": "lung"})
        False
    """
    return copy.deepcopy(_schema())
