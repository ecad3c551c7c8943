"""The therapies' lanes of a course picture: bars from start to last day, changes of dose, stops, plans.

Every regimen given is a bar (``therapy-N``, N its place among the
therapies given), one lane per regimen, except osimertinib: all its regimens
share one lane, and one followed within :data:`CHANGE_WITHIN_DAYS` days by
another is a change of dose (a white diamond ``dose-change-N`` at the new
regimen's start, labelled with the new dose and, when recorded, the reason),
never hatched as a stop. Any other ``stopped`` regimen is labelled at its end
with its ``stop_reason``. Planned therapies have a lane each, with a mark
(``planned-N``) at the as-of line, since they have not happened yet.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from lmtx.course.plot._canvas import x
from lmtx.course.plot._labels import label
from lmtx.course.plot._layout import Drawing, Window
from lmtx.course.text import therapy_label
from lmtx.model import Agent, Patient, StopReason, Therapy, TherapyStatus

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CHANGE_WITHIN_DAYS = 7
"""An osimertinib regimen begun at most this many days after another's last day is a change of dose."""

BAR_COLOUR = "#4b5563"
"""The colour of a therapy's bar."""

REASON_WORDS = {
    StopReason.TOXICITY: "toxicity",
    StopReason.PROGRESSION: "progression",
    StopReason.DOSE_CHANGE: "change of dose",
    StopReason.COURSE_COMPLETED: "course completed",
    StopReason.OTHER: "other reason",
}
"""A stop reason as the labels say it."""

_ONE_DAY = dt.timedelta(days=1)


@attrs.frozen
class Regimen:
    """One regimen given, as drawn.

    Attributes:
        index: Its place among the therapies given (its bar's id is ``therapy-N``).
        therapy: The regimen.
        last: The last day of its bar: its ``end``, or the day before the next regimen of osimertinib
            began when that was earlier (the replay's reading); ``None`` while given at ``as_of``.
        replaces: The osimertinib regimen whose dose it changed (begun within
            :data:`CHANGE_WITHIN_DAYS` days of that one's last day).
        restarts: Whether it begins osimertinib again after a longer pause.
        changed: Whether another osimertinib regimen changed its dose (its end is no stop).
    """

    index: int
    therapy: Therapy
    last: dt.date | None
    replaces: Therapy | None = None
    restarts: bool = False
    changed: bool = False


@attrs.frozen
class TherapyLane:
    """One lane of therapies: its row's label, the regimens drawn in it, or the plan marked in it."""

    label: str
    regimens: tuple[Regimen, ...] = ()
    planned: Therapy | None = None


def therapy_lanes(patient: Patient) -> list[TherapyLane]:
    """The lanes, in the record's order: osimertinib's where its first regimen is listed, the plans last."""
    given = [t for t in patient.therapies if t.status is not TherapyStatus.PLANNED and t.start is not None]
    osimertinib = [(index, t) for index, t in enumerate(given) if t.agent is Agent.OSIMERTINIB]
    lanes: list[TherapyLane] = []
    for index, therapy in enumerate(given):
        if therapy.agent is not Agent.OSIMERTINIB:
            lanes.append(TherapyLane(therapy_label(therapy), (Regimen(index, therapy, therapy.end),)))
        elif index == osimertinib[0][0]:
            lanes.append(_osimertinib_lane(osimertinib))
    lanes += [
        TherapyLane(f"{therapy_label(t)} (planned)", planned=t)
        for t in patient.therapies
        if t.status is TherapyStatus.PLANNED
    ]
    return lanes


def _osimertinib_lane(regimens: list[tuple[int, Therapy]]) -> TherapyLane:
    """All regimens of osimertinib in one lane, in the order they were given, each change of dose marked."""
    ordered = sorted(regimens, key=lambda item: (item[1].start, item[1].status is TherapyStatus.ACTIVE, item[0]))
    drawn: list[Regimen] = []
    for position, (index, therapy) in enumerate(ordered):
        assert therapy.start is not None
        following = ordered[position + 1][1].start if position + 1 < len(ordered) else None
        last = therapy.end
        if following is not None and (last is None or last >= following):
            last = max(following - _ONE_DAY, therapy.start)  # the replay's reading: ended the day before
        changed = following is not None and last is not None and (following - last).days <= CHANGE_WITHIN_DAYS
        previous = drawn[-1] if drawn else None
        drawn.append(
            Regimen(
                index,
                therapy,
                last,
                replaces=previous.therapy if previous is not None and previous.changed else None,
                restarts=previous is not None and not previous.changed,
                changed=changed,
            )
        )
    words: list[str] = []
    for regimen in drawn:
        dose = dose_words(regimen.therapy)
        if not words or words[-1] != dose:
            words.append(dose)
    if len(drawn) == 1:
        return TherapyLane(therapy_label(drawn[0].therapy), tuple(drawn))
    route = drawn[0].therapy.route
    return TherapyLane(" ".join(["osimertinib", " → ".join(words), *([str(route)] if route else [])]), tuple(drawn))


