"""The CDS Hooks service's configuration: one validated value, read from a TOML or JSON file.

Every key is optional; unknown keys are errors (a misspelt key must never be
silently ignored). Relative paths are relative to the configuration file.
``docs/fhir.md`` documents every key with an example.
"""

from __future__ import annotations

import ipaddress
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from lmtx.policy import Policy

__all__ = [
    "AuthConfig",
    "ConfigError",
    "FhirFetchConfig",
    "IssuerConfig",
    "ServerConfig",
    "check_listen",
    "is_loopback",
    "load_config",
]

ASYMMETRIC_ALGORITHMS = (
    "ES256",
    "ES384",
    "ES512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "EdDSA",
)
"""The signing algorithms a CDS client may use: never ``none``, never a shared-secret HMAC (CDS Hooks 2.0)."""


_T = TypeVar("_T")


_KIND_NAMES: dict[type, str] = {int: "whole number", float: "number", str: "string", bool: "boolean"}


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every problem with its key."""


@attrs.frozen
class IssuerConfig:
    """A trusted JWT issuer (a CDS client) and the file holding its public JWK Set."""

    jwks_file: Path


@attrs.frozen
class AuthConfig:
    """JWT bearer verification as CDS Hooks 2.0 describes it ("Trusting CDS Clients").

    Attributes:
        enabled: Require a valid token on every ``/cds-services`` call.
        issuers: Allowed ``iss`` values, each with its JWK Set file.
        algorithms: Allowed ``alg`` values (asymmetric only).
        leeway_seconds: Clock skew tolerated for ``exp`` and ``iat``.
        max_token_age_seconds: Oldest ``iat`` accepted.
    """

    enabled: bool = False
    issuers: Mapping[str, IssuerConfig] = attrs.field(factory=dict)
    algorithms: tuple[str, ...] = ("ES384", "RS384", "ES256", "RS256", "ES512", "RS512", "PS256", "PS384", "PS512")
    leeway_seconds: int = 30
    max_token_age_seconds: int = 300


@attrs.frozen
class FhirFetchConfig:
    """Fetching missing prefetch data from the client's FHIR server (off by default).

    Attributes:
        enabled: Fetch when a prefetch key is missing and the request carries
            ``fhirServer`` and ``fhirAuthorization``.
        allowed_servers: FHIR base URLs the service may call; any other
            ``fhirServer`` is refused (no request is made to it).
        timeout_seconds: Per HTTP request.
        max_pages: Search-result pages followed per prefetch key.
        max_response_bytes: Largest response body read.
        max_resources: Most entries read per prefetch key, over all its pages.
        total_timeout_seconds: Longest time all the fetching for one hook call may take.
    """

    enabled: bool = False
    allowed_servers: tuple[str, ...] = ()
    timeout_seconds: float = 10.0
    max_pages: int = 20
    max_response_bytes: int = 20 * 1024 * 1024
    max_resources: int = 10_000
    total_timeout_seconds: float = 30.0


@attrs.frozen
class ServerConfig:
    """Configuration of :func:`lmtx.server.create_app`.

    Attributes:
        base_url: The public base URL of the service (``https://cds.example.org``):
            the JWT audience and the source link of cards are built on it.
            Default: taken from each request's own URL.
        max_body_bytes: Largest request body accepted (larger: 413).
        feedback_db: SQLite file the feedback log is appended to.
        source_url: Link shown as each card's source; default: the service's
            own ``/lmtx/knowledge-base`` page.
        poor_ps_ecog: The policy's poor-performance-status threshold (see docs/interpretation.md#policy).
        safety_pack: Add the safety pack's cautions to the cards (docs/safety-pack.md): alerts, each
            citing a public source, on what the document does not say. Off by default.
        cors_origins: Browser origins allowed to call the service (CORS).
        insecure_listen_without_auth: Allow listening beyond loopback with
            ``auth`` off (any host that reaches the port may then call the
            service); :func:`check_listen` refuses it otherwise.
        fhir_fetch: See :class:`FhirFetchConfig`.
        auth: See :class:`AuthConfig`.
    """

    base_url: str | None = None
    max_body_bytes: int = 5 * 1024 * 1024
    feedback_db: Path = Path("lmtx-feedback.sqlite3")
    source_url: str | None = None
    poor_ps_ecog: int = Policy().poor_ps_ecog
    safety_pack: bool = False
    cors_origins: tuple[str, ...] = ()
    insecure_listen_without_auth: bool = False
    fhir_fetch: FhirFetchConfig = FhirFetchConfig()
    auth: AuthConfig = AuthConfig()

    @property
    def policy(self) -> Policy:
        """The evaluation policy."""
        return Policy(poor_ps_ecog=self.poor_ps_ecog, safety_pack=self.safety_pack)


def load_config(source: ServerConfig | Mapping[str, Any] | str | Path | None = None) -> ServerConfig:
    """Build a validated configuration.

    Args:
        source: A :class:`ServerConfig` (returned as is), a mapping of the file's
            keys, the path of a ``.toml`` or ``.json`` file, or ``None`` for the
            defaults.

    Returns:
        The configuration.

    Raises:
        ConfigError: Listing every invalid or unknown key.

    Examples:
        >>> from lmtx.server import ConfigError, load_config
        >>> load_config({"poor_ps_ecog": 2}).poor_ps_ecog
        2
        >>> try:
        ...     load_config({"listen_port": 8080})
        ... except ConfigError as error:
        ...     print(error)
        invalid configuration:
          listen_port: unknown key
    """
    if source is None:
        return ServerConfig()
    if isinstance(source, ServerConfig):
        return source
    base = Path.cwd()
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read configuration {path}: {error.strerror or error}") from None
        try:
            raw: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as error:
            kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
            raise ConfigError(f"{path}: not valid {kind}: {error}") from None
        base = path.resolve().parent
        source = raw
    if not isinstance(source, Mapping):
        raise ConfigError("the configuration must be a table/object of keys")
    reader = _Reader(base)
    config = reader.server(source)
    if reader.problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  {p}" for p in reader.problems))
    assert config is not None
    return config


_HOW_TO_AUTHENTICATE = """\
Configure JWT verification of your CDS clients (docs/fhir.md, "Deployment"):

    [auth]
    enabled = true
    [auth.issuers."https://ehr.example.org"]   # the client's iss
    jwks_file = "ehr-jwks.json"               # its public JWK Set

or listen on loopback only (--host 127.0.0.1) behind a proxy that authenticates,
or, knowing that any host that can reach the port may then call the service,
set insecure_listen_without_auth = true (flag: --insecure-listen-without-auth)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback interface only: ``localhost`` or an address in 127.0.0.0/8 or ``::1``.

    Args:
        host: The interface to listen on, as given to ``--host``.

    Returns:
        True for loopback; False for every other name or address, including
        ``0.0.0.0``, ``::`` and host names (which may resolve beyond loopback).
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, config: ServerConfig, *, insecure: bool = False) -> str | None:
    """Whether the service may listen on ``host`` with this configuration: safe by default when exposed.

    Listening beyond loopback with ``auth`` off would let any host that reaches
    the port call the service (and, with fetching on, make it call the allowed
    FHIR servers). That takes an explicit choice: ``insecure`` (the
    ``--insecure-listen-without-auth`` flag) or the configuration key
    ``insecure_listen_without_auth``.

    Args:
        host: The interface to listen on.
        config: The service's configuration.
        insecure: The command line's ``--insecure-listen-without-auth``.

    Returns:
        A warning to show when the insecure choice was made; ``None`` when there is nothing to warn about.

    Raises:
        ConfigError: Beyond loopback without JWT verification, and no insecure choice made;
            the message says how to configure issuers.
    """
    if is_loopback(host) or config.auth.enabled:
        return None
    if insecure or config.insecure_listen_without_auth:
        return (
            f"listening on {host} without JWT verification (insecure_listen_without_auth): any host that can "
            "reach this port can call the service. Configure [auth] issuers for production (docs/fhir.md)."
        )
    raise ConfigError(
        f"refusing to listen on {host} (beyond loopback) without JWT verification: any host that can reach the "
        f"port could call the service.\n{_HOW_TO_AUTHENTICATE}"
    )


