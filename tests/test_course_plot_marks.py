"""The marks of the course picture a clinician reads first, checked by content (artists, ids, texts).

The time axis ends at ``as_of``; planned therapies are marked at its line; the current LM story is never
compressed; marks of one day never hide each other; a change of osimertinib dose is no stop, and a stop
says why; critical alerts are marked on the day they first appear; advice to hold shows as advice; every
symbol is in the legend. The records are in ``tests/course/``: ``reduction.json`` (a dose reduction for
toxicity, same-day toxicities, a critical alert, a plan), ``same-day.json`` (four toxicities of one day)
and ``tki-switch.json`` (one TKI after another, brain metastases without a date).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from matplotlib.colors import to_rgb
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle

import lmtx
from lmtx.course.plot import timeline_figure
from lmtx.course.replay import Step
from tests.course.console import run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "lmtx" / "examples").glob("course*.json"))
YEARS = ROOT / "lmtx" / "examples" / "course-years.json"
TOXICITIES = ROOT / "lmtx" / "examples" / "course-toxicities.json"
REDUCTION = ROOT / "tests" / "course" / "reduction.json"
REDUCTION_AS_OF = "2026-05-04"
SAME_DAY = ROOT / "tests" / "course" / "same-day.json"
SWITCH = ROOT / "tests" / "course" / "tki-switch.json"
D = dt.date.fromisoformat
MUTANT: dict[str, Any] = {"histology": "adenocarcinoma", "egfr": {"status": "mutant"}}


def x(day: dt.date | str) -> float:
    return float(date2num(D(day) if isinstance(day, str) else day))


def reduction() -> lmtx.Timeline:
    return lmtx.timeline(REDUCTION.read_text(), as_of=REDUCTION_AS_OF)


def artists(figure: Figure, prefix: str) -> list[Any]:
    """Every line and patch of the figure whose id starts with ``prefix``."""
    found = [a for axes in figure.axes for a in [*axes.get_lines(), *axes.patches]]
    return [a for a in found if (a.get_gid() or "").startswith(prefix)]


def shown(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")) if t.get_visible()]


def legend_texts(figure: Figure) -> list[str]:
    return [t.get_text() for legend in figure.legends for t in legend.get_texts()]


def right_edge(artist: Any) -> float:
    """The largest x (date number) an artist reaches."""
    if isinstance(artist, Line2D):
        return float(max(artist.get_xdata()))  # type: ignore[arg-type]
    if isinstance(artist, Rectangle):
        return float(artist.get_x() + artist.get_width())
    if isinstance(artist, Polygon):
        return float(max(artist.get_xy()[:, 0]))
    raise AssertionError(f"unexpected artist {artist!r}")


# --------------------------------------------------------------------------- the end of the time axis


@pytest.mark.parametrize("course", [*EXAMPLES, REDUCTION], ids=lambda p: p.name)
def test_the_time_axis_ends_at_as_of_and_nothing_but_plans_goes_past_it(course: Path) -> None:
    timeline = reduction() if course == REDUCTION else lmtx.timeline(course.read_text())
    assert timeline.as_of is not None
    figure = timeline_figure(timeline)
    last = figure.axes[-1]
    line = x(timeline.as_of + dt.timedelta(days=1))  # the end of the last day
    assert last.get_xlim()[1] == pytest.approx(line)
    (marker,) = artists(figure, "as-of")
    assert list(marker.get_xdata()) == pytest.approx([line, line])
    assert f"as of {timeline.as_of.isoformat()}" in shown(figure)
    drawn = [a for a in artists(figure, "") if not (a.get_gid() or "").startswith(("planned-", "as-of"))]
    assert drawn
    beyond = [a.get_gid() for a in drawn if right_edge(a) > line + 1e-9]
    assert beyond == []


def test_a_planned_therapy_is_a_labelled_mark_at_the_as_of_line() -> None:
    figure = timeline_figure(reduction())
    (plan,) = artists(figure, "planned-")
    assert list(plan.get_xdata()) == pytest.approx([x("2026-05-05")])
    texts = shown(figure)
    assert "carboplatin intravenous (planned)" in texts  # its row
    assert "planned from 2026-05-11" in texts  # its label: the start is after as_of
    assert "therapy planned (marked at the as-of line)" in legend_texts(figure)


# --------------------------------------------------------------------------- the break of the time axis


def test_the_compressed_panel_never_holds_the_current_lm_story() -> None:
    # Years of gefitinib, then symptoms from June 2025 that were only worked up in September: the
    # break falls before the first exam of that run of symptoms, not a week before the diagnosis.
    wire = {
        **MUTANT,
        "id": "late-workup",
        "neuro_exams": [
            {"date": "2023-03-01", "symptoms": "new"},
            {"date": "2023-04-01", "symptoms": "resolved"},
            {"date": "2025-06-02", "symptoms": "new"},
            {"date": "2025-07-14", "symptoms": "persistent"},
            {"date": "2025-09-22", "symptoms": "worsened"},
        ],
        "mri": [{"date": "2025-09-17", "leptomeningeal_enhancement": True, "response": "baseline"}],
        "csf_cytology": [{"date": "2025-09-22", "result": "positive"}],
        "therapies": [
            {"agent": "gefitinib", "status": "active", "start": "2023-02-13"},
        ],
    }
    course = lmtx.timeline(wire, as_of="2026-02-02")
    figure = timeline_figure(course)
    early, late = figure.axes
    assert late.get_xlim()[0] < x("2025-06-02")  # the break, before the story
    in_early = {a.get_gid() for a in early.get_lines() if (a.get_gid() or "").startswith("assessment-")}
    in_late = {a.get_gid() for a in late.get_lines() if (a.get_gid() or "").startswith("assessment-")}
    assert in_early == {"assessment-neuro-0", "assessment-neuro-1"}  # the earlier run, resolved in 2023
    assert {"assessment-neuro-2", "assessment-neuro-3", "assessment-neuro-4"} <= in_late
    assert "from the first symptoms on (2025-06-02)" in shown(figure)


def test_without_symptoms_before_it_the_story_begins_at_the_lm_diagnosis() -> None:
    wire = {
        **MUTANT,
        "neuro_exams": [{"date": "2025-10-01", "symptoms": "new"}],  # after the diagnosis
        "mri": [
            {"date": "2023-02-01", "leptomeningeal_enhancement": False},
            {"date": "2025-09-17", "leptomeningeal_enhancement": True, "response": "baseline"},
        ],
        "therapies": [{"agent": "gefitinib", "status": "active", "start": "2023-02-13"}],
    }
    figure = timeline_figure(lmtx.timeline(wire, as_of="2026-02-02"))
    _, late = figure.axes
    assert x("2025-08-01") < late.get_xlim()[0] < x("2025-09-17")
    assert "from the LM diagnosis on (2025-09-17)" in shown(figure)


# --------------------------------------------------------------------------- marks of one day


def test_marks_on_one_day_never_hide_each_other() -> None:
    # A rash (grade 2) and a neutropenia (grade 4) recorded the same day: both show, apart, in their colours.
    figure = timeline_figure(reduction())
    rash, neutropenia = (next(iter(artists(figure, f"toxicity-{i}"))) for i in (0, 1))
    assert rash.get_xdata()[0] == neutropenia.get_xdata()[0]
    boxes = [mark.get_window_extent() for mark in (rash, neutropenia)]
    assert not boxes[0].overlaps(boxes[1])
    assert to_rgb(rash.get_markerfacecolor()) == to_rgb("#f97316")  # grade 2
    assert to_rgb(neutropenia.get_markerfacecolor()) == to_rgb("#7f1d1d")  # grade 4
    texts = shown(figure)
    assert "rash G2" in texts
    assert "neutropenia G4" in texts


def test_many_marks_on_one_day_stay_apart_in_every_lane() -> None:
    # Four toxicities of one day, two of grade 4: four squares and two critical alerts, none on another.
    figure = timeline_figure(lmtx.timeline(SAME_DAY.read_text(), as_of="2026-03-01"))
    for lane in ("toxicity-", "alert-"):
        boxes = [mark.get_window_extent() for mark in artists(figure, lane)]
        assert len(boxes) > 1
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]), lane


# --------------------------------------------------------------------------- changes of dose and stops


def test_a_change_of_osimertinib_dose_is_drawn_as_a_change_with_its_dose_and_reason() -> None:
    # 160 mg stopped for toxicity on 2026-02-20, 80 mg from 2026-02-24: a reduction, not a stop.
    figure = timeline_figure(reduction())
    texts = shown(figure)
    assert "osimertinib 160 mg → 80 mg oral" in texts  # one row for osimertinib, its doses in order
    (change,) = artists(figure, "dose-change-")
    assert list(change.get_xdata()) == pytest.approx([x("2026-02-24")])
    assert "to 80 mg (toxicity)" in texts
    hatches = {a.get_gid(): a.get_hatch() for a in artists(figure, "therapy-")}
    assert hatches["therapy-0"] is None  # the 160 mg regimen is not hatched as a stop
    # Intrathecal pemetrexed stopped for toxicity is a stop: hatched, with its reason at its end.
    assert hatches["therapy-2"] == "///"
    assert "stopped: toxicity" in texts
    assert "osimertinib dose changed within 7 days (a → b: the doses in order)" in legend_texts(figure)


def test_a_pause_longer_than_a_week_is_a_stop_and_a_restart() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [
            {
                "agent": "osimertinib",
                "dose_mg": 160,
                "status": "stopped",
                "start": "2026-01-08",
                "end": "2026-02-01",
                "stop_reason": "other",
            },
            {"agent": "osimertinib", "dose_mg": 160, "status": "active", "start": "2026-02-20"},
        ],
    }
    figure = timeline_figure(lmtx.timeline(wire, as_of="2026-03-01"))
    assert artists(figure, "dose-change-") == []
    hatches = {a.get_gid(): a.get_hatch() for a in artists(figure, "therapy-")}
    assert hatches["therapy-0"] == "///"
    texts = shown(figure)
    assert "stopped: other reason" in texts
    assert "restarted, 160 mg" in texts
    assert "osimertinib 160 mg" in texts  # one row; the dose did not change


def test_an_escalation_recorded_with_a_late_end_is_a_change_of_dose(tmp_path: Path) -> None:
    # The shipped course of years: 80 mg ended 2025-09-25 for a change of dose, 160 mg from 2025-09-26.
    svg_path = tmp_path / "years.svg"
    assert run("timeline", str(YEARS), "--plot", str(svg_path)).returncode == 0
    texts = re.findall(r"<text[^>]*>([^<]*)<", svg_path.read_text())
    assert "osimertinib 80 mg → 160 mg oral" in texts
    assert "to 160 mg" in texts  # the reason, a change of dose, goes without saying
    assert 'id="dose-change-2"' in svg_path.read_text()


# --------------------------------------------------------------------------- alerts and advice


def test_a_critical_alert_is_marked_on_the_day_it_first_appears() -> None:
    course = reduction()
    critical = [s.date for s in course.steps if s.alerts.get("toxicity-myelosuppression") == "critical"]
    assert len(critical) > 1  # it stands on every step from the grade 4 neutropenia on
    figure = timeline_figure(course)
    (mark,) = artists(figure, "alert-")
    assert list(mark.get_xdata()) == pytest.approx([x(critical[0])])
    texts = shown(figure)
    assert "Critical alert" in texts
    assert "toxicity-myelosuppression" in texts
    assert "critical alert, on the day it first appears" in legend_texts(figure)


def _with_hold(course: lmtx.Timeline, code: str, days: set[dt.date]) -> lmtx.Timeline:
    """The course with ``code`` advised as ``hold`` on ``days`` (advice the rules of this version do not give)."""
    template = next(r for s in course.steps for r in s.result.recommendations if r.code == code)
    steps = []
    for step in course.steps:
        kept = tuple(r for r in step.result.recommendations if r.code != code)
        if step.date in days:
            kept += (attrs.evolve(template, action="hold"),)
        steps.append(Step(step.date, attrs.evolve(step.result, recommendations=kept)))
    return attrs.evolve(course, steps=tuple(steps))


def test_hold_advice_shows_as_advice_over_the_days_it_stood() -> None:
    course = _with_hold(lmtx.timeline(TOXICITIES.read_text()), "it-pemetrexed", {D("2026-04-20"), D("2026-04-21")})
    figure = timeline_figure(course)
    assert "it-pemetrexed hold (advice)" in shown(figure)
    (hold,) = artists(figure, "hold-")
    # From the first day it was advised to the day before the next step (2026-05-04), which ended it.
    assert list(hold.get_xdata()) == pytest.approx([x("2026-04-20"), x("2026-05-04")])
    assert "advice to hold (maintenance advice, no episode)" in legend_texts(figure)


# --------------------------------------------------------------------------- the legend


_EXPLAINED = {
    "as-of": "as of: the last day shown (end of the axis)",
    "planned-": "therapy planned (marked at the as-of line)",
    "dose-change-": "osimertinib dose changed within 7 days (a → b: the doses in order)",
    "alert-": "critical alert, on the day it first appears",
    "hold-": "advice to hold (maintenance advice, no episode)",
    "compressed-history": "earlier history, time compressed",
}


@pytest.mark.parametrize("course", [*EXAMPLES, REDUCTION], ids=lambda p: p.name)
def test_every_symbol_drawn_is_in_the_legend(course: Path) -> None:
    timeline = reduction() if course == REDUCTION else lmtx.timeline(course.read_text())
    figure = timeline_figure(timeline)
    legend = legend_texts(figure)
    for prefix, words in _EXPLAINED.items():
        assert bool(artists(figure, prefix)) == (words in legend), prefix


def test_the_signs_in_labels_are_explained_too() -> None:
    # Gefitinib stopped, a day without a TKI, erlotinib begun; brain metastases without a date:
    # a row 'switch > start > switch' and an episode on an undated basis.
    figure = timeline_figure(lmtx.timeline(SWITCH.read_text(), as_of="2026-02-15"))
    assert any(" > " in text for text in shown(figure))
    legend = legend_texts(figure)
    assert "a > b: one decision through successive advice" in legend
    assert "* or (undated basis): advised on brain metastases without a date" in legend
    plain = legend_texts(timeline_figure(reduction()))
    assert not any(text.startswith("* or") for text in plain)
