"""Scope and eligibility (see docs/interpretation.md#scope): who the treatment algorithm applies to.

The algorithm covers NSCLC with an EGFR mutation and CNS involvement: LM
established or suspected, or brain metastases. Every reason that rules a
patient out is derived, so that the result can list them all.
"""

from __future__ import annotations

from lmtx.dsl import Rule, derive, eq, match, one_of
from lmtx.rules._common import NSCLC

SECTION = "Scope and eligibility"

RULES: tuple[Rule, ...] = (
    Rule(
        id="scope-nsclc",
        section=SECTION,
        description="The histology is non-small cell lung cancer.",
        statements=("S01", "S26"),
        when=(match("patient", "patient", one_of("histology", NSCLC)),),
        then=(derive("nsclc"),),
    ),
    Rule(
        id="scope-not-nsclc",
        section=SECTION,
        description="The histology is not NSCLC: the document does not apply.",
        statements=("S01",),
        when=(match("patient", "patient", one_of("histology", ("other", "sclc"))),),
        then=(derive("not_applicable", reason="not-nsclc"),),
    ),
    Rule(
        id="scope-egfr-mutant",
        section=SECTION,
        description="The tumour carries an EGFR mutation.",
        statements=("S01", "S02"),
        when=(match("patient", "patient", eq("egfr", "mutant")),),
        then=(derive("egfr_mutant"),),
    ),
    Rule(
        id="scope-egfr-wild-type",
        section=SECTION,
        description="EGFR wild-type: the osimertinib algorithm does not apply.",
        statements=("S01",),
        when=(match("patient", "patient", eq("egfr", "wild_type")),),
        then=(derive("not_applicable", reason="egfr-wild-type"),),
    ),
    Rule(
        id="scope-egfr-unknown",
        section=SECTION,
        description="EGFR status unknown: the document's algorithm needs the EGFR status; test for an EGFR mutation.",
        statements=("S01",),
        when=(match("patient", "patient", eq("egfr", "unknown")),),
        then=(derive("not_applicable", reason="egfr-status-unknown"),),
    ),
    Rule(
        id="scope-cns-leptomeningeal",
        section=SECTION,
        description="LM is confirmed, probable or suspected: the CNS is involved.",
        statements=("S01", "S02"),
        when=(match("lm", "lm", one_of("status", ("confirmed", "probable", "suspected"))),),
        then=(derive("cns_involvement"),),
    ),
    Rule(
        id="scope-cns-brain-metastases",
        section=SECTION,
        description="Brain metastases: the CNS is involved.",
        statements=("S02",),
        when=(match("patient", "patient", eq("brain_metastases", True)),),
        then=(derive("cns_involvement"),),
    ),
    Rule(
        id="scope-no-cns-involvement",
        section=SECTION,
        description="LM neither established nor suspected, and no brain metastases: nothing for the algorithm "
        "to treat.",
        statements=("S02",),
        when=(
            match("lm", "lm", eq("status", "absent")),
            match("patient", "patient", eq("brain_metastases", False)),
        ),
        then=(derive("not_applicable", reason="no-cns-involvement"),),
    ),
    Rule(
        id="scope-applicable",
        section=SECTION,
        description="EGFR-mutant NSCLC with CNS involvement: the algorithm applies.",
        statements=("S01", "S02"),
        when=(
            match("nsclc", "nsclc"),
            match("mutant", "egfr_mutant"),
            match("cns", "cns_involvement"),
        ),
        then=(derive("applicable"),),
    ),
)
