"""Conditions and derived facts in clinical words, for the text form of explanations.

Nothing here knows a particular rule. The words come from general sources,
so that a rule added or revised needs no wording of its own:

- a condition is said as the thing it asks for, built from its fact type and
  its tests, with the values it refers to resolved: ``intrathecal pemetrexed
  given, begun on or after 2026-01-12``, ``a neurological exam finding new,
  persistent or worsened symptoms``;
- a derived fact is said by what it means (:mod:`lmtx.explain._fact_words`,
  from the tables here).

No comparison operator, value tuple, field name or engine bookkeeping (the
order numbers ``seq``/``prev``, day numbers, "no date") reaches the words. A
fact type or field without an entry in the tables below is still said, from
its own name. Input records are worded in :mod:`lmtx.explain._records`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from lmtx._facts import DATE_FIELDS, NO_DATE, Fact
from lmtx.dsl import Match, NoMatch, Ref, Test
from lmtx.explain._records import FIELD_LABELS, value_words

__all__ = ["PHASE_WORDS", "REASON_WORDS", "condition_words", "noun", "requirement_words"]

NOUNS: dict[str, tuple[str, str]] = {
    # fact type: (article, noun)
    "neuro_exam": ("a", "neurological exam"),
    "cytology": ("a", "CSF cytology"),
    "mri": ("an", "MRI"),
    "therapy": ("a", "therapy"),
    "toxicity": ("an", "adverse event"),
    "attribution": ("an", "attribution by the treating team"),
    "ps": ("a", "performance status"),
    "patient": ("the", "patient record"),
    "policy": ("the", "policy thresholds"),
    "latest_neuro": ("the", "latest neurological exam"),
    "latest_mri": ("the", "latest MRI"),
    "latest_cytology": ("the", "latest CSF cytology"),
    "lm": ("the", "LM status"),
    "phase": ("the", "phase"),
    "regimen": ("the", "regimen being judged"),
    "verdict": ("an", "assessment"),
    "ecog": ("an", "ECOG score"),
    "applicable": ("", "the algorithm applying"),
    "not_applicable": ("a", "reason the algorithm does not apply"),
    "nsclc": ("a", "diagnosis of NSCLC"),
    "egfr_mutant": ("an", "EGFR mutation"),
    "cns_involvement": ("", "CNS involvement"),
    "symptom_onset": ("an", "onset of neurological symptoms"),
    "workup_gap": ("a", "workup still incomplete"),
    "mri_since": ("an", "MRI since the symptoms began"),
    "first_mri": ("the", "first MRI since the symptoms began"),
    "cytology_since": ("a", "CSF cytology since the symptoms began"),
    "first_cytology": ("the", "first CSF cytology since the symptoms began"),
    "workup_complete": ("a", "complete workup since the symptoms began"),
    "symptoms_after_workup": ("a", "new or worse symptom after a complete workup"),
    "high_dose_regimen": ("an", "osimertinib 160 mg regimen"),
    "intrathecal_given": ("an", "intrathecal pemetrexed course given on the osimertinib run"),
    "intrathecal_first": ("the", "first intrathecal pemetrexed course on the osimertinib run"),
    "intrathecal_latest": ("the", "latest intrathecal pemetrexed course on the osimertinib run"),
    "platinum_given": ("a", "platinum course given on the osimertinib run"),
    "platinum_first": ("the", "first platinum course on the osimertinib run"),
    "platinum_latest": ("the", "latest platinum course on the osimertinib run"),
    "watch": ("an", "adverse effect to watch"),
    "reported": ("a", "reported adverse event"),
    "linked": ("an", "agent linked to an adverse event"),
    "other_tki_in_use": ("another", "EGFR TKI being given"),
    "osimertinib_in_use": ("", "osimertinib given or advised"),
    "platinum_in_use": ("a", "platinum chemotherapy being given"),
    "radiotherapy_in_use": ("", "radiotherapy planned or under way"),
    "poor_ps": ("a", "poor performance status"),
    "severe_toxicity": ("a", "severe adverse event"),
    "recommendation": ("a", "recommendation"),
    "alert": ("an", "alert"),
    "prognosis": ("a", "prognosis note"),
}
"""Fact type -> how to name one such fact; other types are named from their own name."""

PHASE_WORDS = {
    "diagnostic-workup": "diagnostic workup of suspected LM",
    "cns-metastases-without-lm": "brain metastases without LM",
    "initial": "initial treatment (established LM, not yet on osimertinib 160 mg a day)",
    "osimertinib-monotherapy": "osimertinib alone, nothing failing",
    "inadequate-response": "inadequate response to osimertinib alone",
    "combination": "osimertinib with intrathecal pemetrexed, no progression",
    "progression-on-combination": "progression on osimertinib with intrathecal pemetrexed",
    "beyond-document": "platinum chemotherapy on osimertinib, the document's last step",
}
"""Each phase in words; a phase without an entry is said from its code."""

_REGIMENS = {
    "osimertinib": "osimertinib alone",
    "combination": "intrathecal pemetrexed with osimertinib",
    "platinum": "platinum chemotherapy after intrathecal pemetrexed",
    "platinum-without-intrathecal": "platinum chemotherapy without intrathecal pemetrexed",
}
_LM = {"confirmed": "confirmed", "probable": "probable", "suspected": "suspected", "absent": "no"}
REASON_WORDS = {
    "not-nsclc": "the histology is not NSCLC",
    "egfr-wild-type": "the tumour is EGFR wild-type",
    "egfr-status-unknown": "the EGFR status is unknown (the algorithm needs it: test it)",
    "no-cns-involvement": "no LM, established or suspected, and no brain metastases",
}
"""Each reason the algorithm does not apply, in words."""
_KINDS = {"neuro": "neurological exam", "cytology": "CSF cytology", "mri": "MRI"}
_CLASSES = {
    "egfr-tki": "EGFR TKI",
    "chemotherapy": "chemotherapy",
    "antibody": "antibody",
    "other": "drug of another class",
    "": "drug of unrecorded class",
}
_STATUS = {"active": "being given", "planned": "planned", "completed": "completed", "stopped": "stopped"}
_STATUS_SETS = {
    frozenset({"active", "completed", "stopped"}): "given",
    frozenset({"completed", "stopped"}): "completed or stopped",
}
_DATE_VERBS = {
    "date": "dated",
    "start": "begun",
    "run_start": "begun",
    "end": "ended",
    "onset": "for symptoms begun",
    "done": "completed",
    "regimen_start": "on a regimen begun",
    "judged_from": "judged from",
    "stop": "stopped",
}
_DATE_OPS = {"==": "on", "!=": "not on", "<": "before", "<=": "on or before", ">": "after", ">=": "on or after"}
_AMOUNT_OPS = {
    "==": "{}",
    "!=": "other than {}",
    "<": "below {}",
    "<=": "{} or less",
    ">": "above {}",
    ">=": "{} or more",
}
_COURSE = {
    "progressed": "stopped for progression",
    "held": "stopped for another reason or with none recorded",
    "continuing": "going on or completed",
}
"""How an intrathecal course stands (the ``course`` reading of lmtx._facts.therapies), in words."""
_ORDER = {">": "later", "<": "earlier"}
_ORDER_FIELDS = frozenset({"seq", "prev"})
_BOOKKEEPING = frozenset({"seq", "prev", "t", "sid", "n", "therapy", "toxicity", "basis"})
_REF_WORDS = {
    "poor_ps_ecog": "threshold for poor performance status",
    "recent_from": "start of the last 6 weeks",
    "regimen_start": "start of the osimertinib regimen",
    "run_start": "start",
    "window": "start of the 6 weeks before",
}
"""Fields a condition refers to, in words, for a condition checked before its references are bound."""
_REFERRED = {"poor_ps_ecog": " (the threshold for poor performance status)"}
_VOWEL = re.compile(r"(?i:[aeiou])|[FHLMNRSX][A-Z]")
"""Words that take "an": a vowel, or an initialism said with one (an MRI, an NSCLC)."""

Slot = Literal["pre", "head", "post"]


def noun(fact_type: str, *, article: bool = True) -> str:
    """How to name a fact of a type: ``a CSF cytology``, ``the phase`` (or without the article)."""
    known = NOUNS.get(fact_type)
    if known is None:
        name = fact_type.replace("_", " ")
        known = (_an(name), name)
    return f"{known[0]} {known[1]}" if article and known[0] else known[1]


def _an(word: str) -> str:
    return "an" if _VOWEL.match(word) else "a"


def _day(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value != NO_DATE:
        return dt.date.fromordinal(value).isoformat()
    return "an unrecorded date" if value == NO_DATE else str(value)


def _any(values: Sequence[object], said: Callable[[Any], str] = value_words, last: str = "or") -> str:
    shown = list(dict.fromkeys(said(v) for v in values))
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} {last} {shown[-1]}"


def _agent(value: object) -> str:
    return {"other": "another drug"}.get(str(value), value_words(value))


def _response(value: object) -> str:
    return {"": "no response read", "stable": "stable disease"}.get(str(value), value_words(value))


def _resolved(test: Test, bound: Mapping[str, Fact]) -> tuple[bool, Any]:
    """(known, value) of a test's value: a literal, or the field of a bound fact."""
    if isinstance(test.value, Ref):
        fact = bound.get(test.value.binding)
        if fact is None or test.value.field not in fact:
            field = _REF_WORDS.get(test.value.field, test.value.field.replace("_", " "))
            return False, f"the {field} of the {noun(test.value.binding, article=False)}"
        return True, fact[test.value.field]
    return True, test.value


