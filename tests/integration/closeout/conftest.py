from tests.integration.shipments.flow import flow  # noqa: F401 - fixture re-export
