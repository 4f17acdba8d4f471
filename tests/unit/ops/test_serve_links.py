"""`freight serve --port N`: links in email point at port N unless FREIGHT_PUBLIC_BASE_URL says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from freight import serve
from freight.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FREIGHT_PUBLIC_BASE_URL", "unset")  # restored after the test, whatever
    monkeypatch.delenv("FREIGHT_PUBLIC_BASE_URL")  # serve writes to os.environ
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_links_follow_the_port_serve_listens_on() -> None:
    serve._public_base_url_here("0.0.0.0", 8123)  # noqa: S104 - the bind under test
    assert get_settings().public_base_url == "http://127.0.0.1:8123"


def test_a_set_public_base_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREIGHT_PUBLIC_BASE_URL", "https://rr.example.com")
    get_settings.cache_clear()
    serve._public_base_url_here("127.0.0.1", 8123)
    assert get_settings().public_base_url == "https://rr.example.com"
