"""The ``lmtx`` command line.

Commands: ``evaluate`` (the result JSON of one record), ``explain`` (a
readable report, or why a code was not given), ``schema`` (the input JSON
Schema), ``rules`` (the rule catalogue), ``batch`` (JSON Lines in, JSON Lines
out, across processes) and ``serve`` (the CDS Hooks service, from the
``server`` extra).

Exit codes: 0 success, 2 invalid input (the problems, with their paths, on
stderr; also bad arguments and unreadable files), 1 internal error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from lmtx._evaluate import PatientInput, evaluate
from lmtx.batch import Evaluated, Failed, Outcome, check_arguments, evaluate_one, lost_outcome, ordered_map
from lmtx.catalogue import CATALOGUE
from lmtx.errors import InvalidPatient, LmtxError, Problem
from lmtx.knowledge import RuleInfo, knowledge_base
from lmtx.policy import Policy

__all__ = ["EXIT_INTERNAL", "EXIT_INVALID", "EXIT_OK", "main"]

EXIT_OK = 0
"""Success."""
EXIT_INTERNAL = 1
"""An internal error: a defect in lmtx (please report it with the input)."""
EXIT_INVALID = 2
"""Invalid input: a record, an option, or a file that cannot be read or written."""

_SERVER_EXTRA = "pip install 'lmtx[server]'"


class _UsageError(Exception):
    """A problem with the command's arguments or files, reported on stderr with exit code 2."""


# --- input ---------------------------------------------------------------------------------


def _read(source: str) -> bytes:
    """A file's bytes, or standard input's for ``-`` (lmtx decodes JSON itself)."""
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise _UsageError(f"cannot read {source}: {error.strerror or error}") from None


def _policy(args: argparse.Namespace) -> dict[str, object] | None:
    """The policy from ``--policy FILE`` and ``--poor-ps-ecog``; lmtx validates it."""
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


def _write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


# --- commands ------------------------------------------------------------------------------


