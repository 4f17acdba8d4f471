"""ASGI entry point for uvicorn/gunicorn: `freight.asgi:app`."""

import gc

from freight.app import create_app
from freight.settings import settings_or_exit

app = create_app(settings_or_exit())
# Everything built at start-up lives as long as the process: keep it out of the collector's full
# passes, which otherwise walk it all (~50 ms here) and stall every request in flight.
gc.freeze()
