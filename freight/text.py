"""Text input rules every endpoint keeps (SPEC §10): no NUL or other control characters
(tab and newline are allowed in free text), reported with the field's path."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from starlette.requests import Request

from freight.errors import FieldError, ValidationFailedError
from freight.limits import check_year

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FREE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps \t \n \r


# Schema patterns (ECMA and Python alike) saying what the validators below enforce, so the OpenAPI
# document is exactly as strict as the API: no control characters; a required field has a character
# other than white space (the value is stripped before its length is checked).
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
LINE_REQUIRED_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
FREE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
FREE_REQUIRED_PATTERN = (
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
)


def _raw(max_length: int, *, free: bool) -> BeforeValidator:
    """Checks on the value as sent (before stripping): control characters and length."""
    pattern = _FREE_CONTROL if free else _ANY_CONTROL

    def check(value: Any) -> Any:
        if isinstance(value, str):
            if pattern.search(value):
                raise ValueError(
                    "must not contain control characters"
                    + (" (tab and newline are fine)" if free else "")
                )
            if len(value) > max_length:
                raise ValueError(f"must be at most {max_length} characters")
        return value

    return BeforeValidator(check)


class WithPattern:
    """Adds `pattern` to a string's JSON schema (the check itself is `_raw`'s)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema: dict[str, Any] = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


# One-line fields: no control characters, stripped, 1..N characters.
Line20 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20),
    _raw(20, free=False),
    WithPattern(LINE_REQUIRED_PATTERN),
]
Line40 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    _raw(40, free=False),
    WithPattern(LINE_REQUIRED_PATTERN),
]
Line50 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    _raw(50, free=False),
    WithPattern(LINE_REQUIRED_PATTERN),
]
Line100 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    _raw(100, free=False),
    WithPattern(LINE_REQUIRED_PATTERN),
]
Line200 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    _raw(200, free=False),
    WithPattern(LINE_REQUIRED_PATTERN),
]
Line320 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=320),
    _raw(320, free=False),
    WithPattern(LINE_REQUIRED_PATTERN),
]
Line500 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    _raw(500, free=False),
    WithPattern(LINE_REQUIRED_PATTERN),
]
# One-line fields that may be left empty.
Opt20 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=20),
    _raw(20, free=False),
    WithPattern(LINE_PATTERN),
]
Opt40 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=40),
    _raw(40, free=False),
    WithPattern(LINE_PATTERN),
]
Opt50 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=50),
    _raw(50, free=False),
    WithPattern(LINE_PATTERN),
]
Opt100 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=100),
    _raw(100, free=False),
    WithPattern(LINE_PATTERN),
]
Opt200 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    _raw(200, free=False),
    WithPattern(LINE_PATTERN),
]
Opt300 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=300),
    _raw(300, free=False),
    WithPattern(LINE_PATTERN),
]
Opt320 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320),
    _raw(320, free=False),
    WithPattern(LINE_PATTERN),
]
# Free text: tab and newline allowed, other control characters not.
Free2000 = Annotated[
    str, StringConstraints(max_length=2000), _raw(2000, free=True), WithPattern(FREE_PATTERN)
]
Free4000 = Annotated[
    str, StringConstraints(max_length=4000), _raw(4000, free=True), WithPattern(FREE_PATTERN)
]
Free2000Required = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    _raw(2000, free=True),
    WithPattern(FREE_REQUIRED_PATTERN),
]
Free4000Required = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    _raw(4000, free=True),
    WithPattern(FREE_REQUIRED_PATTERN),
]

_EMAIL_CHAR = r"[^@\s\x00-\x1f\x7f]"
EMAIL_PATTERN = rf"^\s*{_EMAIL_CHAR}+@{_EMAIL_CHAR}+\.{_EMAIL_CHAR}+\s*$"
# An email address (stripped; compared case-insensitively by its users).
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=EMAIL_PATTERN),
    _raw(320, free=False),
    WithPattern(EMAIL_PATTERN.replace(r"\s*", " *")),
]

# Spaces around a serial are stripped, so the pattern admits them.
SERIAL_PATTERN = r"^ *[A-Za-z0-9][A-Za-z0-9._/-]* *$"
SerialText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=100,
        pattern=SERIAL_PATTERN,
    ),
    _raw(100, free=False),
]


def control_fields(data: Any, *, free: Iterable[str] = (), path: str = "") -> list[str]:
    """The dotted paths of strings in `data` holding control characters (`free` paths may
    hold tab and newline)."""
    allowed = set(free)
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found += control_fields(value, free=allowed, path=f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += control_fields(value, free=allowed, path=f"{path}[{i}]")
    elif isinstance(data, str):
        pattern = _FREE_CONTROL if _generic(path) in allowed else _ANY_CONTROL
        if pattern.search(data):
            found.append(path)
    return found


def _generic(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def refuse_control_characters(data: Any, *, free: Iterable[str] = ()) -> None:
    """422 naming every field of `data` (a model dump) that holds a control character."""
    fields = control_fields(data, free=free)
    if fields:
        errors = [FieldError(f, "must not contain control characters") for f in fields]
        raise ValidationFailedError(
            "Control characters are not allowed: " + ", ".join(fields), errors
        )


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone")
    return value


def _iso_text(value: Any) -> Any:
    # JSON has no date type: a number would otherwise be read as a Unix time.
    if not isinstance(value, str | date):
        raise ValueError("must be an ISO-8601 string")
    return value


# Years 1900–2200 written out for the OpenAPI document (the format says the rest).
YEAR_PATTERN = r"^(19[0-9][0-9]|2[01][0-9][0-9]|2200)-"
# A date-time with its offset, 1900–2200; a calendar date, 1900–2200.
AwareDateTime = Annotated[
    datetime,
    AfterValidator(_aware),
    AfterValidator(check_year),
    BeforeValidator(_iso_text),
    WithPattern(YEAR_PATTERN),
]
Day = Annotated[
    date, AfterValidator(check_year), BeforeValidator(_iso_text), WithPattern(YEAR_PATTERN)
]


async def refuse_control_in_url(request: Request) -> None:
    """An app-wide dependency: a control character in any path or query value is a 422 naming
    the parameter, before any query runs (PostgreSQL refuses NUL in text)."""
    fields = [
        name
        for name, value in request.path_params.items()
        if isinstance(value, str) and _ANY_CONTROL.search(value)
    ]
    fields += [
        name
        for name, value in request.query_params.multi_items()
        if _ANY_CONTROL.search(value) or _ANY_CONTROL.search(name)
    ]
    if fields:
        errors = [FieldError(f, "must not contain control characters") for f in fields]
        raise ValidationFailedError(
            "Control characters are not allowed: " + ", ".join(fields), errors
        )
