"""The rule base, grouped by the document's sections, as data.

Each module holds the rules of one part of the document in a ``RULES``
tuple; :data:`RULES` is all of them, in the order the catalogue documents.
"""

from __future__ import annotations

from lmtx.dsl import Rule
from lmtx.rules import (
    diagnosis,
    initial,
    monitoring,
    pitfalls,
    prognosis,
    progression,
    response,
    scope,
    tolerance,
    toxicity,
)

__all__ = ["RULES", "SECTIONS"]

SECTIONS = (scope, diagnosis, initial, response, progression, tolerance, monitoring, prognosis, toxicity, pitfalls)
"""The rule modules, in document order."""

RULES: tuple[Rule, ...] = tuple(rule for module in SECTIONS for rule in module.RULES)
"""Every rule of the knowledge base."""
