"""The course pictures, checked by content: legend entries, lanes, the broken time axis, and every label's place.

The pictures are drawn by the installed ``lmtx timeline --plot`` on real files where the file is what is
checked, and laid out in this process (:func:`lmtx.course.plot.timeline_figure`) where the places of the
texts are: no text leaves the canvas, and no two texts overlap.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from matplotlib.colors import to_rgb

import lmtx
from lmtx.course.plot import COMPRESS_BEFORE_DAYS, PHASE_COLOURS, text_boxes, timeline_figure
from tests.course.console import run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "lmtx" / "examples").glob("*.json"))
SHORT = ROOT / "lmtx" / "examples" / "course-short.json"
YEARS = ROOT / "lmtx" / "examples" / "course-years.json"
TOXICITIES = ROOT / "lmtx" / "examples" / "course-toxicities.json"
REDUCTION = ROOT / "tests" / "course" / "reduction.json"
SAME_DAY = ROOT / "tests" / "course" / "same-day.json"
SWITCH = ROOT / "tests" / "course" / "tki-switch.json"
MUTANT: dict[str, Any] = {"histology": "adenocarcinoma", "egfr": {"status": "mutant"}}


def _svg_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)<", svg)


def _drawn(tmp_path: Path, example: Path) -> str:
    picture = tmp_path / f"{example.stem}.svg"
    done = run("timeline", str(example), "--plot", str(picture))
    assert done.returncode == 0, done.stderr
    return picture.read_text()


def _assert_texts_in_place(course: lmtx.Timeline) -> list[str]:
    """No text outside the canvas and no two texts overlapping; returns the texts shown."""
    figure = timeline_figure(course)
    boxes = text_boxes(figure)
    width, height = figure.bbox.width, figure.bbox.height
    outside = [b.text.get_text() for b in boxes if b.x0 < 0 or b.y0 < 0 or b.x1 > width or b.y1 > height]
    assert outside == []
    overlapping = [(a.text.get_text(), b.text.get_text()) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
    assert overlapping == []
    return [b.text.get_text() for b in boxes]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_no_label_leaves_the_picture_or_overlaps_another(example: Path) -> None:
    shown = _assert_texts_in_place(lmtx.timeline(example.read_text()))
    assert "MRI" in shown
    assert "Performance status" in shown


def test_a_crowded_course_keeps_its_labels_apart() -> None:
    # An MRI read as progression every four days, with symptoms and toxicities on the same days: the
    # labels that ran together ("progressionprogression") are moved apart, or shortened, never overlaid.
    days = [dt.date(2026, 1, 5) + dt.timedelta(days=4 * i) for i in range(12)]
    wire = {
        **MUTANT,
        "id": "crowded",
        "csf_cytology": [{"date": d.isoformat(), "result": "positive"} for d in days],
        "mri": [
            {"date": d.isoformat(), "leptomeningeal_enhancement": True, "response": "progression"} for d in days[1:]
        ],
        "neuro_exams": [{"date": d.isoformat(), "symptoms": "worsened"} for d in days],
        "toxicities": [{"term": "aseptic_meningitis", "grade": 2, "date": d.isoformat()} for d in days[::2]],
        "performance_status": [{"scale": "kps", "score": 60, "date": d.isoformat()} for d in days],
        "therapies": [{"agent": "osimertinib", "dose_mg": 160, "status": "active", "start": "2026-01-08"}],
    }
    shown = _assert_texts_in_place(lmtx.timeline(wire))
    assert shown.count("progression") >= 3  # some labels still show in full


def test_a_course_with_changes_plans_and_same_day_marks_keeps_its_labels_apart() -> None:
    # A reduction of osimertinib for toxicity, two toxicities and a critical alert on one day, a plan.
    shown = _assert_texts_in_place(lmtx.timeline(REDUCTION.read_text(), as_of="2026-05-04"))
    for text in ("to 80 mg (toxicity)", "rash G2", "neutropenia G4", "toxicity-myelosuppression", "as of 2026-05-04"):
        assert text in shown
    # Four toxicities and two critical alerts on one day: every label beside its own mark, none over another.
    shown = _assert_texts_in_place(lmtx.timeline(SAME_DAY.read_text(), as_of="2026-03-01"))
    assert {"rash G1", "fatigue G2", "neutropenia G4", "aseptic meningitis G4"} <= set(shown)


def test_the_legend_explains_every_mark_and_the_lanes_are_there(tmp_path: Path) -> None:
    svg = _drawn(tmp_path, TOXICITIES)
    texts = _svg_texts(svg)
    course = lmtx.timeline(TOXICITIES.read_text())
    for lane in ("Toxicity (CTCAE grade)", "Performance status", "MRI", "CSF cytology", "Neuro exam"):
        assert lane in texts
    legend = {
        "phase (band)",
        "marks",
        "therapy given (bar: start to last day)",
        "therapy stopped (hatched; label: the reason)",
        "as of: the last day shown (end of the axis)",
        "advice followed (bar: advice to start)",
        "advice open (not carried out)",
        "therapy started (advice acted on)",
        "abnormal: enhancement, positive cytology, symptoms",
        "toxicity CTCAE grade 2",
        "toxicity CTCAE grade 3",
        "PS ECOG 0-1",
        "PS ECOG 2",
        "PS ECOG 3-4",
    }
    assert legend <= set(texts)
    # Marks the picture does not use are not in the legend.
    assert "toxicity CTCAE grade 1" not in texts
    assert "earlier history, time compressed" not in texts
    assert len(re.findall(r'id="toxicity-\d+"', svg)) == len(course.patient.toxicities) == 3
    assert len(re.findall(r'id="ps-\d+"', svg)) == len(course.patient.performance_statuses) == 3
    for label in ("rash G2", "neutropenia G3", "fatigue G2", "ECOG 1", "ECOG 2", "ECOG 3"):
        assert label in texts
    # The title says where the patient stands now.
    assert f"Now: {course.result.phase}" in " ".join(texts)


def test_a_course_of_years_shows_the_lm_period_readably(tmp_path: Path) -> None:
    course = lmtx.timeline(YEARS.read_text())
    diagnosis = next(s.date for s in course.steps if s.lm_status in ("confirmed", "probable"))
    assert diagnosis is not None
    assert course.steps[0].date is not None
    assert (diagnosis - course.steps[0].date).days > COMPRESS_BEFORE_DAYS
    figure = timeline_figure(course)
    early, late = figure.axes[:2]
    # The course from the LM diagnosis takes most of the width; the earlier history is compressed.
    assert late.bbox.width > 3 * early.bbox.width
    late_first = dt.date.fromordinal(int(late.get_xlim()[0]) + dt.date(1970, 1, 1).toordinal())
    assert dt.timedelta(days=0) < diagnosis - late_first <= dt.timedelta(days=60)
    svg = _drawn(tmp_path, YEARS)
    texts = _svg_texts(svg)
    assert "earlier history, compressed" in texts
    assert "from the first symptoms on (2025-09-15)" in texts  # two days before the MRI that found LM
    assert "earlier history, time compressed" in texts  # its legend entry
    assert 'id="compressed-history"' in svg
    # A band or bar across the break keeps its id in the panel where it begins; the rest is '-cont'.
    assert len(re.findall(r'id="therapy-\d+"', svg)) == len(course.patient.therapies)
    assert 'id="therapy-1-cont"' in svg  # osimertinib 80 mg ran on past the LM diagnosis
    # Gefitinib stopped for progression is hatched; osimertinib 80 mg ended for a change of dose is not.
    hatches = {p.get_gid(): p.get_hatch() for a in figure.axes for p in a.patches if p.get_gid()}
    assert hatches["therapy-0"] == "///"
    assert hatches["therapy-1"] is None


def test_a_short_course_has_one_time_axis(tmp_path: Path) -> None:
    texts = _svg_texts(_drawn(tmp_path, SHORT))
    assert "earlier history, compressed" not in texts
    assert "no toxicity recorded" in texts  # an empty lane says so
    assert len(timeline_figure(lmtx.timeline(SHORT.read_text())).axes) == 1


def test_the_current_phase_shows_when_it_began_on_the_last_day() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "mri": [
            {"date": "2026-01-06", "leptomeningeal_enhancement": True, "response": "baseline"},
            {"date": "2026-06-01", "leptomeningeal_enhancement": True, "response": "progression"},
        ],
        "neuro_exams": [{"date": "2026-06-01", "symptoms": "worsened"}],
        "therapies": [
            {"agent": "osimertinib", "dose_mg": 160, "status": "active", "start": "2026-01-10"},
            {"agent": "pemetrexed", "route": "intrathecal", "dose_mg": 50, "status": "active", "start": "2026-02-01"},
        ],
    }
    course = lmtx.timeline(wire)
    assert course.steps[-2].phase != course.steps[-1].phase  # the phase changed on the last day
    figure = timeline_figure(course)
    (axes,) = figure.axes
    bands = [p for p in axes.patches if (p.get_gid() or "").startswith("phase-band-")]
    last = max(bands, key=lambda p: int((p.get_gid() or "").split("-")[2]))
    # Its band is the last day (the axis ends there), and the as-of label wears its colour.
    assert last.get_window_extent().width >= 4  # pixels: a visible band, not a line
    assert last.get_facecolor()[:3] == pytest.approx(to_rgb(PHASE_COLOURS[course.result.phase]))
    (stamp,) = [t for t in axes.texts if t.get_gid() == "as-of-label"]
    patch = stamp.get_bbox_patch()
    assert patch is not None
    assert patch.get_facecolor()[:3] == pytest.approx(to_rgb(PHASE_COLOURS[course.result.phase]))
    texts = [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]
    assert any(f"Now: {course.result.phase}" in t for t in texts)


def test_the_text_report_explains_its_marks_in_its_footer() -> None:
    # Gefitinib stopped, a day without a TKI, erlotinib begun; brain metastases without a date.
    done = run("timeline", str(SWITCH), "--as-of", "2026-02-15")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    footer = text[text.index("How to read this report:") :]
    for mark in ("+code action", "-code", "!code severity", "a > b", "*", "STATUS"):
        assert mark in footer
    assert "switch > start > switch" in text
    # The episode that rests on undated brain metastases alone is starred in the table.
    assert re.search(r"osimertinib-80 .* \*", text)
    plain = run("timeline", str(SHORT)).stdout
    assert "a > b" not in plain  # only the marks the report uses are explained
    assert "How to read this report:" in plain
