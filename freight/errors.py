"""Errors carry their HTTP status; one handler in app.py turns them into problem+json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class AppError(Exception):
    detail: str
    status: int = 400
    title: str = "Bad request"
    type: str = "about:blank"
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


class NotFoundError(AppError):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, 404, "Not found", _t("not-found"), [], extra)


class ConflictError(AppError):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, 409, "Conflict", _t("conflict"), [], extra)


class ValidationFailedError(AppError):
    def __init__(self, detail: str, errors: list[FieldError], **extra: Any) -> None:
        super().__init__(detail, 422, "Unprocessable content", _t("validation"), errors, extra)


class UnauthorizedError(AppError):
    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, 401, "Unauthorized", _t("unauthorized"))


class ForbiddenError(AppError):
    def __init__(self, detail: str) -> None:
        super().__init__(detail, 403, "Forbidden", _t("forbidden"))


class PaymentRequiredError(AppError):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, 402, "Payment declined", _t("payment-declined"), [], extra)


class BadGatewayError(AppError):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, 502, "Carrier error", _t("carrier-error"), [], extra)


class TooManyRequestsError(AppError):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, 429, "Too many requests", _t("rate-limited"), [], {})
        self.retry_after = retry_after


def _t(slug: str) -> str:
    return f"https://rr-freight.example/problems/{slug}"


def invalid(field_name: str, message: str) -> ValidationFailedError:
    """A 422 naming one field."""
    return ValidationFailedError(f"{field_name}: {message}", [FieldError(field_name, message)])
