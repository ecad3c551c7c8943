"""Fetching prefetch data the CDS client did not send, from its FHIR server (off by default).

Used only when enabled in the configuration, for a request that carries
``fhirServer`` and ``fhirAuthorization``, and only against a FHIR base URL
the configuration allows: the service never calls a server named by a
request alone. Search results are followed page by page (``next`` links on
the same server only), up to the configured numbers of pages and resources;
a paginated prefetch (a client's first page with a ``next`` link) is
completed the same way.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lmtx.server.config import FhirFetchConfig

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchError", "allowed", "available", "fetch", "follow", "missing_results", "new_client", "next_link"]


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
            JSON, sent a ``next`` link to another server, or the pages go
            beyond the configured limits or hold fewer results than the
            search's ``total``.
    """
    url = f"{server.rstrip('/')}/{query}"
    what = query.partition("?")[0]
    first = await _get(client, config, url, _headers(token), allow_missing="?" not in query)
    if first is None or first.get("resourceType") != "Bundle":
        return first
    return await follow(client, config, server, token, first, what=what)


async def follow(
    client: httpx.AsyncClient,
    config: FhirFetchConfig,
    server: str,
    token: str,
    first: Mapping[str, Any],
    *,
    what: str,
) -> dict[str, Any]:
    """A search-set Bundle with every page after ``first`` fetched: the whole search result.

    This is how a paginated prefetch is completed (CDS Hooks 2.0 lets a client
    send only the first page): each ``next`` link is followed on ``server``
    with the client's bearer token, within the configured limits on pages,
    resources and response size.

    Args:
        client: The HTTP client to use.
        config: The fetch configuration (limits).
        server: The FHIR base URL (already allowed); every ``next`` link must lie under it.
        token: The bearer access token from ``fhirAuthorization``.
        first: The first page (a Bundle), as fetched or as prefetched by the client.
        what: What the search is, for messages (``Observation``, ``prefetch observations``).

    Returns:
        A search-set Bundle holding every page's entries.

    Raises:
        FetchError: A page could not be had, a ``next`` link points to another
            server, there are more than ``max_pages`` pages or ``max_resources``
            entries, or the pages hold fewer results than the search's ``total``.
    """
    base = server.rstrip("/")
    headers = _headers(token)
    entries = _entries(first, what)
    page, pages = first, 1
    while (next_url := next_link(page, base)) is not None:
        if pages >= config.max_pages:
            raise FetchError(f"{what}: more than {config.max_pages} pages of results")
        if not (next_url == base or next_url.startswith((base + "/", base + "?"))):
            raise FetchError(f"{what}: a next link points to another server")
        page = await _get(client, config, next_url, headers, allow_missing=False) or {}
        if page.get("resourceType") != "Bundle":
            raise FetchError(f"{what}: a next page is not a Bundle")
        entries += _entries(page, what)
        pages += 1
        if len(entries) > config.max_resources:
            raise FetchError(f"{what}: more than {config.max_resources} resources")
    shortfall = missing_results({"total": first.get("total"), "entry": entries})
    if shortfall is not None:
        total, held = shortfall
        raise FetchError(f"{what}: the search has {total} results and its pages hold {held}")
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def next_link(bundle: Mapping[str, Any], base: str | None = None) -> str | None:
    """The URL of a Bundle's ``next`` link, or ``None`` when it is the last (or only) page.

    Args:
        bundle: A Bundle as parsed JSON.
        base: The FHIR base URL a relative link is resolved against (absolute links are kept).

    Returns:
        The next page's URL.
    """
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            url: str = link["url"]
            if base is not None and not url.startswith(("http://", "https://")):
                url = f"{base.rstrip('/')}/{url.lstrip('/')}"
            return url
    return None


def missing_results(bundle: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(total, held)`` when a search-set Bundle holds fewer matches than its ``total`` says, else ``None``.

    Entries the search included (``search.mode`` ``include`` or ``outcome``) are not matches.

    Args:
        bundle: A Bundle as parsed JSON (every page's entries, when it was paginated).

    Returns:
        The search's total and the number of matches held, when some are missing.
    """
    total = bundle.get("total")
    if not isinstance(total, int) or isinstance(total, bool):
        return None
    entries = bundle.get("entry")
    held = sum(1 for e in (entries if isinstance(entries, list) else []) if not _included(e))
    return (total, held) if held < total else None


def _included(entry: Any) -> bool:
    search = entry.get("search") if isinstance(entry, dict) else None
    return isinstance(search, dict) and search.get("mode") in ("include", "outcome")


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}


def _entries(page: Mapping[str, Any], what: str) -> list[Any]:
    entries = page.get("entry", [])
    if not isinstance(entries, list):
        raise FetchError(f"{what}: a page's Bundle.entry is not a list")
    return list(entries)


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
