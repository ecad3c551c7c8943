"""Diagnosis: the LM status, and the latest finding of each assessment.

``confirmed`` = CSF cytology positive at any time; ``probable`` = MRI
leptomeningeal enhancement with cytology never positive; ``suspected`` (see
docs/interpretation.md#lm-status) = the latest neurological exam is
symptomatic and the workup since the symptoms began lacks an MRI or a CSF
cytology; otherwise ``absent``. Exactly one status holds.

The symptoms begin at the first exam of the latest unbroken symptomatic run.
A negative workup does not end the question: a ``new`` or ``worsened`` exam
dated after the workup was complete (the later of the first MRI and the first
cytology on or after the onset) is a new onset, and the workup starts again.
Each onset of that chain is a ``symptom_onset`` fact; only the last one can
lack its workup, so the status rules below hold for exactly one onset.
"""

from __future__ import annotations

from lmtx.dsl import Rule, derive, eq, ge, gt, le, lt, match, no, none_of, one_of, ref
from lmtx.rules._common import NEW_OR_WORSE, SYMPTOMATIC

SECTION = "Diagnosis and LM status"

_NO_POSITIVE_CYTOLOGY = no("cytology", eq("result", "positive"))
_NO_ENHANCEMENT = no("mri", eq("enhancement", True))

