"""Pictures of a course and of a cohort audit, drawn with matplotlib: ``pip install 'lmtx[plot]'``.

:func:`plot_timeline` draws one patient's course: the phases as coloured
bands over time, the therapies as bars, the assessments as markers and the
concordance episodes with their lag. :func:`plot_audit` draws a cohort's
concordance per recommendation and the distribution of the lags. Both write
SVG or PNG through matplotlib's non-interactive renderers (no display, no
``pyplot`` state), and label the parts of the picture (``gid``) so that an
SVG can be checked and styled: ``phase-band-N``, ``therapy-N``,
``assessment-KIND-N``, ``episode-N``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lmtx.course.audit import AuditReport
from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.replay import Timeline
from lmtx.course.text import therapy_label
from lmtx.model import CytologyResult, Symptoms, TherapyStatus

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "INSTALL", "PHASE_COLOURS", "PlottingUnavailable", "plot_audit", "plot_timeline"]

INSTALL = "pip install 'lmtx[plot]'"
"""The command that installs what the plots need."""

FORMATS = ("svg", "png")
"""The picture formats, chosen by the file's suffix."""

PHASE_COLOURS = {
    "diagnostic-workup": "#fde68a",
    "cns-metastases-without-lm": "#e9d5ff",
    "initial": "#fecaca",
    "osimertinib-monotherapy": "#bbf7d0",
    "inadequate-response": "#fed7aa",
    "combination": "#bfdbfe",
    "progression-on-combination": "#fca5a5",
    "beyond-document": "#d1d5db",
    None: "#f3f4f6",
}
"""The colour of each phase's band (``None``: not applicable)."""

_STATUS_COLOURS = {"followed": "#15803d", "open": "#b45309", "lapsed": "#b91c1c", "not-indicated": "#6b21a8"}


class PlottingUnavailable(ImportError):  # noqa: N818 - reads as the condition it reports
    """matplotlib is not installed; the message names the command that installs it."""


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - an optional extra, loaded only to draw
    except ImportError as error:
        raise PlottingUnavailable(f"drawing needs matplotlib ({error}); install it with: {INSTALL}") from None
    return Figure(figsize=(width, height), layout="constrained")


def _x(day: dt.date) -> float:
    """A day as matplotlib's date number."""
    from matplotlib.dates import date2num  # noqa: PLC0415 - loaded with matplotlib

    return float(date2num(day))  # type: ignore[no-untyped-call]  # matplotlib leaves it unannotated


def _format(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ValueError(f"cannot tell the picture format of {path.name}: use a .svg or .png file name")
    return kind


def _save(figure: Figure, path: Path, kind: str) -> None:
    from matplotlib import rc_context  # noqa: PLC0415 - loaded with matplotlib

    # No creation date in the file (the same course gives the same picture), and text kept as text in SVG
    # (searchable, readable by screen readers) rather than drawn as outlines.
    metadata: dict[str, Any] = {"Date": None} if kind == "svg" else {"Software": "lmtx (matplotlib)"}
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "lmtx"}):
        figure.savefig(path, format=kind, metadata=metadata, dpi=110)


def _bands(course: Timeline) -> list[tuple[str | None, dt.date, dt.date]]:
    """Runs of consecutive steps in one phase: (phase, first day, day after the run)."""
    dated = [s for s in course.steps if s.date is not None]
    runs: list[tuple[str | None, dt.date, dt.date]] = []
    for position, step in enumerate(dated):
        assert step.date is not None
        following = dated[position + 1].date if position + 1 < len(dated) else None
        until = following or step.date + dt.timedelta(days=1)
        if runs and runs[-1][0] == step.phase:
            runs[-1] = (step.phase, runs[-1][1], until)
        else:
            runs.append((step.phase, step.date, until))
    return runs


