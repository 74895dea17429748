"""本人確認情報の提供状況 at the 都道府県サーバ (issue 8 item 7): one person's exchanges, for the 開示 desk.

Two sources, merged newest first:

* the audit log: the updates received from the CSs (accepted or refused), the forwards to the
  national node and the CS queries this node answered, each naming the person's store record
  (``IdentityRecord`` id: the prefecture's per-person audit subject, ``prefecture_identity``);
* the provision log (``provisions_concerning``): every 提供・移転 to a requesting body.

The 住民票コード comes in a POST body, never a URL. A person re-keyed by a 住民票コード change is found
by either code (each version keeps the code it was received under). The reading is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.exchanges import EXCHANGE_LIMIT, Exchange, checked_person_code, exchanges_concerning
from jumin.audit.services import record_event
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion
from jumin.jukinet.prefecture.provision.selectors import ProvisionEntry, provisions_concerning

#: The prefecture's audit subject of a person: the id of their record in the store.
PERSON_SUBJECT_TYPE = "prefecture_identity"

#: The prefecture actions that are exchanges concerning a person, with their Japanese names.
EXCHANGE_KINDS: dict[str, str] = {
    AuditAction.PREFECTURE_IDENTITY_UPDATE: "本人確認情報の更新の受信（市町村CSから）",
    AuditAction.PREFECTURE_IDENTITY_UPDATE_REFUSE: "更新の返却（市町村CSへ）",
    AuditAction.PREFECTURE_IDENTITY_FORWARD: "本人確認情報の送信（機構へ）",
    AuditAction.PREFECTURE_IDENTITY_QUERY: "市町村CSからの照会への回答",
    AuditAction.PREFECTURE_FUHYO_NUMBER_FETCH: "国外転出者の個人番号の一時保存",
}


@dataclass(frozen=True)
class ProvisionStatus:
    """The person's exchanges and provisions at this prefecture, newest first."""

    known: bool
    exchanges: list[Exchange]


def person_record_ids(resident_code: str) -> list[str]:
    """The store record ids of a 住民票コード: its current record and any record that once held it."""
    current = IdentityRecord.objects.filter(resident_code=resident_code).values_list("pk", flat=True)
    former = IdentityVersion.objects.filter(resident_code=resident_code).values_list("record_id", flat=True)
    return [str(pk) for pk in sorted({*current, *former})]


def _codes_of(record_ids: list[str], resident_code: str) -> list[str]:
    codes = IdentityVersion.objects.filter(record_id__in=record_ids).values_list("resident_code", flat=True)
    return sorted({resident_code, *codes})


def _as_exchange(entry: ProvisionEntry, node: str) -> Exchange:
    return Exchange(
        seq=0,
        created_at=entry.provided_at,
        node=node,
        action=AuditAction.PROVISION_SUPPLY,
        kind=f"{entry.kind}・{entry.channel}",
        outcome=str(Outcome.DONE),
        outcome_reason="",
        detail=f"{entry.body}：{entry.basis}（{entry.article}） 項目：{'・'.join(entry.items)}",
        purpose=entry.basis,
        individual_number_used="個人番号" in entry.items,
        actor_name="",
    )


def exchanges_of(resident_code: str) -> ProvisionStatus:
    """The merged list for one validated 住民票コード (raw: the caller authorises and audits)."""
    ids = person_record_ids(resident_code)
    exchanges = exchanges_concerning(person_ids=ids, kinds=EXCHANGE_KINDS, subject_type=PERSON_SUBJECT_TYPE)
    node = f"{settings.JUMIN_NODE_KIND}:{settings.JUMIN_NODE_CODE}"
    for code in _codes_of(ids, resident_code):
        exchanges += [_as_exchange(entry, node) for entry in provisions_concerning(code)]
    exchanges.sort(key=lambda exchange: exchange.created_at, reverse=True)
    return ProvisionStatus(known=bool(ids), exchanges=exchanges[: EXCHANGE_LIMIT * 2])


def provision_status(*, actor: Any, purpose: str, resident_code: str) -> ProvisionStatus:
    """本人確認情報の提供状況 of one person at this prefecture (開示担当, provision:disclosure); audited."""
    action = AuditAction.PREFECTURE_EXCHANGE_VIEW
    authorize(
        actor=actor,
        permission=Permission.PROVISION_DISCLOSURE,
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
        status = exchanges_of(code)
        ids = person_record_ids(code)
        record_event(
            actor=actor,
            action=action,
            purpose=purpose,
            subject_type=PERSON_SUBJECT_TYPE,
            subject_id=ids[0] if ids else "",
            result_count=len(status.exchanges),
            **audit_context(),
        )
    return status


__all__ = [
    "EXCHANGE_KINDS",
    "PERSON_SUBJECT_TYPE",
    "ProvisionStatus",
    "exchanges_of",
    "person_record_ids",
    "provision_status",
]
