"""Fetch the 利用者証明用 and 署名用電子証明書シリアル番号 through 住基ネット (std 7.1.2.4-a, 1.1.1-c).

``fetch_certificate_serial`` asks the national node (QUERY_CERTIFICATE_SERIAL) for a current person of
this CS and records the outcome as one ``CertificateSerialFetch`` row in every case: the serial with
its 登録日, none, or the telegram error (unreachable node, refusal, bad answer) with its code and
Japanese reason. So the card status can show the latest serial (``latest``) and the errors stay
listed (``failed_fetches``) instead of vanishing with the screen. Each fetch is audited with the person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import QUERY_CERTIFICATE_SERIAL
from jumin.jukinet.cs import access
from jumin.jukinet.cs.models import CsIdentity
from jumin.jukinet.cs.models_cards import CertificateSerialFetch
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import NATIONAL
from jumin.messaging.queries import query

Result = CertificateSerialFetch.Result
SUBJECT_TYPE = "cs_card_serial"
MAX_LIST = 500


def fetch_certificate_serial(
    resident_code: str,
    *,
    actor: Any,
    purpose: str,
    then: Callable[[CertificateSerialFetch], object] | None = None,
) -> CertificateSerialFetch:
    """Ask the national node and record the outcome (a telegram error is recorded, not raised).

    Needs the CS card permission (AccessRefused, audited, otherwise). Refused (DomainError, nothing
    asked) for a 住民票コード the CS does not hold as a current person. ``then`` runs with the saved row
    in the same transaction: the registry keeps the serials in its own table there (1.1.1-c) without
    this node importing it.
    """
    access.require(
        actor=actor,
        permission=Permission.CS_CARD,
        action=AuditAction.CS_CARD_SERIAL_FETCH,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    identity = CsIdentity.objects.filter(resident_code=resident_code, removed=False).first()
    if identity is None:
        raise refusal(
            "resident_code",
            "市町村CSにこの方の現存する本人確認情報がありません。",
            "住民票コードを確認してください。",
            "jukinet.cs.serial.unknown_person",
        )
    operator_id, terminal_id = operator_ids(actor)
    row = CertificateSerialFetch(resident_code=resident_code, fetched_at=timezone.now())
    try:
        answer = query(
            query_type=QUERY_CERTIFICATE_SERIAL,
            receiver=NATIONAL,
            payload={"resident_code": resident_code, "operator_id": operator_id, "terminal_id": terminal_id},
            actor=actor,
        )
    except DomainError as error:
        row.result, row.error_code = Result.ERROR, error.code[:64]
        row.error_reason = f"{error.reason}（{error.remedy}）"[:400]
    else:
        if answer["found"]:
            row.result, row.serial = Result.FOUND, answer["serial"]
            row.registered_on = date.fromisoformat(answer["registered_on"])
            row.card_status = answer["card_status"]
            if answer["signing_serial"]:
                row.signing_serial = answer["signing_serial"]
                row.signing_valid_until = date.fromisoformat(answer["signing_valid_until"])
                row.signing_status = answer["signing_status"]
        else:
            row.result = Result.NONE
    with transaction.atomic():
        row.save()
        record_event(
            actor=actor,
            action=AuditAction.CS_CARD_SERIAL_FETCH,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            reason="電子証明書シリアル番号の取得（利用者証明用・署名用）",
            purpose=purpose,
            outcome=Outcome.REFUSED if row.result == Result.ERROR else Outcome.DONE,
            outcome_reason=row.error_code,
            concerning=person_ids([resident_code]),
        )
        if then is not None:
            then(row)
    return row


def latest(resident_code: str) -> CertificateSerialFetch | None:
    """The person's latest fetch (shown with the card status), or None when never fetched."""
    return CertificateSerialFetch.objects.filter(resident_code=resident_code).order_by("-pk").first()


def failed_fetches() -> list[CertificateSerialFetch]:
    """Telegram errors whose person has had no later successful fetch, newest first (at most 500)."""
    errors = CertificateSerialFetch.objects.filter(result=Result.ERROR).order_by("-pk")[:MAX_LIST]
    return [row for row in errors if latest(row.resident_code) == row]
