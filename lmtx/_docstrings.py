"""Field documentation read from a class docstring's Google-style ``Attributes:`` section.

Each field of the model is documented once, in its class's docstring: the API
reference renders that section, the JSON Schema (:mod:`lmtx.schema`) takes its
property descriptions from it, and the input-format page its field table.
"""

from __future__ import annotations

import functools
import inspect
import re

__all__ = ["field_docs", "summary"]

_ENTRY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?: \([^)]*\))?: (?P<text>.*)")


def summary(cls: type) -> str:
    """The first paragraph of a class's docstring, on one line."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    return " ".join(doc.split("\n\n", 1)[0].split())


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """The description of each attribute in the ``Attributes:`` section of ``cls``'s docstring.

    Continuation lines are joined with single spaces; the text is otherwise as
    written (Markdown code spans included).

    Args:
        cls: A documented class.

    Returns:
        Attribute name -> description, in the order written; empty when the
        docstring has no ``Attributes:`` section.
    """
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    try:
        start = lines.index("Attributes:") + 1
    except ValueError:
        return {}
    docs: dict[str, list[str]] = {}
    current: list[str] | None = None
    entry_indent: int | None = None
    for line in lines[start:]:
        if not line.strip():
            break
        indent = len(line) - len(line.lstrip())
        if indent == 0:  # the next section
            break
        entry_indent = entry_indent if entry_indent is not None else indent
        found = _ENTRY.fullmatch(line.strip()) if indent == entry_indent else None
        if found is not None:
            current = docs.setdefault(found["name"], [])
            current.append(found["text"])
        elif current is not None and indent > entry_indent:
            current.append(line.strip())
        else:
            raise ValueError(f"{cls.__qualname__}: cannot read the Attributes line {line.strip()!r}")
    return {name: " ".join(" ".join(parts).split()) for name, parts in docs.items()}
