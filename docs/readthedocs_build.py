"""Build the site as Read the Docs does, from ``.readthedocs.yaml``, offline.

Read the Docs installs what ``python.install`` lists, then runs
``python -m mkdocs build --clean --site-dir $READTHEDOCS_OUTPUT/html
--config-file <mkdocs.configuration>``, with ``--strict`` when
``mkdocs.fail_on_warning`` is true. This script reads the same file and runs
the same command, so a configuration that would fail there fails here::

    python docs/readthedocs_build.py                       # site in _readthedocs/html
    python docs/readthedocs_build.py --output /tmp/rtd     # elsewhere
    python docs/readthedocs_build.py --install --venv /tmp/rtd-venv   # a fresh environment too

Without ``--install`` the current environment must already hold the ``docs``
extra (``pip install -e '.[docs]'``); with it, a new virtual environment gets
exactly what ``python.install`` lists (pip then needs a package index).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".readthedocs.yaml"


class ConfigError(Exception):
    """``.readthedocs.yaml`` does not describe the strict MkDocs build."""


def load(path: Path = CONFIG) -> dict[str, Any]:
    """The configuration, checked for what this build relies on.

    Raises:
        ConfigError: When it is not a version 2 MkDocs configuration that fails on warnings.
    """
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(config, dict) or config.get("version") != 2:
        raise ConfigError(f"{path.name}: expected version: 2")
    mkdocs = config.get("mkdocs")
    if not isinstance(mkdocs, dict) or not mkdocs.get("configuration"):
        raise ConfigError(f"{path.name}: no mkdocs.configuration")
    if mkdocs.get("fail_on_warning") is not True:
        raise ConfigError(f"{path.name}: mkdocs.fail_on_warning must be true (the site builds strictly)")
    if "sphinx" in config or "commands" in config.get("build", {}):
        raise ConfigError(f"{path.name}: only the mkdocs builder is expected")
    return config


def install_requirements(config: dict[str, Any]) -> list[str]:
    """The pip requirement specifiers of ``python.install`` (paths relative to the repository)."""
    specifiers = []
    for entry in config.get("python", {}).get("install", []):
        if entry.get("method", "pip") != "pip" or "path" not in entry:
            raise ConfigError(f"unsupported python.install entry: {entry}")
        extras = entry.get("extra_requirements") or []
        target = str((ROOT / entry["path"]).resolve())
        specifiers.append(f"{target}[{','.join(extras)}]" if extras else target)
    return specifiers


def build_command(config: dict[str, Any], python: str, output: Path) -> list[str]:
    """The command Read the Docs runs for the site."""
    mkdocs = config["mkdocs"]
    command = [python, "-m", "mkdocs", "build", "--clean", "--site-dir", str(output)]
    command += ["--config-file", str(ROOT / mkdocs["configuration"])]
    if mkdocs.get("fail_on_warning"):
        command.append("--strict")
    return command


def main(argv: list[str] | None = None) -> int:
    """Build the site as Read the Docs would; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "_readthedocs" / "html", help="the site's directory")
    parser.add_argument("--install", action="store_true", help="install python.install into a fresh --venv first")
    parser.add_argument("--venv", type=Path, help="the environment for --install")
    parser.add_argument("--quiet", action="store_true", help="pass --quiet to mkdocs")
    args = parser.parse_args(argv)
    try:
        config = load()
    except ConfigError as error:
        print(f"readthedocs_build: {error}", file=sys.stderr)
        return 2
    python = sys.executable
    if args.install:
        if args.venv is None:
            parser.error("--install needs --venv")
        venv.create(args.venv, with_pip=True)
        python = str(args.venv / "bin" / "python")
        pip = [python, "-m", "pip", "install", "-q", *install_requirements(config)]
        subprocess.run(pip, check=True)  # noqa: S603 - the configuration's own requirements
    command = build_command(config, python, args.output.resolve())
    if args.quiet:
        command.append("--quiet")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(command, cwd=ROOT, env=environment, check=False).returncode  # noqa: S603 - mkdocs


if __name__ == "__main__":
    sys.exit(main())
