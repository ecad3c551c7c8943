"""The text form of explanations: short sentences in clinical words, for a clinician or an integrator.

The deciding findings come with their dates and their age on the evaluation
date; a why-not answer puts the unmet condition first, then what in the
record would change it. Rule ids and statement ids stay in parentheses, so
that the JSON form (the engine's detail) can be found from the text.

The answers' ``to_text`` methods call this module, so it knows the answers
only by what it reads of them (:class:`ExplanationLike`,
:class:`WhyNotLike`) and imports their parts alone.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Sequence
from typing import Protocol

from lmtx.explain._data import ConditionCheck, ExplainedItem, Item, Reason, RuleCheck, StatementRef
from lmtx.explain._origins import HEADLINES
from lmtx.explain._records import value_words
from lmtx.explain._words import REASON_WORDS
from lmtx.knowledge import knowledge_base
from lmtx.result import Alert, Recommendation, Result

__all__ = ["ExplanationLike", "WhyNotLike", "Writer", "render_explanation", "render_why_not"]


class ExplanationLike(Protocol):
    """What the text form reads of an :class:`~lmtx.explain.Explanation`."""

    @property
    def result(self) -> Result: ...
    @property
    def lm_status(self) -> Sequence[Reason]: ...
    @property
    def applicability(self) -> Sequence[Reason]: ...
    @property
    def phase(self) -> Reason | None: ...
    @property
    def recommendations(self) -> Sequence[ExplainedItem]: ...
    @property
    def alerts(self) -> Sequence[ExplainedItem]: ...
    @property
    def prognosis(self) -> Sequence[ExplainedItem]: ...
    @property
    def lm_status_words(self) -> str: ...


class WhyNotLike(Protocol):
    """What the text form reads of a :class:`~lmtx.explain.WhyNot`."""

    @property
    def code(self) -> str: ...
    @property
    def output(self) -> str: ...
    @property
    def patient_id(self) -> str | None: ...
    @property
    def as_of(self) -> dt.date | None: ...
    @property
    def present(self) -> bool: ...
    @property
    def item(self) -> Item | None: ...
    @property
    def rules(self) -> Sequence[RuleCheck]: ...
    @property
    def because(self) -> Reason | None: ...


class Writer:
    """Lines of text wrapped at a width, with a hanging indent."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []

    def line(self, text: str = "", indent: int = 0, hang: int = 2) -> None:
        if not text:
            self.lines.append("")
            return
        self.lines.extend(
            textwrap.wrap(
                _printable(text),
                width=max(self.width, indent + 20),
                initial_indent=" " * indent,
                subsequent_indent=" " * (indent + hang),
                break_on_hyphens=False,
                break_long_words=False,
            )
        )

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def _printable(text: str) -> str:
    r"""Text with every character that is not printable escaped (``\x1e``).

    No record's own words (an id, a drug name) can then break a line, or hide in it.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _cited(reason: Reason) -> str:
    statements = f"; {' '.join(reason.statements)}" if reason.statements else ""
    return f"(rule {reason.rule}{statements})"


def _reason_lines(out: Writer, reason: Reason, indent: int, *, lead: str = "", missing: bool = False) -> None:
    """A firing in words: its rule, what it was given, the findings that decided it, what had to be absent."""
    out.line(f"{lead}{_sentence(reason.description)} {_cited(reason)}", indent, hang=4)
    given = [fact.words for fact in reason.matched if fact.type in HEADLINES and fact.derived_by]
    if given:
        out.line(f"given: {'; '.join(given)}", indent + 2, hang=4)
    rules = knowledge_base()
    steps = [_sentence(rules.rule(rule).description) for rule in reason.chain]
    if steps:
        out.line(f"through: {' '.join(steps)}", indent + 2, hang=4)
    if len(reason.findings) == 1:
        out.line(f"decided by: {reason.findings[0]}", indent + 2, hang=4)
    elif reason.findings:
        out.line("decided by:", indent + 2)
        for finding in reason.findings:
            out.line(str(finding), indent + 4, hang=4)
    if reason.absent and missing:
        for absent in reason.absent:
            out.line(f"{_sentence(absent)[0].upper()}{_sentence(absent)[1:-1]} is missing.", indent + 2, hang=4)
    elif reason.absent:
        out.line(f"not in the record: {'; '.join(reason.absent)}", indent + 2, hang=4)


def _statement_lines(statements: Sequence[StatementRef], role: str) -> list[str]:
    return [
        f"{s.id} {s.gist}" + (f" [ref. {', '.join(map(str, s.references))}]" if s.references else "")
        for s in statements
        if s.role == role
    ]


def render_explanation(explanation: ExplanationLike, width: int) -> str:
    """The text of :meth:`Explanation.to_text`."""
    result = explanation.result
    out = Writer(width)
    who = result.patient_id or "(no id)"
    when = result.as_of.isoformat() if result.as_of else "no date in the record"
    out.line(f"Patient {who}, evaluated as of {when}")
    kb = result.knowledge_base
    out.line(f"Knowledge base {kb.id} {kb.version} ({kb.digest[:23]}...)")
    _pack_lines(out, result)
    out.line()
    out.line("STATUS")
    words = f" — {explanation.lm_status_words}" if explanation.lm_status_words else ""
    out.line(f"LM status: {result.lm_status}{words}", 2, hang=4)
    for reason in explanation.lm_status:
        _reason_lines(out, reason, 4)
    if result.applicable:
        out.line("Applicable: yes, the treatment algorithm applies", 2)
    else:
        reasons = "; ".join(REASON_WORDS.get(r, r.replace("-", " ")) for r in result.not_applicable_reasons)
        out.line(f"Applicable: no: {reasons}", 2, hang=4)
    for reason in explanation.applicability:
        _reason_lines(out, reason, 4)
    out.line(f"Phase: {result.phase or 'none (not applicable)'}", 2)
    if explanation.phase is not None:
        _reason_lines(out, explanation.phase, 4)
    sections: list[tuple[str, Sequence[ExplainedItem]]] = [("RECOMMENDATIONS", explanation.recommendations)]
    document = [a for a in explanation.alerts if a.item.origin == "document"]
    for severity in ("critical", "warning", "info"):
        alerts = [a for a in document if isinstance(a.item, Alert) and a.item.severity == severity]
        if alerts:
            sections.append((f"ALERTS - {severity.upper()}", alerts))
    if not document:
        sections.append(("ALERTS", ()))
    sections.append(("PROGNOSIS", explanation.prognosis))
    sections += _caution_sections(explanation)
    for title, items in sections:
        out.line()
        out.line(title)
        if not items:
            out.line("none", 2)
        for number, explained in enumerate(items, 1):
            _item_lines(out, number, explained)
    out.line()
    out.line("Statements are lmtx's paraphrases of the document; reference numbers are the document's.")
    return out.text()


def _pack_lines(out: Writer, result: Result) -> None:
    """The safety pack's line under the knowledge base's, when it was on."""
    for p in result.knowledge_base.packs:
        out.line(f"Safety pack {p.id} {p.version} ({p.digest[:23]}...): cautions that are not the document's")


def _caution_sections(explanation: ExplanationLike) -> list[tuple[str, Sequence[ExplainedItem]]]:
    """The safety pack's cautions, apart from the document's items, when it was on."""
    if not explanation.result.knowledge_base.packs:
        return []
    cautions = [a for a in explanation.alerts if a.item.origin == "safety-pack"]
    return [("SAFETY PACK CAUTIONS (not the document's; each with its public sources)", cautions)]


def _item_lines(out: Writer, number: int, explained: ExplainedItem) -> None:
    item = explained.item
    label = item.code
    if isinstance(item, Recommendation):
        label += f" ({item.kind}, {item.action})"
    out.line(f"{number}. {label}: {item.summary}", 2, hang=5)
    if isinstance(item, Recommendation) and item.dose is not None:
        dose = item.dose
        amount = (
            f"{dose.mg:g} mg "
            if dose.mg is not None
            else f"{dose.mg_min:g}-{dose.mg_max:g} mg "
            if dose.mg_min is not None and dose.mg_max is not None
            else ""  # resume or review: no dose (docs/interpretation.md#tolerable-dose)
        )
        out.line(f"dose: {amount}{dose.route}" + (f", {dose.frequency}" if dose.frequency else ""), 5)
    if item.detail:  # every kind of item may say what decided it
        out.line(item.detail, 5)
    if isinstance(item, Recommendation) and item.adverse_effects:
        effects = ", ".join(value_words(term) for term in item.adverse_effects)
        out.line(f"adverse effects to watch: {effects}", 5, hang=4)
    _reason_lines(out, explained.because, 5, lead="why: ")
    if isinstance(item, Alert) and item.sources:
        out.line("sources (a safety-pack caution: it rests on no statement of the document):", 5)
        for source in item.sources:
            out.line(source.citation + (f" <{source.url}>" if source.url else ""), 7, hang=4)
        return
    out.line("rests on:", 5)
    for text in _statement_lines(explained.statements, "encodes"):
        out.line(text, 7, hang=4)
    evidence = _statement_lines(explained.statements, "evidence")
    if evidence:
        out.line("evidence:", 5)
        for text in evidence:
            out.line(text, 7, hang=4)
    if item.references:
        out.line(f"references: {', '.join(map(str, item.references))}", 5)


# --- why not ---------------------------------------------------------------------------------


def _count(number: int, thing: str) -> str:
    words = {1: "One", 2: "Two", 3: "Three", 4: "Four"}
    return f"{words.get(number, str(number))} {thing}{'s' if number != 1 else ''}"


def render_why_not(answer: WhyNotLike, width: int) -> str:
    """The text of :meth:`WhyNot.to_text`."""
    out = Writer(width)
    who = answer.patient_id or "(no id)"
    when = answer.as_of.isoformat() if answer.as_of else "no date"
    out.line(f"Why not {answer.output} {answer.code}? Patient {who}, as of {when}")
    if answer.present and answer.item is not None:
        out.line(f"The patient has {answer.code} after all: {answer.item.summary}", 2, hang=4)
        if answer.because is not None:
            _reason_lines(out, answer.because, 2, lead="Given by: ", missing=True)
        return out.text()
    out.line(f"The patient did not get {answer.code}.", 2)
    out.line(f"{_count(len(answer.rules), 'rule')} can give it:", 2)
    shown = _Shown()
    for check in answer.rules:
        out.line()
        _check_lines(out, check, 2, shown, lead="Rule")
    return out.text()


class _Shown:
    """What a why-not answer has already said: rules expanded, unmet conditions explained."""

    def __init__(self) -> None:
        self.rules: set[str] = set()
        self.conditions: set[str] = set()


def _check_lines(out: Writer, check: RuleCheck, indent: int, shown: _Shown, *, lead: str) -> None:
    if check.rule in shown.rules:
        out.line(f"{lead} {check.rule}: see above.", indent)
        return
    if check.expanded:
        shown.rules.add(check.rule)
    statements = f" ({' '.join(check.statements)})" if check.statements else ""
    state = "fired" if check.fired else "did not fire"
    out.line(f"{lead} {check.rule} {state}: {_sentence(check.description)}{statements}", indent, hang=4)
    if not check.expanded:
        if not check.fired:
            out.line("(not followed further: the depth limit, or a rule already on the way)", indent + 4)
        return
    for condition in check.unmet:
        _unmet_lines(out, condition, indent + 2, shown)


def _unmet_lines(out: Writer, condition: ConditionCheck, indent: int, shown: _Shown) -> None:
    """The unmet condition first, then what in the record would change it."""
    said = ("no " if condition.negated else "") + condition.words
    if said in shown.conditions:
        out.line(f"Unmet: it needs {_bare(said) if condition.negated else said}, as above.", indent, hang=4)
        return
    shown.conditions.add(said)
    if condition.negated:
        out.line(f"Unmet: it needs no {_bare(condition.words)}, but the record has:", indent, hang=4)
        for fact in condition.blocking:
            where = f" ({', '.join(fact.inputs)})" if fact.inputs else f" (from rule {fact.derived_by})"
            out.line(f"{fact.words}{where}", indent + 4, hang=4)
    elif condition.near_misses:
        out.line(f"Unmet: it needs {condition.words}.", indent, hang=4)
        for miss in condition.near_misses:
            where = f" ({', '.join(miss.fact.inputs)})" if miss.fact.inputs else f" (from rule {miss.fact.derived_by})"
            needs = " and ".join(miss.needs)
            out.line(f"Closest: {miss.fact.words}{where}, which would need {needs}.", indent + 4, hang=4)
    else:
        out.line(f"Unmet: {condition.words} is missing.", indent, hang=4)
    if condition.inputs:
        events = list(dict.fromkeys(_event(p, blocking=condition.negated) for p in condition.inputs))
        out.line(f"What would change it: {'; or '.join(events)}.", indent + 4, hang=4)
    for check in condition.derivable_by:
        _check_lines(out, check, indent + 4, shown, lead="Rule")


def _bare(words: str) -> str:
    """``a CSF cytology (positive)`` -> ``CSF cytology (positive)``, for ``no ...``."""
    for article in ("a ", "an ", "the "):
        if words.startswith(article):
            return words[len(article) :]
    return words


_RECORD = re.compile(r"(?P<list>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?")
_NEW_RECORD = {
    "neuro_exams": "a new neurological exam",
    "csf_cytology": "a new CSF cytology",
    "mri": "a new neuraxis MRI",
    "therapies": "a therapy started (or restarted) that meets it",
    "toxicities": "a toxicity reported or resolved",
    "performance_status": "a new performance-status assessment",
}
_NEW_FINDING = {
    "histology": "a revised histology",
    "egfr": "a new EGFR test result",
    "brain_metastases": "a new brain imaging finding",
    "csf_flow": "a new CSF flow study",
    "systemic_disease": "a new assessment of the systemic disease",
    "performance_status": "a new performance-status assessment",
    "policy": "another policy threshold",
    "as_of": "another evaluation date",
}


def _event(path: str, *, blocking: bool) -> str:
    """A clinical event that would change a condition, never an edit of an entry's agent or date.

    ``blocking``: the record at ``path`` stands in the way (a negated condition); otherwise it is the
    closest to what the condition needs.
    """
    found = _RECORD.fullmatch(path)
    if found is None:
        return _NEW_RECORD.get(path) or _NEW_FINDING.get(path.split(".", maxsplit=1)[0], f"a new {path}")
    listed, index = found["list"], found["index"]
    if listed == "therapies":
        if blocking:
            return f"therapies[{index}] stopped, if it is still given"
        if found["field"] == "dose_mg":
            return f"a new regimen at another dose in place of therapies[{index}]"
        return "a therapy started (or restarted) that meets it"
    if listed == "toxicities":
        return f"toxicities[{index}] resolved or regraded"
    return _NEW_RECORD.get(listed, f"a new record in {listed}") + (f" after {listed}[{index}]" if not blocking else "")
