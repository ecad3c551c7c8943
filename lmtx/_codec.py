"""Wire format <-> model: strict cattrs converters and error paths.

Structuring is strict (see docs/input-format.md): unknown keys are errors, a
number is a JSON number (never a string, a boolean, NaN or an infinity),
strings are valid Unicode (no lone UTF-16 surrogate, so that every string can
be written as UTF-8), dates are ISO ``YYYY-MM-DD`` strings, enumerations take
exactly their documented values. Every problem found is reported with its
JSON path; cattrs' own exception tree never leaves this module.

JSON text takes one road: :func:`load_json` parses it, leaving the tokens
``NaN``, ``Infinity`` and ``-Infinity`` in place as :class:`JsonConstant`
markers, and structuring then rejects each marker at its own path
(``therapies[0].dose_mg``), as it rejects any other value of the wrong kind.
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
from lmtx.model import Patient, PerformanceStatus

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
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""JSON's ``\\ud800`` escapes decode to these; no UTF-8 encoding exists for them."""


class WireError(ValueError):
    """A value of the wrong type or form; the message is user-facing."""


@attrs.frozen
class JsonConstant:
    """A ``NaN``, ``Infinity`` or ``-Infinity`` token found in JSON text.

    Python's JSON parser accepts these non-standard tokens; lmtx keeps them as
    markers rather than floats, so that structuring reports each at its path
    as what it is: not a JSON value at all.
    """

    token: str


def describe(value: object) -> str:  # noqa: PLR0911 - one return per kind of JSON value
    """A short, JSON-flavoured description of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, JsonConstant):
        return f"{value.token}, which is not a number in JSON"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        if math.isnan(value):
            return "number NaN"
        return f"number {repr(value) if math.isfinite(value) else str(value).replace('inf', 'Infinity')}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {json.dumps(shown)}"  # ASCII-escaped: safe to print whatever the string holds
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
    surrogate = _LONE_SURROGATE.search(value)
    if surrogate is not None:
        raise WireError(
            f"must be valid Unicode text; character {surrogate.start() + 1} is a lone UTF-16 surrogate "
            f"(\\u{ord(surrogate.group()):04x}), which cannot be written as UTF-8"
        )
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


_PS_FIELD = PerformanceStatus | tuple[PerformanceStatus, ...] | None


def _structure_performance_status(value: object, _: type) -> PerformanceStatus | tuple[PerformanceStatus, ...] | None:
    """One assessment (an object) or a history of them (a list)."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return _structure_tuple(value, tuple[PerformanceStatus, ...])
    if isinstance(value, Mapping):
        structured: PerformanceStatus = _CONVERTER.structure(value, PerformanceStatus)
        return structured
    raise WireError(f"must be an object or a list of objects, got {describe(value)}")


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
    converter.register_structure_hook_func(lambda t: t == _PS_FIELD, _structure_performance_status)
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
        problems = list(_problems(error, root))
        raise InvalidPatient([*problems, *_hidden_constants(value, root, problems)]) from None


def _hidden_constants(value: object, root: str, problems: list[Problem]) -> Iterator[Problem]:
    """The ``NaN``/``Infinity`` tokens that no problem names: those inside an unknown field.

    Such a field is reported as unknown, which says nothing of its value; but the
    text holding it is not JSON, and a standard parser upstream would refuse it
    whole, so the token is reported against the whole text.
    """
    named = {p.path for p in problems if "not a number in JSON" in p.message}
    for path, constant in _constants(value, root):
        if path not in named:
            yield Problem(root, f"holds {constant.token} (at {path}), which is not a number in JSON")


def _constants(value: object, root: str) -> Iterator[tuple[str, JsonConstant]]:
    """Every :class:`JsonConstant` in a parsed value, with its path (iterative: nesting may be deep)."""
    stack: list[tuple[str, object]] = [(root, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, JsonConstant):
            yield path, item
        elif isinstance(item, Mapping):
            stack.extend((_join(path, str(key)), child) for key, child in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}[{index}]", child) for index, child in enumerate(item))


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


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise WireError(f"key {json.dumps(key)} appears twice in one object")
        result[key] = value
    return result


def load_json(text: str | bytes | bytearray) -> object:
    """Parse JSON strictly: no duplicate keys, bounded nesting, not empty.

    ``NaN``, ``Infinity`` and ``-Infinity`` are parsed into
    :class:`JsonConstant` markers, which structuring rejects at their path.

    Raises:
        InvalidPatient: With path ``$`` when the text is not JSON at all.
    """
    if not text.strip():
        raise InvalidPatient([Problem("$", "empty input; expected one JSON object (a patient record)")])
    try:
        return json.loads(text, parse_constant=JsonConstant, object_pairs_hook=_unique_keys)
    except WireError as error:
        raise InvalidPatient([Problem("$", str(error))]) from None
    except RecursionError:
        raise InvalidPatient([Problem("$", "JSON is nested too deeply")]) from None
    except (ValueError, TypeError) as error:  # JSONDecodeError and bad encodings
        raise InvalidPatient([Problem("$", f"not valid JSON: {error}")]) from None
