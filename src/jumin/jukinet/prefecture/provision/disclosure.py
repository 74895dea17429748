"""開示 (住基法30条の32) at the P5 端末機 and 訂正の申出 (30条の35): system.md F20.

The person asks in writing, free of charge; the desk records how their identity was checked, matches
the data they supplied with the prefecture's file (004 別添1 (1) 3-②) and prints the form: the 8 items
and the history of changes at this prefecture. What the person wrote is not kept; only the matched
住民票コード. Printing the form reads the 個人番号, so it also needs 特定個人情報 access (C-9).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from jumin.accounts import clock
from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.prefecture import selectors
from jumin.jukinet.prefecture.provision import pdf
from jumin.jukinet.prefecture.provision.items import clean_items
from jumin.jukinet.prefecture.provision.keys import BY_FOUR_ITEMS, BY_RESIDENT_CODE, SearchKey, check_key
from jumin.jukinet.prefecture.provision.models import CorrectionRequest, DisclosureRequest

IDENTITY_CHECKS = DisclosureRequest.IdentityCheck.choices


@dataclass(frozen=True)
class Requester:
    """What the person wrote on the request form about themselves (not stored)."""

    name: str
    birth_date: str  # YYYYMMDD
    sex: str = ""
    address: str = ""
    resident_code: str = ""

    def __repr__(self) -> str:
        return "Requester(…)"  # personal data: never in a log


def _event(actor: Any, action: AuditAction, purpose: str, subject_id: str, **extra: Any) -> None:
    record_event(
        actor=actor,
        action=action,
        purpose=purpose,
        subject_type="disclosure_request",
        subject_id=subject_id,
        **extra,
        **audit_context(),
    )


def _match(requester: Requester) -> str:
    """The 住民票コード of the one record fitting what the person supplied, or ""."""
    if not requester.name.strip() or not requester.birth_date.strip():
        raise refusal(
            "requester",
            "開示請求には請求者の氏名と生年月日が必要です。",
            "請求書に記載された氏名と生年月日を入力してください。",
            "provision.disclosure_requester",
        )
    key = check_key(
        SearchKey(
            by=BY_FOUR_ITEMS,
            name=requester.name,
            birth_date=requester.birth_date,
            sex=requester.sex,
            address=requester.address,
        )
    )
    candidates = selectors.search_four_item_views(
        name=key.name, name_kana="", birth_date=key.birth_date, sex=key.sex, address=key.address, limit=2
    )
    if requester.resident_code.strip():
        code = check_key(SearchKey(by=BY_RESIDENT_CODE, resident_code=requester.resident_code)).resident_code
        candidates = [view for view in candidates if view.resident_code == code]
    return candidates[0].resident_code if len(candidates) == 1 else ""


def receive_request(
    *, actor: Any, received_on: date, identity_check: str, requester: Requester, purpose: str
) -> DisclosureRequest:
    """Record a written 開示請求 (free of charge) and find the requester's record."""
    action = AuditAction.PROVISION_DISCLOSURE_RECEIVE
    authorize(actor=actor, permission=Permission.PROVISION_DISCLOSURE, action=action, purpose=purpose)
    if identity_check not in DisclosureRequest.IdentityCheck.values:
        raise refusal(
            "identity_check",
            "本人確認の方法が選ばれていません。",
            "提示された本人確認書類を選んでください。",
            "provision.identity_check",
        )
    if received_on > clock.today():
        raise refusal(
            "received_on",
            "受付日が未来の日付です。",
            "請求書を受け付けた日を入力してください。",
            "provision.received_on",
        )
    code = _match(requester)
    with transaction.atomic():
        request = DisclosureRequest.objects.create(
            received_on=received_on,
            identity_check=identity_check,
            resident_code=code,
            status=DisclosureRequest.Status.RECEIVED if code else DisclosureRequest.Status.NOT_FOUND,
            received_by=actor,
        )
        _event(
            actor,
            action,
            purpose,
            str(request.pk),
            outcome_reason=request.status,
            result_count=int(bool(code)),
        )
    return request


def _refuse_issue(actor: Any, purpose: str, subject: str, why: str) -> None:
    """Record a refused print in its own transaction (C-30: a reprint is refused and audited)."""
    with transaction.atomic():
        _event(
            actor,
            AuditAction.PROVISION_DISCLOSURE_ISSUE,
            purpose,
            subject,
            outcome=Outcome.REFUSED,
            outcome_reason=why,
        )


def _reprint() -> DomainError:
    return refusal(
        "request",
        "この請求の開示書は既に印刷されています。再印刷はできません。",
        "再度の開示が必要なときは、新しい開示請求として受け付けてください。",
        "provision.disclosure_reprint",
    )


