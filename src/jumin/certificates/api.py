"""JSON API of certificates (Django Ninja) at /api/certificates. Thin: parse, one service call, return.

People travel in bodies, never in URLs. The signed PDF comes back base64-encoded in the JSON body.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from jumin.certificates import (
    card_forms,
    certificate_settings,
    history,
    registry_notices,
    self_notification,
    services,
    support_end_notices,
    support_start_notices,
)
from jumin.certificates import move_in_notice_inquiry as move_in_notice_inquiry_letter
from jumin.domain.card_face import CardFaceKind, PrintAdjustment
from jumin.domain.certificate_settings import OptionDefaults
from jumin.domain.certificates import (
    DEFAULT_FOREIGN_ITEMS,
    ITEM_FLAGS,
    CertificateKind,
    CertificateOptions,
    CertificateRequest,
    ForeignItem,
    IdentityCheck,
    Layout,
    RequesterClass,
    ThirdPartyPurpose,
)
from jumin.domain.errors import refusal

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
    acknowledged_alerts: list[str] = Field(default_factory=list)
    # 加害者照合: the requester's 宛名番号 here, or 生年月日 (with requester_name).
    requester_atena_number: str = ""
    requester_birth_date: date | None = None


class OptionsIn(Schema):
    """What to print. An item left out (null) takes the kind's configured default (standard 5.1-a)."""

    atena_numbers: list[str]
    kind: CertificateKind = CertificateKind.COPY
    layout: Layout | None = None
    whole_household: bool | None = None
    with_history: bool | None = None
    show_head_and_relationship: bool | None = None
    show_honseki: bool | None = None
    show_juminhyo_code: bool | None = None
    show_individual_number: bool | None = None
    show_foreign_items: bool | None = None
    foreign_items: list[ForeignItem] | None = None  # 5.1-b: each foreign item on its own
    omit_katagaki: bool = False
    copies: int = 1
    generation: int | None = None  # 改製原住民票・再製原住民票の写し: the generation (see /generations)


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
    asked = data.options.dict()
    asked["atena_numbers"] = tuple(asked["atena_numbers"])
    if asked["foreign_items"] is not None:
        asked["foreign_items"] = frozenset(asked["foreign_items"])
    kind = asked.pop("kind")
    options = certificate_settings.option_defaults(kind).options(kind, **asked)
    request = data.request.dict()
    request["acknowledged_alerts"] = tuple(request["acknowledged_alerts"])
    return CertificateRequest(**request), options


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
    return _issued_out(issued)


def _issued_out(issued: services.IssuedCertificate) -> dict[str, object]:
    return {
        "issuance_id": issued.issuance_id,
        "copy_numbers": list(issued.copy_numbers),
        "fee": issued.fee,
        "sheets": issued.sheets,
        "pdf_base64": base64.b64encode(issued.pdf).decode("ascii"),
    }


class ReissueIn(Schema):
    purpose: str
    request: RequestIn
    copy_number: str
    printer: str = ""


@router.post("/reissue", response={200: IssuedOut, 400: ErrorOut, 403: RefusedOut})
def reissue(request: HttpRequest, data: ReissueIn) -> dict[str, object]:
    """再交付 of a 転出証明書 by its original 発行番号: marked 「再交付」, the state at the original issue."""
    issued = services.reissue_certificate(
        actor=request.user,
        purpose=data.purpose,
        request=_request(data.request),
        copy_number=data.copy_number,
        printer=data.printer,
    )
    return _issued_out(issued)


def _request(data: RequestIn) -> CertificateRequest:
    values = data.dict()
    values["acknowledged_alerts"] = tuple(values["acknowledged_alerts"])
    return CertificateRequest(**values)


class MoveOutAtCommitIn(Schema):
    purpose: str
    request: RequestIn
    change_id: int
    kind: CertificateKind = CertificateKind.MOVE_OUT
    printer: str = ""


@router.post("/move-out-at-commit", response={200: IssuedOut, 400: ErrorOut, 403: RefusedOut})
def move_out_at_commit(request: HttpRequest, data: MoveOutAtCommitIn) -> dict[str, object]:
    """The 転出証明書 of a committed 国内転出 by its 異動番号 (standard 4.1.3.0.3-a); after a late (職権)
    notification ``kind`` is ``move_out_substitute`` or ``removed_copy``. Recorded with the change."""
    issued = services.issue_at_move_out_commit(
        actor=request.user,
        purpose=data.purpose,
        request=_request(data.request),
        change_id=data.change_id,
        kind=data.kind,
        printer=data.printer,
    )
    return _issued_out(issued)


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


