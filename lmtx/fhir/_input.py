"""The input: loose resources and Bundles flattened into entries, each validated as FHIR R4.

Bundles (nested ones too) are opened into their entries, keeping each entry's
``fullUrl`` (Synthea-style references use it). Validation uses fhir.resources'
R4B models; one common client slip is read leniently and reported — a single
value where FHIR R4 has an array (see docs/fhir.md#lenient) — and every other
invalid resource is reported as ``unmapped`` with its first validation error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource

from lmtx.fhir._report import BundleError, Entry, Findings


def load(value: object) -> Mapping[str, Any]:
    """A resource as parsed JSON, from JSON text, a parsed object or a fhir.resources model."""
    if isinstance(value, Resource):
        dumped: dict[str, Any] = value.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped
    if isinstance(value, str | bytes | bytearray):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as error:
            raise BundleError(f"not JSON: {error}") from None
    if not isinstance(value, Mapping):
        raise BundleError(f"expected a FHIR resource (a JSON object), got {type(value).__name__}")
    return value


def flatten(resources: Iterable[object]) -> Iterator[Entry]:
    """Every resource in ``resources``, Bundles (nested ones too) opened, with each entry's fullUrl."""
    for item in resources:
        if item is None:
            continue
        data = load(item)
        if data.get("resourceType") != "Bundle":
            if not isinstance(data.get("resourceType"), str):
                raise BundleError("a resource has no resourceType")
            yield Entry(data, None)
            continue
        entries = data.get("entry", [])
        if not isinstance(entries, list):
            raise BundleError("Bundle.entry must be a list")
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise BundleError("a Bundle entry is not an object")
            resource = entry.get("resource")
            if resource is None:
                continue
            full_url = entry.get("fullUrl")
            if isinstance(resource, Mapping) and resource.get("resourceType") == "Bundle":
                yield from flatten([resource])
            elif isinstance(resource, Mapping) and isinstance(resource.get("resourceType"), str):
                yield Entry(resource, full_url if isinstance(full_url, str) else None)
            else:
                raise BundleError("a Bundle entry's resource has no resourceType")


def subject_of(data: Mapping[str, Any]) -> str | None:
    """The reference in a resource's ``subject`` (or ``patient``), when it has one."""
    for key in ("subject", "patient"):
        value = data.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("reference"), str):
            reference: str = value["reference"]
            return reference
    return None


def split_ref(reference: str) -> tuple[str, str | None]:
    """``Type/id`` split into its type and id (``None`` when there is no id)."""
    kind, _, ident = reference.partition("/")
    return kind, ident or None


_MAX_LENIENT_ROUNDS = 5
"""How many times a resource is re-read with its slips mended (each round can reveal slips deeper down)."""


def _wrap_in_lists(data: Any, locations: Sequence[tuple[int | str, ...]]) -> Any:
    """A copy of ``data`` with the value at each location wrapped in a one-item list (``None`` if one is not there)."""
    data = json.loads(json.dumps(data))
    for loc in locations:
        parent = data
        try:
            for part in loc[:-1]:
                parent = parent[part]
            if isinstance(parent[loc[-1]], list):
                return None
            parent[loc[-1]] = [parent[loc[-1]]]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _json_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a JSON path: ``dosageInstruction[0].doseAndRate``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate(found: Findings, entry: Entry) -> Resource | None:
    """The resource as a fhir.resources R4B model, or ``None`` (reported as unmapped) when it is not valid R4.

    A single value where R4 has an array is wrapped in a one-item array and
    read; the slip is remembered in ``found.lenient`` and reported with the
    resource (see docs/fhir.md#lenient).
    """
    model_class = get_fhir_model_class(entry.resource_type)
    data, wrapped = entry.data, []
    try:
        for _ in range(_MAX_LENIENT_ROUNDS):
            try:
                model = model_class.model_validate(data)
                break
            except pydantic.ValidationError as error:
                slips = [e["loc"] for e in error.errors() if e["type"] == "list_type" and e["loc"]]
                mended = _wrap_in_lists(data, slips) if len(slips) == len(error.errors()) else None
                if not slips or mended is None:
                    raise
                data = mended
                wrapped += [_json_path(loc) for loc in slips]
        else:
            model = model_class.model_validate(data)
    except pydantic.ValidationError as error:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": str(error)}
        where = ".".join(str(part) for part in first["loc"]) or entry.resource_type
        found.issue(entry, "unmapped", f"not a valid FHIR R4 resource: {where}: {first['msg']}")
        return None
    except (ValueError, TypeError) as error:
        found.issue(entry, "unmapped", f"not a valid FHIR R4 resource: {str(error)[:200]}")
        return None
    assert isinstance(model, Resource)
    if wrapped:
        found.lenient[id(entry)] = (
            f"{', '.join(wrapped)} {'is a single value' if len(wrapped) == 1 else 'are single values'} where "
            "FHIR R4 has an array; read as a one-item array"
        )
    return model
