"""What decided an item, in words: the values the catalogue's text may use beyond a rule's parameters.

The rules decide; this package only describes. Its modules are named like
the rule modules (:mod:`lmtx.rules`): the words of an item live in the
module of the rules that emit it (``lmtx.rules.toxicity`` emits the toxicity
alerts, ``lmtx._texts.toxicity`` holds their words), each as a function from
the item's :class:`~lmtx._texts._shared.Context` to the named values its
catalogue template fills (docs/output-format.md). The catalogue
(:mod:`lmtx.catalogue`) stays the one place for each code's summary and
detail templates; the clinical readings the words state are made below, in
:mod:`lmtx._facts.readings`. Nothing here changes which items a result holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from lmtx._facts import Fact
from lmtx._texts import initial, monitoring, pitfalls, prognosis, progression, response, tolerance, toxicity
from lmtx._texts._shared import Compose, Context, ItemText
from lmtx.dsl import Rule
from lmtx.model import Patient

__all__ = ["WORDS", "ItemText", "compose"]

CITED: dict[str, Callable[[Context], tuple[str, ...]]] = {"it-pemetrexed": tolerance.cited}
"""Codes whose words also choose which of the rule's statements an item cites (a hold cites S22 or S23 only when
a toxicity of that kind decided it)."""

WORDS: dict[str, Compose] = {
    **initial.WORDS,
    **response.WORDS,
    **progression.WORDS,
    **tolerance.WORDS,
    **toxicity.WORDS,
    **prognosis.WORDS,
    **pitfalls.WORDS,
}
"""The words of each code whose text names more than its rule's parameters, by code."""


def compose(
    fact: Fact,
    rule: Rule,
    statements: tuple[str, ...],
    derived: Sequence[Fact],
    patient: Patient,
    *,
    as_of: dt.date | None = None,
) -> ItemText:
    """The extra text values of one item, the statements it cites, and its adverse-effect terms.

    Args:
        fact: The emitted item fact (code and the rule's parameters).
        rule: The rule that emitted it.
        statements: The code's statements its rule encodes (docs/interpretation.md#provenance).
        derived: Every fact derived in this evaluation.
        patient: The validated record (read only for dates and names the facts do not carry).
        as_of: The evaluation date (the age of a stale finding counts to it).
    """
    code = fact["code"]
    context = Context(fact, rule, statements, derived, patient, as_of)
    if code == "monitor-adverse-effects":
        # The one item whose words also choose its statements and structured terms.
        return monitoring.adverse_effects(context)
    words = WORDS.get(code)
    chosen = CITED.get(code)
    return (words(context) if words is not None else {}), (chosen(context) if chosen else statements), ()