class PersonIn(Schema):
    purpose: str
    atena_number: str


class HistoryCopyOut(Schema):
    copy_number: str
    voided: bool


class HistoryRowOut(Schema):
    issuance_id: int
    issued_at: datetime
    kind: str
    copies: int
    requester_class: str
    channel: str
    official_use: bool
    voided: bool
    issued_copies: list[HistoryCopyOut]


@router.post("/history", response={200: list[HistoryRowOut], 400: ErrorOut, 403: RefusedOut})
def issuance_history(request: HttpRequest, data: PersonIn) -> list[dict[str, object]]:
    """交付履歴の照会: the person's issuances, newest first (audited read)."""
    rows = history.issuance_history(actor=request.user, purpose=data.purpose, atena_number=data.atena_number)
    return [
        {**row.__dict__, "voided": row.voided, "issued_copies": [c.__dict__ for c in row.issued_copies]}
        for row in rows
    ]


class GenerationOut(Schema):
    number: int
    first_history_no: int
    last_history_no: int
    started_on: date
    closed_on: date | None  # the 改製日 or 再製日 that closed it
    closed_by: str  # 「改製」 or 「再製」 (the kind to request: original_copy or restored_original)
    is_current: bool


@router.post("/generations", response={200: list[GenerationOut], 400: ErrorOut, 403: RefusedOut})
def generations(request: HttpRequest, data: PersonIn) -> list[dict[str, object]]:
    """The generations of a person's record and their periods (改製・再製原住民票 first; audited read)."""
    periods = services.original_generations(
        actor=request.user, purpose=data.purpose, atena_number=data.atena_number
    )
    return [period.__dict__ for period in periods]


class SelfNotificationIn(PersonIn):
    identity_check: IdentityCheck


@router.post("/self-notification/register", response={200: dict, 400: ErrorOut, 403: RefusedOut})
def register_self_notification(request: HttpRequest, data: SelfNotificationIn) -> dict[str, object]:
    """本人通知の登録 (standard 8.1)."""
    registration_id = self_notification.register_self_notification(
        actor=request.user,
        purpose=data.purpose,
        atena_number=data.atena_number,
        identity_check=data.identity_check,
    )
    return {"registration_id": registration_id}


@router.post("/self-notification/withdraw", response={200: dict, 400: ErrorOut, 403: RefusedOut})
def withdraw_self_notification(request: HttpRequest, data: PersonIn) -> dict[str, object]:
    """本人通知の登録の廃止."""
    self_notification.withdraw_self_notification(
        actor=request.user, purpose=data.purpose, atena_number=data.atena_number
    )
    return {"withdrawn": True}


class NoticesIn(Schema):
    purpose: str
    include_printed: bool = False


class NoticeRowOut(Schema):
    notice_id: int
    atena_number: str
    issued_at: datetime
    kind: str
    copies: int
    requester_class: str
    printed: bool


@router.post("/self-notices", response={200: list[NoticeRowOut], 403: RefusedOut})
def self_notices(request: HttpRequest, data: NoticesIn) -> list[dict[str, object]]:
    """本人通知の送付一覧 (not yet printed, unless ``include_printed``)."""
    rows = self_notification.notices_to_send(
        actor=request.user, purpose=data.purpose, include_printed=data.include_printed
    )
    return [row.__dict__ for row in rows]


class NoticePrintIn(Schema):
    purpose: str
    notice_id: int


class PdfOut(Schema):
    pdf_base64: str


