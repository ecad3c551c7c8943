"""The osimertinib run and the therapies given on it: the facts the later stages are judged from.

The rules of :mod:`lmtx.rules.response` (and the regimens of :mod:`lmtx.rules.tolerance`) build on
one ``osimertinib_regimen`` fact, derived by :func:`regimen_fact`: the active 160 mg regimen, a
regimen below a dose stopped for toxicity, or one withheld after such a stop. A therapy is *given
on the osimertinib run* when it was active, completed or stopped and did not end before the run
date (docs/interpretation.md#tolerable-dose); :func:`history_rules` derives, for intrathecal
pemetrexed and for platinum, each such course, the earliest (its stage is judged from it) and the
latest.
"""

from __future__ import annotations

from lmtx.dsl import Derive, NoMatch, Ref, Rule, Test, derive, ge, gt, lt, match, no, ref
from lmtx.rules._common import ANY_PLATINUM, GIVEN, INTRATHECAL_PEMETREXED, NO_END

__all__ = ["STAGE_THERAPIES", "history_rules", "no_platinum_since", "none_given_on_regimen", "regimen_fact"]


def regimen_fact(kind: str, start: str, binding: str = "osimertinib") -> Derive:
    """The osimertinib regimen the later stages build on, from the therapy bound to ``binding``.

    ``kind`` is ``160`` (the 160 mg regimen), ``primary`` (a regimen below the tolerance limit, or
    one with a current toxicity) or ``held`` (withheld after a toxicity stop); ``start`` names the
    therapy field its chain starts on (docs/interpretation.md#tolerable-dose).
    """
    return derive(
        "osimertinib_regimen",
        kind=kind,
        start=ref(binding, start),
        run_date=ref(binding, "run_date"),
        therapy=ref(binding, "seq"),
        dose=ref(binding, "dose_mg"),
        interval=ref(binding, "interval"),
        end=ref(binding, "end"),
    )


def none_given_on_regimen(tests: tuple[Test, ...], since: Ref, *more: Test) -> tuple[NoMatch, NoMatch]:
    """No therapy passing ``tests`` was given on the osimertinib run read from day ``since`` (its run date).

    Given on it: active, completed or stopped, and with no end or an end on or after that day
    (a start after the evaluation date is invalid for such a therapy). Two negations, one per case.
    """
    return (no("therapy", *tests, GIVEN, NO_END, *more), no("therapy", *tests, GIVEN, ge("end", since), *more))


def no_platinum_since(since: Ref) -> NoMatch:
    """No platinum begun on or after the run date (day ``since``) was given.

    Platinum begun before it, first-line chemotherapy given with an EGFR TKI, is earlier
    chemotherapy: it never makes the document's platinum step (docs/interpretation.md#beyond-document).
    """
    return no("therapy", ANY_PLATINUM, GIVEN, ge("start", since))


STAGE_THERAPIES: tuple[tuple[str, tuple[Test, ...], str, tuple[str, ...], bool], ...] = (
    ("intrathecal", INTRATHECAL_PEMETREXED, "intrathecal pemetrexed", ("S07", "S08"), True),
    ("platinum", (ANY_PLATINUM,), "platinum chemotherapy", ("S09",), False),
)
"""(stage, therapy tests, plain name, statements, whether one begun before the run date counts) of the
therapies that define a later stage."""

_ON_RUN = "given on the osimertinib run"


