"""The ``lmtx timeline`` and ``lmtx audit`` commands (registered by :mod:`lmtx.cli`, documented in docs/cli.md).

``lmtx timeline PATIENT.json`` prints the course as a table (``--format
json``: the wire form; ``--plot FILE``: a picture). ``lmtx audit
COHORT.jsonl`` audits a cohort, one patient per line, in worker processes
like ``lmtx batch``, with a progress bar on a terminal; the report goes to
standard output or ``-o FILE`` (``--plot FILE``: a chart).

Both take the evaluation options of the other commands and read, write, warn
and stop as they do, through :mod:`lmtx._cli_io`; :func:`lmtx.cli.main` turns
their errors into the same exit codes: 0 success, 2 invalid input or a bad
argument, 1 internal error, 141 standard output closed early. ``audit``
exits 2 when some record is invalid and 1 when some record met an internal
error, after writing the report that lists them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmtx._cli_io import (
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_OK,
    Commands,
    UsageError,
    add_command,
    add_workers_options,
    blank_line,
    close_files,
    count_records,
    is_blank,
    latest_date,
    numbered,
    open_input_output,
    policy_of,
    progress_bar,
    read,
    records,
    today_for_records,
    warn_about_records,
    warn_if_future,
    whole_number,
    write,
)
from lmtx._evaluate import PatientInput, parse_patient
from lmtx.batch import Failed, lost_outcome, ordered_map
from lmtx.course.audit import Audited, AuditReport, Tally, audit_one
from lmtx.policy import Policy

__all__ = ["add_subcommands"]

_PICTURES = (".svg", ".png")


def _picture(text: str) -> str:
    """``--plot``: a file name the picture can be drawn to, refused before any work is done."""
    if Path(text).suffix.lower() not in _PICTURES:
        raise argparse.ArgumentTypeError(f"use a .svg or .png file name, got {text!r}")
    return text


def add_subcommands(commands: Commands, shared: Sequence[argparse.ArgumentParser]) -> None:
    """Add ``timeline`` and ``audit`` to the ``lmtx`` command line.

    Args:
        commands: The sub-parsers object of the ``lmtx`` parser (``add_subparsers()``);
            each command sets ``handler``, a function of the parsed arguments returning the exit code.
        shared: The parent parsers of the options every evaluating command takes
            (``--as-of``, ``--policy``, ``--poor-ps-ecog``, ``--safety-pack``).
    """
    course = add_command(
        commands,
        "timeline",
        "Replay one patient's record day by day: phases, advice, and concordance with the document.",
        [
            "lmtx timeline patient.json",
            "lmtx timeline patient.json --format json --as-of 2026-07-01",
            "lmtx timeline patient.json --plot course.svg",
        ],
        details=(
            "Evaluates the record as known on each day something in it happened, and compares what the "
            "document recommended with the therapies the record shows. Prints a table of the steps and the "
            "concordance; --format json prints the wire form."
        ),
        parents=shared,
    )
    course.add_argument("file", metavar="FILE", help="patient JSON file, or - for standard input")
    course.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    course.add_argument("--width", type=whole_number(40), default=100, metavar="N", help="text width (default 100)")
    course.add_argument(
        "--plot", type=_picture, metavar="FILE", help="also draw the course to FILE (.svg or .png; needs lmtx[plot])"
    )
    course.set_defaults(handler=_timeline)

    cohort = add_command(
        commands,
        "audit",
        "Audit a cohort (JSON Lines): episodes per recommendation by status, their lags, unprompted starts.",
        [
            "lmtx audit cohort.jsonl -o report.json --workers 4",
            "lmtx audit - --as-of 2026-07-01 < cohort.jsonl",
            "lmtx audit cohort.jsonl --plot audit.svg > report.json",
        ],
        details=(
            "Builds the timeline of every patient (one JSON object per line) and sums the concordance per "
            "recommendation code and action: episodes by status, lag in days (median, quartiles), and starts "
            "no recommendation asked for. Invalid lines are counted and listed in the report by line number, "
            "never dropped; a blank line between records is an invalid line, blank lines at the end are not "
            "records. A progress bar shows on a terminal; a summary goes to stderr at the end."
        ),
        parents=shared,
        exit_codes=(
            "exit codes: 0 every record audited; 2 some records invalid, a bad argument or an unreadable file; 1 "
            "some record met an internal error; 141 standard output closed early. Unless the output was closed, "
            "the report accounts for every line (trailing blank lines aside)."
        ),
    )
    cohort.add_argument("input", metavar="COHORT", help="JSON Lines file, or - for standard input")
    cohort.add_argument(
        "-o", "--output", metavar="FILE", help="write the report JSON to FILE (default: standard output)"
    )
    add_workers_options(cohort)
    cohort.add_argument(
        "--plot", type=_picture, metavar="FILE", help="also draw the report to FILE (.svg or .png; needs lmtx[plot])"
    )
    cohort.set_defaults(handler=_audit)


def _timeline(args: argparse.Namespace) -> int:
    from lmtx.course.replay import timeline  # noqa: PLC0415 - loaded by the command that needs it
    from lmtx.course.text import render  # noqa: PLC0415

    data = read(args.file)
    course = timeline(data, as_of=args.as_of, policy=policy_of(args))
    warn_if_future(args.command, latest_date(data, args, course.as_of))
    write(course.to_json(indent=2) if args.format == "json" else render(course, args.width))
    if args.plot:
        from lmtx.course.plot import PlottingUnavailable, plot_timeline  # noqa: PLC0415 - an optional extra

        try:
            plot_timeline(course, args.plot)
        except PlottingUnavailable as error:  # the message names the install command
            raise UsageError(str(error)) from None
        sys.stderr.write(f"lmtx timeline: drew {args.plot}\n")
    return EXIT_OK


# --- audit ------------------------------------------------------------------------------------


def _line_task(
    index: int, line: PatientInput, as_of: dt.date | None, policy: Policy, today: dt.date | None
) -> tuple[Audited | Failed, bool]:
    """Audit one input line (in a worker): its outcome, and whether its latest date lies after ``today``.

    ``today`` is given when no ``--as-of`` was; the course then ends on the
    record's latest date, read again here (a small cost beside the course's
    evaluations, one per dated event).
    """
    if is_blank(line):
        return blank_line(index), False
    outcome = audit_one(index, line, as_of, policy)
    if today is None or not isinstance(outcome, Audited):
        return outcome, False
    _, latest = parse_patient(line, None)
    return outcome, latest is not None and latest > today


def _lost_line(index: int, line: PatientInput, message: str) -> tuple[Audited | Failed, bool]:
    failed = lost_outcome(index, line, message)
    assert isinstance(failed, Failed)  # documented: always a Failed of kind internal-error
    return failed, False


def _audit(args: argparse.Namespace) -> int:
    policy = policy_of(args)
    now, compare_with = today_for_records(args.command, args.as_of)
    total = count_records(args.input)
    # The report replaces an earlier file only once it is complete.
    source, sink = open_input_output(args.input, args.output, whole=True)
    tally = Tally()
    future: list[int] = []
    task = functools.partial(_line_task, as_of=args.as_of, policy=policy, today=compare_with)
    started = time.monotonic()
    complete = False
    try:
        with progress_bar(total) as progress:
            lines = ordered_map(task, _lost_line, records(source), args.workers, args.chunksize)
            try:
                for number, (outcome, after_today) in enumerate(lines, 1):
                    tally.add(outcome)
                    if after_today:
                        future.append(number)
                    progress.update()
                report = tally.report(policy)
                text = json.dumps(_numbered(report), indent=2, ensure_ascii=False) + "\n"
                sink.write(text.encode("utf-8", "backslashreplace"))
                sink.flush()
                complete = True
            finally:
                lines.close()  # stops the worker processes, also when the output failed
    finally:
        close_files(source, sink, complete=complete)  # an incomplete report replaces nothing
    elapsed = time.monotonic() - started
    if args.plot:
        from lmtx.course.plot import PlottingUnavailable, plot_audit  # noqa: PLC0415 - an optional extra

        try:
            plot_audit(report, args.plot)
        except PlottingUnavailable as error:  # the message names the install command
            raise UsageError(str(error)) from None
    warn_about_records(args.command, args.input, report.records, future, now)
    where = "" if args.output in (None, "-") else f" -> {args.output}"
    sys.stderr.write(
        f"lmtx audit: {report.records} records: {report.audited} audited, {report.invalid} invalid, "
        f"{report.internal_errors} internal errors{where} ({elapsed:.1f} s, {args.workers} worker(s))\n"
    )
    if report.undated_basis_episodes:
        sys.stderr.write(
            f"lmtx audit: {report.undated_basis_episodes} episodes rest on brain metastases without a date; "
            "they are counted apart and left out of the lags (record brain_metastases_date to count them)\n"
        )
    if report.internal_errors:
        return EXIT_INTERNAL
    return EXIT_INVALID if report.invalid else EXIT_OK


def _numbered(report: AuditReport) -> dict[str, Any]:
    """The report's JSON with its failures numbered by input line (1-based), as ``lmtx batch`` numbers them."""
    data = report.to_dict()
    data["failures"] = [numbered(failure) for failure in report.failures]
    return data
