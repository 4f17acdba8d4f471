"""ASGI entry point for uvicorn/gunicorn: `freight.asgi:app`."""

import gc

from freight.app import create_app

app = create_app()
# Everything built at start-up lives as long as the process: keep it out of the collector's full
# passes, which otherwise walk it all (~50 ms here) and stall every request in flight.
gc.freeze()
