"""Initial treatment (S01-S06, S25, S27; see docs/interpretation.md#initial).

Established LM (confirmed or probable) not yet on osimertinib 160 mg a day
is in phase ``initial``: start, raise or switch to osimertinib 160 mg. CNS
metastases without LM get the standard 80 mg, and an active 160 mg regimen is
never lowered. Inadequate CNS penetration (S27) is raised where osimertinib is
advised while a dose that may not reach the CSF is given or planned:
osimertinib below 160 mg, or another EGFR TKI not above its standard dose (one
given above it is named in the switch instead). Where a dose at or below the one advised was stopped for
toxicity and never given again, lmtx.rules.tolerance advises instead
(docs/interpretation.md#tolerable-dose). Before osimertinib is given again, a
stopped osimertinib in the record is flagged
(docs/interpretation.md#stopped-osimertinib).
"""

from __future__ import annotations

from lmtx.dsl import Match, NoMatch, Rule, alert, derive, eq, ge, gt, le, match, no, one_of, recommend, ref
from lmtx.rules._common import (
    ACTIVE,
    ANY_EGFR_TKI,
    BELOW_HIGH_DOSE,
    ESTABLISHED,
    GIVEN,
    HIGH_DOSE,
    HIGH_DOSE_MG,
    OSIMERTINIB,
    OSIMERTINIB_CODES,
    OTHER_EGFR_TKI,
    STANDARD_DOSE_MG,
)

SECTION = "Initial treatment"

_NO_LIMIT_AT_LM_DOSE = no("tolerance", le("limit", HIGH_DOSE_MG))
"""No dose at or below 160 mg a day stands as stopped for toxicity (docs/interpretation.md#tolerable-dose)."""
_NO_LIMIT_AT_CNS_DOSE = no("tolerance", le("limit", STANDARD_DOSE_MG))
"""No dose at or below 80 mg a day stands as stopped for toxicity."""


def _ON_OTHER_TKI_ONLY(no_limit: NoMatch) -> tuple[NoMatch, NoMatch, Match]:  # noqa: N802 - reads as a condition
    """No osimertinib given, no tolerance limit under the advised dose, and another EGFR TKI given."""
    return (no("therapy", OSIMERTINIB, ACTIVE), no_limit, match("tki", "other_tki_in_use"))


_PLANNED_OR_ACTIVE = one_of("status", ("active", "planned"))
_LM = match("lm", "lm", one_of("status", ESTABLISHED))
_OTHER_TKI_NOT_ABOVE_STANDARD = (*OTHER_EGFR_TKI, _PLANNED_OR_ACTIVE, eq("above_standard", False))

CNS_PENETRATION_RULES: tuple[Rule, ...] = (
    Rule(
        id="cns-penetration-osimertinib-below-160",
        section=SECTION,
        description="Osimertinib is to be raised to 160 mg: the dose given may not reach useful CSF levels.",
        statements=("S27", "S04"),
        when=(match("advised", "recommendation", eq("code", "osimertinib-160"), eq("action", "increase")),),
        then=(alert("cns-penetration", "warning"),),
    ),
    Rule(
        id="cns-penetration-planned-osimertinib",
        section=SECTION,
        description=(
            "Osimertinib 160 mg is to be started while a lower dose, or one not given daily, is planned: that dose "
            "may not reach useful CSF levels."
        ),
        statements=("S27", "S04"),
        when=(
            match("advised", "recommendation", eq("code", "osimertinib-160"), eq("action", "start")),
            match("planned", "therapy", OSIMERTINIB, eq("status", "planned"), BELOW_HIGH_DOSE),
        ),
        then=(alert("cns-penetration", "warning"),),
    ),
    Rule(
        id="cns-penetration-other-tki",
        section=SECTION,
        description=(
            "Osimertinib 160 mg is advised while another EGFR TKI, not above its standard dose, is given or "
            "planned: standard doses may not reach useful CSF levels."
        ),
        statements=("S27",),
        when=(
            match(
                "advised",
                "recommendation",
                eq("code", "osimertinib-160"),
                one_of("action", ("start", "switch", "increase")),
            ),
            match("tki", "therapy", *_OTHER_TKI_NOT_ABOVE_STANDARD),
        ),
        then=(alert("cns-penetration", "warning"),),
    ),
    Rule(
        id="cns-penetration-other-tki-beside-tolerated-dose",
        section=SECTION,
        description=(
            "Established LM, osimertinib at the dose tolerated while another EGFR TKI, not above its standard dose, "
            "is given or planned: standard doses may not reach useful CSF levels."
        ),
        statements=("S27",),
        when=(
            match("advised", "recommendation", eq("code", "osimertinib-tolerated")),
            _LM,
            match("tki", "therapy", *_OTHER_TKI_NOT_ABOVE_STANDARD),
        ),
        then=(alert("cns-penetration", "warning"),),
    ),
)
"""S27 (standard doses may not reach the CSF), for osimertinib below the 160 mg regimen and for every other EGFR
TKI that is not above its standard dose (docs/interpretation.md#initial); one alert names them all."""

