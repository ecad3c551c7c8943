"""``lmtx timeline`` and ``lmtx audit``, run as the installed console script on real files; their pictures."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lmtx
from lmtx.course.plot import PHASE_COLOURS
from tests.course.console import run, run_on_a_terminal
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
    done = run("timeline", "-", "--json", "--as-of", "2026-07-01", "--poor-ps-ecog", "2", stdin=text)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == lmtx.timeline(text, as_of="2026-07-01", policy={"poor_ps_ecog": 2}).to_dict()


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
    assert "osimertinib 160 mg oral" in texts
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
    records: list[Any] = [*mixed(50, seed=11), ""]
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


def test_audit_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "cohort.jsonl"
    _cohort(source, [json.loads(COURSE.read_text())] * 12)
    code, shown = run_on_a_terminal("audit", str(source), "-o", str(tmp_path / "report.json"))
    assert code == 0, shown
    assert "12/12" in shown
    assert "12 records: 12 audited" in shown