@router.post("/self-notices/print", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def print_self_notice(request: HttpRequest, data: NoticePrintIn) -> dict[str, object]:
    """One 本人通知's signed PDF; marks it printed."""
    pdf = self_notification.print_self_notice(
        actor=request.user, purpose=data.purpose, notice_id=data.notice_id
    )
    return _pdf_out(pdf)


class CodeNoticeIn(PersonIn):
    kind: registry_notices.CodeNoticeKind


class ChangeNoticeIn(Schema):
    purpose: str
    change_id: int


def _pdf_out(pdf: bytes) -> dict[str, object]:
    return {"pdf_base64": base64.b64encode(pdf).decode("ascii")}


@router.post("/notices/juminhyo-code", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def juminhyo_code_notice(request: HttpRequest, data: CodeNoticeIn) -> dict[str, object]:
    """住民票コード通知票 / 変更通知票 / 修正通知票 (signed PDF)."""
    return _pdf_out(
        registry_notices.print_juminhyo_code_notice(
            actor=request.user, purpose=data.purpose, atena_number=data.atena_number, kind=data.kind
        )
    )


class ChangeCodeNoticeIn(ChangeNoticeIn):
    atena_number: str


@router.post("/notices/juminhyo-code/change", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def change_code_notice(request: HttpRequest, data: ChangeCodeNoticeIn) -> dict[str, object]:
    """The 住民票コード notice a committed change calls for, to one of its people (kind from the change)."""
    return _pdf_out(
        registry_notices.print_change_code_notice(
            actor=request.user, purpose=data.purpose, change_id=data.change_id, atena_number=data.atena_number
        )
    )


@router.post("/notices/ex-officio", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def ex_officio_notice(request: HttpRequest, data: ChangeNoticeIn) -> dict[str, object]:
    """職権記載等通知書 of a committed 職権 change (signed PDF)."""
    return _pdf_out(
        registry_notices.print_ex_officio_notice(
            actor=request.user, purpose=data.purpose, change_id=data.change_id
        )
    )


@router.post("/notices/ex-officio-record", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def ex_officio_record(request: HttpRequest, data: ChangeNoticeIn) -> dict[str, object]:
    """職権記録書 of a committed 職権 change (signed PDF; the office's record, no addressee)."""
    return _pdf_out(
        registry_notices.print_ex_officio_record(
            actor=request.user, purpose=data.purpose, change_id=data.change_id
        )
    )


class MoveReceiptIn(ChangeNoticeIn):
    notifier_name: str = ""
    notifier_capacity: str = ""


@router.post("/notices/move-receipt", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def move_receipt_notice(request: HttpRequest, data: MoveReceiptIn) -> dict[str, object]:
    """住民異動届受理通知 of a committed 転入, 転居, 国外転入等 or 出生 (signed PDF; standard 4.1.0.3-a)."""
    return _pdf_out(
        registry_notices.print_move_receipt_notice(
            actor=request.user,
            purpose=data.purpose,
            change_id=data.change_id,
            notifier_name=data.notifier_name,
            notifier_capacity=data.notifier_capacity,
        )
    )


class MoveInNoticeInquiryIn(Schema):
    purpose: str
    atena_numbers: list[str]
    destination_municipality: str


@router.post("/notices/move-in-notice-inquiry", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def move_in_notice_inquiry(request: HttpRequest, data: MoveInNoticeInquiryIn) -> dict[str, object]:
    """転入通知未着照会書 to the 転入先 市区町村長 of persons on the 未着者一覧 (signed PDF; 4.1.3.1.4-a)."""
    return _pdf_out(
        move_in_notice_inquiry_letter.print_move_in_notice_inquiry(
            actor=request.user,
            purpose=data.purpose,
            atena_numbers=data.atena_numbers,
            destination_municipality=data.destination_municipality,
        )
    )


class MeasureNoticeIn(Schema):
    purpose: str
    measure_id: int


@router.post("/notices/support-end", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def support_end_notice(request: HttpRequest, data: MeasureNoticeIn) -> dict[str, object]:
    """支援措置期間終了通知 to the measure's 申出者 (signed PDF; support-management permission)."""
    return _pdf_out(
        support_end_notices.print_support_end_notice(
            actor=request.user, purpose=data.purpose, measure_id=data.measure_id
        )
    )


@router.post("/notices/support-start", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def support_start_notice(request: HttpRequest, data: MeasureNoticeIn) -> dict[str, object]:
    """支援措置開始通知 to the measure's 申出者 (signed PDF; support-management permission; 3.4-i)."""
    return _pdf_out(
        support_start_notices.print_support_start_notice(
            actor=request.user, purpose=data.purpose, measure_id=data.measure_id
        )
    )


class MeasureNoticesIn(Schema):
    purpose: str
    measure_ids: list[int]


@router.post("/notices/support-end/batch", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def support_end_notices_batch(request: HttpRequest, data: MeasureNoticesIn) -> dict[str, object]:
    """Several measures' 支援措置期間終了通知 as one signed PDF; all or nothing."""
    return _pdf_out(
        support_end_notices.print_support_end_notices(
            actor=request.user, purpose=data.purpose, measure_ids=data.measure_ids
        )
    )


@router.post("/notices/head-change-request", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def head_change_request(request: HttpRequest, data: ChangeNoticeIn) -> dict[str, object]:
    """世帯主変更依頼通知書 for the household a committed change left without its 世帯主 (signed PDF)."""
    return _pdf_out(
        registry_notices.print_head_change_request(
            actor=request.user, purpose=data.purpose, change_id=data.change_id
        )
    )


class CardApplicationIn(PersonIn):
    reapplication: bool = False


@router.post("/card-forms/application", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def card_application(request: HttpRequest, data: CardApplicationIn) -> dict[str, object]:
    """個人番号カード交付申請書 (or 再交付申請書) of one resident (PDF, unsigned: a form to fill in)."""
    return _pdf_out(
        card_forms.print_card_application(
            actor=request.user,
            purpose=data.purpose,
            atena_number=data.atena_number,
            reapplication=data.reapplication,
        )
    )


class CardFaceIn(PersonIn):
    change_id: int
    card_kind: CardFaceKind = CardFaceKind.INDIVIDUAL_NUMBER
    start_line: int = 1


@router.post("/card-forms/card-face", response={200: PdfOut, 400: ErrorOut, 403: RefusedOut})
def card_face(request: HttpRequest, data: CardFaceIn) -> dict[str, object]:
    """The card-face printer's page for what a committed change writes on the person's card."""
    return _pdf_out(
        card_forms.print_card_face(
            actor=request.user,
            purpose=data.purpose,
            atena_number=data.atena_number,
            change_id=data.change_id,
            card_kind=data.card_kind,
            start_line=data.start_line,
        )
    )


class CardFaceSettingIn(Schema):
    purpose: str
    scope: str = Field(pattern="^(terminal|office)$")
    key: str
    font_size_pt: Decimal = Decimal(7)
    line_pitch_mm: Decimal = Decimal(4)
    offset_top_mm: Decimal = Decimal(0)
    offset_left_mm: Decimal = Decimal(0)
    seal_size_mm: Decimal = Decimal(7)


class DoneOut(Schema):
    done: bool


@router.post("/card-forms/settings", response={200: DoneOut, 400: ErrorOut, 403: RefusedOut})
def card_face_setting(request: HttpRequest, data: CardFaceSettingIn) -> dict[str, object]:
    """券面印字の調整 of one terminal (端末ID) or office (入力場所コード)."""
    card_forms.set_card_face_setting(
        actor=request.user,
        purpose=data.purpose,
        scope=data.scope,
        key=data.key,
        adjustment=PrintAdjustment.of(data.dict()),
    )
    return {"done": True}


class OptionDefaultsOut(Schema):
    layout: Layout
    whole_household: bool
    with_history: bool
    show_head_and_relationship: bool
    show_honseki: bool
    show_juminhyo_code: bool
    show_individual_number: bool
    foreign_items: list[ForeignItem]


class SettingRowOut(Schema):
    id: int
    kind: str
    set_at: datetime
    set_by_name: str
    reason: str
    values: dict[str, object]


class CertificateSettingsOut(Schema):
    option_defaults: dict[str, OptionDefaultsOut]
    phrases: dict[str, list[str]]
    seals: dict[str, dict[str, object] | None]
    history: list[SettingRowOut]


def _seal_out(seal: Any) -> dict[str, object] | None:  # an ``OfficialSeal`` or None
    if seal is None:
        return None
    return {"color": seal.color, "size_mm": str(seal.size_mm), "set_at": seal.set_at.isoformat()}


@router.get("/settings", response={200: CertificateSettingsOut, 403: RefusedOut})
def settings_overview(request: HttpRequest) -> dict[str, object]:
    """The settings in force (既定値, 定型文言, 公印) and each change (``certificate:settings:manage``)."""
    overview = certificate_settings.view_settings(actor=request.user)
    history = [
        *(
            {"id": r.pk, "kind": f"option_defaults:{r.kind}", "values": r.values}
            | {"set_at": r.set_at, "set_by_name": r.set_by_name, "reason": r.reason}
            for r in overview.option_defaults
        ),
        *(
            {"id": r.pk, "kind": f"phrases:{r.kind}", "values": {"phrases": r.phrases}}
            | {"set_at": r.set_at, "set_by_name": r.set_by_name, "reason": r.reason}
            for r in overview.phrases
        ),
        *(
            {"id": r.pk, "kind": f"seal:{r.kind}"}
            | {"values": {"color": r.color, "size_mm": str(r.size_mm), "withdrawn": r.withdrawn}}
            | {"set_at": r.set_at, "set_by_name": r.set_by_name, "reason": r.reason}
            for r in overview.seals
        ),
    ]
    return {
        "option_defaults": {k.value: d.as_record() for k, d in overview.defaults_in_force.items()},
        "phrases": {k.value: list(p) for k, p in overview.phrases_in_force.items()},
        "seals": {k.value: _seal_out(s) for k, s in overview.seals_in_force.items()},
        "history": sorted(history, key=lambda row: row["set_at"], reverse=True),
    }


class OptionDefaultsIn(Schema):
    kind: str
    layout: Layout = Layout.HOUSEHOLD
    whole_household: bool = True
    with_history: bool = False
    show_head_and_relationship: bool = True
    show_honseki: bool = False
    show_juminhyo_code: bool = False
    show_individual_number: bool = False
    # Printing the 個人番号 by default needs this too (it is printed only on request).
    individual_number_confirmed: bool = False
    foreign_items: list[ForeignItem] = Field(default_factory=lambda: sorted(DEFAULT_FOREIGN_ITEMS))
    reason: str = ""


@router.post("/settings/option-defaults", response={200: DoneOut, 400: ErrorOut, 403: RefusedOut})
def set_option_defaults(request: HttpRequest, data: OptionDefaultsIn) -> dict[str, object]:
    """記載事項の既定値 of one kind (5.1-a/b); the earlier one stays in the history."""
    values = data.dict()
    certificate_settings.set_option_defaults(
        actor=request.user,
        kind=data.kind,
        defaults=OptionDefaults(
            layout=data.layout,
            foreign_items=frozenset(data.foreign_items),
            **{flag: values[flag] for flag in ITEM_FLAGS},
        ),
        individual_number_confirmed=data.individual_number_confirmed,
        reason=data.reason,
    )
    return {"done": True}


class PhrasesIn(Schema):
    kind: CertificateKind
    phrases: list[str]
    reason: str = ""


@router.post("/settings/phrases", response={200: DoneOut, 400: ErrorOut, 403: RefusedOut})
def set_phrases(request: HttpRequest, data: PhrasesIn) -> dict[str, object]:
    """定型文言 of one certificate kind (5.6-b)."""
    certificate_settings.set_phrases(
        actor=request.user, kind=data.kind.value, lines=data.phrases, reason=data.reason
    )
    return {"done": True}


class SealIn(Schema):
    kind: str
    color: str = "black"
    png_base64: str = ""
    size_mm: Decimal = Decimal(21)
    withdraw: bool = False
    reason: str = ""


def _png(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise refusal(
            "png_base64",
            "電子公印の画像が base64 で符号化されていません。",
            "PNG画像を base64 で符号化して送ってください。",
            "certificates.seal_unreadable",
        ) from None


@router.post("/settings/seals", response={200: DoneOut, 400: ErrorOut, 403: RefusedOut})
def set_seal(request: HttpRequest, data: SealIn) -> dict[str, object]:
    """A certificate-only or card-face 電子公印 (5.6-b), or ``withdraw`` to stop using one."""
    if data.withdraw:
        certificate_settings.withdraw_seal(actor=request.user, kind=data.kind, reason=data.reason)
    else:
        certificate_settings.register_seal(
            actor=request.user,
            kind=data.kind,
            color=data.color,
            png=_png(data.png_base64),
            size_mm=data.size_mm,
            reason=data.reason,
        )
    return {"done": True}