def plot_timeline(course: Timeline, path: str | Path) -> Path:
    """Draw a patient's course to an SVG or PNG file.

    Args:
        course: The timeline.
        path: The file to write; its suffix (``.svg`` or ``.png``) picks the format.

    Returns:
        The path written.

    Raises:
        PlottingUnavailable: matplotlib is not installed.
        ValueError: The suffix is neither ``.svg`` nor ``.png``.
    """
    target = Path(path)
    kind = _format(target)
    patient = course.patient
    therapies = [t for t in patient.therapies if t.status is not TherapyStatus.PLANNED and t.start is not None]
    episodes = list(course.concordance)
    rows = [*(f"{e.code} {e.action or '(not indicated)'}" for e in episodes)]
    rows += [therapy_label(t) for t in therapies] + ["MRI", "CSF cytology", "Neuro exam"]
    figure = _figure(11, 1.6 + 0.42 * len(rows))
    axes = figure.add_subplot()
    last = course.as_of or dt.date.today()  # only a record without dates lacks as_of, and it draws no band
    end = last + dt.timedelta(days=1)
    legend: dict[str | None, Any] = {}
    for index, (phase, first, until) in enumerate(_bands(course)):
        band = axes.axvspan(_x(first), _x(until), color=PHASE_COLOURS.get(phase, "#eeeeee"), alpha=0.8, zorder=0, lw=0)
        band.set_gid(f"phase-band-{index}")
        band.set_label(phase or "not applicable")
        legend.setdefault(phase, band)
    y = len(rows) - 1
    for index, entry in enumerate(episodes):
        _episode(axes, entry, y, index, _ended(course, entry, end))
        y -= 1
    for index, therapy in enumerate(therapies):
        assert therapy.start is not None
        stop = therapy.end or end
        width = max((stop - therapy.start).days, 1)
        (bar,) = axes.barh(y, width, left=_x(therapy.start), height=0.5, color="#4b5563", alpha=0.85, zorder=3)
        bar.set_gid(f"therapy-{index}")
        if therapy.status is TherapyStatus.STOPPED:
            bar.set_hatch("//")
        y -= 1
    _assessments(axes, course, y)
    axes.set_yticks(range(len(rows)), list(reversed(rows)))
    axes.set_ylim(-0.7, len(rows) - 0.3)
    start = min([s.date for s in course.steps if s.date] + [t.start for t in therapies if t.start] + [last])
    axes.set_xlim(_x(start - dt.timedelta(days=3)), _x(end + dt.timedelta(days=3)))
    axes.xaxis_date()
    axes.grid(axis="x", color="#9ca3af", lw=0.4, alpha=0.6)
    axes.legend(
        legend.values(),
        [str(p or "not applicable") for p in legend],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        title="phase",
        fontsize=8,
        title_fontsize=9,
    )
    figure.autofmt_xdate()
    as_of = "-" if course.as_of is None else course.as_of.isoformat()
    axes.set_title(f"Course of {course.patient_id or '(no id)'} up to {as_of}", loc="left")
    _save(figure, target, kind)
    return target


def _ended(course: Timeline, entry: ConcordanceEntry, end: dt.date) -> dt.date:
    """Where an episode's bar stops when nothing carried it out: the next step after its last one, or the end."""
    last = entry.indicated_until
    if last is None:
        return end
    return next((s.date for s in course.steps if s.date is not None and s.date > last), end)


def _episode(axes: Axes, entry: ConcordanceEntry, y: int, index: int, ended: dt.date) -> None:
    colour = _STATUS_COLOURS[entry.status]
    if entry.indicated_from is None or entry.indicated_until is None:
        if entry.acted_on is None:  # pragma: no cover - an unprompted start always has its date
            return
        (mark,) = axes.plot([_x(entry.acted_on)], [y], marker="X", ms=9, color=colour, lw=0, zorder=4)
        mark.set_gid(f"episode-{index}")
        axes.annotate("not indicated", (_x(entry.acted_on), y), xytext=(6, 4), textcoords="offset points", fontsize=8)
        return
    # A followed episode runs to the start that carried it out; an open one to the end of the picture;
    # a lapsed one until the step at which the advice changed.
    until = entry.acted_on or ended
    (line,) = axes.plot(
        [_x(entry.indicated_from), _x(until)], [y, y], color=colour, lw=5, alpha=0.7, zorder=4, solid_capstyle="butt"
    )
    line.set_gid(f"episode-{index}")
    label = f"{entry.status}, lag {entry.lag_days} d" if entry.lag_days is not None else entry.status
    if entry.acted_on is not None:
        axes.plot([_x(entry.acted_on)], [y], marker="|", ms=14, mew=2, color=colour, zorder=5)
    axes.annotate(
        label, (_x(entry.indicated_from), y), xytext=(0, 6), textcoords="offset points", fontsize=8, color=colour
    )


