"""The installed ``lmtx`` console script, run in subprocesses on real files."""

from __future__ import annotations

import copy
import datetime as dt
import fcntl
import json
import os
import pty
import re
import select
import shlex
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import lmtx
from tests.course.console import run_on_a_terminal
from tests.scenarios import load_scenarios
from tests.test_batch import population

ROOT = Path(__file__).resolve().parent.parent
LMTX = Path(sys.executable).parent / "lmtx"
EXAMPLE_PATH = ROOT / "lmtx" / "examples" / "inadequate-response.json"
EXAMPLE: dict[str, Any] = json.loads(EXAMPLE_PATH.read_text())
SCENARIOS = load_scenarios()
COMMANDS = ("evaluate", "explain", "schema", "rules", "batch", "serve", "timeline", "audit")
SAFETY_TIMEOUT = 600  # seconds; a hung process fails the test instead of hanging the suite


def run(*args: str, stdin: str | bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script; text output."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [str(LMTX), *args], input=data, capture_output=True, cwd=cwd, timeout=SAFETY_TIMEOUT, check=False
    )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter of this environment."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT,
        check=False,
    )


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_console_script_is_installed_next_to_the_interpreter() -> None:
    assert LMTX.is_file()
    assert os.access(LMTX, os.X_OK)


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_everywhere(command: str) -> None:
    done = run(*([command] if command else []), "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: lmtx {command}".rstrip())
    assert "exit codes" in done.stdout


def test_no_command_is_a_usage_error() -> None:
    done = run()
    assert done.returncode == 2
    assert "usage: lmtx" in done.stderr


def test_python_dash_m_runs_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lmtx", "evaluate", str(EXAMPLE_PATH), "--compact"],
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout) == lmtx.evaluate(EXAMPLE).to_dict()


# --- evaluate -------------------------------------------------------------------------------


