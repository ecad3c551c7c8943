"""The built site as a reader sees it: every page in headless Chromium (docs/check_site.py).

Skipped, with a message saying how to install it, where no Chromium is found;
CI installs Debian's ``chromium`` when it is missing. The screenshots are kept
in ``$LMTX_ARTIFACTS/site-screenshots`` when that is set, else in a temporary
directory the test prints, never in the repository.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


check_site = _load("check_site")
readthedocs_build = _load("readthedocs_build")


@pytest.fixture(scope="session")  # as wide as the site's, so that a skip comes before the build
def browser() -> str:
    found = check_site.find_browser()
    if found is None:
        pytest.skip(
            "no Chromium: the browser check of the site needs one (Debian/Ubuntu: apt-get install chromium; "
            "or set LMTX_CHROMIUM to its path); see docs/publishing.md"
        )
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the browser check needs the playwright package (pip install -e '.[test]')")
    return found


def test_every_page_passes_in_a_browser(browser: str, site: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    artifacts = os.environ.get("LMTX_ARTIFACTS")
    shots = check_site.screenshots_dir(
        Path(artifacts) / "site-screenshots" if artifacts else tmp_path_factory.mktemp("site-screenshots")
    )
    problems = check_site.check_site(site, browser, shots)
    print(f"screenshots of the site: {shots}")
    assert problems == []
    taken = sorted(p.name for p in shots.glob("*.png"))
    assert taken == sorted(
        f"{page}-{width}.png" for page in check_site.SCREENSHOT_PAGES for width in check_site.VIEWPORTS
    )
    assert all((shots / name).stat().st_size > 10_000 for name in taken)


def test_the_check_finds_what_it_looks_for(browser: str, site: Path, tmp_path: Path) -> None:
    """A damaged copy of the site: each kind of problem is reported."""
    damaged = tmp_path / "site"
    shutil.copytree(site, damaged)
    page = damaged / "getting-started" / "index.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(
        html.replace(
            "</article>",
            '<img src="no-such-picture.png" alt="x"><div style="width: 2000px">wide</div>'
            '<script>console.error("an error on purpose")</script></article>',
            1,
        ),
        encoding="utf-8",
    )
    problems = check_site.check_site(
        damaged, browser, tmp_path / "shots", only=["getting-started/index.html"], searches=("zzqxjv",)
    )
    text = "\n".join(problems)
    assert "broken image: no-such-picture.png" in text
    assert "wider than the window" in text
    assert "an error on purpose" in text
    assert "search for 'zzqxjv': no result" in text


def test_screenshots_stay_out_of_the_repository() -> None:
    with pytest.raises(ValueError, match="outside the repository"):
        check_site.screenshots_dir(ROOT / "site-screenshots")


def test_no_browser_is_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("LMTX_CHROMIUM", raising=False)
    assert check_site.find_browser() is None
    assert check_site.main([str(tmp_path)]) == check_site.NO_BROWSER


# --------------------------------------------------------------------------- Read the Docs


def test_the_readthedocs_build_is_the_strict_mkdocs_build(tmp_path: Path) -> None:
    config = readthedocs_build.load()
    command = readthedocs_build.build_command(config, "python", tmp_path)
    assert command[:4] == ["python", "-m", "mkdocs", "build"]
    assert "--strict" in command
    assert command[command.index("--config-file") + 1] == str(ROOT / "mkdocs.yml")
    assert readthedocs_build.install_requirements(config) == [f"{ROOT}[docs]"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\n", "version: 2"),
        ("version: 2\nmkdocs:\n  configuration: mkdocs.yml\n", "fail_on_warning"),
        ("version: 2\nmkdocs:\n  configuration: mkdocs.yml\n  fail_on_warning: false\n", "fail_on_warning"),
        ("version: 2\n", "mkdocs.configuration"),
    ],
)
def test_a_lenient_readthedocs_configuration_is_refused(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / ".readthedocs.yaml"
    config.write_text(text)
    with pytest.raises(readthedocs_build.ConfigError, match=message):
        readthedocs_build.load(config)


# --------------------------------------------------------------------------- external links


def test_the_link_check_collects_the_external_references(site: Path) -> None:
    """docs/check_links.py (run by hand: it needs the network) finds the links worth fetching, offline."""
    check_links = _load("check_links")
    found = check_links.links(site)
    assert "https://cds-hooks.hl7.org/2.0/" in found
    assert "https://hl7.org/fhir/R4/" in found
    assert "https://github.com/jruizgit/rules" in found
    assert "README.md" in found["https://github.com/jruizgit/rules"]
    assert not [url for url in found if "example.org" in url or "localhost" in url]
    assert not [url for url in found if url.startswith("http://loinc.org")]


def test_the_link_check_reports_a_dead_link(tmp_path: Path) -> None:
    """``fetch`` against a loopback server: a page that answers, and one that does not."""
    check_links = _load("check_links")
    (tmp_path / "here.html").write_text("<p>here</p>")
    with check_site.served(tmp_path) as base:
        assert check_links.fetch(base + "here.html") is None
        assert check_links.fetch(base + "gone.html") == "HTTP 404"
