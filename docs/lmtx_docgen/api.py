"""The API reference's generated parts (``api/index.md``, ``api/lmtx.md``): where each export is documented."""

from __future__ import annotations

import enum
import itertools
import sys
import types

import lmtx

API_PAGES = {
    "lmtx": "api/lmtx.md",
    "lmtx.model": "api/model.md",
    "lmtx.drugs": "api/drugs.md",
    "lmtx.result": "api/result.md",
    "lmtx.errors": "api/errors.md",
    "lmtx.policy": "api/policy.md",
    "lmtx.knowledge": "api/knowledge.md",
    "lmtx.dsl": "api/dsl.md",
    "lmtx.catalogue": "api/catalogue.md",
    "lmtx.statements": "api/statements.md",
    "lmtx.course": "api/course.md",
    "lmtx.explain": "api/explain.md",
    "lmtx.batch": "api/batch.md",
    "lmtx.pool": "api/pool.md",
    "lmtx.cache": "api/cache.md",
    "lmtx.schema": "api/schema.md",
    "lmtx.fhir": "api/fhir.md",
    "lmtx.server": "api/server.md",
    "lmtx.strategies": "api/strategies.md",
    "lmtx.integrations": "api/integrations.md",
}
"""The public modules and the API page of each."""


def documented_at(name: str) -> str:
    """The identifier under which the API reference documents ``lmtx.<name>``.

    That is the public module that defines it (a page's module or one of its
    public submodules), else the public package that re-exports it from a
    private module (``lmtx.explain`` for ``lmtx.explain._answers``), else
    ``lmtx`` itself.
    """
    obj = getattr(lmtx, name)
    defined_in = getattr(obj, "__module__", None) or ""
    parts = defined_in.split(".")
    public = ".".join(itertools.takewhile(lambda part: not part.startswith("_"), parts))
    if public == defined_in and any(public == m or public.startswith(m + ".") for m in API_PAGES if m != "lmtx"):
        return f"{public}.{name}"
    for module in sorted(API_PAGES, key=lambda m: (not public.startswith(m), m)):
        loaded = sys.modules.get(module)
        if (
            module != "lmtx"
            and loaded is not None
            and name in getattr(loaded, "__all__", ())
            and getattr(loaded, name) is obj
        ):
            return f"{module}.{name}"
    return f"lmtx.{name}"


GENERATED_DIRECTIVES = ("lmtx",)
"""The ``:::`` directives that a marker generates (``<!-- lmtx:api-lmtx -->``) rather than a page holds."""


def api_lmtx_page() -> str:
    """The mkdocstrings directive of the ``lmtx`` page: the exports no public module documents."""
    names = [n for n in lmtx.__all__ if not n.startswith("__") and documented_at(n) == f"lmtx.{n}"]
    return "::: lmtx\n    options:\n      members:\n" + "".join(f"        - {n}\n" for n in names)


def api_index() -> str:
    """Every name of ``lmtx.__all__`` with a link to where it is documented."""
    rows = ["| name | what it is | documented at |", "|---|---|---|"]
    for name in sorted(lmtx.__all__, key=str.lower):
        if name.startswith("__"):
            continue
        obj = getattr(lmtx, name)
        if isinstance(obj, type) and issubclass(obj, enum.Enum):
            what = "enumeration"
        elif isinstance(obj, type) and issubclass(obj, BaseException):
            what = "exception"
        elif isinstance(obj, type):
            what = "class"
        elif callable(obj) and not isinstance(obj, types.UnionType):
            what = "function"
        elif isinstance(obj, types.UnionType):
            what = "type alias"
        else:
            what = "constant"
        target = documented_at(name)
        rows.append(f"| `lmtx.{name}` | {what} | [`{target}`][{target}] |")
    return "\n".join(rows) + "\n"
