"""特別永住者証明書の交付・再交付・有効期間更新・返納 as a draft 職権修正 of the certificate's items
(standard 4.5.7-b; docs/workflows/special-permanent-certificate.md).

When the municipality hands over a new certificate, the record's 特別永住者証明書の番号 (30条の45) and the
certificate's expiry (kept under its own key) are amended 職権, with a 職権記録書 (no 職権記載等通知書: the
holder applied and received the certificate themselves); a 国籍・地域 or 氏名（ローマ字） the new
certificate states (the holder's 変更届出 made with it) is amended in the same draft. A 返納 keeps the
returned number and day under their own keys and changes no 30条の45 item; one returned after the
record stopped being a 特別永住者 (帰化 entered, another status) is kept on the record the same way when
its history showed a certificate, and refused when it never did. At the 本登録
``commit_change`` writes the outbox event and the notice ``domain.immigration_link.link_type`` gives:
市町村伝達 (住基法・入管法) when 氏名・国籍 changed, else a 市町村通知 of class 入管法. The rules are
``domain.special_permanent_certificate``.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.immigration_link import SPECIAL_PERMANENT_RESIDENT
from jumin.domain.recorded_dates import from_json, sort_date_of
from jumin.domain.resident import ChangeReason, ResidentKind
from jumin.domain.special_permanent_certificate import (
    EXPIRY_ITEM,
    NUMBER_ITEM,
    RETURNED_NUMBER_ITEM,
    RETURNED_ON_ITEM,
    CertificateProcedure,
    CertificateState,
    PersonalItems,
    ReturnReason,
    check_personal_items,
    check_procedure,
    check_return,
    normalise_number,
)
from jumin.registry.models import Change, ExOfficioRecord, ResidentSearchKey, ResidentSnapshot
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.household_members import CurrentMember, current_resident
from jumin.registry.workflows.names import write_person_change

LEGAL_BASIS = (
    "住民基本台帳法第8条、住民基本台帳法施行令第12条第2項（入管特例法による特別永住者証明書の交付等）"
)


@dataclass(frozen=True)
class CertificateHandover:
    """A certificate handed over on ``issued_on`` (交付・再交付・有効期間更新), or a 返納 on ``returned_on``
    of certificate ``certificate_number``. ``nationality_code`` / ``alphabet_name``: what the new
    certificate states when it changed them; blank keeps the record's."""

    atena_number: str
    procedure: CertificateProcedure
    certificate_number: str = ""
    issued_on: date | None = None
    expiry: date | None = None
    nationality_code: str = ""
    alphabet_name: str = ""
    returned_on: date | None = None
    return_reason: ReturnReason = ReturnReason.STATUS_ENDED
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


def _is_holder(member: CurrentMember) -> bool:
    foreign = member.current.foreign or {}
    return (
        member.current.kind == ResidentKind.FOREIGN and foreign.get("category") == SPECIAL_PERMANENT_RESIDENT
    )


def _not_a_holder() -> DomainError:
    return refusal(
        "atena_number",
        "特別永住者ではない方です。特別永住者証明書の交付等は入力できません。",
        "宛名番号を確認してください。在留カードの番号は出入国在留管理庁長官通知（法30条の50）で更新されます。",
        "registry.not_special_permanent_resident",
    )


def _numbers_held(member: CurrentMember) -> list[str]:
    """The certificate numbers the person's committed rows showed while a 特別永住者, latest first."""
    rows = ResidentSnapshot.objects.filter(resident=member.resident, history_no__isnull=False)
    numbers: list[str] = []
    for foreign in rows.order_by("-history_no").values_list("foreign", flat=True):
        number = str((foreign or {}).get(NUMBER_ITEM) or "")
        if (foreign or {}).get("category") == SPECIAL_PERMANENT_RESIDENT and number and number not in numbers:
            numbers.append(number)
    return numbers


def _birth_day(stored: dict[str, Any] | None) -> date | None:
    """The holder's birth day for the expiry alert; None when not held or unreadable."""
    if not stored:
        return None
    try:
        return sort_date_of(from_json(stored))
    except DomainError:
        return None


def _held_by_another(number: str, member: CurrentMember) -> list[Alert]:
    """An alert when another current record holds the number (a typo, or the other record is wrong)."""
    others = ResidentSearchKey.objects.filter(special_permanent_resident_number=number).exclude(
        resident=member.resident
    )
    if not others.exists():
        return []
    return [
        Alert(
            field="certificate_number",
            message="この証明書番号は他の方の住民票に記載されています。番号を確認してください。",
            code="registry.certificate_number_held",
        )
    ]


@dataclass(frozen=True)
class _Entry:
    """The new 30条の45 JSON, its alerts and the 職権記録書's day and findings."""

    foreign: dict[str, Any]
    alerts: list[Alert]
    found_on: date
    findings: str


def _state(foreign: dict[str, Any]) -> CertificateState:
    return CertificateState(
        number=str(foreign.get(NUMBER_ITEM) or ""),
        expiry=str(foreign.get(EXPIRY_ITEM) or ""),
        returned_number=str(foreign.get(RETURNED_NUMBER_ITEM) or ""),
        returned_on=str(foreign.get(RETURNED_ON_ITEM) or ""),
    )


def _return_entry(handover: CertificateHandover, foreign: dict[str, Any]) -> _Entry:
    return _returned(handover, foreign, _state(foreign), [])


