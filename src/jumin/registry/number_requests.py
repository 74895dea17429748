"""個人番号 requests sent to the CS: list, inquiry, re-send and the manual-link mode (std 7.1.1.1-c).

The CS keeps one row per person and change (``jukinet.cs.number_requests``): 回答済, 送信エラー (the
national node did not answer and the commit was refused), 手動連携待ち and 手入力済. This module is
the registry's side: it authorises, audits and changes the registry.

* ``request_list`` / ``inquire``: the rows, the 個人番号 shown only to a user holding
  特定個人情報アクセス権限 and the field grant (C-9, C-10), masked otherwise.
* ``resend``: a 送信エラー is re-sent by committing its draft again (the request is part of the
  本登録: no number without the record, no record without the number); a 変更要求 may change its
  reason (請求 ⇄ 職権) first, which the draft's 届出区分 follows.
* ``start_manual_mode`` / ``end_manual_mode``: while the mode is on, commits send no request; the
  clerk enters the number the CS terminal shows (``enter_number``, check digit validated). Ending
  the mode re-links: every request still waiting is sent and its number filled in.

The number, once it arrives, is recorded by a new 職権 change of its own (異動事由 個人番号の記載,
with its 職権記録書 naming the 手動連携), committed at once (``direct_commits``): a new history row,
the current row's copy with the number. The committed rows before it are never changed, so the
history shows the person without a number until the day it was recorded. The CS file follows (the
commit's update) and the 送付先情報 for the 個人番号通知書 is stored. Like any new change it is
refused while another clerk's draft holds the person (排他ロック); the request then stays waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jumin.accounts.authorization import authorize, mask
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.crypto.models import filter_by_individual_number
from jumin.domain.checkdigits import validate_mynumber
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.cs import access as cs_access
from jumin.jukinet.cs import number_requests as cs_requests
from jumin.jukinet.cs.models_number_requests import NumberRequest
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.relays import request_individual_number
from jumin.registry import sending_addresses
from jumin.registry.direct_commits import commit_directly
from jumin.registry.models import (
    Change,
    ChangeState,
    ExOfficioRecord,
    NumberChangeRecord,
    Resident,
    ResidentSnapshot,
)
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.number_changes import ChangeBasis

SUBJECT_TYPE = "cs_number_request"
MODE_SUBJECT_TYPE = "cs_manual_link"
State = cs_requests.State
#: The 職権記録書 of a 個人番号の記載 (its 根拠法令 and 事由).
LEGAL_BASIS = "行政手続における特定の個人を識別するための番号の利用等に関する法律第7条"
ENTERED_GROUNDS = "手動連携：CS端末に表示された個人番号を手入力して記載"
RELINKED_GROUNDS = "手動連携の終了（再連携）：全国サーバから取得した個人番号を記載"
Kind = cs_requests.Kind


@dataclass(frozen=True)
class RequestRow:
    """One request as listed: the 個人番号 masked unless granted (C-9, C-10)."""

    request_id: int
    change_id: int
    kind: str
    kind_label: str
    reason: str
    previous_reasons: tuple[str, ...]
    state: str
    state_label: str
    resident_code: str
    individual_number: str
    first_sent_at: str
    last_sent_at: str
    send_count: int
    answered_at: str
    failure_code: str
    resendable: bool
    enterable: bool


@dataclass(frozen=True)
class ManualMode:
    """The manual-link mode: on or off, since when, by whom and why."""

    active: bool
    started_at: str = ""
    started_by: str = ""
    reason: str = ""


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _row(request: NumberRequest, *, number_visible: bool, code_visible: bool) -> RequestRow:
    number = request.get_individual_number() if number_visible and request.has_individual_number else ""
    return RequestRow(
        request_id=request.pk,
        change_id=request.change_id,
        kind=request.kind,
        kind_label=Kind(request.kind).label,
        reason=request.reason,
        previous_reasons=tuple(request.previous_reasons),
        state=request.state,
        state_label=State(request.state).label,
        resident_code=mask(request.resident_code, visible=code_visible) if request.resident_code else "",
        individual_number=number or ("" if not request.has_individual_number else mask("", visible=False)),
        first_sent_at=_when(request.first_sent_at),
        last_sent_at=_when(request.last_sent_at),
        send_count=request.send_count,
        answered_at=_when(request.answered_at),
        failure_code=request.failure_code,
        resendable=request.state == State.FAILED,
        enterable=request.state == State.MANUAL,
    )


def _visibility(actor: Any) -> tuple[bool, bool]:
    fields = cs_access.visible_items(actor)
    return (
        Permission.FIELD_INDIVIDUAL_NUMBER_VIEW in fields,
        Permission.FIELD_JUMINHYO_CODE_VIEW in fields,
    )


def _authorize(
    actor: Any, purpose: str, permission: Permission, subject_id: str = "", subject_type: str = SUBJECT_TYPE
) -> None:
    authorize(
        actor=actor,
        permission=permission,
        action=AuditAction.CS_EXCHANGE_VIEW
        if permission == Permission.RESIDENT_VIEW
        else AuditAction.CS_INDIVIDUAL_NUMBER_REQUEST,
        purpose=purpose,
        subject_type=subject_type,
        subject_id=subject_id,
    )


def request_list(*, actor: Any, purpose: str, state: str = "") -> list[RequestRow]:
    """The 個人番号 requests sent to the CS, newest first (at most 500), optionally of one state; audited
    naming every person listed, with the 個人番号 use when numbers are shown."""
    _authorize(actor, purpose, Permission.RESIDENT_VIEW)
    number_visible, code_visible = _visibility(actor)
    with transaction.atomic():
        requests = cs_requests.requests(state=state)
        rows = [_row(r, number_visible=number_visible, code_visible=code_visible) for r in requests]
        record_event(
            actor=actor,
            action=AuditAction.CS_EXCHANGE_VIEW,
            subject_type=SUBJECT_TYPE,
            purpose=purpose,
            reason=f"number requests {state or 'all'}",
            individual_number_used=number_visible and any(r.has_individual_number for r in requests),
            result_count=len(rows),
            concerning=person_ids([r.resident_code for r in requests if r.resident_code]),
        )
    return rows


def _no_such_request() -> DomainError:
    return refusal(
        "request_id",
        "指定した個人番号の要求が見つかりません。",
        "一覧を更新して選び直してください。",
        "registry.number_request_not_found",
    )


def inquire(*, actor: Any, purpose: str, request_id: int) -> RequestRow:
    """One request in full (照会); audited naming the person."""
    _authorize(actor, purpose, Permission.RESIDENT_VIEW, str(request_id))
    number_visible, code_visible = _visibility(actor)
    with transaction.atomic():
        request = cs_requests.request(request_id)
        if request is None:
            raise _no_such_request()
        row = _row(request, number_visible=number_visible, code_visible=code_visible)
        record_event(
            actor=actor,
            action=AuditAction.CS_EXCHANGE_VIEW,
            subject_type=SUBJECT_TYPE,
            subject_id=str(request_id),
            purpose=purpose,
            reason="number request inquiry",
            individual_number_used=number_visible and request.has_individual_number,
            result_count=1,
            concerning=person_ids([request.resident_code] if request.resident_code else []),
        )
    return row


def _change_basis(request: NumberRequest, reason: str, *, actor: Any, purpose: str) -> None:
    """A 変更要求's new reason (請求 ⇄ 職権), on the CS row and on the draft (its 届出区分)."""
    if request.kind != Kind.CHANGE:
        raise refusal(
            "reason",
            "生成要求の理由（出生・国外転入等）は変更できません。",
            "理由を空欄にして再送してください。",
            "registry.number_request_reason_fixed",
        )
    if reason not in {basis.value for basis in ChangeBasis}:
        raise refusal(
            "reason",
            "変更要求の理由は「請求」または「職権」です。",
            "どちらかを選んでください。",
            "registry.number_request_reason",
        )
    with transaction.atomic():
        change = Change.objects.select_for_update().get(pk=request.change_id)
        if change.state != ChangeState.DRAFT:
            raise refusal(
                "request_id",
                "この要求の異動は既に処理されています。",
                "一覧を更新してください。",
                "registry.draft_already_processed",
            )
        NumberChangeRecord.objects.filter(change=change).update(basis=reason)
        change.notification_kind = reason
        change.save(update_fields=["notification_kind"])
        cs_requests.change_reason(request.pk, reason)
        record_event(
            actor=actor,
            action=AuditAction.CS_INDIVIDUAL_NUMBER_REQUEST,
            subject_type=SUBJECT_TYPE,
            subject_id=str(request.pk),
            purpose=purpose,
            reason=f"reason changed to {reason}",
        )


