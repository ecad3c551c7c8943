"""The ``lmtx timeline`` and ``lmtx audit`` commands (registered by :mod:`lmtx.cli`).

``lmtx timeline PATIENT.json`` prints the course as a table (``--json``: the
wire form; ``--plot FILE``: a picture). ``lmtx audit COHORT.jsonl`` audits a
cohort, one patient per line, in worker processes like ``lmtx batch``, with a
progress bar on a terminal; the report goes to standard output or ``-o FILE``
(``--plot FILE``: a chart). Exit codes as for the other commands: 0 success,
2 invalid input, 1 internal error; ``audit`` exits 2 when some record is
invalid and 1 when some record met an internal error, after writing the
report that lists them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from lmtx.errors import InvalidPatient, Problem

__all__ = ["add_subcommands"]

_OK, _INTERNAL, _INVALID = 0, 1, 2
_EXIT_CODES = "exit codes: 0 success, 2 invalid input (problems with their paths on stderr), 1 internal error"


class _UsageError(Exception):
    """A problem with the arguments or files: reported on stderr, exit code 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("evaluation")
    group.add_argument("--as-of", metavar="DATE", help="last day YYYY-MM-DD (default: the latest date in each record)")
    group.add_argument("--policy", metavar="FILE", help='policy as a JSON object, e.g. {"poor_ps_ecog": 2}')
    group.add_argument(
        "--poor-ps-ecog", type=int, metavar="N", help="ECOG score from which PS counts as poor, 1-4 (default 3)"
    )
    group.add_argument("--plot", metavar="FILE", help="also draw a picture to FILE (.svg or .png; needs lmtx[plot])")
    return options


def add_subcommands(commands: Any) -> None:
    """Add ``timeline`` and ``audit`` to the ``lmtx`` command line.

    Args:
        commands: The sub-parsers object of the ``lmtx`` parser (``add_subparsers()``);
            each command sets ``handler``, a function of the parsed arguments returning the exit code.
    """
    shared = [_options()]
    course = commands.add_parser(
        "timeline",
        parents=shared,
        help="replay one patient's record day by day: phases, advice, and concordance with the document",
        description=(
            "Evaluate the record as known on each day something in it happened, and compare what the "
            "document recommended with the therapies the record shows. Prints a table of the steps and the "
            "concordance; --json prints the wire form."
        ),
        epilog=_EXIT_CODES,
    )
    course.add_argument("file", metavar="FILE", help="patient JSON file, or - for standard input")
    course.add_argument("--json", action="store_true", help="print the timeline JSON instead of the table")
    course.add_argument("--width", type=_positive_int, default=100, help="text width of the table (default 100)")
    course.set_defaults(handler=_guarded(_timeline))

    cohort = commands.add_parser(
        "audit",
        parents=shared,
        help="audit a cohort (JSON Lines): episodes by status, lags and unprompted starts per recommendation",
        description=(
            "Build the timeline of every patient (one JSON object per line) and sum the concordance per "
            "recommendation code and action: episodes by status, lag in days (median, quartiles), and "
            "starts no recommendation asked for. Invalid lines are counted and listed in the report, never "
            "dropped. A progress bar shows on a terminal; a summary goes to stderr."
        ),
        epilog=(
            "exit codes: 0 every record audited, 2 some records invalid (or unreadable input), 1 some record "
            "met an internal error; the report accounts for every line in every case"
        ),
    )
    cohort.add_argument("input", metavar="COHORT", help="JSON Lines file, or - for standard input")
    cohort.add_argument("-o", "--output", metavar="FILE", help="write the report JSON to FILE (default: stdout)")
    cohort.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="worker processes (default 1)")
    cohort.add_argument("--chunksize", type=_positive_int, metavar="N", help="records sent to a worker at a time")
    cohort.set_defaults(handler=_guarded(_audit))


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Report the command's own errors here, so that it needs nothing of :mod:`lmtx.cli` beyond registration."""

    def run(args: argparse.Namespace) -> int:
        try:
            code: int = handler(args)
        except InvalidPatient as error:
            where = getattr(args, "file", None)
            sys.stderr.write(f"lmtx {args.command}: {where + ': ' if where else ''}{error}\n")
            return _INVALID
        except _UsageError as error:
            sys.stderr.write(f"lmtx {args.command}: {error}\n")
            return _INVALID
        return code

    return run


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise _UsageError(f"cannot read {source}: {error.strerror or error}") from None


