"""An independent, plain-Python reading of lmtx's contract: the test oracle for lmtx.

``decide(patient, as_of)`` takes a *valid* patient in the wire format
(docs/input-format.md) and returns what docs/output-format.md and
docs/interpretation.md say lmtx must conclude. It imports nothing from lmtx
(not the rules, not the model): it is written from the contract's readings
(revision 2026-11-28), plus lmtx's documented readings where they are silent:

- without an active osimertinib >= 160 mg the phase is ``initial`` whatever
  else runs or ran;
- a therapy is "given on the 160 mg regimen" when it is active, completed or
  stopped and has no end, or ends on or after the 160 mg start; platinum
  given on it makes the platinum stage, otherwise intrathecal pemetrexed
  given on it the combination stage; each is judged from the later of the
  160 mg start and the earliest start of its defining therapy;
- an assessment judges a regimen only when dated strictly after its start;
- ``increase`` wins over ``switch`` when osimertinib < 160 mg and another EGFR
  TKI are both active;
- the adverse effects to watch are those of what is given (active) and of
  what is recommended: osimertinib - rash and fatigue; intrathecal
  pemetrexed (given, or ``it-pemetrexed``/``prefer-intrathecal``
  recommended) - myelosuppression and aseptic meningitis; intravenous
  pemetrexed or platinum given, or ``platinum-pemetrexed`` recommended -
  myelosuppression;
- planned therapy starts are plans: they may lie after ``as_of`` and do not
  move the default evaluation date.

Revision 2026-12-06 (real records), as far as lmtx implements it:

- an EGFR TKI is any listed TKI or an ``other`` with ``drug_class: egfr-tki``;
- the 160 mg regimen is an active osimertinib >= 160 mg with ``interval_days``
  absent or 1; recorded in pieces (each piece starting after the previous
  one's start, no later than 7 days after its end), it starts with its
  earliest piece;
- a stopped osimertinib is no stop when it was a change of dose: recorded as
  ``dose-change`` with a later osimertinib (or a planned one without a
  start), or with no reason, an end, and a later given osimertinib starting
  within 7 days of that end at the same or a higher daily dose;
- a performance-status history decides by its latest assessment; at
  progression on the combination a latest PS dated more than 90 days before
  ``as_of`` counts as missing (``performance-status-missing``, no
  ``prefer-intrathecal``);
- only platinum begun on or after the 160 mg start makes the platinum stage;
  earlier platinum still running at progression on the combination means
  ``guideline-exhausted`` instead of ``platinum-pemetrexed``; in the platinum
  stage without intrathecal pemetrexed the inadequate-response test decides;
- a toxicity is linked to the agents it is attributed to, else to the
  therapies given around its day (not planned, begun by then, no end or an
  end at most 42 days before) that its kind links to (rash: EGFR TKIs and
  amivantamab; aseptic meningitis: intrathecal agents; cytopenias:
  chemotherapy, else osimertinib; fatigue and other: any);
- the adverse effects watched are those of every therapy active or ended in
  the last 42 days (by class: EGFR TKI rash and fatigue, amivantamab rash,
  chemotherapy myelosuppression, intrathecal aseptic meningitis) and of every
  recommended treatment.

The function is deliberately naive (lists and loops, no cleverness) so that
it can also serve as the "computation floor" of the benchmarks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ADVERSE_EFFECT_STATEMENTS", "ADVERSE_EFFECT_TERMS", "decide"]

NSCLC = ("adenocarcinoma", "squamous", "large_cell", "nsclc_nos")
EGFR_TKIS = (
    "osimertinib",
    "gefitinib",
    "erlotinib",
    "afatinib",
    "dacomitinib",
    "icotinib",
    "lazertinib",
    "aumolertinib",
    "furmonertinib",
    "befotertinib",
    "sunvozertinib",
)
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
"""The statement behind each adverse effect to monitor."""
ADVERSE_EFFECT_TERMS = {
    "rash": ("rash",),
    "myelosuppression": ("leukopenia", "neutropenia", "thrombocytopenia", "anemia"),
    "aseptic-meningitis": ("aseptic_meningitis",),
    "fatigue": ("fatigue",),
}
"""Each adverse effect as the input's toxicity terms (the structured list's vocabulary)."""
TERM_ORDER = ("rash", "leukopenia", "neutropenia", "thrombocytopenia", "anemia", "aseptic_meningitis", "fatigue")
GIVEN = ("active", "completed", "stopped")


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _ecog(performance_status: Mapping[str, Any]) -> int:
    """docs/interpretation.md#policy: KPS 100-90 -> 0, 80-70 -> 1, 60-50 -> 2, 40-30 -> 3, 20-10 -> 4."""
    score = int(performance_status["score"])
    if performance_status["scale"] == "ecog":
        return score
    return {100: 0, 90: 0, 80: 1, 70: 1, 60: 2, 50: 2, 40: 3, 30: 3, 20: 4, 10: 4}[score]


