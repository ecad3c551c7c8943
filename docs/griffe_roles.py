"""A griffe extension for the API reference: Sphinx-style roles in docstrings become links.

lmtx's docstrings are Google style but refer to other objects the Sphinx way
(``:class:`~lmtx.model.Patient```, ``:func:`evaluate```), and introduce
literal blocks with ``::``. mkdocstrings renders Markdown, so this extension
rewrites, before rendering:

- each role into an optional cross-reference: a link when the target is
  documented on the site, plain code otherwise (never a broken link);
- a paragraph ending in ``::`` into one ending in ``:`` (the indented block
  that follows is already code in Markdown).

Relative targets are resolved the way Sphinx would: against the enclosing
class, then the module, then the ``lmtx`` package.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:func|class|data|meth|attr|mod|exc|obj|const|type):`(?P<target>[^`]+)`")
_LITERAL_INTRO = re.compile(r"(?<=\S)::$", re.MULTILINE)


def _exists(collection: griffe.ModulesCollection, path: str) -> bool:
    try:
        collection.get_member(path)
    except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return False
    return True


def _resolve(obj: griffe.Object, target: str) -> str:
    collection = obj.modules_collection
    scopes = []
    if isinstance(obj.parent, griffe.Class):
        scopes.append(obj.parent.path)
    if isinstance(obj, griffe.Class | griffe.Module):
        scopes.append(obj.path)
    scopes += [obj.module.path, obj.package.path]
    for candidate in [*(f"{scope}.{target}" for scope in scopes), target]:
        if _exists(collection, candidate):
            return candidate
    return target


def _rewrite(obj: griffe.Object, text: str) -> str:
    def link(found: re.Match[str]) -> str:
        target = found["target"].strip()
        short = target.startswith("~")
        target = target.lstrip("~").removesuffix("()")
        shown = target.rsplit(".", 1)[-1] if short else target
        identifier = _resolve(obj, target)
        return f'<autoref identifier="{html.escape(identifier)}" optional><code>{html.escape(shown)}</code></autoref>'

    return _LITERAL_INTRO.sub(":", _ROLE.sub(link, text))


class SphinxRoles(griffe.Extension):
    """Rewrite the Sphinx roles of every docstring in a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite the docstrings of ``pkg`` and everything it contains (aliases excepted)."""
        del kwargs
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                obj.docstring.value = _rewrite(obj, obj.docstring.value)
            stack.extend(member for member in obj.members.values() if isinstance(member, griffe.Object))