def _policy(args: argparse.Namespace) -> dict[str, object] | None:
    policy: dict[str, object] = {}
    if args.policy is not None:
        try:
            loaded = json.loads(_read(args.policy))
        except ValueError as error:
            raise InvalidPatient([Problem("policy", f"{args.policy} is not valid JSON: {error}")]) from None
        if not isinstance(loaded, dict):
            raise InvalidPatient([Problem("policy", f"{args.policy} must hold a JSON object")])
        policy.update(loaded)
    if args.poor_ps_ecog is not None:
        policy["poor_ps_ecog"] = args.poor_ps_ecog
    return policy or None


def _check_plot(path: str | None) -> None:
    """Refuse a bad picture name before any work is done."""
    if path is not None and Path(path).suffix.lower() not in (".svg", ".png"):
        raise _UsageError(f"--plot {path}: use a .svg or .png file name")


def _timeline(args: argparse.Namespace) -> int:
    from lmtx.course.replay import timeline  # noqa: PLC0415 - loaded by the command that needs it
    from lmtx.course.text import render  # noqa: PLC0415

    _check_plot(args.plot)
    course = timeline(_read(args.file), as_of=args.as_of, policy=_policy(args))
    sys.stdout.write((course.to_json(indent=2) if args.json else render(course, args.width)) + "\n")
    if args.plot:
        from lmtx.course.plot import PlottingUnavailable, plot_timeline  # noqa: PLC0415 - an optional extra

        try:
            plot_timeline(course, args.plot)
        except PlottingUnavailable as error:  # the message names the install command
            raise _UsageError(str(error)) from None
        sys.stderr.write(f"lmtx timeline: drew {args.plot}\n")
    return _OK


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    for line in stream:
        yield line.rstrip(b"\r\n")


def _audit(args: argparse.Namespace) -> int:
    from tqdm import tqdm  # type: ignore[import-untyped]  # noqa: PLC0415 - no stubs; only this command needs it

    from lmtx.course.audit import audit  # noqa: PLC0415 - loaded by the command that needs it

    _check_plot(args.plot)
    policy = _policy(args)
    if args.output not in (None, "-") and args.input != "-" and _same_file(args.input, args.output):
        raise _UsageError(f"the output {args.output} is the input; refusing to overwrite it")
    try:
        source: IO[bytes] = sys.stdin.buffer if args.input == "-" else Path(args.input).open("rb")  # noqa: SIM115
    except OSError as error:
        raise _UsageError(f"cannot read {args.input}: {error.strerror or error}") from None
    progress = tqdm(
        total=_count_lines(args.input),
        unit=" records",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        dynamic_ncols=True,
    )
    started = time.monotonic()
    try:
        report = audit(
            _lines(source),
            workers=args.workers,
            as_of=args.as_of,
            policy=policy,
            chunksize=args.chunksize,
            on_record=lambda _: progress.update(),
        )
    finally:
        progress.close()
        source.close()
    elapsed = time.monotonic() - started
    text = json.dumps(_with_lines(report.to_dict()), indent=2, ensure_ascii=False) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise _UsageError(f"cannot write {args.output}: {error.strerror or error}") from None
    if args.plot:
        from lmtx.course.plot import PlottingUnavailable, plot_audit  # noqa: PLC0415 - an optional extra

        try:
            plot_audit(report, args.plot)
        except PlottingUnavailable as error:  # the message names the install command
            raise _UsageError(str(error)) from None
    sys.stderr.write(
        f"lmtx audit: {report.records} records: {report.audited} audited, {report.invalid} invalid, "
        f"{report.internal_errors} internal errors ({elapsed:.1f} s, {args.workers} worker(s))\n"
    )
    if report.internal_errors:
        return _INTERNAL
    return _INVALID if report.invalid else _OK


def _count_lines(path: str) -> int | None:
    """The number of lines of a regular file (the progress bar's total), ``None`` for a stream."""
    if path == "-" or not Path(path).is_file():
        return None
    count, last = 0, b"\n"
    with Path(path).open("rb") as stream:
        while block := stream.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def _with_lines(data: dict[str, Any]) -> dict[str, Any]:
    """Failures numbered by input line (1-based), as ``lmtx batch`` numbers them."""
    data["failures"] = [{"line": f.pop("index") + 1, **f} for f in data["failures"]]
    return data


def _same_file(first: str, second: str) -> bool:
    try:
        return Path(first).samefile(second)
    except OSError:
        return False