def resend(*, actor: Any, purpose: str, request_id: int, reason: str = "") -> Change:
    """Re-send a 送信エラー request: its draft is committed again (``commit_change``: a different clerk
    holding 本登録), which sends the request; ``reason`` first changes a 変更要求's reason. A request
    the node still does not answer stays 送信エラー with the new code (the commit is refused)."""
    from jumin.registry.services import commit_change  # services imports number_designation → here

    _authorize(actor, purpose, Permission.RESIDENT_COMMIT, str(request_id))
    request = cs_requests.request(request_id)
    if request is None:
        raise _no_such_request()
    if request.state != State.FAILED:
        raise refusal(
            "request_id",
            "再送できるのは送信エラーの要求だけです。",
            "一覧で状態を確認してください。",
            "registry.number_request_not_failed",
        )
    if cs_requests.manual_mode_active():
        raise refusal(
            "request_id",
            "手動連携中は再送できません。",
            "手動連携を終了してから再送してください。",
            "registry.number_request_manual_mode",
        )
    if reason.strip() and reason.strip() != request.reason:
        _change_basis(request, reason.strip(), actor=actor, purpose=purpose)
    return commit_change(actor=actor, purpose=purpose, change_id=request.change_id)


# --- the manual-link mode ------------------------------------------------------------------------


