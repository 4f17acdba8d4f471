"""Text input rules every endpoint keeps (SPEC §10): no NUL or other control characters
(tab and newline are allowed in free text), reported with the field's path."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

from freight.errors import FieldError, ValidationFailedError

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FREE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps \t \n \r


def _line(value: str) -> str:
    if _ANY_CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _free(value: str) -> str:
    if _FREE_CONTROL.search(value):
        raise ValueError("must not contain control characters (tab and newline are fine)")
    return value


_NoControl = AfterValidator(_line)
_FreeOk = AfterValidator(_free)

# One-line fields: stripped, bounded, no control characters.
Line40 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), _NoControl
]
Line100 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _NoControl
]
Line500 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _NoControl
]
# Free text: tab and newline allowed, other control characters not.
Free2000 = Annotated[str, StringConstraints(max_length=2000), _FreeOk]
Free2000Required = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), _FreeOk
]
Free4000Required = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), _FreeOk
]

SerialText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
    ),
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