def history_rules(
    stage: str, tests: tuple[Test, ...], name: str, statements: tuple[str, ...], earlier_counts: bool, *, section: str
) -> tuple[Rule, ...]:
    """The rules deriving each course of one stage's therapy given on the run, its earliest and its latest.

    One row of :data:`STAGE_THERAPIES` gives the arguments; ``section`` is the rule catalogue's
    section of the rules (the response rules').
    """
    given = f"{stage}_given"

    def given_rule(suffix: str, started: tuple[Test, ...], judged_from: str, description: str) -> Rule:
        return Rule(
            id=f"{stage}-given-on-run-{suffix}",
            section=section,
            description=description,
            statements=statements,
            when=(
                match("regimen", "osimertinib_regimen"),
                match("therapy", "therapy", *tests, GIVEN, *started),
            ),
            then=(
                derive(
                    given,
                    agent=ref("therapy", "agent"),
                    route=ref("therapy", "route"),
                    status=ref("therapy", "status"),
                    start=ref("therapy", "start"),
                    end=ref("therapy", "end"),
                    seq=ref("therapy", "seq"),
                    course=ref("therapy", "course"),
                    reason=ref("therapy", "reason"),
                    regimen_start=ref("regimen", "start"),
                    run_date=ref("regimen", "run_date"),
                    judged_from=ref(judged_from, "start"),
                ),
            ),
        )

    since = ref("given", "run_date")
    later = ge("start", ref("regimen", "start"))
    earlier = lt("start", ref("regimen", "start"))
    negations: tuple[NoMatch, ...]
    latest_negations: tuple[NoMatch, ...]
    rules: tuple[Rule, ...]
    if earlier_counts:
        negations = none_given_on_regimen(tests, since, lt("seq", ref("given", "seq")))
        latest_negations = none_given_on_regimen(tests, since, gt("start", ref("given", "start")))
        rules = (
            given_rule(
                "started-later-no-end",
                (later, NO_END),
                "therapy",
                f"{name.capitalize()} {_ON_RUN}, begun on or after the regimen's start, still running: a later "
                "stage, judged from its own start.",
            ),
            given_rule(
                "started-later-ended-on-run",
                (later, ge("end", ref("regimen", "run_date"))),
                "therapy",
                f"{name.capitalize()} {_ON_RUN}, begun on or after the regimen's start: a later stage, judged from "
                "its own start.",
            ),
            given_rule(
                "started-before-no-end",
                (earlier, NO_END),
                "regimen",
                f"{name.capitalize()} begun before the regimen, with no end: {_ON_RUN}, judged from the regimen's "
                "start.",
            ),
            given_rule(
                "started-before-ended-on-run",
                (earlier, ge("end", ref("regimen", "run_date"))),
                "regimen",
                f"{name.capitalize()} begun before the regimen, ended on or after the run began: {_ON_RUN}, judged "
                "from the regimen's start.",
            ),
        )
    else:
        negations = (no("therapy", *tests, GIVEN, ge("start", since), lt("seq", ref("given", "seq"))),)
        latest_negations = (no("therapy", *tests, GIVEN, ge("start", since), gt("start", ref("given", "start"))),)
        rules = (
            given_rule(
                "started-later",
                (later, ge("start", ref("regimen", "run_date"))),
                "therapy",
                f"{name.capitalize()} begun on the osimertinib run, on or after the regimen's start: a later stage, "
                "judged from its own start.",
            ),
            given_rule(
                "started-before",
                (earlier, ge("start", ref("regimen", "run_date"))),
                "regimen",
                f"{name.capitalize()} begun on the osimertinib run before the current regimen: a later stage, judged "
                "from the regimen's start.",
            ),
        )
    return (
        *rules,
        Rule(
            id=f"{stage}-first-given-on-run",
            section=section,
            description=f"The earliest {name} {_ON_RUN}: its stage is judged from it.",
            statements=statements,
            when=(match("given", given), *negations),
            then=(derive(f"{stage}_first", start=ref("given", "start"), judged_from=ref("given", "judged_from")),),
        ),
        Rule(
            id=f"{stage}-latest-given-on-run",
            section=section,
            description=f"The latest {name} {_ON_RUN} (by start; each one begun that day).",
            statements=statements,
            when=(match("given", given), *latest_negations),
            then=(
                derive(
                    f"{stage}_latest",
                    agent=ref("given", "agent"),
                    route=ref("given", "route"),
                    status=ref("given", "status"),
                    start=ref("given", "start"),
                    end=ref("given", "end"),
                    course=ref("given", "course"),
                    reason=ref("given", "reason"),
                ),
            ),
        ),
    )
