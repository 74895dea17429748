"""The 機構's side of the 失効申請 and of its 失効リスト (CRL) (std 7.2.5-a).

``answer_revocation_request`` (QUERY_CERTIFICATE_REVOCATION): the registering municipality sends the
失効申請 a clerk recorded; the person's live card (運用中 or 一時停止) loses the named certificate through
the existing revocation code (``jpki.revoke`` / ``jpki.revoke_user_certificate``) and the answer gives its
serial and time. ``answer_revocation_list`` (QUERY_REVOCATION_LIST): the current CRL of 署名用電子証明書,
signed by the JPKI CA key (``jpki.revocation_list``). A refusal goes back to the municipality; messaging
audits it at this node (``node:query:answer``).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.utils import timezone

from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.certificate_serial import serial_of
from jumin.jukinet.common.jpki_revocation import APPLICANTS, SIGNING, encode_crl
from jumin.jukinet.national.models import Card, IdentityRecord, SigningCertificateRevocation
from jumin.jukinet.national.services import jpki
from jumin.messaging.envelope import Envelope

_CODE = "jukinet.national.revocation"


def _refused(field: str, reason: str, remedy: str, code: str) -> DomainError:
    return refusal(field, reason, remedy, f"{_CODE}.{code}")


def _municipality_sender(envelope: Envelope) -> None:
    if envelope.sender.kind != "municipality":
        raise _refused(
            "sender", "市区町村からだけ受け付けます。", "市区町村のノードから送ってください。", "sender"
        )


def answer_revocation_request(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_CERTIFICATE_REVOCATION: revoke the named certificate of the person's live card."""
    _municipality_sender(envelope)
    payload = envelope.payload  # validated by messaging before the answerer runs
    code = payload["resident_code"]
    record = IdentityRecord.objects.filter(resident_code=code, removed=False).first()
    if record is None or record.municipality_code != envelope.sender.code:
        raise _refused(
            "resident_code",
            "送信元の市区町村に住民登録のある方ではありません。",
            "住民登録地の市区町村で申請してもらってください。",
            "not_registered",
        )
    card = (
        Card.objects.select_for_update()
        .filter(resident_code=code, status__in=(Card.Status.ACTIVE, Card.Status.SUSPENDED))
        .order_by("-issued_on", "-pk")
        .first()
    )
    signing = payload["certificate"] == SIGNING
    serial = "" if card is None else card.signing_serial if signing else serial_of(card.public_key)
    if card is None or not serial:
        raise _refused(
            "certificate",
            "失効させる電子証明書が有効なカードにありません。",
            "カードの状態と電子証明書の有無を確かめてください。",
            "no_certificate",
        )
    reason = f"失効申請（{APPLICANTS[payload['applicant']]}）: {payload['reason']}"
    revoked = jpki.revoke(card, reason) if signing else jpki.revoke_user_certificate(card, reason)
    if not revoked:
        raise _refused(
            "certificate",
            "この電子証明書はすでに失効しています。",
            "失効の記録を確かめてください。",
            "already_revoked",
        )
    row = SigningCertificateRevocation.objects.get(serial=serial)
    return {"serial": serial, "revoked_at": row.revoked_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def answer_revocation_list(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_REVOCATION_LIST: the 機構's CRL of 署名用電子証明書 as of now."""
    _municipality_sender(envelope)
    return {"crl": encode_crl(jpki.revocation_list(timezone.now()))}
