"""The installed ``lmtx`` console script, run in subprocesses on real files."""

from __future__ import annotations

import copy
import fcntl
import json
import os
import pty
import select
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
from tests.scenarios import load_scenarios
from tests.test_batch import population

ROOT = Path(__file__).resolve().parent.parent
LMTX = Path(sys.executable).parent / "lmtx"
EXAMPLE_PATH = ROOT / "lmtx" / "examples" / "inadequate-response.json"
EXAMPLE: dict[str, Any] = json.loads(EXAMPLE_PATH.read_text())
SCENARIOS = load_scenarios()
COMMANDS = ("evaluate", "explain", "schema", "rules", "batch", "serve")
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
        (["evaluate", "{good}", "--as-of", "2026-02-30"], "as_of: is not a calendar date"),
        (["evaluate", "{good}", "--as-of", "2026-01-01"], "is after the evaluation date"),
        (["evaluate", "{good}", "--poor-ps-ecog", "9"], "policy.poor_ps_ecog: must be 1-4"),
        (["evaluate", "{good}", "--poor-ps-ecog", "x"], "invalid int value"),
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
    done = run("explain", str(path), "--why-not", "it-pemetrexed")
    assert done.returncode == 0, done.stderr
    assert done.stdout == lmtx.why_not(patient, "it-pemetrexed").to_text()
    assert "The patient did not get it-pemetrexed." in done.stdout
    assert "[NOT MET]" in done.stdout
    assert "therapies[0].dose_mg" in done.stdout
    both = run("explain", str(path), "--why-not", "it-pemetrexed", "--why-not", "osimertinib-160", "--format", "json")
    assert [a["code"] for a in json.loads(both.stdout)] == ["it-pemetrexed", "osimertinib-160"]
    shallow = run("explain", str(path), "--why-not", "it-pemetrexed", "--depth", "0")
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


def _run_on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the console script with stderr on a pseudo-terminal; return the exit code and what it showed."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    process = subprocess.Popen([str(LMTX), *args], stdout=subprocess.DEVNULL, stderr=terminal, stdin=subprocess.DEVNULL)
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], SAFETY_TIMEOUT)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return process.wait(timeout=SAFETY_TIMEOUT), shown.decode(errors="replace")


def test_batch_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    _batch_input(tmp_path / "in.jsonl", 40, every=1000)
    code, shown = _run_on_a_terminal("batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"))
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
    invalid = python(fake_server, "serve", "--config", str(tmp_path / "bad.toml"))
    assert invalid.returncode == 2
    assert "invalid configuration" in invalid.stderr
    assert "auth.issuers: must be a table" in invalid.stderr
