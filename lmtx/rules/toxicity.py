"""Toxicity management (S21-S25; SPEC §4.10).

Each reported adverse-event kind gives one alert, whether or not the
algorithm applies, with its severity from the highest grade reported (1-2
info, 3 warning, 4-5 critical). A toxicity of grade 3 or more while
osimertinib is active or recommended adds ``dose-modification``; the rules
never lower the recommended osimertinib dose.
"""

from __future__ import annotations

from lmtx.dsl import Rule, SeverityFromGrade, alert, derive, eq, ge, gt, match, no, one_of, ref
from lmtx.rules._common import ACTIVE, OSIMERTINIB

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


RULES: tuple[Rule, ...] = (
    *(_toxicity_alert(*row) for row in TOXICITY_ALERTS),
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
)
