"""`freight serve`: migrate, then run the API (and, on the embedded default, worker + beat)."""

from __future__ import annotations

import logging

import uvicorn

from freight.migrate import upgrade
from freight.settings import get_settings

log = logging.getLogger("freight.serve")


def serve(*, host: str, port: int, demo: bool, workers: int) -> int:
    """Run the service until interrupted."""
    settings = get_settings()
    upgrade(settings)
    if demo:
        from freight.demo import load_demo

        load_demo(settings)
    log.info("serve.start host=%s port=%s db=%s", host, port, settings.db_url.split("@")[-1])
    uvicorn.run("freight.asgi:app", host=host, port=port, workers=workers, log_level="info")
    return 0
