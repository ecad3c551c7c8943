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
    reading = _tolerance(patient, evaluation_date)
    limit = reading["limit"]
    established_limit = limit is not None and limit <= 160  # the highest tolerable dose applies with LM
    cns_limit = limit is not None and limit <= 80  # ... and without LM
    if applicable and lm_status == "suspected":
        phase = "diagnostic-workup"
    elif applicable and lm_status == "absent":
        # Brain metastases without LM (#cns-metastases-without-lm; #tolerable-dose).
        phase = "cns-metastases-without-lm"
        if cns_limit:
            if active_osimertinib:
                treatment["osimertinib-tolerated"] = "continue"
            else:
                treatment["osimertinib-tolerated"] = "review" if reading["review"] else "resume"
        elif osimertinib_160:
            treatment["osimertinib-160"] = "continue"
        elif osimertinib_below_160:
            treatment["osimertinib-80"] = "continue"
        elif other_tki:
            treatment["osimertinib-80"] = "switch"
        else:
            treatment["osimertinib-80"] = "start"
    elif applicable:
        # Established LM: the osimertinib regimen the later stages build on (#initial, #tolerable-dose).
        current = None
        if osimertinib_160:
            current = ("160", _index(therapies, osimertinib_160[0]))
        elif active_osimertinib and established_limit:
            current = ("primary", _index(therapies, active_osimertinib[0]))
        elif osimertinib_below_160 and reading["linked_grade"][_index(therapies, osimertinib_below_160[0])] >= 3:
            current = ("primary", _index(therapies, osimertinib_below_160[0]))
        elif not active_osimertinib and established_limit and reading["held"] is not None:
            current = ("held", reading["held"])
        if current is None:
            phase = "initial"
            if established_limit:
                treatment["osimertinib-tolerated"] = "review" if reading["review"] else "resume"
            elif osimertinib_below_160:
                treatment["osimertinib-160"] = "increase"
            elif other_tki:
                treatment["osimertinib-160"] = "switch"
            else:
                treatment["osimertinib-160"] = "start"
        else:
            kind, index = current
            if kind == "160":
                treatment["osimertinib-160"] = "continue"  # from monotherapy on, always continue.
                osimertinib_start = reading["chain_160"][index]
            else:
                osimertinib_start = reading["chain_primary"][index]
                if kind == "primary":
                    treatment["osimertinib-tolerated"] = "continue"
                else:
                    treatment["osimertinib-tolerated"] = "review" if reading["review"] else "resume"
            run_date = reading["run_date"][index]
            # Stages by treatment history: what was given on the osimertinib run (#combination).
            given = [t for t in therapies if t["status"] in GIVEN and (not t.get("end") or _date(t["end"]) >= run_date)]
            it_given = [t for t in given if t["agent"] == "pemetrexed" and t.get("route") == "intrathecal"]
            # Only platinum begun on or after the run date is the document's step; earlier is earlier chemotherapy.
            platinum_given = [t for t in given if t["agent"] in PLATINUM and _date(t["start"]) >= run_date]
            course = _latest_course(it_given, therapies) if it_given else None
            if platinum_given:
                # The platinum stage: the document's last step.
                phase = "beyond-document"
                regimen = "platinum" if it_given else "platinum-without-intrathecal"
                judged_from = max(osimertinib_start, min(_date(t["start"]) for t in platinum_given))
                if course is not None:
                    deciding = _progression(exams, mri, judged_from)
                    if deciding:
                        alerts["guideline-exhausted"] = "warning"
                    if _holds(course, patient, therapies, evaluation_date):
                        treatment["it-pemetrexed"] = "hold"
                else:
                    # The intrathecal step is still unused: the inadequate-response test decides.
                    deciding = _inadequate(exams, cytology, mri, judged_from)
                    if deciding:
                        treatment["it-pemetrexed"] = "add"
            elif course is not None:
                # The combination stage.
                regimen = "combination"
                judged_from = max(osimertinib_start, min(_date(t["start"]) for t in it_given))
                deciding = _progression(exams, mri, judged_from)
                if course["reading"] == "progressed":
                    # The treating team's verdict: the latest course was stopped for progression.
                    deciding += [
                        _date(t["end"])
                        for t in course["courses"]
                        if t.get("stop_reason") == "progression" and t.get("end")
                    ]
                if deciding or course["reading"] == "progressed":
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
                    holds = _holds(course, patient, therapies, evaluation_date)
                    treatment["it-pemetrexed"] = "hold" if holds else "continue"
            else:
                # Osimertinib alone.
                regimen = "osimertinib"
                judged_from = osimertinib_start
                deciding = _inadequate(exams, cytology, mri, judged_from)
                if deciding:
                    phase = "inadequate-response"
                    treatment["it-pemetrexed"] = "add"
                else:
                    phase = "osimertinib-monotherapy"

    # S27, standard doses may not reach the CSF (#initial): osimertinib below 160 mg, and every other
    # EGFR TKI given or planned that is not above its standard dose.
    not_above = [
        t
        for t in therapies
        if _is_tki(t)
        and t["agent"] != "osimertinib"
        and t["status"] in ("active", "planned")
        and not _above_standard(t)
    ]
    planned_low = [
        t
        for t in therapies
        if t["agent"] == "osimertinib"
        and t["status"] == "planned"
        and not (t["dose_mg"] >= 160 and t.get("interval_days", 1) in (1, None))
    ]
    advised_160 = treatment.get("osimertinib-160")
    if (
        advised_160 == "increase"
        or (advised_160 == "start" and planned_low)
        or (advised_160 in ("start", "switch", "increase") and not_above)
        or ("osimertinib-tolerated" in treatment and established and not_above)
    ):
        alerts["cns-penetration"] = "warning"

    # A stopped osimertinib is flagged before osimertinib is given again (#stopped-osimertinib): not a change of
    # dose, not a dose stopped for toxicity that was never given again (#tolerable-dose).
    stops = [
        t
        for i, t in enumerate(therapies)
        if t["agent"] == "osimertinib"
        and (t["status"] == "stopped" or (t["status"] == "completed" and t.get("stop_reason") == "toxicity"))
        and i not in reading["standing"]
        and not _dose_changed(t, therapies)
    ]
    again = any(treatment.get(c) in ("start", "switch", "increase") for c in ("osimertinib-160", "osimertinib-80"))
    if (again or treatment.get("osimertinib-tolerated") in ("resume", "review")) and stops:
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
    planned_osimertinib = [t for t in therapies if t["agent"] == "osimertinib" and t["status"] == "planned"]
    # Not with osimertinib planned, and not while it is withheld for toxicity (rev. 2026-12-07).
    started = phase == "diagnostic-workup" or any(
        treatment.get(c) in ("start", "switch") for c in ("osimertinib-160", "osimertinib-80")
    )
    if applicable and radiotherapy and not active_osimertinib and not planned_osimertinib and started:
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
        "tolerance_limit": limit,
        "standing_stops": sorted(reading["standing"]),
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


