"""The knowledge base: statement coverage, provenance, catalogue consistency."""

from __future__ import annotations

import json
import re

import pytest

import lmtx
from lmtx._facts import DATE_FIELDS, NO_DATE
from lmtx.catalogue import CATALOGUE
from lmtx.dsl import Derive, Emit, Match, Ref
from lmtx.rules import RULES, SECTIONS
from lmtx.statements import STATEMENTS
from tests.fingerprint import copied_runs, load_fingerprint, load_statements, run_hashes
from tests.scenarios import load_scenarios


def test_the_statement_index_matches_the_document() -> None:
    """lmtx's index agrees with the document's numbering: ids, sections, roles and reference numbers."""
    document = load_statements()
    assert [s.id for s in STATEMENTS] == [s["id"] for s in document]
    for ours, theirs in zip(STATEMENTS, document, strict=True):
        assert (ours.section, ours.role, list(ours.references)) == (
            theirs["section"],
            theirs["role"],
            theirs["references"],
        ), ours.id


def test_the_fingerprint_recognises_copied_text() -> None:
    """The own-words check can fail: a run whose hash is listed is found, whatever its case and punctuation."""
    assert len(load_fingerprint()) > 200  # every statement's runs, not an empty file
    source = "Osimertinib, at 160 mg daily, was the agent chosen for this patient today."
    listed = set(run_hashes(source))
    assert copied_runs(source.upper().replace(",", ";"), listed) == [
        " ".join(source.lower().replace(",", "").rstrip(".").split()[i : i + 8]) for i in range(len(listed))
    ]
    assert copied_runs("Osimertinib at 160 mg a day was the agent chosen for this patient", listed) == []


def test_gists_are_in_our_own_words() -> None:
    """No gist repeats a run of eight or more consecutive words of the document."""
    fingerprint = load_fingerprint()
    for ours in STATEMENTS:
        assert copied_runs(ours.gist, fingerprint) == [], ours.id


def test_catalogue_text_is_in_our_own_words() -> None:
    """No summary or detail repeats eight consecutive words of any document statement."""
    fingerprint = load_fingerprint()
    for code, entry in CATALOGUE.items():
        for text in entry.texts.values():
            assert copied_runs(f"{text.summary} {text.detail}", fingerprint) == [], code


def test_every_encode_statement_is_cited_by_a_rule() -> None:
    cited = {sid for rule in RULES for sid in rule.statements}
    encode = {s.id for s in STATEMENTS if s.role == "encode"}
    assert encode - cited == set()


def test_every_evidence_statement_is_attached_to_a_recommendation() -> None:
    attached = {sid for entry in CATALOGUE.values() for sid in entry.evidence}
    evidence = {s.id for s in STATEMENTS if s.role == "evidence"}
    assert attached == evidence
    assert all(CATALOGUE[code].output == "recommendation" for code in ("osimertinib-160", "it-pemetrexed"))


def test_rules_cite_only_encode_statements() -> None:
    encode = {s.id for s in STATEMENTS if s.role == "encode"}
    assert {sid for rule in RULES for sid in rule.statements} <= encode


def test_rule_ids_are_unique_and_grouped_by_section() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for module in SECTIONS:
        assert {rule.section for rule in module.RULES} == {module.SECTION}


def test_every_code_a_rule_emits_is_in_the_catalogue_with_its_variant() -> None:
    for rule in RULES:
        for consequence in rule.then:
            if not isinstance(consequence, Emit):
                continue
            entry = CATALOGUE[consequence.code]
            assert entry.output == consequence.kind, rule.id
            if entry.variant == "action":
                assert consequence.action in entry.texts, (rule.id, consequence.action)
            elif entry.variant == "severity":
                assert consequence.severity in entry.texts, rule.id
            elif entry.variant is not None:
                value = dict(consequence.params)[entry.variant]
                assert isinstance(value, Ref) or value in entry.texts, (rule.id, value)


def test_every_catalogue_code_is_emitted_by_some_rule() -> None:
    assert {code for rule in RULES for code in rule.codes} == set(CATALOGUE)


