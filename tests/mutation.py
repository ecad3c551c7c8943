"""Mutation check of the rule base: does the test suite notice a wrong rule?

Builds mutants of lmtx's rules as data (a test negated, a comparison's
boundary moved, a test or a negated condition dropped, an emitted action or
severity or a derived phase/status changed), then runs a fast subset of the
suite against each mutant, each in its own process (lmtx compiles the rule
base once per process and durable-rules never frees a ruleset). A mutant is
*killed* when some test fails.

Usage, from the repository root::

    python tests/mutation.py                 # every mutant; prints the kill rate and the survivors
    python tests/mutation.py --list          # the mutants, numbered
    python tests/mutation.py --only 12 40    # some mutants
    python tests/mutation.py --report out.json
    python tests/mutation.py --jobs 2         # two mutants at a time (one process each)

The child process is this script too: ``LMTX_MUTANT=<n> python tests/mutation.py
--child <pytest args>`` replaces the rule base with mutant ``n`` before lmtx
builds its knowledge base, then runs pytest in-process. No core file changes.
Mutants whose negations the engine would refuse to compile (see
``lmtx._engine.check_negations``) are not run and not counted.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lmtx import rules as _rules  # noqa: E402 - the repository root must be importable first
from lmtx._engine import check_negations  # noqa: E402
from lmtx._facts import BASE_FACT_ORDER, DESCENDING  # noqa: E402
from lmtx.dsl import Derive, Emit, Match, NoMatch, Rule, Test  # noqa: E402
from tests import vocabulary  # noqa: E402

ENV = "LMTX_MUTANT"
FAILED_ENV = "LMTX_MUTANT_FAILED"

SUITE = [
    "tests/test_scenarios.py",
    "tests/test_properties.py::test_every_clinical_scenario_agrees_with_the_oracle",
    "tests/test_properties.py::test_witnesses_fire_exactly_what_they_list_and_agree_with_the_oracle",
    "tests/test_properties.py::test_every_rule_fires_on_a_listed_witness",
    "tests/test_properties.py::test_the_derivation_is_coherent",
    "tests/test_properties.py::test_the_oracle_agrees_with_evaluate",
    "tests/test_properties.py::test_every_valid_patient_gets_a_result",
    "tests/test_properties.py::test_no_two_rules_emit_conflicting_items_for_one_code",
    "tests/test_properties.py::test_permuting_input_lists_and_keys_does_not_change_the_output",
    "tests/test_properties.py::test_every_item_cites_statements_a_known_rule_and_a_documented_code",
    "tests/test_properties.py::test_adding_a_toxicity_never_raises_the_advised_osimertinib_dose",
    "tests/test_properties.py::test_no_recommendation_advises_osimertinib_at_or_above_a_standing_tolerance_limit",
    "tests/test_properties.py::test_intrathecal_pemetrexed_never_continues_beside_a_severe_cytopenia_since_its_latest_course",
    "tests/test_properties.py::test_a_worse_performance_status_never_removes_prefer_intrathecal",
    "tests/test_properties.py::test_safety_bounds",
]
"""The fast subset run against each mutant, cheapest and most deterministic first."""

NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "not in", "not in": "in"}
BOUNDARY = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
ACTIONS = vocabulary.ACTIONS
DERIVED_VALUES = {
    ("phase", "value"): vocabulary.PHASES,
    ("lm", "status"): vocabulary.LM_STATUSES,
    ("workup_gap", "missing"): ("mri-and-csf-cytology", "mri", "csf-cytology"),
}


@attrs.frozen
class Mutant:
    """One changed rule: its position in the rule base, the new rule, and what changed."""

    number: int
    index: int
    rule: Rule
    change: str

    def rules(self) -> tuple[Rule, ...]:
        """The whole mutated rule base."""
        base = list(_rules.RULES)
        base[self.index] = self.rule
        return tuple(base)


def _with_tests(condition: Match | NoMatch, tests: tuple[Test, ...]) -> Match | NoMatch:
    return attrs.evolve(condition, tests=tests)


def _condition_changes(rule: Rule) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(new conditions, description) for every change to a rule's conditions."""
    for ci, condition in enumerate(rule.when):
        where = f"condition {ci + 1} ({condition})"
        for ti, test in enumerate(condition.tests):
            others = condition.tests[:ti], condition.tests[ti + 1 :]
            replacements = [(attrs.evolve(test, op=NEGATED[test.op]), f"negate '{test}'")]
            if test.op in BOUNDARY:
                replacements.append((attrs.evolve(test, op=BOUNDARY[test.op]), f"move the boundary of '{test}'"))
            for new, what in replacements:
                tests = (*others[0], new, *others[1])
                yield (*rule.when[:ci], _with_tests(condition, tests), *rule.when[ci + 1 :]), f"{what} in {where}"
            dropped = _with_tests(condition, (*others[0], *others[1]))
            yield (*rule.when[:ci], dropped, *rule.when[ci + 1 :]), f"drop '{test}' from {where}"
        if isinstance(condition, NoMatch):
            yield (*rule.when[:ci], *rule.when[ci + 1 :]), f"drop {where}"


