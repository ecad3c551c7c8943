"""Wire format <-> model: strict cattrs converters and error paths.

Structuring is strict (SPEC §2): unknown keys are errors, a number is a JSON
number (never a string, a boolean, NaN or an infinity), dates are ISO
``YYYY-MM-DD`` strings, enumerations take exactly their documented values.
Every problem found is reported with its JSON path; cattrs' own exception
tree never leaves this module.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, get_args

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from lmtx.errors import InvalidPatient, Problem
from lmtx.model import Patient

__all__ = [
    "describe",
    "load_json",
    "parse_date",
    "structure_patient",
    "unstructure_patient",
]

T = TypeVar("T")

MAX_STRING_LENGTH = 256
"""Longest free-text string accepted (the patient id)."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class WireError(ValueError):
    """A value of the wrong type or form; the message is user-facing."""


def describe(value: object) -> str:
    """A short, JSON-flavoured description of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        if math.isnan(value):
            return "number NaN"
        return f"number {repr(value) if math.isfinite(value) else str(value).replace('inf', 'Infinity')}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {json.dumps(shown)}"
    kinds = ((Mapping, "object"), (list | tuple, "list"))
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def parse_date(value: object) -> dt.date:
    """Read a date: an ISO ``YYYY-MM-DD`` string or a :class:`datetime.date`.

    Raises:
        WireError: For anything else, including datetimes and other ISO forms.
    """
    if isinstance(value, dt.datetime):
        raise WireError(f"must be a date YYYY-MM-DD, got a datetime {value.isoformat()}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise WireError(f"is not a calendar date, got {describe(value)}") from None
    raise WireError(f"must be a date YYYY-MM-DD, got {describe(value)}")


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise WireError(f"must be a string, got {describe(value)}")
    if len(value) > MAX_STRING_LENGTH:
        raise WireError(f"must be at most {MAX_STRING_LENGTH} characters, got {len(value)}")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise WireError(f"must be true or false, got {describe(value)}")
    return value


def _finite_number(value: object) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WireError(f"must be a number, got {describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise WireError(f"must be a finite number, got {describe(value)}")
    return value


def _structure_int(value: object, _: type) -> int:
    number = _finite_number(value)
    if isinstance(number, float):
        if not number.is_integer():
            raise WireError(f"must be a whole number, got {describe(value)}")
        return int(number)
    return number


def _structure_float(value: object, _: type) -> float:
    number = _finite_number(value)
    try:
        return float(number)
    except OverflowError:
        raise WireError(f"must be a finite number, got a {len(str(number))}-digit integer") from None


def _structure_date(value: object, _: type) -> dt.date:
    return parse_date(value)


def _structure_enum(value: object, cls: type[enum.StrEnum]) -> enum.StrEnum:
    if isinstance(value, str):
        member = cls._value2member_map_.get(value)
        if member is not None:
            return member  # type: ignore[return-value]  # the map holds cls's members
    choices = ", ".join(member.value for member in cls)
    raise WireError(f"must be one of {choices}; got {describe(value)}")


def _structure_tuple(value: object, cls: Any) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise WireError(f"must be a list, got {describe(value)}")
    (item_type, _ellipsis) = get_args(cls)
    items: list[Any] = []
    errors: list[Exception] = []
    for index, item in enumerate(value):
        try:
            items.append(_CONVERTER.structure(item, item_type))
        except Exception as error:  # noqa: BLE001 - collected and re-raised as a group below
            error.__notes__ = [
                *getattr(error, "__notes__", []),
                IterableValidationNote(f"@ index {index}", index, item_type),
            ]
            errors.append(error)
    if errors:
        raise IterableValidationError(f"While structuring {cls!r}", errors, cls)
    return tuple(items)


def _attrs_factory(cls: type) -> Callable[[object, type], Any]:
    structure: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(
        cls, _CONVERTER, _cattrs_forbid_extra_keys=True
    )

    def structure_object(value: object, _: type) -> Any:
        if not isinstance(value, Mapping):
            raise WireError(f"must be an object, got {describe(value)}")
        for key in value:
            if not isinstance(key, str):
                raise WireError(f"keys must be strings, got {describe(key)}")
        return structure(value, cls)

    return structure_object


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(dt.date, _structure_date)
    # Registered on StrEnum itself, the most specific class, so it wins over cattrs' Enum hook.
    converter.register_structure_hook(enum.StrEnum, _structure_enum)
    converter.register_structure_hook_func(lambda t: getattr(t, "__origin__", None) is tuple, _structure_tuple)
    converter.register_structure_hook_factory(attrs.has, _attrs_factory)
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)
    return converter


_CONVERTER = _make_converter()


def _problems(error: BaseException, path: str) -> Iterator[Problem]:
    """Flatten a cattrs exception tree into problems with JSON paths."""
    if isinstance(error, ForbiddenExtraKeysError):
        for key in sorted(error.extra_fields):
            yield Problem(_join(path, key), "unknown field")
        return
    if isinstance(error, ClassValidationError | IterableValidationError):
        for sub in error.exceptions:
            yield from _problems(sub, _child_path(sub, path))
        return
    if isinstance(error, KeyError):
        yield Problem(path, "required field is missing")
        return
    if isinstance(error, WireError):
        yield Problem(path, str(error))
        return
    yield Problem(path, f"invalid value ({type(error).__name__}: {error})")


def _child_path(error: BaseException, path: str) -> str:
    for note in getattr(error, "__notes__", ()):
        name = getattr(note, "name", None)
        if name is not None:
            return _join(path, name)
        index = getattr(note, "index", None)
        if index is not None:
            return f"{path}[{index}]" if path != "$" else f"$[{index}]"
    return path


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _join(path: str, name: str) -> str:
    if not _PLAIN_KEY.fullmatch(name):  # "", "a.b", "x[0]": quote it so the path stays unambiguous
        return f"{path}[{json.dumps(name)}]"
    return name if path == "$" else f"{path}.{name}"


def structure(value: object, cls: type[T], root: str = "$") -> T:
    """Structure ``value`` into ``cls`` strictly; raise :class:`InvalidPatient` on any problem."""
    try:
        return _CONVERTER.structure(value, cls)
    except WireError as error:
        raise InvalidPatient([Problem(root, str(error))]) from None
    except (ClassValidationError, IterableValidationError) as error:
        raise InvalidPatient(list(_problems(error, root))) from None


def structure_patient(value: object) -> Patient:
    """Structure a wire mapping into a :class:`~lmtx.model.Patient` (types only)."""
    return structure(value, Patient)


def unstructure_patient(patient: Patient) -> dict[str, Any]:
    """The wire form of a patient; ``None`` fields are left out."""
    wire: dict[str, Any] = _drop_none(_CONVERTER.unstructure(patient))
    return wire


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value


def _reject_constant(name: str) -> float:
    raise WireError(f"{name} is not a number in JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise WireError(f"key {json.dumps(key)} appears twice in one object")
        result[key] = value
    return result


def load_json(text: str | bytes | bytearray) -> object:
    """Parse JSON strictly: no NaN/Infinity, no duplicate keys, bounded nesting.

    Raises:
        InvalidPatient: With path ``$`` when the text is not acceptable JSON.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except WireError as error:
        raise InvalidPatient([Problem("$", str(error))]) from None
    except RecursionError:
        raise InvalidPatient([Problem("$", "JSON is nested too deeply")]) from None
    except (ValueError, TypeError) as error:  # JSONDecodeError and bad encodings
        raise InvalidPatient([Problem("$", f"not valid JSON: {error}")]) from None
