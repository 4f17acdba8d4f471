"""Online-request wire models (SPEC §8)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from freight.repairs.schemas import CustomerIn, CustomerOut, ProofOfPurchaseIn
from freight.schemas import AddressIn, AddressOut, MoneyIn, MoneyOut, Strict, request_rules_schema
from freight.text import (
    AwareDateTime,
    Free2000,
    Free2000Required,
    Free4000Required,
    Line40,
    Line100,
    Line500,
    SerialText,
)

Status = Literal["submitted", "info_requested", "approved", "declined"]
Kind = Literal["repair", "credit_return"]
WarrantyStatus = Literal["in_warranty", "out_of_warranty", "unknown"]


class UnitIn(Strict):
    serial_number: SerialText
    part_number: Line100
    product_description: Line500 | None = None
    fault_description: Free4000Required


class SubmissionIn(Strict):
    model_config = ConfigDict(json_schema_extra=request_rules_schema())

    policy_version: Line40 = Field(
        description="GET /api/v1/policy → version", json_schema_extra={"x-policy-version": True}
    )
    agreed: StrictBool = Field(
        description="Must be true: the customer accepts the policy",
        json_schema_extra={"const": True},
    )
    kind: Kind = "repair"
    customer: CustomerIn
    return_address: AddressIn
    units: list[UnitIn] = Field(min_length=1, max_length=20, description="One RR per serial")
    proof_of_purchase: ProofOfPurchaseIn
    insurance_requested: StrictBool = False
    declared_value: MoneyIn | None = Field(
        default=None, description="Per unit; needed when insurance is requested (P-INSURE)"
    )
    special_requirements: Free2000 = ""
    customer_received_at: AwareDateTime | None = Field(
        default=None, description="Credit returns: when you received the product (P-CREDIT)"
    )


class MessageIn(Strict):
    message: Free4000Required


class ApproveIn(Strict):
    note: Free2000 = ""
    proof_confirmed: StrictBool = Field(
        default=False,
        description="Staff checked the proof of purchase (required when the request is flagged)",
    )


class DeclineIn(Strict):
    reason: Free2000Required


class WarrantyBrief(BaseModel):
    status: WarrantyStatus
    ends_on: date | None
    replaced_by: str | None = None
    replaces: str | None = None


class OpenRRBrief(BaseModel):
    rr_number: str
    status: str


class UnitOut(BaseModel):
    index: int
    serial_number: str
    part_number: str
    product_description: str
    fault_description: str
    warranty: WarrantyBrief
    rr_number: str | None = None
    carton_label_url: str | None = None
    tracking_token: str | None = Field(
        default=None, description="Customer view: a token for /track/{rr} (24 h)"
    )
    open_repair_request: OpenRRBrief | None = Field(
        default=None, description="Staff view: another open RR holding this serial"
    )
    other_open_request: str | None = Field(
        default=None, description="Staff view: another open request holding this serial"
    )


class MessageOut(BaseModel):
    at: datetime
    author: Literal["customer", "staff"]
    kind: str
    text: str


class DocumentOut(BaseModel):
    id: str
    filename: str
    media_type: Literal["application/pdf", "image/jpeg", "image/png"]
    size: int
    sha256: str
    uploaded_at: datetime
    url: str


class FlagOut(BaseModel):
    code: str
    rule: str
    message: str
    blocks_approval: StrictBool


class AgreementOut(BaseModel):
    policy_version: str
    policy_sha256: str
    agreed_at: datetime
    client_address: str | None = None
    user_agent: str | None = None


class SubmissionOut(BaseModel):
    id: str
    status: Status
    kind: Kind
    created_at: datetime
    updated_at: datetime
    customer: CustomerOut
    return_address: AddressOut
    proof_of_purchase: dict[str, object]
    insurance_requested: StrictBool
    declared_value: MoneyOut | None
    special_requirements: str
    customer_received_at: datetime | None
    agreement: AgreementOut
    units: list[UnitOut]
    messages: list[MessageOut]
    documents: list[DocumentOut]
    actions: list[str] = Field(description="Moves the request allows now")
    flags: list[FlagOut] = Field(default_factory=list, description="Staff view")
    proof_confirmed_by: str | None = None
    reviewed_by: str | None = None
    decline_reason: str | None = None


class SubmissionCreatedOut(SubmissionOut):
    token: str = Field(description="Bearer token for this request only (Authorization: Bearer)")
    token_expires_at: datetime
    status_page: str


class SubmissionPage(BaseModel):
    items: list[SubmissionOut]
    next_cursor: str | None