# --- Revision 2026-12-07: the highest tolerable dose, the osimertinib run, intrathecal holds ---------------

STANDARD_DAILY_MG = {
    "gefitinib": 250,
    "erlotinib": 150,
    "icotinib": 375,
    "afatinib": 40,
    "dacomitinib": 45,
    "osimertinib": 80,
    "lazertinib": 240,
    "aumolertinib": 110,
    "furmonertinib": 80,
    "befotertinib": 100,
    "sunvozertinib": 300,
}
"""The standard daily dose of each listed EGFR TKI (docs/input-format.md#standard-doses)."""


def _index(therapies: list[Mapping[str, Any]], therapy: Mapping[str, Any]) -> int:
    return next(i for i, t in enumerate(therapies) if t is therapy)


def _per_day(therapy: Mapping[str, Any]) -> float:
    """The daily dose: icotinib without an interval is given three times a day."""
    times = 3 if therapy["agent"] == "icotinib" and not therapy.get("interval_days") else 1
    return float(therapy.get("dose_mg") or 0) * times / int(therapy.get("interval_days") or 1)


def _above_standard(therapy: Mapping[str, Any]) -> bool:
    standard = STANDARD_DAILY_MG.get(therapy["agent"])
    dose = therapy.get("dose_mg")
    return standard is not None and dose is not None and (_per_day(therapy) > standard or dose > standard)


def _around(therapy: Mapping[str, Any], day: dt.date) -> bool:
    """Given around a day: not planned, begun by then, no end or an end at most 42 days before it."""
    return (
        therapy["status"] != "planned"
        and _date(therapy["start"]) <= day
        and (not therapy.get("end") or _date(therapy["end"]) >= day - dt.timedelta(days=42))
    )


