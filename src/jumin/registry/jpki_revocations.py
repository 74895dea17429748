"""失効申請 of a resident's JPKI certificate, recorded at the counter (std 7.2.5-a).

A clerk records the holder's (or their representative's) request to revoke the 署名用 or 利用者証明用
certificate of their live 個人番号カード, with the reason. It goes to the 機構 as a signed query
(QUERY_CERTIFICATE_REVOCATION), which revokes it with its existing revocation code and answers the serial
and time; the request and the answer (or the refusal) are kept (``CertificateRevocationRequest``) and
audited naming the person. After a 署名用 revocation the 失効リスト is fetched again at once
(``jpki_trust.fetch_revocation_list``), so e-applications here refuse the certificate from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ResidentStatus
from jumin.jukinet.common.catalogue import QUERY_CERTIFICATE_REVOCATION
from jumin.jukinet.common.jpki_revocation import APPLICANTS, CERTIFICATES, MAX_REASON, SIGNING
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.services import NATIONAL
from jumin.messaging.services import query
from jumin.registry import jpki_trust
from jumin.registry.models import Resident
from jumin.registry.models_jpki import CertificateRevocationRequest

SUBJECT_TYPE = "certificate_revocation"
_CODE = "registry.certificate_revocation"


@dataclass(frozen=True)
class RevocationRequest:
    """What the clerk typed: the person, which certificate, who applied and why."""

    atena_number: str
    certificate: str  # signing | user
    applicant: str  # self | legal_representative | proxy
    reason: str


@dataclass(frozen=True)
class RevocationDone:
    """The 機構's answer, and whether the 失効リスト here was refreshed after it."""

    serial: str
    revoked_at: datetime
    certificate_name: str
    list_refreshed: bool


@dataclass(frozen=True)
class RevocationRow:
    """One recorded 失効申請 on the screen's list."""

    requested_at: datetime
    atena_number: str
    name: str
    certificate_name: str
    applicant_name: str
    reason: str
    serial: str
    refusal_code: str
    user_name: str


def _check(request: RevocationRequest) -> Resident:
    if request.certificate not in CERTIFICATES:
        raise refusal(
            "certificate",
            "失効させる電子証明書の種類が不正です。",
            "署名用か利用者証明用を選んでください。",
            _CODE,
        )
    if request.applicant not in APPLICANTS:
        raise refusal(
            "applicant", "申請者の区分が不正です。", "本人・法定代理人・任意代理人から選んでください。", _CODE
        )
    if not request.reason.strip() or len(request.reason) > MAX_REASON:
        raise refusal(
            "reason",
            "失効の理由がないか長すぎます。",
            f"理由を{MAX_REASON}文字以内で入力してください。",
            _CODE,
        )
    resident = (
        Resident.objects.select_related("current").filter(atena_number=request.atena_number.strip()).first()
    )
    current = resident.current if resident is not None else None
    if current is None or current.status != ResidentStatus.RESIDENT.value or not current.juminhyo_code:
        raise refusal(
            "atena_number",
            "住民票コードのある現存の住民ではありません。",
            "宛名番号を確かめてください（消除された方の電子証明書は機構が失効させています）。",
            f"{_CODE}_unknown",
        )
    return resident  # type: ignore[return-value]


def _record(
    actor: Any,
    purpose: str,
    request: RevocationRequest,
    resident: Resident,
    answer: dict[str, str],
    code: str,
) -> None:
    with transaction.atomic():
        row = CertificateRevocationRequest.objects.create(
            resident=resident,
            certificate=request.certificate,
            applicant=request.applicant,
            reason=request.reason.strip(),
            requested_at=timezone.now(),
            user=actor,
            serial=answer.get("serial", ""),
            revoked_at=datetime.fromisoformat(answer["revoked_at"]) if answer else None,
            refusal_code=code[:100],
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CERTIFICATE_REVOCATION_REQUEST,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            purpose=purpose,
            reason=f"{request.certificate} {request.applicant}",
            outcome=Outcome.REFUSED if code else Outcome.DONE,
            outcome_reason=code[:100],
            concerning=[resident.atena_number],
        )


def request_revocation(*, actor: Any, purpose: str, request: RevocationRequest) -> RevocationDone:
    """Send the 失効申請 to the 機構 and keep it with the answer; the 機構's refusal is kept, audited
    and raised (nothing revoked)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_CERTIFICATE_REVOCATION_REQUEST,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    resident = _check(request)
    operator_id, terminal_id = operator_ids(actor)
    try:
        answer = query(
            query_type=QUERY_CERTIFICATE_REVOCATION,
            receiver=NATIONAL,
            payload={
                "resident_code": resident.current.juminhyo_code,  # type: ignore[union-attr]
                "certificate": request.certificate,
                "applicant": request.applicant,
                "reason": request.reason.strip(),
                "operator_id": operator_id,
                "terminal_id": terminal_id,
            },
            actor=actor,
        )
    except DomainError as error:
        _record(actor, purpose, request, resident, {}, error.code)
        raise
    _record(actor, purpose, request, resident, answer, "")
    refreshed = False
    if request.certificate == SIGNING:
        try:
            jpki_trust.fetch_revocation_list(actor=actor, purpose=purpose)
            refreshed = True
        except DomainError:
            pass  # audited; the daily fetch catches up, and the relay's status already says revoked
    return RevocationDone(
        serial=answer["serial"],
        revoked_at=datetime.fromisoformat(answer["revoked_at"]),
        certificate_name=CERTIFICATES[request.certificate],
        list_refreshed=refreshed,
    )


def recent_requests(*, actor: Any, purpose: str, limit: int = 100) -> list[RevocationRow]:
    """The latest recorded 失効申請, newest first; audited with the people listed."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_CERTIFICATE_REVOCATION_LIST,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    query_set = CertificateRevocationRequest.objects.select_related("resident__current", "user")
    rows = []
    with transaction.atomic():
        for row in query_set.order_by("-requested_at", "-pk")[: max(1, min(limit, 1000))]:
            current = row.resident.current
            rows.append(
                RevocationRow(
                    requested_at=row.requested_at,
                    atena_number=row.resident.atena_number,
                    name=f"{current.surname}　{current.given_name}".strip() if current else "",
                    certificate_name=CERTIFICATES.get(row.certificate, row.certificate),
                    applicant_name=APPLICANTS.get(row.applicant, row.applicant),
                    reason=row.reason,
                    serial=row.serial,
                    refusal_code=row.refusal_code,
                    user_name=row.user.get_full_name() or row.user.get_username(),
                )
            )
        record_results(
            actor,
            "resident",
            sorted({row.atena_number for row in rows}),
            purpose,
            "certificate_revocation_list",
            action=AuditAction.RESIDENT_CERTIFICATE_REVOCATION_LIST,
            result_count=len(rows),
        )
    return rows
