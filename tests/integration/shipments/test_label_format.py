"""FREIGHT_LABEL_FORMAT (issue 11 §2): labels bought as ZPL II print on a thermal printer."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from freight.settings import Settings
from tests.integration.shipments.flow import API, Flow


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url, data_dir=tmp_path / "data", env="test", label_format="ZPLII"
    )


def test_a_zpl_label_downloads_as_zpl_with_the_tracking_number(flow: Flow) -> None:
    rr = flow.ready_rr()
    shipment = flow.outbound(rr)
    flow.drain()
    done = flow.shipment(shipment["id"])
    assert done["state"] == "labeled"
    assert done["label"]["format"] == "ZPLII"
    label = flow.client.get(f"{API}/shipments/{shipment['id']}/label", headers=flow.staff)
    assert label.status_code == 200
    assert label.headers["content-type"] == "application/zpl"
    assert f'filename="label-{shipment["id"]}.zpl"' in label.headers["content-disposition"]
    text = label.text
    assert text.startswith("^XA")
    assert text.rstrip().endswith("^XZ")
    assert done["tracking_number"] in text
    assert "410 East Plumeria Drive" in text  # the depot it ships from


def test_an_unknown_label_format_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="label_format"):
        Settings(data_dir=tmp_path, env="test", label_format="ZPL")
