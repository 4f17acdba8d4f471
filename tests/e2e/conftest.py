"""A real `freight serve` in a subprocess, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CI

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    data_dir: Path
    env: dict[str, str]

    def freight(self, *args: str, stdin: str | None = None) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "freight.cli", *args],
            env=self.env, input=stdin, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return out.stdout

    def user(self, email: str, name: str, role: str, password: str) -> None:
        """An account made the way an admin makes one (`freight users create`)."""
        self.freight(
            "users", "create", "--email", email, "--name", name, "--role", role,
            "--password-stdin", stdin=password + "\n",
        )  # fmt: skip


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    env["FREIGHT_DATA_DIR"] = str(data)
    env.update(getattr(request.module, "SERVER_ENV", {}))  # a test module's own settings
    log = (data / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "freight.cli", "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("freight serve did not start:\n" + (data / "serve.log").read_text()[-3000:])
        yield Server(url=url, data_dir=data, env=env)
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if CI:
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        yield b
        b.close()


# Every Content-Security-Policy violation the page's own document sees, written to the console
# where the `page` fixture collects it (Chromium also logs "Refused to …" errors itself).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


@dataclass
class Watched:
    """What a browser test's page did that no page of ours may do."""

    csp_violations: list[str]
    foreign_requests: list[str]


@pytest.fixture
def watched() -> Watched:
    return Watched([], [])


@pytest.fixture
def page(browser: Any, watched: Watched) -> Iterator[Any]:
    """A fresh page; the test fails if any page it opened broke the CSP or asked another host
    for anything (those requests are refused: the test runs as if offline)."""
    context = browser.new_context()
    context.add_init_script(_CSP_LISTENER)

    def local_only(route: Any) -> None:
        if route.request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            route.continue_()
        else:
            watched.foreign_requests.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    p = context.new_page()

    def on_console(message: Any) -> None:
        text = message.text
        if message.type == "error" and (
            "CSP violation" in text or "Content Security Policy" in text
        ):
            watched.csp_violations.append(text)

    p.on("console", on_console)
    yield p
    context.close()
    assert watched.csp_violations == [], "the pages broke their Content-Security-Policy"
    assert watched.foreign_requests == [], "a page asked another host for something"
