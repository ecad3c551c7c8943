"""The output format page (``output-format.md``): the result's fields, its value sets and every output code.

The meanings of the result's fields and of the LM statuses, phases, reasons,
kinds, actions and severities are written here, and checked against the
values the rules derive and emit; the codes come from
:data:`lmtx.catalogue.CATALOGUE`, with the rules that emit each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lmtx.catalogue import CATALOGUE, GIVEN_DOSE, Entry
from lmtx.dsl import Derive, Emit, SeverityFromGrade
from lmtx.knowledge import KnowledgeBase, RuleInfo, knowledge_base
from lmtx.result import Result

from .common import DocsError, cell, check_same, code, code_anchor, emitting, joined, rule_link, statement_link
from .fields import fields_tables

OUTPUT_TITLES: dict[str, tuple[str, str]] = {
    "Result": ("The result (top level)", "result"),
    "Recommendation": ("`recommendations[]`", "recommendations"),
    "Dose": ("`dose`", "dose"),
    "Alert": ("`alerts[]`", "alerts"),
    "PrognosisNote": ("`prognosis[]`", "prognosis"),
    "TraceEntry": ("`trace[]`", "trace"),
    "KnowledgeBaseInfo": ("`knowledge_base`", "knowledge_base"),
    "Source": ("`alerts[].sources[]`: a public source of a safety-pack caution", "sources"),
    "PackInfo": ("`knowledge_base.packs[]`: a pack that was on", "packs"),
}

_ORIGIN = (
    "`document`, or `safety-pack` for a caution of the [safety pack](safety-pack.md) (alerts only), which is on "
    "only when asked for."
)

OUTPUT_MEANINGS: dict[str, dict[str, str]] = {
    "Result": {
        "patient_id": "The input's `id`, or `null`.",
        "as_of": "The evaluation date: the one given, else the latest observed date in the record; `null` when "
        "the record has no date at all.",
        "applicable": "Whether the treatment algorithm applies to this patient.",
        "not_applicable_reasons": "Every reason that holds when it does not apply (empty when it does), in the "
        "order of the table below.",
        "lm_status": "What the record says about leptomeningeal metastases.",
        "phase": "Where the patient stands in the algorithm; `null` when not applicable.",
        "recommendations": "What to do, in catalogue order: treatment, then workup, then monitoring.",
        "alerts": "What to watch out for, by severity (critical, warning, info), then in catalogue order.",
        "prognosis": "Prognostic notes that apply, in catalogue order.",
        "trace": "Every rule that fired, in firing order.",
        "knowledge_base": "Which rule base produced the result.",
    },
    "Recommendation": {
        "code": "Stable code; see the list below.",
        "kind": "`treatment`, `workup` or `monitoring`.",
        "action": "What to do with it; see the actions below.",
        "summary": "One line, at most 140 characters (fits a CDS Hooks card).",
        "detail": "Why, in a few sentences; may be empty.",
        "dose": "The dose, for drug recommendations; otherwise `null`.",
        "statements": "The statements it encodes, primary first: those of its code's list that its own rule encodes.",
        "evidence": "Evidence statements attached to it.",
        "references": "The document's reference numbers behind `statements` and `evidence`, ascending.",
        "rule": "The rule that produced it.",
        "origin": _ORIGIN,
        "adverse_effects": "Only on `monitor-adverse-effects` (left out of every other recommendation): the adverse "
        "effects to watch for, as the input's toxicity terms, in the order `rash`, `leukopenia`, `neutropenia`, "
        "`thrombocytopenia`, `anemia`, `aseptic_meningitis`, `fatigue` (myelosuppression is its four terms). "
        "`Result.adverse_effects` gives the same list, empty without the item.",
    },
    "Dose": {
        "route": "`oral` or `intrathecal` today.",
        "mg": "A fixed dose in mg (left out when absent).",
        "mg_min": "Lower end of a dose range in mg (left out when absent).",
        "mg_max": "Upper end of a dose range in mg (left out when absent).",
        "frequency": "How often, in words (left out when absent).",
    },
    "Alert": {
        "code": "Stable code; see the list below.",
        "severity": "`info`, `warning` or `critical`.",
        "summary": "One line, at most 140 characters.",
        "statements": "The statements it encodes.",
        "references": "The document's reference numbers behind them.",
        "rule": "The rule that produced it.",
        "detail": "What decided it (findings with their dates and regimen day, terms, agents, the stopped "
        "regimen); may be empty.",
        "origin": _ORIGIN,
        "sources": "Only on safety-pack alerts (left out of the document's): the public sources the caution "
        "cites, at least one; a safety-pack alert has empty `statements` and `references`.",
    },
    "PrognosisNote": {
        "code": "Stable code; see the list below.",
        "summary": "One line, at most 140 characters.",
        "statements": "The statements it encodes.",
        "references": "The document's reference numbers behind them.",
        "rule": "The rule that produced it.",
        "detail": "More about it (the date of the performance status); may be empty.",
        "origin": _ORIGIN,
    },
    "Source": {
        "citation": "The source by title and year, in lmtx's words.",
        "url": "Where to read it (left out when the source has no stable address).",
    },
    "TraceEntry": {
        "rule": "The rule that fired.",
        "matched": "The facts it matched, one per condition that binds a fact, in condition order.",
        "emitted": "The new facts it asserted (derived facts and output items).",
    },
    "KnowledgeBaseInfo": {
        "id": "`lmtx-egfr-lm`.",
        "version": "The lmtx version that ships the rule base.",
        "digest": "`sha256:` of the rules, statements and catalogue text; changes whenever any of them does.",
        "packs": "The packs that were on: `[]` by default, the [safety pack](safety-pack.md) when turned on. "
        "They never change the document's `id`, `version` or `digest`.",
    },
    "PackInfo": {
        "id": "`lmtx-safety`.",
        "version": "The pack's own version.",
        "digest": "`sha256:` of the pack's rules, texts and sources.",
    },
}


LM_STATUS_MEANINGS = {
    "confirmed": "CSF cytology has been positive at some time.",
    "probable": "An MRI has shown leptomeningeal enhancement, and no cytology has ever been positive.",
    "suspected": "The latest neurological exam is symptomatic, no test shows LM, and the workup since the "
    "symptoms began still lacks an MRI or a CSF cytology, or its only cytology was equivocal, or (without brain "
    "metastases) its only cytology was negative and the symptoms persist after it.",
    "absent": "None of the above: a complete workup found no LM, or no sign of LM is recorded. Neither excludes LM.",
}

PHASE_MEANINGS = {
    "diagnostic-workup": "LM is suspected: the workup comes first.",
    "cns-metastases-without-lm": "Brain metastases, and LM neither established nor suspected.",
    "initial": "Established LM, not yet on osimertinib 160 mg a day or on the highest dose tolerated after a "
    "toxicity stop.",
    "osimertinib-monotherapy": "On osimertinib alone (160 mg a day, or the highest dose tolerated after a toxicity "
    "stop), with no failing assessment since it began.",
    "inadequate-response": "On osimertinib alone, and a failing assessment since it began.",
    "combination": "On osimertinib with intrathecal pemetrexed, with no progression since the combination began.",
    "progression-on-combination": "On the combination, and progression since it began.",
    "beyond-document": "On platinum chemotherapy with osimertinib: the document's last step is in use.",
}

REASON_MEANINGS = {
    "not-nsclc": "The histology is not NSCLC.",
    "egfr-wild-type": "The tumour is EGFR wild-type.",
    "egfr-status-unknown": "The EGFR status is unknown: the document's algorithm needs it; it is to be tested.",
    "no-cns-involvement": "LM neither established nor suspected, and no brain metastases.",
}

KIND_MEANINGS = {
    "treatment": "A drug or treatment choice.",
    "workup": "A diagnostic step.",
    "monitoring": "A follow-up measure.",
}

ACTION_MEANINGS = {
    "start": "Begin it; nothing comparable is being given.",
    "increase": "Raise the dose of what is being given.",
    "switch": "Replace the EGFR TKI being given with this one.",
    "continue": "Keep giving it.",
    "add": "Give it on top of what is being given.",
    "consider": "An option for the clinician to weigh.",
    "perform": "Do it (workup and monitoring items).",
    "resume": "Give it again once the toxicity has resolved, at a dose the treating team decides (no dose given).",
    "review": "Whether to give it again is a specialist's decision (no dose given).",
    "hold": "Hold it: the next administration, its timing and dose are the treating team's decision.",
}

SEVERITY_MEANINGS = {
    "critical": "Needs attention now (toxicity of CTCAE grade 4-5).",
    "warning": "Should change or check something (toxicity of grade 3, and the fixed-severity alerts).",
    "info": "Worth knowing (toxicity of grade 1-2; delayed diagnosis outside EGFR-mutant disease).",
}

OUTPUT_KIND_TITLES = {"recommendation": "Recommendations", "alert": "Alerts", "prognosis": "Prognosis notes"}


def _derived_values(kb: KnowledgeBase, fact: str, field: str) -> list[str]:
    """Every literal value that some rule derives for ``fact.field``, in rule order."""
    values: list[str] = []
    for info in kb.rules:
        for consequence in info.rule.then:
            if isinstance(consequence, Derive) and consequence.fact == fact:
                value = dict(consequence.fields).get(field)
                if isinstance(value, str) and value not in values:
                    values.append(value)
    return values


def _values_table(title_column: str, meanings: Mapping[str, str], actual: Iterable[str], what: str) -> str:
    check_same(what, meanings, actual)
    rows = [f"| {title_column} | meaning |", "|---|---|"]
    rows += [f"| {code(value)} | {cell(text)} |" for value, text in meanings.items()]
    return "\n".join(rows) + "\n"


def lm_status_codes() -> str:
    """The ``lm_status`` values, checked against the values the rules derive."""
    kb = knowledge_base()
    return _values_table("`lm_status`", LM_STATUS_MEANINGS, _derived_values(kb, "lm", "status"), "LM statuses")


def phase_codes() -> str:
    """The ``phase`` values, checked against the values the rules derive."""
    kb = knowledge_base()
    return _values_table("`phase`", PHASE_MEANINGS, _derived_values(kb, "phase", "value"), "phases")


def reason_codes() -> str:
    """The ``not_applicable_reasons`` values, checked against the values the rules derive."""
    kb = knowledge_base()
    actual = _derived_values(kb, "not_applicable", "reason")
    return _values_table("reason", REASON_MEANINGS, actual, "not-applicable reasons")


def _emit_variants(emits: list[tuple[RuleInfo, Emit]]) -> list[str]:
    shown: list[str] = []
    for _, emit in emits:
        if emit.action is not None:
            value = code(emit.action)
        elif isinstance(emit.severity, SeverityFromGrade):
            value = "by grade (1-2 `info`, 3 `warning`, 4-5 `critical`)"
        elif emit.severity is not None:
            value = code(emit.severity)
        else:
            continue
        if value not in shown:
            shown.append(value)
    return shown


def kind_action_severity_tables() -> str:
    """The recommendation kinds and actions and the alert severities, checked against the catalogue and rules."""
    kb = knowledge_base()
    kinds = [e.kind for e in CATALOGUE.values() if e.kind]
    actions = [e.action for info in kb.rules for e in info.rule.then if isinstance(e, Emit) and e.action]
    severities = {"info", "warning", "critical"}  # SeverityFromGrade.of covers all three
    return "\n".join(
        [
            "#### Kinds\n",
            _values_table("`kind`", KIND_MEANINGS, kinds, "recommendation kinds"),
            "#### Actions\n",
            _values_table("`action`", ACTION_MEANINGS, actions, "recommendation actions"),
            "#### Severities\n",
            _values_table("`severity`", SEVERITY_MEANINGS, severities, "alert severities"),
        ]
    )


def _dose_text(entry: Entry) -> str:
    dose = entry.dose
    if dose is None:
        return ""
    if dose.mg is not None:
        amount = f"{dose.mg:g} mg "
    elif dose.mg_min is not None and dose.mg_max is not None:
        amount = f"{dose.mg_min:g}-{dose.mg_max:g} mg "
    else:
        amount = "no dose: "  # osimertinib given again (resume, review), a dose the treating team decides
    text = f"{amount}{dose.route}" + (f", {dose.frequency}" if dose.frequency else "")
    given = [variant for variant, words in entry.texts.items() if words.dose == GIVEN_DOSE]
    if given:
        text += f"; with {joined(given)}: the dose given now, per administration"
    held = [variant for variant, words in entry.texts.items() if words.dose is None]
    if held:
        text += f"; with {joined(held)}: none"
    return text


def output_codes() -> str:
    """Every output code of :data:`lmtx.catalogue.CATALOGUE`: overview tables, then one section per code."""
    kb = knowledge_base()
    never_emitted = [c for c in CATALOGUE if not emitting(kb, c)]
    if never_emitted:
        raise DocsError(f"catalogue codes no rule emits: {never_emitted}")
    parts: list[str] = []
    for output, title in OUTPUT_KIND_TITLES.items():
        entries = [e for e in CATALOGUE.values() if e.output == output]
        parts.append(f"### {title} {{ #{output}-codes }}\n")
        header = "| code |" + (" kind |" if output == "recommendation" else "")
        header += " action / severity |" if output != "prognosis" else ""
        header += " statements | summary |"
        parts.append(header)
        parts.append("|" + "---|" * (header.count("|") - 1))
        for entry in entries:
            first = next(iter(entry.texts.values()))
            row = [f"[{code(entry.code)}](#{code_anchor(entry.code)})"]
            if output == "recommendation":
                row.append(entry.kind or "")
            if output != "prognosis":
                row.append(joined(_emit_variants(emitting(kb, entry.code))))
            row += [joined(entry.statements), first.summary if len(entry.texts) == 1 else "see below"]
            parts.append("| " + " | ".join(cell(c) for c in row) + " |")
        parts.append("")
    parts.append("### Every code in detail\n")
    parts.append(
        "Words in braces (`{grade}`) are filled in from the patient's record. Where the text depends on "
        "the action, the severity or a parameter of the rule, each variant is listed.\n"
    )
    for entry in CATALOGUE.values():
        parts.append(_code_section(kb, entry))
    return "\n".join(parts)


def _code_section(kb: KnowledgeBase, entry: Entry) -> str:
    emits = emitting(kb, entry.code)
    lines = [f"#### {entry.code} {{ #{code_anchor(entry.code)} }}\n"]
    facts: list[tuple[str, str]] = [("output", entry.output + (f" ({entry.kind})" if entry.kind else ""))]
    variants = _emit_variants(emits)
    if variants:
        facts.append(("action" if entry.output == "recommendation" else "severity", joined(variants)))
    facts.append(("statements", joined(statement_link(s) for s in entry.statements)))
    if entry.evidence:
        facts.append(("evidence", joined(statement_link(s) for s in entry.evidence)))
    if entry.dose is not None:
        facts.append(("dose", _dose_text(entry)))
    rules = list(dict.fromkeys(info.id for info, _ in emits))
    facts.append(("emitted by", joined(rule_link(r) for r in rules)))
    lines += [f"- **{name}**: {value}" for name, value in facts]
    lines.append("")
    if (entry.variant and entry.variant not in ("action", "severity")) or len(entry.texts) > 1:
        selector = entry.variant or "variant"
        lines.append(f"| {selector} | summary | statements |\n|---|---|---|")
        for value, text in entry.texts.items():
            cited = joined(text.statements or entry.statements)
            lines.append(f"| {code(value)} | {cell(text.summary)} | {cited} |")
        lines.append("")
        details = [(v, t.detail) for v, t in entry.texts.items() if t.detail]
        if details:
            lines.append('??? note "Detail text"\n')
            lines += [f"    - **{code(v)}**: {d}" for v, d in details]
            lines.append("")
    else:
        text = next(iter(entry.texts.values()))
        lines.append(f"> {text.summary}\n")
        if text.detail:
            lines.append(f"{text.detail}\n")
    return "\n".join(lines)


def output_fields() -> str:
    """Every field of the output wire format, from the attrs classes of :mod:`lmtx.result`."""
    return fields_tables(Result, OUTPUT_TITLES, OUTPUT_MEANINGS, show_default=False)
