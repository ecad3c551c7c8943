"""lmtx as a CDS Hooks 2.0 service, so that an EHR can show its recommendations as cards.

Optional extra: ``pip install 'lmtx[fhir,server]'`` (starlette, uvicorn,
joserfc, fhir.resources). ``import lmtx`` never imports this package.

Run it with ``lmtx serve --host 127.0.0.1 --port 8080 [--config FILE]``, with
``python -m lmtx.server`` (same options), or serve :func:`create_app`'s
application with any ASGI server. ``docs/fhir.md`` documents the services,
the cards, the configuration keys and the FHIR mapping.
"""

from __future__ import annotations

import sys

try:
    import uvicorn
except ImportError as _error:  # pragma: no cover - depends on the installed extras
    raise ImportError("lmtx.server needs the 'server' extra: pip install 'lmtx[fhir,server]'") from _error

from lmtx.server.app import create_app
from lmtx.server.config import (
    AuthConfig,
    ConfigError,
    FhirFetchConfig,
    IssuerConfig,
    ServerConfig,
    check_listen,
    load_config,
)
from lmtx.server.feedback import FeedbackEntry, FeedbackStore

__all__ = [
    "AuthConfig",
    "ConfigError",
    "FeedbackEntry",
    "FeedbackStore",
    "FhirFetchConfig",
    "IssuerConfig",
    "ServerConfig",
    "check_listen",
    "create_app",
    "load_config",
    "serve",
]


def serve(host: str, port: int, config: str | None = None, *, insecure_listen_without_auth: bool = False) -> None:
    """Run the CDS Hooks service with uvicorn until interrupted.

    Safe by default when exposed: beyond loopback (``0.0.0.0``, a LAN address,
    a host name) the service refuses to start unless JWT verification is
    configured (``[auth]``) or the insecure choice is made explicitly, which
    prints a warning on standard error (see :func:`check_listen`).

    Args:
        host: Interface to listen on, e.g. ``127.0.0.1``.
        port: TCP port, e.g. ``8080``.
        config: Path of a TOML or JSON configuration file; ``None`` for the defaults.
        insecure_listen_without_auth: Listen beyond loopback without JWT
            verification (the ``--insecure-listen-without-auth`` flag); the
            configuration key of the same name does the same.

    Raises:
        ConfigError: The configuration is invalid, or it would expose the
            service without authentication (raised before listening).
    """
    settings = load_config(config)
    warning = check_listen(host, settings, insecure=insecure_listen_without_auth)
    if warning is not None:
        sys.stderr.write(f"lmtx serve: WARNING: {warning}\n")
        sys.stderr.flush()
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")
