"""The same adapter against the sandbox served standalone on a real 127.0.0.1 socket."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import requests

from carriers import build_carrier
from carriers.config import CarrierConfig
from carriers.sandbox.server import make
from carriers.shippo.adapter import ShippoCarrier
from tests.contract.conftest import FAST, rate_request


@pytest.fixture
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    server = make("127.0.0.1", 0, CarrierConfig(sandbox_db_path=str(db)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_full_flow_over_http(base_url: str) -> None:
    carrier = build_carrier(replace(FAST, base_url=base_url))
    assert isinstance(carrier, ShippoCarrier)
    rate = carrier.rate(rate_request("shipment:http"))[0]
    label = carrier.buy_label(rate, metadata="shipment:http")
    assert label.label_url.startswith(base_url)
    assert carrier.get_label_file(label).startswith(b"%PDF")
    requests.post(
        f"{base_url}/sandbox/tracks/{label.tracking_number}/advance", json={"steps": 9}, timeout=5
    )
    assert carrier.get_tracking(label.carrier, label.tracking_number).status == "DELIVERED"
    assert carrier.get_tracking("shippo", "SHIPPO_TRANSIT").status == "TRANSIT"


def test_lost_answer_over_http_is_resolved_without_a_second_label(base_url: str) -> None:
    carrier = build_carrier(replace(FAST, base_url=base_url, timeout_seconds=0.3))
    rate = carrier.rate(rate_request("shipment:http-lost"))[0]
    requests.post(
        f"{base_url}/sandbox/faults",
        timeout=5,
        json={"faults": "transactions@post:1.0:lost_response:0.6"},
    )
    label = carrier.buy_label(rate, metadata="shipment:http-lost")
    summary = requests.get(f"{base_url}/sandbox/labels", timeout=5).json()
    assert summary["by_metadata"] == {"shipment:http-lost": 1}
    assert summary["results"][0]["object_id"] == label.transaction_id


def test_in_process_sandboxes_share_objects_between_processes(tmp_path: Path) -> None:
    """The API process rates; a separate worker process buys that rate through the same file."""
    config = replace(FAST, sandbox_db_path=str(tmp_path / "shared.db"))
    api = build_carrier(config)
    rate = api.rate(rate_request("shipment:shared"))[0]
    script = (
        "import sys, json, dataclasses; from decimal import Decimal;"
        "from carriers import build_carrier, CarrierConfig, Rate; from freight.money import Money;"
        "cfg = CarrierConfig(**json.loads(sys.argv[1])); r = json.loads(sys.argv[2]);"
        "rate = Rate(**{**r, 'amount': Money.of(r['amount'])});"
        "print(build_carrier(cfg).buy_label(rate, metadata='shipment:shared').transaction_id)"
    )
    payload = {**asdict(rate), "amount": str(rate.amount.amount), "created_at": None}
    worker = subprocess.run(
        [sys.executable, "-c", script, json.dumps(asdict(config)), json.dumps(payload)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    transaction_id = worker.stdout.strip().splitlines()[-1]
    found = api.find_label([rate.rate_id])
    assert found is not None
    assert found.transaction_id == transaction_id
