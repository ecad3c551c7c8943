"""Build-time generation of the documentation parts that restate lmtx's own data.

The input fields and their value sets, the output fields and codes, the rule
catalogue, the statement index and the API index are rendered here from the
lmtx package itself (the attrs classes of :mod:`lmtx.model` and
:mod:`lmtx.result`, :data:`lmtx.catalogue.CATALOGUE` and
:func:`lmtx.knowledge_base`), so the site cannot drift from the code.
Hand-written pages pull a generated part in with a marker line
``<!-- lmtx:NAME -->`` that ``docs/hooks.py`` replaces at build time.

The meanings written for people (what a field or a phase *means*) live in
this module. Each generator checks them against the package both ways and
raises :class:`DocsError` when the package has something the docs do not
explain, or the docs explain something the package no longer has: the
strict build then fails instead of publishing a gap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import io
import itertools
import json
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

import lmtx
from lmtx._docstrings import field_docs
from lmtx.catalogue import CATALOGUE, GIVEN_DOSE, Entry
from lmtx.dsl import Derive, Emit, Match, NoMatch, Ref, SeverityFromGrade, Test
from lmtx.knowledge import KnowledgeBase, RuleInfo, knowledge_base
from lmtx.model import Patient
from lmtx.result import Result
from lmtx.statements import STATEMENTS, Statement

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PATIENT = REPO_ROOT / "lmtx" / "examples" / "inadequate-response.json"
CHANGELOG = REPO_ROOT / "CHANGELOG.md"

# Pages that generated text links to (paths relative to the docs directory).
INPUT_PAGE = "input-format.md"
OUTPUT_PAGE = "output-format.md"
RULES_PAGE = "rules.md"
STATEMENTS_PAGE = "statements.md"


class DocsError(Exception):
    """The docs and the package disagree; the message says where."""


# --------------------------------------------------------------------------- helpers


def cell(text: object) -> str:
    """Text made safe for one Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(text: object) -> str:
    """Inline code."""
    return f"`{text}`"


def rule_anchor(rule_id: str) -> str:
    """The anchor of a rule on the rules page."""
    return f"rule-{rule_id}"


def code_anchor(output_code: str) -> str:
    """The anchor of an output code on the output page."""
    return f"code-{output_code}"


def statement_anchor(statement_id: str) -> str:
    """The anchor of a statement on the statement index."""
    return statement_id.lower()


def rule_link(rule_id: str, page: str = RULES_PAGE) -> str:
    """A link to a rule."""
    return f"[{code(rule_id)}]({page}#{rule_anchor(rule_id)})"


def code_link(output_code: str, page: str = OUTPUT_PAGE) -> str:
    """A link to an output code."""
    return f"[{code(output_code)}]({page}#{code_anchor(output_code)})"


def statement_link(statement_id: str, page: str = STATEMENTS_PAGE) -> str:
    """A link to a statement."""
    return f"[{statement_id}]({page}#{statement_anchor(statement_id)})"


def joined(items: Iterable[str], empty: str = "—") -> str:
    """Items separated by commas, or ``empty``."""
    items = list(items)
    return ", ".join(items) if items else empty


def _check_same(what: str, documented: Iterable[object], actual: Iterable[object]) -> None:
    documented_set, actual_set = set(documented), set(actual)
    missing = sorted(map(str, actual_set - documented_set))
    stale = sorted(map(str, documented_set - actual_set))
    if missing or stale:
        raise DocsError(
            f"{what}: the docs do not explain {missing or 'nothing'}; "
            f"they explain {stale or 'nothing'} that lmtx no longer has. Update docs/lmtx_docgen.py."
        )


# --------------------------------------------------------------------------- input format

