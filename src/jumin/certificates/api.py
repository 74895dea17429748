"""JSON API of certificates (Django Ninja) at /api/certificates. Thin: parse, one service call, return.

People travel in bodies, never in URLs. The signed PDF comes back base64-encoded in the JSON body.
"""

from __future__ import annotations

import base64

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from jumin.certificates import services
from jumin.domain.certificates import (
    CertificateKind,
    CertificateOptions,
    CertificateRequest,
    IdentityCheck,
    Layout,
    RequesterClass,
    ThirdPartyPurpose,
)

router = Router(tags=["証明書"])


class RequestIn(Schema):
    requester_class: RequesterClass
    identity_check: IdentityCheck
    requester_name: str = ""
    power_of_attorney_checked: bool = False
    third_party_purpose: ThirdPartyPurpose | None = None
    purpose_detail: str = ""
    request_reason: str = ""
    submit_to: str = ""
    alerts_acknowledged: bool = False


class OptionsIn(Schema):
    atena_numbers: list[str]
    kind: CertificateKind = CertificateKind.COPY
    layout: Layout = Layout.HOUSEHOLD
    whole_household: bool = True
    with_history: bool = False
    show_head_and_relationship: bool = True
    show_honseki: bool = False
    show_juminhyo_code: bool = False
    show_individual_number: bool = False
    show_foreign_items: bool = True
    omit_katagaki: bool = False
    copies: int = 1


class IssueIn(Schema):
    purpose: str
    request: RequestIn
    options: OptionsIn
    printer: str = ""


class IssuedOut(Schema):
    issuance_id: int
    copy_numbers: list[str]
    fee: int
    sheets: int
    pdf_base64: str


class PreviewOut(Schema):
    subjects: list[str]
    alerts: list[dict[str, str]]
    support_measure: bool


class VoidIn(Schema):
    purpose: str
    copy_number: str
    reason: str


class VerificationOut(Schema):
    valid: bool
    reason: str
    copy_numbers: list[str]


class ErrorOut(Schema):
    field: str
    reason: str
    remedy: str
    code: str


class RefusedOut(Schema):
    message: str


def _parsed(data: IssueIn) -> tuple[CertificateRequest, CertificateOptions]:
    options = data.options.dict()
    options["atena_numbers"] = tuple(options["atena_numbers"])
    return CertificateRequest(**data.request.dict()), CertificateOptions(**options)


@router.post("/preview", response={200: PreviewOut, 400: ErrorOut, 403: RefusedOut})
def preview(request: HttpRequest, data: IssueIn) -> dict[str, object]:
    """The confirmation step: who would be printed, and the alerts to acknowledge."""
    certificate_request, options = _parsed(data)
    result = services.preview_certificate(
        actor=request.user, purpose=data.purpose, request=certificate_request, options=options
    )
    return {
        "subjects": list(result.subjects),
        "alerts": [alert.__dict__ for alert in result.alerts],
        "support_measure": result.support_measure,
    }


@router.post("/issue", response={200: IssuedOut, 400: ErrorOut, 403: RefusedOut})
def issue(request: HttpRequest, data: IssueIn) -> dict[str, object]:
    """Issue, sign, number and record a certificate; the PDF is in ``pdf_base64``."""
    certificate_request, options = _parsed(data)
    issued = services.issue_certificate(
        actor=request.user,
        purpose=data.purpose,
        request=certificate_request,
        options=options,
        printer=data.printer,
    )
    return {
        "issuance_id": issued.issuance_id,
        "copy_numbers": list(issued.copy_numbers),
        "fee": issued.fee,
        "sheets": issued.sheets,
        "pdf_base64": base64.b64encode(issued.pdf).decode("ascii"),
    }


@router.post("/void", response={200: dict, 400: ErrorOut, 403: RefusedOut})
def void(request: HttpRequest, data: VoidIn) -> dict[str, object]:
    """Record a wrongly issued copy as voided and destroyed."""
    services.void_copy(
        actor=request.user, purpose=data.purpose, copy_number=data.copy_number, reason=data.reason
    )
    return {"voided": data.copy_number}


@router.post("/verify", response={200: VerificationOut, 403: RefusedOut})
def verify(request: HttpRequest, purpose: Form[str], file: File[UploadedFile]) -> dict[str, object]:
    """Check an uploaded PDF's signature and match its 発行番号 against the 交付履歴."""
    result = services.verify_certificate(data=file.read(), actor=request.user, purpose=purpose)
    return {"valid": result.valid, "reason": result.reason, "copy_numbers": list(result.copy_numbers)}
