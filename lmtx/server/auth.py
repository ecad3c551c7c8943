"""JWT bearer verification of CDS clients, as CDS Hooks 2.0 describes it ("Trusting CDS Clients").

A token is accepted when: its ``iss`` is an allowed issuer; its signature
verifies with a key of *that* issuer's configured JWK Set (chosen by ``kid``),
with an allowed asymmetric algorithm; ``aud`` names the endpoint being called;
``exp`` is in the future, ``iat`` neither in the future nor older than the
configured age (both with the configured leeway); and its ``jti`` has not been
seen before while the token is valid. Keys are never fetched from a ``jku``
URL: the JWK Sets are configured files. The replay cache is per process.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lmtx.server.config import AuthConfig, ConfigError

__all__ = ["AuthError", "JwtVerifier"]

MAX_TOKEN_LENGTH = 16 * 1024
"""Longest bearer token read."""


class AuthError(Exception):
    """The request's bearer token is missing or not acceptable; the message says why."""


class JwtVerifier:
    """Verifies CDS clients' bearer tokens against the configured issuers.

    Args:
        config: The auth configuration; each issuer's JWK Set file is read now.
        clock: Seconds since the epoch (for tests); default :func:`time.time`.

    Raises:
        ConfigError: A JWK Set file cannot be read or holds no usable key.
    """

    def __init__(self, config: AuthConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.key_sets: dict[str, KeySet] = {}
        for issuer, settings in config.issuers.items():
            try:
                data = json.loads(settings.jwks_file.read_text(encoding="utf-8"))
                key_set = KeySet.import_key_set(data)
            except (OSError, ValueError, TypeError, KeyError, JoseError) as error:
                raise ConfigError(f"auth.issuers.{issuer}.jwks_file: cannot load a JWK Set: {error}") from None
            if not key_set.keys or any(key.is_private for key in key_set.keys):
                # A client's JWK Set is public; a private or symmetric (oct) key has no place in it.
                raise ConfigError(f"auth.issuers.{issuer}.jwks_file: needs public keys only, and at least one")
            self.key_sets[issuer] = key_set
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, audiences: Sequence[str]) -> Mapping[str, Any]:
        """Check the ``Authorization`` header of one request.

        Args:
            authorization: The header's value (``Bearer <JWT>``), or ``None``.
            audiences: The acceptable ``aud`` values: the URL of the endpoint called.

        Returns:
            The token's claims.

        Raises:
            AuthError: With the reason the token is refused.
        """
        token = _bearer(authorization)
        header, unverified = _peek(token)
        algorithm = header.get("alg")
        if algorithm not in self.config.algorithms:
            raise AuthError(f"algorithm {algorithm!r} is not accepted")
        if not isinstance(header.get("kid"), str):
            raise AuthError("the token header has no kid")
        if str(header.get("typ", "")).upper() != "JWT":
            raise AuthError("the token header's typ is not JWT")
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or issuer not in self.key_sets:
            raise AuthError("the token's issuer is not trusted")
        try:
            decoded = jwt.decode(token, self.key_sets[issuer], algorithms=list(self.config.algorithms))
        except (JoseError, ValueError, KeyError, TypeError) as error:
            raise AuthError(f"the token's signature does not verify ({type(error).__name__})") from None
        claims = decoded.claims
        now = int(self.clock())
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=self.config.leeway_seconds,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "values": list(audiences)},
            exp={"essential": True},
            iat={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise AuthError(f"the token's claims are not acceptable: {error.description or error.error}") from None
        if claims["iat"] < now - self.config.max_token_age_seconds - self.config.leeway_seconds:
            raise AuthError("the token was issued too long ago")
        self._remember(issuer, claims["jti"], float(claims["exp"]), now)
        return claims

    def _remember(self, issuer: str, jti: str, expires: float, now: float) -> None:
        with self._lock:
            for key in [k for k, exp in self._seen.items() if exp + self.config.leeway_seconds < now]:
                del self._seen[key]
            if (issuer, jti) in self._seen:
                raise AuthError("the token's jti was already used")
            self._seen[(issuer, jti)] = expires


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("no bearer token")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("the Authorization header is not 'Bearer <token>'")
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthError("the bearer token is too long")
    return token


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS, before any verification (to choose the issuer's keys)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthError("the bearer token is not a compact JWT")
    try:
        header, claims = (json.loads(_b64url(part)) for part in parts[:2])
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise AuthError("the bearer token is not a readable JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AuthError("the bearer token is not a readable JWT")
    return header, claims


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