def manual_mode() -> ManualMode:
    """Whether the manual-link mode is on, and its start (no personal data)."""
    period = cs_requests.open_period()
    if period is None:
        return ManualMode(active=False)
    return ManualMode(
        active=True,
        started_at=_when(period.started_at),
        started_by=period.started_by.get_username(),
        reason=period.reason,
    )


def _authorize_mode(actor: Any, purpose: str) -> None:
    for permission in (Permission.RESIDENT_COMMIT, Permission.INDIVIDUAL_NUMBER_ACCESS):
        _authorize(actor, purpose, permission, subject_type=MODE_SUBJECT_TYPE)


def _audit_mode(period: Any, what: str, *, actor: Any, purpose: str) -> None:
    """The switch of the manual-link mode, in the caller's transaction."""
    record_event(
        actor=actor,
        action=AuditAction.CS_INDIVIDUAL_NUMBER_REQUEST,
        subject_type=MODE_SUBJECT_TYPE,
        subject_id=str(period.pk),
        purpose=purpose,
        reason=f"manual link mode {what}",
    )


def start_manual_mode(*, actor: Any, purpose: str, reason: str) -> ManualMode:
    """Switch to manual linking (e.g. while the national node is down); recorded with who, when, why."""
    _authorize_mode(actor, purpose)
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise refusal(
            "reason",
            "手動連携に切り替える理由を200文字以内で入力してください。",
            "理由（例：機構との回線障害）を入力してください。",
            "registry.manual_link_reason",
        )
    with transaction.atomic():
        _audit_mode(
            cs_requests.start_period(actor=actor, reason=reason), "started", actor=actor, purpose=purpose
        )
    return manual_mode()


@dataclass(frozen=True)
class Relinked:
    """What ending the manual-link mode did: numbers filled in, and requests still waiting (with why)."""

    linked: int
    left: tuple[tuple[int, str], ...]


def end_manual_mode(*, actor: Any, purpose: str) -> Relinked:
    """End manual linking and re-link: each request still 手動連携待ち is sent to the national node and
    its number filled in; one the node does not answer stays waiting with the code (listed)."""
    _authorize_mode(actor, purpose)
    with transaction.atomic():
        _audit_mode(cs_requests.end_period(actor=actor), "ended", actor=actor, purpose=purpose)
    linked = 0
    left: list[tuple[int, str]] = []
    for request in cs_requests.waiting_manual():
        try:
            with transaction.atomic():
                # The row first: a person another draft holds is refused before the node is asked.
                recording = _recording(request, actor=actor, entered=False)
                number = request_individual_number(
                    request.resident_code, change=request.kind == Kind.CHANGE, actor=actor, purpose=purpose
                )
                _fill(request, recording, number, actor=actor, purpose=purpose, entered=False)
            linked += 1
        except DomainError as error:
            cs_requests.record_relink_failed(request.pk, code=error.code)
            left.append((request.pk, error.code))
    return Relinked(linked=linked, left=tuple(left))


@sensitive_variables()
def enter_number(*, actor: Any, purpose: str, request_id: int, number: str) -> RequestRow:
    """The clerk enters the 個人番号 the CS terminal shows for a 手動連携待ち request (check digit
    validated); a new row records it (個人番号の記載), the CS file and the 送付先情報 follow. Audited with
    the number's use."""
    for permission in (Permission.RESIDENT_RECORD, Permission.INDIVIDUAL_NUMBER_ACCESS):
        _authorize(actor, purpose, permission, str(request_id))
    digits = validate_mynumber(number.strip())
    with transaction.atomic():
        request = NumberRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise _no_such_request()
        if request.state != State.MANUAL:
            raise refusal(
                "request_id",
                "手入力できるのは手動連携待ちの要求だけです。",
                "一覧で状態を確認してください。",
                "registry.number_request_not_manual",
            )
        recording = _recording(request, actor=actor, entered=True)
        _fill(request, recording, digits, actor=actor, purpose=purpose, entered=True)
    return inquire(actor=actor, purpose=purpose, request_id=request_id)