def issue_form(*, actor: Any, request_id: int, purpose: str) -> bytes:
    """Print the disclosure form (PDF): the 8 items and the change history; the disclosure is recorded.

    Only a RECEIVED request prints, once: a DISCLOSED request is refused (controls.md C-30), so the
    first print's time, clerk and form digest are never overwritten.
    """
    action = AuditAction.PROVISION_DISCLOSURE_ISSUE
    subject = str(request_id)
    authorize(actor=actor, permission=Permission.PROVISION_DISCLOSURE, action=action, purpose=purpose)
    authorize(actor=actor, permission=Permission.INDIVIDUAL_NUMBER_ACCESS, action=action, purpose=purpose)
    request = DisclosureRequest.objects.filter(pk=request_id).first()
    if request is not None and request.status == DisclosureRequest.Status.DISCLOSED:
        _refuse_issue(actor, purpose, subject, "already_disclosed")
        raise _reprint()
    current = (
        selectors.views_by_resident_codes([request.resident_code], with_number=True)
        if request is not None
        and request.status == DisclosureRequest.Status.RECEIVED
        and request.resident_code
        else {}
    )
    if request is None or request.resident_code not in current:
        _refuse_issue(actor, purpose, subject, "not_found")
        raise refusal(
            "request",
            "開示できる本人確認情報がありません。",
            "請求書の内容を確認し、受付からやり直してください。",
            "provision.disclosure_not_found",
        )
    person = current[request.resident_code]
    document = pdf.disclosure_pdf(
        person=person,
        history=selectors.version_views(request.resident_code, with_number=True),
        issued_on=clock.today(),
    )
    digest = hashlib.sha256(document).hexdigest()
    with transaction.atomic():
        printed = DisclosureRequest.objects.filter(
            pk=request.pk, status=DisclosureRequest.Status.RECEIVED
        ).update(
            status=DisclosureRequest.Status.DISCLOSED,
            disclosed_at=clock.now(),
            disclosed_by=actor,
            form_sha256=digest,
        )
        if printed:
            _event(actor, action, purpose, subject, individual_number_used=True, after_digest=digest)
    if not printed:  # printed meanwhile by another desk
        _refuse_issue(actor, purpose, subject, "already_disclosed")
        raise _reprint()
    return document


def record_correction(
    *, actor: Any, request_id: int, items: list[str], note: str, purpose: str
) -> CorrectionRequest:
    """Record a 訂正・追加・削除の申出 about a disclosed record (the outcome follows later)."""
    action = AuditAction.PROVISION_CORRECTION_RECORD
    authorize(actor=actor, permission=Permission.PROVISION_DISCLOSURE, action=action, purpose=purpose)
    request = DisclosureRequest.objects.filter(
        pk=request_id, status=DisclosureRequest.Status.DISCLOSED
    ).first()
    wanted = clean_items(items)
    if request is None or not wanted:
        raise refusal(
            "correction",
            "訂正の申出は、開示済みの請求について、対象の項目を選んで記録します。",
            "開示済みの請求を選び、訂正を求める項目を1つ以上選んでください。",
            "provision.correction_invalid",
        )
    with transaction.atomic():
        correction = CorrectionRequest.objects.create(
            disclosure=request, items=wanted, note=note.replace("\x00", "")[:400], received_by=actor
        )
        _event(actor, action, purpose, str(request.pk), outcome_reason="received")
    return correction


def decide_correction(*, actor: Any, correction_id: int, outcome: str, note: str, purpose: str) -> None:
    """Record the outcome of a correction request (訂正済み: the municipality corrects and notifies)."""
    action = AuditAction.PROVISION_CORRECTION_RECORD
    authorize(actor=actor, permission=Permission.PROVISION_DISCLOSURE, action=action, purpose=purpose)
    decided = (CorrectionRequest.Outcome.CORRECTED, CorrectionRequest.Outcome.NOT_CORRECTED)
    with transaction.atomic():
        correction = (
            CorrectionRequest.objects.select_for_update()
            .filter(pk=correction_id, outcome=CorrectionRequest.Outcome.PENDING)
            .first()
        )
        if correction is None or outcome not in decided:
            raise refusal(
                "outcome",
                "調査中の訂正の申出がないか、結果が不正です。",
                "調査中の申出を選び、訂正済みまたは訂正しないを選んでください。",
                "provision.correction_outcome",
            )
        correction.outcome = outcome
        correction.outcome_note = note.replace("\x00", "")[:400]
        correction.decided_by = actor
        correction.decided_at = clock.now()
        correction.save()
        _event(actor, action, purpose, str(correction.disclosure_id), outcome_reason=outcome)


def desk_requests(*, actor: Any, purpose: str) -> list[DisclosureRequest]:
    """The desk's latest requests with their corrections (no personal data in the rows), audited."""
    action = AuditAction.PROVISION_DISCLOSURE_RECEIVE
    authorize(actor=actor, permission=Permission.PROVISION_DISCLOSURE, action=action, purpose=purpose)
    requests = list(DisclosureRequest.objects.prefetch_related("corrections").order_by("-created_at")[:100])
    record_event(
        actor=actor,
        action=action,
        purpose=purpose,
        subject_type="disclosure_list",
        result_count=len(requests),
        **audit_context(),
    )
    return requests
