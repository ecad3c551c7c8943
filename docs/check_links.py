"""Check the site's external links (the references, CDS Hooks, FHIR): needs the network, so not run by CI.

Collects every ``http(s)`` link of a built site's pages (what readers click,
the API reference's docstrings included) and of README.md, leaves out the
addresses that only stand for something (``example.org``, ``localhost``, the
code-system URIs of FHIR, which are names rather than pages), and fetches
each one, following redirects::

    python docs/check_links.py                 # builds the site into a temporary directory first
    python docs/check_links.py --site /tmp/lmtx-site
    python docs/check_links.py --list          # only print the links, fetch nothing

Exit code 0 when every link answers with a success, 1 otherwise (each
failure printed with the pages that hold the link), 2 when the site cannot
be built.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
HREF = re.compile(r"""href="(?P<url>https?://[^"#]+)(?:#[^"]*)?\"""")
MARKDOWN_LINK = re.compile(r"""\]\((?P<url>https?://[^)\s#]+)(?:#[^)\s]*)?\)|<(?P<bare>https?://[^>\s]+)>""")
PLACEHOLDER_HOSTS = re.compile(r"(^|\.)(example\.(org|com|net)|localhost|127\.0\.0\.1)$")
NAMES_NOT_PAGES = (
    "http://loinc.org",
    "http://snomed.info/sct",
    "http://unitsofmeasure.org",
    "http://terminology.hl7.org/CodeSystem/",
    "http://hl7.org/fhir/sid/",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
)
TIMEOUT = 20


def links(site: Path) -> dict[str, set[str]]:
    """External link -> the pages (site paths, or README.md) that hold it."""
    found: dict[str, set[str]] = defaultdict(set)
    for page in sorted(site.rglob("*.html")):
        for match in HREF.finditer(page.read_text(encoding="utf-8")):
            found[match["url"]].add(page.relative_to(site).as_posix())
    for match in MARKDOWN_LINK.finditer((ROOT / "README.md").read_text(encoding="utf-8")):
        found[match["url"] or match["bare"]].add("README.md")
    return {url: pages for url, pages in found.items() if _checked(url)}


def _checked(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return not PLACEHOLDER_HOSTS.search(host) and not url.startswith(NAMES_NOT_PAGES)


def fetch(url: str) -> str | None:
    """``None`` when the link answers with a success, else what went wrong."""
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "lmtx-docs-link-check"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only, above
            return None if response.status < 400 else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return f"{type(error).__name__}: {getattr(error, 'reason', error)}"


def build(directory: Path) -> bool:
    """Build the site strictly into ``directory``."""
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(directory)]
    return subprocess.run(command, cwd=ROOT, check=False).returncode == 0  # noqa: S603 - mkdocs


def main(argv: list[str] | None = None) -> int:
    """Check the links; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument("--list", action="store_true", help="print the links and fetch nothing")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lmtx-links-") as scratch:
        site = args.site
        if site is None:
            site = Path(scratch) / "site"
            if not build(site):
                print("check_links: the site does not build", file=sys.stderr)
                return 2
        found = links(site)
    if args.list:
        for url in sorted(found):
            print(url)
        return 0
    with cf.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = dict(zip(found, pool.map(fetch, found), strict=True))
    failures = {url: problem for url, problem in outcomes.items() if problem is not None}
    for url, problem in sorted(failures.items()):
        print(f"check_links: {url}: {problem} (on {', '.join(sorted(found[url]))})", file=sys.stderr)
    print(f"check_links: {len(found)} external links, {len(failures)} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