def test_catalogue_statements_exist_and_summaries_fit_a_card() -> None:
    known = {s.id for s in STATEMENTS}
    # The longest performance-status phrase the note can state (lmtx._texts.prognosis).
    ps = "KPS 100 (ECOG 0), the latest; none recorded at LM diagnosis"
    # The longest cause a rash alert names (two agents; more are counted, lmtx._texts.toxicity).
    cause = ", with furmonertinib and sunvozertinib"
    # The longest doses and phrases of the highest tolerable dose (lmtx._texts.tolerance, lmtx._texts.response);
    # the toxicity alerts' "now" and dose-modification's context are cut to fit by their words.
    given = "159.9999999 mg every 365 days"
    worst_case = {
        "grade": 5,
        "term": "thrombocytopenia",
        "score": 100,
        "ecog": 4,
        "ps": ps,
        "cause": cause,
        "given": given,
        "limit": "159.9999999 mg",
        "beside": f"together with osimertinib {given}",
        "osimertinib_now": f"osimertinib {given}",
        "now": ", needs attention now (see dose-modification)",
        "linked_to": "Grade 5 thrombocytopenia and more linked to 12 agents",
        "keep": "osimertinib is withheld (see osimertinib-tolerated)",
    }
    for code, entry in CATALOGUE.items():
        assert entry.statements, code
        assert set(entry.statements) | set(entry.evidence) <= known, code
        for variant, text in entry.texts.items():
            assert set(entry.statements_for(variant)) <= known
            assert len(text.summary.format_map(worst_case)) <= 140, (code, variant)


def test_knowledge_base_as_data() -> None:
    kb = lmtx.knowledge_base()
    assert kb is lmtx.knowledge_base()
    assert kb.id == "lmtx-egfr-lm"
    assert kb.version == lmtx.__version__
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", kb.digest)
    assert [r.id for r in kb.rules] == [r.id for r in RULES]
    info = kb.rule("add-intrathecal-pemetrexed")
    assert info.statements == ("S07", "S01")
    assert info.references == (1, 2)
    assert info.codes == ("it-pemetrexed",)
    assert info.conditions == ("a phase with value == inadequate-response (as phase)",)
    assert [r.id for r in kb.rules_emitting("prefer-intrathecal")] == ["prefer-intrathecal-poor-ps"]
    assert {r.id for r in kb.rules_citing("S20")} == {"prognosis-csf-flow-interrupted"}
    data = json.loads(json.dumps(kb.to_dict()))
    assert data["digest"] == kb.digest
    assert len(data["rules"]) == len(RULES)
    with pytest.raises(KeyError):
        kb.rule("no-such-rule")


def test_every_result_names_the_knowledge_base() -> None:
    kb = lmtx.knowledge_base()
    result = lmtx.evaluate({"histology": "sclc"})
    assert (result.knowledge_base.id, result.knowledge_base.version, result.knowledge_base.digest) == (
        kb.id,
        kb.version,
        kb.digest,
    )


def _copies() -> list[tuple[str, str, str, object]]:
    """(rule id, fact type, field, value) of every field a rule's consequence fills; a value read
    from a matched fact is given as (that fact's type, field)."""
    copies = []
    for rule in RULES:
        bound = {c.binding: c.fact for c in rule.when if isinstance(c, Match)}
        for consequence in rule.then:
            kind = consequence.fact if isinstance(consequence, Derive) else consequence.kind
            values = consequence.fields if isinstance(consequence, Derive) else consequence.params
            for field, value in values:
                source = (bound[value.binding], value.field) if isinstance(value, Ref) else value
                copies.append((rule.id, kind, field, source))
    return copies


def _date_carrying_fields() -> set[tuple[str, str]]:
    """(fact type, field) pairs that hold a day: the record's dates, then every field a rule copies one into."""
    dates = {("neuro_exam", "date"), ("cytology", "date"), ("mri", "date"), ("therapy", "start"), ("therapy", "end")}
    dates |= {("therapy", "chain_start"), ("therapy", "primary_start"), ("therapy", "run_date")}
    dates |= {("link", "day"), ("link", "start"), ("link", "end")}
    dates |= {("ps", "date"), ("toxicity", "day"), ("toxicity", "window")}
    dates |= {("patient", "as_of"), ("patient", "recent_from")}
    copies = _copies()
    while True:
        found = dates | {(kind, field) for _, kind, field, source in copies if source in dates}
        if found == dates:
            return dates
        dates = found


def test_every_date_carrying_field_is_shown_as_a_date() -> None:
    """DATE_FIELDS is exactly the fields the rules fill with a day, and none of them ever holds anything else."""
    dates = _date_carrying_fields()
    assert {field for _, field in dates} == DATE_FIELDS
    for rule_id, kind, field, source in _copies():
        if field in DATE_FIELDS:
            assert source in dates or source == NO_DATE, (rule_id, kind, field, source)


def test_no_trace_label_shows_a_day_as_a_number() -> None:
    """Every date in a result's trace reads as an ISO date, never as the engine's day number."""
    ordinal = re.compile(r"=\d{6}\b")
    for name, scenario in load_scenarios().items():
        result = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
        for entry in result.trace:
            for label in (*entry.matched, *entry.emitted):
                assert not ordinal.search(label), (name, entry.rule, label)
