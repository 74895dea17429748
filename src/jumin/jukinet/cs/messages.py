"""Message and query types the 住基ネット 市町村CS handles (registered through jumin.jukinet.routing).

The CS sends IDENTITY_UPDATE and CARD_EVENT and asks the queries (registered without a handler here;
the prefecture and national apps register the answering side with the same validators), and it
handles IDENTITY_UPDATE_REJECTED coming back from the prefecture.
"""

from __future__ import annotations

from jumin.jukinet import routing
from jumin.jukinet.common import catalogue, consistency, queries
from jumin.jukinet.common.notice import validate_notice_payload
from jumin.jukinet.common.sending_address import validate_result_payload, validate_sending_address_payload
from jumin.jukinet.cs import handlers, sending_addresses
from jumin.messaging import housekeeping

routing.message(catalogue.IDENTITY_UPDATE, validate=validate_notice_payload)
routing.message(catalogue.SENDING_ADDRESS, validate=validate_sending_address_payload)
routing.message(
    catalogue.SENDING_ADDRESS_RESULT,
    validate=validate_result_payload,
    kind="municipality",
    apply=sending_addresses.apply_result,
)
routing.message(catalogue.CARD_EVENT, validate=queries.validate_card_event)
routing.message(
    catalogue.IDENTITY_UPDATE_REJECTED,
    validate=queries.validate_rejection,
    kind="municipality",
    apply=handlers.apply_rejection,
)

_QUERIES = (
    (catalogue.QUERY_IDENTITY, queries.validate_identity_query, queries.validate_identity_answer),
    (catalogue.QUERY_VERIFY_CARD, queries.validate_verify_card, queries.validate_verify_card_answer),
    (catalogue.QUERY_CARD_ISSUE, queries.validate_card_issue, queries.validate_card_issue_answer),
    (catalogue.QUERY_RESIDENT_CODES, queries.validate_resident_codes, queries.validate_resident_codes_answer),
    (
        catalogue.QUERY_INDIVIDUAL_NUMBER,
        queries.validate_individual_number_query,
        queries.validate_individual_number_answer,
    ),
    (
        catalogue.QUERY_CONSISTENCY,
        consistency.validate_consistency_payload,
        consistency.validate_consistency_answer,
    ),
)
for _name, _validate, _validate_answer in _QUERIES:
    routing.query(_name, validate=_validate, validate_answer=_validate_answer)

# 送付先情報 is deleted one business day after linkage by the node itself, daily (F15 step 6).
housekeeping.register(
    "cs.purge_sending_addresses", sending_addresses.purge_sending_addresses, kind="municipality"
)
