"""Build lmtx's one extension module: durable-rules' native engine, vendored under vendor/durable_rules.

Everything else about the package is declared in pyproject.toml. The engine's
C sources are durable-rules 2.0.28's, patched (vendor/durable_rules/README.md);
they are compiled into ``lmtx._durable_rules`` with the flags upstream's build
used (``-std=c99 -D_GNU_SOURCE``) plus the optimisation it dropped. ``CFLAGS``
from the environment reach every compile line as well (before these flags).
"""

import sys

from setuptools import Extension, setup

ENGINE = "vendor/durable_rules/src"
FLAGS = ["-std=c99", "-D_GNU_SOURCE", "-O2", "-DNDEBUG"]
if sys.platform == "darwin":
    FLAGS.append("-fcommon")  # upstream's build adds it on macOS

setup(
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
