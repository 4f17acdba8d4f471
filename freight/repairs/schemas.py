"""Repair Request wire models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from freight.advance.schemas import AdvanceReplacementOut
from freight.repairs.rules import RRStatus
from freight.schemas import (
    AddressIn,
    AddressOut,
    CountryCode,
    FreightTermsOut,
    MoneyIn,
    MoneyOut,
    Strict,
    request_rules_schema,
)
from freight.text import (
    AwareDateTime,
    Day,
    Email,
    Free2000,
    Free2000Required,
    Free4000,
    Line100,
    Line200,
    Line500,
    Opt40,
    Opt50,
    Opt100,
    Opt200,
    SerialText,
)

Serial = SerialText


class CustomerIn(Strict):
    name: Line200
    email: Email
    phone: Opt50 | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return value.lower()


class ProofOfPurchaseIn(Strict):
    document_type: Literal["invoice", "packing_slip", "web_order"]
    reference: Line200
    reseller: Opt200 | None = None
    purchase_date: Day | None = None
    price: MoneyIn | None = None
    payment_reference: Annotated[
        str | None,
        StringConstraints(
            strip_whitespace=True,
            min_length=1,
            max_length=200,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$",
        ),
    ] = Field(default=None, description="Web store orders: the payment to refund (e.g. pi_…)")

    @field_validator("price")
    @classmethod
    def _price(cls, value: MoneyIn | None) -> MoneyIn | None:
        if value is not None and value.amount < 0:
            raise ValueError("price must not be negative")
        return value


class RepairRequestIn(Strict):
    model_config = ConfigDict(json_schema_extra=request_rules_schema())

    kind: Literal["repair", "credit_return"] = "repair"
    serial_number: Serial
    part_number: Line100
    product_description: Line500
    customer: CustomerIn
    return_address: AddressIn
    proof_of_purchase: ProofOfPurchaseIn
    insurance_requested: StrictBool = False
    declared_value: MoneyIn | None = None
    special_requirements: Free2000 = ""
    customer_received_at: AwareDateTime | None = Field(
        default=None, description="Credit returns: when the customer received the product"
    )

    @field_validator("declared_value")
    @classmethod
    def _declared(cls, value: MoneyIn | None) -> MoneyIn | None:
        if value is not None and value.amount < 0:
            raise ValueError("declared value must not be negative")
        return value

    @model_validator(mode="after")
    def _insurance_needs_value(self) -> RepairRequestIn:
        if self.insurance_requested and (
            self.declared_value is None or self.declared_value.amount <= 0
        ):
            raise ValueError("declared_value: insurance requested needs a positive declared value")
        return self


class ReplacementIn(Strict):
    serial_number: Serial
    condition: Literal["new", "reconditioned"]
    note: Free2000 = ""


class ReplacementOut(BaseModel):
    serial_number: str
    replaces: str
    condition: Literal["new", "reconditioned"]
    note: str
    ends_on: date | None = Field(description="Inherited from the replaced unit (P-REPLACE)")
    at: datetime
    by: str


class AgreementOut(BaseModel):
    policy_version: str
    policy_sha256: str
    agreed_at: datetime
    client_address: str
    user_agent: str


class CreditRefundOut(BaseModel):
    status: Literal["pending", "refunded", "failed"]
    price: MoneyOut
    restocking_fee: MoneyOut
    refund: MoneyOut
    fee_rate: str
    payment_reference: str
    refunded_at: datetime | None
    failure_reason: str | None = None


class StatusChangeIn(Strict):
    status: RRStatus
    note: Free2000 = ""


class CorrectionIn(Strict):
    note: Free2000Required = Field(description="Why the receipt decision changes (kept in history)")


class ReceiptIn(Strict):
    rr_marked_on_carton: StrictBool
    freight_collect: StrictBool
    visible_damage: StrictBool
    serial_number_seen: Opt100 | None
    third_party_equipment: StrictBool = False
    out_of_warranty: StrictBool = False
    original_packaging: StrictBool | None = None
    warranty_override: Literal["in_warranty", "out_of_warranty"] | None = Field(
        default=None,
        description="Overrides the warranty registry's finding (P-WARRANTY); needs a note",
    )
    warranty_override_note: Free2000 = ""
    notes: Free4000 = ""
    carrier: Opt40 | None = None
    tracking_number: Opt100 | None = None


class FreightTermsIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"direction": {"const": "inbound"},
                                "purpose": {"enum": ["customer_inbound", None]}}},
                {"properties": {"direction": {"const": "outbound"},
                                "purpose": {"enum": ["repair_return", "return_to_sender", None]}}},
            ]
        }
    )  # fmt: skip

    direction: Literal["inbound", "outbound"]
    country: CountryCode
    kind: Literal["repair", "credit_return"] = "repair"
    purpose: Literal["repair_return", "return_to_sender", "customer_inbound"] | None = None


class DecisionOut(BaseModel):
    rule: str
    code: str
    reason: str


class HistoryOut(BaseModel):
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    rule: str | None
    note: str


class CustomerOut(BaseModel):
    name: str
    email: str
    phone: str | None


class ReceiptOut(BaseModel):
    id: int
    accepted: StrictBool
    received_at: datetime
    reasons: list[DecisionOut]
    notes: str


class RepairRequestOut(BaseModel):
    rr_number: str
    kind: str
    serial_number: str
    part_number: str
    product_description: str
    customer: CustomerOut
    return_address: AddressOut
    proof_of_purchase: dict[str, Any]
    insurance_requested: StrictBool
    declared_value: MoneyOut | None
    special_requirements: str
    status: str
    issued_at: datetime
    inbound_deadline: datetime
    first_carrier_scan_at: datetime | None
    received_at: datetime | None
    repair_due: date | None
    freight_terms: FreightTermsOut
    source: Literal["staff", "online"] = "staff"
    submission_id: str | None = None
    policy_version: str | None = None
    agreed_at: datetime | None = None
    agreement: AgreementOut | None = None
    replacement: ReplacementOut | None = None
    credit_refund: CreditRefundOut | None = None
    allowed_moves: list[str] = Field(
        default=[], description="Statuses staff may move it to now (POST …/status)"
    )
    receipt_correction: str | None = Field(
        default=None,
        description="Where a receipt correction would move it (POST …/receipt-correction)",
    )
    history: list[HistoryOut] = []
    receipts: list[ReceiptOut] = []
    shipments: list[dict[str, Any]] = []
    quotes: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    advance_replacement: AdvanceReplacementOut | None = None  # issue 17 §2


class RepairRequestPage(BaseModel):
    items: list[RepairRequestOut]
    next_cursor: str | None