INPUT_TITLES: dict[str, tuple[str, str]] = {
    # class name: (title, anchor)
    "Patient": ("The patient record (top level)", "patient"),
    "Egfr": ("`egfr`", "egfr"),
    "PerformanceStatus": ("`performance_status`", "performance_status"),
    "NeuroExam": ("`neuro_exams[]`: one neurological examination", "neuro_exams"),
    "CsfCytology": ("`csf_cytology[]`: one CSF cytology", "csf_cytology"),
    "MriAssessment": ("`mri[]`: one neuraxis MRI", "mri"),
    "Therapy": ("`therapies[]`: one regimen", "therapies"),
    "Toxicity": ("`toxicities[]`: one adverse event", "toxicities"),
}

# The meaning of each input field is written once, in the Attributes section of its model class
# (lmtx/model.py): the API reference, the JSON Schema and the table of this page all read it there.


VALUE_MEANINGS: dict[str, dict[str, str]] = {
    "Histology": {
        "adenocarcinoma": "Adenocarcinoma (NSCLC).",
        "squamous": "Squamous cell carcinoma (NSCLC).",
        "large_cell": "Large cell carcinoma (NSCLC).",
        "nsclc_nos": "NSCLC, not otherwise specified.",
        "sclc": "Small cell lung cancer: outside the document.",
        "other": "Any other histology: outside the document.",
    },
    "EgfrStatus": {
        "mutant": "An EGFR mutation was found.",
        "wild_type": "Tested; no EGFR mutation.",
        "unknown": "Not tested, or no result yet.",
    },
    "EgfrVariant": {
        "exon19_deletion": "Exon 19 deletion.",
        "L858R": "Exon 21 L858R substitution.",
        "T790M": "T790M resistance mutation.",
        "exon20_insertion": "Exon 20 insertion.",
        "uncommon": "Any other EGFR variant.",
    },
    "PsScale": {
        "ecog": "ECOG performance status, 0-4.",
        "kps": "Karnofsky performance status, 10-100 in steps of 10.",
    },
    "Symptoms": {
        "none": "No neurological symptoms.",
        "new": "Symptoms that were not there before.",
        "persistent": "Symptoms that continue.",
        "improved": "Symptoms that are better.",
        "resolved": "Symptoms that have gone.",
        "worsened": "Symptoms that are worse.",
    },
    "CytologyResult": {
        "positive": "Tumour cells found in the CSF.",
        "negative": "No tumour cells found.",
        "equivocal": "Inconclusive. Counts as a cytology done, never as tumour cells found.",
    },
    "MriResponse": {
        "baseline": "The reference study that later ones are compared with.",
        "complete_response": "Complete radiographic response.",
        "partial_response": "Partial radiographic response.",
        "stable": "Stable disease.",
        "progression": "Radiographic progression.",
        "not_evaluable": "The response could not be judged.",
    },
    "CsfFlow": {
        "normal": "Flow study normal.",
        "interrupted": "Flow study shows interrupted CSF flow.",
        "unknown": "No flow study, or no result.",
    },
    "SystemicDisease": {
        "controlled": "Extracranial disease under control.",
        "progressive": "Extracranial disease progressing.",
        "unknown": "Not assessed, or not known.",
    },
    "Agent": {
        "osimertinib": "Osimertinib, third-generation EGFR TKI (the one drug that needs `dose_mg`).",
        "gefitinib": "Gefitinib, EGFR TKI.",
        "erlotinib": "Erlotinib, EGFR TKI.",
        "afatinib": "Afatinib, EGFR TKI.",
        "dacomitinib": "Dacomitinib, EGFR TKI.",
        "icotinib": "Icotinib, EGFR TKI.",
        "lazertinib": "Lazertinib, third-generation EGFR TKI.",
        "aumolertinib": "Aumolertinib (almonertinib), third-generation EGFR TKI.",
        "furmonertinib": "Furmonertinib (alflutinib), third-generation EGFR TKI.",
        "befotertinib": "Befotertinib, third-generation EGFR TKI.",
        "sunvozertinib": "Sunvozertinib, EGFR TKI.",
        "pemetrexed": "Pemetrexed, intrathecal or intravenous.",
        "carboplatin": "Carboplatin (platinum chemotherapy).",
        "cisplatin": "Cisplatin (platinum chemotherapy).",
        "docetaxel": "Docetaxel, chemotherapy (intravenous).",
        "paclitaxel": "Paclitaxel, chemotherapy (intravenous).",
        "gemcitabine": "Gemcitabine, chemotherapy (intravenous).",
        "temozolomide": "Temozolomide, chemotherapy (oral).",
        "methotrexate": "Methotrexate, chemotherapy, intrathecal or intravenous.",
        "cytarabine": "Cytarabine, chemotherapy, intrathecal or intravenous.",
        "thiotepa": "Thiotepa, chemotherapy, intrathecal or intravenous.",
        "bevacizumab": "Bevacizumab, antibody (intravenous).",
        "amivantamab": "Amivantamab, antibody (intravenous).",
        "radiotherapy": "Radiotherapy of any target.",
        "other": "Any other drug: give its `drug_class` when known, and its `name`.",
    },
    "DrugClass": {
        "egfr-tki": "An EGFR tyrosine kinase inhibitor: any but osimertinib is *another EGFR TKI*.",
        "chemotherapy": "Cytotoxic chemotherapy.",
        "antibody": "A therapeutic antibody.",
        "other": "Some other class of drug.",
    },
    "StopReason": {
        "toxicity": "Ended for an adverse effect.",
        "progression": "Ended because the disease progressed.",
        "dose-change": "Ended to go on at another dose (another regimen of the same drug follows).",
        "course-completed": "The planned course was given.",
        "other": "Any other reason.",
    },
    "Route": {
        "oral": "By mouth.",
        "intravenous": "Into a vein.",
        "intrathecal": "Into the CSF.",
        "external_beam": "External-beam radiotherapy.",
    },
    "TherapyStatus": {
        "planned": "Decided but not begun; `start` is optional and may lie in the future.",
        "active": "Being given on the evaluation date.",
        "completed": "Finished as planned.",
        "stopped": "Ended early.",
    },
    "ToxicityTerm": {
        "rash": "Skin rash.",
        "leukopenia": "Low white cell count.",
        "neutropenia": "Low neutrophil count.",
        "thrombocytopenia": "Low platelet count.",
        "anemia": "Low haemoglobin.",
        "aseptic_meningitis": "Aseptic (chemical) meningitis, as reported; not itself a CTCAE term.",
        "fatigue": "Fatigue.",
        "other": "Any other adverse event: no alert of its own, but grade 3 or more still counts as severe.",
    },
}

