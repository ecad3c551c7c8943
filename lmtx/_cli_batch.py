"""``lmtx batch``: JSON Lines in, one result or error per line out, across worker processes (docs/cli.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys
import time
from collections.abc import Sequence

from lmtx._cli_io import (
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_OK,
    Commands,
    add_command,
    add_workers_options,
    blank_line,
    close_files,
    count_records,
    is_blank,
    numbered,
    open_input_output,
    policy_of,
    progress_bar,
    records,
    today_for_records,
    warn_about_records,
)
from lmtx._evaluate import PatientInput
from lmtx.batch import Evaluated, Outcome, evaluate_one, lost_outcome, ordered_map
from lmtx.policy import Policy

__all__ = ["batch_command"]


def _json_line(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _rendered(outcome: Outcome, today: dt.date | None) -> tuple[str, str, bool]:
    """(kind, JSON line, dated after today) of one outcome; an error carries its 1-based line number."""
    if isinstance(outcome, Evaluated):
        as_of = outcome.result.as_of
        return "evaluated", _json_line(outcome.to_dict()), bool(today and as_of and as_of > today)
    return outcome.error, _json_line(numbered(outcome)), False


def _line_task(
    index: int, line: PatientInput, as_of: dt.date | None, policy: Policy, today: dt.date | None
) -> tuple[str, str, bool]:
    """Evaluate one input line and render its output line (in a worker, so that the parent only writes).

    ``today`` is given when no ``--as-of`` was: the record's evaluation date is
    then its latest date, compared with today's here.
    """
    if is_blank(line):
        return _rendered(blank_line(index), None)
    return _rendered(evaluate_one(index, line, as_of, policy), today)


def _lost_line(index: int, line: PatientInput, message: str) -> tuple[str, str, bool]:
    return _rendered(lost_outcome(index, line, message), None)


def _batch(args: argparse.Namespace) -> int:
    from lmtx.pool import EvaluationPool  # noqa: PLC0415 - only this command starts worker processes

    policy = policy_of(args)
    now, compare_with = today_for_records(args.command, args.as_of)
    total = count_records(args.input)
    source, sink = open_input_output(args.input, args.output)
    try:  # the workers start once, before the first line is read
        pool = EvaluationPool(args.workers) if args.workers > 1 else None
    except BaseException:
        close_files(source, sink)
        raise
    counts = {"evaluated": 0, "invalid-patient": 0, "internal-error": 0}
    future: list[int] = []
    task = functools.partial(_line_task, as_of=args.as_of, policy=policy, today=compare_with)
    started = time.monotonic()
    with progress_bar(total) as progress:
        lines = ordered_map(task, _lost_line, records(source), None, args.chunksize, pool=pool)
        try:
            for number, (kind, line, after_today) in enumerate(lines, 1):
                counts[kind] += 1
                if after_today:
                    future.append(number)
                sink.write(line.encode("utf-8", "backslashreplace") + b"\n")
                progress.update()
            sink.flush()
        finally:
            lines.close()  # stops the work on the input, also when the output failed
            if pool is not None:
                pool.close()
            close_files(source, sink)
    elapsed = time.monotonic() - started
    total_lines = sum(counts.values())
    warn_about_records(args.command, args.input, total_lines, future, now)
    where = "" if args.output in (None, "-") else f" -> {args.output}"
    sys.stderr.write(
        f"lmtx batch: {total_lines} lines: {counts['evaluated']} evaluated, {counts['invalid-patient']} invalid, "
        f"{counts['internal-error']} internal errors{where} ({elapsed:.1f} s, "
        f"{total_lines / elapsed if elapsed else 0:.0f} records/s, {args.workers} worker(s))\n"
    )
    if counts["internal-error"]:
        return EXIT_INTERNAL
    return EXIT_INVALID if counts["invalid-patient"] else EXIT_OK


def batch_command(commands: Commands, shared: Sequence[argparse.ArgumentParser]) -> None:
    batch = add_command(
        commands,
        "batch",
        "Evaluate JSON Lines: one patient per line in, one result or error per line out.",
        [
            "lmtx batch patients.jsonl -o results.jsonl --workers 4",
            "lmtx batch - < patients.jsonl | head -c 300",
        ],
        details=(
            "Output line N answers input line N: the result JSON, or an error object {line, error, "
            "patient_id, message, problems}. Invalid lines never stop the batch. A blank line between records "
            "is an invalid line; blank lines at the end of the input are not records. A progress bar shows on "
            "a terminal; a summary goes to stderr at the end."
        ),
        parents=shared,
        exit_codes=(
            "exit codes: 0 every line evaluated; 2 some lines invalid, a bad argument or an unreadable file; 1 "
            "some line met an internal error; 141 standard output closed early. Unless the output was closed, it "
            "holds one line per input line (trailing blank lines aside)."
        ),
    )
    batch.add_argument("input", metavar="IN", help="JSON Lines file, or - for standard input")
    batch.add_argument("-o", "--output", metavar="OUT", help="output JSON Lines file (default: standard output)")
    add_workers_options(batch)
    batch.set_defaults(handler=_batch)