def dose_words(therapy: Therapy) -> str:
    """The dose of a regimen in a few words: ``80 mg``, ``160 mg every 2 days``."""
    words = "dose not recorded" if therapy.dose_mg is None else f"{therapy.dose_mg:g} mg"
    if therapy.interval_days not in (None, 1):
        words += f" every {therapy.interval_days} days"
    return words


def therapies(axes: Axes, drawing: Drawing, window: Window, lanes: list[TherapyLane], y: int) -> None:
    """The therapies' lanes, from ``y`` down: bars, changes of dose, stops with their reasons, plans."""
    plans = 0
    for lane in lanes:
        if lane.planned is not None:
            _planned(axes, drawing, window, lane.planned, y, gid=f"planned-{plans}")
            plans += 1
        for regimen in lane.regimens:
            _bar(axes, drawing, window, regimen, y)
        y -= 1


def _bar(axes: Axes, drawing: Drawing, window: Window, regimen: Regimen, y: int) -> None:
    therapy = regimen.therapy
    assert therapy.start is not None
    stop = window.last if regimen.last is None else min(regimen.last + _ONE_DAY, window.last)
    if stop <= window.first or therapy.start >= window.last:
        return
    width = max((stop - therapy.start).days, 1)
    (bar,) = axes.barh(y, width, left=x(therapy.start), height=0.5, color=BAR_COLOUR, alpha=0.85, zorder=3)
    bar.set_gid(drawing.gid(f"therapy-{regimen.index}"))
    stopped = therapy.status is TherapyStatus.STOPPED and not regimen.changed
    # A change of dose is not a stop: only a regimen stopped for another reason is hatched.
    if stopped and therapy.stop_reason is not StopReason.DOSE_CHANGE:
        bar.set_hatch("///")
        bar.set_edgecolor("#f9fafb")
        drawing.marks.setdefault("stopped", bar)
    else:
        drawing.marks.setdefault("therapy", bar)
    if stopped and regimen.last is not None and window.holds(regimen.last):
        reason = REASON_WORDS[therapy.stop_reason] if therapy.stop_reason is not None else None
        text = f"stopped: {reason}" if reason is not None else "stopped (no reason recorded)"
        label(drawing, axes, text, (regimen.last + _ONE_DAY, y), 7, reason or "stopped", ha="right")
    if window.holds(therapy.start) and (regimen.replaces is not None or regimen.restarts):
        _new_dose(axes, drawing, regimen, y)


def _new_dose(axes: Axes, drawing: Drawing, regimen: Regimen, y: int) -> None:
    """The start of a regimen of osimertinib after another: a change of dose (marked) or a restart."""
    therapy, before = regimen.therapy, regimen.replaces
    assert therapy.start is not None
    dose = dose_words(therapy)
    if before is None:
        label(drawing, axes, f"restarted, {dose}", (therapy.start, y), 7, dose, ha="left")
        return
    (mark,) = axes.plot(
        [x(therapy.start)], [y], marker="D", ms=7, mfc="#ffffff", mec="#111827", lw=0, zorder=6, clip_on=False
    )
    mark.set_gid(f"dose-change-{regimen.index}")
    drawing.marks.setdefault("dose-change", mark)
    reason = before.stop_reason
    why = f" ({REASON_WORDS[reason]})" if reason is not None and reason is not StopReason.DOSE_CHANGE else ""
    label(drawing, axes, f"to {dose}{why}", (therapy.start, y), 7, f"to {dose}", dose)


def _planned(axes: Axes, drawing: Drawing, window: Window, therapy: Therapy, y: int, *, gid: str) -> None:
    """A planned therapy: a mark at the as-of line (it has not happened), labelled with its start if given."""
    if window.last != drawing.end:
        return  # only the panel that ends at the as-of line
    (mark,) = axes.plot(
        [x(drawing.end)], [y], marker=">", ms=8, mfc="#ffffff", mec="#111827", mew=1.2, lw=0, zorder=6, clip_on=False
    )
    mark.set_gid(gid)
    drawing.marks.setdefault("planned", mark)
    start = f" from {therapy.start.isoformat()}" if therapy.start is not None else ""
    label(drawing, axes, f"planned{start}", (drawing.end, y), -3, "planned", dx=-7, ha="right")
