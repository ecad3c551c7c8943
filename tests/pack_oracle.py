"""An independent, plain-Python reading of the safety pack's triggers: the test oracle of its nine cautions.

``expected_cautions(patient, result, poor_ps_ecog)`` takes a *valid* patient
in the wire format, the result lmtx gave for it (as its wire dict) and the
policy's threshold, and returns the cautions the pack must add, code ->
severity, in the pack's order (docs/safety-pack.md). It imports nothing
from lmtx and reads, of the result, only the document's part: the items
whose ``origin`` is ``document``, ``applicable``, ``lm_status`` and
``as_of``. Everything else it reads from the record, with dates as dates:

1. ``it-premedication`` (info): ``it-pemetrexed`` advised with ``add`` or ``continue``.
2. ``it-blood-counts``: ``it-pemetrexed`` ``add``, ``continue`` or ``hold``; a warning when a
   grade >= 3 anemia, leukopenia, neutropenia or thrombocytopenia is dated within the 42 days
   before ``as_of`` (42 days before it counts) or is undated, info otherwise.
3. ``it-csf-flow``: ``it-pemetrexed`` ``add``/``continue`` or ``prefer-intrathecal`` advised;
   info when ``csf_flow`` is unknown (or absent), a warning when interrupted, nothing when normal.
4. ``it-dose-trials`` (info): ``it-pemetrexed`` ``add``.
5. ``iv-it-pemetrexed`` (warning), applicable or not: intravenous pemetrexed active or
   ``platinum-pemetrexed`` advised, and intrathecal pemetrexed active or ``it-pemetrexed``
   ``add``/``continue`` advised.
6. ``osimertinib-label-warnings`` (info): ``osimertinib-160``/``osimertinib-80`` with ``start``,
   ``switch`` or ``increase``, or ``osimertinib-tolerated`` ``resume``.
7. ``exon20-insertion`` (warning): applicable, the variants hold ``exon20_insertion`` and neither
   ``exon19_deletion`` nor ``L858R``.
8. ``egfr-testing`` (info): an NSCLC histology, EGFR status unknown, and LM confirmed, probable or
   suspected, or brain metastases.
9. ``palliative-care`` (info): applicable, and ``guideline-exhausted`` among the alerts, or LM
   confirmed or probable with the latest performance status poor by the threshold (KPS read as
   ECOG; a dated one more than 90 days before ``as_of`` counts as missing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

ORDER = (
    "it-premedication",
    "it-blood-counts",
    "it-csf-flow",
    "it-dose-trials",
    "iv-it-pemetrexed",
    "osimertinib-label-warnings",
    "exon20-insertion",
    "egfr-testing",
    "palliative-care",
)
CYTOPENIAS = {"anemia", "leukopenia", "neutropenia", "thrombocytopenia"}
NSCLC = {"adenocarcinoma", "squamous", "large_cell", "nsclc_nos"}
ESTABLISHED = {"confirmed", "probable"}
KPS_TO_ECOG = {100: 0, 90: 0, 80: 1, 70: 1, 60: 2, 50: 2, 40: 3, 30: 3, 20: 4, 10: 4}


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _recent_cytopenia(patient: dict[str, Any], as_of: dt.date | None) -> bool:
    for toxicity in patient.get("toxicities", []):
        if toxicity["term"] not in CYTOPENIAS or toxicity["grade"] < 3:
            continue
        date = _date(toxicity.get("date"))
        if date is None or as_of is None or (as_of - date).days <= 42:
            return True
    return False


def _active_pemetrexed(patient: dict[str, Any], route: str) -> bool:
    return any(
        t["agent"] == "pemetrexed" and t.get("route") == route and t["status"] == "active"
        for t in patient.get("therapies", [])
    )


def _latest_ps(patient: dict[str, Any]) -> dict[str, Any] | None:
    ps = patient.get("performance_status")
    if ps is None or ps == []:
        return None
    if isinstance(ps, dict):
        return ps
    if len(ps) == 1:
        return dict(ps[0])
    return dict(max(ps, key=lambda item: item["date"]))


def _poor_ps(patient: dict[str, Any], as_of: dt.date | None, threshold: int) -> bool:
    ps = _latest_ps(patient)
    if ps is None:
        return False
    date = _date(ps.get("date"))
    if date is not None and as_of is not None and (as_of - date).days > 90:
        return False  # stale: counts as missing
    ecog = ps["score"] if ps["scale"] == "ecog" else KPS_TO_ECOG[ps["score"]]
    return bool(ecog >= threshold)


def expected_cautions(patient: dict[str, Any], result: dict[str, Any], poor_ps_ecog: int = 3) -> dict[str, str]:
    """The safety pack's cautions for one evaluation: code -> severity, in the pack's order."""
    as_of = _date(result["as_of"])
    advice = {r["code"]: r["action"] for r in result["recommendations"] if r.get("origin", "document") == "document"}
    alerts = {a["code"] for a in result["alerts"] if a.get("origin", "document") == "document"}
    it_action = advice.get("it-pemetrexed")
    it_advised = it_action in ("add", "continue")
    found: dict[str, str] = {}
    if it_advised:
        found["it-premedication"] = "info"
    if it_action in ("add", "continue", "hold"):
        found["it-blood-counts"] = "warning" if _recent_cytopenia(patient, as_of) else "info"
    flow = patient.get("csf_flow", "unknown")
    if (it_advised or "prefer-intrathecal" in advice) and flow != "normal":
        found["it-csf-flow"] = "info" if flow == "unknown" else "warning"
    if it_action == "add":
        found["it-dose-trials"] = "info"
    intravenous = _active_pemetrexed(patient, "intravenous") or "platinum-pemetrexed" in advice
    intrathecal = _active_pemetrexed(patient, "intrathecal") or it_advised
    if intravenous and intrathecal:
        found["iv-it-pemetrexed"] = "warning"
    osimertinib = any(
        advice.get(code) in ("start", "switch", "increase") for code in ("osimertinib-160", "osimertinib-80")
    )
    if osimertinib or advice.get("osimertinib-tolerated") == "resume":
        found["osimertinib-label-warnings"] = "info"
    variants = set(patient.get("egfr", {}).get("variants", []))
    if result["applicable"] and "exon20_insertion" in variants and not variants & {"exon19_deletion", "L858R"}:
        found["exon20-insertion"] = "warning"
    egfr = patient.get("egfr", {}).get("status", "unknown")
    involved = result["lm_status"] in ("confirmed", "probable", "suspected") or patient.get("brain_metastases", False)
    if patient["histology"] in NSCLC and egfr == "unknown" and involved:
        found["egfr-testing"] = "info"
    established = result["lm_status"] in ESTABLISHED
    poor = established and _poor_ps(patient, as_of, poor_ps_ecog)
    if result["applicable"] and ("guideline-exhausted" in alerts or poor):
        found["palliative-care"] = "info"
    return {code: found[code] for code in ORDER if code in found}
