"""The course of the advice added in rev. 2026-12-07, read from replayed records, checked by content.

``osimertinib-tolerated`` ``resume`` is an episode carried out by any osimertinib, and none on a day
another EGFR TKI is given; its ``continue`` makes none, and a 160 mg start after it is the team's
decision, never ``not-indicated``; ``it-pemetrexed`` ``hold`` makes no episode, a course started while
it stands is not ``not-indicated``, and the picture shows it as advice; the audit counts the resume
episodes. The readings are those of docs/course.md (episodes, concordance) and docs/interpretation.md
(the highest tolerable dose, an intrathecal course on hold). Every record here is a whole record,
replayed by :func:`lmtx.timeline`, after those of ``tests/scenarios/tolerance-*``, ``run-*`` and
``hold-*``; ``tests/test_course_concordance.py`` checks the same readings on steps built by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from matplotlib.dates import date2num
from matplotlib.figure import Figure

import lmtx
from lmtx.course.plot import plot_audit, timeline_figure
from tests.course.console import run

D = dt.date.fromisoformat
TOLERATED = "osimertinib-tolerated"
INTRATHECAL = "it-pemetrexed"


# --------------------------------------------------------------------------- records


def _lm(first_day: str, exams: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    """EGFR-mutant adenocarcinoma with LM found on symptoms the day before ``first_day`` and confirmed on it."""
    onset = (D(first_day) - dt.timedelta(days=1)).isoformat()
    return {
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant", "variants": ["exon19_deletion"]},
        "systemic_disease": "controlled",
        "csf_flow": "normal",
        "performance_status": {"scale": "ecog", "score": 1, "date": onset},
        "neuro_exams": [{"date": onset, "symptoms": "new"}, *exams],
        "csf_cytology": [{"date": first_day, "result": "positive"}],
        "mri": [{"date": first_day, "leptomeningeal_enhancement": True, "response": "baseline"}],
        **more,
    }


def _osimertinib(dose: float, start: str, **more: Any) -> dict[str, Any]:
    return {"agent": "osimertinib", "dose_mg": dose, "status": "active", "start": start, **more}


def _intrathecal(start: str, **more: Any) -> dict[str, Any]:
    return {"agent": "pemetrexed", "route": "intrathecal", "dose_mg": 50, "status": "active", "start": start, **more}


def withheld(*therapies: dict[str, Any], exams: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """Osimertinib 160 mg from 2026-01-10, stopped for a grade 3 rash (last day 2026-03-01), not given since.

    After ``tolerance-withhold-resume-inadequate-response``: persistent symptoms on the last day given
    (inadequate response), so from 2026-03-02 ``osimertinib-tolerated`` ``resume``, for at most the 21
    days the label allows a withhold (through 2026-03-22).
    """
    return _lm(
        "2026-01-06",
        [{"date": "2026-03-01", "symptoms": "persistent"}, *exams],
        id="withheld-for-rash",
        therapies=[
            _osimertinib(160, "2026-01-10", status="stopped", stop_reason="toxicity", end="2026-03-01"),
            *therapies,
        ],
        toxicities=[{"term": "rash", "grade": 3, "date": "2026-02-27"}],
    )


def given_again_at_the_stopped_dose() -> dict[str, Any]:
    """After ``run-toxicity-stop-held-within-21-days``: 160 mg stopped for grade 3 fatigue, given again 15 days on."""
    return _lm(
        "2026-01-06",
        [{"date": "2026-02-18", "symptoms": "persistent"}],
        id="given-again-at-160",
        therapies=[
            _osimertinib(160, "2026-01-10", status="stopped", stop_reason="toxicity", end="2026-02-20"),
            _osimertinib(160, "2026-03-07"),
        ],
        toxicities=[{"term": "fatigue", "grade": 3, "date": "2026-02-19"}],
    )


def reduced_for_rash(*therapies: dict[str, Any], last: dict[str, Any] | None = None) -> dict[str, Any]:
    """After ``tolerance-160-reduced-to-80-for-rash``: 160 mg reduced to 80 mg on 2025-06-11 for a grade 3 rash.

    ``last`` replaces the 80 mg regimen (active from 2025-06-11 when not given).
    """
    return _lm(
        "2025-01-05",
        [{"date": "2025-07-15", "symptoms": "improved"}],
        id="reduced-for-rash",
        mri=[
            {"date": "2025-01-05", "leptomeningeal_enhancement": True, "response": "baseline"},
            {"date": "2025-07-16", "leptomeningeal_enhancement": True, "response": "stable"},
        ],
        therapies=[
            _osimertinib(160, "2025-01-10", status="stopped", stop_reason="dose-change", end="2025-06-10"),
            last or _osimertinib(80, "2025-06-11"),
            *therapies,
        ],
        toxicities=[
            {"term": "rash", "grade": 3, "date": "2025-06-08"},
            {"term": "rash", "grade": 3, "date": "2025-07-15"},
        ],
    )


def intrathecal_stopped_for_toxicity(*therapies: dict[str, Any]) -> dict[str, Any]:
    """After ``hold-intrathecal-course-stopped-for-toxicity``: on osimertinib 160 mg, an intrathecal course
    begun 2025-08-01 without advice asking for it (response holding), stopped for toxicity after 2025-08-21."""
    return _lm(
        "2025-01-05",
        [{"date": "2025-09-05", "symptoms": "improved"}],
        id="intrathecal-stopped-for-toxicity",
        mri=[
            {"date": "2025-01-05", "leptomeningeal_enhancement": True, "response": "baseline"},
            {"date": "2025-07-16", "leptomeningeal_enhancement": True, "response": "stable"},
        ],
        therapies=[
            _osimertinib(160, "2025-01-10"),
            _intrathecal("2025-08-01", status="stopped", stop_reason="toxicity", end="2025-08-21"),
            *therapies,
        ],
    )


def intrathecal_with_thrombocytopenia(*therapies: dict[str, Any]) -> dict[str, Any]:
    """After ``hold-thrombocytopenia-linked-to-intrathecal-pemetrexed``: a course completed on 2025-08-19, then a
    grade 4 thrombocytopenia on 2025-08-20 (an injection needs adequate counts)."""
    return _lm(
        "2025-01-05",
        [{"date": "2025-08-22", "symptoms": "improved"}],
        id="intrathecal-thrombocytopenia",
        mri=[
            {"date": "2025-01-05", "leptomeningeal_enhancement": True, "response": "baseline"},
            {"date": "2025-08-22", "leptomeningeal_enhancement": True, "response": "partial_response"},
        ],
        therapies=[
            _osimertinib(160, "2025-01-10"),
            _intrathecal("2025-04-01", status="completed", stop_reason="course-completed", end="2025-04-15"),
            _intrathecal("2025-08-01", status="completed", stop_reason="course-completed", end="2025-08-19"),
            *therapies,
        ],
        toxicities=[{"term": "thrombocytopenia", "grade": 4, "date": "2025-08-20"}],
    )


def brain_metastases_undated() -> dict[str, Any]:
    """``tolerance-cns-continue-below-limit``: brain metastases without a date, no LM; 80 mg stopped for toxicity,
    40 mg given 9 days later (a resume on an undated basis)."""
    return {
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant", "variants": ["exon19_deletion"]},
        "systemic_disease": "controlled",
        "csf_flow": "normal",
        "brain_metastases": True,
        "performance_status": {"scale": "ecog", "score": 1},
        "id": "brain-metastases-undated",
        "therapies": [
            _osimertinib(80, "2025-06-01", status="stopped", stop_reason="toxicity", end="2025-12-01"),
            _osimertinib(40, "2025-12-10"),
        ],
    }


# --------------------------------------------------------------------------- reading a course


def entries(course: lmtx.Timeline, code: str) -> list[dict[str, Any]]:
    """The concordance entries of ``code``, in the wire form."""
    return [e.to_dict() for e in course.concordance if e.code == code]


def advised(course: lmtx.Timeline, code: str) -> dict[str, str]:
    """Day -> action of ``code``, on the steps that recommend it."""
    return {s.date.isoformat(): s.recommendations[code] for s in course.steps if s.date and code in s.recommendations}


def started_on(course: lmtx.Timeline, day: str) -> list[dict[str, Any]]:
    """Every entry a start on ``day`` carried out or was reported as."""
    return [e.to_dict() for e in course.concordance if e.acted_on == D(day)]


# --------------------------------------------------------------------------- 1. resume: followed, open, lapsed


@pytest.mark.parametrize(
    ("record", "as_of", "expected"),
    [
        pytest.param(
            given_again_at_the_stopped_dose(),
            "2026-03-20",
            ("2026-02-21", "2026-02-21", "2026-03-07", 14),
            id="160 mg again after 160 mg",
        ),
        pytest.param(
            withheld(_osimertinib(80, "2026-03-12")),
            "2026-03-20",
            ("2026-03-02", "2026-03-02", "2026-03-12", 10),
            id="80 mg after 160 mg",
        ),
    ],
)
def test_resume_carried_out_at_or_below_the_stopped_dose_is_followed(
    record: dict[str, Any], as_of: str, expected: tuple[str, str, str, int]
) -> None:
    course = lmtx.timeline(record, as_of=as_of)
    first, until, acted_on, lag = expected
    assert advised(course, TOLERATED)[first] == "resume"
    assert entries(course, TOLERATED) == [
        {
            "code": TOLERATED,
            "action": "resume",
            "indicated_from": first,
            "indicated_until": until,
            "acted_on": acted_on,
            "lag_days": lag,
            "status": "followed",
        }
    ]
    # The start is the resumption, nothing else: no second entry, no start reported as unprompted.
    assert started_on(course, acted_on) == entries(course, TOLERATED)
    assert all(e.status != "not-indicated" or e.code != "osimertinib-160" for e in course.concordance)
    # Once osimertinib is given again, resume is no longer advised.
    assert "resume" not in {s.recommendations.get(TOLERATED) for s in course.steps if s.date and s.date >= D(acted_on)}


@pytest.mark.parametrize(
    ("as_of", "last_advice", "status", "until"),
    [
        ("2026-03-08", "resume", "open", "2026-03-08"),
        ("2026-03-22", "resume", "open", "2026-03-22"),  # the 21st day after the last day given
        ("2026-03-23", "review", "lapsed", "2026-03-02"),  # the label's 21 days are over: a specialist's review
        ("2026-04-20", "review", "lapsed", "2026-03-02"),
    ],
)
def test_resume_not_acted_on_is_open_within_the_withhold_and_lapsed_after_it(
    as_of: str, last_advice: str, status: str, until: str
) -> None:
    course = lmtx.timeline(withheld(), as_of=as_of)
    assert course.steps[-1].recommendations[TOLERATED] == last_advice
    # The one entry: review (a specialist's decision) asks for nothing new and opens no episode.
    assert entries(course, TOLERATED) == [
        {
            "code": TOLERATED,
            "action": "resume",
            "indicated_from": "2026-03-02",
            "indicated_until": until,
            "acted_on": None,
            "lag_days": None,
            "status": status,
        }
    ]


# --------------------------------------------------------------------------- 2. another EGFR TKI given


def test_resume_makes_no_episode_while_erlotinib_is_given() -> None:
    # Erlotinib from the first day off osimertinib: resume is still the advice, and its detail names
    # erlotinib; but days on another TKI are no lag in giving osimertinib again, so no episode.
    erlotinib = {"agent": "erlotinib", "dose_mg": 150, "status": "active", "start": "2026-03-02"}
    course = lmtx.timeline(withheld(erlotinib), as_of="2026-03-08")
    assert advised(course, TOLERATED) == {"2026-03-02": "resume", "2026-03-08": "resume"}
    (item,) = (r for r in course.result.recommendations if r.code == TOLERATED)
    assert "erlotinib 150 mg a day" in item.detail
    assert entries(course, TOLERATED) == []


def test_a_planned_tki_does_not_suppress_resume() -> None:
    # A plan is not a TKI given: the episode stands, open.
    planned = {"agent": "erlotinib", "dose_mg": 150, "status": "planned"}
    course = lmtx.timeline(withheld(planned), as_of="2026-03-08")
    assert [(e["indicated_from"], e["status"]) for e in entries(course, TOLERATED)] == [("2026-03-02", "open")]


def test_resume_opens_on_the_first_day_off_the_other_tki() -> None:
    # Erlotinib given 2026-03-02 to 2026-03-10, osimertinib 80 mg from 2026-03-16: the episode opens on
    # 2026-03-11, so its lag (5 days) measures the care after the other TKI, not the days on it.
    erlotinib = {
        "agent": "erlotinib",
        "dose_mg": 150,
        "status": "stopped",
        "stop_reason": "other",
        "start": "2026-03-02",
        "end": "2026-03-10",
    }
    course = lmtx.timeline(withheld(erlotinib, _osimertinib(80, "2026-03-16")), as_of="2026-03-20")
    assert advised(course, TOLERATED) == {
        "2026-03-02": "resume",
        "2026-03-11": "resume",
        "2026-03-16": "continue",
        "2026-03-20": "continue",
    }
    assert [
        (e["indicated_from"], e["indicated_until"], e["acted_on"], e["lag_days"], e["status"])
        for e in entries(course, TOLERATED)
    ] == [("2026-03-11", "2026-03-11", "2026-03-16", 5, "followed")]


# --------------------------------------------------------------------------- 3. tolerated continue, then 160 mg


def test_a_160_mg_start_after_the_tolerated_dose_is_the_teams_decision_not_unprompted() -> None:
    # 80 mg (the tolerated dose, continue) ended on 2025-08-31 for a change of dose; 160 mg from 2025-09-01.
    course = lmtx.timeline(
        reduced_for_rash(
            _osimertinib(160, "2025-09-01"),
            last=_osimertinib(80, "2025-06-11", status="stopped", stop_reason="dose-change", end="2025-08-31"),
        ),
        as_of="2025-10-01",
    )
    before = [s for s in course.steps if s.date and s.date < D("2025-09-01")][-1]
    assert before.recommendations.get(TOLERATED) == "continue"
    assert "osimertinib-160" not in before.recommendations
    assert course.steps[-1].recommendations.get("osimertinib-160") == "continue"
    assert started_on(course, "2025-09-01") == []
    assert [(e.code, e.action, e.acted_on, e.status) for e in course.concordance] == [
        ("osimertinib-160", "start", D("2025-01-10"), "followed"),
    ]
    # continue of the tolerated dose makes no episode.
    assert entries(course, TOLERATED) == []


# --------------------------------------------------------------------------- 4. it-pemetrexed hold


@pytest.mark.parametrize(
    ("record", "unadvised", "held", "next_course"),
    [
        pytest.param(
            intrathecal_stopped_for_toxicity(_intrathecal("2025-09-24")),
            "2025-08-01",
            ["2025-08-22", "2025-09-05"],
            "2025-09-24",
            id="course stopped for toxicity",
        ),
        pytest.param(
            intrathecal_with_thrombocytopenia(_intrathecal("2025-09-20")),
            "2025-04-01",
            ["2025-08-20", "2025-08-22"],
            "2025-09-20",
            id="grade 4 thrombocytopenia",
        ),
    ],
)
def test_hold_makes_no_episode_and_a_course_started_while_it_stands_is_not_unprompted(
    record: dict[str, Any], unadvised: str, held: list[str], next_course: str
) -> None:
    course = lmtx.timeline(record, as_of="2025-10-01")
    advice = advised(course, INTRATHECAL)
    assert [day for day, action in advice.items() if action == "hold"] == held
    assert advice[next_course] == "continue"  # the team resumed
    # The only intrathecal entry is the first course, begun with no advice asking for it: the same
    # record can report an intrathecal start as not-indicated, but not the one begun during the hold.
    assert entries(course, INTRATHECAL) == [
        {
            "code": INTRATHECAL,
            "action": None,
            "indicated_from": None,
            "indicated_until": None,
            "acted_on": unadvised,
            "lag_days": None,
            "status": "not-indicated",
        }
    ]
    assert started_on(course, next_course) == []
    assert all(e.action != "hold" for e in course.concordance)


# --------------------------------------------------------------------------- 5. the hold in the picture


def _x(day: str) -> float:
    return float(date2num(D(day)))


def _hold_bars(figure: Figure) -> list[Any]:
    return [line for axes in figure.axes for line in axes.get_lines() if (line.get_gid() or "").startswith("hold-")]


def _row_of(figure: Figure, label: str) -> int:
    (axes,) = figure.axes  # no compressed history in these courses
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels.count(label) == 1, labels
    return int(axes.get_yticks()[labels.index(label)])


@pytest.mark.parametrize(
    ("record", "as_of", "until"),
    [
        # The hold stands at as_of: the bar runs to the as-of line (the end of 2025-09-10).
        (intrathecal_stopped_for_toxicity(), "2025-09-10", "2025-09-11"),
        # A new course on 2025-09-24 ended it: the bar runs through 2025-09-23.
        (intrathecal_stopped_for_toxicity(_intrathecal("2025-09-24")), "2025-10-01", "2025-09-24"),
    ],
    ids=["standing at as_of", "ended by the next course"],
)
def test_the_hold_is_a_row_of_the_picture_over_the_days_it_stood(
    record: dict[str, Any], as_of: str, until: str
) -> None:
    course = lmtx.timeline(record, as_of=as_of)
    figure = timeline_figure(course)
    (bar,) = _hold_bars(figure)
    assert list(bar.get_xdata()) == pytest.approx([_x("2025-08-22"), _x(until)])
    assert set(bar.get_ydata()) == {_row_of(figure, "it-pemetrexed hold (advice)")}
    assert "advice to hold (maintenance advice, no episode)" in [
        t.get_text() for legend in figure.legends for t in legend.get_texts()
    ]
    # It is advice, not an episode: the only other intrathecal row is the course begun without advice.
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert [label for label in labels if label.startswith(INTRATHECAL)] == [
        "it-pemetrexed hold (advice)",
        "it-pemetrexed (not indicated)",
    ]


def test_timeline_plot_draws_the_hold_of_a_real_record(tmp_path: Path) -> None:
    source, picture = tmp_path / "patient.json", tmp_path / "course.svg"
    source.write_text(json.dumps(intrathecal_stopped_for_toxicity()))
    done = run("timeline", str(source), "--as-of", "2025-09-10", "--plot", str(picture))
    assert done.returncode == 0, done.stderr
    assert "+it-pemetrexed hold" in done.stdout
    svg = picture.read_text()
    assert re.findall(r'id="hold-(\d+)"', svg) == ["0"]
    texts = re.findall(r"<text[^>]*>([^<]*)<", svg)
    assert "it-pemetrexed hold (advice)" in texts
    assert "advice to hold (maintenance advice, no episode)" in texts


# --------------------------------------------------------------------------- 6. the audit


def _cohort() -> list[dict[str, Any]]:
    """One record per reading, each ending on its latest date (the audit's default as_of)."""
    return [
        given_again_at_the_stopped_dose(),  # resume followed, lag 14
        withheld(exams=({"date": "2026-03-08", "symptoms": "persistent"},)),  # resume open
        withheld(exams=({"date": "2026-04-20", "symptoms": "persistent"},)),  # resume lapsed (review after 21 days)
        withheld(
            {"agent": "erlotinib", "dose_mg": 150, "status": "active", "start": "2026-03-02"},
            exams=({"date": "2026-03-08", "symptoms": "persistent"},),
        ),  # resume advised on erlotinib: no episode
        brain_metastases_undated(),  # resume followed on an undated basis: counted apart
        intrathecal_stopped_for_toxicity(),  # hold: no episode
        reduced_for_rash(),  # tolerated continue: no episode
    ]


def test_the_audit_counts_resume_episodes_and_nothing_for_hold_or_continue(tmp_path: Path) -> None:
    cohort = _cohort()
    # What each record's own course holds, as the audit is to count it.
    statuses = [
        [(e.status, e.undated_basis) for e in lmtx.timeline(r).concordance if e.code == TOLERATED] for r in cohort
    ]
    assert statuses == [
        [("followed", False)],
        [("open", False)],
        [("lapsed", False)],
        [],
        [("followed", True)],
        [],
        [],
    ]
    report = lmtx.audit(cohort)
    assert (report.records, report.audited) == (len(cohort), len(cohort))
    (resume,) = (r for r in report.recommendations if r.code == TOLERATED)
    assert resume.action == "resume"
    assert resume.by_status == {"followed": 1, "open": 1, "lapsed": 1}
    assert resume.undated_basis == {"followed": 1, "open": 0, "lapsed": 0}
    assert resume.episodes == 4
    assert resume.lag_days is not None
    assert resume.lag_days.distribution == ((14, 1),)  # the undated one (lag 8) is left out
    assert report.undated_basis_episodes == 1
    assert not any(r.action in ("hold", "continue", "review") for r in report.recommendations)
    assert report.not_indicated == {INTRATHECAL: 1}  # the course begun before any advice, not the hold
    # The command says the same, and its chart has a bar for it.
    source, chart = tmp_path / "cohort.jsonl", tmp_path / "audit.svg"
    source.write_text("".join(json.dumps(r) + "\n" for r in cohort))
    done = run("audit", str(source))
    assert done.returncode == 0, done.stderr
    wire = json.loads(done.stdout)
    assert [r for r in wire["recommendations"] if r["code"] == TOLERATED] == [
        r for r in report.to_dict()["recommendations"] if r["code"] == TOLERATED
    ]
    plot_audit(report, chart)
    assert "osimertinib-tolerated resume" in " ".join(re.findall(r"<text[^>]*>([^<]*)<", chart.read_text()))
