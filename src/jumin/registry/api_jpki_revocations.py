"""JSON API of the 電子証明書の失効申請 (JPKI, std 7.2.5-a), mounted at /api/registry/certificate-revocations.

``/request`` (record a 失効申請 and send it to the 機構) and ``/list`` (the recorded ones, audited with
the people listed). Thin like jumin.registry.api: everything in bodies, never URLs.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jumin.registry import jpki_revocations
from jumin.registry.api_common import ERRORS

router = Router(tags=["電子証明書の失効申請"])


class PurposeIn(Schema):
    purpose: str


class RevocationIn(Schema):
    purpose: str
    atena_number: str
    certificate: str
    applicant: str
    reason: str


@router.post("/request", response={200: jpki_revocations.RevocationDone, **ERRORS})
def request_revocation(request: HttpRequest, payload: RevocationIn) -> Status[object]:
    """Record the 失効申請 and have the 機構 revoke the certificate (its refusal comes back as 400)."""
    done = jpki_revocations.request_revocation(
        actor=request.user,
        purpose=payload.purpose,
        request=jpki_revocations.RevocationRequest(
            atena_number=payload.atena_number,
            certificate=payload.certificate,
            applicant=payload.applicant,
            reason=payload.reason,
        ),
    )
    return Status(200, done)


@router.post("/list", response={200: list[jpki_revocations.RevocationRow], **ERRORS})
def recent(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """The recorded 失効申請, newest first."""
    return Status(200, jpki_revocations.recent_requests(actor=request.user, purpose=payload.purpose))
