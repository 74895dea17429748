"""Which validator checks each 住基ネット message and query: one table for every node kind.

Sender and receiver must read a payload the same way, so the pairing lives here once instead of in
each app's ``messages.py``; ``jumin.jukinet.routing`` registers every type from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jumin.jukinet.common import (
    catalogue,
    certificate_serial,
    consistency,
    e_application,
    fuhyo,
    fuhyo_notice,
    jpki_revocation,
    kiosk,
    kiosk_tally,
    move_in_plan,
    move_out_certificate,
    notice,
    queries,
    sending_address,
    shared_cs,
    signing_issue,
    token_request,
    wide_area,
)

Validator = Callable[[dict[str, Any]], None]

#: Ordered messages: type → payload validator.
MESSAGES: dict[str, Validator] = {
    catalogue.IDENTITY_UPDATE: notice.validate_notice_payload,
    catalogue.IDENTITY_UPDATE_REJECTED: queries.validate_rejection,
    catalogue.FUHYO_UPDATE: fuhyo.validate_fuhyo_payload,
    catalogue.CARD_EVENT: queries.validate_card_event,
    catalogue.CARD_STATUS_NOTICE: queries.validate_card_status_notice,
    catalogue.SENDING_ADDRESS: sending_address.validate_sending_address_payload,
    catalogue.SENDING_ADDRESS_RESULT: sending_address.validate_result_payload,
    catalogue.MOVE_OUT_CERTIFICATE: move_out_certificate.validate_certificate_payload,
    catalogue.MOVE_OUT_CERTIFICATE_REQUEST: move_out_certificate.validate_request_payload,
    catalogue.MOVE_OUT_CERTIFICATE_REFUSED: move_out_certificate.validate_refused_payload,
    catalogue.MOVE_IN_NOTICE: move_out_certificate.validate_move_in_notice_payload,
    catalogue.FUHYO_ENTRY_NOTICE: fuhyo_notice.validate_fuhyo_notice_payload,
    catalogue.TOKEN_REQUEST: token_request.validate_request_payload,
    catalogue.TOKEN_RECEIPT: token_request.validate_receipt_payload,
    catalogue.KIOSK_MARK: kiosk.validate_kiosk_mark,
    catalogue.KIOSK_TALLY: kiosk_tally.validate_tally,
    catalogue.MOVE_IN_PLAN: move_in_plan.validate_move_in_plan,
    catalogue.SHARED_CS_MEMBERS: shared_cs.validate_members_payload,
}

#: Synchronous queries: type → (question validator, answer validator).
QUERIES: dict[str, tuple[Validator, Validator]] = {
    catalogue.QUERY_IDENTITY: (queries.validate_identity_query, queries.validate_identity_answer),
    catalogue.QUERY_FUHYO: (queries.validate_fuhyo_query, queries.validate_fuhyo_answer),
    catalogue.QUERY_VERIFY_CARD: (queries.validate_verify_card, queries.validate_verify_card_answer),
    catalogue.QUERY_CARD_ISSUE: (queries.validate_card_issue, queries.validate_card_issue_answer),
    catalogue.QUERY_CERTIFICATE_REVOCATION: (
        jpki_revocation.validate_request,
        jpki_revocation.validate_request_answer,
    ),
    catalogue.QUERY_REVOCATION_LIST: (
        jpki_revocation.validate_list_request,
        jpki_revocation.validate_list_answer,
    ),
    catalogue.QUERY_SIGNING_CERTIFICATE: (
        signing_issue.validate_reissue,
        signing_issue.validate_reissue_answer,
    ),
    catalogue.QUERY_RESIDENT_CODES: (queries.validate_resident_codes, queries.validate_resident_codes_answer),
    catalogue.QUERY_INDIVIDUAL_NUMBER: (
        queries.validate_individual_number_query,
        queries.validate_individual_number_answer,
    ),
    catalogue.QUERY_CONSISTENCY: (
        consistency.validate_consistency_payload,
        consistency.validate_consistency_answer,
    ),
    catalogue.QUERY_CONSISTENCY_DIGEST: (
        consistency.validate_summary_payload,
        consistency.validate_summary_answer,
    ),
    catalogue.QUERY_FUHYO_CONSISTENCY: (
        consistency.validate_consistency_payload,
        consistency.validate_consistency_answer,
    ),
    catalogue.QUERY_WIDE_AREA_COPY: (
        wide_area.validate_wide_area_request,
        wide_area.validate_wide_area_answer,
    ),
    catalogue.QUERY_RENEWAL_TARGETS: (
        queries.validate_renewal_targets_query,
        queries.validate_renewal_targets_answer,
    ),
    catalogue.QUERY_CERTIFICATE_SERIAL: (
        certificate_serial.validate_question,
        certificate_serial.validate_answer,
    ),
    catalogue.QUERY_KIOSK_COPY: (kiosk.validate_kiosk_query, kiosk.validate_kiosk_answer),
    catalogue.QUERY_E_APPLICATION: (
        e_application.validate_application_query,
        e_application.validate_application_answer,
    ),
}
