"""本人確認情報の提供状況 at the 市町村CS: every exchange that concerned one person (issue 8 item 7).

Two sources, merged newest first:

* the CS file's versions (``CsIdentityVersion``, kept 150 years): every update the CS took for the
  person and whether it was notified to the prefecture. The registry's commit takes updates without
  a CS audit entry of their own (its entry covers the commit), so the versions are the CS's
  operation log of updates, whichever path they came by;
* the audit log: every other exchange, audited with the person's CS id (``persons.person_ids``).

The 住民票コード is typed in a POST body, never a URL; a 住民票コード change links the old and new
codes, so either finds the whole list. The reading itself is audited, with the purpose (C-42, C-43).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.exchanges import EXCHANGE_LIMIT, Exchange, exchanges_concerning
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.jukinet.cs import access
from jumin.jukinet.cs.models import CsIdentityVersion
from jumin.jukinet.cs.persons import PERSON_SUBJECT_TYPE, codes_of, ids_for_lookup
from jumin.jukinet.cs.services import prefecture_of

#: The CS actions that are exchanges with another node (or carry one), with their Japanese names.
EXCHANGE_KINDS: dict[str, str] = {
    AuditAction.CS_NOTICE_SEND: "送信待ち通知の送信",
    AuditAction.CS_REJECTION_RECEIVE: "都道府県からの返却エラー",
    AuditAction.CS_IDENTITY_SEARCH: "本人確認情報検索（該当者一覧に表示）",
    AuditAction.CS_IDENTITY_QUERY: "都道府県・機構への照会（回答に該当）",
    AuditAction.CS_CARD_ISSUE: "個人番号カードの発行",
    AuditAction.CS_CARD_VERIFY: "カードによる本人確認（機構への照会）",
    AuditAction.CS_SIGNING_PASSWORD_RESET: "署名用パスワードの初期化（署名用電子証明書の再発行）",
    AuditAction.CS_CARD_EVENT: "カード事象の送信",
    AuditAction.CS_CARD_SERIAL_FETCH: "利用者証明用電子証明書シリアル番号の取得",
    AuditAction.CS_INDIVIDUAL_NUMBER_REQUEST: "個人番号の生成要求",
    AuditAction.CS_SENDING_ADDRESS_STORE: "送付先情報の作成・送信",
    AuditAction.CS_SENDING_ADDRESS_SEND: "送付先情報の送信",
    AuditAction.CS_SENDING_ADDRESS_RESULT: "送付先情報の連携結果",
    AuditAction.CS_TOKEN_REQUEST: "符号取得要求の送信",
    AuditAction.CS_TOKEN_RECEIPT: "符号取得要求の受付結果",
    AuditAction.CS_CERTIFICATE_SEND: "転出証明書情報の送信（特例転出）",
    AuditAction.CS_CERTIFICATE_RECEIVE: "転出証明書情報の受信（特例転入）",
    AuditAction.CS_CERTIFICATE_REQUEST: "転出証明書情報の送信依頼",
    AuditAction.CS_CERTIFICATE_USE: "転出証明書情報の利用（特例転入）",
    AuditAction.CS_CERTIFICATE_ERASE: "転出証明書情報の消去",
    AuditAction.CS_MOVE_IN_NOTICE_SEND: "転入通知・継続利用の送信",
    AuditAction.CS_MOVE_IN_NOTICE_RECEIVE: "転入通知の受信（転出確定）",
    AuditAction.CS_FUHYO_NOTICE_SEND: "戸籍附票記載事項通知の送信（本籍地へ）",
    AuditAction.CS_FUHYO_NOTICE_RECEIVE: "戸籍附票記載事項通知の受信（本籍地として）",
    AuditAction.CS_WIDE_AREA_ISSUE: "広域交付（交付地）",
    AuditAction.NODE_QUERY_ANSWER: "他の市区町村からの照会への回答（広域交付の請求）",
    AuditAction.CS_CONSISTENCY_RUN: "整合性確認（差異あり）",
}

UPDATE_NOTIFIED = "本人確認情報の更新・都道府県への通知"
UPDATE_NOT_NOTIFIED = "本人確認情報の更新（CS内の記録のみ、通知なし）"

_RESIDENT_CODE = re.compile(r"\d{11}")


@dataclass(frozen=True)
class ProvisionStatus:
    """The exchanges of one person at this CS, newest first (``known``: the CS ever exchanged about them)."""

    known: bool
    exchanges: list[Exchange]


def check_resident_code(resident_code: str) -> str:
    """The 住民票コード, stripped; a DomainError naming the field and the remedy otherwise."""
    code = resident_code.strip()
    if not _RESIDENT_CODE.fullmatch(code):
        raise refusal(
            "resident_code",
            "住民票コードは11桁の数字で入力してください。",
            "本人の住民票コードを確認して入力し直してください。",
            "jukinet.exchange.resident_code",
        )
    return code


def _updates(codes: set[str], node: str) -> list[Exchange]:
    """The person's CS versions as exchanges (a notifiable one went, or waits to go, to the prefecture)."""
    versions = CsIdentityVersion.objects.filter(resident_code__in=sorted(codes)).order_by("-pk")
    return [
        Exchange(
            seq=0,
            created_at=version.created_at,
            node=node,
            action=AuditAction.CS_IDENTITY_UPDATE,
            kind=UPDATE_NOTIFIED if version.notifiable else UPDATE_NOT_NOTIFIED,
            outcome="done",
            outcome_reason="",
            detail=(
                f"{version.notice_reason or version.change_reason} 更新順番号 {version.update_seq}"
                + (f" to {prefecture_of(version.municipality_code)}" if version.notifiable else "")
            ),
            purpose="",
            individual_number_used=version.individual_number_index is not None,
            actor_name=version.operator_id,
        )
        for version in versions[:EXCHANGE_LIMIT]
    ]


def provision_status(*, actor: Any, purpose: str, resident_code: str) -> ProvisionStatus:
    """本人確認情報の提供状況 of one person at this CS (permission 本人確認情報検索); audited."""
    access.require(
        actor=actor,
        permission=Permission.CS_SEARCH,
        action=AuditAction.CS_EXCHANGE_VIEW,
        purpose=purpose,
        subject_type=PERSON_SUBJECT_TYPE,
    )
    code = check_resident_code(resident_code)
    with transaction.atomic():
        ids = ids_for_lookup(code)
        exchanges = exchanges_concerning(person_ids=ids, kinds=EXCHANGE_KINDS)
        updates = _updates({code, *codes_of(ids)}, f"{settings.JUMIN_NODE_KIND}:{settings.JUMIN_NODE_CODE}")
        exchanges = sorted([*exchanges, *updates], key=lambda row: row.created_at, reverse=True)
        record_event(
            actor=actor,
            action=AuditAction.CS_EXCHANGE_VIEW,
            subject_type=PERSON_SUBJECT_TYPE,
            subject_id=ids[0] if ids else "",
            purpose=purpose,
            result_count=len(exchanges),
        )
    return ProvisionStatus(known=bool(ids or updates), exchanges=exchanges)


__all__ = ["EXCHANGE_KINDS", "ProvisionStatus", "check_resident_code", "provision_status"]
