"""The vendored engine is durable-rules 2.0.28 as released plus the listed patches, nothing else.

vendor/durable_rules/README.md records the git blob id of every released file.
Reversing the patches, newest first, must give back exactly those files, and
applying them again must give the vendored tree: so every change to upstream's
code is one of the patches, each with its reason.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parents[1] / "vendor" / "durable_rules"
PATCHES = sorted((VENDOR / "patches").glob("*.patch"))


def _blob_id(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _released() -> dict[str, str]:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `(src/[^`]+)` \| `([0-9a-f]{40})` \|$", readme, re.MULTILINE))


def _sources(tree: Path) -> dict[str, Path]:
    return {str(p.relative_to(tree)): p for p in sorted((tree / "src").rglob("*")) if p.is_file()}


def _patch(tree: Path, patch: Path, *, reverse: bool) -> None:
    command = ["patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-i", str(patch)]
    if reverse:
        command[command.index("--forward")] = "--reverse"
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{patch.name} does not apply cleanly:\n{done.stdout}{done.stderr}"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    if shutil.which("patch") is None:
        pytest.skip("the patch program is not installed")
    shutil.copytree(VENDOR / "src", tmp_path / "src")
    return tmp_path


def test_every_released_file_is_listed_and_every_patch_is_described() -> None:
    assert set(_released()) == set(_sources(VENDOR))
    assert len(PATCHES) >= 5
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    for patch in PATCHES:
        assert f"`{patch.name}`" in readme
        reason = patch.read_text(encoding="utf-8").split("\n---\n", 1)[0]
        assert reason.startswith("Subject: "), patch.name
        assert len(reason.splitlines()) >= 3, patch.name  # a subject, a blank line, the reason


def test_reversing_the_patches_gives_the_release_and_applying_them_gives_the_vendored_tree(tree: Path) -> None:
    for patch in reversed(PATCHES):
        _patch(tree, patch, reverse=True)
    released = _released()
    assert {name: _blob_id(path) for name, path in _sources(tree).items()} == released
    for patch in PATCHES:
        _patch(tree, patch, reverse=False)
    vendored = _sources(VENDOR)
    assert {name: p.read_bytes() for name, p in _sources(tree).items()} == {
        name: p.read_bytes() for name, p in vendored.items()
    }


UPSTREAM_COMMITS = {
    "4ab18965e5e1b0483345a9981d03b527842a665b": "2020-06-06 22:21 -0700",  # "Bumping version" to 2.0.28
    "12aabdc565f789522609a5be393db2cf59ec57bb": "2020-06-01",  # the last change to src/rules and src/rulespy
    "72070f4d686142dcc44ee26a6cad0e8c531f9d24": "2020-09-07",  # the last commit before the release was published
}
"""The upstream commits the README names, with their dates, as read from upstream's own history
(github.com/jruizgit/rules). An earlier README gave an id that upstream has no commit for."""


def test_the_readme_names_upstream_commits_by_their_full_ids_and_dates() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"`([0-9a-f]{7,40})`", readme)
    commits = [n for n in named if n not in _released().values()]
    assert sorted(commits) == sorted(UPSTREAM_COMMITS)
    flat = " ".join(readme.split())
    for commit, date in UPSTREAM_COMMITS.items():
        assert f"`{commit}`" in flat
        assert date in flat[flat.index(commit) : flat.index(commit) + 120], commit
