"""What the municipality trusts in JPKI (std 7.2.5-a): the 機構's CA pinned here and its 失効リスト.

* The CA certificate is stored in this node's directory at setup (``jpki-ca.pem``, by
  ``manage.py pin_jpki_authority --file``; the 機構 exports it with ``manage.py export_jpki_authority``). Once
  pinned it is never replaced silently: another certificate is refused. Audited
  ``registry:jpki_authority:pin``.
* The 失効リスト (X.509 CRL) is fetched from the 機構 (QUERY_REVOCATION_LIST) daily by the node and after
  every 失効申請; its signature must verify with the pinned CA's key, else it is refused and audited
  (``registry.jpki_crl_untrusted``) and the list in force stays. Kept as ``JpkiRevocationList``.
* ``trusted_status`` is what an e-application's 署名用電子証明書 is checked against: the pinned CA, and
  the serial's status in the newest CRL (a CRL past its nextUpdate, or none, refuses everything).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import QUERY_REVOCATION_LIST
from jumin.jukinet.common.jpki_revocation import decode_crl, encode_crl
from jumin.jukinet.common.signing_certificate import GOOD, REVOKED
from jumin.jukinet.cs.operators import BATCH_TERMINAL, operator_ids
from jumin.jukinet.cs.services import NATIONAL, peer_configured
from jumin.messaging import conf, housekeeping
from jumin.messaging.services import query
from jumin.registry.models_jpki import JpkiRevocationList

PINNED_FILE = "jpki-ca.pem"
SUBJECT_TYPE = "jpki_revocation_list"
_CODE = "registry.jpki"


def _pinned_path() -> Path:
    return conf.local_node().files.root / PINNED_FILE


def _refused(field: str, reason: str, remedy: str, code: str) -> DomainError:
    return refusal(field, reason, remedy, f"{_CODE}_{code}")


def _authority_from_pem(pem: bytes) -> x509.Certificate:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not constraints.ca or not isinstance(certificate.public_key(), Ed25519PublicKey):
            raise ValueError
        certificate.verify_directly_issued_by(certificate)  # self-signed: a CA certificate
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        raise _refused(
            "file",
            "機構の認証局（JPKI）の証明書として読み取れません。",
            "機構から受け取った PEM 形式の CA 証明書を指定してください。",
            "authority_unreadable",
        ) from None
    return certificate


def pin_authority(pem: bytes, *, actor: Any = None) -> x509.Certificate:
    """Pin the 機構's JPKI CA certificate here (setup); the same one again is a no-op, another refused."""
    certificate = _authority_from_pem(pem)
    path = _pinned_path()
    current = pinned_authority()
    if current is not None and current != certificate:
        raise _refused(
            "file",
            "別の機構認証局の証明書がすでに固定されています。",
            "機構に確認し、正しい証明書であれば運用手順に従って固定を解除してから設定してください。",
            "authority_pinned",
        )
    if current is None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(certificate.public_bytes(Encoding.PEM))
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.REGISTRY_JPKI_AUTHORITY_PIN,
            subject_type="jpki_authority",
            subject_id=f"{certificate.serial_number:X}"[:64],
            reason="固定済みと同一" if current is not None else "固定",
        )
    return certificate


def pinned_authority() -> x509.Certificate | None:
    """The pinned 機構 CA certificate, or None before setup."""
    path = _pinned_path()
    return x509.load_pem_x509_certificate(path.read_bytes()) if path.exists() else None


def _audit_fetch(actor: Any, purpose: str, outcome: Outcome, reason: str, subject: str, count: int) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.REGISTRY_JPKI_CRL_FETCH,
            subject_type=SUBJECT_TYPE,
            subject_id=subject,
            purpose=purpose,
            outcome=outcome,
            outcome_reason=reason,
            result_count=count,
        )


def fetch_revocation_list(*, actor: Any = None, purpose: str = "registry_batch") -> JpkiRevocationList:
    """Fetch the 機構's 失効リスト, verify it against the pinned CA and keep it; refused (and audited)
    without a pinned CA or when the signature or issuer is not the pinned CA's."""
    authority = pinned_authority()
    if authority is None:
        _audit_fetch(actor, purpose, Outcome.REFUSED, f"{_CODE}_no_authority", "-", 0)
        raise _refused(
            "authority",
            "機構の認証局の証明書が固定されていません。",
            "manage.py pin_jpki_authority で機構の CA 証明書を固定してください。",
            "no_authority",
        )
    operator_id, terminal_id = operator_ids(actor, terminal_fallback=BATCH_TERMINAL)
    answer = query(
        query_type=QUERY_REVOCATION_LIST,
        receiver=NATIONAL,
        payload={"operator_id": operator_id, "terminal_id": terminal_id},
        actor=actor,
    )
    crl = decode_crl(answer["crl"])
    key = authority.public_key()
    if (
        crl.issuer != authority.subject
        or not isinstance(key, Ed25519PublicKey)
        or not crl.is_signature_valid(key)
        or crl.next_update_utc is None
    ):
        _audit_fetch(actor, purpose, Outcome.REFUSED, f"{_CODE}_crl_untrusted", "-", 0)
        raise _refused(
            "crl",
            "失効リストの署名が固定した機構認証局のものではありません。",
            "機構との接続と固定した CA 証明書を確かめてください（現在の失効リストを使い続けます）。",
            "crl_untrusted",
        )
    with transaction.atomic():
        row = JpkiRevocationList.objects.create(
            fetched_at=timezone.now(),
            this_update=crl.last_update_utc,
            next_update=crl.next_update_utc,
            revoked_count=len(crl),
            der=encode_crl(crl),
        )
    _audit_fetch(actor, purpose, Outcome.DONE, "", str(row.pk), row.revoked_count)
    return row


def fetch_revocation_list_daily() -> int:
    """The node's own daily fetch (housekeeping): 1 when a list was kept, 0 when not set up or refused."""
    if not peer_configured(NATIONAL) or pinned_authority() is None:
        return 0
    try:
        fetch_revocation_list()
    except DomainError:
        return 0  # audited; the list in force stays until the next run
    return 1


@dataclass(frozen=True)
class TrustedStatus:
    """What the municipality itself holds about a 署名用電子証明書: the pinned CA and its CRL status."""

    authority: x509.Certificate
    status: str  # GOOD | REVOKED


def trusted_status(serial: str, now: datetime, refuse: Any) -> TrustedStatus:
    """The pinned CA and ``serial``'s status in the newest CRL, or ``refuse`` (no pinned CA, no CRL in
    force at ``now``)."""
    authority = pinned_authority()
    if authority is None:
        raise refuse("signing_certificate", "機構の認証局の証明書が固定されていません。", "no_trust_anchor")
    latest = JpkiRevocationList.objects.order_by("-fetched_at", "-pk").first()
    if latest is None or latest.next_update < now:
        raise refuse(
            "signing_certificate",
            "有効な失効リストがありません（未取得または期限切れ）。",
            "no_revocation_list",
        )
    crl = decode_crl(latest.der)
    revoked = crl.get_revoked_certificate_by_serial_number(int(serial, 16)) is not None
    return TrustedStatus(authority=authority, status=REVOKED if revoked else GOOD)


housekeeping.register("registry.fetch_jpki_revocation_list", fetch_revocation_list_daily, kind="municipality")
