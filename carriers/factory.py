"""Choose the carrier: real Shippo with a key, else the sandbox (in process or over HTTP)."""

from __future__ import annotations

from carriers.config import CarrierConfig
from carriers.limits import CallGate
from carriers.port import CarrierPort
from carriers.sandbox.app import SandboxApp
from carriers.sandbox.server import build_app
from carriers.sandbox.transport import IN_PROCESS_BASE_URL, WsgiTransport
from carriers.shippo.adapter import ShippoCarrier, build_session

SANDBOX_API_KEY = "shippo_test_sandbox"


def build_carrier(config: CarrierConfig, gate: CallGate | None = None) -> CarrierPort:
    """The CarrierPort for a config (see the module docstring for the choice)."""
    if config.api_key:
        return ShippoCarrier(config, api_key=config.api_key, server_url=config.base_url, gate=gate)
    if config.base_url:
        return ShippoCarrier(config, api_key=SANDBOX_API_KEY, server_url=config.base_url, gate=gate)
    return in_process_carrier(config, gate=gate)


def in_process_carrier(
    config: CarrierConfig, app: SandboxApp | None = None, *, gate: CallGate | None = None
) -> ShippoCarrier:
    """The Shippo adapter wired to a sandbox app through its session: no socket."""
    session = build_session(
        config, api_key=SANDBOX_API_KEY, server_url=IN_PROCESS_BASE_URL, gate=gate
    )
    app = app or build_app(config)
    session.mount(f"{IN_PROCESS_BASE_URL}/", WsgiTransport(app))
    # In process the adapter shares the sandbox's clock (tests move it; rates age with it).
    return ShippoCarrier(
        config, api_key=SANDBOX_API_KEY, server_url=IN_PROCESS_BASE_URL, session=session,
        now=app.ctx.now,
    )  # fmt: skip