RULES: tuple[Rule, ...] = (
    Rule(
        id="other-egfr-tki-in-use",
        section=SECTION,
        description=(
            "An EGFR TKI other than osimertinib is being given (a listed one, or a drug recorded as an EGFR TKI)."
        ),
        statements=("S02", "S27"),
        when=(
            match("tki", "therapy", *OTHER_EGFR_TKI, ACTIVE),
            no("therapy", *OTHER_EGFR_TKI, ACTIVE, gt("seq", ref("tki", "seq"))),
        ),
        then=(derive("other_tki_in_use", agent=ref("tki", "agent"), seq=ref("tki", "seq")),),
    ),
    Rule(
        id="phase-initial",
        section=SECTION,
        description=(
            "Established LM without osimertinib 160 mg daily, no severe adverse event linked to the dose given and "
            "no dose stopped for toxicity at or below 160 mg: initial treatment."
        ),
        statements=("S01", "S04", "S06"),
        when=(
            match("applicable", "applicable"),
            no("therapy", OSIMERTINIB, ACTIVE, HIGH_DOSE),
            no("therapy", OSIMERTINIB, ACTIVE, ge("linked_grade", 3)),
            _NO_LIMIT_AT_LM_DOSE,
            match("lm", "lm", one_of("status", ESTABLISHED)),
        ),
        then=(derive("phase", value="initial"),),
    ),
    Rule(
        id="phase-initial-after-toxicity-stop",
        section=SECTION,
        description=(
            "Established LM, osimertinib stopped for toxicity at or below 160 mg and none given now, beyond a "
            "withhold of 21 days: initial treatment."
        ),
        statements=("S01", "S25"),
        when=(
            match("applicable", "applicable"),
            no("therapy", OSIMERTINIB, ACTIVE),
            match("tolerance", "tolerance", le("limit", HIGH_DOSE_MG), eq("withhold", False)),
            match("lm", "lm", one_of("status", ESTABLISHED)),
        ),
        then=(derive("phase", value="initial"),),
    ),
    Rule(
        id="initial-start-osimertinib-160",
        section=SECTION,
        description="No EGFR TKI is active: start osimertinib 160 mg daily.",
        statements=("S06", "S01", "S04"),
        when=(
            match("phase", "phase", eq("value", "initial")),
            no("therapy", ANY_EGFR_TKI, ACTIVE),
            _NO_LIMIT_AT_LM_DOSE,
        ),
        then=(recommend("osimertinib-160", "start"),),
    ),
    Rule(
        id="initial-increase-osimertinib",
        section=SECTION,
        description="Osimertinib runs below 160 mg: raise it to 160 mg daily; standard doses penetrate the CNS poorly.",
        statements=("S04", "S06"),
        when=(
            match("phase", "phase", eq("value", "initial")),
            match("osimertinib", "therapy", OSIMERTINIB, ACTIVE, BELOW_HIGH_DOSE),
        ),
        then=(recommend("osimertinib-160", "increase"),),
    ),
    Rule(
        id="initial-switch-to-osimertinib",
        section=SECTION,
        description="Another EGFR TKI is active: switch to osimertinib 160 mg daily, the preferred CNS agent.",
        statements=("S02", "S04", "S06"),
        when=(match("phase", "phase", eq("value", "initial")), *_ON_OTHER_TKI_ONLY(_NO_LIMIT_AT_LM_DOSE)),
        then=(recommend("osimertinib-160", "switch"),),
    ),
    Rule(
        id="phase-cns-metastases-without-lm",
        section=SECTION,
        description="Brain metastases with no established or suspected LM.",
        statements=("S02", "S03"),
        when=(
            match("applicable", "applicable"),
            match("lm", "lm", eq("status", "absent")),
        ),
        then=(derive("phase", value="cns-metastases-without-lm"),),
    ),
    Rule(
        id="cns-start-osimertinib-80-tki-naive",
        section=SECTION,
        description=(
            "CNS metastases without LM, never given an EGFR TKI: start osimertinib at the standard 80 mg for "
            "TKI-naive patients."
        ),
        statements=("S02", "S03"),
        when=(
            match("phase", "phase", eq("value", "cns-metastases-without-lm")),
            no("therapy", ANY_EGFR_TKI, GIVEN),
            _NO_LIMIT_AT_CNS_DOSE,
        ),
        then=(recommend("osimertinib-80", "start"),),
    ),
    Rule(
        id="cns-start-osimertinib-80",
        section=SECTION,
        description=(
            "CNS metastases without LM, an EGFR TKI given before but none now: start osimertinib, the preferred CNS "
            "agent, at 80 mg."
        ),
        statements=("S02",),
        when=(
            match("phase", "phase", eq("value", "cns-metastases-without-lm")),
            no("therapy", ANY_EGFR_TKI, ACTIVE),
            _NO_LIMIT_AT_CNS_DOSE,
            match("earlier", "therapy", ANY_EGFR_TKI, one_of("status", ("completed", "stopped"))),
        ),
        then=(recommend("osimertinib-80", "start"),),
    ),
    Rule(
        id="cns-switch-to-osimertinib-80",
        section=SECTION,
        description="CNS metastases without LM on another EGFR TKI: switch to osimertinib 80 mg.",
        statements=("S02",),
        when=(
            match("phase", "phase", eq("value", "cns-metastases-without-lm")),
            *_ON_OTHER_TKI_ONLY(_NO_LIMIT_AT_CNS_DOSE),
        ),
        then=(recommend("osimertinib-80", "switch"),),
    ),
    Rule(
        id="cns-continue-osimertinib-80",
        section=SECTION,
        description="CNS metastases without LM, on osimertinib below 160 mg: continue at 80 mg.",
        statements=("S02",),
        when=(
            match("phase", "phase", eq("value", "cns-metastases-without-lm")),
            _NO_LIMIT_AT_CNS_DOSE,
            match("osimertinib", "therapy", OSIMERTINIB, ACTIVE, BELOW_HIGH_DOSE),
        ),
        then=(recommend("osimertinib-80", "continue"),),
    ),
    Rule(
        id="cns-keep-osimertinib-160",
        section=SECTION,
        description="CNS metastases without LM, already on osimertinib 160 mg: never lower it; continue.",
        statements=("S02", "S25"),
        when=(
            match("phase", "phase", eq("value", "cns-metastases-without-lm")),
            match("osimertinib", "therapy", OSIMERTINIB, ACTIVE, HIGH_DOSE),
        ),
        then=(recommend("osimertinib-160", "continue"),),
    ),
    Rule(
        id="prior-osimertinib-stopped",
        section=SECTION,
        description=(
            "Osimertinib is to be started, switched to, raised or given again, and an earlier osimertinib was "
            "stopped (not for a change of dose, and not a dose stopped for toxicity that was never given again)."
        ),
        statements=("S25",),
        when=(
            match("stopped", "therapy", OSIMERTINIB, eq("stop_kind", "real")),
            no("therapy", OSIMERTINIB, eq("stop_kind", "real"), gt("seq", ref("stopped", "seq"))),
            match(
                "advised",
                "recommendation",
                one_of("code", OSIMERTINIB_CODES),
                one_of("action", ("increase", "start", "switch", "resume", "review")),
            ),
        ),
        then=(
            alert(
                "prior-osimertinib-stopped",
                "warning",
                advised=ref("advised", "action"),
                stop=ref("stopped", "end"),
                dose=ref("stopped", "dose_mg"),
                start=ref("stopped", "start"),
                interval=ref("stopped", "interval"),
                reason=ref("stopped", "reason"),
                therapy=ref("stopped", "seq"),
            ),
        ),
    ),
    *CNS_PENETRATION_RULES,
)
