"""What the national node handles (every type is registered by jumin.jukinet.routing).

Handled here (kind "national"): IDENTITY_UPDATE and FUHYO_UPDATE (附票全国サーバ) from prefectures,
CARD_EVENT, SENDING_ADDRESS and TOKEN_REQUEST from CSs, KIOSK_MARK from registries (証明書交付センター),
and the queries QUERY_IDENTITY, QUERY_FUHYO
(附票全国サーバ), QUERY_VERIFY_CARD, QUERY_CARD_ISSUE,
QUERY_SIGNING_CERTIFICATE, QUERY_CERTIFICATE_REVOCATION, QUERY_REVOCATION_LIST,
QUERY_CERTIFICATE_SERIAL, QUERY_RESIDENT_CODES,
QUERY_INDIVIDUAL_NUMBER, QUERY_RENEWAL_TARGETS, QUERY_CONSISTENCY and QUERY_CONSISTENCY_DIGEST.
Sent from here:
IDENTITY_UPDATE_REJECTED, SENDING_ADDRESS_RESULT and TOKEN_RECEIPT (docs/jukinet-national.md), and the
centre's QUERY_KIOSK_COPY to the registering municipality (docs/jukinet.md, "コンビニ交付").
"""

from __future__ import annotations

from jumin.jukinet import routing
from jumin.jukinet.common import catalogue
from jumin.jukinet.national.services import (
    card_serials,
    cards,
    e_application_service,
    fuhyo,
    fuhyo_queries,
    identity,
    kiosk_centre,
    kiosk_tallies,
    numbers,
    renewal_targets,
    revocation_requests,
    sending_addresses,
    shared_cs,
    signing_reissue,
    tokens,
)
from jumin.jukinet.national.services import consistency as consistency_services
from jumin.jukinet.national.services import queries as query_services
from jumin.messaging import housekeeping

KIND = "national"

routing.handle(
    catalogue.IDENTITY_UPDATE,
    kind=KIND,
    apply=identity.apply_identity_update,
    apply_many=identity.apply_identity_updates,
)
routing.handle(catalogue.FUHYO_UPDATE, kind=KIND, apply=fuhyo.apply_fuhyo_update)
routing.handle(catalogue.CARD_EVENT, kind=KIND, apply=cards.apply_card_event)
routing.handle(catalogue.SENDING_ADDRESS, kind=KIND, apply=sending_addresses.apply_sending_address)
routing.handle(catalogue.TOKEN_REQUEST, kind=KIND, apply=tokens.apply_token_request)
routing.handle(catalogue.KIOSK_MARK, kind=KIND, apply=kiosk_centre.apply_kiosk_mark)
routing.handle(catalogue.MOVE_IN_PLAN, kind=KIND, apply=e_application_service.relay_move_in_plan)
routing.handle(catalogue.SHARED_CS_MEMBERS, kind=KIND, apply=shared_cs.apply_member_list)
routing.answer(catalogue.QUERY_IDENTITY, kind=KIND, answer=query_services.answer_identity_query)
routing.answer(catalogue.QUERY_FUHYO, kind=KIND, answer=fuhyo_queries.answer_fuhyo_query)
routing.answer(catalogue.QUERY_VERIFY_CARD, kind=KIND, answer=cards.verify_card)
routing.answer(catalogue.QUERY_CARD_ISSUE, kind=KIND, answer=cards.issue_card)
routing.answer(
    catalogue.QUERY_CERTIFICATE_REVOCATION, kind=KIND, answer=revocation_requests.answer_revocation_request
)
routing.answer(catalogue.QUERY_REVOCATION_LIST, kind=KIND, answer=revocation_requests.answer_revocation_list)
routing.answer(
    catalogue.QUERY_SIGNING_CERTIFICATE, kind=KIND, answer=signing_reissue.answer_signing_certificate
)
routing.answer(catalogue.QUERY_CERTIFICATE_SERIAL, kind=KIND, answer=card_serials.answer_certificate_serial)
routing.answer(catalogue.QUERY_RESIDENT_CODES, kind=KIND, answer=numbers.answer_resident_codes)
routing.answer(catalogue.QUERY_INDIVIDUAL_NUMBER, kind=KIND, answer=numbers.answer_individual_number)
routing.answer(catalogue.QUERY_RENEWAL_TARGETS, kind=KIND, answer=renewal_targets.answer_renewal_targets)
routing.answer(catalogue.QUERY_CONSISTENCY, kind=KIND, answer=consistency_services.answer_consistency)
routing.answer(
    catalogue.QUERY_CONSISTENCY_DIGEST, kind=KIND, answer=consistency_services.answer_consistency_digest
)

# Daily, by the node itself: cards past their validity expire; 150-year-old history goes; printed and
# refused 送付先情報 go after 1 business day (C-73); used card nonces go after twice the signature window;
# a 送付先情報 still waiting for its 本人確認情報 after 24 hours is refused.
housekeeping.register("national.expire_cards", cards.expire_cards, kind=KIND)
housekeeping.register("national.purge_expired_identity", identity.purge_expired_identity, kind=KIND)
housekeeping.register("national.purge_expired_fuhyo", fuhyo.purge_expired_fuhyo, kind=KIND)
housekeeping.register(
    "national.purge_sending_addresses", sending_addresses.purge_sending_addresses, kind=KIND
)
housekeeping.register("national.purge_used_nonces", cards.purge_used_nonces, kind=KIND)
# The 証明書交付センター's 日計表 (yesterday) and, on the 1st, 月計表 to each municipality (system.md M7 4).
housekeeping.register("national.kiosk_tallies", kiosk_tallies.send_due_tallies, kind=KIND)
housekeeping.register(
    "national.refuse_stale_sending_addresses", sending_addresses.refuse_stale_waiting, kind=KIND
)
