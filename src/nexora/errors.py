"""Errors a caller can act on; the API maps each kind to one HTTP status in one place."""

from __future__ import annotations


class NexoraError(Exception):
    """Base of user-facing errors: the message is the `detail` the caller sees."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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
