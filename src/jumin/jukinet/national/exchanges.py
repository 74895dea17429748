"""本人確認情報の提供状況 at the national node (issue 8 item 7): one person's exchanges, newest first.

The national node audits every exchange concerning a person with the id of their record in the
national store (``national_identity``, never the 住民票コード): the updates received from the
prefectures, the CS queries answered (the person among the results), 本人確認 with the card, card
issue and events, 個人番号 generation and 送付先情報. A person re-keyed by a 住民票コード change is
found by either code (each history row keeps the code it was received under). The reading is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.exchanges import Exchange, checked_person_code, exchanges_concerning
from jumin.audit.services import record_event
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.national.services._common import person_record_ids

#: The national node's audit subject of a person: the id of their record in the national store.
PERSON_SUBJECT_TYPE = "national_identity"

#: The national actions that are exchanges concerning a person, with their Japanese names.
EXCHANGE_KINDS: dict[str, str] = {
    AuditAction.NATIONAL_IDENTITY_UPDATE: "本人確認情報の更新の受信（都道府県から）",
    AuditAction.NATIONAL_IDENTITY_QUERY: "市町村CSからの照会への回答（該当者）",
    AuditAction.NATIONAL_CARD_VERIFY: "カードによる本人確認への回答",
    AuditAction.NATIONAL_CARD_ISSUE: "個人番号カードの発行",
    AuditAction.NATIONAL_CARD_EVENT_RECORD: "カード事象の受信",
    AuditAction.NATIONAL_CARD_REKEY: "カードの住民票コードの変更",
    AuditAction.NATIONAL_INDIVIDUAL_NUMBER_ISSUE: "個人番号の生成",
    AuditAction.NATIONAL_SENDING_ADDRESS_RECEIVE: "送付先情報の受信",
    AuditAction.NATIONAL_CARD_SERIAL_ANSWER: "利用者証明用電子証明書シリアル番号の回答",
    AuditAction.NATIONAL_TOKEN_REQUEST_RECEIVE: "符号取得要求の受付",
    AuditAction.NATIONAL_SIGNING_CERTIFICATE_ISSUE: "署名用電子証明書の再発行（署名用パスワードの初期化）",
    AuditAction.NATIONAL_SIGNING_CERTIFICATE_REVOKE: "署名用電子証明書の失効",
}


@dataclass(frozen=True)
class ProvisionStatus:
    """The person's exchanges at the national node, newest first."""

    known: bool
    exchanges: list[Exchange]


def provision_status(*, actor: Any, purpose: str, resident_code: str) -> ProvisionStatus:
    """本人確認情報の提供状況 of one person at the national node (``national:monitor``); audited."""
    action = AuditAction.NATIONAL_EXCHANGE_VIEW
    authorize(
        actor=actor,
        permission=Permission.NATIONAL_MONITOR,
        action=action,
        purpose=purpose,
        subject_type=PERSON_SUBJECT_TYPE,
    )
    code = checked_person_code(
        resident_code,
        rule=RESIDENT_CODE_RULE,
        actor=actor,
        action=action,
        purpose=purpose,
        subject_type=PERSON_SUBJECT_TYPE,
    )
    with transaction.atomic():
        ids = person_record_ids(code)
        exchanges = exchanges_concerning(
            person_ids=ids, kinds=EXCHANGE_KINDS, subject_type=PERSON_SUBJECT_TYPE
        )
        record_event(
            actor=actor,
            action=action,
            purpose=purpose,
            subject_type=PERSON_SUBJECT_TYPE,
            subject_id=ids[0] if ids else "",
            result_count=len(exchanges),
        )
    return ProvisionStatus(known=bool(ids), exchanges=exchanges)


__all__ = ["EXCHANGE_KINDS", "PERSON_SUBJECT_TYPE", "ProvisionStatus", "provision_status"]
