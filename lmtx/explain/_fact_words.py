"""Derived facts in clinical words: ``the phase: inadequate response to osimertinib alone``.

A derived fact is said by what it means, from the tables of
:mod:`lmtx.explain._words`: ``neurological exam 2026-03-02: persistent
symptoms, counting against osimertinib alone`` (the osimertinib regimen may be
160 mg a day or the highest dose tolerated after a toxicity stop). A fact type
without an entry of its own is said from its name and its values, engine
bookkeeping left out.
"""

from __future__ import annotations

from collections.abc import Callable

from lmtx._facts import DATE_FIELDS, NO_DATE, Fact
from lmtx.explain._records import FIELD_LABELS, symptoms_words, value_words
from lmtx.explain._words import (
    _BOOKKEEPING,
    _DATE_VERBS,
    _KINDS,
    _LM,
    _REGIMENS,
    _STATUS,
    PHASE_WORDS,
    REASON_WORDS,
    _agent,
    _day,
    _flag,
    _response,
    noun,
)

__all__ = ["fact_words"]


def _dated(fact: Fact, field: str = "date") -> str:
    value = fact.get(field, NO_DATE)
    return _day(value) if value != NO_DATE else ""


def _verdict(fact: Fact) -> str:
    kind = _KINDS.get(str(fact.get("kind")), value_words(fact.get("kind", "")))
    regimen = _REGIMENS.get(str(fact.get("regimen")), str(fact.get("regimen", "")).replace("-", " "))
    if "date" not in fact:
        return f"no {kind} recorded, nothing against {regimen}"
    finding = fact.get("finding", "")
    said = {"neuro": symptoms_words, "mri": _response}.get(str(fact.get("kind")), value_words)(finding)
    counts = "counting against" if fact.get("failing") else "not counting against"
    return f"{kind} {_dated(fact)}: {said}, {counts} {regimen}"


def _course(fact: Fact) -> str:
    what = noun(str(fact["t"]), article=False).replace(" course", "")
    status = _STATUS.get(str(fact.get("status")), "")
    parts = [f"begun {_dated(fact, 'start')}" if _dated(fact, "start") else "", status]
    if _dated(fact, "end"):
        parts.append(f"ended {_dated(fact, 'end')}")
    if _dated(fact, "judged_from") and fact.get("judged_from") != fact.get("start"):
        parts.append(f"judged from {_dated(fact, 'judged_from')}")
    return f"{what}, {', '.join(p for p in parts if p)}"


_FACT_WORDS: dict[str, Callable[[Fact], str]] = {
    "phase": lambda f: f"the phase: {PHASE_WORDS.get(str(f['value']), str(f['value']).replace('-', ' '))}",
    "lm": lambda f: f"{_LM.get(str(f['status']), str(f['status']))} LM",
    "applicable": lambda f: "the algorithm applies",
    "not_applicable": lambda f: REASON_WORDS.get(str(f["reason"]), str(f["reason"]).replace("-", " ")),
    "regimen": lambda f: (
        f"{_REGIMENS.get(str(f['name']), str(f['name']).replace('-', ' '))} as the regimen, "
        f"judged from {_dated(f, 'start')}"
    ),
    "verdict": _verdict,
    "high_dose_regimen": lambda f: f"osimertinib {value_words(f.get('dose', 160))} mg a day since {_dated(f, 'start')}",
    "ecog": lambda f: f"ECOG {f['score']}",
    "poor_ps": lambda f: f"poor performance status (ECOG {f.get('ecog')}; poor from ECOG {f.get('threshold')})",
    "recommendation": lambda f: f"the recommendation {f['code']} ({f.get('action', '')})",
    "alert": lambda f: f"the alert {f['code']}",
    "prognosis": lambda f: f"the prognosis note {f['code']}",
    "other_tki_in_use": lambda f: f"{_agent(f.get('agent'))} being given (another EGFR TKI)",
    "reported": lambda f: f"{value_words(f.get('term'))} grade {f.get('grade')} reported",
    **dict.fromkeys(("intrathecal_given", "intrathecal_first", "intrathecal_latest"), _course),
    **dict.fromkeys(("platinum_given", "platinum_first", "platinum_latest"), _course),
}


def fact_words(fact: Fact) -> str:
    """A derived fact in words: ``the phase: inadequate response to osimertinib alone``."""
    said = _FACT_WORDS.get(str(fact["t"]))
    if said is not None:
        try:
            return said(fact)
        except KeyError:  # a field a later rule no longer derives: say it from its values
            pass
    parts: list[str] = []
    for key, value in fact.items():
        if key in _BOOKKEEPING:
            continue
        if key in DATE_FIELDS:
            if value != NO_DATE:
                verb = "from" if key == "start" else _DATE_VERBS.get(key, key.replace("_", " "))
                parts.append(f"{verb} {_day(value)}")
        elif key == "symptoms":
            parts.append(symptoms_words(str(value)))
        elif key == "response":
            parts.append(_response(value))
        elif isinstance(value, bool):
            parts.append(_flag(key, value))
        elif value not in ("", None):
            label = FIELD_LABELS.get(key)
            parts.append(f"{label} {value_words(value)}" if label and key not in ("term",) else value_words(value))
    name = noun(str(fact["t"]), article=False)
    if not parts:
        return name
    return f"{name} {parts[0]}" if len(parts) == 1 else f"{name} ({', '.join(parts)})"
