"""The sandbox payment provider opens its file while another process is still creating it
(the worker and an API process serving its first payment request start together): no
"database is locked" answered to a customer."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from freight.payments.sandbox import SandboxPayments


def test_a_second_process_opens_the_sandbox_while_the_first_is_creating_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sandbox-payments.db"
    # the first process has the brand-new file (not yet in WAL mode) locked for its schema …
    creator = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    creator.execute("BEGIN IMMEDIATE")
    creator.execute("CREATE TABLE IF NOT EXISTS warmup (x)")
    threading.Timer(0.5, creator.commit).start()  # … and is done half a second later
    opened = SandboxPayments(path)
    assert opened.webhook_secret
    assert opened.webhook_secret.startswith("whsec_sbx_")
    assert SandboxPayments(path).webhook_secret == opened.webhook_secret
    creator.close()
