#!/usr/bin/env bash
# Install a wheel of lmtx where no C compiler exists, and evaluate the shipped example.
#
#   benchmarks/no_compiler_install.sh wheelhouse/lmtx-<version>-cp311-cp311-manylinux_*.whl [python]
#
# A fresh virtual environment; PATH holds only its bin directory (its Python, pip and the
# lmtx command: no gcc, cc, clang or ld), and CC/CXX point to /bin/false, so any attempt to
# compile fails.
# lmtx's dependencies come from the package index as wheels (--only-binary :all:); pip's own
# settings (index, certificates) are kept from the environment.
set -euo pipefail
wheel=$(realpath "$1")
python=$(command -v "${2:-python3}")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
bin="$work/venv/bin"
for compiler in gcc cc clang; do
  if PATH="$bin" command -v "$compiler" >/dev/null 2>&1; then
    echo "a C compiler ($compiler) is on the restricted PATH" >&2
    exit 1
  fi
done
cp "$root/lmtx/examples/inadequate-response.json" "$work/example.json"
cd "$work"
env PATH="$bin" CC=/bin/false CXX=/bin/false \
  python -m pip install -q --disable-pip-version-check --only-binary :all: "$wheel"
env PATH="$bin" CC=/bin/false CXX=/bin/false \
  lmtx evaluate example.json > result.json
phase=$("$bin/python" -c 'import json, sys; print(json.load(open("result.json"))["phase"], sys.prefix)')
echo "installed $(basename "$wheel") without a compiler; the example evaluates: phase, prefix: $phase"
