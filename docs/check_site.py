"""Check a built site as a reader sees it: every page in headless Chromium.

Serves the site directory on a loopback port (search needs http, not
``file://``) and loads every page at a phone's width and a desktop's::

    python -m mkdocs build --strict --site-dir /tmp/lmtx-site
    python docs/check_site.py /tmp/lmtx-site [--screenshots DIR] [--browser PATH]

It fails (exit 1, every problem listed) on:

- a console error or an uncaught exception on any page;
- a broken image (one that did not load);
- a page wider than the window at 390 px (a phone) or at 1280 px;
- a search that finds nothing for ``evaluate`` or for ``it-pemetrexed``.

Screenshots of the home page, the API reference overview and the rule
catalogue, at both widths, are kept in ``--screenshots DIR`` (default:
``$LMTX_ARTIFACTS/site-screenshots`` when ``LMTX_ARTIFACTS`` is set, else a
new temporary directory), which must lie outside the repository; the
directory is printed.

Chromium is the one installed on the machine (Debian: ``apt-get install
chromium``), found as ``--browser``, ``$LMTX_CHROMIUM``, or ``chromium``,
``chromium-browser``, ``google-chrome`` on ``PATH``. It is driven by the
``playwright`` package, which downloads no browser here. Exit code 3 when no
Chromium or no playwright is found.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}
SEARCHES = ("evaluate", "it-pemetrexed")
SCREENSHOT_PAGES = {"home": "index.html", "api": "api/index.html", "rules": "rules/index.html"}
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_BROWSER = 3
PAGE_TIMEOUT_MS = 30_000

# Runs in the page once it has loaded: images that did not load, and how wide the page is.
_INSPECT = """async () => {
  const images = Array.from(document.images);
  images.forEach((img) => { img.loading = "eager"; });
  await Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done); img.addEventListener("error", done); setTimeout(done, 5000);
  })));
  const broken = images.filter((img) => !img.complete || img.naturalWidth === 0)
    .map((img) => img.getAttribute("src"));
  const root = document.documentElement;
  return {broken, scrollWidth: root.scrollWidth, clientWidth: root.clientWidth};
}"""


def find_browser(explicit: str | None = None) -> str | None:
    """The Chromium executable: ``explicit``, ``$LMTX_CHROMIUM``, or the first of the usual names on PATH."""
    for candidate in (explicit, os.environ.get("LMTX_CHROMIUM")):
        if candidate:
            return candidate if Path(candidate).is_file() else shutil.which(candidate)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def pages_of(site: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to it (``index.html``, ``api/index.html`` ...)."""
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html") if "assets" not in p.relative_to(site).parts]
    return sorted(pages, key=lambda page: (page != "index.html", page))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def served(site: Path) -> Iterator[str]:
    """The site on an HTTP server on a free loopback port, for the ``with`` block; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _url(base: str, page: str) -> str:
    return base + page.removesuffix("index.html")


def check_page(browser_page: Any, base: str, page: str, width: int) -> list[str]:
    """Load one page in an open browser tab; the problems found on it."""
    problems: list[str] = []
    errors: list[str] = []
    on_console = lambda message: errors.append(message.text) if message.type == "error" else None  # noqa: E731
    on_error = lambda error: errors.append(f"uncaught: {error}")  # noqa: E731
    browser_page.on("console", on_console)
    browser_page.on("pageerror", on_error)
    try:
        browser_page.goto(_url(base, page), wait_until="load", timeout=PAGE_TIMEOUT_MS)
        found = browser_page.evaluate(_INSPECT)
        browser_page.wait_for_timeout(200)  # late console errors (scripts run after load)
    finally:
        browser_page.remove_listener("console", on_console)
        browser_page.remove_listener("pageerror", on_error)
    problems += [f"{page} at {width} px: console error: {text}" for text in errors]
    problems += [f"{page} at {width} px: broken image: {src}" for src in found["broken"]]
    if found["scrollWidth"] > found["clientWidth"] + 1:
        problems.append(f"{page} at {width} px: {found['scrollWidth']} px wide, wider than the window")
    return problems


def check_search(browser_page: Any, base: str, query: str) -> list[str]:
    """Type a query into the site's search box; a problem when nothing is found."""
    browser_page.goto(base, wait_until="load", timeout=PAGE_TIMEOUT_MS)
    box = browser_page.locator("input[data-md-component=search-query]")
    box.click()  # at desktop width the search box is in the header
    results = browser_page.locator(".md-search-result__item")
    # The search index loads in a web worker after the page; a query typed before it is ready is
    # dropped ("Type to start searching"), so type it again until results come or time runs out.
    # The theme searches on key events: a query set with fill() alone is never searched.
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    error: Exception | None = None
    while time.monotonic() < deadline:
        box.fill("")
        box.press_sequentially(query, delay=20)
        try:
            results.first.wait_for(state="attached", timeout=2_000)
        except Exception as waited:  # noqa: BLE001 - a timeout of playwright's own type
            error = waited
            continue
        return []
    meta = browser_page.locator(".md-search-result__meta").first.text_content() or ""
    return [f"search for {query!r}: no result ({meta.strip() or type(error).__name__})"]