def _consequence_changes(rule: Rule) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(new consequences, description) for every change to what a rule emits or derives."""
    for i, consequence in enumerate(rule.then):
        replacements: list[tuple[Any, str]] = []
        if isinstance(consequence, Emit) and consequence.action in ACTIONS.get(consequence.code, ()):
            replacements += [
                (
                    attrs.evolve(consequence, action=action),
                    f"{consequence.code} action {consequence.action} -> {action}",
                )
                for action in ACTIONS[consequence.code]
                if action != consequence.action
            ]
        if isinstance(consequence, Emit) and isinstance(consequence.severity, str):
            replacements += [
                (attrs.evolve(consequence, severity=s), f"{consequence.code} severity {consequence.severity} -> {s}")
                for s in vocabulary.SEVERITIES
                if s != consequence.severity
            ]
        if isinstance(consequence, Derive):
            for fi, (name, value) in enumerate(consequence.fields):
                for other in DERIVED_VALUES.get((consequence.fact, name), ()):
                    if other != value:
                        fields = (*consequence.fields[:fi], (name, other), *consequence.fields[fi + 1 :])
                        replacements.append((attrs.evolve(consequence, fields=fields), f"derive {name}={other}"))
        for new, what in replacements:
            yield (*rule.then[:i], new, *rule.then[i + 1 :]), what


def mutants() -> list[Mutant]:
    """Every mutant the engine can compile, numbered in a stable order."""
    found: list[Mutant] = []
    for index, rule in enumerate(_rules.RULES):
        candidates: list[tuple[dict[str, Any], str]] = [
            ({"when": when}, what) for when, what in _condition_changes(rule)
        ]
        candidates += [({"then": then}, what) for then, what in _consequence_changes(rule)]
        for change, what in candidates:
            try:
                mutated = attrs.evolve(rule, **change)
            except ValueError:
                continue  # not a well-formed rule (e.g. a reference to a dropped binding)
            if check_negations(mutated, BASE_FACT_ORDER, DESCENDING):
                continue  # the engine refuses to compile it
            found.append(Mutant(len(found), index, mutated, f"{rule.id}: {what}"))
    return found


class _FailureRecorder:
    """A pytest plugin that writes the node ids of failed tests to a file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self.failed.append(report.nodeid)

    def pytest_sessionfinish(self) -> None:
        Path(self.path).write_text(json.dumps(self.failed))


def child(pytest_args: list[str]) -> int:
    """Run pytest in this process against the mutant named by ``LMTX_MUTANT`` (none: the real rule base)."""
    import pytest

    from lmtx import knowledge

    number = os.environ.get(ENV)
    if number is not None:
        mutated = mutants()[int(number)].rules()
        _rules.RULES = mutated
        knowledge.RULES = mutated  # type: ignore[misc]
        knowledge.knowledge_base.cache_clear()
    plugins = [_FailureRecorder(os.environ[FAILED_ENV])] if FAILED_ENV in os.environ else []
    return int(pytest.main(pytest_args, plugins=plugins))


