"""A 4x6 inch ZPL II label (203 dpi) for label_file_type ZPLII: plain text from ^XA to ^XZ."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carriers.sandbox.pdf import _lines, reference_lines


def _field(text: str) -> str:
    """ZPL field data cannot hold ^ or ~ (command prefixes)."""
    return text.replace("^", " ").replace("~", " ")


def render_zpl(
    *,
    address_from: Mapping[str, Any],
    address_to: Mapping[str, Any],
    provider: str,
    service: str,
    tracking_number: str,
    weight: str,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """The same label as render_label, as ZPL commands a thermal printer prints directly."""
    out = ["^XA", "^CI28", "^PW812", "^LL1218"]
    out.append(f"^FO30,30^A0N,40,40^FD{_field(provider.upper())}^FS")
    out.append(f"^FO400,40^A0N,24,24^FD{_field(f'{service} - {weight}')}^FS")
    y = 90
    out.append(f"^FO30,{y}^A0N,22,22^FDFROM:^FS")
    for line in _lines(address_from):
        y += 26
        out.append(f"^FO50,{y}^A0N,22,22^FD{_field(line)}^FS")
    y += 40
    out.append(f"^FO20,{y}^GB772,3,3^FS")
    y += 20
    out.append(f"^FO30,{y}^A0N,30,30^FDSHIP TO:^FS")
    for line in _lines(address_to):
        y += 36
        out.append(f"^FO60,{y}^A0N,32,32^FD{_field(line)}^FS")
    for line in reference_lines(extra or {}):
        y += 30
        out.append(f"^FO30,{y}^A0N,24,24^FD{_field(line)}^FS")
    out.append(f"^FO60,900^BY3^BCN,160,N,N,N^FD{_field(tracking_number)}^FS")
    out.append(f"^FO60,1090^A0N,30,30^FD{_field(tracking_number)}^FS")
    out.append("^XZ")
    return ("\n".join(out) + "\n").encode()
