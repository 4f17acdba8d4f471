from pathlib import Path

import pytest

from freight.settings import Settings
from tests.integration.shipments.flow import flow  # noqa: F401 - fixture re-export


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The integration settings with a list price for the test part number."""
    return Settings(
        database_url=db_url, data_dir=tmp_path / "data", env="test",
        replacement_prices={"MAX-1000": "249.00 USD"},
    )  # fmt: skip
