"""Build lmtx's one extension module: durable-rules' native engine, vendored under vendor/durable_rules.

Everything else about the package is declared in pyproject.toml. The engine's
C sources are durable-rules 2.0.28's, patched (vendor/durable_rules/README.md);
they are compiled into ``lmtx._durable_rules`` with Python's own compile flags,
then ``CFLAGS`` from the environment, then the flags upstream's build used
(``-std=c99 -D_GNU_SOURCE``) plus the optimisation it dropped.
"""

import os
import shlex
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ENGINE = "vendor/durable_rules/src"
FLAGS = ["-std=c99", "-D_GNU_SOURCE", "-O2", "-DNDEBUG"]
if sys.platform == "darwin":
    FLAGS.append("-fcommon")  # upstream's build adds it on macOS


def with_pythons_flags(command: list[str], pythons: list[str]) -> list[str]:
    """A compiler command with Python's own flags right after the compiler, unless it holds them.

    Recent setuptools compiles with ``CFLAGS`` from the environment *in place
    of* the flags Python was built with (``-g -fwrapv -Wall`` and the like),
    older ones after them: either way, Python's flags come first and
    ``CFLAGS`` adds to them.
    """
    size = len(pythons)
    if not pythons or any(command[i : i + size] == pythons for i in range(len(command))):
        return command
    return [command[0], *pythons, *command[1:]]


class BuildExt(build_ext):
    """``build_ext`` that keeps Python's compile flags when ``CFLAGS`` is set."""

    def build_extensions(self) -> None:
        compiler_so = getattr(self.compiler, "compiler_so", None)  # absent for MSVC
        if "CFLAGS" in os.environ and compiler_so:
            pythons = shlex.split(sysconfig.get_config_var("CFLAGS") or "")
            self.compiler.set_executable("compiler_so", with_pythons_flags(list(compiler_so), pythons))
        super().build_extensions()


if __name__ == "__main__":
    setup(
        cmdclass={"build_ext": BuildExt},
        ext_modules=[
            Extension(
                "lmtx._durable_rules",
                sources=[f"{ENGINE}/rules/{name}.c" for name in ("json", "rete", "state", "events", "regex")]
                + [f"{ENGINE}/rulespy/rules.c"],
                include_dirs=[f"{ENGINE}/rules"],
                depends=[f"{ENGINE}/rules/{name}.h" for name in ("json", "regex", "rete", "rules", "state")],
                extra_compile_args=FLAGS,
            )
        ],
    )
