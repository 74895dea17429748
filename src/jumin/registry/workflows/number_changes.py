"""住民票コード and 個人番号 changes, on request (請求) or by 職権, as drafts (standard 4.3.2-a, 4.4-a;
records.md §7; system.md F22; docs/workflows/number-changes.md).

* 住民票コードの変更請求 (住基法30条の4) may be made at any time and needs no reason; a 職権 change
  records its grounds. The draft leaves the 住民票コード blank, so 本登録 takes a new code from the
  pool (``numbering.take_juminhyo_code``; a taken code is never reused); the old code becomes the
  旧住民票コード and the day of the change the 住民票コード使用年月日. The 住民票コード変更通知票 is
  printed through the certificates notice path (``previous_juminhyo_code`` reads the old code back).
* 個人番号の変更請求 (番号法7条2項) is allowed only when the number risks being misused: the request
  must say why, and is refused without a reason. A 職権 change (番号法施行令4条1項) records its
  grounds too. The draft keeps the current number; 本登録 asks the national node for a new one
  through the CS (``registry.number_renewal``) and fails cleanly, changing nothing, if it cannot.

* 住民票コードの修正 (職権): a wrongly recorded code is replaced by the right one (not from the pool);
  the wrong one becomes the 旧住民票コード and the 修正通知票 prints both.

All use the network's own 異動事由 (``ChangeReason.RESIDENT_CODE_CHANGE`` /
``INDIVIDUAL_NUMBER_CHANGE``), so the CS update carries 住民票コードの変更 / 個人番号の変更; 請求 or
職権 is the change's 届出区分.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.checkdigits import validate_juminhyo_code
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.resident import ChangeReason
from jumin.registry import services_restrictions
from jumin.registry.models import Change, JuminhyoCodePool, NumberChangeRecord, ResidentSnapshot
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.household_members import CurrentMember, current_resident
from jumin.registry.workflows.names import _check_request_date

GROUNDS_MAX_LENGTH = 1000
#: ``NumberChangeRecord.basis`` of a 住民票コードの修正 (a wrongly recorded code, always 職権).
CORRECTION = "修正"


class ChangeBasis(StrEnum):
    """Whether the person asked for the change (請求) or the mayor makes it ex officio (職権)."""

    REQUEST = "請求"
    EX_OFFICIO = "職権"


class ChangedNumber(StrEnum):
    """Which number a change replaces (``NumberChangeRecord.number``)."""

    RESIDENT_CODE = "住民票コード"
    INDIVIDUAL_NUMBER = "個人番号"


@dataclass(frozen=True)
class NumberChangeRequest:
    """A change of one person's 住民票コード or 個人番号.

    ``requested_on`` is the request date (請求) or the day the facts were confirmed (職権); ``grounds``
    is the reason (required except for a 住民票コードの変更請求, which needs none).
    """

    atena_number: str
    basis: ChangeBasis
    requested_on: date
    grounds: str = ""
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class ResidentCodeCorrection:
    """A 住民票コードの修正 (standard 4.3.2-a): the recorded code is wrong; ``correct_code`` is the right one.

    ``found_on`` is the day the error was confirmed; ``grounds`` the facts (required).
    """

    atena_number: str
    correct_code: str
    found_on: date
    grounds: str
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)


def _check_date(value: date, today: date) -> None:
    # The same check and message as the name workflows' 請求日 (one refusal text for the clerk).
    _check_request_date(value, today, field_name="requested_on", label="請求日（事実を確認した日）")


def _grounds(text: str, *, required: bool, what: str) -> str:
    value = text.strip()
    if required and not value:
        raise refusal(
            "grounds",
            f"{what}の理由が入力されていません。",
            "請求または職権の理由を入力してください。",
            "registry.number_change_grounds_required",
        )
    if len(value) > GROUNDS_MAX_LENGTH:
        raise refusal(
            "grounds",
            f"理由が{GROUNDS_MAX_LENGTH}文字を超えています。",
            "要点を短く入力してください。",
            "registry.item_too_long",
        )
    return value


def _write(
    *,
    actor: Any,
    purpose: str,
    action: AuditAction,
    member: CurrentMember,
    reason: ChangeReason,
    basis: str,
    requested_on: date,
    grounds: str,
    columns: dict[str, Any],
    alerts: list[Alert],
    acknowledged_codes: Collection[str],
) -> DraftRecorded:
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=action,
        atena_numbers=[member.atena_number],
    )
    acknowledged = require_acknowledged(alerts, acknowledged_codes)
    with transaction.atomic():
        change = Change.objects.create(
            reason=reason,
            change_date=timezone.localdate(),
            notification_date=requested_on,
            # A correction is always 職権; its record says 修正.
            notification_kind=ChangeBasis.EX_OFFICIO.value if basis == CORRECTION else basis,
            made_by=actor,
            made_at=timezone.now(),
        )
        NumberChangeRecord.objects.create(
            change=change,
            number=ChangedNumber.RESIDENT_CODE
            if reason is ChangeReason.RESIDENT_CODE_CHANGE
            else ChangedNumber.INDIVIDUAL_NUMBER,
            basis=basis,
            requested_on=requested_on,
            grounds=grounds,
        )
        draft_from_current(member.resident, member.current, change, **columns)
        record_event(
            actor=actor,
            action=action,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            # Only the kind and basis: the grounds are personal data and stay in NumberChangeRecord.
            reason=audit_reason(f"{reason.value} {basis}", acknowledged),
            individual_number_used=reason is ChangeReason.INDIVIDUAL_NUMBER_CHANGE,
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=(member.atena_number,),
        household_number=member.current.household.number,
        alerts=tuple(alerts + entry_alerts),
    )


def record_resident_code_change(*, actor: Any, purpose: str, request: NumberChangeRequest) -> DraftRecorded:
    """Enter a 住民票コードの変更 (請求 or 職権) as a draft; 本登録 takes the new code from the pool."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_CODE_CHANGE,
        purpose=purpose,
        subject_type="change",
    )
    today = timezone.localdate()
    _check_date(request.requested_on, today)
    # 住基法30条の4: the person may ask at any time and need give no reason.
    grounds = _grounds(
        request.grounds, required=request.basis is ChangeBasis.EX_OFFICIO, what="住民票コードの職権による変更"
    )
    member = current_resident(request.atena_number, field="atena_number")
    current = member.current
    if not current.juminhyo_code:
        raise refusal(
            "atena_number",
            "この方には住民票コードが記載されていないため、変更できません。",
            "住民票コードの記載（本登録時に自動で付番）を先に行ってください。",
            "registry.no_juminhyo_code",
        )
    alerts: list[Alert] = []
    if current.former_juminhyo_code:
        alerts.append(
            Alert(
                field="atena_number",
                message="この方の住民票コードは以前にも変更されています。請求の内容を確認してください。",
                code="registry.juminhyo_code_changed_before",
            )
        )
    return _write(
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_CODE_CHANGE,
        member=member,
        reason=ChangeReason.RESIDENT_CODE_CHANGE,
        basis=request.basis.value,
        requested_on=request.requested_on,
        grounds=grounds,
        # Blank: 本登録 assigns a new code from the pool (services.commit_change).
        columns={
            "juminhyo_code": "",
            "former_juminhyo_code": current.juminhyo_code,
            "juminhyo_code_used_on": today,
        },
        alerts=alerts,
        acknowledged_codes=request.acknowledged_alerts,
    )