OUTPUT_TITLES: dict[str, tuple[str, str]] = {
    "Result": ("The result (top level)", "result"),
    "Recommendation": ("`recommendations[]`", "recommendations"),
    "Dose": ("`dose`", "dose"),
    "Alert": ("`alerts[]`", "alerts"),
    "PrognosisNote": ("`prognosis[]`", "prognosis"),
    "TraceEntry": ("`trace[]`", "trace"),
    "KnowledgeBaseInfo": ("`knowledge_base`", "knowledge_base"),
}

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
    },
    "PrognosisNote": {
        "code": "Stable code; see the list below.",
        "summary": "One line, at most 140 characters.",
        "statements": "The statements it encodes.",
        "references": "The document's reference numbers behind them.",
        "rule": "The rule that produced it.",
        "detail": "More about it (the date of the performance status); may be empty.",
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
    },
}


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


def _walk(root: type) -> list[type]:
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


def _enums(classes: Iterable[type]) -> list[type[enum.Enum]]:
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
    classes = _walk(root)
    _check_same(f"classes reachable from {root.__name__}", meanings, [c.__name__ for c in classes])
    _check_same(f"titles of classes reachable from {root.__name__}", titles, [c.__name__ for c in classes])
    parts: list[str] = []
    for cls in classes:
        hints = typing.get_type_hints(cls)
        fields = attrs.fields(cls)
        _check_same(f"fields of {cls.__name__}", meanings[cls.__name__], [f.name for f in fields])
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


def input_fields() -> str:
    """Every field of the input wire format, from the attrs classes of :mod:`lmtx.model`."""
    meanings = {cls.__name__: field_docs(cls) for cls in _walk(Patient)}
    return fields_tables(Patient, INPUT_TITLES, meanings, show_default=True)


