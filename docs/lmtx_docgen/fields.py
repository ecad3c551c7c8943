"""The field tables of the input and output pages, walked from the attrs classes of the wire format.

:func:`fields_tables` renders one table per attrs class reachable from a root
class (:class:`lmtx.model.Patient`, :class:`lmtx.result.Result`): each field
with its wire type, its allowed values, its presence and its meaning.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .common import DocsError, cell, check_same, code


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
        return typing.Union[tuple(rest)], True  # noqa: UP007 - built from a runtime tuple
    return tp, False


def _alternatives(tp: Any) -> list[Any]:
    """The members of a union (one value or a list of them), else the type itself."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return list(typing.get_args(tp))
    return [tp]


def walk(root: type) -> list[type]:
    """``root`` and every attrs class reachable through its fields, in field order."""
    found: list[type] = []

    def visit(cls: type) -> None:
        if cls in found:
            return
        found.append(cls)
        for tp in typing.get_type_hints(cls).values():
            for inner in _leaves(tp):
                if attrs.has(inner):
                    visit(inner)

    visit(root)
    return found


def _leaves(tp: Any) -> list[Any]:
    tp, _ = _unwrap_optional(tp)
    leaves: list[Any] = []
    for member in _alternatives(tp):
        leaf = typing.get_args(member)[0] if typing.get_origin(member) is tuple else member
        if leaf not in leaves:
            leaves.append(leaf)
    return leaves


def enums_of(classes: Iterable[type]) -> list[type[enum.Enum]]:
    """Every enumeration the fields of ``classes`` take values from, in field order."""
    found: list[type[enum.Enum]] = []
    for cls in classes:
        for tp in typing.get_type_hints(cls).values():
            for inner in _leaves(tp):
                if isinstance(inner, type) and issubclass(inner, enum.Enum) and inner not in found:
                    found.append(inner)
    return found


def _type_text(tp: Any, titles: Mapping[str, tuple[str, str]]) -> tuple[str, str]:  # noqa: PLR0911 - one return per kind of type
    """(wire type, allowed values) of a field type."""
    tp, _ = _unwrap_optional(tp)
    members = _alternatives(tp)
    if len(members) > 1:
        texts = [_type_text(member, titles) for member in members]
        allowed = next((a for _, a in texts if a), "")
        return " or ".join(t for t, _ in texts), allowed
    if typing.get_origin(tp) is tuple:
        inner, allowed = _type_text(typing.get_args(tp)[0], titles)
        return f"list of {inner}", allowed
    if typing.get_origin(tp) is typing.Literal:
        return "string", " ".join(code(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = " ".join(code(m.value) for m in tp)
        return "string", f"{values} ([{tp.__name__}](#value-{tp.__name__.lower()}))"
    if attrs.has(tp):
        _, anchor = titles[tp.__name__]
        return "object", f"see [below](#{anchor})"
    simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
    if tp in simple:
        return simple[tp], ""
    if tp is dt.date:
        return "date", "`YYYY-MM-DD`"
    raise DocsError(f"no wire type known for {tp!r}")


def _json_default(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_json_default(v) for v in value]
    if attrs.has(type(value)):
        shown = {}
        for field in attrs.fields(typing.cast("type[attrs.AttrsInstance]", type(value))):
            item = getattr(value, field.name)
            if item not in ((), None):
                shown[field.name] = _json_default(item)
        return shown
    return value


def _default_text(field: attrs.Attribute[Any]) -> str:
    if field.default is attrs.NOTHING:
        return "**required**"
    if field.default is None:
        return "optional"
    return "optional, default " + code(json.dumps(_json_default(field.default)))


def fields_tables(
    root: type,
    titles: Mapping[str, tuple[str, str]],
    meanings: Mapping[str, Mapping[str, str]],
    *,
    show_default: bool,
) -> str:
    """One table per attrs class reachable from ``root``: field, type, values, default, meaning."""
    classes = walk(root)
    check_same(f"classes reachable from {root.__name__}", meanings, [c.__name__ for c in classes])
    check_same(f"titles of classes reachable from {root.__name__}", titles, [c.__name__ for c in classes])
    parts: list[str] = []
    for cls in classes:
        hints = typing.get_type_hints(cls)
        fields = attrs.fields(cls)
        check_same(f"fields of {cls.__name__}", meanings[cls.__name__], [f.name for f in fields])
        title, anchor = titles[cls.__name__]
        parts.append(f"### {title} {{ #{anchor} }}\n")
        rows: list[list[str]] = []
        for field in fields:
            wire_type, allowed = _type_text(hints[field.name], titles)
            _, optional = _unwrap_optional(hints[field.name])
            if not show_default and optional:
                wire_type += " or `null`"
            row = [code(field.name), wire_type, allowed]
            if show_default:
                row.append(_default_text(field))
            row.append(meanings[cls.__name__][field.name])
            rows.append(row)
        columns = ["field", "type", "allowed values"] + (["presence"] if show_default else []) + ["meaning"]
        if not any(row[2] for row in rows):  # no value sets in this table
            columns.pop(2)
            rows = [row[:2] + row[3:] for row in rows]
        parts.append("| " + " | ".join(columns) + " |")
        parts.append("|" + "---|" * len(columns))
        parts.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
        parts.append("")
    return "\n".join(parts)
