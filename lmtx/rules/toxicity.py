"""Toxicity management (S21-S25; see docs/interpretation.md#toxicity).

Each reported adverse-event kind gives one alert, whether or not the
algorithm applies, with its severity from the highest grade reported (1-2
info, 3 warning, 4-5 critical); the alert names every reported term of its
kind (the ``reported`` facts) and the agents linked to it (the ``linked``
facts, from the ``link`` facts read once per record by lmtx._facts.links):
those the treating team attributes it to, or else the therapies given around
it that this reading links to its kind. A toxicity of grade 3 or more while
osimertinib is active or recommended adds ``dose-modification``, naming the
agents linked to the severe toxicities; the rules never advise an osimertinib
dose below the one given now, nor one at or above a dose stopped for toxicity
(lmtx.rules.tolerance).
"""

from __future__ import annotations

from lmtx.dsl import (
    Derive,
    Rule,
    SeverityFromGrade,
    alert,
    derive,
    eq,
    ge,
    gt,
    match,
    no,
    one_of,
    ref,
)
from lmtx.rules._common import ACTIVE, OSIMERTINIB, OSIMERTINIB_CODES, in_words

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


LINKED_KINDS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("rash", ("rash",), "S21", "a skin rash: every EGFR TKI and amivantamab"),
    ("myelosuppression", MYELOSUPPRESSION, "S22", "a cytopenia: every chemotherapy, else osimertinib"),
    ("aseptic-meningitis", ("aseptic_meningitis",), "S23", "aseptic meningitis: every intrathecal agent"),
    ("fatigue", ("fatigue",), "S24", "fatigue: every therapy"),
    ("other", ("other",), "S25", "another adverse event: every therapy"),
)
"""(name, toxicity terms, statement, what the reading links to them) of each kind a toxicity is linked by.

Rash is a class effect of the EGFR TKIs and of amivantamab (the document names osimertinib),
aseptic meningitis comes with intrathecal treatment, myelosuppression with chemotherapy; fatigue
and other adverse events may come from any therapy, radiotherapy included. The links themselves
are read once per record with the therapies' dates (lmtx._facts.links), for the alerts, the
highest tolerable dose and the intrathecal holds alike."""


def _linked(basis: str) -> Derive:
    return derive(
        "linked",
        term=ref("link", "term"),
        grade=ref("link", "grade"),
        toxicity=ref("link", "toxicity"),
        basis=basis,
        agent=ref("link", "agent"),
        route=ref("link", "route"),
        dose=ref("link", "dose"),
        interval=ref("link", "interval"),
        status=ref("link", "status"),
        start=ref("link", "start"),
        end=ref("link", "end"),
        therapy=ref("link", "therapy"),
    )


def _linked_rule(name: str, terms: tuple[str, ...], statement_id: str, what: str) -> Rule:
    return Rule(
        id=f"toxicity-linked-{name}",
        section=SECTION,
        description=(
            f"An adverse event attributed to nothing in the record is linked to the therapies given around it "
            f"that cause {what}."
        ),
        statements=(statement_id,),
        when=(match("link", "link", one_of("term", terms), eq("basis", "reading")),),
        then=(_linked("reading"),),
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
        when=(match("recommendation", "recommendation", one_of("code", OSIMERTINIB_CODES)),),
        then=(derive("osimertinib_in_use"),),
    ),
    Rule(
        id="dose-modification",
        section=SECTION,
        description=(
            "An adverse event of grade 3 or more while osimertinib is given or advised: dose changes may be needed; "
            "keep the highest tolerable dose."
        ),
        statements=("S25",),
        when=(match("severe", "severe_toxicity"), match("osimertinib", "osimertinib_in_use")),
        then=(alert("dose-modification", "warning"),),
    ),
    Rule(
        id="toxicity-attributed",
        section=SECTION,
        description=(
            "An adverse event the treating team attributes to an agent is linked to that agent's therapies given "
            "around it, else to its latest one begun by then, never to one begun later."
        ),
        statements=("S25",),
        when=(match("link", "link", eq("basis", "attributed")),),
        then=(_linked("attributed"),),
    ),
    *(_linked_rule(*row) for row in LINKED_KINDS),
)
