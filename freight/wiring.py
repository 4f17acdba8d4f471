"""The composition: what each feature contributes to the others, named once, here.

Nothing registers itself at import time. A name that does not resolve fails the import of this
module, which the app and the worker import at start-up.

- RR_SECTIONS: the sections of the staff RR answer other features fill.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from freight.advance.views import advance_section
from freight.claims.views import claims_section
from freight.quotes.views import quotes_section
from freight.repairs.views import SectionLoader
from freight.tracking.views import shipments_section

RR_SECTIONS: Mapping[str, SectionLoader] = MappingProxyType(
    {
        "shipments": shipments_section,  # inbound and outbound, oldest first
        "quotes": quotes_section,
        "claims": claims_section,
        "advance_replacement": advance_section,
    }
)
