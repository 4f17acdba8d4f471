"""Every table, imported in one place for Alembic and create_all."""

from freight.advance.models import AdvanceReplacement
from freight.audit.models import AuditEntry
from freight.auth.models import ApiToken, User, UserSession
from freight.claims.models import Claim
from freight.closeout.models import Manifest, ManifestLabel, Pickup
from freight.credits.models import CreditRefund
from freight.db import Base
from freight.finance.models import CarrierInvoiceLine
from freight.jobs.models import Job
from freight.quotes.models import Payment, Quote
from freight.read_versions import RRReadVersion
from freight.repairs.models import Receipt, RepairRequest, RRHistory
from freight.shipments.models import Shipment, TrackingEvent
from freight.submissions.models import (
    RRSubmission,
    SubmissionDocument,
    SubmissionMessage,
    SubmissionUnit,
)
from freight.warranty.models import WarrantyUnit
from freight.webhooks.models import WebhookEvent

__all__ = [
    "ApiToken", "AuditEntry", "Base", "CarrierInvoiceLine", "Claim", "CreditRefund", "Job",
    "Payment", "Quote", "RRHistory", "RRSubmission", "Receipt", "RepairRequest", "Shipment",
    "SubmissionDocument", "SubmissionMessage", "SubmissionUnit", "TrackingEvent", "User",
    "UserSession", "WarrantyUnit", "WebhookEvent",
]  # fmt: skip
__all__ += ["Manifest", "ManifestLabel", "Pickup"]  # end of day (issue 17 §3)
__all__ += ["AdvanceReplacement"]  # advance replacement (issue 17 §2)
__all__ += ["RRReadVersion"]  # the read model kept current on write (issue 13 §1)
