"""/docs (Swagger UI) and /redoc, from assets the app serves itself (freight/pages/static/vendor):
they work offline and under the pages' Content-Security-Policy (Swagger UI is started by a static
file, not FastAPI's inline script)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse

from freight.pages.api import templates

VENDOR = "/static/vendor"


def docs_routes(app: FastAPI) -> None:
    """Add /docs and /redoc (create the app with docs_url=None, redoc_url=None)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def swagger_ui(request: Request) -> HTMLResponse:
        context = {"title": f"{app.title} · API", "openapi_url": openapi_url}
        return templates.TemplateResponse(request, "docs.html", context)

    @app.get("/redoc", include_in_schema=False, response_class=HTMLResponse)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} · API",
            redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
