"""Toxicity management (S21-S25; see docs/interpretation.md#toxicity).

Each reported adverse-event kind gives one alert, whether or not the
algorithm applies, with its severity from the highest grade reported (1-2
info, 3 warning, 4-5 critical); the alert names every reported term of its
kind (the ``reported`` facts) and the agents linked to it (the ``linked``
facts): those the treating team attributes it to, or else the therapies given
around it that this reading links to its kind. A toxicity of grade 3 or more
while osimertinib is active or recommended adds ``dose-modification``, naming
the agents linked to the severe toxicities; the rules never lower the
recommended osimertinib dose.
"""

from __future__ import annotations

from lmtx.dsl import (
    Derive,
    Ref,
    Rule,
    SeverityFromGrade,
    Test,
    alert,
    derive,
    eq,
    ge,
    gt,
    le,
    match,
    no,
    none_of,
    one_of,
    ref,
)
from lmtx.rules._common import ACTIVE, ANY_EGFR_TKI, NO_END, OSIMERTINIB, in_words

MYELOSUPPRESSION = ("anemia", "leukopenia", "neutropenia", "thrombocytopenia")

SECTION = "Toxicity"

TOXICITY_ALERTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("toxicity-skin-rash", ("rash",), "S21"),
    ("toxicity-myelosuppression", ("anemia", "leukopenia", "neutropenia", "thrombocytopenia"), "S22"),
    ("toxicity-aseptic-meningitis", ("aseptic_meningitis",), "S23"),
    ("toxicity-fatigue", ("fatigue",), "S24"),
)
"""(alert code, toxicity terms, statement) for each monitored adverse effect."""


def _toxicity_alert(code: str, terms: tuple[str, ...], statement_id: str) -> Rule:
    kind = one_of("term", terms)
    return Rule(
        id=code,
        section=SECTION,
        description=f"{in_words(terms).capitalize()} reported: one alert, at the highest grade reported.",
        statements=(statement_id,),
        when=(
            match("toxicity", "toxicity", kind),
            no("toxicity", kind, gt("grade", ref("toxicity", "grade"))),
            no("toxicity", kind, eq("grade", ref("toxicity", "grade")), gt("seq", ref("toxicity", "seq"))),
        ),
        then=(
            alert(
                code,
                SeverityFromGrade(ref("toxicity", "grade")),
                grade=ref("toxicity", "grade"),
                term=ref("toxicity", "term"),
            ),
        ),
    )


_GIVEN_AROUND: tuple[tuple[str, tuple[Test, ...]], ...] = (
    ("ongoing", (NO_END,)),
    ("ended-within-6-weeks", (ge("end", ref("toxicity", "window")),)),
)
"""A therapy is *given around* a toxicity when it was not only planned, began on or before the
toxicity's day, and has no end or ended at most six weeks (42 days) before it: one rule per case."""

_AROUND: tuple[Test, ...] = (none_of("status", ("planned",)), le("start", ref("toxicity", "day")))

LINKED_AGENTS: tuple[tuple[str, tuple[str, ...], tuple[Test, ...], str], ...] = (
    ("rash-egfr-tki", ("rash",), (ANY_EGFR_TKI,), "S21"),
    ("rash-amivantamab", ("rash",), (eq("agent", "amivantamab"),), "S21"),
    ("aseptic-meningitis", ("aseptic_meningitis",), (eq("route", "intrathecal"),), "S23"),
    ("myelosuppression", MYELOSUPPRESSION, (eq("cls", "chemotherapy"),), "S22"),
    ("fatigue", ("fatigue",), (), "S24"),
    ("other", ("other",), (), "S25"),
)
"""(name, toxicity terms, the therapies this reading links to them, statement).

Rash is a class effect of the EGFR TKIs and of amivantamab (the document names osimertinib),
aseptic meningitis comes with intrathecal treatment, myelosuppression with chemotherapy; fatigue
and other adverse events may come from any therapy, radiotherapy included."""


def _linked(toxicity: Ref | str, basis: str) -> Derive:
    return derive(
        "linked",
        term=ref("toxicity", "term"),
        grade=ref("toxicity", "grade"),
        toxicity=toxicity,
        basis=basis,
        agent=ref("therapy", "agent"),
        route=ref("therapy", "route"),
        dose=ref("therapy", "dose_mg"),
        interval=ref("therapy", "interval"),
        status=ref("therapy", "status"),
        start=ref("therapy", "start"),
        end=ref("therapy", "end"),
        therapy=ref("therapy", "seq"),
    )