def _run(number: int | None, args: list[str], timeout: float) -> tuple[str, list[str], float]:
    """Run the suite against a mutant (``None``: the real rule base): (outcome, failed tests, seconds)."""
    handle, name = tempfile.mkstemp(prefix="lmtx-mutant-", suffix=".json")
    os.close(handle)
    failed_file = Path(name)
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation", FAILED_ENV: str(failed_file)}
    env.pop(ENV, None)
    if number is not None:
        env[ENV] = str(number)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    started = time.monotonic()
    failed_file.unlink(missing_ok=True)
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "killed (timeout)", [], time.monotonic() - started
    failed = json.loads(failed_file.read_text()) if failed_file.exists() else []
    failed_file.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    if done.returncode == 0:
        return "survived", failed, seconds
    if done.returncode == 1:
        if not failed:
            # Exit 1 without a failed test: the child never ran the suite (say, lmtx could not be
            # imported). Counting that as a kill would hide a broken environment.
            return f"error (exit 1, no test failed): {done.stdout[-500:]}{done.stderr[-500:]}", failed, seconds
        return "killed", failed, seconds
    if done.returncode < 0:
        return f"killed (crash, signal {-done.returncode})", failed, seconds
    return f"error (pytest exit {done.returncode}): {done.stdout[-500:]}{done.stderr[-500:]}", failed, seconds


def main() -> int:
    """Run the mutation check; print the kill rate and the surviving mutants."""
    if sys.argv[1:2] == ["--child"]:
        return child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--only", type=int, nargs="*", help="run only these mutant numbers")
    parser.add_argument("--report", type=Path, help="write every outcome to this JSON file")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per mutant (default 900)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once, one process each (default 1)")
    options = parser.parse_args()
    all_mutants = mutants()
    if options.list:
        for mutant in all_mutants:
            print(f"{mutant.number:4d}  {mutant.change}")
        return 0
    selected = [all_mutants[n] for n in options.only] if options.only else all_mutants
    base_args = ["-x", "-q", "-p", "no:cacheprovider", "--no-header", *SUITE]

    # Tests failing on the real rule base (known open bugs) would "kill" every mutant: leave them out.
    outcome, baseline_failures, seconds = _run(None, base_args[1:], options.timeout)
    print(f"baseline: {outcome} in {seconds:.0f} s; failing tests left out: {baseline_failures or 'none'}", flush=True)
    if outcome.startswith("error"):
        return 2
    args = [*base_args, *(f"--deselect={node}" for node in baseline_failures)]

    def run(mutant: Mutant) -> dict[str, Any]:
        outcome, failed, seconds = _run(mutant.number, args, options.timeout)
        print(f"{mutant.number:4d} {outcome:<10} {seconds:5.1f}s  {mutant.change}", flush=True)
        return {"number": mutant.number, "change": mutant.change, "outcome": outcome, "killed_by": failed}

    # Each mutant runs in its own child process; threads here only wait for them.
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        results = sorted(pool.map(run, selected), key=lambda r: int(r["number"]))
    killed = [r for r in results if r["outcome"].startswith("killed")]
    survivors = [r for r in results if r["outcome"] == "survived"]
    errors = [r for r in results if r["outcome"].startswith("error")]
    rate = 100 * len(killed) / len(results) if results else 0.0
    print(f"\nkilled {len(killed)} of {len(results)} mutants ({rate:.1f} %); {len(errors)} errors")
    for survivor in survivors:
        print(f"  survived {survivor['number']:4d}: {survivor['change']}")
    if options.report:
        options.report.write_text(json.dumps({"baseline_failures": baseline_failures, "results": results}, indent=1))
    return 0 if not errors else 2


if __name__ == "__main__":
    sys.exit(main())
