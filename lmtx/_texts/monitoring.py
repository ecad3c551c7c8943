"""Words of the monitoring items: the adverse effects to watch for (rules in :mod:`lmtx.rules.monitoring`).

``monitor-adverse-effects`` names each effect the document lists (S21-S24)
that a therapy given now, ended in the last six weeks, or advised carries
(docs/interpretation.md#toxicity), cites the statements of those effects
only, and lists their CTCAE terms in a structured field.
"""

from __future__ import annotations

from lmtx._texts._shared import Context, ItemText, and_, linked_words, of
from lmtx.result import ADVERSE_EFFECT_TERMS

__all__ = ["adverse_effects"]

_EFFECTS = {
    # effect: (words, statement, toxicity terms)
    "rash": ("skin rash", "S21", ("rash",)),
    "myelosuppression": ("myelosuppression", "S22", ("leukopenia", "neutropenia", "thrombocytopenia", "anemia")),
    "aseptic-meningitis": ("aseptic meningitis", "S23", ("aseptic_meningitis",)),
    "fatigue": ("fatigue", "S24", ("fatigue",)),
}
_EFFECT_ORDER = tuple(_EFFECTS)
_HEADS = {
    "active": "Given now",
    "recent": "Ended in the last six weeks",
    "advised": "Advised",
    "hold": "On hold",
    "review": "For a specialist's review",
}


def _listed(sources: dict[str, list[str]]) -> str:
    parts = []
    for name in sorted(sources):
        named = [_EFFECTS[e][0] for e in _EFFECT_ORDER if e in sources[name]]
        parts.append(f"{name}: {and_(named) if named else 'none of the adverse effects the document names'}")
    return "; ".join(parts)


def adverse_effects(context: Context) -> ItemText:
    """The effects watched, with their sources; the statements of those effects; their CTCAE terms."""
    watch = of(context.derived, "watch")
    effects = [e for e in _EFFECT_ORDER if any(w["effect"] == e for w in watch)]
    groups: dict[str, dict[str, list[str]]] = {"active": {}, "recent": {}, "advised": {}, "hold": {}, "review": {}}
    for fact in watch:
        if fact["basis"] in ("active", "recent"):
            name = linked_words(fact, context.patient)
            groups[str(fact["basis"])].setdefault(name, []).append(str(fact["effect"]))
        else:
            # An advised item's action: a hold is no advice to give it (docs/interpretation.md#combination),
            # nor is a review of osimertinib after a toxicity stop (docs/interpretation.md#tolerable-dose).
            group = str(fact["basis"]) if fact["basis"] in ("hold", "review") else "advised"
            groups[group].setdefault(str(fact["agent"]), []).append(str(fact["effect"]))
    sentences = [f"{_HEADS[basis]}: {_listed(sources)}." for basis, sources in groups.items() if sources]
    terms = {t for e in effects for t in _EFFECTS[e][2]}
    cited = tuple(_EFFECTS[e][1] for e in effects)
    document = "The document names rash as most common with osimertinib"
    if "aseptic-meningitis" in effects:
        document += " and aseptic meningitis as frequent with intrathecal chemotherapy"
    return (
        {
            "term": and_([_EFFECTS[e][0] for e in effects]),
            "sources": " ".join(sentences),
            "document_names": f"{document}.",
        },
        tuple(s for s in context.statements if s in cited),
        tuple(t for t in ADVERSE_EFFECT_TERMS if t in terms),
    )
