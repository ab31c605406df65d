"""Every error leaves as `application/problem+json` (RFC 9457), mapped here and only here."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nexora.auth.policy import Access, policy_for
from nexora.errors import NexoraError, TooManyRequests
from nexora.governance.audit import RequestContext

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field(err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    if first.get("type") == "json_invalid":
        detail = f"malformed JSON body: {first['message']}"
    else:
        detail = f"{first['field']}: {first['message']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
    return problem(422, detail, title="Invalid input", errors=errors)


def _audit_denial(request: Request, exc: NexoraError) -> None:
    """Refusals are audited, except on public routes (login failures are audited there)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if path is not None and policy_for(request.method, path) is Access.PUBLIC:
        return
    platform = getattr(request.app.state, "platform", None)
    if platform is None:
        return
    actor = getattr(request.state, "actor", None)
    platform.audit.record(
        "access.denied",
        actor=actor,
        resource_type="route",
        resource_id=f"{request.method} {path or request.url.path}",
        status="denied",
        request=RequestContext(
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        ),
        detail={"status": exc.status_code, "reason": exc.detail},
    )


async def _nexora_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NexoraError)
    if exc.status_code in (401, 403):
        _audit_denial(request, exc)
    headers = None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return problem(exc.status_code, exc.detail, title=exc.title, headers=headers, **exc.extensions)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    return problem(exc.status_code, detail, headers=dict(exc.headers) if exc.headers else None)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "internal error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(NexoraError, _nexora_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