def _is_tki(therapy: Mapping[str, Any]) -> bool:
    return therapy["agent"] in EGFR_TKIS or (therapy["agent"] == "other" and therapy.get("drug_class") == "egfr-tki")


def _daily(therapy: Mapping[str, Any]) -> float:
    return float(therapy.get("dose_mg") or 0) / int(therapy.get("interval_days") or 1)


def _is_160_daily(therapy: Mapping[str, Any]) -> bool:
    return (
        therapy["agent"] == "osimertinib"
        and therapy["dose_mg"] >= 160
        and therapy.get("interval_days", 1) in (1, None)
        and therapy["status"] != "planned"
    )


def _regimen_start(therapies: list[Mapping[str, Any]], active: Mapping[str, Any]) -> dt.date:
    """The start of the earliest piece of the 160 mg regimen that ends in ``active``."""
    start = _date(active["start"])
    pieces = [t for t in therapies if _is_160_daily(t) and t.get("end")]
    changed = True
    while changed:
        changed = False
        for piece in pieces:
            if _date(piece["start"]) < start <= _date(piece["end"]) + dt.timedelta(days=7):
                start = _date(piece["start"])
                changed = True
    return start


def _dose_changed(stopped: Mapping[str, Any], therapies: list[Mapping[str, Any]]) -> bool:
    later = [t for t in therapies if t is not stopped and t["agent"] == "osimertinib"]
    begun = _date(stopped["start"])
    reason = stopped.get("stop_reason")
    if reason == "dose-change":
        return any(
            (not t.get("start") and t["status"] == "planned") or (t.get("start") and _date(t["start"]) > begun)
            for t in later
        )
    if reason is not None or not stopped.get("end"):
        return False
    end = _date(stopped["end"])
    return any(
        t["status"] != "planned"
        and begun < _date(t["start"]) <= end + dt.timedelta(days=7)
        and _daily(t) >= _daily(stopped)
        for t in later
    )


