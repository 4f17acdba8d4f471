"""ASGI entry point for uvicorn/gunicorn: `freight.asgi:app`."""

from freight.app import create_app

app = create_app()
