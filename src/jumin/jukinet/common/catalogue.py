"""Names of every 住基ネット message and query type (docs/jukinet.md has the payloads and the flows).

Ordered messages travel through the transactional outbox (``jumin.messaging.services.enqueue``);
queries are synchronous, signed both ways (``jumin.messaging.services.query``).
"""

from __future__ import annotations

# Ordered messages -------------------------------------------------------------------------------
#: 本人確認情報 notice (records.md §4): CS → prefecture (住基法30条の6), prefecture → national (30条の7).
IDENTITY_UPDATE = "jukinet.identity_update"
#: A refused notice comes back to its sender with the reason (system.md F13 step 6).
IDENTITY_UPDATE_REJECTED = "jukinet.identity_update_rejected"
#: 附票本人確認情報 (records.md §3): the 本籍地 CS → 附票都道府県サーバ (住基法30条の41).
FUHYO_UPDATE = "jukinet.fuhyo_update"
#: Card events to 個人番号カード管理システム (system.md F16): CS → national.
CARD_EVENT = "jukinet.card_event"
#: 送付先情報 (records.md §5, system.md F15): CS → national (N4).
SENDING_ADDRESS = "jukinet.sending_address"
#: N4's answer to one 送付先情報: accepted (連携済) or refused with a code: national → CS.
SENDING_ADDRESS_RESULT = "jukinet.sending_address_result"
#: 転出証明書情報 (system.md F02, F03 step 3b): 転出地 CS → 転入予定地 CS, directly between the two CS.
MOVE_OUT_CERTIFICATE = "jukinet.move_out_certificate"
#: 転出証明書情報の送信依頼 (F02 step 3a): 転入地 CS → 転出地 CS; no 特定個人情報.
MOVE_OUT_CERTIFICATE_REQUEST = "jukinet.move_out_certificate_request"
#: The 転出地's answer to a 送信依頼 it cannot meet (unknown person, not 転出予定): 転出地 → 転入地.
MOVE_OUT_CERTIFICATE_REFUSED = "jukinet.move_out_certificate_refused"
#: 転入通知 (住基法9条1項, F01 step 6, F02 step 5): 転入地 CS → 転出地 CS; no 個人番号.
MOVE_IN_NOTICE = "jukinet.move_in_notice"
#: 戸籍附票記載事項通知 (住基法19条1項, Flow 13): 住所地 CS → 本籍地 CS; no 個人番号.
FUHYO_ENTRY_NOTICE = "jukinet.fuhyo_entry_notice"
#: A card status change made at 個人番号カード管理システム (有効期限切れ …): national → the issuing CS,
#: which hands it to the registry as a card event (std 7.1.1.3-a).
CARD_STATUS_NOTICE = "jukinet.card_status_notice"
#: 符号取得要求 (std 7.1.2.2-a, system.md F18a): CS → national; the 住民票コード, no 個人番号.
TOKEN_REQUEST = "jukinet.token_request"  # noqa: S105 (a message type: 符号 = token)
#: The national node's receipt of a 符号取得要求: its 処理通番, or a refusal: national → CS.
TOKEN_RECEIPT = "jukinet.token_receipt"  # noqa: S105 (a message type: 符号 = token)
#: An issuance 抑止 or 支援措置 set or lifted (std 3.1-g): the registry → the 証明書交付センター (national).
KIOSK_MARK = "jukinet.kiosk_mark"
#: The 証明書交付センター's 日計表 or 月計表 of one municipality (system.md M7 4): national → municipality.
KIOSK_TALLY = "jukinet.kiosk_tally"
#: 転入予定連絡 (引越しワンストップ): 転出元 municipality → national e-application service → 転入先.
MOVE_IN_PLAN = "jukinet.move_in_plan"
#: A shared CS's current member list (共同利用, Flow 14), on every change: CS → prefecture and national.
SHARED_CS_MEMBERS = "jukinet.shared_cs_members"

# Synchronous queries ----------------------------------------------------------------------------
#: 検索 / 機構への照会 by 住民票コード, 個人番号 or 4情報: CS → prefecture/national, prefecture → national.
QUERY_IDENTITY = "jukinet.query.identity"
#: 附票 照会 by 住民票コード or 4情報 (system.md P2 4, N2 2–3): 附票都道府県サーバ → 附票全国サーバ.
QUERY_FUHYO = "jukinet.query.fuhyo"
#: 本人確認 with a card: CS → national.
QUERY_VERIFY_CARD = "jukinet.query.verify_card"
#: Register a newly handed-over card's 利用者証明用 public key: CS → national.
QUERY_CARD_ISSUE = "jukinet.query.card_issue"
#: Unused 住民票コード for the municipality's pool: CS → national.
QUERY_RESIDENT_CODES = "jukinet.query.resident_codes"
#: 個人番号 生成要求: CS → national.
QUERY_INDIVIDUAL_NUMBER = "jukinet.query.individual_number"
#: 整合性確認 of one chunk of the CS file: CS → prefecture and CS → national.
QUERY_CONSISTENCY = "jukinet.query.consistency"
#: 整合性確認, digest first: one chunk's range, count and digest, answered match or not (then the chunk
#: goes in full as QUERY_CONSISTENCY): CS → prefecture and CS → national.
QUERY_CONSISTENCY_DIGEST = "jukinet.query.consistency_digest"
#: 附票の整合性確認 of one chunk of the CS 附票 file (004 2-⑥): CS → prefecture (附票都道府県サーバ).
QUERY_FUHYO_CONSISTENCY = "jukinet.query.fuhyo_consistency"
#: 広域交付 (住基法12条の4, system.md F11b): the issuing municipality's CS → the registering one.
QUERY_WIDE_AREA_COPY = "jukinet.query.wide_area_copy"
#: 有効期限 renewal-target list (std 7.1.1.4-a): the municipality's cards expiring by a day: CS → national.
QUERY_RENEWAL_TARGETS = "jukinet.query.renewal_targets"
#: 利用者証明用電子証明書シリアル番号 of a person's live card (std 7.1.2.4-a): CS → national.
QUERY_CERTIFICATE_SERIAL = "jukinet.query.certificate_serial"
#: コンビニ交付 (std 7.2.5-a, system.md F11c): 証明書交付センター (national) → registering municipality.
QUERY_KIOSK_COPY = "jukinet.query.kiosk_copy"
#: 電子申請 (引越しワンストップ 転出届, std 7.2.5-a, M8): e-application service (national) → municipality.
QUERY_E_APPLICATION = "jukinet.query.e_application"
#: A new 署名用電子証明書 on a live card (after the 署名用パスワード is reset at the counter): CS → national.
QUERY_SIGNING_CERTIFICATE = "jukinet.query.signing_certificate"
#: 失効申請 of a card's 署名用 or 利用者証明用 certificate, recorded by a clerk: municipality → national.
QUERY_CERTIFICATE_REVOCATION = "jukinet.query.certificate_revocation"
#: The 機構's 失効リスト (X.509 CRL) of 署名用電子証明書, fetched by the municipality → national.
QUERY_REVOCATION_LIST = "jukinet.query.revocation_list"
