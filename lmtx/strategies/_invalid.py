"""Invalid input: valid records mutated, each with the JSON path where lmtx must report the problem.

The mutations of form and type are here; the cross-field ones in :mod:`lmtx.strategies._inconsistent`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

from hypothesis import strategies as st

from lmtx import _codec
from lmtx._validate import MAX_DOSE_MG, MAX_INTERVAL_DAYS
from lmtx.strategies._common import InvalidCase, Wire, _Mutate
from lmtx.strategies._inconsistent import (
    _bad_egfr_or_ps,
    _date_without_fact,
    _inconsistent_therapy,
    _ps_history_without_dates,
    _same_day_findings,
    _two_active,
    _unattributed_toxicity,
)
from lmtx.strategies._patients import patient_dicts

__all__ = ["InvalidCase", "invalid_cases", "invalid_payloads"]


# --- Mutations of valid records --------------------------------------------------------------

# The wire schema, as far as the mutations need it: object -> field -> kind. A
# trailing "?" marks fields that also accept null (optional in the typed model), a
# trailing "=" fields that may be left out but not be null (they have a default).
_SCHEMA: dict[str, dict[str, str]] = {
    "patient": {
        "id": "string?",
        "histology": "enum",
        "egfr": "object",
        "performance_status": "object-or-list?",
        "brain_metastases": "bool",
        "neuro_exams": "list",
        "csf_cytology": "list",
        "mri": "list",
        "csf_flow": "enum",
        "systemic_disease": "enum",
        "therapies": "list",
        "toxicities": "list",
        "brain_metastases_date": "date?",
        "csf_flow_date": "date?",
        "systemic_disease_date": "date?",
    },
    "egfr": {"status": "enum=", "variants": "list="},
    "performance_status": {"scale": "enum", "score": "int", "date": "date?"},
    "neuro_exams": {"date": "date", "symptoms": "enum"},
    "csf_cytology": {"date": "date", "result": "enum"},
    "mri": {"date": "date", "leptomeningeal_enhancement": "bool", "response": "enum?"},
    "therapies": {
        "agent": "enum",
        "route": "enum?",
        "dose_mg": "number?",
        "status": "enum",
        "start": "date?",
        "end": "date?",
        "name": "string?",
        "drug_class": "enum?",
        "interval_days": "int?",
        "stop_reason": "enum?",
    },
    "toxicities": {"term": "enum", "grade": "int", "date": "date?", "attributed_to": "list?"},
}
_LISTS = ("neuro_exams", "csf_cytology", "mri", "therapies", "toxicities")
_DATE_KEYS = ("date", "start", "end")
_PATIENT_DATE_KEYS = ("brain_metastases_date", "csf_flow_date", "systemic_disease_date")

_NOT_A_STRING: st.SearchStrategy[object] = st.one_of(
    st.integers(-5, 5), st.booleans(), st.just([]), st.just({}), st.floats(allow_nan=False, allow_infinity=False)
)
_NOT_A_NUMBER: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(["80", "", "1e3"]), st.booleans(), st.just([]), st.just({})
)
_NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
_WRONG: dict[str, st.SearchStrategy[object]] = {
    "string": _NOT_A_STRING,
    "enum": st.one_of(_NOT_A_STRING, st.sampled_from(["", "ADENOCARCINOMA", "Mutant", "mutant ", "no-such-value"])),
    "date": st.one_of(
        st.integers(0, 30000),
        st.booleans(),
        st.just([]),
        st.sampled_from(["2026-02-30", "2026-13-01", "2026-1-5", "20260105", "2026-01-05T00:00:00", "", "today"]),
    ),
    "bool": st.one_of(st.integers(0, 1), st.sampled_from(["true", "false", ""]), st.just([])),
    "int": st.one_of(_NOT_A_NUMBER, st.sampled_from([2.5, 0.1, -0.5]), _NON_FINITE),
    "number": st.one_of(_NOT_A_NUMBER, _NON_FINITE),
    "list": st.one_of(st.just({}), st.sampled_from(["", "none", "[]"]), st.integers()),
    "object": st.one_of(st.just([]), st.sampled_from(["mutant", "ecog 1"]), st.integers()),
    # One object or a list of them (a performance-status history): an empty list is valid.
    "object-or-list": st.one_of(st.sampled_from(["ecog 1", "", [1], ["ecog"], [None]]), st.integers(), st.booleans()),
}
"""Values of the wrong type or form, by field kind."""


def _objects(wire: Wire) -> list[tuple[str, str, Wire]]:
    """Every object in a patient dict: (path, schema name, the object)."""
    found = [("$", "patient", wire)]
    found += [(key, key, wire[key]) for key in ("egfr", "performance_status") if isinstance(wire.get(key), dict)]
    if isinstance(wire.get("performance_status"), list):  # a history
        found += [
            (f"performance_status[{i}]", "performance_status", ps) for i, ps in enumerate(wire["performance_status"])
        ]
    found += [(f"{key}[{i}]", key, item) for key in _LISTS for i, item in enumerate(wire.get(key, ()))]
    return found


def _at(path: str, key: str) -> str:
    # How lmtx writes paths: plain names with a dot, any other key quoted in brackets.
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}[{json.dumps(key)}]"
    return key if path == "$" else f"{path}.{key}"


def _field(draw: st.DrawFn, wire: Wire) -> tuple[str, Wire, str, str]:
    """Some field of some object, present or not: (path, object, key, kind)."""
    path, name, obj = draw(st.sampled_from(_objects(wire)))
    key = draw(st.sampled_from(sorted(_SCHEMA[name])))
    return _at(path, key), obj, key, _SCHEMA[name][key]


def _wrong_type(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key, kind = _field(draw, wire)
    base = kind.rstrip("?=")
    obj[key] = draw(_WRONG[base] if kind.endswith("?") else st.one_of(_WRONG[base], st.none()))
    return InvalidCase(wire, None, path, f"wrong type at {path}: {obj[key]!r}")


def _huge_string(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key, _ = _field(draw, wire)
    obj[key] = draw(st.sampled_from(["x", "\u00e9", "\U0001f600"])) * draw(
        st.integers(_codec.MAX_STRING_LENGTH + 1, 100_000)
    )
    return InvalidCase(wire, None, path, f"a string of {len(obj[key])} characters at {path}")


def _deep_nesting(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key, _ = _field(draw, wire)
    value: object = draw(st.sampled_from([1, "x", None]))
    as_object = draw(st.booleans())
    for _ in range(draw(st.integers(2, 500))):
        value = {"a": value} if as_object else [value]
    obj[key] = value
    return InvalidCase(wire, None, path, f"a deeply nested value at {path}")


def _unknown_key(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, name, obj = draw(st.sampled_from(_objects(wire)))
    key = draw(
        st.one_of(
            st.sampled_from(["histolgy", "dose", "Date", "extra", "egfr_status", ""]),
            st.text(min_size=1, max_size=8),
        ).filter(lambda k: k not in _SCHEMA[name])
    )
    obj[key] = draw(st.one_of(st.none(), st.integers(), st.text(max_size=5)))
    return InvalidCase(wire, None, _at(path, key), f"unknown key {key!r} in {path}")


def _missing_required(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    required = [("histology", wire, "histology")]
    required += [
        (_at(path, key), obj, key)
        for path, name, obj in _objects(wire)[1:]
        for key, kind in _SCHEMA[name].items()
        if key in obj and not kind.endswith(("?", "="))
    ]
    path, obj, key = draw(st.sampled_from(required))
    del obj[key]
    return InvalidCase(wire, None, path, f"required field {path} left out")


def _numbers(wire: Wire) -> list[tuple[str, Wire, str]]:
    """The numeric fields of a record, adding a performance status when there is none."""
    found = [
        (_at(path, key), obj, key)
        for path, name, obj in _objects(wire)
        for key, kind in _SCHEMA[name].items()
        if key in obj and kind.rstrip("?") in ("int", "number")
    ]
    if not found:
        wire["performance_status"] = {"scale": "ecog", "score": 1}
        found = [("performance_status.score", wire["performance_status"], "score")]
    return found


def _non_finite(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key = draw(st.sampled_from(_numbers(wire)))
    obj[key] = draw(_NON_FINITE)
    return InvalidCase(wire, None, path, f"{obj[key]} at {path}")


def _out_of_range(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key = draw(st.sampled_from(_numbers(wire)))
    bad: list[float]
    if key == "grade":
        bad = [0, 6, -1, 10**9]
    elif key == "dose_mg":
        bad = [0, -80, -0.5, 0.0, MAX_DOSE_MG + 1, 1e308]
    elif key == "interval_days":
        bad = [0, -1, MAX_INTERVAL_DAYS + 1, 10**6]
    elif obj["scale"] == "kps":
        bad = [0, 5, 55, 110, -10]
    else:
        bad = [5, -1, 7, 10]
    obj[key] = draw(st.sampled_from(bad))
    return InvalidCase(wire, None, path, f"{path} out of range: {obj[key]}")


def _after_as_of(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    observed = [
        (_at(path, key), obj[key])
        for path, name, obj in _objects(wire)
        for key in (_PATIENT_DATE_KEYS if name == "patient" else _DATE_KEYS)
        if key in obj and not (name == "therapies" and key == "start" and obj["status"] == "planned")
    ]
    if not observed:
        wire.setdefault("toxicities", []).append({"term": "other", "grade": 1, "date": "2026-01-02"})
        observed = [(f"toxicities[{len(wire['toxicities']) - 1}].date", "2026-01-02")]
    path, date = draw(st.sampled_from(observed))
    as_of = dt.date.fromisoformat(date) - dt.timedelta(days=draw(st.integers(1, 30)))
    return InvalidCase(wire, as_of, path, f"{path} after the evaluation date")


def _non_object(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    value = draw(st.one_of(st.none(), st.integers(), st.booleans(), st.just([wire]), st.sampled_from([1.5, "x"])))
    if isinstance(value, str) or draw(st.booleans()):  # a Python str is read as JSON text
        return InvalidCase(json.dumps(value), None, "$", f"JSON text of a non-object: {json.dumps(value)[:40]}")
    return InvalidCase(value, None, "$", f"a {type(value).__name__} instead of an object")


def _bad_json_text(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    text = json.dumps(wire)
    name, broken = draw(
        st.sampled_from(
            [
                ("truncated", text[: len(text) // 2]),
                ("a NaN constant", text[:-1] + ', "x": NaN}'),
                ("an Infinity constant", text[:-1] + ', "x": -Infinity}'),
                ("a duplicate key", text[:-1] + f', "histology": {json.dumps(wire["histology"])}}}'),
                ("nested 100,000 deep", "[" * 100_000 + "]" * 100_000),
                ("not UTF-8", b"\xff" + text.encode()),
            ]
        )
    )
    return InvalidCase(broken, None, "$", f"JSON text: {name}")


_MUTATIONS: tuple[_Mutate, ...] = (
    _wrong_type,
    _huge_string,
    _deep_nesting,
    _unknown_key,
    _missing_required,
    _non_finite,
    _out_of_range,
    _after_as_of,
    _non_object,
    _bad_json_text,
    _inconsistent_therapy,
    _two_active,
    _same_day_findings,
    _bad_egfr_or_ps,
    _unattributed_toxicity,
    _ps_history_without_dates,
    _date_without_fact,
)


@st.composite
def _invalid_case(draw: st.DrawFn) -> InvalidCase:
    # A deep copy through JSON: the mutation must not touch the drawn value hypothesis keeps.
    wire: Wire = json.loads(json.dumps(draw(patient_dicts())))
    mutate = draw(st.sampled_from(_MUTATIONS))
    return mutate(draw, wire)._replace(kind=mutate.__name__.strip("_").replace("_", "-"))


def invalid_cases() -> st.SearchStrategy[InvalidCase]:
    """Invalid inputs made by mutating valid records, each with the path of its problem.

    Mutations: wrong JSON types, out-of-range values, NaN and infinities,
    unknown keys, huge strings, deeply nested values, required fields left
    out, cross-field inconsistencies (variants without a mutation, an end
    before the start, two active regimens of one agent and route, two findings
    on one day, a route missing where the agent has several, a drug class on a
    listed agent, a stop reason on an active therapy, an interval outside 1-365
    days, a toxicity attributed to an agent not in the record, a
    performance-status history with an undated item or two on one day, a date
    field without its fact, ...), a date after the evaluation date, malformed
    JSON text, and JSON that is not an object.

    Returns:
        A strategy of :class:`InvalidCase`: :func:`lmtx.evaluate` must raise
        :class:`lmtx.InvalidPatient` on each, with a problem at ``path`` or
        inside it.

    Example:
        >>> import lmtx
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(invalid_cases())
        ... def test(case):
        ...     try:
        ...         lmtx.evaluate(case.payload, as_of=case.as_of)
        ...     except lmtx.InvalidPatient as error:
        ...         assert error.problems
        ...     else:
        ...         raise AssertionError(case.mutation)
        >>> test()
    """
    return _invalid_case()


def invalid_payloads() -> st.SearchStrategy[object]:
    """Payloads that :func:`lmtx.evaluate` must reject with its default evaluation date.

    Returns:
        A strategy of mappings, JSON texts and other values (see :func:`invalid_cases`).
    """
    return invalid_cases().filter(lambda case: case.as_of is None).map(lambda case: case.payload)