def record_individual_number_change(
    *, actor: Any, purpose: str, request: NumberChangeRequest
) -> DraftRecorded:
    """Enter a 個人番号の変更 (請求 with its reason, or 職権) as a draft.

    Needs 特定個人情報アクセス権限 besides the registry's input permission (controls.md C-9). 本登録
    asks the national node for the new number (``registry.number_renewal``).
    """
    for permission in (Permission.RESIDENT_RECORD, Permission.INDIVIDUAL_NUMBER_ACCESS):
        authorize(
            actor=actor,
            permission=permission,
            action=AuditAction.RESIDENT_INDIVIDUAL_NUMBER_CHANGE,
            purpose=purpose,
            subject_type="change",
        )
    _check_date(request.requested_on, timezone.localdate())
    # 番号法7条2項: only when the number risks being misused, so the request must say why.
    grounds = _grounds(request.grounds, required=True, what="個人番号の変更")
    member = current_resident(request.atena_number, field="atena_number")
    current = member.current
    if current.individual_number_index is None:
        raise refusal(
            "atena_number",
            "この方には個人番号が指定されていないため、変更できません。",
            "個人番号の指定（生成要求）を先に行ってください。",
            "registry.no_individual_number",
        )
    if not current.juminhyo_code:
        raise refusal(
            "atena_number",
            "住民票コードのない方の個人番号は変更できません（変更要求に住民票コードが必要です）。",
            "住民票コードの記載を先に行ってください。",
            "registry.no_juminhyo_code",
        )
    return _write(
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_INDIVIDUAL_NUMBER_CHANGE,
        member=member,
        reason=ChangeReason.INDIVIDUAL_NUMBER_CHANGE,
        basis=request.basis.value,
        requested_on=request.requested_on,
        grounds=grounds,
        columns={},  # the draft keeps the current number until 本登録 receives the new one
        alerts=[],
        acknowledged_codes=request.acknowledged_alerts,
    )