def screenshots_dir(explicit: Path | None) -> Path:
    """Where the screenshots go: outside the repository.

    Raises:
        ValueError: For a directory inside the repository.
    """
    if explicit is not None:
        directory = explicit
    elif os.environ.get("LMTX_ARTIFACTS"):
        directory = Path(os.environ["LMTX_ARTIFACTS"]) / "site-screenshots"
    else:
        directory = Path(tempfile.mkdtemp(prefix="lmtx-site-screenshots-"))
    directory = directory.resolve()
    if directory == ROOT or ROOT in directory.parents:
        raise ValueError(f"screenshots must be kept outside the repository, not in {directory}")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def check_site(
    site: Path,
    browser: str,
    shots: Path,
    *,
    only: list[str] | None = None,
    searches: tuple[str, ...] = SEARCHES,
) -> list[str]:
    """Every page (or ``only`` those) at every width, the searches, and the screenshots; the problems found."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional: only this check needs it

    pages = pages_of(site)
    if "index.html" not in pages:
        return [f"{site}: no index.html: not a built site"]
    if only is not None:
        pages = only
    problems: list[str] = []
    with served(site) as base, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browser, args=["--no-sandbox"])
        try:
            for name, (width, height) in VIEWPORTS.items():
                context = chromium.new_context(viewport={"width": width, "height": height})
                tab = context.new_page()
                for page in pages:
                    problems += check_page(tab, base, page, width)
                    shot = next((label for label, source in SCREENSHOT_PAGES.items() if source == page), None)
                    if shot is not None:
                        tab.screenshot(path=str(shots / f"{shot}-{name}.png"))
                if name == "desktop":
                    for query in searches:
                        problems += check_search(tab, base, query)
                context.close()
        finally:
            chromium.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check the site; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="a built site (mkdocs build --site-dir)")
    parser.add_argument("--screenshots", type=Path, help="where to keep the screenshots (outside the repository)")
    parser.add_argument("--browser", help="the Chromium executable")
    args = parser.parse_args(argv)
    browser = find_browser(args.browser)
    if browser is None:
        print(
            "check_site: no Chromium found: install it (Debian: apt-get install chromium), "
            "or name it with --browser or LMTX_CHROMIUM",
            file=sys.stderr,
        )
        return NO_BROWSER
    try:
        import playwright  # noqa: F401, PLC0415 - only to say clearly that it is missing
    except ImportError:
        print("check_site: the playwright package is missing: pip install playwright", file=sys.stderr)
        return NO_BROWSER
    try:
        shots = screenshots_dir(args.screenshots)
    except ValueError as error:
        parser.error(str(error))
    problems = check_site(args.site.resolve(), browser, shots)
    print(f"check_site: {len(pages_of(args.site))} pages at {', '.join(f'{w} px' for w, _ in VIEWPORTS.values())}")
    print(f"check_site: screenshots in {shots}")
    for problem in problems:
        print(f"check_site: {problem}", file=sys.stderr)
    print(f"check_site: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
