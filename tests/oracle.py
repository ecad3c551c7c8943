"""An independent, plain-Python reading of SPEC §4: the test oracle for lmtx.

``decide(patient, as_of)`` takes a *valid* patient in the wire format (SPEC §2)
and returns what SPEC §3-§4 say lmtx must conclude. It imports nothing from
lmtx (not the rules, not the model): it is written from the SPEC, plus lmtx's
documented readings where the SPEC is silent:

- phase ``beyond-document`` needs osimertinib >= 160 mg active *and* active
  platinum; without osimertinib 160 the phase is ``initial`` whatever else runs;
- the combination is judged from the later of the two starts;
- ``increase`` wins over ``switch`` when osimertinib < 160 mg and another EGFR
  TKI are both active;
- the adverse effects to watch depend on the phase: osimertinib (rash,
  fatigue) in ``initial`` and ``osimertinib-monotherapy``; all four with
  intrathecal pemetrexed in ``inadequate-response``, ``combination`` and
  ``progression-on-combination``; with platinum (``beyond-document``) rash,
  myelosuppression and fatigue, plus aseptic meningitis while intrathecal
  pemetrexed runs;
- planned therapy starts are plans: they may lie after ``as_of`` and do not
  move the default evaluation date.

The function is deliberately naive (lists and loops, no cleverness) so that
it can also serve as the "computation floor" of the benchmarks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ADVERSE_EFFECT_STATEMENTS", "decide"]

NSCLC = ("adenocarcinoma", "squamous", "large_cell", "nsclc_nos")
EGFR_TKIS = ("osimertinib", "gefitinib", "erlotinib", "afatinib", "dacomitinib")
PLATINUM = ("carboplatin", "cisplatin")
SYMPTOMATIC = ("new", "persistent", "worsened")
MONITORING = ("monitor-neuro-exam", "monitor-mri", "monitor-csf-cytology", "assess-rano-lm")
TOXICITY_ALERTS = {
    "rash": "toxicity-skin-rash",
    "leukopenia": "toxicity-myelosuppression",
    "neutropenia": "toxicity-myelosuppression",
    "thrombocytopenia": "toxicity-myelosuppression",
    "anemia": "toxicity-myelosuppression",
    "aseptic_meningitis": "toxicity-aseptic-meningitis",
    "fatigue": "toxicity-fatigue",
}
ADVERSE_EFFECT_STATEMENTS = {"rash": "S21", "myelosuppression": "S22", "aseptic-meningitis": "S23", "fatigue": "S24"}
"""SPEC §3: the statement behind each adverse effect to monitor."""


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _ecog(performance_status: Mapping[str, Any]) -> int:
    """SPEC §4.6: KPS 100-90 -> 0, 80-70 -> 1, 60-50 -> 2, 40-30 -> 3, 20-10 -> 4."""
    score = int(performance_status["score"])
    if performance_status["scale"] == "ecog":
        return score
    return {100: 0, 90: 0, 80: 1, 70: 1, 60: 2, 50: 2, 40: 3, 30: 3, 20: 4, 10: 4}[score]


def _severity(grade: int) -> str:
    return "info" if grade <= 2 else "warning" if grade == 3 else "critical"


def _latest_since(records: Iterable[Mapping[str, Any]], start: dt.date) -> Mapping[str, Any] | None:
    """The latest record dated on or after ``start`` (SPEC §4.4: an assessment counts from its regimen's start)."""
    counted = [r for r in records if _date(r["date"]) >= start]
    return max(counted, key=lambda r: _date(r["date"])) if counted else None


def _default_as_of(patient: Mapping[str, Any]) -> dt.date | None:
    dates = []
    ps = patient.get("performance_status")
    if ps and ps.get("date"):
        dates.append(_date(ps["date"]))
    for key in ("neuro_exams", "csf_cytology", "mri"):
        dates += [_date(r["date"]) for r in patient.get(key, [])]
    for therapy in patient.get("therapies", []):
        if therapy.get("start") and therapy["status"] != "planned":
            dates.append(_date(therapy["start"]))
        if therapy.get("end"):
            dates.append(_date(therapy["end"]))
    dates += [_date(t["date"]) for t in patient.get("toxicities", []) if t.get("date")]
    return max(dates) if dates else None


def _lm_status(patient: Mapping[str, Any]) -> tuple[str, str | None]:
    """SPEC §3 and §4.2: the LM status, and for suspected LM what the workup still lacks."""
    cytology = patient.get("csf_cytology", [])
    mri = patient.get("mri", [])
    if any(c["result"] == "positive" for c in cytology):
        return "confirmed", None
    if any(m["leptomeningeal_enhancement"] for m in mri):
        return "probable", None
    exams = sorted(patient.get("neuro_exams", []), key=lambda e: _date(e["date"]))
    if not exams or exams[-1]["symptoms"] not in SYMPTOMATIC:
        return "absent", None
    # The onset: the first exam of the latest unbroken run of symptomatic exams.
    onset = _date(exams[-1]["date"])
    for exam in reversed(exams):
        if exam["symptoms"] not in SYMPTOMATIC:
            break
        onset = _date(exam["date"])
    has_mri = any(_date(m["date"]) >= onset for m in mri)
    has_cytology = any(_date(c["date"]) >= onset for c in cytology)
    if has_mri and has_cytology:
        return "absent", None
    missing = "mri-and-csf-cytology" if not (has_mri or has_cytology) else "mri" if not has_mri else "csf-cytology"
    return "suspected", missing


def decide(patient: Mapping[str, Any], as_of: dt.date | str | None = None, poor_ps_ecog: int = 3) -> dict[str, Any]:  # noqa: PLR0912 - one reading of the SPEC, section by section
    """What SPEC §4 says lmtx concludes for a valid wire-format patient.

    Args:
        patient: A valid patient in the wire format (dates as ISO strings or dates).
        as_of: The evaluation date; default the latest observed date.
        poor_ps_ecog: ECOG from which performance status counts as poor.

    Returns:
        ``as_of`` (ISO or ``None``), ``lm_status``, ``applicable``,
        ``not_applicable_reasons`` (SPEC order), ``phase``, ``judged_from``
        (ISO start of the regimen whose response is judged, or ``None``), ``treatment``
        (code -> action), ``workup`` (code -> what is missing), ``monitoring``
        (code -> action), ``adverse_effects`` (sorted effects to watch),
        ``alerts`` (code -> severity), ``prognosis`` (sorted codes).
    """
    evaluation_date = _date(as_of) if as_of is not None else _default_as_of(patient)
    therapies = patient.get("therapies", [])
    active = [t for t in therapies if t["status"] == "active"]
    active_osimertinib = [t for t in active if t["agent"] == "osimertinib"]
    osimertinib_160 = [t for t in active_osimertinib if t["dose_mg"] >= 160]
    osimertinib_below_160 = [t for t in active_osimertinib if t["dose_mg"] < 160]
    other_tki = [t for t in active if t["agent"] in EGFR_TKIS and t["agent"] != "osimertinib"]
    intrathecal_pemetrexed = [t for t in active if t["agent"] == "pemetrexed" and t.get("route") == "intrathecal"]
    platinum = [t for t in active if t["agent"] in PLATINUM]
    exams = patient.get("neuro_exams", [])
    cytology = patient.get("csf_cytology", [])
    mri = patient.get("mri", [])
    egfr = patient.get("egfr", {}).get("status", "unknown")
    ps = patient.get("performance_status")
    nsclc = patient["histology"] in NSCLC

    # §4.2, §3: LM status; §4.1: scope.
    lm_status, missing = _lm_status(patient)
    established = lm_status in ("confirmed", "probable")
    reasons = []
    if not nsclc:
        reasons.append("not-nsclc")
    if egfr == "wild_type":
        reasons.append("egfr-wild-type")
    if egfr == "unknown":
        reasons.append("egfr-status-unknown")
    if lm_status == "absent" and not patient.get("brain_metastases", False):
        reasons.append("no-cns-involvement")
    applicable = not reasons

    treatment: dict[str, str] = {}
    alerts: dict[str, str] = {}
    phase = None
    judged_from = None  # the start of the regimen being judged (SPEC §4.4, §4.5)
    if applicable and lm_status == "suspected":
        phase = "diagnostic-workup"
    elif applicable and lm_status == "absent":
        # §4.7: brain metastases without LM.
        phase = "cns-metastases-without-lm"
        if osimertinib_160:
            treatment["osimertinib-160"] = "continue"
        elif osimertinib_below_160:
            treatment["osimertinib-80"] = "continue"
        elif other_tki:
            treatment["osimertinib-80"] = "switch"
        else:
            treatment["osimertinib-80"] = "start"
    elif applicable and not osimertinib_160:
        # §4.3: established LM, not on osimertinib 160 mg.
        phase = "initial"
        if osimertinib_below_160:
            treatment["osimertinib-160"] = "increase"
            alerts["cns-penetration"] = "warning"
        elif other_tki:
            treatment["osimertinib-160"] = "switch"
            alerts["cns-penetration"] = "warning"
        else:
            treatment["osimertinib-160"] = "start"
    elif applicable:
        osimertinib_start = _date(osimertinib_160[0]["start"])
        treatment["osimertinib-160"] = "continue"  # §4.5: from monotherapy on, always continue.
        if platinum:
            # §4.5: the document's last step, judged from the platinum start.
            phase = "beyond-document"
            judged_from = max(_date(t["start"]) for t in platinum)
            if _progression(exams, mri, judged_from):
                alerts["guideline-exhausted"] = "warning"
        elif intrathecal_pemetrexed:
            # §4.5: the combination, judged from the later of the two starts.
            judged_from = max(osimertinib_start, _date(intrathecal_pemetrexed[0]["start"]))
            if _progression(exams, mri, judged_from):
                phase = "progression-on-combination"
                treatment["platinum-pemetrexed"] = "consider"
                if ps is not None and _ecog(ps) >= poor_ps_ecog:
                    treatment["prefer-intrathecal"] = "consider"
            else:
                phase = "combination"
                treatment["it-pemetrexed"] = "continue"
        else:
            # §4.4: osimertinib 160 mg alone.
            judged_from = osimertinib_start
            exam = _latest_since(exams, judged_from)
            sample = _latest_since(cytology, judged_from)
            scan = _latest_since(mri, judged_from)
            inadequate = (
                (exam is not None and exam["symptoms"] in SYMPTOMATIC)
                or (sample is not None and sample["result"] == "positive")
                or (scan is not None and scan.get("response") == "progression")
            )
            if inadequate:
                phase = "inadequate-response"
                treatment["it-pemetrexed"] = "add"
            else:
                phase = "osimertinib-monotherapy"

    # §4.1, §4.2, §4.11: S26 for any NSCLC with suspected LM.
    workup: dict[str, str] = {}
    if nsclc and lm_status == "suspected":
        workup["lm-workup"] = missing or ""
        alerts["delayed-diagnosis"] = "warning" if egfr == "mutant" else "info"

    # §4.8: established LM in an applicable patient.
    monitoring: dict[str, str] = {}
    adverse_effects: list[str] = []
    prognosis: list[str] = []
    if applicable and established:
        monitoring = dict.fromkeys((*MONITORING, "monitor-adverse-effects"), "perform")
        adverse_effects = _adverse_effects(phase, bool(intrathecal_pemetrexed))
        prognosis.append("median-survival")
        if ps is not None:
            prognosis.append("performance-status-prognostic")
        else:
            alerts["performance-status-missing"] = "warning"
        if patient.get("csf_flow") == "interrupted":
            prognosis.append("csf-flow-interrupted")
        if patient.get("systemic_disease", "unknown") in ("progressive", "unknown"):
            alerts["systemic-disease"] = "warning"

    # §4.9: radiotherapy without osimertinib.
    radiotherapy = [t for t in therapies if t["agent"] == "radiotherapy" and t["status"] in ("planned", "active")]
    if applicable and radiotherapy and not active_osimertinib:
        alerts["radiotherapy-overreliance"] = "warning"

    # §4.10: toxicity, applicable or not.
    highest: dict[str, int] = {}
    for toxicity in patient.get("toxicities", []):
        code = TOXICITY_ALERTS.get(toxicity["term"])
        if code is not None:
            highest[code] = max(highest.get(code, 0), int(toxicity["grade"]))
    alerts.update({code: _severity(grade) for code, grade in highest.items()})
    severe = any(int(t["grade"]) >= 3 for t in patient.get("toxicities", []))
    osimertinib_in_use = bool(active_osimertinib) or any(c.startswith("osimertinib-") for c in treatment)
    if severe and osimertinib_in_use:
        alerts["dose-modification"] = "warning"

    return {
        "as_of": evaluation_date.isoformat() if evaluation_date else None,
        "lm_status": lm_status,
        "applicable": applicable,
        "not_applicable_reasons": reasons,
        "phase": phase,
        "judged_from": judged_from.isoformat() if judged_from else None,
        "treatment": treatment,
        "workup": workup,
        "monitoring": monitoring,
        "adverse_effects": sorted(adverse_effects),
        "alerts": alerts,
        "prognosis": sorted(prognosis),
    }


def _progression(exams: list[Mapping[str, Any]], mri: list[Mapping[str, Any]], start: dt.date) -> bool:
    """SPEC §4.5: the latest MRI since ``start`` shows progression or the latest exam since worsening."""
    exam = _latest_since(exams, start)
    scan = _latest_since(mri, start)
    return (exam is not None and exam["symptoms"] == "worsened") or (
        scan is not None and scan.get("response") == "progression"
    )


def _adverse_effects(phase: str | None, intrathecal_pemetrexed_active: bool) -> list[str]:
    if phase in ("initial", "osimertinib-monotherapy"):
        return ["rash", "fatigue"]
    if phase == "beyond-document" and not intrathecal_pemetrexed_active:
        return ["rash", "myelosuppression", "fatigue"]
    return ["rash", "myelosuppression", "aseptic-meningitis", "fatigue"]