def record_resident_code_correction(
    *, actor: Any, purpose: str, correction: ResidentCodeCorrection
) -> DraftRecorded:
    """Enter a 住民票コードの修正 (職権) as a draft: the wrongly recorded code is replaced by the right one.

    Unlike a change, the new code is not taken from the pool: it is the code the person really has
    (e.g. as the CS holds it). The wrong code becomes the 旧住民票コード so the CS can link the two; the
    住民票コード修正通知票 prints both. The 住民票コード使用年月日 is kept: the right code was in use since.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_CODE_CORRECT,
        purpose=purpose,
        subject_type="change",
    )
    _check_date(correction.found_on, timezone.localdate())
    grounds = _grounds(correction.grounds, required=True, what="住民票コードの修正")
    try:
        code = validate_juminhyo_code(correction.correct_code.strip(), field="correct_code")
    except DomainError as error:
        raise refusal("correct_code", error.reason, error.remedy, error.code) from None
    member = current_resident(correction.atena_number, field="atena_number")
    current = member.current
    if code == current.juminhyo_code:
        raise refusal(
            "correct_code",
            "正しい住民票コードが現在の住民票コードと同じです。",
            "修正後の住民票コードを入力してください。",
            "registry.juminhyo_code_unchanged",
        )
    # The same code on anyone else's record, current or not, would make two people one on the network.
    if ResidentSnapshot.objects.filter(juminhyo_code=code).exclude(resident=member.resident).exists():
        raise refusal(
            "correct_code",
            "この住民票コードは別の方の住民票に記載されています。",
            "住民票コードを確認してください。",
            "registry.juminhyo_code_in_use",
        )
    if JuminhyoCodePool.objects.filter(code=code, taken_at__isnull=True).exists():
        raise refusal(
            "correct_code",
            "この住民票コードは未使用のコードとしてプールにあり、誰にも付番されていません。",
            "正しいコードか確認してください。新しく付番し直すときは住民票コードの変更を使ってください。",
            "registry.juminhyo_code_unassigned",
        )
    return _write(
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_CODE_CORRECT,
        member=member,
        reason=ChangeReason.RESIDENT_CODE_CHANGE,
        basis=CORRECTION,
        requested_on=correction.found_on,
        grounds=grounds,
        columns={"juminhyo_code": code, "former_juminhyo_code": current.juminhyo_code},
        alerts=[],
        acknowledged_codes=correction.acknowledged_alerts,
    )