def _assessments(patient: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    ps = patient.get("performance_status")
    if ps is None:
        return []
    return list(ps) if isinstance(ps, list) else [ps]


def _latest_ps(patient: Mapping[str, Any]) -> Mapping[str, Any] | None:
    assessments = _assessments(patient)
    if len(assessments) <= 1:
        return assessments[0] if assessments else None
    return max(assessments, key=lambda a: _date(a["date"]))


def _ps_at_diagnosis(patient: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """An undated single PS; else the one nearest before (or else after) the LM diagnosis, within 30 days.

    Rev. 2026-12-07: a single dated PS is the one at diagnosis only within those 30 days too.
    """
    assessments = _assessments(patient)
    if not assessments:
        return None
    if len(assessments) == 1 and not assessments[0].get("date"):
        return assessments[0]
    found = [_date(c["date"]) for c in patient.get("csf_cytology", []) if c["result"] == "positive"]
    found += [_date(m["date"]) for m in patient.get("mri", []) if m["leptomeningeal_enhancement"]]
    if not found:
        return None
    diagnosis = min(found)
    before = [a for a in assessments if 0 <= (diagnosis - _date(a["date"])).days <= 30]
    if before:
        return max(before, key=lambda a: _date(a["date"]))
    after = [a for a in assessments if 0 < (_date(a["date"]) - diagnosis).days <= 30]
    return min(after, key=lambda a: _date(a["date"])) if after else None


def _severity(grade: int) -> str:
    return "info" if grade <= 2 else "warning" if grade == 3 else "critical"


def _latest_after(records: Iterable[Mapping[str, Any]], start: dt.date) -> Mapping[str, Any] | None:
    """The latest record, if it is dated strictly after ``start`` (a first-day finding is a baseline)."""
    records = list(records)
    if not records:
        return None
    latest = max(records, key=lambda r: _date(r["date"]))
    return latest if _date(latest["date"]) > start else None


def _default_as_of(patient: Mapping[str, Any]) -> dt.date | None:
    dates = [_date(a["date"]) for a in _assessments(patient) if a.get("date")]
    for key in ("brain_metastases_date", "csf_flow_date", "systemic_disease_date"):
        if patient.get(key):
            dates.append(_date(patient[key]))
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
    """docs/interpretation.md#lm-status: the LM status, and for suspected LM what the workup still asks for."""
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
    run = []
    for exam in reversed(exams):
        if exam["symptoms"] not in SYMPTOMATIC:
            break
        run.insert(0, exam)
    onset = _date(run[0]["date"])
    # A new or worsened exam after a complete (negative) workup starts a new onset.
    while True:
        mri_dates = sorted(_date(m["date"]) for m in mri if _date(m["date"]) >= onset)
        # One cytology a day (an exact duplicate is the same record).
        samples = sorted(
            {_date(c["date"]): c for c in cytology if _date(c["date"]) >= onset}.values(),
            key=lambda c: _date(c["date"]),
        )
        if not mri_dates or not samples:
            break
        complete = max(mri_dates[0], _date(samples[0]["date"]))
        later = [_date(e["date"]) for e in run if e["symptoms"] in ("new", "worsened") and _date(e["date"]) > complete]
        if not later:
            return _after_negative_workup(patient, samples, complete, exams[-1])
        onset = min(later)
    has_mri = any(_date(m["date"]) >= onset for m in mri)
    samples = list({_date(c["date"]): c for c in cytology if _date(c["date"]) >= onset}.values())
    if not has_mri and len(samples) == 1 and samples[0]["result"] == "equivocal":
        return "suspected", "mri-and-repeat-csf-cytology"
    missing = "mri-and-csf-cytology" if not (has_mri or samples) else "mri" if not has_mri else "csf-cytology"
    return "suspected", missing


def _after_negative_workup(
    patient: Mapping[str, Any], samples: list[Mapping[str, Any]], complete: dt.date, latest: Mapping[str, Any]
) -> tuple[str, str | None]:
    """Rev. 2026-12-07: whether a complete negative workup for the current onset settles the question.

    One cytology since the onset, equivocal, keeps the suspicion; one negative cytology keeps it
    too when the symptoms persist after the workup and no brain metastases explain them.
    """
    if len(samples) == 1 and samples[0]["result"] == "equivocal":
        return "suspected", "repeat-csf-cytology"
    if (
        len(samples) == 1
        and not patient.get("brain_metastases", False)
        and latest["symptoms"] == "persistent"
        and _date(latest["date"]) > complete
    ):
        return "suspected", "second-csf-cytology"
    return "absent", None


def decide(patient: Mapping[str, Any], as_of: dt.date | str | None = None, poor_ps_ecog: int = 3) -> dict[str, Any]:  # noqa: PLR0912 - one reading of the contract, section by section
    """What docs/interpretation.md says lmtx concludes for a valid wire-format patient.

    Args:
        patient: A valid patient in the wire format (dates as ISO strings or dates).
        as_of: The evaluation date; default the latest observed date.
        poor_ps_ecog: ECOG from which performance status counts as poor.

    Returns:
        ``as_of`` (ISO or ``None``), ``lm_status``, ``applicable``,
        ``not_applicable_reasons`` (documented order), ``phase``, ``judged_from``
        (ISO start of the regimen whose response is judged, or ``None``), ``deciding``
        ((ISO date, day of that regimen) of each finding that failed it), ``stopped_osimertinib_ends``,
        ``treatment``
        (code -> action), ``workup`` (code -> what is missing), ``monitoring``
        (code -> action), ``adverse_effects`` (sorted effects to watch),
        ``adverse_effect_terms`` (the same as toxicity terms, in the input's
        term order), ``toxicity_terms`` (toxicity alert -> term -> highest
        grade), ``linked_agents`` (agents named by ``dose-modification``),
        ``alerts`` (code -> severity), ``prognosis`` (sorted codes).
    """
    evaluation_date = _date(as_of) if as_of is not None else _default_as_of(patient)
    therapies = patient.get("therapies", [])
    active = [t for t in therapies if t["status"] == "active"]
    active_osimertinib = [t for t in active if t["agent"] == "osimertinib"]
    osimertinib_160 = [t for t in active_osimertinib if _is_160_daily(t)]
    osimertinib_below_160 = [t for t in active_osimertinib if not _is_160_daily(t)]
    other_tki = [t for t in active if _is_tki(t) and t["agent"] != "osimertinib"]
    exams = patient.get("neuro_exams", [])
    cytology = patient.get("csf_cytology", [])
    mri = patient.get("mri", [])
    egfr = patient.get("egfr", {}).get("status", "unknown")
    ps = _latest_ps(patient)
    nsclc = patient["histology"] in NSCLC

    # LM status (#lm-status); scope (#scope).
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
    deciding: list[dt.date] = []  # the dates of the findings that decided a step
    judged_from = None  # the start of the regimen being judged (#response, #combination)
    regimen = None  # which regimen is judged
    if applicable and lm_status == "suspected":
        phase = "diagnostic-workup"
    elif applicable and lm_status == "absent":
        # Brain metastases without LM (#cns-metastases-without-lm).
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
        # Established LM, not on osimertinib 160 mg (#initial).
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
        osimertinib_start = _regimen_start(therapies, osimertinib_160[0])
        treatment["osimertinib-160"] = "continue"  # from monotherapy on, always continue.
        # Stages by treatment history: what was given while this 160 mg regimen ran.
        given = [
            t for t in therapies if t["status"] in GIVEN and (not t.get("end") or _date(t["end"]) >= osimertinib_start)
        ]
        it_given = [t for t in given if t["agent"] == "pemetrexed" and t.get("route") == "intrathecal"]
        # Only platinum begun on or after the 160 mg start is the document's step; earlier is earlier chemotherapy.
        platinum_given = [t for t in given if t["agent"] in PLATINUM and _date(t["start"]) >= osimertinib_start]
        if platinum_given:
            # The platinum stage: the document's last step.
            phase = "beyond-document"
            regimen = "platinum" if it_given else "platinum-without-intrathecal"
            judged_from = max(osimertinib_start, min(_date(t["start"]) for t in platinum_given))
            if it_given:
                deciding = _progression(exams, mri, judged_from)
                if deciding:
                    alerts["guideline-exhausted"] = "warning"
            else:
                # The intrathecal step is still unused: the inadequate-response test decides.
                deciding = _inadequate(exams, cytology, mri, judged_from)
                if deciding:
                    treatment["it-pemetrexed"] = "add"
        elif it_given:
            # The combination stage.
            regimen = "combination"
            judged_from = max(osimertinib_start, min(_date(t["start"]) for t in it_given))
            deciding = _progression(exams, mri, judged_from)
            if deciding:
                phase = "progression-on-combination"
                if any(t["agent"] in PLATINUM for t in active):
                    alerts["guideline-exhausted"] = "warning"  # earlier platinum still runs: the last step is given
                else:
                    treatment["platinum-pemetrexed"] = "consider"
                stale = (
                    ps is not None
                    and ps.get("date") is not None
                    and evaluation_date is not None
                    and (evaluation_date - _date(ps["date"])).days > 90
                )
                if stale:
                    alerts["performance-status-missing"] = "warning"  # a PS over 90 days old cannot decide
                elif ps is not None and _ecog(ps) >= poor_ps_ecog:
                    treatment["prefer-intrathecal"] = "consider"
            else:
                phase = "combination"
                latest_course = max(it_given, key=lambda t: _date(t["start"]))
                starts = [_date(t["start"]) for t in it_given]
                if starts.count(_date(latest_course["start"])) > 1:
                    # Two courses begun the same day: the reading names no order; any not stopped continues.
                    courses = [t for t in it_given if _date(t["start"]) == _date(latest_course["start"])]
                    if any(t["status"] != "stopped" for t in courses):
                        treatment["it-pemetrexed"] = "continue"
                elif latest_course["status"] != "stopped":
                    treatment["it-pemetrexed"] = "continue"
        else:
            # Osimertinib 160 mg alone.
            regimen = "osimertinib"
            judged_from = osimertinib_start
            deciding = _inadequate(exams, cytology, mri, judged_from)
            if deciding:
                phase = "inadequate-response"
                treatment["it-pemetrexed"] = "add"
            else:
                phase = "osimertinib-monotherapy"

    # A stopped osimertinib is flagged before osimertinib is started, switched to or raised.
    stops = [
        t
        for t in therapies
        if t["agent"] == "osimertinib" and t["status"] == "stopped" and not _dose_changed(t, therapies)
    ]
    if (
        any(treatment.get(c) in ("start", "switch", "increase") for c in ("osimertinib-160", "osimertinib-80"))
        and stops
    ):
        alerts["prior-osimertinib-stopped"] = "warning"

    # S26 for any NSCLC with suspected LM (#scope, #lm-status, #severities).
    workup: dict[str, str] = {}
    if nsclc and lm_status == "suspected":
        workup["lm-workup"] = missing or ""
        alerts["delayed-diagnosis"] = "warning" if egfr == "mutant" else "info"

    # Established LM in an applicable patient (#across-phases).
    monitoring: dict[str, str] = {}
    adverse_effects: list[str] = []
    prognosis: list[str] = []
    if applicable and established:
        monitoring = dict.fromkeys((*MONITORING, "monitor-adverse-effects"), "perform")
        recent = [
            t
            for t in therapies
            if t["status"] in ("completed", "stopped")
            and t.get("end")
            and evaluation_date is not None
            and _date(t["end"]) >= evaluation_date - dt.timedelta(days=42)
        ]
        adverse_effects = _adverse_effects([*active, *recent], treatment)
        prognosis.append("median-survival")
        if ps is not None:
            prognosis.append("performance-status-prognostic")
        else:
            alerts["performance-status-missing"] = "warning"
        if patient.get("csf_flow") == "interrupted":
            prognosis.append("csf-flow-interrupted")
        if patient.get("systemic_disease", "unknown") in ("progressive", "unknown"):
            alerts["systemic-disease"] = "warning"

    # Radiotherapy without osimertinib (#radiotherapy).
    radiotherapy = [t for t in therapies if t["agent"] == "radiotherapy" and t["status"] in ("planned", "active")]
    if applicable and radiotherapy and not active_osimertinib:
        alerts["radiotherapy-overreliance"] = "warning"

    # Toxicity, applicable or not: one alert per kind, naming every term with its (highest) grade.
    highest: dict[str, int] = {}
    named: dict[str, dict[str, int]] = {}
    for toxicity in patient.get("toxicities", []):
        code = TOXICITY_ALERTS.get(toxicity["term"])
        if code is not None:
            grade = int(toxicity["grade"])
            highest[code] = max(highest.get(code, 0), grade)
            terms = named.setdefault(code, {})
            terms[toxicity["term"]] = max(terms.get(toxicity["term"], 0), grade)
    alerts.update({code: _severity(grade) for code, grade in highest.items()})
    severe = [t for t in patient.get("toxicities", []) if int(t["grade"]) >= 3]
    osimertinib_in_use = bool(active_osimertinib) or any(c.startswith("osimertinib-") for c in treatment)
    linked_agents: list[str] = []
    if severe and osimertinib_in_use:
        alerts["dose-modification"] = "warning"
        for toxicity in severe:
            linked_agents += [t["agent"] for t in _toxicity_agents(toxicity, therapies, evaluation_date)]

    return {
        "as_of": evaluation_date.isoformat() if evaluation_date else None,
        "lm_status": lm_status,
        "applicable": applicable,
        "not_applicable_reasons": reasons,
        "phase": phase,
        "judged_from": judged_from.isoformat() if judged_from else None,
        "deciding": [(d.isoformat(), (d - judged_from).days + 1) for d in sorted(set(deciding))] if judged_from else [],
        "stopped_osimertinib_ends": sorted(str(t.get("end") or "") for t in stops),
        "treatment": treatment,
        "workup": workup,
        "monitoring": monitoring,
        "adverse_effects": sorted(adverse_effects),
        "adverse_effect_terms": [t for t in TERM_ORDER if any(t in ADVERSE_EFFECT_TERMS[e] for e in adverse_effects)],
        "toxicity_terms": {code: dict(sorted(terms.items())) for code, terms in named.items()},
        "linked_agents": sorted(set(linked_agents)),
        "alerts": alerts,
        "prognosis": sorted(prognosis),
        "latest_ps": ps,
        "regimen": regimen,
        "ps_at_diagnosis": _ps_at_diagnosis(patient),
    }


def _progression(exams: list[Mapping[str, Any]], mri: list[Mapping[str, Any]], start: dt.date) -> list[dt.date]:
    """The dates of the deciding findings: the latest MRI after ``start`` if it shows progression,
    the latest exam after it if it shows worsening (empty: no progression)."""
    exam = _latest_after(exams, start)
    scan = _latest_after(mri, start)
    found = []
    if exam is not None and exam["symptoms"] == "worsened":
        found.append(_date(exam["date"]))
    if scan is not None and scan.get("response") == "progression":
        found.append(_date(scan["date"]))
    return found


def _inadequate(
    exams: list[Mapping[str, Any]], cytology: list[Mapping[str, Any]], mri: list[Mapping[str, Any]], start: dt.date
) -> list[dt.date]:
    """The dates of the failing latest findings after ``start`` by the inadequate-response test (empty: none)."""
    exam = _latest_after(exams, start)
    sample = _latest_after(cytology, start)
    scan = _latest_after(mri, start)
    failing = [
        (exam, exam is not None and exam["symptoms"] in SYMPTOMATIC),
        (sample, sample is not None and sample["result"] == "positive"),
        (scan, scan is not None and scan.get("response") == "progression"),
    ]
    return [_date(record["date"]) for record, fails in failing if record is not None and fails]


CHEMOTHERAPY = (
    "pemetrexed",
    "carboplatin",
    "cisplatin",
    "docetaxel",
    "paclitaxel",
    "gemcitabine",
    "temozolomide",
    "methotrexate",
    "cytarabine",
    "thiotepa",
)


def _is_chemotherapy(therapy: Mapping[str, Any]) -> bool:
    return therapy["agent"] in CHEMOTHERAPY or (
        therapy["agent"] == "other" and therapy.get("drug_class") == "chemotherapy"
    )


def _route(therapy: Mapping[str, Any]) -> str | None:
    if therapy.get("route"):
        return str(therapy["route"])
    if therapy["agent"] in (*EGFR_TKIS, "temozolomide"):
        return "oral"
    if therapy["agent"] in ("docetaxel", "paclitaxel", "gemcitabine", "bevacizumab", "amivantamab", *PLATINUM):
        return "intravenous"
    return None


def _toxicity_agents(
    toxicity: Mapping[str, Any], therapies: list[Mapping[str, Any]], as_of: dt.date | None
) -> list[Mapping[str, Any]]:
    """The therapies a toxicity is linked to: as attributed, else those given around it that its kind links to."""
    if toxicity.get("attributed_to"):
        return [t for t in therapies if t["agent"] in toxicity["attributed_to"]]
    day = _date(toxicity["date"]) if toxicity.get("date") else as_of
    if day is None:
        return []
    around = [
        t
        for t in therapies
        if t["status"] != "planned"
        and _date(t["start"]) <= day
        and (not t.get("end") or _date(t["end"]) >= day - dt.timedelta(days=42))
    ]
    term = toxicity["term"]
    if term == "rash":
        return [t for t in around if _is_tki(t) or t["agent"] == "amivantamab"]
    if term == "aseptic_meningitis":
        return [t for t in around if _route(t) == "intrathecal"]
    if term in ("leukopenia", "neutropenia", "thrombocytopenia", "anemia"):
        chemotherapy = [t for t in around if _is_chemotherapy(t)]
        return chemotherapy or [t for t in around if t["agent"] == "osimertinib"]
    return around


def _adverse_effects(watched: list[Mapping[str, Any]], treatment: Mapping[str, str]) -> list[str]:
    """The union of the effects of every therapy watched (active or recently ended) and every recommendation."""
    effects: set[str] = set()
    for therapy in watched:
        if _is_tki(therapy):
            effects |= {"rash", "fatigue"}
        elif therapy["agent"] == "amivantamab":
            effects.add("rash")
        if _route(therapy) == "intrathecal":
            effects.add("aseptic-meningitis")
        if _is_chemotherapy(therapy):
            effects.add("myelosuppression")
    for code in treatment:
        if code.startswith("osimertinib-"):
            effects |= {"rash", "fatigue"}
        elif code in ("it-pemetrexed", "prefer-intrathecal"):
            effects |= {"myelosuppression", "aseptic-meningitis"}
        elif code == "platinum-pemetrexed":
            effects.add("myelosuppression")
    return list(effects)
