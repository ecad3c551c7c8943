"""Same answers from two builds: generated patients, evaluated, written as wire JSON with the trace.

A change to the engine or its build must not change a single byte of any
result. Generate the patients once (seeded, with lmtx's own hypothesis
strategies), evaluate them with each build, compare the files::

    python benchmarks/wire_identity.py generate --count 4000 --seed 2026 --out /tmp/patients.jsonl
    .venv-before/bin/python benchmarks/wire_identity.py evaluate /tmp/patients.jsonl --out /tmp/before.jsonl
    .venv/bin/python benchmarks/wire_identity.py evaluate /tmp/patients.jsonl --out /tmp/after.jsonl
    cmp /tmp/before.jsonl /tmp/after.jsonl

Run it as a script (not ``-m``), so that each interpreter imports the ``lmtx``
installed in its own environment. Each output line is one result's
``to_json()`` (trace included), or the error an evaluation raised.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import lmtx


def generate(count: int, seed: int, out: Path) -> None:
    """Write ``count`` evaluation cases (patient and as_of) as JSON lines."""
    # Only generating needs hypothesis (lmtx[testing]); evaluating does not.
    from hypothesis import HealthCheck, Phase, given, settings  # noqa: PLC0415
    from hypothesis import seed as hypothesis_seed  # noqa: PLC0415

    from lmtx.strategies import EvaluationCase, evaluation_cases  # noqa: PLC0415

    cases: list[str] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(evaluation_cases())
    def collect(case: EvaluationCase) -> None:
        as_of = case.as_of.isoformat() if case.as_of is not None else None
        cases.append(json.dumps({"patient": case.patient, "as_of": as_of}, sort_keys=True))

    collect()
    out.write_text("".join(line + "\n" for line in cases), encoding="utf-8")
    print(f"{len(cases)} cases (seed {seed}) -> {out}")


def evaluate(patients: Path, out: Path) -> None:
    """Evaluate every case of ``patients``; write one line of wire JSON per case."""
    lines = []
    for line in patients.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        as_of = dt.date.fromisoformat(case["as_of"]) if case["as_of"] is not None else None
        try:
            lines.append(lmtx.evaluate(case["patient"], as_of=as_of).to_json())
        except lmtx.LmtxError as error:
            lines.append(json.dumps({"error": type(error).__name__, "message": str(error)}))
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} results (lmtx {lmtx.__version__}) -> {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks/wire_identity.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate", help="write seeded evaluation cases as JSON lines")
    make.add_argument("--count", type=int, default=4000)
    make.add_argument("--seed", type=int, default=2026)
    make.add_argument("--out", type=Path, required=True)
    run = commands.add_parser("evaluate", help="evaluate the cases; write one wire JSON line each")
    run.add_argument("patients", type=Path)
    run.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.count, args.seed, args.out)
    else:
        evaluate(args.patients, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
