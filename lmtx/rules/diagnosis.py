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

A complete negative workup settles the question, with two exceptions
(docs/interpretation.md#lm-status): when the only CSF cytology since the
current onset is ``equivocal``, LM stays suspected until it is repeated; and,
without brain metastases, when that only cytology is negative and the
symptoms persist after the workup, LM stays suspected until a second
cytology (one negative cytology often misses LM). ``cytology_reading`` says,
per onset, whether its cytology was repeated or what the only one showed.
"""

from __future__ import annotations

from lmtx.dsl import Condition, Match, NoMatch, Rule, derive, eq, ge, gt, le, lt, match, ne, no, none_of, one_of, ref
from lmtx.rules._common import NEW_OR_WORSE, SYMPTOMATIC

SECTION = "Diagnosis and LM status"

_NO_POSITIVE_CYTOLOGY = no("cytology", eq("result", "positive"))
_NO_ENHANCEMENT = no("mri", eq("enhancement", True))
_NO_NEW_OR_WORSE_AFTER_WORKUP = no("neuro_exam", one_of("symptoms", NEW_OR_WORSE), gt("date", ref("workup", "done")))
"""Nothing new or worse after the workup: the onset it answers is the current one."""


def _after_negative_workup(
    reading: str, *more: Match, quiet_after: NoMatch = _NO_NEW_OR_WORSE_AFTER_WORKUP
) -> tuple[Condition, ...]:
    """A complete negative workup for the current onset whose cytology reading is ``reading``, and ``more``.

    ``quiet_after`` says what may not follow the workup (nothing new or worse, or no exam at all).
    """
    return (
        match("workup", "workup_complete"),
        _NO_POSITIVE_CYTOLOGY,
        _NO_ENHANCEMENT,
        quiet_after,
        match("reading", "cytology_reading", eq("onset", ref("workup", "onset")), eq("reading", reading)),
        *more,
    )


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
        description="Neurological symptoms, a negative or repeated CSF cytology since, but no MRI since: "
        "LM is suspected.",
        statements=("S26",),
        when=(
            match("onset", "symptom_onset"),
            _NO_POSITIVE_CYTOLOGY,
            _NO_ENHANCEMENT,
            no("mri", ge("date", ref("onset", "date"))),
            match("reading", "cytology_reading", eq("onset", ref("onset", "date")), ne("reading", "equivocal")),
        ),
        then=(derive("lm", status="suspected"), derive("workup_gap", missing="mri", onset=ref("onset", "date"))),
    ),
    Rule(
        id="lm-suspected-no-mri-equivocal-cytology",
        section=SECTION,
        description="Neurological symptoms, no MRI since, and the only CSF cytology since is equivocal: "
        "LM is suspected until an MRI and a repeat cytology.",
        statements=("S26", "S16"),
        when=(
            match("onset", "symptom_onset"),
            _NO_POSITIVE_CYTOLOGY,
            _NO_ENHANCEMENT,
            no("mri", ge("date", ref("onset", "date"))),
            match("reading", "cytology_reading", eq("onset", ref("onset", "date")), eq("reading", "equivocal")),
        ),
        then=(
            derive("lm", status="suspected"),
            derive("workup_gap", missing="mri-and-repeat-csf-cytology", onset=ref("onset", "date")),
        ),
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
        id="workup-only-cytology-since-onset",
        section=SECTION,
        description="The first CSF cytology on or after the onset of the symptoms is the only one since.",
        statements=("S26", "S16"),
        when=(
            match("first", "first_cytology"),
            no("cytology", gt("date", ref("first", "date"))),
            match("sample", "latest_cytology", eq("date", ref("first", "date"))),
        ),
        then=(
            derive(
                "cytology_reading",
                onset=ref("first", "onset"),
                date=ref("first", "date"),
                reading=ref("sample", "result"),
            ),
        ),
    ),
    Rule(
        id="workup-cytology-repeated-since-onset",
        section=SECTION,
        description="Another CSF cytology followed the first one on or after the onset of the symptoms.",
        statements=("S26", "S16"),
        when=(
            match("first", "first_cytology"),
            match("sample", "latest_cytology", gt("date", ref("first", "date"))),
        ),
        then=(derive("cytology_reading", onset=ref("first", "onset"), date=ref("first", "date"), reading="repeated"),),
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
        id="lm-suspected-equivocal-cytology",
        section=SECTION,
        description="Neurological symptoms, a clean MRI since, and the only CSF cytology since is equivocal: "
        "LM is suspected until the cytology is repeated.",
        statements=("S26", "S16"),
        when=_after_negative_workup("equivocal"),
        then=(
            derive("lm", status="suspected"),
            derive("workup_gap", missing="repeat-csf-cytology", onset=ref("workup", "onset")),
        ),
    ),
    Rule(
        id="lm-suspected-second-cytology",
        section=SECTION,
        description="Symptoms persist after a negative MRI and a single negative CSF cytology, without brain "
        "metastases: LM is suspected until a second cytology.",
        statements=("S26", "S16", "S14"),
        when=_after_negative_workup(
            "negative",
            match("exam", "latest_neuro", gt("date", ref("workup", "done")), eq("symptoms", "persistent")),
            match("patient", "patient", eq("brain_metastases", False)),
        ),
        then=(
            derive("lm", status="suspected"),
            derive("workup_gap", missing="second-csf-cytology", onset=ref("workup", "onset")),
        ),
    ),
    Rule(
        id="lm-absent-negative-workup",
        section=SECTION,
        description="The MRI and the single CSF cytology since the onset are negative, and no exam came after: "
        "no LM found.",
        statements=("S26", "S15", "S16"),
        when=_after_negative_workup("negative", quiet_after=no("neuro_exam", gt("date", ref("workup", "done")))),
        then=(derive("lm", status="absent"),),
    ),
    Rule(
        id="lm-absent-negative-workup-brain-metastases",
        section=SECTION,
        description="The MRI and the single CSF cytology since the onset are negative; the symptoms persist, and "
        "brain metastases can explain them: no LM found.",
        statements=("S26", "S15", "S16"),
        when=_after_negative_workup(
            "negative",
            match("exam", "latest_neuro", gt("date", ref("workup", "done"))),
            match("patient", "patient", eq("brain_metastases", True)),
        ),
        then=(derive("lm", status="absent"),),
    ),
    Rule(
        id="lm-absent-cytology-repeated",
        section=SECTION,
        description="The MRI and the repeated CSF cytologies since the onset are not positive, and nothing new or "
        "worse came after: no LM found.",
        statements=("S26", "S15", "S16"),
        when=_after_negative_workup("repeated"),
        then=(derive("lm", status="absent"),),
    ),
    Rule(
        id="lm-absent-no-symptoms",
        section=SECTION,
        description="The latest neurological exam is not symptomatic and no test shows LM: no sign of LM recorded.",
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
        description="No neurological exam recorded and no test shows LM: no sign of LM recorded.",
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
