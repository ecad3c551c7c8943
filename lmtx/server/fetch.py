"""Fetching prefetch data the CDS client did not send, from its FHIR server (off by default).

Used only when enabled in the configuration, for a request that carries
``fhirServer`` and ``fhirAuthorization``, and only against a FHIR base URL
the configuration allows: the service never calls a server named by a
request alone. Search results are followed page by page (``next`` links on
the same server only), up to the configured number of pages.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lmtx.server.config import FhirFetchConfig

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchError", "allowed", "available", "fetch", "new_client"]


class FetchError(Exception):
    """The FHIR server could not give the data; the message says why (no secrets in it)."""


def available() -> bool:
    """Whether httpx, needed only for fetching, is installed."""
    return importlib.util.find_spec("httpx") is not None


def new_client() -> httpx.AsyncClient:
    """The HTTP client the service fetches with (redirects are not followed: they could leave the allowed server).

    Returns:
        A new asynchronous client; close it when done.
    """
    import httpx  # noqa: PLC0415 - httpx is needed only when fetching is enabled

    return httpx.AsyncClient(follow_redirects=False)


def allowed(config: FhirFetchConfig, server: str) -> bool:
    """Whether the configuration allows calling a FHIR server.

    Args:
        config: The fetch configuration.
        server: The request's ``fhirServer`` base URL.

    Returns:
        True when the URL is, or lies under, one of the allowed servers.
    """
    base = server.rstrip("/")
    return any(base == s or base.startswith(s + "/") for s in config.allowed_servers)


async def fetch(
    client: httpx.AsyncClient,
    config: FhirFetchConfig,
    server: str,
    token: str,
    query: str,
) -> dict[str, Any] | None:
    """Run one rendered prefetch query against the FHIR server.

    Args:
        client: The HTTP client to use.
        config: The fetch configuration (limits).
        server: The FHIR base URL (already allowed).
        token: The bearer access token from ``fhirAuthorization``.
        query: The rendered prefetch template, relative to ``server``.

    Returns:
        The resource read, or a search-set Bundle holding every page's
        entries; ``None`` for a read that found nothing (404).

    Raises:
        FetchError: The server failed, answered something that is not FHIR
            JSON, or sent a ``next`` link to another server.
    """
    base = server.rstrip("/")
    url = f"{base}/{query}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    first = await _get(client, config, url, headers, allow_missing="?" not in query)
    if first is None or first.get("resourceType") != "Bundle":
        return first
    entries: list[Any] = list(first.get("entry") or [])
    page, pages = first, 1
    while (next_url := _next_link(page)) is not None:
        if pages >= config.max_pages:
            raise FetchError(f"more than {config.max_pages} pages of results for {query.partition('?')[0]}")
        if not (next_url == base or next_url.startswith(base + "/") or next_url.startswith(base + "?")):
            raise FetchError("a next link points to another server")
        page = await _get(client, config, next_url, headers, allow_missing=False) or {}
        entries += list(page.get("entry") or [])
        pages += 1
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


async def _get(
    client: httpx.AsyncClient, config: FhirFetchConfig, url: str, headers: Mapping[str, str], *, allow_missing: bool
) -> dict[str, Any] | None:
    import httpx  # noqa: PLC0415 - httpx is needed only when fetching is enabled

    what = url.partition("?")[0]
    try:
        async with client.stream("GET", url, headers=headers, timeout=config.timeout_seconds) as response:
            if response.status_code == 404 and allow_missing:
                return None
            if response.status_code != 200:
                raise FetchError(f"{what}: the FHIR server answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > config.max_response_bytes:
                    raise FetchError(f"{what}: the response is larger than {config.max_response_bytes} bytes")
    except httpx.HTTPError as error:
        raise FetchError(f"{what}: {type(error).__name__}") from None
    try:
        data = json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise FetchError(f"{what}: the FHIR server's answer is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise FetchError(f"{what}: the FHIR server's answer is not a FHIR resource")
    return data


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            url: str = link["url"]
            return url
    return None
