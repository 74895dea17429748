"""What the 住基ネット 市町村CS handles (every type is registered by jumin.jukinet.routing).

The CS sends IDENTITY_UPDATE, CARD_EVENT and SENDING_ADDRESS and asks the queries; it handles
IDENTITY_UPDATE_REJECTED coming back from the prefecture and SENDING_ADDRESS_RESULT from the national node.
"""

from __future__ import annotations

from jumin.jukinet import routing
from jumin.jukinet.common import catalogue
from jumin.jukinet.cs import handlers, sending_addresses
from jumin.messaging import housekeeping

KIND = "municipality"

routing.handle(catalogue.SENDING_ADDRESS_RESULT, kind=KIND, apply=sending_addresses.apply_result)
routing.handle(catalogue.IDENTITY_UPDATE_REJECTED, kind=KIND, apply=handlers.apply_rejection)

# 送付先情報 is deleted one business day after linkage by the node itself, daily (F15 step 6).
housekeeping.register("cs.purge_sending_addresses", sending_addresses.purge_sending_addresses, kind=KIND)
