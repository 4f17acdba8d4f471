"""Issue 11 §2 in Chromium: the staff console's label button names the file by its format."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Server
from tests.e2e.test_finance_columns import _labeled_vendor_paid
from tests.e2e.test_pages import PASSWORD, _sign_in


def test_staff_downloads_the_label_with_its_extension(server: Server, page: Any) -> None:
    rr, shipment = _labeled_vendor_paid(server)
    server.user("lena@example.com", "Lena Label", "staff", PASSWORD)
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "lena@example.com")
    page.wait_for_url("**/staff")
    page.wait_for_selector(f"a[data-rr='{rr}']")
    page.click(f"a[data-rr='{rr}']")
    button = page.locator(f"button[data-label='{shipment['id']}']")
    button.wait_for()
    assert button.inner_text() == "Label PDF"  # FREIGHT_LABEL_FORMAT defaults to PDF_4x6
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == f"{shipment['id']}.pdf"
    with open(download.value.path(), "rb") as f:
        assert f.read(4) == b"%PDF"