def input_values() -> str:
    """Every value set (enumeration) of the input, with the meaning of each value."""
    enums = _enums(_walk(Patient))
    _check_same("value sets of the input", VALUE_MEANINGS, [e.__name__ for e in enums])
    parts: list[str] = []
    for enum_cls in enums:
        meanings = VALUE_MEANINGS[enum_cls.__name__]
        _check_same(f"values of {enum_cls.__name__}", meanings, [m.value for m in enum_cls])
        doc = (enum_cls.__doc__ or "").strip().splitlines()[0]
        parts.append(f"### {enum_cls.__name__} {{ #value-{enum_cls.__name__.lower()} }}\n")
        parts.append(f"{doc}\n")
        parts.append("| value | meaning |\n|---|---|")
        parts.extend(f"| {code(m.value)} | {cell(meanings[m.value])} |" for m in enum_cls)
        parts.append("")
    return "\n".join(parts)


def example_patient() -> str:
    """The shipped example record, verbatim."""
    text = EXAMPLE_PATIENT.read_text(encoding="utf-8").strip()
    lmtx.parse_patient(text)  # the example must stay valid
    return f'```json title="lmtx/examples/{EXAMPLE_PATIENT.name}"\n{text}\n```\n'


def example_result() -> str:
    """The result of evaluating the shipped example, as lmtx prints it today."""
    result = lmtx.evaluate(EXAMPLE_PATIENT.read_text(encoding="utf-8"))
    return f'```json title="lmtx evaluate lmtx/examples/{EXAMPLE_PATIENT.name}"\n{result.to_json(indent=2)}\n```\n'


# --------------------------------------------------------------------------- output codes

LM_STATUS_MEANINGS = {
    "confirmed": "CSF cytology has been positive at some time.",
    "probable": "An MRI has shown leptomeningeal enhancement, and no cytology has ever been positive.",
    "suspected": "The latest neurological exam is symptomatic, no test shows LM, and the workup since the "
    "symptoms began still lacks an MRI or a CSF cytology.",
    "absent": "None of the above.",
}

PHASE_MEANINGS = {
    "diagnostic-workup": "LM is suspected: the workup comes first.",
    "cns-metastases-without-lm": "Brain metastases, and LM neither established nor suspected.",
    "initial": "Established LM, not yet on osimertinib 160 mg a day.",
    "osimertinib-monotherapy": "On osimertinib 160 mg alone, with no failing assessment since it began.",
    "inadequate-response": "On osimertinib 160 mg alone, and a failing assessment since it began.",
    "combination": "On osimertinib 160 mg with intrathecal pemetrexed, with no progression since the "
    "combination began.",
    "progression-on-combination": "On the combination, and progression since it began.",
    "beyond-document": "On platinum chemotherapy with osimertinib 160 mg: the document's last step is in use.",
}

