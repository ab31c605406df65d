"""Errors a caller can act on; the API maps each kind to one HTTP status in one place."""

from __future__ import annotations

from typing import Any


class NexoraError(Exception):
    """Base of user-facing errors: the message is the `detail` the caller sees; `extensions`
    are extra members of the problem document (RFC 9457), such as a scanner's findings."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidInput(NexoraError):
    status_code = 422
    title = "Invalid input"


class Unauthorized(NexoraError):
    status_code = 401
    title = "Unauthorized"


class Forbidden(NexoraError):
    status_code = 403
    title = "Forbidden"


class NotFound(NexoraError):
    status_code = 404
    title = "Not found"


class Conflict(NexoraError):
    status_code = 409
    title = "Conflict"


class ContentTooLarge(NexoraError):
    status_code = 413
    title = "Content too large"


class UnsupportedMediaType(NexoraError):
    status_code = 415
    title = "Unsupported media type"


class TooManyRequests(NexoraError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(NexoraError):
    status_code = 503
    title = "Service unavailable"


class ModelNotConfigured(ServiceUnavailable):
    """No usable model: the detail tells the user how to configure one."""

    title = "No model configured"


class UpstreamFailed(NexoraError):
    """A service Nexora called on the caller's behalf (a document parser, a document
    platform) refused, failed or did not answer in time; the detail says which and why."""

    status_code = 502
    title = "Bad gateway"
