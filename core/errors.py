"""Domain errors raised by services; each door maps them to its own answer in one place."""

from __future__ import annotations


class ConfigError(RuntimeError):
    """The environment does not allow the app to start."""


class VistaFlowError(Exception):
    """Base of every error a service may raise on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Invalid(VistaFlowError):
    """Input that breaks a rule; `fields` names each bad field."""

    code = "validation_error"
    status = 422


class Malformed(VistaFlowError):
    """A request that cannot even be read safely (e.g. JSON nested too deeply to parse)."""

    code = "malformed_request"
    status = 400


class NotFound(VistaFlowError):
    """Missing, or not visible to the actor (the two are indistinguishable on purpose)."""

    code = "not_found"
    status = 404


class Unauthorized(VistaFlowError):
    """No valid credentials."""

    code = "unauthorized"
    status = 401


class Forbidden(VistaFlowError):
    """The actor is known but lacks the role for this action."""

    code = "forbidden"
    status = 403


class Conflict(VistaFlowError):
    """The request clashes with the current state (duplicate, wrong transition...)."""

    code = "conflict"
    status = 409


class QuotaExceeded(Conflict):
    """A daily quota would be exceeded."""

    code = "quota_exceeded"


class TooManyRequests(VistaFlowError):
    """Throttled; retry after `retry_after` seconds."""

    code = "too_many_requests"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class Unavailable(VistaFlowError):
    """A dependency (Redis, a platform) cannot take the request right now."""

    code = "unavailable"
    status = 503