def _toxicity_agents(
    toxicity: Mapping[str, Any], therapies: list[Mapping[str, Any]], as_of: dt.date | None
) -> list[Mapping[str, Any]]:
    """The therapies a toxicity is linked to (rev. 2026-12-07): as attributed, bounded by its date; else by kind."""
    day = _date(toxicity["date"]) if toxicity.get("date") else as_of
    if day is None:
        return []
    term = toxicity["term"]
    if toxicity.get("attributed_to"):
        found = []
        for agent in toxicity["attributed_to"]:
            begun = [
                t for t in therapies if t["agent"] == agent and t["status"] != "planned" and _date(t["start"]) <= day
            ]
            around = [t for t in begun if _around(t, day)]
            if around and term == "aseptic_meningitis":
                around = [t for t in around if _route(t) == "intrathecal"] or around
            if not around and begun:
                latest = max(_date(t["start"]) for t in begun)
                around = [t for t in begun if _date(t["start"]) == latest]
            found += [t for t in around if not any(t is f for f in found)]
        return found
    around = [t for t in therapies if _around(t, day)]
    if term == "rash":
        return [t for t in around if _is_tki(t) or t["agent"] == "amivantamab"]
    if term == "aseptic_meningitis":
        return [t for t in around if _route(t) == "intrathecal"]
    if term in ("leukopenia", "neutropenia", "thrombocytopenia", "anemia"):
        chemotherapy = [t for t in around if _is_chemotherapy(t)]
        return chemotherapy or [t for t in around if t["agent"] == "osimertinib"]
    return around


def _in_window(toxicity: Mapping[str, Any], therapy: Mapping[str, Any], as_of: dt.date | None) -> bool:
    """Dated from 42 days before the therapy's end to 7 after; without an end, the 42 days before as_of."""
    if not toxicity.get("date"):
        return True
    day = _date(toxicity["date"])
    if therapy.get("end"):
        end = _date(therapy["end"])
        return end - dt.timedelta(days=42) <= day <= end + dt.timedelta(days=7)
    return as_of is not None and as_of - dt.timedelta(days=42) <= day <= as_of


