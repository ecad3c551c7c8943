"""Initial treatment (S01-S06, S25, S27; see docs/interpretation.md#initial).

Established LM (confirmed or probable) not yet on osimertinib 160 mg a day
is in phase ``initial``: start, raise or switch to osimertinib 160 mg. CNS
metastases without LM get the standard 80 mg, and an active 160 mg regimen is
never lowered. Before osimertinib is (re)started, a stopped osimertinib in
the record is flagged (docs/interpretation.md#stopped-osimertinib).
"""

from __future__ import annotations

from lmtx.dsl import Rule, alert, derive, eq, gt, match, no, one_of, recommend, ref
from lmtx.rules._common import (
    ACTIVE,
    ANY_EGFR_TKI,
    BELOW_HIGH_DOSE,
    ESTABLISHED,
    HIGH_DOSE,
    OSIMERTINIB,
    OTHER_EGFR_TKI,
)

SECTION = "Initial treatment"

_ON_OTHER_TKI_ONLY = (no("therapy", OSIMERTINIB, ACTIVE), match("tki", "other_tki_in_use"))

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
        description="Established LM without osimertinib 160 mg daily: initial treatment.",
        statements=("S01", "S04", "S06"),
        when=(
            match("applicable", "applicable"),
            no("therapy", OSIMERTINIB, ACTIVE, HIGH_DOSE),
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
        ),
        then=(recommend("osimertinib-160", "start"),),
    ),
    Rule(
        id="initial-increase-osimertinib",
        section=SECTION,
        description="Osimertinib runs below 160 mg: raise it to 160 mg daily; standard doses penetrate the CNS poorly.",
        statements=("S04", "S06", "S27"),
        when=(
            match("phase", "phase", eq("value", "initial")),
            match("osimertinib", "therapy", OSIMERTINIB, ACTIVE, BELOW_HIGH_DOSE),
        ),
        then=(recommend("osimertinib-160", "increase"), alert("cns-penetration", "warning")),
    ),
    Rule(
        id="initial-switch-to-osimertinib",
        section=SECTION,
        description="Another EGFR TKI is active: switch to osimertinib 160 mg daily, the preferred CNS agent.",
        statements=("S02", "S04", "S06", "S27"),
        when=(match("phase", "phase", eq("value", "initial")), *_ON_OTHER_TKI_ONLY),
        then=(recommend("osimertinib-160", "switch"), alert("cns-penetration", "warning")),
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
        id="cns-start-osimertinib-80",
        section=SECTION,
        description="CNS metastases without LM and no EGFR TKI active: start osimertinib at the standard 80 mg.",
        statements=("S02", "S03"),
        when=(
            match("phase", "phase", eq("value", "cns-metastases-without-lm")),
            no("therapy", ANY_EGFR_TKI, ACTIVE),
        ),
        then=(recommend("osimertinib-80", "start"),),
    ),
    Rule(
        id="cns-switch-to-osimertinib-80",
        section=SECTION,
        description="CNS metastases without LM on another EGFR TKI: switch to osimertinib 80 mg.",
        statements=("S02", "S03"),
        when=(match("phase", "phase", eq("value", "cns-metastases-without-lm")), *_ON_OTHER_TKI_ONLY),
        then=(recommend("osimertinib-80", "switch"),),
    ),
    Rule(
        id="cns-continue-osimertinib-80",
        section=SECTION,
        description="CNS metastases without LM, on osimertinib below 160 mg: continue at 80 mg.",
        statements=("S02", "S03"),
        when=(
            match("phase", "phase", eq("value", "cns-metastases-without-lm")),
            match("osimertinib", "therapy", OSIMERTINIB, ACTIVE, BELOW_HIGH_DOSE),
        ),
        then=(recommend("osimertinib-80", "continue"),),
    ),
    Rule(
        id="cns-keep-osimertinib-160",
        section=SECTION,
        description="CNS metastases without LM, already on osimertinib 160 mg: never lower it; continue.",
        statements=("S02", "S03", "S25"),
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
            "Osimertinib is to be started, switched to or raised, and an earlier osimertinib was stopped "
            "(not for a change of dose)."
        ),
        statements=("S25",),
        when=(
            match("stopped", "therapy", OSIMERTINIB, eq("status", "stopped"), eq("dose_change", False)),
            no(
                "therapy",
                OSIMERTINIB,
                eq("status", "stopped"),
                eq("dose_change", False),
                gt("seq", ref("stopped", "seq")),
            ),
            match(
                "advised",
                "recommendation",
                one_of("code", ("osimertinib-160", "osimertinib-80")),
                one_of("action", ("increase", "start", "switch")),
            ),
        ),
        then=(
            alert(
                "prior-osimertinib-stopped",
                "warning",
                stop=ref("stopped", "end"),
                dose=ref("stopped", "dose_mg"),
                start=ref("stopped", "start"),
                interval=ref("stopped", "interval"),
                reason=ref("stopped", "reason"),
                therapy=ref("stopped", "seq"),
            ),
        ),
    ),
)
