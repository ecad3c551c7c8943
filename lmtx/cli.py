"""The ``lmtx`` command line (documented in docs/cli.md).

Commands: ``evaluate`` (the result JSON of one record), ``explain`` (a
readable report, or why a code was not given), ``schema`` (the input JSON
Schema), ``rules`` (the rule catalogue), ``batch`` (JSON Lines in, JSON Lines
out, across processes), ``serve`` (the CDS Hooks service, from the
``server`` extra), and, from :mod:`lmtx.course.cli`, ``timeline`` (one
patient's course, day by day) and ``audit`` (a cohort's concordance with the
document). Each command is one function that adds its parser (see
:data:`_COMMANDS`) and one handler that runs it; what they share (the
evaluation options, reading, writing, warnings, JSON Lines) is in
:mod:`lmtx._cli_io`; the ``rules`` and ``batch`` commands have modules of their own
(:mod:`lmtx._cli_rules`, :mod:`lmtx._cli_batch`).

Exit codes: 0 success, 1 internal error, 2 invalid input (a record, on
stderr with the path of every problem) or a bad argument (reported the way
argparse reports its own), 141 when the reader of standard output went away
(``lmtx batch big.jsonl | head``): the command stops quietly.

The library never reads the clock; the command line, used by a person today,
does in two places: ``--as-of today``, and a warning on stderr when a record's
latest date lies after today's date (the result does not change).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lmtx.__about__ import __version__
from lmtx._cli_batch import batch_command
from lmtx._cli_io import (
    EXIT_CODES,
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    Commands,
    UsageError,
    add_command,
    evaluation_options,
    latest_date,
    policy_of,
    read,
    warn_if_future,
    whole_number,
    write,
)
from lmtx._cli_rules import rules_command
from lmtx._evaluate import evaluate
from lmtx.catalogue import CATALOGUE
from lmtx.errors import InvalidPatient, LmtxError
from lmtx.explain import DEFAULT_DEPTH

__all__ = ["EXIT_INTERNAL", "EXIT_INVALID", "EXIT_OK", "EXIT_PIPE_CLOSED", "main"]

_SERVER_EXTRA = "pip install 'lmtx[server]'"
_MAX_INDENT = 16

# --- arguments --------------------------------------------------------------------------------


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535, got {value}")
    return value


def _text_file(text: str) -> str:
    """A path to a readable UTF-8 text file (checked at the door, so that no reader of it meets bad bytes)."""
    try:
        Path(text).read_bytes().decode("utf-8")
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise argparse.ArgumentTypeError(f"{text} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    return text


def _code(text: str) -> str:
    if text not in CATALOGUE:
        raise argparse.ArgumentTypeError(f"unknown code {text!r}; the codes are: {', '.join(CATALOGUE)}")
    return text


# --- commands ---------------------------------------------------------------------------------


def _evaluate(args: argparse.Namespace) -> int:
    data = read(args.file)
    result = evaluate(data, as_of=args.as_of, policy=policy_of(args))
    warn_if_future(args.command, latest_date(data, args, result.as_of))
    write(result.to_json(indent=None if args.compact else 2))
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from lmtx.explain import Detail, explanation, why_not  # noqa: PLC0415 - loaded only by the command that needs it

    data, policy = read(args.file), policy_of(args)
    if args.engine and not args.why_not:
        raise UsageError("--engine goes with --why-not CODE (the engine's account of a why-not answer)")
    if args.why_not:
        detail: Detail = "engine" if args.engine else "clinical"
        ask = functools.partial(why_not, data, as_of=args.as_of, policy=policy, depth=args.depth, detail=detail)
        answers = [ask(code) for code in args.why_not]
        warn_if_future(args.command, latest_date(data, args, answers[0].as_of))
        if args.format == "json":
            payload: Any = [a.to_dict() for a in answers]
            write(json.dumps(payload if len(payload) > 1 else payload[0], indent=2, ensure_ascii=False))
        else:
            write("\n".join(a.to_text(args.width) for a in answers))
        return EXIT_OK
    report = explanation(data, as_of=args.as_of, policy=policy)
    warn_if_future(args.command, latest_date(data, args, report.result.as_of))
    if args.format == "json":
        write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        write(report.to_text(args.width))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from lmtx.schema import patient_schema  # noqa: PLC0415 - loaded only by the command that needs it

    write(json.dumps(patient_schema(), indent=args.indent, ensure_ascii=False))
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    try:
        server = importlib.import_module("lmtx.server")
    except ImportError as error:
        cause = error.__cause__ if isinstance(error.__cause__, ImportError) else error
        missing = f" ({cause.name} is missing)" if cause.name and cause.name != "lmtx.server" else ""
        sys.stderr.write(
            f"lmtx serve: the CDS Hooks service is not installed{missing}. Install it with: {_SERVER_EXTRA}\n"
        )
        return EXIT_INVALID
    config_error = getattr(server, "ConfigError", None)
    try:
        server.serve(
            host=args.host,
            port=args.port,
            config=args.config,
            insecure_listen_without_auth=args.insecure_listen_without_auth,
        )
    except Exception as error:
        if isinstance(config_error, type) and isinstance(error, config_error):
            where = f"invalid configuration {args.config}: " if args.config else ""
            raise UsageError(f"{where}{error}") from None
        raise
    return EXIT_OK


# --- parsers ----------------------------------------------------------------------------------


def _evaluate_command(commands: Commands, shared: Sequence[argparse.ArgumentParser]) -> None:
    run = add_command(
        commands,
        "evaluate",
        "Print the result JSON of one patient record.",
        ["lmtx evaluate patient.json", "lmtx evaluate - --as-of 2026-03-01 --compact < patient.json"],
        parents=shared,
    )
    run.add_argument("file", metavar="FILE", help="patient JSON file, or - for standard input")
    run.add_argument("--compact", action="store_true", help="one line of JSON instead of indented JSON")
    run.set_defaults(handler=_evaluate)


def _explain_command(commands: Commands, shared: Sequence[argparse.ArgumentParser]) -> None:
    report = add_command(
        commands,
        "explain",
        "Explain a result in words, or why a code was not given.",
        [
            "lmtx explain patient.json",
            "lmtx explain patient.json --why-not it-pemetrexed",
            "lmtx explain patient.json --why-not it-pemetrexed --engine",
            "lmtx explain patient.json --format json",
        ],
        details=(
            "The report gives the LM status, the applicability and the phase with the findings that decided "
            "them (with their dates and their age on the evaluation date), then each recommendation, alert "
            "and prognosis note with its reason and the statements it rests on. With --why-not CODE: at most "
            "15 lines for a clinician, what is not met and at most three clinical events, dated the evaluation "
            "date, that would change the advice (each checked by evaluating the record with it); --engine "
            "gives the engine's account instead (every rule, condition and fact). --format json carries both."
        ),
        parents=shared,
    )
    report.add_argument("file", metavar="FILE", help="patient JSON file, or - for standard input")
    report.add_argument(
        "--why-not",
        metavar="CODE",
        type=_code,
        action="append",
        help=(
            "explain why CODE (a recommendation, alert or prognosis code) was not given; repeatable "
            "(with --format json, several answers make a list)"
        ),
    )
    report.add_argument(
        "--depth",
        type=whole_number(0),
        default=DEFAULT_DEPTH,
        metavar="N",
        help=f"levels of deriving rules followed by --why-not (default {DEFAULT_DEPTH})",
    )
    report.add_argument("--engine", action="store_true", help="with --why-not: the engine's account (rules, facts)")
    report.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    report.add_argument("--width", type=whole_number(40), default=100, metavar="N", help="text width (default 100)")
    report.set_defaults(handler=_explain)


def _schema_command(commands: Commands, _: Sequence[argparse.ArgumentParser]) -> None:
    schema = add_command(
        commands,
        "schema",
        "Print the JSON Schema (draft 2020-12) of the input record.",
        ["lmtx schema > lmtx-patient.schema.json", "lmtx schema --indent 0"],
        details=(
            "Every property carries its description, for editors and validators. The schema is necessary, "
            "not sufficient: checks across fields (dates after the evaluation date, an end before its start) "
            "are lmtx's alone."
        ),
    )
    schema.add_argument(
        "--indent",
        type=whole_number(0, _MAX_INDENT),
        default=2,
        metavar="N",
        help=f"JSON indentation, 0-{_MAX_INDENT} (default 2)",
    )
    schema.set_defaults(handler=_schema)


def _serve_command(commands: Commands, _: Sequence[argparse.ArgumentParser]) -> None:
    serve = add_command(
        commands,
        "serve",
        "Run the CDS Hooks service (an optional extra).",
        ["lmtx serve", "lmtx serve --host 127.0.0.1 --port 8080 --config service.toml"],
        details=f"Needs the server extra: {_SERVER_EXTRA}. docs/fhir.md describes the services and the configuration.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8080, help="port to listen on (default 8080)")
    serve.add_argument("--config", type=_text_file, metavar="FILE", help="service configuration file (TOML or JSON)")
    serve.add_argument(
        "--insecure-listen-without-auth",
        action="store_true",
        help="listen beyond loopback without JWT verification (refused otherwise; see docs/fhir.md)",
    )
    serve.set_defaults(handler=_serve)


def _course_commands(commands: Commands, shared: Sequence[argparse.ArgumentParser]) -> None:
    from lmtx.course.cli import add_subcommands  # noqa: PLC0415 - the course commands live with the course

    add_subcommands(commands, shared)


_COMMANDS: list[Callable[[Commands, Sequence[argparse.ArgumentParser]], None]] = [
    _evaluate_command,
    _explain_command,
    _schema_command,
    rules_command,
    batch_command,
    _serve_command,
    _course_commands,
]
"""The subcommands, in the order ``lmtx --help`` lists them: adding one is adding its function here."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lmtx",
        description="Leptomeningeal metastases in EGFR-mutant NSCLC: evaluate and explain patient records.",
        epilog=(
            "examples:\n  lmtx evaluate patient.json\n  lmtx explain patient.json --why-not it-pemetrexed\n"
            "  lmtx COMMAND --help\n\n" + textwrap.fill(EXIT_CODES, 88)
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lmtx {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shared = [evaluation_options()]
    for add in _COMMANDS:
        add(commands, shared)
    return parser


def _close_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null, so that the exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor: nothing to redirect
        return


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: The arguments after the program name; default: ``sys.argv[1:]``.

    Returns:
        The exit code: 0 success, 2 invalid input or a bad argument, 1 internal
        error, 141 standard output closed by its reader.
    """
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (InvalidPatient, UsageError) as error:
        where = f"{args.file}: " if isinstance(error, InvalidPatient) and getattr(args, "file", None) else ""
        sys.stderr.write(f"lmtx {args.command}: {where}{error}\n")
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader went away (``lmtx batch big.jsonl | head``): stop quietly, as other tools do.
        _close_stdout()
        return EXIT_PIPE_CLOSED
    except LmtxError as error:
        sys.stderr.write(f"lmtx {args.command}: internal error: {error}\n")
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except Exception:  # noqa: BLE001 - the last resort: a defect, reported with its traceback
        sys.stderr.write(f"lmtx {args.command}: internal error (please report it with the input):\n")
        traceback.print_exc(file=sys.stderr)
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