def _tolerance(patient: Mapping[str, Any], as_of: dt.date | None) -> dict[str, Any]:  # noqa: PLR0912
    """docs/interpretation.md#tolerable-dose, read from the wire record."""
    therapies = patient.get("therapies", [])
    toxicities = patient.get("toxicities", [])
    osimertinib = [i for i, t in enumerate(therapies) if t["agent"] == "osimertinib"]
    agents = [[_index(therapies, t) for t in _toxicity_agents(x, therapies, as_of)] for x in toxicities]
    linked = {
        i: [
            x
            for x, toxicity in enumerate(toxicities)
            if toxicity["grade"] >= 3 and i in agents[x] and _in_window(toxicity, therapies[i], as_of)
        ]
        for i in osimertinib
    }
    linked_grade = {i: max((toxicities[x]["grade"] for x in linked[i]), default=0) for i in osimertinib}

    def others(i: int) -> list[Mapping[str, Any]]:
        return [therapies[j] for j in osimertinib if j != i]

    stops = set()
    for i in osimertinib:
        t = therapies[i]
        if t["status"] not in ("stopped", "completed"):
            continue
        reason = t.get("stop_reason")
        if reason == "toxicity":
            near = [x for x in toxicities if _in_window(x, t, as_of)]
            blamed_elsewhere = near and all(
                x.get("attributed_to") and "osimertinib" not in x["attributed_to"] for x in near
            )
            if not blamed_elsewhere:
                stops.add(i)
            continue
        if t["status"] != "stopped" or not linked[i]:
            continue
        begun = _date(t["start"])
        for o in others(i):
            if _per_day(o) >= _per_day(t):
                continue
            in_time = (not o.get("start") and o["status"] == "planned") or (
                o.get("start") and t.get("end") and begun < _date(o["start"]) <= _date(t["end"]) + dt.timedelta(days=7)
            )
            if reason in (None, "dose-change") and in_time:
                stops.add(i)
        if reason is None and not any(
            _per_day(o) >= _per_day(t)
            and ((not o.get("start") and o["status"] == "planned") or (o.get("start") and _date(o["start"]) > begun))
            for o in others(i)
        ):
            stops.add(i)
    standing = []
    for i in sorted(stops):
        t = therapies[i]
        again = False
        for o in others(i):
            if o["status"] == "planned" or _per_day(o) < _per_day(t):
                continue
            if (
                o["status"] == "active"
                or (t.get("end") and _date(o["start"]) >= _date(t["end"]))
                or (not t.get("end") and _date(o["start"]) > _date(t["start"]))
            ):
                again = True
        if not again:
            standing.append(i)
    limit = min((_per_day(therapies[i]) for i in standing), default=None)

    pieces = [i for i in osimertinib if therapies[i].get("start") and therapies[i]["status"] != "planned"]

    def link_ok(earlier: int, later: int) -> bool:
        e, l_ = therapies[earlier], therapies[later]
        if not e.get("end"):
            return False
        days = 21 if earlier in stops else 7
        return _date(e["start"]) < _date(l_["start"]) <= _date(e["end"]) + dt.timedelta(days=days)

    def chain(i: int, allowed: Any) -> list[int]:
        members = [i]
        grew = True
        while grew:
            grew = False
            for p in pieces:
                if p not in members and allowed(p) and any(link_ok(p, m) for m in members):
                    members.append(p)
                    grew = True
        return members

    def high(i: int) -> bool:
        return _is_160_daily(therapies[i])

    def after_stop(i: int) -> bool:
        return high(i) or any(_date(therapies[i]["start"]) > _date(therapies[s]["start"]) for s in standing)

    found = [_date(c["date"]) for c in patient.get("csf_cytology", []) if c["result"] == "positive"]
    found += [_date(m["date"]) for m in patient.get("mri", []) if m["leptomeningeal_enhancement"]]
    diagnosis = min(found) if found else None
    chain_160, chain_primary, run_date = {}, {}, {}
    for i in pieces:
        chain_160[i] = min(_date(therapies[p]["start"]) for p in (chain(i, high) if high(i) else [i]))
        chain_primary[i] = min(_date(therapies[p]["start"]) for p in chain(i, after_stop))
        run = chain(i, lambda _: True)
        tall = [_date(therapies[p]["start"]) for p in run if high(p)]
        first = min(_date(therapies[p]["start"]) for p in run)
        run_date[i] = min(tall) if tall else (max(first, diagnosis) if diagnosis else first)

    ended = [i for i in standing if therapies[i].get("end")]
    held = None
    overdue = False
    if ended and as_of is not None:
        latest = max(ended, key=lambda i: (_date(therapies[i]["end"]), _per_day(therapies[i]), i))
        end = _date(therapies[latest]["end"])
        since = any(j != latest and _date(therapies[j]["start"]) >= end for j in pieces)
        overdue = (as_of - end).days > 21 and not since
        if not any(therapies[i]["status"] == "active" for i in osimertinib):
            recent = [i for i in ended if (as_of - _date(therapies[i]["end"])).days <= 21]
            if recent:
                held = max(recent, key=lambda i: (_date(therapies[i]["end"]), _per_day(therapies[i]), i))
    severe = any(toxicities[x]["grade"] >= 4 for i in standing for x in linked[i])
    return {
        "limit": limit,
        "standing": standing,
        "linked_grade": linked_grade,
        "chain_160": chain_160,
        "chain_primary": chain_primary,
        "run_date": run_date,
        "held": held,
        "review": limit is not None and (limit <= 40 or severe or overdue),
    }


def _course_reading(course: Mapping[str, Any]) -> str:
    reason = course.get("stop_reason")
    if reason == "progression":
        return "progressed"
    if reason in ("toxicity", "dose-change", "other") or (course["status"] == "stopped" and reason is None):
        return "held"
    return "continuing"


def _latest_course(given: list[Mapping[str, Any]], therapies: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The latest intrathecal course given on the run, read with every course begun the same day."""
    start = max(_date(t["start"]) for t in given)
    courses = [
        t
        for t in therapies
        if t["agent"] == "pemetrexed"
        and t.get("route") == "intrathecal"
        and t["status"] != "planned"
        and _date(t["start"]) == start
    ]
    readings = {_course_reading(t) for t in courses}
    reading = next(r for r in ("continuing", "progressed", "held") if r in readings)
    return {"start": start, "courses": courses, "reading": reading}


def _holds(
    course: Mapping[str, Any], patient: Mapping[str, Any], therapies: list[Mapping[str, Any]], as_of: dt.date | None
) -> bool:
    """(a) the latest course was stopped (not for progression) or (b) an event since it began holds the injection."""
    if course["reading"] == "held":
        return True
    if course["reading"] != "continuing":
        return False
    for toxicity in patient.get("toxicities", []):
        day = _date(toxicity["date"]) if toxicity.get("date") else as_of
        if toxicity["grade"] < 3 or day is None or day < course["start"]:
            continue
        if toxicity["term"] in ("neutropenia", "leukopenia", "thrombocytopenia"):
            return True
        intrathecal = any(_route(t) == "intrathecal" for t in _toxicity_agents(toxicity, therapies, as_of))
        if toxicity["term"] in ("aseptic_meningitis", "other") and intrathecal:
            return True
    return False
