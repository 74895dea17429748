"""What the 住基ネット 市町村CS handles (every type is registered by jumin.jukinet.routing).

The CS sends IDENTITY_UPDATE, CARD_EVENT and SENDING_ADDRESS and asks the queries; it handles
IDENTITY_UPDATE_REJECTED coming back from the prefecture, SENDING_ADDRESS_RESULT, TOKEN_RECEIPT and
CARD_STATUS_NOTICE from the national node.
Between two CS (特例転入, Flow 7) it both sends and handles MOVE_OUT_CERTIFICATE, its 送信依頼 and the
refusal of one, MOVE_IN_NOTICE and FUHYO_ENTRY_NOTICE (the 戸籍附票記載事項通知 to the 本籍地).
"""

from __future__ import annotations

from jumin.jukinet import routing
from jumin.jukinet.common import catalogue
from jumin.jukinet.cs import (
    card_sync,
    fuhyo_notices,
    handlers,
    restriction_marks,
    sending_addresses,
    shared_cs,
    special_move_in,
    special_move_out,
    token_requests,
    wide_area,
    wide_area_retention,
)
from jumin.messaging import housekeeping

KIND = "municipality"

# Card status changes the national card system made itself, kept for the registry (std 7.1.1.3-a).
routing.handle(catalogue.CARD_STATUS_NOTICE, kind=KIND, apply=shared_cs.routed(card_sync.apply_status_notice))
routing.handle(
    catalogue.SENDING_ADDRESS_RESULT, kind=KIND, apply=shared_cs.routed(sending_addresses.apply_result)
)
routing.handle(
    catalogue.IDENTITY_UPDATE_REJECTED, kind=KIND, apply=shared_cs.routed(handlers.apply_rejection)
)
# The national node's receipt of a 符号取得要求 (std 7.1.2.2-a): its 処理通番 or a refusal.
routing.handle(catalogue.TOKEN_RECEIPT, kind=KIND, apply=shared_cs.routed(token_requests.apply_receipt))
# 特例転入 (F02): the 転入地 side holds certificates and reads refusals of its 送信依頼 ...
routing.handle(
    catalogue.MOVE_OUT_CERTIFICATE, kind=KIND, apply=shared_cs.routed(special_move_in.apply_certificate)
)
routing.handle(
    catalogue.MOVE_OUT_CERTIFICATE_REFUSED, kind=KIND, apply=shared_cs.routed(special_move_in.apply_refused)
)
# ... the 転出地 side answers 送信依頼 and keeps 転入通知 for the registry's 転出確定.
routing.handle(
    catalogue.MOVE_OUT_CERTIFICATE_REQUEST, kind=KIND, apply=shared_cs.routed(special_move_out.apply_request)
)
routing.handle(
    catalogue.MOVE_IN_NOTICE, kind=KIND, apply=shared_cs.routed(special_move_out.apply_move_in_notice)
)
# 戸籍附票記載事項通知 (住基法19条, Flow 13): kept as the 本籍地 for its 戸籍附票 system.
routing.handle(
    catalogue.FUHYO_ENTRY_NOTICE, kind=KIND, apply=shared_cs.routed(fuhyo_notices.apply_fuhyo_notice)
)
# 広域交付 (F11b): the answer's audit entry names the persons (their 提供状況, issue 8 item 7); a person
# under an issuance 抑止 or 支援措置 is refused at the CS before the registry is asked (std 3.1-g).
routing.concerning(catalogue.QUERY_WIDE_AREA_COPY, kind=KIND, persons=wide_area.wide_area_persons)
routing.guard(catalogue.QUERY_WIDE_AREA_COPY, kind=KIND, check=restriction_marks.refuse_marked_wide_area)
# A shared CS (共同利用, std 7.1.1.1-b) routes every telegram it receives to one member first: each
# ``apply`` above is wrapped by ``shared_cs.routed``, and the 広域交付 query is guarded the same way.
routing.guard(catalogue.QUERY_WIDE_AREA_COPY, kind=KIND, check=shared_cs.route_query)

# 送付先情報 is deleted one business day after linkage by the node itself, daily (F15 step 6).
housekeeping.register("cs.purge_sending_addresses", sending_addresses.purge_sending_addresses, kind=KIND)
# Held 転出証明書情報 is erased 30 days after the 転出予定年月日 when no 特例転入 used it (F02 timer).
housekeeping.register("cs.erase_unused_certificates", special_move_in.erase_unused, kind=KIND)
# 広域交付 records past the municipality's 交付履歴 retention are deleted daily (controls.md §13).
housekeeping.register(
    "cs.purge_wide_area_issuances", wide_area_retention.purge_expired_wide_area_issuances, kind=KIND
)