REASON_MEANINGS = {
    "not-nsclc": "The histology is not NSCLC.",
    "egfr-wild-type": "The tumour is EGFR wild-type.",
    "egfr-status-unknown": "The EGFR status is unknown.",
    "no-cns-involvement": "No LM (established or suspected) and no brain metastases.",
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
    _check_same(what, meanings, actual)
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


def _emits(kb: KnowledgeBase, output_code: str) -> list[tuple[RuleInfo, Emit]]:
    return [(info, c) for info in kb.rules for c in info.rule.then if isinstance(c, Emit) and c.code == output_code]


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
    never_emitted = [c for c in CATALOGUE if not _emits(kb, c)]
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
                row.append(joined(_emit_variants(_emits(kb, entry.code))))
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
    emits = _emits(kb, entry.code)
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


# --------------------------------------------------------------------------- rule catalogue


def _test_text(test: Test) -> str:
    return code(test)


def _condition_text(condition: Match | NoMatch) -> str:
    tests = " and ".join(_test_text(t) for t in condition.tests)
    where = f" with {tests}" if tests else ""
    if isinstance(condition, Match):
        return f"there is a {code(condition.fact)} fact{where}, called {code(condition.binding)}"
    return f"there is no {code(condition.fact)} fact{where}"


def _value_text(value: object) -> str:
    if isinstance(value, Ref):
        return f"{value.binding}.{value.field}"
    return str(value)


def _consequence_text(consequence: Derive | Emit) -> str:
    if isinstance(consequence, Derive):
        shown = ", ".join(f"{k} = {_value_text(v)}" for k, v in consequence.fields)
        return f"derive {code(consequence.fact)}" + (f" ({code(shown)})" if shown else "")
    extra = []
    if consequence.action:
        extra.append(f"action {code(consequence.action)}")
    if isinstance(consequence.severity, SeverityFromGrade):
        extra.append(f"severity by the grade of {code(consequence.severity.grade)}")
    elif consequence.severity:
        extra.append(f"severity {code(consequence.severity)}")
    extra += [f"{k} = {code(_value_text(v))}" for k, v in consequence.params]
    return f"emit {consequence.kind} {code_link(consequence.code)}" + (f" ({', '.join(extra)})" if extra else "")


def _statement_rows(statement_ids: Iterable[str]) -> list[str]:
    by_id = {s.id: s for s in STATEMENTS}
    rows = ["| statement | section | gist | references |", "|---|---|---|---|"]
    for sid in statement_ids:
        s = by_id[sid]
        rows.append(
            f"| {statement_link(sid)} | {cell(s.section)} | {cell(s.gist)} | {joined(map(str, s.references))} |"
        )
    return rows


def rule_catalogue() -> str:
    """Every rule of :func:`lmtx.knowledge_base`, by section: conditions, consequences, statements, references."""
    kb = knowledge_base()
    sections = list(dict.fromkeys(info.section for info in kb.rules))
    parts = ["| section | rules |", "|---|---|"]
    for section in sections:
        count = sum(1 for info in kb.rules if info.section == section)
        parts.append(f"| [{section}](#{_section_anchor(section)}) | {count} |")
    parts.append(f"| **all** | **{len(kb.rules)}** |\n")
    for section in sections:
        parts.append(f"## {section} {{ #{_section_anchor(section)} }}\n")
        for info in kb.rules:
            if info.section == section:
                parts.append(_rule_section(info))
    return "\n".join(parts)


def _section_anchor(section: str) -> str:
    return "section-" + re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")


def _rule_section(info: RuleInfo) -> str:
    lines = [f"### {info.id} {{ #{rule_anchor(info.id)} }}\n", f"{info.description}\n", "**When**\n"]
    lines += [f"- {_condition_text(c)}" for c in info.rule.when]
    lines += ["", "**Then**\n"]
    lines += [f"- {_consequence_text(c)}" for c in info.rule.then]
    lines += ["", "**Encodes**\n"]
    lines += _statement_rows(info.statements)
    refs = joined(map(str, info.references), empty="none")
    lines += ["", f"**References**: {refs}\n"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- statement index

_RESTATES = re.compile(r"\bS\d\d\b")


def restated(statement: Statement) -> tuple[str, ...]:
    """The statements a summary statement restates, read from its gist (``Restates S01: ...``)."""
    return tuple(dict.fromkeys(_RESTATES.findall(statement.gist)))


def statement_coverage(kb: KnowledgeBase | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """How each statement is covered: rules encoding it, codes citing it, codes it is evidence for, restated ids.

    Raises:
        DocsError: When a statement is covered by nothing.
    """
    kb = kb or knowledge_base()
    coverage: dict[str, dict[str, tuple[str, ...]]] = {}
    for s in STATEMENTS:
        coverage[s.id] = {
            "rules": tuple(r.id for r in kb.rules_citing(s.id)),
            "codes": tuple(
                e.code
                for e in CATALOGUE.values()
                if s.id in e.statements or any(t.statements and s.id in t.statements for t in e.texts.values())
            ),
            "evidence_for": tuple(e.code for e in CATALOGUE.values() if s.id in e.evidence),
            "restates": restated(s) if s.role == "summary" else (),
        }
    uncovered = []
    for s in STATEMENTS:
        c = coverage[s.id]
        if s.role == "encode" and not c["rules"]:
            uncovered.append(f"{s.id} (encode): no rule encodes it")
        elif s.role == "evidence" and not c["evidence_for"]:
            uncovered.append(f"{s.id} (evidence): attached to no recommendation")
        elif s.role == "summary" and (
            not c["restates"] or any(not coverage[r]["rules"] for r in c["restates"] if r in coverage)
        ):
            uncovered.append(f"{s.id} (summary): restates no statement that a rule encodes")
    if uncovered:
        raise DocsError("statements not covered: " + "; ".join(uncovered))
    return coverage


ROLE_MEANINGS = {
    "encode": "a rule acts on it and cites it",
    "evidence": "attached, as evidence, to the recommendation it supports",
    "summary": "restates other statements",
}


def statement_index() -> str:
    """Every statement S01-S30 with what covers it: an overview table, then one section per statement."""
    kb = knowledge_base()
    coverage = statement_coverage(kb)
    parts = ["| statement | role | section | covered by |", "|---|---|---|---|"]
    for s in STATEMENTS:
        c = coverage[s.id]
        if s.role == "encode":
            covered = f"{len(c['rules'])} rule{'s' if len(c['rules']) != 1 else ''}"
        elif s.role == "evidence":
            covered = "evidence for " + joined(code_link(x) for x in c["evidence_for"])
        else:
            covered = "restates " + joined(c["restates"])
        parts.append(f"| {statement_link(s.id, page='')} | {s.role} | {cell(s.section)} | {cell(covered)} |")
    parts.append("")
    for s in STATEMENTS:
        parts.append(_statement_section(kb, s, coverage))
    return "\n".join(parts)


def _statement_section(kb: KnowledgeBase, s: Statement, coverage: Mapping[str, Mapping[str, tuple[str, ...]]]) -> str:
    c = coverage[s.id]
    lines = [f"### {s.id} {{ #{statement_anchor(s.id)} }}\n", f"> {s.gist}\n"]
    lines.append(f"- **section**: {s.section}")
    lines.append(f"- **role**: {s.role} ({ROLE_MEANINGS[s.role]})")
    lines.append(f"- **references**: {joined(map(str, s.references), empty='none')}")
    if c["rules"]:
        lines.append(f"- **encoded by**: {joined(rule_link(r) for r in c['rules'])}")
    if c["codes"]:
        lines.append(f"- **cited by the output codes**: {joined(code_link(x) for x in c['codes'])}")
    for target in c["evidence_for"]:
        emitters = dict.fromkeys(info.id for info, _ in _emits(kb, target))
        lines.append(f"- **evidence for**: {code_link(target)}, emitted by {joined(rule_link(r) for r in emitters)}")
    for other in c["restates"]:
        count = len(coverage[other]["rules"])
        lines.append(
            f"- **restates**: [{other}](#{statement_anchor(other)}), encoded by {count} rule{'s' if count != 1 else ''}"
        )
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- policy, API index


def policy_table() -> str:
    """The policy settings with their defaults, from :class:`lmtx.Policy`."""
    documented = {
        "poor_ps_ecog": (
            "ECOG score from which performance status counts as poor (S10). Allowed 1-4.",
            "The document gives no cut-off, and LM studies draw the line at ECOG 2 or at ECOG 3. "
            "lmtx takes the higher one: ECOG 3 or worse is poor.",
        )
    }
    fields = attrs.fields(lmtx.Policy)
    _check_same("policy fields", documented, [f.name for f in fields])
    rows = ["| setting | default | meaning | why this default |", "|---|---|---|---|"]
    for field in fields:
        meaning, why = documented[field.name]
        rows.append(f"| {code(field.name)} | {code(field.default)} | {cell(meaning)} | {cell(why)} |")
    return "\n".join(rows) + "\n"


def standard_doses_table() -> str:
    """Each EGFR TKI's standard daily dose with its source, from :data:`lmtx.drugs.STANDARD_DAILY_DOSE`."""
    from lmtx.drugs import STANDARD_DAILY_DOSE, mg  # noqa: PLC0415 - the one home of drug knowledge

    rows = ["| agent | standard daily dose | source |", "|---|---|---|"]
    for agent, standard in STANDARD_DAILY_DOSE.items():
        dose = f"{mg(standard.daily_mg)} mg"
        if standard.administrations > 1:
            dose += f" ({mg(standard.daily_mg / standard.administrations)} mg {standard.administrations} times a day)"
        rows.append(f"| {code(agent.value)} | {cell(dose)} | {cell(standard.source)} |")
    return "\n".join(rows) + "\n"


def kps_table() -> str:
    """The Karnofsky-to-ECOG bands the rules use."""
    from lmtx.rules.prognosis import KPS_TO_ECOG  # noqa: PLC0415 - the rule module holds the table

    rows = ["| Karnofsky (KPS) | ECOG |", "|---|---|"]
    rows += [f"| {high}-{low} | {ecog} |" for low, high, ecog in KPS_TO_ECOG]
    return "\n".join(rows) + "\n"


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


# --------------------------------------------------------------------------- changelog, examples


def changelog() -> str:
    """CHANGELOG.md, as it stands in the repository."""
    return CHANGELOG.read_text(encoding="utf-8")


_RUNNABLE = re.compile(
    r"(?P<block>^```python\n(?P<code>(?:(?!^```).)*?)^```)[ \t]*\n<!-- lmtx:output -->",
    re.DOTALL | re.MULTILINE,
)


def run_examples(markdown: str, page: str) -> str:
    """Run each Python block followed by ``<!-- lmtx:output -->`` and show what it printed.

    The code runs in a fresh namespace with the repository root as working
    directory, so the output shown is the output lmtx gives today.

    Raises:
        DocsError: When an example fails.
    """

    def run(found: re.Match[str]) -> str:
        out = io.StringIO()
        try:
            with contextlib.chdir(REPO_ROOT), contextlib.redirect_stdout(out):
                exec(compile(found["code"], f"<{page} example>", "exec"), {"__name__": "__docs__"})  # noqa: S102
        except Exception as error:
            raise DocsError(f"{page}: an example failed: {error!r}") from error
        return f"{found['block']}\n\nprints:\n\n```text\n{out.getvalue().rstrip()}\n```"

    return _RUNNABLE.sub(run, markdown)


GENERATORS: dict[str, Callable[[], str]] = {
    "input-fields": input_fields,
    "input-values": input_values,
    "example-patient": example_patient,
    "example-result": example_result,
    "output-fields": output_fields,
    "lm-status-codes": lm_status_codes,
    "phase-codes": phase_codes,
    "reason-codes": reason_codes,
    "kinds-actions-severities": kind_action_severity_tables,
    "output-codes": output_codes,
    "rule-catalogue": rule_catalogue,
    "statement-index": statement_index,
    "policy-table": policy_table,
    "kps-table": kps_table,
    "standard-doses": standard_doses_table,
    "api-index": api_index,
    "api-lmtx": api_lmtx_page,
    "changelog": changelog,
}
"""Marker name -> generator of the Markdown that replaces ``<!-- lmtx:NAME -->``."""

MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- lmtx:(?P<name>[a-z-]+) -->$", re.MULTILINE)


def expand(markdown: str, page: str) -> str:
    """Replace every marker of a page by its generated Markdown, and run its examples.

    Raises:
        DocsError: For an unknown marker, or when a generator finds a gap.
    """

    def replace(found: re.Match[str]) -> str:
        name = found["name"]
        if name == "output":
            return found[0]  # handled by run_examples
        if name not in GENERATORS:
            raise DocsError(f"{page}: unknown marker <!-- lmtx:{name} -->")
        indent = found["indent"]
        return "\n".join(indent + line if line else line for line in GENERATORS[name]().splitlines())

    return run_examples(MARKER.sub(replace, markdown), page)
