"""Message and query types of the national node (registered through jumin.jukinet.routing).

Handled here (kind "national"): IDENTITY_UPDATE from prefectures, CARD_EVENT from CSs, and the
queries QUERY_IDENTITY, QUERY_VERIFY_CARD, QUERY_CARD_ISSUE, QUERY_RESIDENT_CODES,
QUERY_INDIVIDUAL_NUMBER and QUERY_CONSISTENCY. Sent from here: IDENTITY_UPDATE_REJECTED.
The validators are the shared ones in jumin.jukinet.common (docs/jukinet-national.md).
"""

from __future__ import annotations

from jumin.jukinet import routing
from jumin.jukinet.common import catalogue, consistency, queries
from jumin.jukinet.common.notice import validate_notice_payload
from jumin.jukinet.common.sending_address import validate_result_payload, validate_sending_address_payload
from jumin.jukinet.national.services import cards, identity, numbers, sending_addresses
from jumin.jukinet.national.services import consistency as consistency_services
from jumin.jukinet.national.services import queries as query_services
from jumin.messaging import housekeeping

KIND = "national"

routing.message(
    catalogue.IDENTITY_UPDATE,
    validate=validate_notice_payload,
    kind=KIND,
    apply=identity.apply_identity_update,
)
routing.message(catalogue.IDENTITY_UPDATE_REJECTED, validate=queries.validate_rejection)
routing.message(
    catalogue.CARD_EVENT, validate=queries.validate_card_event, kind=KIND, apply=cards.apply_card_event
)
routing.message(
    catalogue.SENDING_ADDRESS,
    validate=validate_sending_address_payload,
    kind=KIND,
    apply=sending_addresses.apply_sending_address,
)
routing.message(catalogue.SENDING_ADDRESS_RESULT, validate=validate_result_payload)
routing.query(
    catalogue.QUERY_IDENTITY,
    validate=queries.validate_identity_query,
    validate_answer=queries.validate_identity_answer,
    kind=KIND,
    answer=query_services.answer_identity_query,
)
routing.query(
    catalogue.QUERY_VERIFY_CARD,
    validate=queries.validate_verify_card,
    validate_answer=queries.validate_verify_card_answer,
    kind=KIND,
    answer=cards.verify_card,
)
routing.query(
    catalogue.QUERY_CARD_ISSUE,
    validate=queries.validate_card_issue,
    validate_answer=queries.validate_card_issue_answer,
    kind=KIND,
    answer=cards.issue_card,
)
routing.query(
    catalogue.QUERY_RESIDENT_CODES,
    validate=queries.validate_resident_codes,
    validate_answer=queries.validate_resident_codes_answer,
    kind=KIND,
    answer=numbers.answer_resident_codes,
)
routing.query(
    catalogue.QUERY_INDIVIDUAL_NUMBER,
    validate=queries.validate_individual_number_query,
    validate_answer=queries.validate_individual_number_answer,
    kind=KIND,
    answer=numbers.answer_individual_number,
)
routing.query(
    catalogue.QUERY_CONSISTENCY,
    validate=consistency.validate_consistency_payload,
    validate_answer=consistency.validate_consistency_answer,
    kind=KIND,
    answer=consistency_services.answer_consistency,
)

# Daily, by the node itself: cards past their validity expire; 150-year-old history goes.
housekeeping.register("national.expire_cards", cards.expire_cards, kind=KIND)
housekeeping.register("national.purge_expired_identity", identity.purge_expired_identity, kind=KIND)
