"""Words of the safety pack's cautions (rules and texts in :mod:`lmtx.packs.safety`).

Each caution's text says what triggered it: the advice of this evaluation
(with its date), or the finding (with its date). For the pack,
``context.derived`` holds every fact of the pack's run: the record's base
facts, the facts and items the document's rules derived, and the pack's
own (``recent_cytopenia``, ``intrathecal_advice``, ``pemetrexed_use``). The
words only describe what the rules decided; they never decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lmtx._facts import NO_DATE, Fact
from lmtx._texts._shared import Context, and_, iso, of
from lmtx.model import Patient

__all__ = ["WORDS"]

WINDOW_DAYS = 42
"""The blood-count window of ``it-blood-counts``: the 42 days up to the evaluation date (``recent_from``)."""

_ADVICE: Mapping[tuple[str, str], str] = {
    ("it-pemetrexed", "add"): "add intrathecal pemetrexed",
    ("it-pemetrexed", "continue"): "continue the intrathecal pemetrexed courses",
    ("it-pemetrexed", "hold"): "hold intrathecal pemetrexed",
    ("prefer-intrathecal", "consider"): "consider intrathecal rather than systemic chemotherapy",
    ("platinum-pemetrexed", "consider"): "consider platinum-based chemotherapy, preferably with pemetrexed",
    ("osimertinib-160", "start"): "start osimertinib 160 mg once daily",
    ("osimertinib-160", "switch"): "switch to osimertinib 160 mg once daily",
    ("osimertinib-160", "increase"): "raise osimertinib to 160 mg once daily",
    ("osimertinib-80", "start"): "start osimertinib 80 mg once daily",
    ("osimertinib-80", "switch"): "switch to osimertinib 80 mg once daily",
    ("osimertinib-80", "increase"): "raise osimertinib to 80 mg once daily",
    ("osimertinib-tolerated", "resume"): "resume osimertinib, at a dose the treating team decides",
}
"""An item of the document's advice in words (what the pack's triggers read)."""

_TERMS = {
    "anemia": "anemia",
    "leukopenia": "leukopenia",
    "neutropenia": "neutropenia",
    "thrombocytopenia": "thrombocytopenia",
}
_VARIANTS = {
    "exon19_deletion": "exon 19 deletion",
    "L858R": "L858R",
    "T790M": "T790M",
    "exon20_insertion": "exon 20 insertion",
    "uncommon": "an uncommon variant",
}
_HISTOLOGIES = {
    "adenocarcinoma": "adenocarcinoma",
    "squamous": "squamous cell carcinoma",
    "large_cell": "large cell carcinoma",
    "nsclc_nos": "NSCLC not otherwise specified",
}
_LM = {
    "confirmed": "leptomeningeal metastases confirmed by CSF cytology",
    "probable": "probable leptomeningeal metastases (MRI enhancement)",
    "suspected": "suspected leptomeningeal metastases",
}
_PALLIATIVE_WHY = {
    (True, False): "the document has no further step",
    (False, True): "poor performance status",
    (True, True): "no further step in the document, poor performance status",
}


def _as_of(facts: Iterable[Fact]) -> int:
    """The evaluation date (a day ordinal), read from the record's ``patient`` fact; ``NO_DATE`` without one."""
    return int(next(f["as_of"] for f in facts if f["t"] == "patient"))


def _when(as_of: int) -> str:
    return f"as of {iso(as_of)}" if as_of != NO_DATE else "in this evaluation (the record has no date)"


def _advice(items: Iterable[Mapping[str, Any]], as_of: int) -> str:
    """The advice that triggered a caution, with its date.

    ``Triggered by this evaluation's advice, as of 2026-03-01: add intrathecal pemetrexed (it-pemetrexed, add).``
    """
    said = [
        f"{_ADVICE.get((str(i['code']), str(i['action'])), str(i['code']))} ({i['code']}, {i['action']})" for i in items
    ]
    return f"Triggered by this evaluation's advice, {_when(as_of)}: {'; and '.join(said)}."


def _advice_of(context: Context, codes: Iterable[str]) -> str:
    wanted = set(codes)
    items = [f for f in of(context.derived, "recommendation") if f["code"] in wanted]
    return _advice(items, _as_of(context.derived))


def _it_advice(context: Context) -> dict[str, str]:
    return {"advice": _advice_of(context, ("it-pemetrexed",))}


def _toxicity_words(fact: Fact, patient: Patient, as_of: int) -> list[str]:
    """The record's toxicities behind one ``recent_cytopenia`` fact, each with its date or as undated."""
    name = f"grade {fact['grade']} {_TERMS.get(str(fact['term']), str(fact['term']))}"
    same = [t for t in patient.toxicities if t.term.value == fact["term"] and t.grade == fact["grade"]]
    said = [f"{name} on {iso(fact['day'])}" for t in same if t.date is not None and t.date.toordinal() == fact["day"]]
    if fact["day"] == as_of and any(t.date is None for t in same):
        said.append(f"{name} (undated)")
    return list(dict.fromkeys(said))