RULES: tuple[Rule, ...] = (
    Rule(
        id="latest-neuro-exam",
        section=SECTION,
        description="The most recent neurological exam is the one that counts.",
        statements=("S14",),
        when=(
            match("exam", "neuro_exam"),
            no("neuro_exam", gt("date", ref("exam", "date"))),
        ),
        then=(derive("latest_neuro", date=ref("exam", "date"), symptoms=ref("exam", "symptoms")),),
    ),
    Rule(
        id="latest-mri",
        section=SECTION,
        description="The most recent neuraxis MRI is the one that counts.",
        statements=("S15",),
        when=(
            match("scan", "mri"),
            no("mri", gt("date", ref("scan", "date"))),
        ),
        then=(derive("latest_mri", date=ref("scan", "date"), response=ref("scan", "response")),),
    ),
    Rule(
        id="latest-csf-cytology",
        section=SECTION,
        description="The most recent CSF cytology is the one that counts.",
        statements=("S16",),
        when=(
            match("sample", "cytology"),
            no("cytology", gt("date", ref("sample", "date"))),
        ),
        then=(derive("latest_cytology", date=ref("sample", "date"), result=ref("sample", "result")),),
    ),
    Rule(
        id="lm-confirmed",
        section=SECTION,
        description="Tumour cells were found in the CSF at some time: LM is confirmed.",
        statements=("S04", "S16"),
        when=(
            match("sample", "cytology", eq("result", "positive")),
            no("cytology", eq("result", "positive"), gt("date", ref("sample", "date"))),
        ),
        then=(derive("lm", status="confirmed"),),
    ),
    Rule(
        id="lm-probable",
        section=SECTION,
        description="MRI showed leptomeningeal enhancement and cytology was never positive: LM is probable.",
        statements=("S04", "S15"),
        when=(
            match("scan", "mri", eq("enhancement", True)),
            no("mri", eq("enhancement", True), gt("date", ref("scan", "date"))),
            _NO_POSITIVE_CYTOLOGY,
        ),
        then=(derive("lm", status="probable"),),
    ),
    Rule(
        id="neuro-symptom-onset-first-exam",
        section=SECTION,
        description="Every exam so far is symptomatic: the symptoms began at the first exam.",
        statements=("S26", "S14"),
        when=(
            match("exam", "neuro_exam", eq("seq", 0), one_of("symptoms", SYMPTOMATIC)),
            no("neuro_exam", gt("date", ref("exam", "date")), none_of("symptoms", SYMPTOMATIC)),
        ),
        then=(derive("symptom_onset", date=ref("exam", "date")),),
    ),
    Rule(
        id="neuro-symptom-onset",
        section=SECTION,
        description="The latest exams are symptomatic: the symptoms began at the first of that unbroken run.",
        statements=("S26", "S14"),
        when=(
            match("exam", "neuro_exam", one_of("symptoms", SYMPTOMATIC)),
            no("neuro_exam", gt("date", ref("exam", "date")), none_of("symptoms", SYMPTOMATIC)),
            match("before", "neuro_exam", eq("seq", ref("exam", "prev")), none_of("symptoms", SYMPTOMATIC)),
        ),
        then=(derive("symptom_onset", date=ref("exam", "date")),),
    ),
    Rule(
        id="lm-suspected-no-workup",
        section=SECTION,
        description="Neurological symptoms and neither MRI nor CSF cytology since they began: LM is suspected.",
        statements=("S26",),
        when=(
            match("onset", "symptom_onset"),
            _NO_POSITIVE_CYTOLOGY,
            _NO_ENHANCEMENT,
            no("mri", ge("date", ref("onset", "date"))),
            no("cytology", ge("date", ref("onset", "date"))),
        ),
        then=(
            derive("lm", status="suspected"),
            derive("workup_gap", missing="mri-and-csf-cytology", onset=ref("onset", "date")),
        ),
    ),
    Rule(
        id="lm-suspected-no-mri",
        section=SECTION,
        description="Neurological symptoms, a negative CSF cytology since, but no MRI since: LM is suspected.",
        statements=("S26",),
        when=(
            match("onset", "symptom_onset"),
            _NO_POSITIVE_CYTOLOGY,
            _NO_ENHANCEMENT,
            no("mri", ge("date", ref("onset", "date"))),
            match("sample", "latest_cytology", ge("date", ref("onset", "date"))),
        ),
        then=(derive("lm", status="suspected"), derive("workup_gap", missing="mri", onset=ref("onset", "date"))),
    ),
    Rule(
        id="lm-suspected-no-cytology",
        section=SECTION,
        description="Neurological symptoms, a clean MRI since, but no CSF cytology since: LM is suspected.",
        statements=("S26",),
        when=(
            match("onset", "symptom_onset"),
            _NO_POSITIVE_CYTOLOGY,
            _NO_ENHANCEMENT,
            no("cytology", ge("date", ref("onset", "date"))),
            match("scan", "latest_mri", ge("date", ref("onset", "date"))),
        ),
        then=(
            derive("lm", status="suspected"),
            derive("workup_gap", missing="csf-cytology", onset=ref("onset", "date")),
        ),
    ),
    *(
        rule
        for base, name, statement in (("mri", "MRI", "S15"), ("cytology", "CSF cytology", "S16"))
        for rule in (
            Rule(
                id=f"workup-{base}-since-onset",
                section=SECTION,
                description=f"{name} on or after the onset of the symptoms: part of their workup.",
                statements=("S26", statement),
                when=(match("onset", "symptom_onset"), match("test", base, ge("date", ref("onset", "date")))),
                then=(derive(f"{base}_since", onset=ref("onset", "date"), date=ref("test", "date")),),
            ),
            Rule(
                id=f"workup-first-{base}-since-onset",
                section=SECTION,
                description=f"The first {name} on or after the onset of the symptoms.",
                statements=("S26", statement),
                when=(
                    match("since", f"{base}_since"),
                    no(base, ge("date", ref("since", "onset")), lt("date", ref("since", "date"))),
                ),
                then=(derive(f"first_{base}", onset=ref("since", "onset"), date=ref("since", "date")),),
            ),
        )
    ),
    Rule(
        id="workup-complete-with-mri",
        section=SECTION,
        description="The workup since the onset was complete on the day of its first MRI (cytology came first).",
        statements=("S26", "S15", "S16"),
        when=(
            match("scan", "first_mri"),
            match(
                "sample",
                "first_cytology",
                eq("onset", ref("scan", "onset")),
                le("date", ref("scan", "date")),
            ),
        ),
        then=(derive("workup_complete", onset=ref("scan", "onset"), done=ref("scan", "date")),),
    ),
    Rule(
        id="workup-complete-with-cytology",
        section=SECTION,
        description="The workup since the onset was complete on the day of its first CSF cytology (MRI came first).",
        statements=("S26", "S15", "S16"),
        when=(
            match("sample", "first_cytology"),
            match("scan", "first_mri", eq("onset", ref("sample", "onset")), lt("date", ref("sample", "date"))),
        ),
        then=(derive("workup_complete", onset=ref("sample", "onset"), done=ref("sample", "date")),),
    ),
    Rule(
        id="symptoms-after-negative-workup",
        section=SECTION,
        description="A new or worsened neurological finding after the workup was complete.",
        statements=("S26", "S14"),
        when=(
            match("workup", "workup_complete"),
            match("exam", "neuro_exam", gt("date", ref("workup", "done")), one_of("symptoms", NEW_OR_WORSE)),
        ),
        then=(derive("symptoms_after_workup", done=ref("workup", "done"), date=ref("exam", "date")),),
    ),
    Rule(
        id="neuro-symptom-onset-after-negative-workup",
        section=SECTION,
        description="The first new or worsened finding after a complete negative workup starts a new onset.",
        statements=("S26", "S14"),
        when=(
            match("after", "symptoms_after_workup"),
            no(
                "neuro_exam",
                one_of("symptoms", NEW_OR_WORSE),
                gt("date", ref("after", "done")),
                lt("date", ref("after", "date")),
            ),
        ),
        then=(derive("symptom_onset", date=ref("after", "date")),),
    ),
    Rule(
        id="lm-absent-negative-workup",
        section=SECTION,
        description="MRI and CSF cytology since the onset are negative, and nothing new or worse came after: no LM.",
        statements=("S26", "S15", "S16"),
        when=(
            match("workup", "workup_complete"),
            _NO_POSITIVE_CYTOLOGY,
            _NO_ENHANCEMENT,
            no("neuro_exam", one_of("symptoms", NEW_OR_WORSE), gt("date", ref("workup", "done"))),
        ),
        then=(derive("lm", status="absent"),),
    ),
    Rule(
        id="lm-absent-no-symptoms",
        section=SECTION,
        description="The latest neurological exam is not symptomatic and no test shows LM: no LM.",
        statements=("S26", "S14"),
        when=(
            match("exam", "latest_neuro", none_of("symptoms", SYMPTOMATIC)),
            _NO_POSITIVE_CYTOLOGY,
            _NO_ENHANCEMENT,
        ),
        then=(derive("lm", status="absent"),),
    ),
    Rule(
        id="lm-absent-no-exam",
        section=SECTION,
        description="No neurological exam recorded and no test shows LM: no LM.",
        statements=("S26",),
        when=(
            match("patient", "patient"),
            no("neuro_exam"),
            _NO_POSITIVE_CYTOLOGY,
            _NO_ENHANCEMENT,
        ),
        then=(derive("lm", status="absent"),),
    ),
)