def _evaluate(args: argparse.Namespace) -> int:
    result = evaluate(_read(args.file), as_of=args.as_of, policy=_policy(args))
    _write(result.to_json(indent=None if args.compact else 2))
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from lmtx.explain import explanation, why_not  # noqa: PLC0415 - loaded only by the command that needs it

    data, policy = _read(args.file), _policy(args)
    if args.why_not:
        answers = [why_not(data, code, as_of=args.as_of, policy=policy, depth=args.depth) for code in args.why_not]
        if args.format == "json":
            payload: Any = [a.to_dict() for a in answers]
            _write(json.dumps(payload if len(payload) > 1 else payload[0], indent=2, ensure_ascii=False))
        else:
            _write("\n".join(a.to_text(args.width) for a in answers))
        return EXIT_OK
    report = explanation(data, as_of=args.as_of, policy=policy)
    if args.format == "json":
        _write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _write(report.to_text(args.width))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from lmtx.schema import patient_schema  # noqa: PLC0415 - loaded only by the command that needs it

    _write(json.dumps(patient_schema(), indent=args.indent, ensure_ascii=False))
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    kb = knowledge_base()
    rules = [r for r in kb.rules if args.code is None or args.code in r.codes]
    if args.format == "json":
        _write(json.dumps(kb.to_dict()["rules"] if args.code is None else [_rule_row(r) for r in rules], indent=2))
        return EXIT_OK
    rows = [("RULE", "STATEMENTS", "CODES")]
    rows += [(r.id, " ".join(r.statements), _codes_cell(r)) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for rule_id, statements, codes in rows:
        _write(f"{rule_id:<{widths[0]}}  {statements:<{widths[1]}}  {codes}".rstrip())
    _write(f"\n{len(rules)} rules; knowledge base {kb.id} {kb.version} {kb.digest}")
    return EXIT_OK


def _codes_cell(rule: RuleInfo) -> str:
    if rule.codes:
        return ", ".join(rule.codes)
    return f"(derives {', '.join(rule.derives)})" if rule.derives else "-"


def _rule_row(rule: RuleInfo) -> dict[str, Any]:
    return {"id": rule.id, "statements": list(rule.statements), "codes": list(rule.codes)}


def _serve(args: argparse.Namespace) -> int:
    try:
        server = importlib.import_module("lmtx.server")
    except ImportError as error:
        sys.stderr.write(
            f"lmtx serve: the CDS Hooks service is not installed ({error}).\nInstall it with: {_SERVER_EXTRA}\n"
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
            raise _UsageError(f"invalid configuration {args.config}: {error}") from None
        raise
    return EXIT_OK


# --- batch ---------------------------------------------------------------------------------


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    for line in stream:
        yield line.rstrip(b"\r\n")


def _count_lines(path: str) -> int | None:
    """The number of lines of a regular file (for the progress bar), ``None`` for a stream."""
    if path == "-" or not Path(path).is_file():
        return None
    count, last = 0, b"\n"
    with Path(path).open("rb") as stream:
        while block := stream.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


_BLANK = Problem("$", "empty line; expected one JSON object (a patient record)")


def _json_line(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _rendered(outcome: Outcome) -> tuple[str, str]:
    """(kind, JSON line) of one outcome: the result, or an error object with its 1-based line number."""
    if isinstance(outcome, Evaluated):
        return "evaluated", _json_line(outcome.to_dict())
    data = outcome.to_dict()
    del data["index"]
    return outcome.error, _json_line({"line": outcome.index + 1, **data})


def _line_task(index: int, line: PatientInput, as_of: dt.date | None, policy: Policy) -> tuple[str, str]:
    """Evaluate one input line and render its output line (in a worker, so that the parent only writes)."""
    if isinstance(line, bytes) and not line.strip():
        return _rendered(Failed(index, "invalid-patient", str(InvalidPatient([_BLANK])).split("\n")[0], (_BLANK,)))
    return _rendered(evaluate_one(index, line, as_of, policy))


def _lost_line(index: int, line: PatientInput, message: str) -> tuple[str, str]:
    return _rendered(lost_outcome(index, line, message))


def _same_file(first: str, second: str) -> bool:
    try:
        return Path(first).samefile(second)
    except OSError:
        return False


def _open_batch_files(args: argparse.Namespace) -> tuple[IO[bytes], IO[str]]:
    to_stdout = args.output in (None, "-")
    if not to_stdout and args.input != "-" and _same_file(args.input, args.output):
        raise _UsageError(f"the output {args.output} is the input; refusing to overwrite it")
    try:
        source: IO[bytes] = sys.stdin.buffer if args.input == "-" else Path(args.input).open("rb")  # noqa: SIM115
    except OSError as error:
        raise _UsageError(f"cannot read {args.input}: {error.strerror or error}") from None
    try:
        sink: IO[str] = sys.stdout if to_stdout else Path(args.output).open("w", encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        source.close()
        raise _UsageError(f"cannot write {args.output}: {error.strerror or error}") from None
    return source, sink


def _batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm  # type: ignore[import-untyped]  # noqa: PLC0415 - no stubs; only this command needs it

    as_of, policy = check_arguments(args.as_of, _policy(args))
    total = _count_lines(args.input)
    source, sink = _open_batch_files(args)
    counts = {"evaluated": 0, "invalid-patient": 0, "internal-error": 0}
    task = functools.partial(_line_task, as_of=as_of, policy=policy)
    started = time.monotonic()
    progress = tqdm(total=total, unit=" records", file=sys.stderr, disable=not sys.stderr.isatty(), dynamic_ncols=True)
    try:
        for kind, line in ordered_map(task, _lost_line, _lines(source), args.workers, args.chunksize):
            counts[kind] += 1
            sink.write(line + "\n")
            progress.update()
    finally:
        progress.close()
        source.close()
        if sink is sys.stdout:
            sink.flush()
        else:
            sink.close()
    elapsed = time.monotonic() - started
    lines = sum(counts.values())
    where = "" if args.output in (None, "-") else f" -> {args.output}"
    sys.stderr.write(
        f"lmtx batch: {lines} lines: {counts['evaluated']} evaluated, {counts['invalid-patient']} invalid, "
        f"{counts['internal-error']} internal errors{where} ({elapsed:.1f} s, "
        f"{lines / elapsed if elapsed else 0:.0f} records/s, {args.workers} worker(s))\n"
    )
    if counts["internal-error"]:
        return EXIT_INTERNAL
    return EXIT_INVALID if counts["invalid-patient"] else EXIT_OK


# --- parser --------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535, got {value}")
    return value


def _code(text: str) -> str:
    if text not in CATALOGUE:
        raise argparse.ArgumentTypeError(f"unknown code {text!r}; the codes are: {', '.join(CATALOGUE)}")
    return text


_EXIT_CODES = "exit codes: 0 success, 2 invalid input (problems with their paths on stderr), 1 internal error"


def _evaluation_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("evaluation")
    group.add_argument(
        "--as-of", metavar="DATE", help="evaluation date YYYY-MM-DD (default: the latest date in each record)"
    )
    group.add_argument("--policy", metavar="FILE", help='policy as a JSON object, e.g. {"poor_ps_ecog": 2}')
    group.add_argument(
        "--poor-ps-ecog",
        type=int,
        metavar="N",
        help="ECOG score from which performance status counts as poor, 1-4 (default 3); overrides --policy",
    )
    return options


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lmtx",
        description="Leptomeningeal metastases in EGFR-mutant NSCLC: evaluate and explain patient records.",
        epilog=_EXIT_CODES,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shared = [_evaluation_options()]

    run = commands.add_parser(
        "evaluate", parents=shared, help="print the result JSON of one patient record", epilog=_EXIT_CODES
    )
    run.add_argument("file", metavar="FILE", help="patient JSON file, or - for standard input")
    run.add_argument("--compact", action="store_true", help="one line of JSON instead of indented JSON")
    run.set_defaults(handler=_evaluate)

    report = commands.add_parser(
        "explain",
        parents=shared,
        help="explain a result in words, or why a code was not given",
        description=(
            "Print a readable report: LM status and phase, each recommendation with the facts its rule "
            "matched and the statements and references it rests on, alerts by severity, prognosis notes. "
            "With --why-not CODE: for each rule that can emit CODE, which conditions held, which did not, "
            "and which input would change that."
        ),
        epilog=_EXIT_CODES,
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
        "--depth", type=int, default=3, help="levels of deriving rules followed by --why-not (default 3)"
    )
    report.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    report.add_argument("--width", type=_positive_int, default=100, help="text width (default 100)")
    report.set_defaults(handler=_explain)

    schema = commands.add_parser(
        "schema", help="print the JSON Schema (draft 2020-12) of the input record", epilog=_EXIT_CODES
    )
    schema.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2)")
    schema.set_defaults(handler=_schema)

    rules = commands.add_parser("rules", help="print the rule catalogue: id, statements, codes", epilog=_EXIT_CODES)
    rules.add_argument("--code", type=_code, help="only the rules that can emit this output code")
    rules.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    rules.set_defaults(handler=_rules)

    batch = commands.add_parser(
        "batch",
        parents=shared,
        help="evaluate JSON Lines: one patient per line in, one result or error per line out",
        description=(
            "Read one patient JSON object per line and write, in the same order, one line per input line: "
            'the result JSON, or an error object {"line", "error", "patient_id", "message", '
            '"problems"}. Invalid lines never stop the batch. A progress bar shows on a terminal; a '
            "summary goes to stderr at the end."
        ),
        epilog=(
            "exit codes: 0 every line evaluated, 2 some lines invalid (or unreadable input), 1 some line "
            "met an internal error; the output holds one line per input line in every case"
        ),
    )
    batch.add_argument("input", metavar="IN", help="JSON Lines file, or - for standard input")
    batch.add_argument("-o", "--output", metavar="OUT", help="output JSON Lines file (default: standard output)")
    batch.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker processes (default 1: in this process)",
    )
    batch.add_argument("--chunksize", type=_positive_int, metavar="N", help="records sent to a worker at a time")
    batch.set_defaults(handler=_batch)

    serve = commands.add_parser("serve", help=f"run the CDS Hooks service (needs: {_SERVER_EXTRA})", epilog=_EXIT_CODES)
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8080, help="port to listen on (default 8080)")
    serve.add_argument("--config", metavar="FILE", help="service configuration file")
    serve.add_argument(
        "--insecure-listen-without-auth",
        action="store_true",
        help="listen beyond loopback without JWT verification (refused otherwise; see docs/fhir.md)",
    )
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: The arguments after the program name; default: ``sys.argv[1:]``.

    Returns:
        The exit code: 0 success, 2 invalid input, 1 internal error.
    """
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (InvalidPatient, _UsageError) as error:
        where = f"{args.file}: " if isinstance(error, InvalidPatient) and getattr(args, "file", None) else ""
        sys.stderr.write(f"lmtx {args.command}: {where}{error}\n")
        return EXIT_INVALID
    except LmtxError as error:
        sys.stderr.write(f"lmtx {args.command}: internal error: {error}\n")
        return EXIT_INTERNAL
    except BrokenPipeError:
        # The reader went away (``lmtx rules | head``): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
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
