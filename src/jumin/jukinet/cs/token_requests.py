"""符号取得要求 through 住基ネット (std 7.1.2.2-a; system.md F18a): send, receive the receipt, check.

The registry asks for a person known to the CS (``request_token``, in the registry's transaction); the
CS sends TOKEN_REQUEST to the national node with the 住民票コード only, and keeps one ``TokenRequest``
row. The national node answers TOKEN_RECEIPT with the 処理通番 it accepted the request under, or a
refusal (``apply_receipt``). ``unanswered`` is the check the standard asks for: requests sent but not
answered after a grace period (the message still queued, set aside, or lost on the way). Every send
and receipt is audited with the person (their 提供状況).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.jukinet.common.catalogue import TOKEN_REQUEST
from jumin.jukinet.common.token_request import ACCEPTED, validate_receipt_payload
from jumin.jukinet.cs import access
from jumin.jukinet.cs.models import CsIdentity
from jumin.jukinet.cs.models_token_requests import TokenRequest, TokenRequestState
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import NATIONAL
from jumin.messaging.envelope import Envelope
from jumin.messaging.handlers import HandlerRefused
from jumin.messaging.services import enqueue

SUBJECT_TYPE = "cs_token_request"
#: A request still unanswered this long after it was sent is listed by ``unanswered``.
ANSWER_GRACE = timedelta(hours=1)
MAX_LIST = 500


def request_token(resident_code: str, *, actor: Any) -> TokenRequest:
    """Send one 符号取得要求 for a current person of this CS (call inside the caller's transaction).

    Refused (DomainError, nothing sent) for a 住民票コード the CS does not hold or holds as 消除, and
    while an earlier request of the person is still unanswered (a duplicate would get a second 処理通番).
    """
    identity = CsIdentity.objects.filter(resident_code=resident_code).first()
    if identity is None or identity.removed:
        raise refusal(
            "resident_code",
            "市町村CSにこの方の現存する本人確認情報がありません。",
            "住民票コードを確認し、本人確認情報の更新が済んでから要求してください。",
            "jukinet.cs.token.unknown_person",
        )
    if TokenRequest.objects.filter(resident_code=resident_code, state=TokenRequestState.SENT).exists():
        raise refusal(
            "resident_code",
            "この方の符号取得要求は回答待ちです。",
            "未回答の要求一覧で送信状況を確認してください。",
            "jukinet.cs.token.pending",
        )
    row = TokenRequest.objects.create(
        request_id=uuid.uuid4().hex,
        resident_code=resident_code,
        municipality_code=identity.municipality_code,
        state=TokenRequestState.SENT,
        sent_at=timezone.now(),
    )
    enqueue(
        message_type=TOKEN_REQUEST,
        receiver=NATIONAL,
        subject=f"tok-{row.request_id}",
        payload={
            "request_id": row.request_id,
            "resident_code": resident_code,
            "municipality_code": row.municipality_code,
        },
        actor=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.CS_TOKEN_REQUEST,
        subject_type=SUBJECT_TYPE,
        subject_id=str(row.pk),
        reason="符号取得要求",
        concerning=person_ids([resident_code]),
    )
    return row


def apply_receipt(envelope: Envelope) -> None:
    """Handler of TOKEN_RECEIPT: record the 処理通番 or the refusal on the request (idempotent).

    A receipt for a request this CS never sent is refused for good (HandlerRefused, set aside).
    """
    payload = envelope.payload
    validate_receipt_payload(payload)
    row = TokenRequest.objects.select_for_update().filter(request_id=payload["request_id"]).first()
    if row is None:
        raise HandlerRefused("jukinet.cs.token.unknown_request")
    if row.state != TokenRequestState.SENT:
        return
    accepted = payload["result"] == ACCEPTED
    row.state = TokenRequestState.ACCEPTED if accepted else TokenRequestState.REFUSED
    row.process_number = payload["process_number"]
    row.code, row.reason = payload["code"], payload["reason"][:400]
    row.answered_at = timezone.now()
    row.save(update_fields=["state", "process_number", "code", "reason", "answered_at"])
    record_event(
        actor=None,
        action=AuditAction.CS_TOKEN_RECEIPT,
        subject_type=SUBJECT_TYPE,
        subject_id=str(row.pk),
        reason=f"from {envelope.sender}",
        outcome=Outcome.DONE if accepted else Outcome.REFUSED,
        outcome_reason=row.code,
        concerning=person_ids([row.resident_code]),
    )


def send_by_operator(resident_code: str, *, actor: Any, purpose: str) -> TokenRequest:
    """``request_token`` from the CS host (``jumin cs token-requests --send``): the worklist permission."""
    _require(actor, purpose)
    with transaction.atomic():
        return request_token(resident_code, actor=actor)


def unanswered_for_operator(
    *, actor: Any, purpose: str, grace: timedelta = ANSWER_GRACE
) -> list[TokenRequest]:
    """``unanswered`` for an operator with the worklist permission (the check is audited as a list)."""
    _require(actor, purpose)
    rows = unanswered(grace=grace)
    record_event(
        actor=actor,
        action=AuditAction.CS_TOKEN_REQUEST,
        subject_type=SUBJECT_TYPE,
        subject_id="unanswered",
        reason="未回答の符号取得要求の確認",
        purpose=purpose,
        result_count=len(rows),
        concerning=person_ids([row.resident_code for row in rows]),
    )
    return rows


def _require(actor: Any, purpose: str) -> None:
    access.require(
        actor=actor,
        permission=Permission.CS_CONSISTENCY,
        action=AuditAction.CS_TOKEN_REQUEST,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )


def unanswered(*, grace: timedelta = ANSWER_GRACE) -> list[TokenRequest]:
    """Requests sent more than ``grace`` ago and never answered, oldest first (at most 500)."""
    cutoff = timezone.now() - grace
    rows = TokenRequest.objects.filter(state=TokenRequestState.SENT, sent_at__lte=cutoff)
    return list(rows.order_by("sent_at", "pk")[:MAX_LIST])


def requests_of(resident_code: str) -> list[TokenRequest]:
    """One person's requests, newest first."""
    return list(TokenRequest.objects.filter(resident_code=resident_code).order_by("-pk")[:MAX_LIST])
