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

``compare`` checks two such files byte for byte after taking out, on both
sides, exactly the two fields every result gained with the safety pack
(lmtx 0.3.2): ``"origin": "document"`` on each recommendation, alert and
prognosis note, and ``"packs": []`` in ``knowledge_base``. Any other
difference, an item of another origin, or a pack turned on, is reported::

    python benchmarks/wire_identity.py compare /tmp/before.jsonl /tmp/after.jsonl

``evaluate --safety-pack`` evaluates with the pack on (for timing it, or for
looking at its alerts across the generated patients).
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


def evaluate(patients: Path, out: Path, *, safety_pack: bool = False) -> None:
    """Evaluate every case of ``patients``; write one line of wire JSON per case."""
    lines = []
    policy = {"safety_pack": True} if safety_pack else None
    for line in patients.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        as_of = dt.date.fromisoformat(case["as_of"]) if case["as_of"] is not None else None
        try:
            lines.append(lmtx.evaluate(case["patient"], as_of=as_of, policy=policy).to_json())
        except lmtx.LmtxError as error:
            lines.append(json.dumps({"error": type(error).__name__, "message": str(error)}))
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} results (lmtx {lmtx.__version__}) -> {out}")


ITEM_LISTS = ("recommendations", "alerts", "prognosis")


def without_pack_fields(line: str) -> str:
    """One output line with ``"origin": "document"`` and ``"packs": []`` taken out, re-encoded as ``to_json`` does.

    A line without them (an older build's, or an error) comes back unchanged.

    Raises:
        ValueError: When an item has another origin, or a pack was on.
    """
    if not line:  # the end of the file
        return line
    data = json.loads(line)
    if "knowledge_base" not in data:
        return line
    changed = False
    if "packs" in data["knowledge_base"]:
        if data["knowledge_base"].pop("packs") != []:
            raise ValueError("a pack was on")
        changed = True
    for key in ITEM_LISTS:
        for item in data[key]:
            if "origin" in item:
                if item.pop("origin") != "document":
                    raise ValueError(f"{key}: an item of origin other than document ({item['code']})")
                changed = True
    # Result.to_json(): json's encoder with ensure_ascii=False and the default separators.
    return json.dumps(data, ensure_ascii=False) if changed else line


def compare(before: Path, after: Path) -> int:
    """Compare two output files line by line, byte for byte, without the two pack fields; return 0 when equal."""
    # JSON Lines end at "\n" only: str.splitlines would also split at U+2028 and the like inside strings.
    old = before.read_bytes().decode("utf-8").split("\n")
    new = after.read_bytes().decode("utf-8").split("\n")
    if len(old) != len(new):
        print(f"different: {len(old)} lines in {before}, {len(new)} in {after}")
        return 1
    for number, (a, b) in enumerate(zip(old, new, strict=True), 1):
        try:
            same = without_pack_fields(a).encode() == without_pack_fields(b).encode()
        except ValueError as error:
            print(f"different on line {number}: {error}")
            return 1
        if not same:
            print(f"different on line {number}")
            return 1
    print(f"identical without the two pack fields: {len(old) - (old[-1] == '')} lines")
    return 0


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
    run.add_argument("--safety-pack", action="store_true", help="evaluate with the safety pack on")
    check = commands.add_parser("compare", help="compare two output files without the two pack fields")
    check.add_argument("before", type=Path)
    check.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.count, args.seed, args.out)
    elif args.command == "compare":
        sys.exit(compare(args.before, args.after))
    else:
        evaluate(args.patients, args.out, safety_pack=args.safety_pack)


if __name__ == "__main__":
    main(sys.argv[1:])
