"""Reading an uploaded CSV: multipart field `file`, or the raw body (text/csv)."""

from __future__ import annotations

from fastapi import Request

from freight.errors import invalid


async def csv_text(request: Request, *, what: str) -> str:
    """The CSV as text (UTF-8, a BOM allowed), or a 422 naming `file`."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise invalid("file", f"attach the {what} CSV as the multipart field 'file'")
        raw = await upload.read()
    else:
        raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid("file", f"the {what} must be UTF-8 text") from exc