def _late_return_entry(
    handover: CertificateHandover, member: CurrentMember, foreign: dict[str, Any]
) -> _Entry:
    """A 返納 after the record stopped being a 特別永住者 (帰化 entered, another status): kept on the record
    as the same event, checked against the numbers its history showed; refused when it never showed one."""
    numbers = _numbers_held(member)
    if not numbers:
        raise refusal(
            "atena_number",
            "この方の住民票には、過去の履歴を含めて特別永住者証明書の記載がありません。返納は入力できません。",
            "宛名番号と返納された証明書の番号を確認してください。",
            "registry.certificate_never_recorded",
        )
    # No current certificate: the one returned is one the history showed (an alert otherwise).
    state = CertificateState(
        number="",
        expiry="",
        returned_number=str(foreign.get(RETURNED_NUMBER_ITEM) or ""),
        returned_on=str(foreign.get(RETURNED_ON_ITEM) or ""),
    )
    alerts = []
    if normalise_number(handover.certificate_number) not in numbers:
        alerts.append(
            Alert(
                field="certificate_number",
                # No number in the text: alerts carry no personal data, and the number is masked
                # without field:residence_status:view (C-10).
                message="返納された証明書番号が、住民票の履歴に記載された証明書番号と異なります。番号を確認してください。",
                code="registry.certificate_number_not_in_history",
            )
        )
    return _returned(handover, foreign, state, alerts, note="（特別永住者でなくなった後の返納）")


def _returned(
    handover: CertificateHandover,
    foreign: dict[str, Any],
    state: CertificateState,
    alerts: list[Alert],
    *,
    note: str = "",
) -> _Entry:
    if handover.nationality_code.strip() or handover.alphabet_name.strip():
        raise refusal(
            "nationality_code",
            "返納では国籍・地域や氏名（ローマ字）は変更できません。",
            "国籍・地域と氏名（ローマ字）を空欄にしてください。変更は新しい証明書の交付等と一緒に入力します。",
            "registry.certificate_return_with_changes",
        )
    returned = check_return(
        state,
        number=handover.certificate_number,
        returned_on=handover.returned_on,
        reason=handover.return_reason,
        today=timezone.localdate(),
    )
    day = returned.returned_on
    foreign.update({RETURNED_NUMBER_ITEM: returned.number, RETURNED_ON_ITEM: day.isoformat()})
    findings = f"返納日 {day.isoformat()}、返納事由 {handover.return_reason.value}{note}"
    return _Entry(foreign, [*returned.alerts, *alerts], day, findings)


def _handover_entry(handover: CertificateHandover, member: CurrentMember, foreign: dict[str, Any]) -> _Entry:
    update = check_procedure(
        handover.procedure,
        _state(foreign),
        number=handover.certificate_number,
        issued_on=handover.issued_on,
        expiry=handover.expiry,
        today=timezone.localdate(),
        birth_date=_birth_day(member.current.birth_date),
    )
    personal = check_personal_items(
        PersonalItems(
            nationality_code=str(foreign.get("nationality_code") or ""),
            alphabet_name=str(foreign.get("alphabet_name") or ""),
        ),
        nationality_code=handover.nationality_code,
        alphabet_name=handover.alphabet_name,
    )
    foreign.update(
        {
            NUMBER_ITEM: update.number,
            EXPIRY_ITEM: update.expiry,
            "nationality_code": personal.nationality_code,
            "alphabet_name": personal.alphabet_name,
        }
    )
    findings = f"交付年月日 {update.issued_on.isoformat()}、有効期間の満了日 {update.expiry}"
    return _Entry(
        foreign, [*update.alerts, *_held_by_another(update.number, member)], update.issued_on, findings
    )


def record_certificate_handover(*, actor: Any, purpose: str, handover: CertificateHandover) -> DraftRecorded:
    """Enter a 特別永住者証明書の交付・再交付・有効期間更新 (with the 国籍・地域 or 氏名（ローマ字） it
    changed) or its 返納 as a draft 職権修正; another clerk commits it."""
    action = AuditAction.RESIDENT_SPECIAL_PERMANENT_CERTIFICATE_RECORD
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=action,
        purpose=purpose,
        subject_type="change",
    )
    member = current_resident(handover.atena_number, field="atena_number")
    foreign = copy.deepcopy(member.current.foreign or {})
    returning = handover.procedure is CertificateProcedure.RETURN
    if not _is_holder(member) and not returning:
        raise _not_a_holder()
    if not returning:
        entry = _handover_entry(handover, member, foreign)
    elif _is_holder(member):
        entry = _return_entry(handover, foreign)
    else:
        entry = _late_return_entry(handover, member, foreign)

    def write_record_book(change: Change) -> None:
        ExOfficioRecord.objects.create(
            change=change,
            action=ChangeReason.EX_OFFICIO_AMENDMENT.value,
            legal_basis=LEGAL_BASIS,
            found_on=entry.found_on,
            grounds=f"特別永住者証明書の{handover.procedure.value}",
            findings=entry.findings,
            notice_required=False,  # the holder applied, received or returned the certificate themselves
        )

    return write_person_change(
        actor=actor,
        purpose=purpose,
        action=action,
        member=member,
        reason=ChangeReason.EX_OFFICIO_AMENDMENT,
        notified_on=entry.found_on,
        kind="職権",
        columns={"foreign": entry.foreign},
        alerts=entry.alerts,
        acknowledged_codes=handover.acknowledged_alerts,
        attention_note=handover.attention_note,
        beside=write_record_book,
    )
