"""MkDocs hooks of the lmtx site (registered under ``hooks:`` in mkdocs.yml).

Pages pull generated parts in with marker lines ``<!-- lmtx:NAME -->``;
``on_page_markdown`` replaces them with Markdown rendered from the lmtx
package by :mod:`lmtx_docgen`, and runs the examples marked
``<!-- lmtx:output -->`` to show what they print. Any disagreement between the
docs and the package fails the build.

``on_files`` draws the pictures of the "Patient course and audit" page from
the shipped example courses (a short one, one of years, one with toxicities
and a performance-status history, and the page's running example) and a
generated cohort, so that they always show
what lmtx draws today (no image is checked in).
"""

from __future__ import annotations

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
    return files
