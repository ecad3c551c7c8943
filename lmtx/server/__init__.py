"""lmtx as a CDS Hooks 2.0 service, so that an EHR can show its recommendations as cards.

Optional extra: ``pip install 'lmtx[fhir,server]'`` (starlette, uvicorn,
joserfc, fhir.resources). ``import lmtx`` never imports this package.

Run it with ``lmtx serve --host 127.0.0.1 --port 8080 [--config FILE]``, with
``python -m lmtx.server`` (same options), or serve :func:`create_app`'s
application with any ASGI server. ``docs/fhir.md`` documents the services,
the cards, the configuration keys and the FHIR mapping.
"""

from __future__ import annotations

try:
    import uvicorn
except ImportError as _error:  # pragma: no cover - depends on the installed extras
    raise ImportError("lmtx.server needs the 'server' extra: pip install 'lmtx[fhir,server]'") from _error

from lmtx.server.app import create_app
from lmtx.server.config import AuthConfig, ConfigError, FhirFetchConfig, IssuerConfig, ServerConfig, load_config
from lmtx.server.feedback import FeedbackEntry, FeedbackStore

__all__ = [
    "AuthConfig",
    "ConfigError",
    "FeedbackEntry",
    "FeedbackStore",
    "FhirFetchConfig",
    "IssuerConfig",
    "ServerConfig",
    "create_app",
    "load_config",
    "serve",
]


def serve(host: str, port: int, config: str | None = None) -> None:
    """Run the CDS Hooks service with uvicorn until interrupted.

    Args:
        host: Interface to listen on, e.g. ``127.0.0.1``.
        port: TCP port, e.g. ``8080``.
        config: Path of a TOML or JSON configuration file; ``None`` for the defaults.

    Raises:
        ConfigError: The configuration is invalid (raised before listening).
    """
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")
