"""What every ``lmtx`` command shares: arguments, reading, writing, warnings, JSON Lines, exit codes.

The commands live in :mod:`lmtx.cli` and, for the patient's course, in
:mod:`lmtx.course.cli`; both build their parsers, read their input and write
their output through the functions here, so that a convention of the command
line (documented in docs/cli.md) has one implementation. :func:`lmtx.cli.main`
turns the exceptions into exit codes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import secrets
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from lmtx._codec import WireError, parse_date
from lmtx._evaluate import PatientInput, parse_patient
from lmtx._validate import default_as_of
from lmtx.batch import Failed
from lmtx.errors import InvalidPatient, Problem
from lmtx.policy import Policy, coerce_policy

EXIT_OK = 0
"""Success."""
EXIT_INTERNAL = 1
"""An internal error: a defect in lmtx (please report it with the input)."""
EXIT_INVALID = 2
"""Invalid input: a record, an argument, or a file that cannot be read or written."""
EXIT_PIPE_CLOSED = 141
"""Standard output was closed by its reader (128 + SIGPIPE, as the shell reports a tool killed by it)."""

EXIT_CODES = (
    "exit codes: 0 success; 2 invalid input (every problem with its path on stderr) or a bad argument; "
    "1 internal error; 141 standard output closed early"
)
"""The exit codes as the help of a command that reads one record states them."""

Commands = Any  # argparse's subparsers action (its class is private)


class UsageError(Exception):
    """A file that cannot be read or written, reported on stderr with exit code 2."""


# --- output ---------------------------------------------------------------------------------


def write(text: str) -> None:
    r"""Write one block of output to stdout as UTF-8, whatever the locale.

    JSON is UTF-8 by definition; a string that cannot be encoded (none can reach
    here: lmtx refuses lone surrogates on input) would be written as a ``\uXXXX``
    escape, which JSON reads back as the same string, never as a crash.
    """
    data = (text if text.endswith("\n") else text + "\n").encode("utf-8", "backslashreplace")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # stdout replaced by a text-only stream (an embedding program, a test harness)
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()


def warn(command: str, message: str) -> None:
    """Write ``lmtx COMMAND: warning: MESSAGE`` on stderr."""
    sys.stderr.write(f"lmtx {command}: warning: {message}\n")


def today() -> dt.date:
    """Today's date: only the command line reads the clock, never the library."""
    return dt.date.today()  # the user's local calendar day is what "today" means here


def warn_if_future(command: str, latest: dt.date | None) -> None:
    """Warn when a record's latest date lies after today: most often a typing error in a date."""
    now = today()
    if latest is not None and latest > now:
        warn(
            command,
            f"the record's latest date, {latest.isoformat()}, lies after today ({now.isoformat()}); check its "
            "dates (the result does not depend on today's date)",
        )


def today_for_records(command: str, as_of: dt.date | None) -> tuple[dt.date, dt.date | None]:
    """For a command over many records: warn when ``--as-of`` lies after today.

    Returns today's date, and the date each record's latest date is compared
    with (today), or ``None`` when ``--as-of`` was given: every record is then
    evaluated on that date and cannot hold a later one.
    """
    now = today()
    if as_of is not None and as_of > now:
        warn(command, f"--as-of {as_of.isoformat()} is after today ({now.isoformat()})")
    return now, None if as_of is not None else now


def warn_about_records(command: str, source: str, records: int, future: Sequence[int], now: dt.date) -> None:
    """The warnings at the end of a command over many records: none at all, or some dated after today."""
    if records == 0:
        warn(command, f"{'standard input' if source == '-' else source} holds no records")
    if future:
        warn(
            command,
            f"{len(future)} record(s) have a latest date after today ({now.isoformat()}), "
            f"the first on line {future[0]}; check their dates",
        )


# --- arguments --------------------------------------------------------------------------------


def _as_of_argument(text: str) -> dt.date:
    if text == "today":
        return today()
    try:
        return parse_date(text)
    except WireError:
        raise argparse.ArgumentTypeError(f"must be a calendar date YYYY-MM-DD or 'today', got {text!r}") from None