def _recording(request: NumberRequest, *, actor: Any, entered: bool) -> tuple[Resident, ResidentSnapshot]:
    """The person of ``request`` locked, and the draft row of a new 職権 個人番号の記載 that will carry
    the number: a copy of the current row (call in a transaction, before the number is asked for).

    Refused while the current row already has a number, or while another draft holds the person
    (``locks.take``, as for any new change: the request stays 手動連携待ち until that draft is
    committed or discarded)."""
    row = ResidentSnapshot.objects.select_related("change").filter(pk=request.row_id).first()
    if row is None or row.history_no is None:
        raise _no_such_request()
    resident = (
        Resident.objects.select_for_update(of=("self",)).select_related("current").get(pk=row.resident_id)
    )
    current = resident.current
    if current is None or current.individual_number is not None:
        raise refusal(
            "request_id",
            "この方の住民票には既に個人番号が記載されています。",
            "一覧を更新してください。",
            "registry.individual_number_present",
        )
    change = Change.objects.create(
        reason=ChangeReason.INDIVIDUAL_NUMBER_RECORDING.value,
        change_date=timezone.localdate(),
        notification_kind=ChangeBasis.EX_OFFICIO.value,
        made_by=actor,
        made_at=timezone.now(),
    )
    draft = draft_from_current(resident, current, change)
    ExOfficioRecord.objects.create(
        change=change,
        action=ChangeReason.INDIVIDUAL_NUMBER_RECORDING.value,
        legal_basis=LEGAL_BASIS,
        found_on=timezone.localdate(),
        grounds=ENTERED_GROUNDS if entered else RELINKED_GROUNDS,
        # Identifiers only: the 異動 that left the number blank and the CS request.
        findings=f"異動番号 {row.change_id}（{row.change.reason}）の個人番号の要求 {request.pk}",
        notice_required=False,  # the person is told by the 個人番号通知書 (送付先情報 below)
    )
    return resident, draft


@sensitive_variables()
def _fill(
    request: NumberRequest,
    recording: tuple[Resident, ResidentSnapshot],
    number: str,
    *,
    actor: Any,
    purpose: str,
    entered: bool,
) -> None:
    """Commit the 個人番号の記載 with ``number`` (call in the transaction of ``_recording``): the
    person's earlier rows keep their blank; the CS file and the 送付先情報 follow."""
    resident, draft = recording
    if filter_by_individual_number(
        ResidentSnapshot.objects.exclude(resident_id=resident.pk), number
    ).exists():
        raise refusal(
            "individual_number",
            "入力した個人番号は別の住民に記載されています。",
            "CS端末に表示された番号を確認して入力し直してください。",
            "registry.individual_number_in_use",
        )
    draft.set_individual_number(number)
    draft.save(update_fields=["individual_number", "individual_number_index"])
    change = draft.change
    commit_directly(change, [(resident, draft)], actor=actor)  # with the CS update
    target = cs_requests.RequestTarget(
        change_id=request.change_id, row_id=request.row_id, kind=request.kind, reason=request.reason
    )
    cs_requests.record_answered(target, number, sent=not entered)
    if draft.status == ResidentStatus.RESIDENT and draft.juminhyo_code:
        # The 個人番号通知書 of the change that asked for the number (出生, 個人番号の変更 …).
        requested = Change.objects.only("reason").get(pk=request.change_id)
        sending_addresses.produce_many([draft], reason=requested.reason, actor=actor)
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_CHANGE_COMMIT,
        subject_type="change",
        subject_id=str(change.pk),
        purpose=purpose,
        reason=f"{change.reason}; {'entered by hand' if entered else 'relinked'}",
    )
    record_event(
        actor=actor,
        action=AuditAction.CS_INDIVIDUAL_NUMBER_REQUEST,
        subject_type=SUBJECT_TYPE,
        subject_id=str(request.pk),
        purpose=purpose,
        reason="number entered by hand" if entered else "relinked after manual mode",
        individual_number_used=True,
        result_count=1,
        concerning=person_ids([request.resident_code] if request.resident_code else []),
    )
