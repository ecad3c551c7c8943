"""The chart of a cohort audit: episodes per recommendation by status, and the spread of the lags."""

from __future__ import annotations

from pathlib import Path

from lmtx.course.audit import AuditReport
from lmtx.course.plot._canvas import STATUS_COLOURS, new_figure, picture_format, save


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
    kind = picture_format(target)
    labels = [f"{r.code} {r.action}" for r in report.recommendations]
    labels += [f"{code} (not indicated)" for code in report.not_indicated]
    figure = new_figure(12, 1.8 + 0.45 * max(len(labels), 1))
    counts_axes, lag_axes = figure.subplots(1, 2, width_ratios=(3, 2))
    positions = list(range(len(labels)))[::-1]
    left = [0] * len(labels)
    for status in ("followed", "open", "lapsed", "not-indicated"):
        values = [r.by_status.get(status, 0) for r in report.recommendations]
        values += [count if status == "not-indicated" else 0 for count in report.not_indicated.values()]
        bars = counts_axes.barh(positions, values, left=left, color=STATUS_COLOURS[status], label=status)
        for position, bar in zip(positions, bars, strict=True):
            bar.set_gid(f"status-{status}-{len(labels) - 1 - position}")
        left = [a + b for a, b in zip(left, values, strict=True)]
    undated = [sum(r.undated_basis.values()) for r in report.recommendations] + [0] * len(report.not_indicated)
    if any(undated):
        bars = counts_axes.barh(
            positions,
            undated,
            left=left,
            color="#e5e7eb",
            hatch="..",
            ec="#6b7280",
            label="undated basis (not in lags)",
        )
        for position, bar in zip(positions, bars, strict=True):
            bar.set_gid(f"status-undated-basis-{len(labels) - 1 - position}")
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
    lag_axes.set_xlabel("days; box: quartiles, line: median,\nwhiskers: min and max", fontsize=9)
    lag_axes.set_title("Lag of followed episodes\n(advice to start; dated basis)", loc="left", fontsize=11)
    save(figure, target, kind)
    return target