_FINDING_STYLE = {True: ("o", "#b91c1c"), False: ("o", "#ffffff"), None: ("D", "#9ca3af")}


def _assessments(axes: Axes, course: Timeline, y: int) -> None:
    patient = course.patient
    series: list[tuple[str, int, list[tuple[dt.date, bool | None, str]]]] = [
        ("mri", y, [(m.date, m.leptomeningeal_enhancement, (m.response or "").replace("_", " ")) for m in patient.mri]),
        ("csf", y - 1, [(c.date, _cytology(c.result), str(c.result)) for c in patient.csf_cytology]),
        ("neuro", y - 2, [(e.date, _symptomatic(e.symptoms), str(e.symptoms)) for e in patient.neuro_exams]),
    ]
    for kind, row, points in series:
        for index, (day, abnormal, text) in enumerate(points):
            marker, fill = _FINDING_STYLE[abnormal]
            (mark,) = axes.plot([_x(day)], [row], marker=marker, ms=8, mfc=fill, mec="#111827", lw=0, zorder=5)
            mark.set_gid(f"assessment-{kind}-{index}")
            if text:
                axes.annotate(
                    text, (_x(day), row), xytext=(0, -13), textcoords="offset points", fontsize=7, ha="center"
                )


def _cytology(result: CytologyResult) -> bool | None:
    return None if result is CytologyResult.EQUIVOCAL else result is CytologyResult.POSITIVE


def _symptomatic(symptoms: Symptoms) -> bool:
    return symptoms in (Symptoms.NEW, Symptoms.PERSISTENT, Symptoms.WORSENED)


def plot_audit(report: AuditReport, path: str | Path) -> Path:
    """Draw a cohort's concordance per recommendation and its lag distribution to an SVG or PNG file.

    Args:
        report: The audit.
        path: The file to write; its suffix (``.svg`` or ``.png``) picks the format.

    Returns:
        The path written.

    Raises:
        PlottingUnavailable: matplotlib is not installed.
        ValueError: The suffix is neither ``.svg`` nor ``.png``.
    """
    target = Path(path)
    kind = _format(target)
    labels = [f"{r.code} {r.action}" for r in report.recommendations]
    labels += [f"{code} (not indicated)" for code in report.not_indicated]
    figure = _figure(12, 1.8 + 0.45 * max(len(labels), 1))
    counts_axes, lag_axes = figure.subplots(1, 2, width_ratios=(3, 2))
    positions = list(range(len(labels)))[::-1]
    left = [0] * len(labels)
    for status in ("followed", "open", "lapsed", "not-indicated"):
        values = [r.by_status.get(status, 0) for r in report.recommendations]
        values += [count if status == "not-indicated" else 0 for count in report.not_indicated.values()]
        bars = counts_axes.barh(positions, values, left=left, color=_STATUS_COLOURS[status], label=status)
        for position, bar in zip(positions, bars, strict=True):
            bar.set_gid(f"status-{status}-{len(labels) - 1 - position}")
        left = [a + b for a, b in zip(left, values, strict=True)]
    counts_axes.set_yticks(positions, labels)
    counts_axes.set_xlabel("episodes (starts, for not indicated)")
    counts_axes.legend(fontsize=8)
    counts_axes.set_title(
        f"Concordance of {report.audited} courses; failed records: {report.records - report.audited}", loc="left"
    )
    lagged = [r for r in report.recommendations if r.lag_days is not None]
    stats = [
        {
            "label": f"{r.code} {r.action}",
            "whislo": r.lag_days.min,
            "q1": r.lag_days.q1,
            "med": r.lag_days.median,
            "q3": r.lag_days.q3,
            "whishi": r.lag_days.max,
            "fliers": [],
        }
        for r in lagged
        if r.lag_days is not None
    ]
    if stats:
        lag_axes.bxp(stats, orientation="horizontal", showfliers=False)
    else:
        lag_axes.text(0.5, 0.5, "no followed episode", ha="center", va="center", transform=lag_axes.transAxes)
    lag_axes.set_xlabel("days from indication to start (min, quartiles, max)")
    lag_axes.set_title("Lag of followed episodes", loc="left")
    _save(figure, target, kind)
    return target