def _values(value: object) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else (value,)


def _choice(op: str, values: tuple[object, ...], said: Callable[[Any], str]) -> tuple[bool, str]:
    """(negated, words) of an equality or membership test: ``positive``, ``(not) new or worsened``."""
    return op in ("!=", "not in"), _any(values, said)


def _date_part(field: str, op: str, value: object, known: bool) -> str:
    if known and value == NO_DATE and op == "==":
        return "still running" if field == "end" else f"with no {field.replace('_', ' ')} recorded"
    verb = _DATE_VERBS.get(field, field.replace("_", " "))
    return f"{verb} {_DATE_OPS.get(op, op)} {_day(value) if known else value}"


def _amount(op: str, value: object, unit: str = "") -> str:
    return _AMOUNT_OPS.get(op, "{}").format(f"{value_words(value)}{unit}")


def _part(fact_type: str, test: Test, bound: Mapping[str, Fact]) -> tuple[Slot, str]:  # noqa: PLR0911, PLR0912 - one branch per kind of field
    """One test as a part of the phrase naming the fact: an adjective, the head noun, or a qualifier."""
    known, value = _resolved(test, bound)
    field, op = test.field, test.op
    if field in DATE_FIELDS:
        return "post", _date_part(field, op, value, known)
    if field in _ORDER_FIELDS:
        if op == "==" and value == 0:
            return "pre", "first"
        if op == "==" and isinstance(test.value, Ref) and test.value.field == "prev":
            return "pre", "preceding"
        return "pre", _ORDER.get(op, "other")
    values = _values(value)
    negated, words = _choice(op, values, value_words)
    if isinstance(value, bool):
        return ("head" if fact_type == "patient" else "post"), _flag(field, value == (op == "=="))
    if field == "toxicity":
        return "post", "of that adverse event"
    if fact_type == "lm" and field == "status":
        return "head", f"{'not ' if negated else ''}{_any(values, lambda v: _LM.get(str(v), str(v)))} LM"
    if fact_type == "phase" and field == "value":
        phases = _any(values, lambda v: PHASE_WORDS.get(str(v), str(v).replace("-", " ")))
        return "head", f"the phase: {'not ' if negated else ''}{phases}"
    if fact_type == "regimen" and field == "name":
        return "head", f"{_any(values, lambda v: _REGIMENS.get(str(v), str(v).replace('-', ' ')))} as the regimen"
    if fact_type == "verdict":
        if field == "regimen":
            return "post", f"on {_any(values, lambda v: _REGIMENS.get(str(v), str(v).replace('-', ' ')))}"
        if field == "kind":
            return "head", _any(values, lambda v: _KINDS.get(str(v), value_words(v)))
    if field == "agent":
        negated, words = _choice(op, values, _agent)
        if not known:
            return "post", "of the agent the team attributes it to"
        return ("post", f"other than {words}") if negated else ("head", words)
    if field == "cls":
        negated, words = _choice(op, values, lambda v: _CLASSES.get(str(v), value_words(v)))
        return ("post", f"other than {words}") if negated else ("head", words)
    if field == "route":
        return ("post", f"not {words}") if negated else ("pre", words)
    if field == "status":
        return "post", _status(op, values)
    if field in ("once_daily_mg", "dose_mg", "dose"):
        dose = _amount(op, value, " mg once daily" if field == "once_daily_mg" else " mg")
        return "post", dose if op in ("<", ">", "!=") else f"at {dose}"
    if field == "grade":
        return "post", f"of grade {_amount(op, value)}"
    if field == "score":
        referred = _REFERRED.get(test.value.field, "") if isinstance(test.value, Ref) else ""
        return "post", f"of {_amount(op, value)}{referred}"
    if field == "age":
        return "post", _age(op, value)
    if field == "scale":
        return "post", f"on the {words} scale"
    if field == "symptoms":
        negated, words = _choice(op, values, lambda v: "no" if v == "none" else value_words(v))
        return "post", f"finding {'no ' if negated else ''}{words} symptoms"
    if field == "result":
        latest = fact_type.startswith(("latest", "first"))  # "the latest CSF cytology, positive"
        return ("post", f"that is {'not ' if negated else ''}{words}") if negated or latest else ("pre", words)
    if field == "response":
        negated, words = _choice(op, values, _response)
        return "post", f"{'not ' if negated else ''}showing {words}"
    if field == "term":
        negated, words = _choice(op, values, lambda v: "other adverse event" if v == "other" else value_words(v))
        return ("post", f"other than {words}") if negated else ("head", words)
    if field == "course":
        said = _any(values, lambda v: _COURSE.get(str(v), value_words(v)))
        return "post", f"{'not ' if negated else ''}{said}"
    if field == "attributed" and op == "==" and value == "":
        return "post", "that the team attributes to nothing"
    if fact_type == "patient" and field in ("histology", "egfr", "csf_flow", "systemic_disease"):
        return "head", _patient_field(field, negated, words)
    if field == "code":
        return "head", f"the {noun(fact_type, article=False)} {'other than ' if negated else ''}{_any(values, str)}"
    if field == "action":
        return "post", f"({'not ' if negated else ''}{_any(values, str)})"
    label = FIELD_LABELS.get(field, field.replace("_", " "))
    if op in ("==", "!=", "in", "not in"):
        return "post", f"{label} {'not ' if negated else ''}{words}"
    return "post", f"{label} {_amount(op, value)}"


