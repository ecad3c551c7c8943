"""The Starlette application: routes, request limits, authentication and JSON errors.

Routes (CDS Hooks 2.0):

- ``GET  /cds-services``: discovery.
- ``POST /cds-services/{id}``: a hook call; answers ``{"cards": [...]}``.
- ``POST /cds-services/{id}/feedback``: feedback, appended to the SQLite log.
- ``GET  /lmtx/knowledge-base``: what the cards' source link shows (public).

Every refusal is a 4xx with a JSON body ``{"error": code, "message": ...,
"problems"?: [...]}``; no traceback ever reaches a client. Bodies larger than
the configured limit get 413 without being read further.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import lmtx
from lmtx import fhir
from lmtx.server import fetch
from lmtx.server.auth import AuthError, JwtVerifier
from lmtx.server.cards import build_cards
from lmtx.server.config import ConfigError, ServerConfig, load_config
from lmtx.server.feedback import FeedbackStore
from lmtx.server.hooks import (
    PREFETCH,
    SERVICES,
    RequestError,
    Service,
    check_feedback,
    check_request,
    discovery,
    parse_json,
    render_template,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["create_app"]

log = logging.getLogger("lmtx.server")

_HTTP_ERRORS = {404: "not-found", 405: "method-not-allowed", 400: "bad-request"}


def create_app(config: ServerConfig | Mapping[str, Any] | str | Path | None = None) -> Starlette:
    """Build the CDS Hooks service as an ASGI application.

    Args:
        config: A :class:`~lmtx.server.config.ServerConfig`, a mapping of its
            keys, the path of a TOML/JSON configuration file, or ``None`` for
            the defaults.

    Returns:
        The application (serve it with any ASGI server, e.g. uvicorn).

    Raises:
        ConfigError: The configuration, or a JWK Set file it names, is invalid.
    """
    settings = load_config(config)
    service = _Service(settings)
    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )
    return Starlette(
        routes=[
            Route("/cds-services", service.discovery, methods=["GET"]),
            Route("/cds-services/{service_id}", service.call, methods=["POST"]),
            Route("/cds-services/{service_id}/feedback", service.feedback, methods=["POST"]),
            Route("/lmtx/knowledge-base", service.knowledge_base, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers={
            RequestError: _request_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=service.lifespan,
    )


class _Service:
    """The handlers, with the state they share: configuration, feedback log, verifier, HTTP client."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.verifier = JwtVerifier(config.auth) if config.auth.enabled else None
        self.feedback_store = FeedbackStore(config.feedback_db)
        if config.fhir_fetch.enabled and not fetch.available():
            raise ConfigError("fhir_fetch.enabled needs httpx: pip install httpx")
        self.client: httpx.AsyncClient | None = None

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if not self.config.fhir_fetch.enabled:
            yield
            return
        async with fetch.new_client() as client:
            self.client = client
            yield
        self.client = None

    # -- shared steps --

    def _base(self, request: Request) -> str:
        return self.config.base_url or str(request.base_url).rstrip("/")

    def _authenticate(self, request: Request, audiences: Sequence[str]) -> None:
        if self.verifier is None:
            return
        try:
            self.verifier.verify(request.headers.get("authorization"), audiences)
        except AuthError as error:
            raise RequestError(401, "unauthorized", str(error)) from None

    @staticmethod
    def _service(request: Request) -> Service:
        service = SERVICES.get(request.path_params["service_id"])
        if service is None:
            known = ", ".join(SERVICES)
            raise RequestError(404, "unknown-service", f"no CDS service with this id; the services are {known}")
        return service

    async def _json_body(self, request: Request) -> Any:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise RequestError(415, "unsupported-media-type", "send the body as application/json")
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise RequestError(400, "bad-request", "Content-Length is not a number")
            if int(declared) > limit:
                raise RequestError(413, "payload-too-large", f"the body is larger than {limit} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise RequestError(413, "payload-too-large", f"the body is larger than {limit} bytes")
        return parse_json(bytes(body))

    # -- handlers --

    async def discovery(self, request: Request) -> Response:
        self._authenticate(request, [f"{self._base(request)}/cds-services"])
        return JSONResponse(discovery())

    async def knowledge_base(self, request: Request) -> Response:
        kb = lmtx.knowledge_base()
        return JSONResponse(
            {
                "id": kb.id,
                "version": kb.version,
                "digest": kb.digest,
                "document": kb.document,
                "rules": [
                    {"id": r.id, "description": r.description, "statements": list(r.statements)} for r in kb.rules
                ],
                "statements": [{"id": s.id, "gist": s.gist, "references": list(s.references)} for s in kb.statements],
                # The packs the service turns on (docs/safety-pack.md): each caution's rules and sources.
                "packs": [lmtx.safety_pack().to_dict()] if self.config.safety_pack else [],
            }
        )

    async def feedback(self, request: Request) -> Response:
        service = self._service(request)
        url = f"{self._base(request)}/cds-services/{service.id}"
        self._authenticate(request, [f"{url}/feedback", url])
        items = check_feedback(await self._json_body(request))
        stored = await run_in_threadpool(self.feedback_store.append, service.id, items)
        return JSONResponse({"stored": stored})

    async def call(self, request: Request) -> Response:
        service = self._service(request)
        base = self._base(request)
        self._authenticate(request, [f"{base}/cds-services/{service.id}"])
        data = await self._json_body(request)
        check_request(service, data)
        context: dict[str, Any] = data["context"]
        resources = await self._gather(data, context)
        selected: list[Mapping[str, Any]] = []
        if service.hook == "order-select":
            orders = context["draftOrders"]
            resources.append(orders)
            chosen = set(context["selections"])
            selected = [
                e["resource"]
                for e in orders.get("entry", [])
                if isinstance(e, dict)
                and isinstance(e.get("resource"), dict)
                and f"{e['resource'].get('resourceType')}/{e['resource'].get('id')}" in chosen
            ]
        try:
            mapping = await run_in_threadpool(fhir.from_resources, resources, patient_id=context["patientId"])
        except fhir.BundleError as error:
            raise RequestError(422, "invalid-fhir", str(error)) from None
        result = None
        if mapping.patient is not None:
            try:
                result = await run_in_threadpool(lmtx.evaluate, mapping.patient, None, self.config.policy)
            except lmtx.InvalidPatient as error:
                problems = [str(p) for p in error.problems]
                raise RequestError(422, "invalid-patient", "lmtx refused the record read from FHIR", problems) from None
        cards = build_cards(
            service=service,
            hook_instance=data["hookInstance"],
            patient_id=context["patientId"],
            result=result,
            mapping=mapping,
            source_url=self.config.source_url or f"{base}/lmtx/knowledge-base",
            selected_orders=selected,
        )
        return JSONResponse({"cards": cards})

    async def _gather(self, data: Mapping[str, Any], context: Mapping[str, Any]) -> list[Any]:
        """The whole record: the prefetch, with missing keys fetched and paginated ones completed.

        A prefetch key that is absent is fetched from the request's FHIR server;
        one sent as the first page of a search (a Bundle with a ``next`` link)
        is completed by following its links there. Either needs fetching to be
        enabled, the request's ``fhirServer`` with ``fhirAuthorization``, and
        that server on the allow-list; otherwise, or when a page cannot be had,
        the answer is 412: lmtx never evaluates part of a record as the whole.
        """
        prefetch: Mapping[str, Any] = data.get("prefetch") or {}
        missing = [key for key in PREFETCH if key not in prefetch]
        paged = [key for key in PREFETCH if key in prefetch and _is_paged(prefetch[key])]
        _refuse_short_pages(prefetch, paged)
        if not missing and not paged:
            return [prefetch[key] for key in PREFETCH]
        code = "prefetch-unavailable" if missing else "prefetch-incomplete"
        why = self._cannot_fetch(data)
        if why is not None:
            what = []
            if missing:
                what.append(f"prefetch {', '.join(missing)} missing")
            if paged:
                what.append(f"prefetch {', '.join(paged)} only the first page of a search (it has a next link)")
            raise RequestError(412, code, f"{'; '.join(what)}, and {why}")
        settings = self.config.fhir_fetch
        server, authorization = data.get("fhirServer"), data.get("fhirAuthorization")
        assert self.client is not None
        assert isinstance(server, str)
        assert isinstance(authorization, dict)
        token = authorization["access_token"]
        resources: list[Any] = []
        try:
            async with asyncio.timeout(settings.total_timeout_seconds):
                for key in PREFETCH:
                    if key in missing:
                        query = render_template(PREFETCH[key], context)
                        resources.append(await fetch.fetch(self.client, settings, server, token, query))
                    elif key in paged:
                        first = prefetch[key]
                        resources.append(
                            await fetch.follow(self.client, settings, server, token, first, what=f"prefetch {key}")
                        )
                    else:
                        resources.append(prefetch[key])
        except fetch.FetchError as error:
            raise RequestError(412, code, f"fetching the record: {error}") from None
        except TimeoutError:
            raise RequestError(
                412, code, f"fetching the record took longer than {settings.total_timeout_seconds:g} seconds"
            ) from None
        return resources

    def _cannot_fetch(self, data: Mapping[str, Any]) -> str | None:
        """Why the record cannot be fetched from the request's FHIR server, or ``None`` when it can."""
        server, authorization = data.get("fhirServer"), data.get("fhirAuthorization")
        if not self.config.fhir_fetch.enabled:
            return "this service does not fetch from FHIR servers"
        if not server or not authorization:
            return "the request carries no fhirServer with fhirAuthorization"
        if not fetch.allowed(self.config.fhir_fetch, server):
            return "fhirServer is not a FHIR server this service is allowed to call"
        return None


def _refuse_short_pages(prefetch: Mapping[str, Any], paged: Sequence[str]) -> None:
    """412 for a prefetched search that holds fewer results than its ``total`` and has no next page to fetch."""
    for key in PREFETCH:
        value = prefetch.get(key)
        if key in paged or not isinstance(value, dict) or value.get("resourceType") != "Bundle":
            continue
        shortfall = fetch.missing_results(value)
        if shortfall is not None:
            total, held = shortfall
            raise RequestError(
                412,
                "prefetch-incomplete",
                f"prefetch {key} holds {held} of its {total} search results and no next link",
            )


def _is_paged(value: Any) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "Bundle" and fetch.next_link(value) is not None


class _ErrorResponse(JSONResponse):
    """A JSON error body written in ASCII: whatever a message quotes from a request, it can be sent."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


async def _request_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestError)
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if error.status == 401 else None
    return _ErrorResponse(error.to_dict(), status_code=error.status, headers=headers)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = _HTTP_ERRORS.get(error.status_code, "http-error")
    return _ErrorResponse({"error": code, "message": str(error.detail)}, status_code=error.status_code)


async def _internal_error(request: Request, error: Exception) -> Response:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
    return _ErrorResponse({"error": "internal-error", "message": "lmtx failed; the error is logged"}, status_code=500)