def _linked_rules(name: str, terms: tuple[str, ...], agent: tuple[Test, ...], statement_id: str) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            id=f"toxicity-linked-{name}-{case}",
            section=SECTION,
            description=(
                f"A reported {in_words(terms)}{' adverse event' if terms == ('other',) else ''} that the team "
                f"attributes to nothing: a therapy this reading links to it, given around it "
                f"({case.replace('-', ' ')})."
            ),
            statements=(statement_id,),
            when=(
                match("toxicity", "toxicity", one_of("term", terms), eq("attributed", "")),
                match("therapy", "therapy", *agent, *_AROUND, *given),
            ),
            then=(_linked(ref("toxicity", "seq"), "reading"),),
        )
        for case, given in _GIVEN_AROUND
    )


def _osimertinib_myelosuppression_rules() -> tuple[Rule, ...]:
    no_chemotherapy = tuple(no("therapy", eq("cls", "chemotherapy"), *_AROUND, *given) for _, given in _GIVEN_AROUND)
    return tuple(
        Rule(
            id=f"toxicity-linked-myelosuppression-osimertinib-{case}",
            section=SECTION,
            description=(
                "A reported cytopenia that the team attributes to nothing, with no chemotherapy given around "
                f"it: osimertinib given around it ({case.replace('-', ' ')}) is the agent linked to it."
            ),
            statements=("S22",),
            when=(
                match("toxicity", "toxicity", one_of("term", MYELOSUPPRESSION), eq("attributed", "")),
                *no_chemotherapy,
                match("therapy", "therapy", OSIMERTINIB, *_AROUND, *given),
            ),
            then=(_linked(ref("toxicity", "seq"), "reading"),),
        )
        for case, given in _GIVEN_AROUND
    )


RULES: tuple[Rule, ...] = (
    *(_toxicity_alert(*row) for row in TOXICITY_ALERTS),
    Rule(
        id="toxicity-reported",
        section=SECTION,
        description="An adverse event was reported: its alert names it with its grade.",
        statements=("S21", "S22", "S23", "S24"),
        when=(match("toxicity", "toxicity"),),
        then=(derive("reported", term=ref("toxicity", "term"), grade=ref("toxicity", "grade")),),
    ),
    Rule(
        id="severe-toxicity",
        section=SECTION,
        description="Some adverse event is of CTCAE grade 3 or more.",
        statements=("S25",),
        when=(
            match("toxicity", "toxicity", ge("grade", 3)),
            no("toxicity", ge("grade", 3), gt("seq", ref("toxicity", "seq"))),
        ),
        then=(derive("severe_toxicity"),),
    ),
    Rule(
        id="osimertinib-in-use-active",
        section=SECTION,
        description="Osimertinib is being given.",
        statements=("S25",),
        when=(match("osimertinib", "therapy", OSIMERTINIB, ACTIVE),),
        then=(derive("osimertinib_in_use"),),
    ),
    Rule(
        id="osimertinib-in-use-recommended",
        section=SECTION,
        description="Osimertinib is recommended.",
        statements=("S25",),
        when=(match("recommendation", "recommendation", one_of("code", ("osimertinib-160", "osimertinib-80"))),),
        then=(derive("osimertinib_in_use"),),
    ),
    Rule(
        id="dose-modification",
        section=SECTION,
        description="Grade 3+ toxicity with osimertinib: dose changes may be needed; keep the highest tolerable dose.",
        statements=("S25",),
        when=(match("severe", "severe_toxicity"), match("osimertinib", "osimertinib_in_use")),
        then=(alert("dose-modification", "warning"),),
    ),
    Rule(
        id="toxicity-attributed",
        section=SECTION,
        description="A toxicity the treating team attributes to an agent: every therapy of that agent is named.",
        statements=("S25",),
        when=(
            match("toxicity", "toxicity"),
            match("attribution", "attribution", eq("toxicity", ref("toxicity", "seq"))),
            match("therapy", "therapy", eq("agent", ref("attribution", "agent"))),
        ),
        then=(_linked(ref("toxicity", "seq"), "attributed"),),
    ),
    *(rule for row in LINKED_AGENTS for rule in _linked_rules(*row)),
    *_osimertinib_myelosuppression_rules(),
)
