"""The requests.Session handed to the SDK: it puts a timeout on every call (the SDK sets none)."""

from __future__ import annotations

import json
import threading
from typing import Any

import requests


class TimeoutSession(requests.Session):
    """A Session whose every request carries a timeout, remembering each thread's last answer."""

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__()
        self.timeout_seconds = timeout_seconds
        self._last = threading.local()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send with the default timeout when the caller (the SDK) gave none."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_seconds
        self._last.response = None
        response = super().send(request, **kwargs)
        self._last.response = response
        return response

    def last_json(self) -> dict[str, Any] | None:
        """This thread's last 2xx JSON object answer, for when the SDK cannot decode it."""
        response = getattr(self._last, "response", None)
        if response is None or not 200 <= response.status_code < 300:
            return None
        try:
            decoded = json.loads(response.content)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None