def _flag(field: str, true: bool) -> str:
    words = {
        "enhancement": ("showing leptomeningeal enhancement", "without leptomeningeal enhancement"),
        "brain_metastases": ("brain metastases", "no brain metastases"),
        "failing": ("counting against it", "not counting against it"),
        "dose_change": ("for a change of dose", "not for a change of dose"),
    }.get(field)
    if words is not None:
        return words[0] if true else words[1]
    said = field.replace("_", " ")
    return said if true else f"not {said}"


def _status(op: str, values: tuple[object, ...]) -> str:
    wanted = frozenset(map(str, values))
    if op in ("not in", "!=") and wanted == {"planned"}:
        return "given"
    if op in ("in", "=="):
        return _STATUS_SETS.get(wanted) or _any(values, lambda v: _STATUS.get(str(v), str(v)))
    return f"not {_any(values, lambda v: _STATUS.get(str(v), str(v)))}"


def _age(op: str, value: object) -> str:
    if op in ("<=", "<"):
        return f"assessed at most {value} days ago, or undated"
    return f"assessed more than {value} days ago"


def _patient_field(field: str, negated: bool, words: str) -> str:
    no = "not " if negated else ""
    if field == "histology":
        return f"a histology {no}of {words}"
    if field == "egfr":
        return "an EGFR mutation" if words == "mutant" and not negated else f"an EGFR status {no}{words}"
    return f"{FIELD_LABELS[field]} {no}{words}"


