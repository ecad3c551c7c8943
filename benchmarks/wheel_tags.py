"""Check that wheels are tagged for release: manylinux (or macOS, Windows), never a plain ``linux_*`` tag.

Run on the wheels of a release before uploading them (docs/installation.md)::

    python benchmarks/wheel_tags.py wheelhouse/*.whl

A wheel built on Linux by ``python -m build`` is tagged ``linux_x86_64``: it
runs only where it was built, and PyPI refuses it. ``auditwheel repair`` gives
the ``manylinux_*`` wheel. Each wheel's tags are read from its own
``*.dist-info/WHEEL`` file, not from its name. Exits 1 if any wheel is not
fit for release, listing each one and its tags.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

RELEASE_PLATFORMS = re.compile(r"^(manylinux\d*|musllinux|macosx|win)_|^win32$|^any$")


def tags(wheel: Path) -> list[str]:
    """The ``Tag:`` lines of a wheel's WHEEL file (``python-abi-platform``)."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/WHEEL", n)]
        text = archive.read(name).decode("utf-8")
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:")]


def unfit(wheel: Path) -> list[str]:
    """The wheel's tags whose platform is not one a release may carry (all of them if it has none)."""
    found = tags(wheel)
    return [tag for tag in found if not RELEASE_PLATFORMS.search(tag.rsplit("-", 1)[-1])] or (
        [] if found else ["(no tag)"]
    )


def main(argv: list[str] | None = None) -> int:
    """Print each wheel's tags; exit 1 if one is not fit for release."""
    wheels = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    if not wheels:
        print("usage: python benchmarks/wheel_tags.py WHEEL [WHEEL ...]", file=sys.stderr)
        return 2
    failed = False
    for wheel in wheels:
        bad = unfit(wheel)
        failed |= bool(bad)
        verdict = f"NOT FOR RELEASE: {', '.join(bad)} (run auditwheel repair)" if bad else "ok"
        print(f"{wheel.name}: {', '.join(tags(wheel))}: {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