def _ecog_argument(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number 1-4, got {text!r}") from None
    try:
        coerce_policy({"poor_ps_ecog": value})
    except InvalidPatient as error:
        raise argparse.ArgumentTypeError("; ".join(p.message for p in error.problems)) from None
    return value


def _reject_constant(token: str) -> object:
    raise ValueError(f"{token} is not a number in JSON")


def _policy_argument(text: str) -> Policy:
    """``--policy``: inline JSON (text starting with ``{``) or the path of a JSON file."""
    if text.lstrip().startswith("{"):
        source, data = "the inline policy", text.encode("utf-8", "backslashreplace")
    else:
        source = text
        try:
            data = Path(text).read_bytes()
        except OSError as error:
            raise argparse.ArgumentTypeError(f"cannot read {text}: {error.strerror or error}") from None
    try:
        loaded = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise argparse.ArgumentTypeError(f"{source} is not valid JSON: {error}") from None
    if not isinstance(loaded, dict):
        raise argparse.ArgumentTypeError(f'{source} must hold a JSON object, e.g. {{"poor_ps_ecog": 2}}')
    try:
        return coerce_policy(loaded)
    except InvalidPatient as error:
        raise argparse.ArgumentTypeError(f"{source}: " + "; ".join(map(str, error.problems))) from None


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """The argument type of a whole number from ``low`` (to ``high``), refused in argparse's form otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}, got {value}")
        return value

    return parse


def evaluation_options() -> argparse.ArgumentParser:
    """The parent parser of the evaluation options, each checked while parsing.

    ``--as-of``, ``--policy``, ``--poor-ps-ecog`` and ``--safety-pack``.
    """
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("evaluation")
    group.add_argument(
        "--as-of",
        type=_as_of_argument,
        metavar="DATE",
        help="evaluation date YYYY-MM-DD, or 'today' (default: the latest date in each record)",
    )
    group.add_argument(
        "--policy",
        type=_policy_argument,
        metavar="JSON|FILE",
        help="the policy as inline JSON, e.g. '{\"poor_ps_ecog\": 2}', or the path of a JSON file holding it",
    )
    group.add_argument(
        "--poor-ps-ecog",
        type=_ecog_argument,
        metavar="N",
        help="ECOG score from which performance status counts as poor, 1-4 (default 3); overrides --policy",
    )
    group.add_argument(
        "--safety-pack",
        action="store_true",
        help=(
            "add the safety pack's cautions: alerts, each citing a public source, on what the document does not "
            "say (off by default; the document's advice is the same either way)"
        ),
    )
    return options


def policy_of(args: argparse.Namespace) -> Policy:
    """The policy of ``--policy`` with ``--poor-ps-ecog`` and ``--safety-pack`` on top (validated while parsing)."""
    policy: Policy = args.policy or Policy()
    if args.poor_ps_ecog is not None:
        policy = attrs.evolve(policy, poor_ps_ecog=args.poor_ps_ecog)
    if args.safety_pack:
        policy = attrs.evolve(policy, safety_pack=True)
    return policy


def add_workers_options(parser: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--chunksize``, for the commands that run records in worker processes."""
    parser.add_argument(
        "--workers",
        type=whole_number(1),
        default=1,
        metavar="N",
        help="worker processes (default 1: in this process)",
    )
    parser.add_argument("--chunksize", type=whole_number(1), metavar="N", help="records sent to a worker at a time")


def add_command(
    commands: Commands,
    name: str,
    summary: str,
    examples: Sequence[str],
    *,
    details: str = "",
    parents: Sequence[argparse.ArgumentParser] = (),
    exit_codes: str = EXIT_CODES,
) -> argparse.ArgumentParser:
    """Add one subcommand: a one-line summary, optional details, examples, exit codes."""
    description = summary if not details else f"{summary}\n\n{textwrap.fill(details, 88)}"
    epilog = "examples:\n" + "\n".join(f"  {example}" for example in examples) + "\n\n" + textwrap.fill(exit_codes, 88)
    return commands.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=description,
        epilog=epilog,
        parents=list(parents),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


# --- one record -------------------------------------------------------------------------------


def read(source: str) -> bytes:
    """A record's bytes (lmtx decodes JSON itself); refuses an empty file with its own message."""
    if source == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read {source}: {error.strerror or error}") from None
    if not data.strip():
        what = "standard input is empty" if source == "-" else "empty file"
        raise InvalidPatient([Problem("$", f"{what}; expected one JSON object (a patient record)")])
    return data


def latest_date(data: PatientInput, args: argparse.Namespace, evaluated_as_of: dt.date | None) -> dt.date | None:
    """The record's latest date: the evaluation date when none was given, else read from the record."""
    if args.as_of is None:
        return evaluated_as_of
    model, _ = parse_patient(data, args.as_of)
    return default_as_of(model)


# --- JSON Lines -------------------------------------------------------------------------------

BLANK_LINE = Problem("$", "empty line; expected one JSON object (a patient record)")
"""The problem of a blank line between records."""


def records(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of a JSON Lines stream, without the blank lines that end it.

    A blank line between records stays a line (and so becomes an error line in
    the output, keeping output line N the answer to input line N); blank lines
    after the last record are only the end of the file.
    """
    blanks = 0
    for raw in stream:
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            blanks += 1
            continue
        yield from (b"" for _ in range(blanks))
        blanks = 0
        yield line


def is_blank(line: PatientInput) -> bool:
    """Whether a line of JSON Lines is blank (a blank line between records)."""
    return isinstance(line, bytes) and not line.strip()


def blank_line(index: int) -> Failed:
    """The failure of a blank line between records, at 0-based position ``index``."""
    header = str(InvalidPatient([BLANK_LINE])).split("\n")[0]
    return Failed(index, "invalid-patient", header, (BLANK_LINE,))


def numbered(failure: Failed) -> dict[str, Any]:
    """A failure as JSON, numbered by its 1-based input line instead of its index."""
    data = failure.to_dict()
    del data["index"]
    return {"line": failure.index + 1, **data}


def count_records(path: str) -> int | None:
    """The number of records in a regular file (for the progress bar), ``None`` for a stream."""
    if path == "-" or not Path(path).is_file():
        return None
    count = 0
    with Path(path).open("rb") as stream:
        for _ in records(stream):
            count += 1
    return count


def _same_file(first: str, second: str) -> bool:
    try:
        return Path(first).samefile(second)
    except OSError:
        return False


class WholeFile(io.FileIO):
    """An output file that replaces its target only once it is complete.

    It is written under a new name in the target's directory (created with the
    mode a plain ``open`` would give it; an existing target's mode is kept) and
    moved over the target by :meth:`commit`; :meth:`discard` removes it. A
    command that fails or is interrupted leaves an earlier file as it was.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(target))
        if target.exists() and not os.access(target, os.W_OK):
            raise PermissionError(13, "Permission denied", str(target))
        while True:
            self.partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
            try:
                descriptor = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            break
        super().__init__(descriptor, "wb", closefd=True)

    def commit(self) -> None:
        """Close the file and move it over the target."""
        self.close()
        with contextlib.suppress(OSError):  # the target is new, or its mode cannot be read
            os.chmod(self.partial, self.target.stat().st_mode & 0o7777)
        os.replace(self.partial, self.target)

    def discard(self) -> None:
        """Close the file and remove it; the target is left as it was."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.partial.unlink()


def open_input_output(source: str, target: str | None, *, whole: bool = False) -> tuple[IO[bytes], IO[bytes]]:
    """Open the input (``-``: stdin) and the output (``None`` or ``-``: stdout), before any work is done.

    With ``whole``, an output file is a :class:`WholeFile`: :func:`close_files`
    puts it in place only when the command completed.
    """
    to_stdout = target in (None, "-")
    if target is not None and not to_stdout and source != "-" and _same_file(source, target):
        raise UsageError(f"the output {target} is the input; refusing to overwrite it")
    try:
        stream: IO[bytes] = sys.stdin.buffer if source == "-" else Path(source).open("rb")  # noqa: SIM115
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror or error}") from None
    try:
        if target is None or to_stdout:
            sink: IO[bytes] = sys.stdout.buffer
        elif whole:
            sink = WholeFile(Path(target))
        else:
            sink = Path(target).open("wb")  # noqa: SIM115
    except OSError as error:
        stream.close()
        raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
    return stream, sink


def close_files(stream: IO[bytes], sink: IO[bytes], *, complete: bool = True) -> None:
    """Close what :func:`open_input_output` opened (standard output stays open).

    A :class:`WholeFile` replaces its target when ``complete``, and is removed otherwise.
    """
    stream.close()
    if isinstance(sink, WholeFile):
        if complete:
            try:
                sink.commit()
            except OSError as error:
                sink.discard()
                raise UsageError(f"cannot write {sink.target}: {error.strerror or error}") from None
        else:
            sink.discard()
    elif sink is not sys.stdout.buffer:
        sink.close()


@contextlib.contextmanager
def progress_bar(total: int | None) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal, cleared when the reader of stdout went away."""
    from tqdm import tqdm  # type: ignore[import-untyped]  # noqa: PLC0415 - no stubs; only some commands need it

    progress = tqdm(total=total, unit=" records", file=sys.stderr, disable=not sys.stderr.isatty(), dynamic_ncols=True)
    try:
        yield progress
    except BrokenPipeError:
        progress.leave = False  # clear the bar: the reader went away, nothing is left to report
        raise
    finally:
        progress.close()
