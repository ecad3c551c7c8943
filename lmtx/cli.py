"""The ``lmtx`` command line.

Exit codes: 0 success, 2 invalid input (the problems, with their paths, on
stderr), 1 internal error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lmtx._evaluate import evaluate
from lmtx.errors import InvalidPatient, LmtxError
from lmtx.policy import Policy

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = 0, 1, 2


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    return Path(source).read_text(encoding="utf-8")


def _policy(args: argparse.Namespace) -> Policy | None:
    if args.poor_ps_ecog is None:
        return None
    return Policy(poor_ps_ecog=args.poor_ps_ecog)


def _evaluate(args: argparse.Namespace) -> int:
    result = evaluate(_read(args.file), as_of=args.as_of, policy=_policy(args))
    sys.stdout.write(result.to_json(indent=2) + "\n")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lmtx",
        description="Leptomeningeal metastases in EGFR-mutant NSCLC: evaluate patient records.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("evaluate", help="print the result JSON for one patient record")
    run.add_argument("file", help="patient JSON file, or - for standard input")
    run.add_argument("--as-of", help="evaluation date YYYY-MM-DD (default: latest date in the record)")
    run.add_argument("--poor-ps-ecog", type=int, help="ECOG score from which performance status is poor (default 3)")
    run.set_defaults(handler=_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except InvalidPatient as error:
        sys.stderr.write(f"{error}\n")
        return EXIT_INVALID
    except OSError as error:
        sys.stderr.write(f"lmtx: cannot read input: {error}\n")
        return EXIT_INVALID
    except LmtxError as error:
        sys.stderr.write(f"lmtx: internal error: {error}\n")
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