def requirement_words(test: Test, bound: Mapping[str, Fact], fact_type: str) -> str:
    """One test in words: ``dated on or after 2026-03-01``, ``at 160 mg once daily or more``, ``positive``."""
    return _part(fact_type, test, bound)[1]


def _merged(tests: Sequence[Test]) -> list[Test | tuple[Test, Test]]:
    """Tests in order, a lower and an upper bound on one field taken together (a KPS band)."""
    merged: list[Test | tuple[Test, Test]] = []
    for test in tests:
        previous = merged[-1] if merged else None
        if isinstance(previous, Test) and previous.field == test.field and (previous.op, test.op) == (">=", "<="):
            merged[-1] = (previous, test)
        else:
            merged.append(test)
    return merged


def condition_words(condition: Match | NoMatch, bound: Mapping[str, Fact]) -> str:
    """A condition as the thing it asks for, e.g. ``a positive CSF cytology dated on or after 2026-03-01``.

    A :class:`~lmtx.dsl.NoMatch` is worded as the thing whose absence it asks
    for; the caller says that it must be absent.
    """
    pre: list[str] = []
    heads: list[str] = []
    post: list[str] = []
    dates: list[str] = []
    for test in _merged(condition.tests):
        if isinstance(test, tuple):
            low, high = (_resolved(t, bound)[1] for t in test)
            post.append(f"of {value_words(low)}-{value_words(high)}")
            continue
        slot, words = _part(condition.fact, test, bound)
        if test.field in DATE_FIELDS:
            dates.append(words)
        else:
            {"pre": pre, "head": heads, "post": post}[slot].append(words)
    article, name = NOUNS.get(condition.fact) or tuple(noun(condition.fact).split(" ", 1))
    if heads:
        name, post = heads[0], [*heads[1:], *post]
        article = _article(condition.fact, name)
    if article == "" and _ORDER_WORDS & set(pre):
        # Order words read after a drug or an adverse event named without an article: "rash, recorded later".
        post = [f"recorded {p}" for p in pre if p in _ORDER_WORDS] + post
        pre = [p for p in pre if p not in _ORDER_WORDS]
    if "first" in pre and article in ("a", "an"):
        article = "the"
    if article in ("a", "an"):
        article = _an(pre[0] if pre else name)
    phrase = " ".join(part for part in (article, *pre, name) if part)
    rest = [*post, *dates]
    return f"{phrase} {', '.join(rest)}" if rest else phrase


_ORDER_WORDS = frozenset({"first", "later", "earlier", "preceding", "other"})
_MASS = frozenset({"therapy", "toxicity", "patient", "phase", "lm", "regimen"})
"""Fact types whose head words (a drug, an adverse event, a finding) take no article."""


def _article(fact_type: str, head: str) -> str:
    countable = head.endswith(("EGFR TKI", "antibody", "class"))
    if head.startswith(("a ", "an ", "the ", "no ")) or (fact_type in _MASS and not countable):
        return ""
    return _an(head)
