"""Toxicity management (S21-S25; see docs/interpretation.md#toxicity).

Each reported adverse-event kind gives one alert, whether or not the
algorithm applies, with its severity from the highest grade reported (1-2
info, 3 warning, 4-5 critical); the alert names every reported term of its
kind (the ``reported`` facts). A toxicity of grade 3 or more while
osimertinib is active or recommended adds ``dose-modification``, naming the
active agents the document links to that toxicity (the ``linked`` facts);
the rules never lower the recommended osimertinib dose.
"""

from __future__ import annotations

from lmtx.dsl import Rule, SeverityFromGrade, Test, alert, derive, eq, ge, gt, match, no, one_of, ref
from lmtx.rules._common import ACTIVE, INTRATHECAL_PEMETREXED, OSIMERTINIB, PLATINUM

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
        description=f"Reported {' / '.join(terms)}: alert once, at the highest grade reported.",
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


LINKED_AGENTS: tuple[tuple[str, tuple[str, ...], tuple[Test, ...], str], ...] = (
    ("rash", ("rash",), (OSIMERTINIB,), "S21"),
    ("aseptic-meningitis", ("aseptic_meningitis",), INTRATHECAL_PEMETREXED, "S23"),
    (
        "systemic",
        ("anemia", "fatigue", "leukopenia", "neutropenia", "other", "thrombocytopenia"),
        (one_of("agent", ("osimertinib", "pemetrexed", *PLATINUM)),),
        "S22",
    ),
)
"""(name, toxicity terms, the active agents the document links to them, statement)."""


def _linked_rule(name: str, terms: tuple[str, ...], agent: tuple[Test, ...], statement_id: str) -> Rule:
    return Rule(
        id=f"dose-modification-linked-{name}",
        section=SECTION,
        description=f"A grade 3+ {' / '.join(terms)} and an active agent the document links to it.",
        statements=("S25", statement_id),
        when=(
            match("modification", "alert", eq("code", "dose-modification")),
            match("toxicity", "toxicity", one_of("term", terms), ge("grade", 3)),
            match("therapy", "therapy", *agent, ACTIVE),
        ),
        then=(
            derive(
                "linked",
                term=ref("toxicity", "term"),
                grade=ref("toxicity", "grade"),
                agent=ref("therapy", "agent"),
                route=ref("therapy", "route"),
                dose=ref("therapy", "dose_mg"),
            ),
        ),
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
    *(_linked_rule(*row) for row in LINKED_AGENTS),
)