def test_evaluate_prints_the_result_json(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", EXAMPLE)
    done = run("evaluate", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == lmtx.evaluate(EXAMPLE).to_json(indent=2) + "\n"
    compact = run("evaluate", str(path), "--compact")
    assert compact.stdout.count("\n") == 1
    assert json.loads(compact.stdout) == json.loads(done.stdout)


def test_evaluate_reads_standard_input() -> None:
    done = run("evaluate", "-", stdin=json.dumps(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == lmtx.evaluate(EXAMPLE).to_dict()


def test_evaluate_takes_as_of_and_policy(tmp_path: Path) -> None:
    scenario = SCENARIOS["policy-poor-ps-ecog-2"]
    path = write(tmp_path / "patient.json", scenario["patient"])
    default = json.loads(run("evaluate", str(path)).stdout)
    assert "prefer-intrathecal" not in {r["code"] for r in default["recommendations"]}
    for options in (["--poor-ps-ecog", "2"], ["--policy", str(write(tmp_path / "policy.json", {"poor_ps_ecog": 2}))]):
        done = run("evaluate", str(path), *options)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == lmtx.evaluate(scenario["patient"], policy={"poor_ps_ecog": 2}).to_dict()
    pinned = json.loads(run("evaluate", str(path), "--as-of", "2030-01-01").stdout)
    assert pinned["as_of"] == "2030-01-01"


def test_evaluate_reports_every_problem_with_its_path(tmp_path: Path) -> None:
    patient = copy.deepcopy(EXAMPLE)
    patient["therapies"][0]["dose_mg"] = "160"
    patient["histolgy"] = "squamous"
    path = write(tmp_path / "bad.json", patient)
    done = run("evaluate", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert str(path) in done.stderr
    assert "invalid patient record (2 problems)" in done.stderr
    assert 'therapies[0].dose_mg: must be a number, got string "160"' in done.stderr
    assert "histolgy: unknown field" in done.stderr
    patient = copy.deepcopy(EXAMPLE)
    patient["therapies"][0]["dose_mg"] = -80
    done = run("evaluate", str(write(tmp_path / "negative.json", patient)))
    assert done.returncode == 2
    assert "therapies[0].dose_mg: must be > 0, got -80" in done.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["evaluate", "{missing}"], "cannot read"),
        (["evaluate", "{broken}"], "not valid JSON"),
        (["evaluate", "{good}", "--as-of", "2026-02-30"], "argument --as-of: must be a calendar date"),
        (["evaluate", "{good}", "--as-of", "2026-01-01"], "is after the evaluation date"),
        (["evaluate", "{good}", "--poor-ps-ecog", "9"], "argument --poor-ps-ecog: must be 1-4, got 9"),
        (["evaluate", "{good}", "--poor-ps-ecog", "x"], "argument --poor-ps-ecog: must be a whole number 1-4"),
        (["evaluate", "{good}", "--policy", "{broken}"], "is not valid JSON"),
        (["evaluate", "{good}", "--policy", "{good}"], "policy.histology: unknown field"),
        (["explain", "{good}", "--why-not", "no-such-code"], "unknown code 'no-such-code'"),
        (["explain", "{broken}"], "not valid JSON"),
        (["batch", "{missing}"], "cannot read"),
        (["batch", "{good}", "-o", "{good}"], "refusing to overwrite"),
        (["batch", "{good}", "--workers", "0"], "must be at least 1"),
        (["serve", "--port", "70000"], "must be 0-65535"),
    ],
)
def test_invalid_input_exits_with_2(tmp_path: Path, arguments: list[str], message: str) -> None:
    files = {
        "missing": str(tmp_path / "missing.json"),
        "broken": str(tmp_path / "broken.json"),
        "good": str(write(tmp_path / "good.json", EXAMPLE)),
    }
    (tmp_path / "broken.json").write_text('{"histology": ', encoding="utf-8")
    done = run(*(a.format(**files) for a in arguments))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert done.stdout == ""
    assert json.loads((tmp_path / "good.json").read_text()) == EXAMPLE  # never overwritten


def test_internal_errors_exit_with_1() -> None:
    engine_failure = python(
        """
        import sys, lmtx, lmtx.cli
        def broken(*args, **kwargs):
            raise lmtx.EvaluationError("rule 'x' failed: boom")
        lmtx.cli.evaluate = broken
        sys.exit(lmtx.cli.main(["evaluate", sys.argv[1]]))
        """,
        str(EXAMPLE_PATH),
    )
    assert engine_failure.returncode == 1
    assert "internal error: rule 'x' failed: boom" in engine_failure.stderr
    defect = python(
        """
        import sys, lmtx.cli
        def broken(*args, **kwargs):
            raise RuntimeError("a defect")
        lmtx.cli.evaluate = broken
        sys.exit(lmtx.cli.main(["evaluate", sys.argv[1]]))
        """,
        str(EXAMPLE_PATH),
    )
    assert defect.returncode == 1
    assert "please report it" in defect.stderr
    assert "Traceback" in defect.stderr
    assert "RuntimeError: a defect" in defect.stderr


# --- explain --------------------------------------------------------------------------------


def test_explain_prints_a_readable_report(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", EXAMPLE)
    done = run("explain", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == lmtx.explanation(EXAMPLE).to_text()
    result = lmtx.evaluate(EXAMPLE)
    assert "Phase: inadequate-response" in done.stdout
    for item in [*result.recommendations, *result.alerts, *result.prognosis]:
        assert item.code in done.stdout
        assert all(s in done.stdout for s in item.statements)
    narrow = run("explain", str(path), "--width", "60")
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60


def test_explain_as_json(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", EXAMPLE)
    done = run("explain", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data == lmtx.explanation(EXAMPLE).to_dict()
    assert all("because" in item for item in data["recommendations"])


def test_explain_why_not(tmp_path: Path) -> None:
    patient = copy.deepcopy(EXAMPLE)
    patient["therapies"][0]["dose_mg"] = 80
    path = write(tmp_path / "patient.json", patient)
    clinical = run("explain", str(path), "--why-not", "it-pemetrexed")
    assert clinical.returncode == 0, clinical.stderr
    assert clinical.stdout == lmtx.why_not(patient, "it-pemetrexed").to_text()
    assert "The patient did not get it-pemetrexed." in clinical.stdout
    assert len(clinical.stdout.splitlines()) <= 15
    done = run("explain", str(path), "--why-not", "it-pemetrexed", "--engine")
    assert done.returncode == 0, done.stderr
    assert done.stdout == lmtx.why_not(patient, "it-pemetrexed", detail="engine").to_text()
    assert "Unmet: " in done.stdout
    flat = " ".join(done.stdout.split())
    assert "What would change it: a new regimen at another dose in place of therapies[0]" in flat
    alone = run("explain", str(path), "--engine")
    assert alone.returncode == 2
    assert "--engine goes with --why-not" in alone.stderr
    both = run("explain", str(path), "--why-not", "it-pemetrexed", "--why-not", "osimertinib-160", "--format", "json")
    assert [a["code"] for a in json.loads(both.stdout)] == ["it-pemetrexed", "osimertinib-160"]
    shallow = run("explain", str(path), "--why-not", "it-pemetrexed", "--depth", "0", "--engine")
    assert len(shallow.stdout) < len(done.stdout)


def test_explain_reports_an_invalid_record_with_its_paths(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", {"histology": "adenocarcinoma", "egfr": {"status": "mutated"}})
    done = run("explain", str(path), "--why-not", "it-pemetrexed")
    assert done.returncode == 2
    assert "egfr.status: must be one of" in done.stderr


# --- schema, rules ----------------------------------------------------------------------------


def test_schema_prints_the_generated_schema(tmp_path: Path) -> None:
    done = run("schema")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert schema == lmtx.patient_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    # Usable as a file by other tools.
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(EXAMPLE)
    assert not validator.is_valid({**EXAMPLE, "histolgy": "x"})


def test_rules_prints_the_catalogue_as_a_table() -> None:
    done = run("rules")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["RULE", "STATEMENTS", "CODES"]
    kb = lmtx.knowledge_base()
    rows = {line.split()[0]: line for line in lines[1 : 1 + len(kb.rules)]}
    assert list(rows) == [r.id for r in kb.rules]
    for rule in kb.rules:
        assert " ".join(rule.statements) in rows[rule.id]
        assert all(code in rows[rule.id] for code in rule.codes)
    assert f"{len(kb.rules)} rules; knowledge base {kb.id} {kb.version} {kb.digest}" in done.stdout


def test_rules_filtered_by_code_and_as_json() -> None:
    done = run("rules", "--code", "it-pemetrexed", "--format", "json")
    assert done.returncode == 0, done.stderr
    expected = [r.id for r in lmtx.knowledge_base().rules_emitting("it-pemetrexed")]
    assert [r["id"] for r in json.loads(done.stdout)] == expected
    every = json.loads(run("rules", "--format", "json").stdout)
    assert every == lmtx.knowledge_base().to_dict()["rules"]


# --- batch ----------------------------------------------------------------------------------

BAD_LINES = [
    '{"histology": ',
    '{"id": "typo", "histology": "adenocarcinoma", "histologie": "squamous"}',
    "",
    "[1, 2]",
    json.dumps(
        {
            "id": "neg",
            "histology": "adenocarcinoma",
            "therapies": [{"agent": "cisplatin", "dose_mg": -1, "status": "planned"}],
        }
    ),
]


def _id_of(line: str) -> str | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data.get("id") if isinstance(data, dict) else None


def _batch_input(path: Path, count: int, every: int = 97) -> list[str]:
    lines = []
    for number, patient in enumerate(population(count, seed=101)):
        if number % every == every - 1:
            lines.append(BAD_LINES[(number // every) % len(BAD_LINES)])
        else:
            lines.append(json.dumps({**patient, "id": f"line-{number + 1}"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def _check_batch_output(lines: list[str], output: str) -> tuple[int, int]:
    produced = output.splitlines()
    assert len(produced) == len(lines)
    evaluated = invalid = 0
    for number, (line, out) in enumerate(zip(lines, produced, strict=True), 1):
        data = json.loads(out)
        if line in BAD_LINES:
            invalid += 1
            assert data["error"] == "invalid-patient"
            assert data["line"] == number
            assert data["problems"]
            assert data["patient_id"] == _id_of(line)
        else:
            evaluated += 1
            assert data["patient_id"] == f"line-{number}"
            assert data["lm_status"] in ("confirmed", "probable", "suspected", "absent")
    return evaluated, invalid


@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_writes_one_line_per_input_line_in_order(tmp_path: Path, workers: str) -> None:
    lines = _batch_input(tmp_path / "in.jsonl", 120, every=9)
    done = run("batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), "--workers", workers)
    assert done.returncode == 2, done.stderr  # some lines are invalid
    assert done.stdout == ""
    output = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    evaluated, invalid = _check_batch_output(lines, output)
    assert invalid == 120 // 9
    assert f"120 lines: {evaluated} evaluated, {invalid} invalid, 0 internal errors" in done.stderr
    assert "%|" not in done.stderr  # no progress bar when stderr is not a terminal
    for line, out in zip(lines, output.splitlines(), strict=True):
        if line not in BAD_LINES:
            assert json.loads(out) == lmtx.evaluate(line).to_dict()
    blank = json.loads(output.splitlines()[lines.index("")])
    assert blank["problems"] == [{"path": "$", "message": "empty line; expected one JSON object (a patient record)"}]


def test_batch_of_valid_lines_exits_0_and_can_stream(tmp_path: Path) -> None:
    patients = population(30, seed=3)
    text = "".join(json.dumps(p) + "\n" for p in patients)
    done = run("batch", "-", "--workers", "2", "--poor-ps-ecog", "2", "--as-of", "2026-06-01", stdin=text)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert results == [lmtx.evaluate(p, as_of="2026-06-01", policy={"poor_ps_ecog": 2}).to_dict() for p in patients]
    assert "30 lines: 30 evaluated, 0 invalid, 0 internal errors" in done.stderr


def test_batch_of_ten_thousand_accounts_for_every_line(tmp_path: Path) -> None:
    lines = _batch_input(tmp_path / "in.jsonl", 10_000)
    done = run("batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), "--workers", "2")
    assert done.returncode == 2, done.stderr
    evaluated, invalid = _check_batch_output(lines, (tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert (evaluated, invalid) == (10_000 - 10_000 // 97, 10_000 // 97)
    assert f"10000 lines: {evaluated} evaluated, {invalid} invalid, 0 internal errors" in done.stderr


def test_batch_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    _batch_input(tmp_path / "in.jsonl", 40, every=1000)
    code, shown = run_on_a_terminal("batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert code == 0, shown
    assert "100%" in shown
    assert "40/40" in shown
    assert "40 lines: 40 evaluated" in shown
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 40


# --- serve ----------------------------------------------------------------------------------


def test_serve_without_the_server_extra_says_how_to_install_it() -> None:
    done = python(
        """
        import sys
        sys.modules["lmtx.server"] = None  # as if the extra were not installed: importing it fails
        import lmtx.cli
        sys.exit(lmtx.cli.main(["serve"]))
        """
    )
    assert done.returncode == 2
    assert "pip install 'lmtx[server]'" in done.stderr


def test_serve_passes_host_port_and_config_to_the_server(tmp_path: Path) -> None:
    config = tmp_path / "service.toml"
    config.write_text("", encoding="utf-8")
    fake_server = """
        import json, sys, types
        server = types.ModuleType("lmtx.server")
        class ConfigError(ValueError):
            pass
        def serve(host, port, config, insecure_listen_without_auth=False):
            if config and config.endswith("bad.toml"):
                raise ConfigError("auth.issuers: must be a table")
            print(json.dumps({"host": host, "port": port, "config": config}))
            if insecure_listen_without_auth:
                print("insecure_listen_without_auth")
        server.serve, server.ConfigError = serve, ConfigError
        sys.modules["lmtx.server"] = server
        import lmtx.cli
        sys.exit(lmtx.cli.main(sys.argv[1:]))
        """
    done = python(fake_server, "serve", "--host", "0.0.0.0", "--port", "9000", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"host": "0.0.0.0", "port": 9000, "config": str(config)}
    defaults = python(fake_server, "serve")
    assert json.loads(defaults.stdout) == {"host": "127.0.0.1", "port": 8080, "config": None}
    insecure = python(fake_server, "serve", "--host", "0.0.0.0", "--insecure-listen-without-auth")
    assert insecure.stdout.splitlines()[-1] == "insecure_listen_without_auth"
    (tmp_path / "bad.toml").write_text("[auth]\nissuers = 1\n", encoding="utf-8")
    invalid = python(fake_server, "serve", "--config", str(tmp_path / "bad.toml"))
    assert invalid.returncode == 2
    assert "invalid configuration" in invalid.stderr
    assert "auth.issuers: must be a table" in invalid.stderr


# --- as a newcomer meets it ---------------------------------------------------------------------


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"lmtx {lmtx.__version__}\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_one_line_description_and_an_example(command: str) -> None:
    done = run(command, "--help")
    assert done.returncode == 0, done.stderr
    paragraphs = done.stdout.split("\n\n")
    description = paragraphs[1]  # after the usage paragraph
    assert "\n" not in description.strip(), description
    assert description.strip().endswith(".")
    examples = done.stdout.split("examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples, done.stdout
    assert all(line.strip().startswith(f"lmtx {command}") for line in examples), examples
    assert command in run("--help").stdout


def _policy_file(tmp_path: Path, data: object) -> str:
    return str(write(tmp_path / "policy.json", data))


@pytest.mark.parametrize(
    ("arguments", "argument", "message"),
    [
        (["evaluate", "{good}", "--as-of", "2026-13-01"], "--as-of", "must be a calendar date YYYY-MM-DD or 'today'"),
        (["evaluate", "{good}", "--as-of", "yesterday"], "--as-of", "got 'yesterday'"),
        (["batch", "{good}", "--as-of", "2026-1-1"], "--as-of", "got '2026-1-1'"),
        (["evaluate", "{good}", "--poor-ps-ecog", "7"], "--poor-ps-ecog", "must be 1-4, got 7"),
        (["explain", "{good}", "--policy", "{policy}"], "--policy", "policy.poor_ps: unknown field"),
        (["evaluate", "{good}", "--policy", '{{"poor_ps_ecog": 0}}'], "--policy", "policy.poor_ps_ecog: must be 1-4"),
        (["evaluate", "{good}", "--policy", "[2]"], "--policy", "cannot read [2]"),
        (["evaluate", "{good}", "--policy", '{{"poor_ps_ecog": NaN}}'], "--policy", "NaN is not a number in JSON"),
        (["explain", "{good}", "--why-not", "it-pemetrexed", "--depth", "-1"], "--depth", "must be at least 0"),
        (["explain", "{good}", "--width", "0"], "--width", "must be at least 40"),
        (["schema", "--indent", "-3"], "--indent", "must be at least 0, got -3"),
        (["schema", "--indent", "1000"], "--indent", "must be at most 16"),
        (["batch", "{good}", "--chunksize", "0"], "--chunksize", "must be at least 1"),
    ],
)
def test_bad_arguments_are_argument_errors_not_bad_records(
    tmp_path: Path, arguments: list[str], argument: str, message: str
) -> None:
    files = {"good": str(write(tmp_path / "good.json", EXAMPLE)), "policy": _policy_file(tmp_path, {"poor_ps": 2})}
    done = run(*(a.format(**files) for a in arguments))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("usage: lmtx ")
    assert f"lmtx {arguments[0]}: error: argument {argument}: " in done.stderr
    assert message in done.stderr
    assert "invalid patient record" not in done.stderr
    assert done.stdout == ""


def test_policy_is_inline_json_or_a_file(tmp_path: Path) -> None:
    scenario = SCENARIOS["policy-poor-ps-ecog-2"]
    path = str(write(tmp_path / "patient.json", scenario["patient"]))
    expected = lmtx.evaluate(scenario["patient"], policy={"poor_ps_ecog": 2}).to_dict()
    for policy in ('{"poor_ps_ecog": 2}', '  {"poor_ps_ecog": 2}', _policy_file(tmp_path, {"poor_ps_ecog": 2})):
        done = run("evaluate", path, "--policy", policy)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected
    overridden = run("evaluate", path, "--policy", '{"poor_ps_ecog": 4}', "--poor-ps-ecog", "2")
    assert json.loads(overridden.stdout) == expected


def test_as_of_today_is_todays_date(tmp_path: Path) -> None:
    path = str(write(tmp_path / "patient.json", EXAMPLE))
    before = dt.date.today()
    done = run("evaluate", path, "--as-of", "today")
    after = dt.date.today()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["as_of"] in (before.isoformat(), after.isoformat())
    assert done.stderr == ""


def _future_record() -> dict[str, Any]:
    record = copy.deepcopy(EXAMPLE)
    record["csf_cytology"].append({"date": "2099-05-01", "result": "negative"})
    return record


def test_a_record_dated_after_today_is_evaluated_with_a_warning(tmp_path: Path) -> None:
    record = _future_record()
    path = str(write(tmp_path / "future.json", record))
    done = run("evaluate", path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == lmtx.evaluate(record).to_dict()  # the result is unchanged
    assert "lmtx evaluate: warning: the record's latest date, 2099-05-01, lies after today" in done.stderr
    pinned = run("explain", path, "--as-of", "2099-06-01")
    assert pinned.returncode == 0, pinned.stderr
    assert "latest date, 2099-05-01, lies after today" in pinned.stderr
    assert pinned.stdout == lmtx.explanation(record, as_of="2099-06-01").to_text()
    (tmp_path / "future.jsonl").write_text(json.dumps(EXAMPLE) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    batch = run("batch", str(tmp_path / "future.jsonl"))
    assert batch.returncode == 0, batch.stderr
    assert "1 record(s) have a latest date after today" in batch.stderr
    assert "the first on line 2" in batch.stderr
    quiet = run("evaluate", str(write(tmp_path / "past.json", EXAMPLE)))
    assert quiet.stderr == ""


def test_an_empty_file_is_called_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "blank.json").write_bytes(b" \n\n")
    for name in ("empty.json", "blank.json"):
        for command in (["evaluate"], ["explain"], ["explain", "--why-not", "lm-workup"]):
            done = run(*command, str(tmp_path / name))
            assert done.returncode == 2, done.stderr
            assert f"{tmp_path / name}: invalid patient record (1 problem)\n  $: empty file;" in done.stderr
    piped = run("evaluate", "-", stdin="")
    assert piped.returncode == 2
    assert "$: standard input is empty" in piped.stderr
    batch = run("batch", str(tmp_path / "empty.json"))
    assert batch.returncode == 0, batch.stderr
    assert batch.stdout == ""
    assert "holds no records" in batch.stderr


def test_blank_lines_at_the_end_are_not_records_but_one_between_records_is(tmp_path: Path) -> None:
    good = json.dumps(EXAMPLE)
    (tmp_path / "trailing.jsonl").write_text(good + "\n" + good + "\n\n\n \n", encoding="utf-8")
    trailing = run("batch", str(tmp_path / "trailing.jsonl"))
    assert trailing.returncode == 0, trailing.stderr
    assert len(trailing.stdout.splitlines()) == 2
    assert "2 lines: 2 evaluated, 0 invalid" in trailing.stderr
    (tmp_path / "middle.jsonl").write_text(good + "\n\n" + good + "\n\n", encoding="utf-8")
    middle = run("batch", str(tmp_path / "middle.jsonl"))
    assert middle.returncode == 2
    lines = [json.loads(line) for line in middle.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[1]["line"] == 2
    assert lines[1]["problems"][0]["message"].startswith("empty line")
    assert lines[2] == lmtx.evaluate(good).to_dict()


NASTY_FILES: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"  \r\n\t",
    "lone surrogate in id": b'{"id": "\\ud800", "histology": "adenocarcinoma"}',
    "lone surrogate in a key": b'{"\\udc00": 1, "histology": "adenocarcinoma"}',
    "lone surrogate in an enumeration": b'{"histology": "\\ud800"}',
    "not UTF-8": b'{"id": "\xff\xfe", "histology": "adenocarcinoma"}',
    "NaN": b'{"histology": "adenocarcinoma", "therapies": [{"agent": "osimertinib", "dose_mg": NaN}]}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep nesting under a key": b'{"histology": "other", "x": ' + b"[" * 900 + b"]" * 900 + b"}",
    "a list": b"[1, 2]",
    "binary": bytes(range(256)),
    "byte order mark": b"\xef\xbb\xbf" + json.dumps(EXAMPLE | {"id": "\u65e5\U0001f600"}).encode()[:-1],
    "a huge number": b'{"histology": "adenocarcinoma", "therapies": [{"agent": "other", "status": "active", '
    b'"start": "2026-01-01", "dose_mg": 1' + b"0" * 400 + b"}]}",
}


@pytest.mark.parametrize("name", NASTY_FILES)
def test_no_input_file_makes_any_command_print_a_traceback(tmp_path: Path, name: str) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(NASTY_FILES[name])
    for command in (
        ["evaluate", str(path)],
        ["explain", str(path)],
        ["explain", str(path), "--why-not", "lm-workup", "--format", "json"],
        ["batch", str(path)],
    ):
        done = subprocess.run([str(LMTX), *command], capture_output=True, timeout=SAFETY_TIMEOUT, check=False)
        stderr = done.stderr.decode("utf-8", "replace")
        assert done.returncode in (0, 2), (command, stderr)
        assert "Traceback" not in stderr
        assert "internal error:" not in stderr
        assert "internal error (" not in stderr
        done.stdout.decode("utf-8")  # whatever is written is UTF-8
        if command[0] == "batch":
            assert " 0 internal errors" in stderr
            for line in done.stdout.splitlines():
                json.loads(line)


def test_a_valid_record_with_any_text_is_written_as_utf8_json(tmp_path: Path) -> None:
    record = EXAMPLE | {"id": "\u65e5\u672c \U0001f600 \u00e9"}
    path = write(tmp_path / "unicode.json", record)
    done = subprocess.run(
        [str(LMTX), "evaluate", str(path)],
        capture_output=True,
        timeout=SAFETY_TIMEOUT,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "latin-1", "LC_ALL": "C"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.decode("utf-8"))["patient_id"] == record["id"]


def _pipeline(command: str, cwd: Path) -> tuple[int, str]:
    """Run a real shell pipeline; return the exit code of its first command and its stderr."""
    script = f'{command} 2>stderr.txt | head -c 300 >/dev/null; echo "${{PIPESTATUS[0]}}"'
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, cwd=cwd, timeout=SAFETY_TIMEOUT, check=False
    )
    return int(done.stdout.strip()), (cwd / "stderr.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_stops_quietly_when_its_reader_goes_away(tmp_path: Path, workers: str) -> None:
    _batch_input(tmp_path / "big.jsonl", 2000, every=100_000)
    code, stderr = _pipeline(f"'{LMTX}' batch big.jsonl --workers {workers}", tmp_path)
    assert code in (0, 141), stderr
    assert stderr == ""  # no traceback, no "internal error", no summary of a batch nobody reads


def test_every_command_stops_quietly_when_its_reader_goes_away(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", EXAMPLE)
    for command in ("rules", "schema --indent 16", f"explain '{path}'", f"explain '{path}' --format json"):
        code, stderr = _pipeline(f"'{LMTX}' {command}", tmp_path)
        assert code in (0, 141), (command, stderr)
        assert stderr == "", (command, stderr)
    # The same through subprocess pipes: read a little, close, wait.
    _batch_input(tmp_path / "big.jsonl", 2000, every=100_000)
    with subprocess.Popen(
        [str(LMTX), "batch", str(tmp_path / "big.jsonl")], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert len(process.stdout.read(300)) == 300
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=SAFETY_TIMEOUT) == 141, stderr
    assert stderr == ""


def test_serve_without_the_extra_names_one_install_command() -> None:
    done = python(
        """
        import sys
        sys.modules["uvicorn"] = None  # as if the extra were not installed
        import lmtx.cli
        sys.exit(lmtx.cli.main(["serve"]))
        """
    )
    assert done.returncode == 2
    assert done.stderr.count("pip install") == 1, done.stderr
    assert "pip install 'lmtx[server]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_explain_on_the_command_line_states_findings_in_clinical_words(tmp_path: Path) -> None:
    from tests.test_explain import ENGINE_WORDS, _stale_exam, _workup_gap

    report = run("explain", str(write(tmp_path / "stale.json", _stale_exam())))
    assert report.returncode == 0, report.stderr
    assert "neurological exam 2025-08-01: persistent symptoms — 214 days before the evaluation date" in report.stdout
    assert ENGINE_WORDS.search(report.stdout) is None
    workup = run("explain", str(write(tmp_path / "workup.json", _workup_gap())), "--why-not", "lm-workup")
    assert workup.returncode == 0, workup.stderr
    assert (
        "Not in the record: a positive CSF cytology; an MRI showing leptomeningeal enhancement; a CSF cytology "
        "dated on or after 2026-03-01." in " ".join(workup.stdout.split())
    )
    engine = json.loads(run("explain", str(tmp_path / "stale.json"), "--format", "json").stdout)
    assert any(m["fact"].startswith("verdict(") for m in engine["because"]["phase"]["matched"])


def test_why_not_platinum_pemetrexed_is_short(tmp_path: Path) -> None:
    from tests.test_explain import ENGINE_WORDS

    done = run("explain", str(write(tmp_path / "patient.json", EXAMPLE)), "--why-not", "platinum-pemetrexed")
    assert done.returncode == 0, done.stderr
    # 82 lines before the first rewrite, 67 before the second: a clinician's answer is at most 15.
    assert len(done.stdout.splitlines()) <= 15
    assert ENGINE_WORDS.search(done.stdout) is None
    engine = run("explain", str(tmp_path / "patient.json"), "--why-not", "platinum-pemetrexed", "--engine")
    # Rev. 2026-12-07 added ways to the later stages (a course stopped for progression, a run kept
    # through a withhold): the engine's account grew to 97 lines, the clinician's answer did not.
    assert len(engine.stdout.splitlines()) < 100
    assert ENGINE_WORDS.search(engine.stdout) is None


def test_the_cli_page_shows_the_argument_errors_lmtx_prints(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    write(tmp_path / "patient.json", EXAMPLE)
    checked = 0
    for block in re.findall(r"```console\n(.*?)```", page, re.DOTALL):
        lines = block.splitlines()
        expected = [line for line in lines if "error: argument" in line]
        if not lines[0].startswith("$ lmtx ") or not expected:
            continue
        done = subprocess.run(
            [str(LMTX), *shlex.split(lines[0])[2:]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=SAFETY_TIMEOUT,
            check=False,
        )
        assert done.returncode == 2, lines[0]
        shown = done.stderr.splitlines()[-1]
        assert shown.startswith(expected[0].removesuffix("...")), (shown, expected[0])
        # the usage lines shown, if any (``usage: lmtx CMD ...`` stands for them)
        assert all(line.removesuffix("...").rstrip() in done.stderr for line in lines[1:-1]), lines[0]
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize(("content", "message"), [(b"\x00\xff [[[", "is not UTF-8 text"), (None, "cannot read")])
def test_serve_refuses_an_unreadable_configuration_file_at_the_door(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    config = tmp_path / "service.toml"
    if content is not None:
        config.write_bytes(content)
    done = run("serve", "--config", str(config), "--port", "0")
    assert done.returncode == 2
    assert "lmtx serve: error: argument --config: " in done.stderr
    assert str(config) in done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_closed_pipe_leaves_no_progress_bar_on_the_terminal(tmp_path: Path) -> None:
    _batch_input(tmp_path / "big.jsonl", 2000, every=100_000)
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with subprocess.Popen(
        [str(LMTX), "batch", str(tmp_path / "big.jsonl")], stdout=subprocess.PIPE, stderr=terminal
    ) as process:
        os.close(terminal)
        assert process.stdout is not None
        assert len(process.stdout.read(300)) == 300
        process.stdout.close()
        shown = b""
        while select.select([controller], [], [], SAFETY_TIMEOUT)[0]:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the process has exited
                break
            if not chunk:
                break
            shown += chunk
        code = process.wait(timeout=SAFETY_TIMEOUT)
    os.close(controller)
    text = shown.decode(errors="replace")
    assert code == 141, text
    assert "Traceback" not in text
    assert "lmtx batch:" not in text
    assert "/2000" in text  # the bar was shown ...
    assert text.rsplit("\r", 1)[-1].strip() == ""  # the bar was cleared, not left at some count