def _blood_counts(context: Context) -> dict[str, str]:
    facts, patient = context.derived, context.patient
    as_of = _as_of(facts)
    window = (
        f"from {iso(as_of - WINDOW_DAYS)} to {iso(as_of)}" if as_of != NO_DATE else "in the record (which has no dates)"
    )
    recent = sorted(of(facts, "recent_cytopenia"), key=lambda f: (-int(f["grade"]), str(f["term"]), int(f["day"])))
    if recent:
        named = [words for fact in recent for words in _toxicity_words(fact, patient, as_of)]
        cytopenias = f" Recorded {window}: {and_(named)}."
    else:
        cytopenias = (
            f" No grade 3 or higher anemia, leukopenia, neutropenia or thrombocytopenia is recorded {window} "
            "(an undated one would count)."
        )
    return {**_it_advice(context), "cytopenias": cytopenias}


def _csf_flow(context: Context) -> dict[str, str]:
    patient = context.patient
    advice = _advice(of(context.derived, "intrathecal_advice"), _as_of(context.derived))
    if patient.csf_flow.value == "unknown":
        flow = "unknown, no CSF flow study is recorded"
    elif patient.csf_flow_date is not None:
        flow = f"{patient.csf_flow.value} on the flow study of {patient.csf_flow_date.isoformat()}"
    else:
        flow = f"{patient.csf_flow.value} (the date of the flow study is not recorded)"
    return {"advice": advice, "flow": flow}


def _use_words(fact: Fact) -> str:
    route = str(fact["route"])
    if fact["basis"] == "given":
        return f"{route} pemetrexed, given since {iso(fact['start'])}"
    what = _ADVICE.get((str(fact["code"]), str(fact["action"])), str(fact["code"]))
    return f"the advice to {what} ({fact['code']}, {fact['action']})"


def _routes(context: Context) -> dict[str, str]:
    uses = of(context.derived, "pemetrexed_use")
    by_route = {
        route: and_([_use_words(f) for f in uses if f["route"] == route]) for route in ("intravenous", "intrathecal")
    }
    when = _when(_as_of(context.derived))
    return {
        "routes": f"Triggered, {when}, by {by_route['intravenous']}, together with {by_route['intrathecal']}.",
    }


def _osimertinib_advice(context: Context) -> dict[str, str]:
    return {"advice": _advice_of(context, ("osimertinib-160", "osimertinib-80", "osimertinib-tolerated"))}


def _variants(context: Context) -> dict[str, str]:
    listed = [_VARIANTS.get(v.value, v.value) for v in context.patient.egfr.variants]
    return {
        "variants": f"Triggered by the record's EGFR variants: {and_(listed)}, with no exon 19 deletion and no L858R."
    }


def _egfr_testing(context: Context) -> dict[str, str]:
    patient = context.patient
    histology = _HISTOLOGIES.get(patient.histology.value, patient.histology.value)
    involvement = [_LM[str(f["status"])] for f in of(context.derived, "lm") if f["status"] in _LM]
    if patient.brain_metastases:
        found = patient.brain_metastases_date
        involvement.append(f"brain metastases (found on {found.isoformat()})" if found else "brain metastases")
    return {
        "finding": f"Triggered by an unknown EGFR status in {histology} with {and_(involvement)}.",
        "histology_words": histology,
    }


def _ps_words(ps: Fact, ecog: int) -> str:
    scale = "ECOG" if ps["scale"] == "ecog" else "KPS"
    shown = f"{scale} {ps['score']}" + (f" (ECOG {ecog})" if ps["scale"] == "kps" else "")
    return shown + (f" on {iso(ps['date'])}" if ps["date"] != NO_DATE else " (undated)")


def _palliative(context: Context) -> dict[str, str]:
    facts = context.derived
    exhausted = any(f["code"] == "guideline-exhausted" for f in of(facts, "alert"))
    established = any(f["status"] in ("confirmed", "probable") for f in of(facts, "lm"))
    poor = of(facts, "poor_ps") if established else []
    said = []
    if exhausted:
        said.append(
            "Triggered by progression after the document's last step (guideline-exhausted): the document has no "
            "step after it."
        )
    if poor:
        ps = of(facts, "ps")[0]
        said.append(
            f"Triggered by the latest performance status, {_ps_words(ps, int(poor[0]['ecog']))}, poor by the "
            f"policy's threshold (ECOG {poor[0]['threshold']} or worse), with LM established."
        )
    return {"why": _PALLIATIVE_WHY[(exhausted, bool(poor))], "trigger": " ".join(said)}


WORDS = {
    "it-premedication": _it_advice,
    "it-blood-counts": _blood_counts,
    "it-csf-flow": _csf_flow,
    "it-dose-trials": _it_advice,
    "iv-it-pemetrexed": _routes,
    "osimertinib-label-warnings": _osimertinib_advice,
    "exon20-insertion": _variants,
    "egfr-testing": _egfr_testing,
    "palliative-care": _palliative,
}
"""The words of every caution of the safety pack, by code."""
