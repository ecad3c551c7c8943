"""``lmtx timeline`` and ``lmtx audit``, run as the installed console script on real files; their pictures."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import lmtx
from lmtx.course.plot import PHASE_COLOURS
from lmtx.course.text import render
from tests.course.console import LMTX, SAFETY_TIMEOUT, run, run_on_a_terminal
from tests.scenarios import load_scenarios
from tests.test_batch import mixed

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "lmtx" / "examples").glob("*.json"))
COURSE = ROOT / "lmtx" / "examples" / "course.json"


def _phase_runs(course: lmtx.Timeline) -> list[str | None]:
    runs: list[str | None] = []
    for step in course.steps:
        if not runs or runs[-1] != step.phase:
            runs.append(step.phase)
    return runs


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --------------------------------------------------------------------------- timeline


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_timeline_prints_every_step_and_the_concordance(example: Path) -> None:
    done = run("timeline", str(example))
    assert done.returncode == 0, done.stderr
    course = lmtx.timeline(example.read_text())
    lines = done.stdout.splitlines()
    for step in course.steps:
        assert step.date is not None
        row = next(line for line in lines if line.startswith(step.date.isoformat()))
        assert (step.phase or "not applicable") in row
    concordance = lines[lines.index("Concordance with the document:") + 1 :]
    for entry in course.concordance:
        assert any(line.startswith(entry.code) and line.rstrip().endswith(entry.status) for line in concordance)


def test_timeline_json_is_the_wire_form_and_reads_stdin() -> None:
    text = COURSE.read_text()
    done = run("timeline", "-", "--format", "json", "--as-of", "2026-07-01", "--poor-ps-ecog", "2", stdin=text)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == lmtx.timeline(text, as_of="2026-07-01", policy={"poor_ps_ecog": 2}).to_dict()


def test_the_table_gives_the_days_each_advice_stood_and_the_json_keeps_its_steps() -> None:
    # Advice given on a step stands until the next step: the table's span runs to the day before it,
    # or to as_of while the advice is open; the wire form keeps the dates of the first and last step.
    example = ROOT / "lmtx" / "examples" / "course-toxicities.json"
    course = lmtx.timeline(example.read_text(), as_of="2026-05-20")
    text = render(course)
    spans = {
        "osimertinib-160": ("2026-01-13 .. 2026-01-18", "2026-01-14"),  # next step: the start on 2026-01-19
        "it-pemetrexed": ("2026-03-23 .. 2026-03-31", "2026-03-23"),  # next step: the course on 2026-04-01
        "platinum-pemetrexed": ("2026-05-04 .. 2026-05-20", "2026-05-20"),  # open: to as_of
    }
    wire = {e["code"]: e for e in course.to_dict()["concordance"]}
    for code, (span, last_step) in spans.items():
        assert re.search(rf"^{code} +\S+ +{re.escape(span)} ", text, re.MULTILINE), code
        assert wire[code]["indicated_until"] == last_step
    footer = " ".join(text[text.index("How to read this report:") :].split())
    assert "INDICATED the days the advice stood" in footer
    assert "to the day before the advice changed" in footer


def test_timeline_reports_invalid_input_with_its_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"histology": "adenocarcinoma", "therapies": [{"agent": "osimertinib"}]}))
    done = run("timeline", str(bad))
    assert done.returncode == 2
    assert "therapies[0].status" in done.stderr
    assert str(bad) in done.stderr
    assert run("timeline", str(tmp_path / "missing.json")).returncode == 2
    wrong = run("timeline", str(COURSE), "--plot", str(tmp_path / "course.pdf"))
    assert wrong.returncode == 2
    assert ".svg or .png" in wrong.stderr
    assert not (tmp_path / "course.pdf").exists()


def test_timeline_svg_has_one_band_per_phase_and_its_labels(tmp_path: Path) -> None:
    picture = tmp_path / "course.svg"
    done = run("timeline", str(COURSE), "--plot", str(picture))
    assert done.returncode == 0, done.stderr
    svg = picture.read_text()
    course = lmtx.timeline(COURSE.read_text())
    runs = _phase_runs(course)
    assert len(set(runs)) >= 4
    bands = re.findall(r'id="phase-band-(\d+)"', svg)
    assert [int(b) for b in bands] == list(range(len(runs)))
    texts = " ".join(re.findall(r"<text[^>]*>([^<]*)<", svg))
    for phase in set(runs):
        assert (phase or "not applicable") in texts
        assert PHASE_COLOURS[phase].lower() in svg.lower()
    assert "osimertinib 80 mg → 160 mg oral" in texts  # one row for osimertinib: 80 mg raised to 160 mg
    assert "pemetrexed 50 mg intrathecal" in texts
    assert "MRI" in texts
    assert "CSF cytology" in texts
    assert "followed, lag 11 d" in texts or any(e.lag_days != 11 for e in course.concordance)
    therapies = [t for t in course.patient.therapies if t.start is not None]
    assert len(re.findall(r'id="therapy-\d+"', svg)) == len(therapies)
    assessments = len(course.patient.mri) + len(course.patient.csf_cytology) + len(course.patient.neuro_exams)
    assert len(re.findall(r'id="assessment-[a-z]+-\d+"', svg)) == assessments
    assert len(re.findall(r'id="episode-\d+"', svg)) == len(course.concordance)
    assert f"Course of {course.patient_id}" in texts
    # The same course gives the same file.
    again = tmp_path / "again.svg"
    assert run("timeline", str(COURSE), "--plot", str(again)).returncode == 0
    assert again.read_text() == svg


def test_timeline_png_is_a_real_picture(tmp_path: Path) -> None:
    picture = tmp_path / "course.png"
    assert run("timeline", str(COURSE), "--plot", str(picture)).returncode == 0
    width, height = _png_size(picture.read_bytes())
    assert 800 <= width <= 3000
    assert 300 <= height <= 3000
    assert picture.stat().st_size > 20_000  # bands, bars and text, not an empty canvas


def test_a_missing_plot_extra_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.figure'] = None\n"
        "from lmtx.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "timeline", str(COURSE), "--plot", str(tmp_path / "c.svg")],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 2
    assert "pip install 'lmtx[plot]'" in done.stderr
    assert "Concordance" in done.stdout  # the table was printed all the same


# --------------------------------------------------------------------------- audit


def _line(record: Any) -> bytes:
    """One JSON Lines line of a record: text and bytes as they are, anything else as JSON."""
    if isinstance(record, bytes):
        return record
    return (record if isinstance(record, str) else json.dumps(record)).encode()


def _cohort(path: Path, records: list[Any]) -> list[bytes]:
    lines = [_line(r) for r in records]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return lines


def test_audit_accounts_for_every_line(tmp_path: Path) -> None:
    patients = mixed(50, seed=11)
    records: list[Any] = [*patients[:25], "", *patients[25:]]  # a blank line between records is an invalid line
    source = tmp_path / "cohort.jsonl"
    lines = _cohort(source, records)
    done = run("audit", str(source), "--workers", "2")
    assert done.returncode == 2, done.stderr  # some lines are invalid
    report = json.loads(done.stdout)
    expected = lmtx.audit(lines).to_dict()
    assert report["records"] == len(records) == report["audited"] + report["invalid"] + report["internal_errors"]
    assert [f["line"] for f in report["failures"]] == [f["index"] + 1 for f in expected["failures"]]
    assert report["recommendations"] == expected["recommendations"]
    assert report["not_indicated"] == expected["not_indicated"]
    blank = next(f for f in report["failures"] if f["line"] == 26)
    assert blank["problems"] == [{"path": "$", "message": "empty line; expected one JSON object (a patient record)"}]
    assert f"{len(records)} records: {report['audited']} audited, {report['invalid']} invalid" in done.stderr


def test_audit_writes_its_report_and_chart(tmp_path: Path) -> None:
    source, target, chart = tmp_path / "cohort.jsonl", tmp_path / "report.json", tmp_path / "audit.svg"
    _cohort(source, [json.loads(p.read_text()) for p in EXAMPLES] * 3)
    done = run("audit", str(source), "-o", str(target), "--plot", str(chart))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    report = json.loads(target.read_text())
    assert report["records"] == report["audited"] == 3 * len(EXAMPLES)
    svg = chart.read_text()
    texts = " ".join(re.findall(r"<text[^>]*>([^<]*)<", svg))
    for item in report["recommendations"]:
        assert f"{item['code']} {item['action']}" in texts
    assert "Lag of followed episodes" in texts
    followed = [i for i in report["recommendations"] if i["by_status"]["followed"]]
    assert followed
    assert len(re.findall(r'id="status-followed-\d+"', svg)) == len(report["recommendations"]) + len(
        report["not_indicated"]
    )
    png = tmp_path / "audit.png"
    assert run("audit", str(source), "-o", str(target), "--plot", str(png)).returncode == 0
    assert _png_size(png.read_bytes())[0] >= 800


def test_audit_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    source = tmp_path / "cohort.jsonl"
    _cohort(source, [{"histology": "sclc"}])
    done = run("audit", str(source), "-o", str(source))
    assert done.returncode == 2
    assert "refusing" in done.stderr
    assert source.read_text().strip() == '{"histology": "sclc"}'


def test_a_complete_audit_replaces_the_report_and_keeps_its_mode(tmp_path: Path) -> None:
    source, target, fresh = tmp_path / "cohort.jsonl", tmp_path / "report.json", tmp_path / "new.json"
    _cohort(source, [json.loads(COURSE.read_text())] * 2)
    target.write_text("earlier report\n")
    target.chmod(0o640)
    assert run("audit", str(source), "-o", str(target)).returncode == 0
    assert run("audit", str(source), "-o", str(fresh)).returncode == 0
    assert json.loads(target.read_text())["records"] == json.loads(fresh.read_text())["records"] == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    plain = tmp_path / "plain"
    plain.write_text("")  # a new report gets the mode any new file gets here (the umask's)
    assert stat.S_IMODE(fresh.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.jsonl", "new.json", "plain", "report.json"]


def test_an_interrupted_audit_leaves_the_earlier_report_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("earlier report\n")
    process = subprocess.Popen(
        [str(LMTX), "audit", "-", "-o", str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write(COURSE.read_bytes().replace(b"\n", b"") + b"\n")
    process.stdin.flush()
    # Wait until the command holds its output open (before 0.2.2 it emptied the report then).
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while not any(tmp_path.glob(".report.json.*.partial")) and target.read_text() == "earlier report\n":
        assert time.monotonic() < deadline, "the audit never opened its output"
        time.sleep(0.02)
    time.sleep(0.5)  # and is reading its input
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=SAFETY_TIMEOUT)
    assert process.returncode == 130, err
    assert target.read_text() == "earlier report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_an_audit_that_cannot_write_its_report_says_so_before_any_work(tmp_path: Path) -> None:
    source = tmp_path / "cohort.jsonl"
    _cohort(source, [json.loads(COURSE.read_text())])
    for target, reason in [(tmp_path / "missing" / "report.json", "No such file"), (tmp_path, "Is a directory")]:
        done = run("audit", str(source), "-o", str(target))
        assert done.returncode == 2
        assert f"cannot write {target}: {reason}" in done.stderr
        assert "records" not in done.stderr  # no summary: nothing was audited
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.jsonl"]


def test_audit_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "cohort.jsonl"
    _cohort(source, [json.loads(COURSE.read_text())] * 12)
    code, shown = run_on_a_terminal("audit", str(source), "-o", str(tmp_path / "report.json"))
    assert code == 0, shown
    assert "12/12" in shown
    assert "12 records: 12 audited" in shown


# --------------------------------------------------------------------------- as the other commands do


def _record(tmp_path: Path, name: str, record: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(record if isinstance(record, bytes) else json.dumps(record).encode())
    return path


@pytest.mark.parametrize("command", ["timeline", "audit"])
def test_help_has_a_one_line_description_and_examples(command: str) -> None:
    done = run(command, "--help")
    assert done.returncode == 0, done.stderr
    description = done.stdout.split("\n\n")[1]  # after the usage paragraph
    assert "\n" not in description.strip(), description
    assert description.strip().endswith(".")
    examples = done.stdout.split("examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(examples) >= 2, done.stdout
    assert all(line.strip().startswith(f"lmtx {command} ") for line in examples), examples
    assert "exit codes: 0 " in done.stdout
    assert "141 standard output closed early" in " ".join(done.stdout.split())
    listed = run("--help").stdout
    assert re.search(rf"^    {command} +\S", listed, re.MULTILINE), listed


@pytest.mark.parametrize(
    ("arguments", "argument", "message"),
    [
        (["timeline", "{course}", "--as-of", "2026-13-01"], "--as-of", "must be a calendar date YYYY-MM-DD or 'today'"),
        (["audit", "{cohort}", "--as-of", "2026-13-01"], "--as-of", "got '2026-13-01'"),
        (["timeline", "{course}", "--poor-ps-ecog", "7"], "--poor-ps-ecog", "must be 1-4, got 7"),
        (["audit", "{cohort}", "--policy", '{{"poor_ps": 2}}'], "--policy", "policy.poor_ps: unknown field"),
        (["timeline", "{course}", "--policy", "missing-policy.json"], "--policy", "cannot read missing-policy.json"),
        (["timeline", "{course}", "--width", "0"], "--width", "must be at least 40"),
        (["timeline", "{course}", "--plot", "course.pdf"], "--plot", "use a .svg or .png file name"),
        (["audit", "{cohort}", "--workers", "0"], "--workers", "must be at least 1, got 0"),
        (["audit", "{cohort}", "--chunksize", "x"], "--chunksize", "must be a whole number"),
    ],
)
def test_bad_arguments_are_argument_errors_not_bad_records(
    tmp_path: Path, arguments: list[str], argument: str, message: str
) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text(COURSE.read_text().replace("\n", " ") + "\n")
    files = {"course": str(COURSE), "cohort": str(cohort)}
    done = subprocess.run(
        [str(LMTX), *(a.format(**files) for a in arguments)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=SAFETY_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"usage: lmtx {arguments[0]} ")
    assert f"lmtx {arguments[0]}: error: argument {argument}: " in done.stderr
    assert message in done.stderr
    assert "invalid patient record" not in done.stderr
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.jsonl"]  # nothing drawn or written


def test_policy_is_inline_json_or_a_file(tmp_path: Path) -> None:
    patient = load_scenarios()["policy-poor-ps-ecog-2"]["patient"]
    path = _record(tmp_path, "patient.json", patient)
    expected = lmtx.timeline(patient, policy={"poor_ps_ecog": 2}).to_dict()
    assert expected != lmtx.timeline(patient).to_dict()  # the policy matters for this record
    policy_file = _record(tmp_path, "policy.json", {"poor_ps_ecog": 2})
    for policy in ('{"poor_ps_ecog": 2}', str(policy_file)):
        done = run("timeline", str(path), "--format", "json", "--policy", policy)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected
    overridden = run(
        "timeline", str(path), "--format", "json", "--policy", '{"poor_ps_ecog": 4}', "--poor-ps-ecog", "2"
    )
    assert json.loads(overridden.stdout) == expected
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text((json.dumps(patient) + "\n") * 2)
    audited = run("audit", str(cohort), "--policy", '{"poor_ps_ecog": 2}')
    assert audited.returncode == 0, audited.stderr
    report = json.loads(audited.stdout)
    wanted = lmtx.audit([patient] * 2, policy={"poor_ps_ecog": 2}).to_dict()
    assert report["recommendations"] == wanted["recommendations"]


def test_as_of_today_is_todays_date(tmp_path: Path) -> None:
    before = dt.date.today()
    done = run("timeline", str(COURSE), "--format", "json", "--as-of", "today")
    after = dt.date.today()
    assert done.returncode == 0, done.stderr
    course = json.loads(done.stdout)
    assert course["as_of"] in (before.isoformat(), after.isoformat())
    assert course["steps"][-1]["date"] == course["as_of"]
    assert done.stderr == ""
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text(COURSE.read_text().replace("\n", " ") + "\n")
    audited = run("audit", str(cohort), "--as-of", "today")
    assert audited.returncode == 0, audited.stderr
    assert json.loads(audited.stdout)["audited"] == 1
    assert "warning" not in audited.stderr


def _future_record() -> dict[str, Any]:
    record = json.loads(COURSE.read_text())
    record["csf_cytology"].append({"date": "2099-05-01", "result": "negative"})
    return record


def test_a_record_dated_after_today_is_replayed_with_a_warning(tmp_path: Path) -> None:
    record = _future_record()
    path = _record(tmp_path, "future.json", record)
    done = run("timeline", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == lmtx.timeline(record).to_dict()  # the course is unchanged
    assert "lmtx timeline: warning: the record's latest date, 2099-05-01, lies after today" in done.stderr
    cohort = tmp_path / "future.jsonl"
    cohort.write_text(COURSE.read_text().replace("\n", " ") + "\n" + json.dumps(record) + "\n")
    audited = run("audit", str(cohort), "--workers", "2")
    assert audited.returncode == 0, audited.stderr
    assert "lmtx audit: warning: 1 record(s) have a latest date after today" in audited.stderr
    assert "the first on line 2" in audited.stderr
    pinned = run("audit", str(cohort), "--as-of", "2099-06-01")
    assert "lmtx audit: warning: --as-of 2099-06-01 is after today" in pinned.stderr
    assert run("timeline", str(COURSE)).stderr == ""


def test_trailing_blank_lines_of_a_cohort_are_not_records(tmp_path: Path) -> None:
    good = COURSE.read_text().replace("\n", " ")
    cohort = tmp_path / "trailing.jsonl"
    cohort.write_text(good + "\n" + good + "\n\n\n \r\n")
    done = run("audit", str(cohort))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["records"], report["audited"], report["failures"]) == (2, 2, [])
    assert "2 records: 2 audited, 0 invalid" in done.stderr
    empty = _record(tmp_path, "empty.jsonl", b"\n\n")
    nothing = run("audit", str(empty))
    assert nothing.returncode == 0, nothing.stderr
    assert json.loads(nothing.stdout)["records"] == 0
    assert f"lmtx audit: warning: {empty} holds no records" in nothing.stderr


def test_an_empty_file_is_called_an_empty_file(tmp_path: Path) -> None:
    for content in (b"", b" \n\n"):
        path = _record(tmp_path, "empty.json", content)
        done = run("timeline", str(path))
        assert done.returncode == 2, done.stderr
        assert f"lmtx timeline: {path}: invalid patient record (1 problem)\n  $: empty file;" in done.stderr
    piped = run("timeline", "-", stdin="")
    assert piped.returncode == 2
    assert "$: standard input is empty" in piped.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"id": "\\ud800", "histology": "adenocarcinoma"}', "id: must be valid Unicode text"),
        (
            b'{"histology": "adenocarcinoma", "therapies": [{"agent": "osimertinib", "status": "active", '
            b'"start": "2026-01-01", "dose_mg": NaN}]}',
            "therapies[0].dose_mg: must be a number, got NaN",
        ),
        (b"\xff\xfe not UTF-8", "$: "),
    ],
    ids=["lone surrogate", "NaN", "not UTF-8"],
)
def test_bad_text_is_an_invalid_record_never_a_traceback(tmp_path: Path, content: bytes, message: str) -> None:
    path = _record(tmp_path, "bad.json", content)
    done = run("timeline", str(path))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    cohort = _record(tmp_path, "bad.jsonl", content + b"\n")
    audited = run("audit", str(cohort))
    assert audited.returncode == 2, audited.stderr
    failure = json.loads(audited.stdout)["failures"][0]
    assert failure["line"] == 1
    assert failure["error"] == "invalid-patient"
    assert message.split(":", maxsplit=1)[0] in [p["path"] for p in failure["problems"]]
    assert "Traceback" not in audited.stderr


def test_output_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    record = json.loads(COURSE.read_text()) | {"id": "\u65e5\u672c \U0001f600 \u00e9"}
    path = _record(tmp_path, "unicode.json", record)
    environment = {**os.environ, "PYTHONIOENCODING": "latin-1", "LC_ALL": "C"}
    for arguments in (["timeline", str(path)], ["audit", str(path)]):
        done = subprocess.run(
            [str(LMTX), *arguments], capture_output=True, timeout=SAFETY_TIMEOUT, check=False, env=environment
        )
        assert done.returncode == 0, done.stderr
        text = done.stdout.decode("utf-8")
        if arguments[0] == "timeline":
            assert f"Course of {record['id']} up to" in text
        else:
            assert json.loads(text)["audited"] == 1


def _pipeline(command: str, cwd: Path) -> tuple[int, str]:
    """Run a real shell pipeline; return the exit code of its first command and its stderr."""
    script = f'{command} 2>stderr.txt | head -c 200 >/dev/null; echo "${{PIPESTATUS[0]}}"'
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, cwd=cwd, timeout=SAFETY_TIMEOUT, check=False
    )
    return int(done.stdout.strip()), (cwd / "stderr.txt").read_text(encoding="utf-8")


def _big_cohort(path: Path, count: int) -> None:
    """A cohort whose report is far larger than a pipe holds: every other record is invalid, and listed."""
    good = json.dumps({"id": "ok", "histology": "adenocarcinoma", "egfr": {"status": "mutant"}})
    bad = json.dumps({"histology": "adenocarcinoma", "therapies": [{"agent": "osimertinib"}]})
    path.write_text("".join((bad if i % 2 else good) + "\n" for i in range(count)))


def test_audit_in_a_pipeline_that_stops_reading_ends_quietly(tmp_path: Path) -> None:
    (tmp_path / "big.jsonl").write_text((COURSE.read_text().replace("\n", " ") + "\n") * 40)
    for workers in ("1", "2"):
        code, stderr = _pipeline(f"'{LMTX}' audit big.jsonl --workers {workers}", tmp_path)
        assert code in (0, 141), stderr
        assert "Traceback" not in stderr
        assert "internal error:" not in stderr
        assert "internal error (" not in stderr
        assert stderr == "" if code == 141 else stderr.startswith("lmtx audit: 40 records: 40 audited")
    for timeline in (f"timeline '{COURSE}'", f"timeline '{COURSE}' --format json"):
        code, stderr = _pipeline(f"'{LMTX}' {timeline}", tmp_path)
        assert code in (0, 141), stderr
        assert stderr == ""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_audit_whose_reader_went_away_stops_with_141_and_says_nothing(tmp_path: Path, workers: str) -> None:
    _big_cohort(tmp_path / "big.jsonl", 3000)
    with subprocess.Popen(
        [str(LMTX), "audit", str(tmp_path / "big.jsonl"), "--workers", workers],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()  # the reader is gone before the report is written
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=SAFETY_TIMEOUT) == 141, stderr
    assert stderr == ""  # no traceback, no "internal error", no summary of a report nobody reads


def test_a_closed_pipe_leaves_no_progress_bar_on_the_terminal(tmp_path: Path) -> None:
    _big_cohort(tmp_path / "big.jsonl", 3000)
    code, shown = run_on_a_terminal("audit", str(tmp_path / "big.jsonl"), stdout_closed=True)
    assert code == 141, shown
    assert "Traceback" not in shown
    assert "lmtx audit:" not in shown
    assert "/3000" in shown  # the bar was shown ...
    assert shown.rsplit("\r", 1)[-1].strip() == ""  # ... and cleared, not left at some count


def test_audit_counts_episodes_on_undated_brain_metastases_apart(tmp_path: Path) -> None:
    # Brain metastases without a date, gefitinib since 2023, LM confirmed in 2026: the advice to switch
    # to osimertinib 80 mg dates from 2023 only because the metastases are undated.
    undated = {
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant"},
        "brain_metastases": True,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [
            {"agent": "gefitinib", "status": "stopped", "start": "2023-01-10", "end": "2024-05-01"},
            {"agent": "osimertinib", "dose_mg": 80, "status": "stopped", "start": "2024-08-01", "end": "2026-01-10"},
            {"agent": "osimertinib", "dose_mg": 160, "status": "active", "start": "2026-01-11"},
        ],
    }
    dated = {**undated, "brain_metastases_date": "2024-07-20"}
    source, target = tmp_path / "cohort.jsonl", tmp_path / "report.json"
    _cohort(source, [undated, dated])
    done = run("audit", str(source), "-o", str(target))
    assert done.returncode == 0, done.stderr
    report = json.loads(target.read_text())
    found = {(r["code"], r["action"]): r for r in report["recommendations"]}
    # Undated: a switch advised from 2023 (gefitinib running), "followed" 569 days later; counted apart.
    switch = found[("osimertinib-80", "switch")]
    assert switch["undated_basis"] == {"followed": 1, "open": 0, "lapsed": 0}
    assert switch["by_status"] == {"followed": 0, "open": 0, "lapsed": 0}
    assert switch["lag_days"] is None
    # Dated: advised when the metastases were found, started 12 days later; counted with its lag.
    start = found[("osimertinib-80", "start")]
    assert start["by_status"] == {"followed": 1, "open": 0, "lapsed": 0}
    assert start["lag_days"]["distribution"] == [[12, 1]]
    assert "1 episodes rest on brain metastases without a date" in done.stderr
