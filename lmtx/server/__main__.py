"""``python -m lmtx.server [--host HOST] [--port PORT] [--config FILE] [--insecure-listen-without-auth]``: serve.

Exit codes: 0 after a clean shutdown, 2 for an invalid configuration (or one that
would listen beyond loopback without JWT verification).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lmtx.server import ConfigError, serve

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and serve; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m lmtx.server", description="Run lmtx's CDS Hooks service.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="TCP port (default 8080)")
    parser.add_argument("--config", help="TOML or JSON configuration file (see docs/fhir.md)")
    parser.add_argument(
        "--insecure-listen-without-auth",
        action="store_true",
        help="listen beyond loopback without JWT verification (any host that reaches the port may call the service)",
    )
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, args.config, insecure_listen_without_auth=args.insecure_listen_without_auth)
    except ConfigError as error:
        sys.stderr.write(f"lmtx: {error}\n")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
