"""Running the installed ``lmtx`` console script in a subprocess, on pipes or on a pseudo-terminal.

Shared by the course tests and the other command-line tests (tests/test_cli.py).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

LMTX = Path(sys.executable).parent / "lmtx"
SAFETY_TIMEOUT = 600  # seconds; a hung process fails the test instead of hanging the suite


def run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script with pipes; text output."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run([str(LMTX), *args], input=data, capture_output=True, timeout=SAFETY_TIMEOUT, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def run_on_a_terminal(*args: str, stdout_closed: bool = False) -> tuple[int, str]:
    """Run the console script with stderr on a pseudo-terminal; return the exit code and what it showed.

    ``stdout_closed``: standard output is a pipe whose reader has gone away (``lmtx ... | true``).
    """
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    reader, writer = os.pipe()
    if stdout_closed:
        os.close(reader)
    process = subprocess.Popen(
        [str(LMTX), *args],
        stdout=writer if stdout_closed else subprocess.DEVNULL,
        stderr=terminal,
        stdin=subprocess.DEVNULL,
    )
    os.close(terminal)
    os.close(writer)
    if not stdout_closed:
        os.close(reader)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], SAFETY_TIMEOUT)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return process.wait(timeout=SAFETY_TIMEOUT), shown.decode(errors="replace")