class _Reader:
    """Reads the raw mapping key by key, collecting every problem."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[str] = []

    def _unknown(self, raw: Mapping[str, Any], known: set[str], prefix: str) -> None:
        self.problems += [f"{prefix}{key}: unknown key" for key in raw if key not in known]

    def _get(self, raw: Mapping[str, Any], key: str, kind: type[_T], default: _T, prefix: str) -> _T:
        if key not in raw:
            return default
        value = raw[key]
        wrong = isinstance(value, bool) and kind is not bool
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if wrong or not isinstance(value, kind):
            self.problems.append(f"{prefix}{key}: must be a {_KIND_NAMES.get(kind, kind.__name__)}, got {value!r}")
            return default
        return value

    def _positive(self, value: float, key: str) -> None:
        if value <= 0:
            self.problems.append(f"{key}: must be > 0, got {value}")

    def _strings(self, raw: Mapping[str, Any], key: str, prefix: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{prefix}{key}: must be a list of strings")
            return ()
        return tuple(value)

    def _url(self, value: str | None, key: str) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            self.problems.append(f"{key}: must be an absolute http(s) URL, got {value!r}")
        return value.rstrip("/")

    def server(self, raw: Mapping[str, Any]) -> ServerConfig | None:
        known = {f.name for f in attrs.fields(ServerConfig)}
        self._unknown(raw, known, "")
        defaults = ServerConfig()
        base_url = self._url(self._get(raw, "base_url", str, "", "") or None, "base_url")
        source_url = self._url(self._get(raw, "source_url", str, "", "") or None, "source_url")
        max_body = self._get(raw, "max_body_bytes", int, defaults.max_body_bytes, "")
        self._positive(max_body, "max_body_bytes")
        feedback = self._get(raw, "feedback_db", str, str(defaults.feedback_db), "")
        poor = self._get(raw, "poor_ps_ecog", int, defaults.poor_ps_ecog, "")
        if not 1 <= poor <= 4:
            self.problems.append(f"poor_ps_ecog: must be 1-4, got {poor}")
        fetch = self.fetch(self._table(raw, "fhir_fetch"))
        auth = self.auth(self._table(raw, "auth"))
        return ServerConfig(
            base_url=base_url,
            max_body_bytes=max_body,
            feedback_db=self.base / feedback,
            source_url=source_url,
            poor_ps_ecog=poor,
            safety_pack=self._get(raw, "safety_pack", bool, defaults.safety_pack, ""),
            cors_origins=self._strings(raw, "cors_origins", ""),
            insecure_listen_without_auth=self._get(raw, "insecure_listen_without_auth", bool, False, ""),
            fhir_fetch=fetch,
            auth=auth,
        )

    def _table(self, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, Mapping):
            self.problems.append(f"{key}: must be a table/object")
            return {}
        return value

    def fetch(self, raw: Mapping[str, Any]) -> FhirFetchConfig:
        p = "fhir_fetch."
        self._unknown(raw, {f.name for f in attrs.fields(FhirFetchConfig)}, p)
        d = FhirFetchConfig()
        enabled = self._get(raw, "enabled", bool, d.enabled, p)
        listed = self._strings(raw, "allowed_servers", p)
        servers = tuple(url for url in (self._url(s, p + "allowed_servers") for s in listed) if url)
        if enabled and not servers:
            self.problems.append(
                "fhir_fetch.allowed_servers: needed when fetching is enabled (no FHIR server is called unless listed)"
            )
        timeout = self._get(raw, "timeout_seconds", float, d.timeout_seconds, p)
        pages = self._get(raw, "max_pages", int, d.max_pages, p)
        size = self._get(raw, "max_response_bytes", int, d.max_response_bytes, p)
        resources = self._get(raw, "max_resources", int, d.max_resources, p)
        total = self._get(raw, "total_timeout_seconds", float, d.total_timeout_seconds, p)
        for value, key in (
            (timeout, "timeout_seconds"),
            (pages, "max_pages"),
            (size, "max_response_bytes"),
            (resources, "max_resources"),
            (total, "total_timeout_seconds"),
        ):
            self._positive(value, p + key)
        return FhirFetchConfig(enabled, servers, timeout, pages, size, resources, total)

    def auth(self, raw: Mapping[str, Any]) -> AuthConfig:
        p = "auth."
        self._unknown(raw, {f.name for f in attrs.fields(AuthConfig)}, p)
        d = AuthConfig()
        enabled = self._get(raw, "enabled", bool, d.enabled, p)
        issuers: dict[str, IssuerConfig] = {}
        for name, table in self._table(raw, "issuers").items():
            if not isinstance(table, Mapping):
                self.problems.append(f"auth.issuers.{name}: must be a table/object")
                continue
            self._unknown(table, {"jwks_file"}, f"auth.issuers.{name}.")
            jwks = self._get(table, "jwks_file", str, "", f"auth.issuers.{name}.")
            if not jwks:
                self.problems.append(f"auth.issuers.{name}.jwks_file: required")
                continue
            issuers[name] = IssuerConfig(self.base / jwks)
        if enabled and not issuers:
            self.problems.append("auth.issuers: at least one trusted issuer is needed when auth is enabled")
        algorithms = self._strings(raw, "algorithms", p) if "algorithms" in raw else d.algorithms
        bad = [a for a in algorithms if a not in ASYMMETRIC_ALGORITHMS]
        if bad or not algorithms:
            allowed = ", ".join(ASYMMETRIC_ALGORITHMS)
            self.problems.append(f"auth.algorithms: only asymmetric algorithms ({allowed}); got {bad or 'none'}")
        leeway = self._get(raw, "leeway_seconds", int, d.leeway_seconds, p)
        if leeway < 0:
            self.problems.append(f"auth.leeway_seconds: must be >= 0, got {leeway}")
        age = self._get(raw, "max_token_age_seconds", int, d.max_token_age_seconds, p)
        self._positive(age, p + "max_token_age_seconds")
        return AuthConfig(enabled, issuers, algorithms, leeway, age)
