"""axe-core (vendored) over the customer, finance and staff pages: 0 serious or critical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.test_pages import PASSWORD, _open_rr, _sign_in, _staff_token

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _serious(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_customer_and_finance_pages_have_no_serious_violations(
    server: Server, browser: Any
) -> None:
    token = _staff_token(server)
    rr = _open_rr(server, token, "E2E-AXE-1")["rr_number"]
    looked = httpx.post(f"{server.url}/api/v1/track/lookup",
                        json={"rr_number": rr, "email": "ada@example.com"})  # fmt: skip
    assert looked.status_code == 200, looked.text
    context = browser.new_context(bypass_csp=True)  # only so the test can inject axe
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}
    try:
        page.goto(server.url + "/track")
        page.evaluate(
            "([rr, t]) => sessionStorage.setItem('rrf.customer.' + rr, t)",
            [rr, looked.json()["token"]],
        )
        page.goto(f"{server.url}/track/{rr}")
        page.wait_for_selector("#summary:not([hidden])")
        page.screenshot(path=str(SHOTS / "customer-issued.png"), full_page=True)
        found["customer"] = _serious(page)
        server.user("fiona@example.com", "Fiona Books", "finance", PASSWORD)
        page.goto(server.url + "/login")
        _sign_in(page, "fiona@example.com")
        page.wait_for_url("**/finance")
        page.wait_for_selector("#chart-summary:not(:empty)")
        page.screenshot(path=str(SHOTS / "finance.png"), full_page=True)
        found["finance"] = _serious(page)
        page.click("#sign-out")
        page.wait_for_url("**/login")
        server.user("axel@example.com", "Axel Desk", "staff", PASSWORD)
        _sign_in(page, "axel@example.com")
        page.wait_for_url("**/staff")
        page.wait_for_selector(f"a[data-rr='{rr}']")
        page.click(f"a[data-rr='{rr}']")
        page.wait_for_selector("#detail:not([hidden])")
        page.screenshot(path=str(SHOTS / "staff.png"), full_page=True)
        found["staff"] = _serious(page)
    finally:
        context.close()
    assert found == {"customer": [], "finance": [], "staff": []}
