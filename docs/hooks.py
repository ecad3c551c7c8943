"""MkDocs hooks of the lmtx site (registered under ``hooks:`` in mkdocs.yml).

Pages pull generated parts in with marker lines ``<!-- lmtx:NAME -->``;
``on_page_markdown`` replaces them with Markdown rendered from the lmtx
package by :mod:`lmtx_docgen`, and runs the examples marked
``<!-- lmtx:output -->`` to show what they print. Any disagreement between the
docs and the package fails the build.
"""

from __future__ import annotations

from typing import Any

import lmtx_docgen
from mkdocs.exceptions import PluginError


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Expand the lmtx markers of one page."""
    try:
        return lmtx_docgen.expand(markdown, page.file.src_uri)
    except lmtx_docgen.DocsError as error:
        raise PluginError(str(error)) from error
