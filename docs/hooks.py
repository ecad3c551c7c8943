"""MkDocs hooks of the lmtx site (registered under ``hooks:`` in mkdocs.yml).

Pages pull generated parts in with marker lines ``<!-- lmtx:NAME -->``;
``on_page_markdown`` replaces them with Markdown rendered from the lmtx
package by :mod:`lmtx_docgen`, and runs the examples marked
``<!-- lmtx:output -->`` to show what they print. Any disagreement between the
docs and the package fails the build.

``on_config`` turns on the theme's version selector when ``mike`` builds a
release (``mike deploy`` sets ``MIKE_DOCS_VERSION``): only a site published
by mike has the ``versions.json`` the selector reads. A plain build, a
preview and the Read the Docs build have no selector (Read the Docs shows its
own).

``on_files`` draws the pictures of the "Patient course and audit" page from
the shipped example courses (a short one, one of years, one with toxicities
and a performance-status history, and the page's running example) and a
generated cohort, so that they always show
what lmtx draws today (no image is checked in).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import lmtx_docgen
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = _ROOT / "lmtx" / "examples"
COURSE_PICTURES = {
    "images/example-course.svg": EXAMPLES / "course.json",
    "images/course-short.svg": EXAMPLES / "course-short.json",
    "images/course-years.svg": EXAMPLES / "course-years.json",
    "images/course-toxicities.svg": EXAMPLES / "course-toxicities.json",
}
"""Each course picture of the page, and the shipped example it is drawn from."""
AUDIT_PICTURE = "images/example-audit.svg"
EXAMPLE_COHORT = {"count": 300, "seed": 1}
"""The generated cohort the course page reports on (``python -m benchmarks.cohort 300 FILE --seed 1``)."""


MIKE_VERSION_VARIABLE = "MIKE_DOCS_VERSION"
"""Set by ``mike deploy`` (and ``mike serve``) for the build of one version."""


MIKE_SELECTOR_FILES = ("version-select.js", "version-select.css")
"""The selector mike's plugin adds for the theme: the theme's own is used instead."""


def _under_mike() -> bool:
    return bool(os.environ.get(MIKE_VERSION_VARIABLE))


def on_config(config: Any, **_: Any) -> Any:
    """Under mike, add the version selector of the material theme (``extra.version``)."""
    if _under_mike():
        config.extra["version"] = {"provider": "mike", "default": "latest", "alias": True}
    return config


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Expand the lmtx markers of one page."""
    try:
        return lmtx_docgen.expand(markdown, page.file.src_uri)
    except lmtx_docgen.DocsError as error:
        raise PluginError(str(error)) from error


def _drawn(draw: Any, subject: Any) -> str:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "picture.svg"
        draw(subject, target)
        return target.read_text(encoding="utf-8")


def on_files(files: Files, config: Any, **_: Any) -> Files:
    """Add the pictures of the course page, drawn now from the shipped examples and a generated cohort."""
    try:
        import lmtx  # noqa: PLC0415 - the site needs lmtx installed; imported where it is used
        from lmtx.course.plot import plot_audit, plot_timeline  # noqa: PLC0415

        if str(_ROOT) not in sys.path:
            sys.path.insert(0, str(_ROOT))
        from benchmarks.cohort import cohort  # noqa: PLC0415 - the repository's seeded generator

        pictures = {
            uri: _drawn(plot_timeline, lmtx.timeline(source.read_text(encoding="utf-8")))
            for uri, source in COURSE_PICTURES.items()
        }
        report = lmtx.audit(cohort(EXAMPLE_COHORT["count"], EXAMPLE_COHORT["seed"]))
        pictures[AUDIT_PICTURE] = _drawn(plot_audit, report)
    except Exception as error:
        raise PluginError(f"drawing the course page's pictures failed: {error!r}") from error
    for uri, svg in pictures.items():
        files.append(File.generated(config, uri, content=svg))
    if _under_mike():  # one selector, the theme's: drop the one mike's plugin added
        for file in [f for f in files if f.src_uri.endswith(MIKE_SELECTOR_FILES)]:
            files.remove(file)
        for kind in ("extra_javascript", "extra_css"):
            config[kind] = [e for e in config[kind] if not str(e).endswith(MIKE_SELECTOR_FILES)]
    return files
