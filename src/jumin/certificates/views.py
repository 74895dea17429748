"""Clerk screens: request → confirmation → signed PDF; verification by upload; voiding. Thin.

Everything travels by POST, so no 宛名番号 or other personal data ever appears in a URL; the PDF is
downloaded under a name made of the internal issuance id only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.authorization import AccessRefused
from jumin.certificates import (
    card_forms,
    certificate_settings,
    print_settings,
    registry_notices,
    services,
    support_end_notices,
    support_start_notices,
)
from jumin.certificates import history as history_selectors
from jumin.certificates import move_in_notice_inquiry as move_in_notice_inquiry_letter
from jumin.certificates import self_notification as self_notices
from jumin.certificates.forms import (
    CardFaceSettingForm,
    CardFormsForm,
    ChangeCodeNoticeForm,
    IssueForm,
    MoveInNoticeInquiryForm,
    MoveOutAtCommitForm,
    NoticeListForm,
    OptionDefaultsForm,
    PersonForm,
    PhrasesForm,
    PrintSettingForm,
    RegistryNoticeForm,
    SealForm,
    SelfNotificationForm,
    SupportEndNoticesForm,
    VerifyForm,
    VoidForm,
)
from jumin.domain.card_face import CardFaceKind, PrintAdjustment
from jumin.domain.certificate_settings import DEFAULTS_KINDS
from jumin.domain.certificates import CertificateKind, CertificateOptions
from jumin.domain.errors import DomainError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def refused(request: HttpRequest, error: AccessRefused) -> HttpResponse:
    """The 403 page for a refusal (already audited by the service)."""
    return render(request, "certificates/refused.html", {"message": error.message}, status=403)


@login_required
def menu(request: HttpRequest) -> HttpResponse:
    """証明書 menu."""
    return render(request, "certificates/menu.html")


def _options(form: IssueForm) -> CertificateOptions:
    """The form's options over the kind's configured defaults (standard 5.1-a)."""
    kind = CertificateKind(form.cleaned_data["kind"])
    return form.options(certificate_settings.option_defaults(kind))


def _initial_issue_form(request: HttpRequest) -> dict[str, Any] | None:
    """A new request form pre-filled with the defaults of the kind chosen (``?kind=``, not personal
    data), else of the 住民票の写し; the 世代の一覧's ``prefill`` POST fills in the rest."""
    prefill = request.POST.get("prefill") == "1"
    if request.method == "POST" and not prefill:
        return None
    asked = request.POST.get("kind") if prefill else request.GET.get("kind")
    kind = CertificateKind(asked) if asked in {k.value for k in CertificateKind} else CertificateKind.COPY
    initial = IssueForm.initial_for(certificate_settings.option_defaults(kind), kind)
    return {**initial, **request.POST.dict()} if prefill else initial


def _issue_from_form(actor: Any, form: IssueForm) -> services.IssuedCertificate:
    """交付, or the 再交付 of a 転出証明書 when the original 発行番号 is given (with the original options)."""
    data = form.cleaned_data
    if data["reissue_of"].strip():
        return services.reissue_certificate(
            actor=actor,
            purpose=data["purpose"],
            request=form.request(),
            copy_number=data["reissue_of"],
            printer=data["printer"],
        )
    return services.issue_certificate(
        actor=actor,
        purpose=data["purpose"],
        request=form.request(),
        options=_options(form),
        printer=data["printer"],
    )


def _certificate_pdf(issued: services.IssuedCertificate) -> HttpResponse:
    """The signed certificate, named by the internal issuance id only."""
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    # Paper (the terminal's print setting): opened in the viewer to print; else saved.
    disposition = "inline" if issued.on_paper else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="certificate-{issued.issuance_id}.pdf"'
    return response


@login_required
def move_out_at_commit(request: HttpRequest) -> HttpResponse:
    """「証明書を交付」 of a 転出's 本登録 result (standard 4.1.3.0.3-a; POST only, the 異動番号 in the body):
    the signed PDF, or this form again with the refusal so the clerk can correct the request."""
    form = MoveOutAtCommitForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.issue_at_move_out_commit(
                actor=request.user,
                purpose=data["purpose"],
                request=form.request(),
                change_id=data["change_id"],
                kind=CertificateKind(data["kind"]),
            )
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
        else:
            return _certificate_pdf(issued)
    return render(request, "certificates/move_out_at_commit.html", context)


@login_required
def issue(request: HttpRequest) -> HttpResponse:
    """住民票の写し等の交付: the request form; "確認" shows who is printed and any alerts; "交付" issues.

    ``prefill`` (the 世代の一覧's button) opens the form filled in, without validating or reading anything.
    """
    initial = _initial_issue_form(request)
    form = IssueForm(None if initial is not None else request.POST, initial=initial)
    context: dict[str, Any] = {"form": form, "defaults_kinds": DEFAULTS_KINDS}
    if initial is None and form.is_valid():
        step = request.POST.get("step", "confirm")
        try:
            if step == "issue":
                return _certificate_pdf(_issue_from_form(request.user, form))
            preview = services.preview_certificate(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                request=form.request(),
                options=_options(form),
            )
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
        else:
            return render(request, "certificates/confirm.html", {"form": form, "preview": preview})
    return render(request, "certificates/issue.html", context)


@login_required
def print_setting(request: HttpRequest) -> HttpResponse:
    """端末の印刷設定 (standard 10.7-a): one terminal's printer, tray and default output."""

    def save(actor: Any, data: dict[str, Any]) -> None:
        print_settings.set_print_setting(
            actor=actor,
            purpose=data["purpose"],
            terminal_id=data["terminal_id"],
            printer=data["printer"],
            tray=data["tray"],
            output=data["output"],
        )

    return _setting_screen(request, PrintSettingForm, save, "certificates/print_setting.html")


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """証明書の検証: upload a PDF; the signature and the 発行番号 are checked against the 交付履歴."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", "ファイルが大きすぎます（10MBまで）。")
        else:
            try:
                context["result"] = services.verify_certificate(
                    data=upload.read(), actor=request.user, purpose=form.cleaned_data["purpose"]
                )
            except AccessRefused as error:
                return refused(request, error)
    return render(request, "certificates/verify.html", context)


@login_required
def void(request: HttpRequest) -> HttpResponse:
    """誤交付・廃棄の記録 (standard 1.3.8-a)."""
    form = VoidForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            services.void_copy(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                copy_number=form.cleaned_data["copy_number"],
                reason=form.cleaned_data["reason"],
            )
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
        else:
            context["done"] = True
    return render(request, "certificates/void.html", context)


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def _printed(
    request: HttpRequest, context: dict[str, Any], make: Callable[[], bytes], name: str
) -> HttpResponse | None:
    """The PDF ``make`` prints, the refusal page (403) or None with the domain error put in ``context``."""
    try:
        return _pdf(make(), name)
    except AccessRefused as error:
        return refused(request, error)
    except DomainError as error:
        context["error"] = error
        return None


@login_required
def history(request: HttpRequest) -> HttpResponse:
    """交付履歴の照会: a person's issuances (POST only; the registry's record screen links here by a form)."""
    prefill = request.POST.get("prefill") == "1"
    form = PersonForm(None if prefill else (request.POST or None), initial=request.POST if prefill else None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and not prefill and form.is_valid():
        try:
            context["rows"] = history_selectors.issuance_history(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=form.cleaned_data["atena_number"],
            )
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
    return render(request, "certificates/history.html", context)


@login_required
def generations(request: HttpRequest) -> HttpResponse:
    """改製原住民票の世代の一覧: a person's generations and periods (POST only), each earlier one with a
    button that opens the request form for its 改製原住民票の写し."""
    form = PersonForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            context["periods"] = services.original_generations(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=form.cleaned_data["atena_number"],
            )
            context["atena_number"] = form.cleaned_data["atena_number"].strip()
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
    return render(request, "certificates/generations.html", context)


@login_required
def self_notification(request: HttpRequest) -> HttpResponse:
    """本人通知の登録・廃止 (standard 8.1)."""
    form = SelfNotificationForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "register":
                self_notices.register_self_notification(
                    actor=request.user,
                    purpose=data["purpose"],
                    atena_number=data["atena_number"],
                    identity_check=form.identity(),
                )
            else:
                self_notices.withdraw_self_notification(
                    actor=request.user, purpose=data["purpose"], atena_number=data["atena_number"]
                )
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
        else:
            context["done"] = data["action"]
    return render(request, "certificates/self_notification.html", context)


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """本人通知の送付一覧, and one notice's PDF (「通知書を作成」)."""
    form = NoticeListForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["notice_id"]:
                pdf = self_notices.print_self_notice(
                    actor=request.user, purpose=data["purpose"], notice_id=data["notice_id"]
                )
                return _pdf(pdf, f"self-notice-{data['notice_id']}")
            context["rows"] = self_notices.notices_to_send(
                actor=request.user, purpose=data["purpose"], include_printed=data["include_printed"]
            )
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
    return render(request, "certificates/notices.html", context)


def _registry_notice_pdf(actor: Any, data: dict[str, Any]) -> bytes:
    notice, purpose = data["notice"], data["purpose"]
    if notice.startswith("code_"):
        return registry_notices.print_juminhyo_code_notice(
            actor=actor,
            purpose=purpose,
            atena_number=data["atena_number"] or "",
            kind=registry_notices.CodeNoticeKind(notice.removeprefix("code_")),
        )
    if notice == "support_end":
        return support_end_notices.print_support_end_notice(
            actor=actor, purpose=purpose, measure_id=data["measure_id"] or 0
        )
    if notice == "support_start":
        return support_start_notices.print_support_start_notice(
            actor=actor, purpose=purpose, measure_id=data["measure_id"] or 0
        )
    if notice == "move_receipt":
        return registry_notices.print_move_receipt_notice(
            actor=actor,
            purpose=purpose,
            change_id=data["change_id"] or 0,
            notifier_name=data["notifier_name"],
            notifier_capacity=data["notifier_capacity"],
        )
    printer = {
        "ex_officio": registry_notices.print_ex_officio_notice,
        "ex_officio_record": registry_notices.print_ex_officio_record,
    }.get(notice, registry_notices.print_head_change_request)
    return printer(actor=actor, purpose=purpose, change_id=data["change_id"] or 0)


@login_required
def registry_notice(request: HttpRequest) -> HttpResponse:
    """通知書の作成 from registry data: 住民票コード通知票等, 職権記載等通知書, 職権記録書,
    住民異動届受理通知, 世帯主変更依頼通知書, 支援措置期間終了通知 (the 期間終了予定一覧's print buttons post
    here) and 支援措置開始通知 (the support measure's detail screen posts here)."""
    form = RegistryNoticeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        printed = _printed(request, context, lambda: _registry_notice_pdf(request.user, data), data["notice"])
        if printed is not None:
            return printed
    return render(request, "certificates/registry_notice.html", context)


def _notice_from_link(
    request: HttpRequest,
    form: forms.Form,
    make: Callable[[dict[str, Any]], bytes],
    name: Callable[[dict[str, Any]], str],
    incomplete: DomainError,
) -> HttpResponse:
    """A notice another screen's button asks for (POST only: what it names travels in the body): the PDF,
    or the registry notice screen with the domain error, or with ``incomplete`` when the post lacks items."""
    context: dict[str, Any] = {"form": RegistryNoticeForm()}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        printed = _printed(request, context, lambda: make(data), name(data))
        if printed is not None:
            return printed
    elif request.method == "POST":
        context["error"] = incomplete
    return render(request, "certificates/registry_notice.html", context)


@login_required
def change_code_notice(request: HttpRequest) -> HttpResponse:
    """「通知書を作成」 of the registry's change screens: the 住民票コード notice the committed change calls
    for (POST only: the 異動番号 and 宛名番号 travel in the body, never in the URL)."""
    return _notice_from_link(
        request,
        ChangeCodeNoticeForm(request.POST or None),
        lambda data: registry_notices.print_change_code_notice(
            actor=request.user,
            purpose=data["purpose"],
            change_id=data["change_id"],
            atena_number=data["atena_number"],
        ),
        lambda data: f"code_notice-{data['change_id']}",
        DomainError(
            field="purpose",
            reason="通知書を作成する異動・対象者・利用目的が足りません。",
            remedy="異動の画面の「通知書を作成」から操作するか、この画面で入力してください。",
            code="certificates.change_notice_incomplete",
        ),
    )


@login_required
def move_in_notice_inquiry(request: HttpRequest) -> HttpResponse:
    """転入通知未着照会書 (standard 4.1.3.1.4-a) of the persons ticked on the 未着者一覧 (POST only)."""
    return _notice_from_link(
        request,
        MoveInNoticeInquiryForm(request.POST or None),
        lambda data: move_in_notice_inquiry_letter.print_move_in_notice_inquiry(
            actor=request.user,
            purpose=data["purpose"],
            atena_numbers=data["atena_numbers"],
            destination_municipality=data["destination_municipality"],
        ),
        lambda data: "move_in_notice_inquiry",
        DomainError(
            field="purpose",
            reason="照会書を作成する利用目的が足りません。",
            remedy="転入通知未着者一覧を表示してから「転入通知未着照会書を作成」を押してください。",
            code="certificates.inquiry_incomplete",
        ),
    )


@login_required
def support_end_notice_batch(request: HttpRequest) -> HttpResponse:
    """支援措置期間終了通知 of every measure of the 期間終了予定一覧, as one PDF (POST from the list)."""
    form = SupportEndNoticesForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        printed = _printed(
            request,
            context,
            lambda: support_end_notices.print_support_end_notices(
                actor=request.user, purpose=data["purpose"], measure_ids=data["measure_ids"]
            ),
            "support_end_notices",
        )
        if printed is not None:
            return printed
    return render(request, "certificates/registry_notice.html", context)


def _card_form_pdf(actor: Any, data: dict[str, Any]) -> bytes:
    if data["form"] == "card_face":
        if not data["change_id"]:
            raise DomainError(
                field="change_id",
                reason="券面の追記には異動番号が必要です。",
                remedy="券面に記載する本登録済みの異動の異動番号を入力してください。",
                code="certificates.card_face_change_required",
            )
        return card_forms.print_card_face(
            actor=actor,
            purpose=data["purpose"],
            atena_number=data["atena_number"],
            change_id=data["change_id"],
            card_kind=CardFaceKind(data["card_kind"] or CardFaceKind.INDIVIDUAL_NUMBER.value),
            start_line=data["start_line"] or 1,
        )
    return card_forms.print_card_application(
        actor=actor,
        purpose=data["purpose"],
        atena_number=data["atena_number"],
        reapplication=data["form"] == "reapplication",
    )


@login_required
def card_form(request: HttpRequest) -> HttpResponse:
    """カード関係の様式 (standard 7.1.1.3-b): the 交付申請書 / 再交付申請書 (the registry's record screen
    posts here) or the card-face print of a committed change, with the adjustment in force shown."""
    prefill = request.POST.get("prefill") == "1"
    form = CardFormsForm(
        None if prefill else (request.POST or None), initial=request.POST if prefill else None
    )
    adjustment, source = card_forms.adjustment_in_force()
    context: dict[str, Any] = {"form": form, "adjustment": adjustment, "adjustment_source": source}
    if request.method == "POST" and not prefill and form.is_valid():
        data = form.cleaned_data
        printed = _printed(request, context, lambda: _card_form_pdf(request.user, data), data["form"])
        if printed is not None:
            return printed
    return render(request, "certificates/card_forms.html", context)


def _setting_screen(
    request: HttpRequest,
    form_class: type[forms.Form],
    save: Callable[[Any, dict[str, Any]], None],
    template: str,
) -> HttpResponse:
    """A device-setting screen: the form, one service call, the refusal or 「登録しました」."""
    form = form_class(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            save(request.user, form.cleaned_data)
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
        else:
            context["done"] = True
    return render(request, template, context)


@login_required
def card_face_setting(request: HttpRequest) -> HttpResponse:
    """券面印字の調整: the size and position of the card-face print for one terminal or office."""

    def save(actor: Any, data: dict[str, Any]) -> None:
        card_forms.set_card_face_setting(
            actor=actor,
            purpose=data["purpose"],
            scope=data["scope"],
            key=data["key"],
            adjustment=PrintAdjustment.of(data),
        )

    return _setting_screen(request, CardFaceSettingForm, save, "certificates/card_face_setting.html")


def _save_settings(request: HttpRequest) -> tuple[forms.Form | None, DomainError | None]:
    """Save one posted settings form (``section``: defaults, phrases or seal).

    Returns the form when it is to be shown again (invalid or refused) and the refusal, if any.
    """
    section = request.POST.get("section", "")
    form: forms.Form
    if section == "defaults":
        form = OptionDefaultsForm(request.POST)
    elif section == "phrases":
        form = PhrasesForm(request.POST)
    elif section == "seal":
        form = SealForm(request.POST, request.FILES)
    else:
        return None, None
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    try:
        if isinstance(form, OptionDefaultsForm):
            certificate_settings.set_option_defaults(
                actor=request.user,
                kind=data["kind"],
                defaults=form.defaults(),
                individual_number_confirmed=data["individual_number_confirmed"],
                reason=data["reason"],
            )
        elif isinstance(form, PhrasesForm):
            certificate_settings.set_phrases(
                actor=request.user,
                kind=data["kind"],
                lines=data["phrases"].splitlines(),
                reason=data["reason"],
            )
        elif data["withdraw"]:
            certificate_settings.withdraw_seal(actor=request.user, kind=data["kind"], reason=data["reason"])
        else:
            upload = data["seal_png"]
            certificate_settings.register_seal(
                actor=request.user,
                kind=data["kind"],
                color=data["color"],
                png=upload.read(MAX_UPLOAD_BYTES) if upload else b"",
                size_mm=data["seal_size_mm"] or "",
                reason=data["reason"],
            )
    except DomainError as error:
        return form, error
    return None, None


@login_required
def settings_screen(request: HttpRequest) -> HttpResponse:
    """証明書の設定 (standard 5.1-a, 5.6-b): 記載事項の既定値, 定型文言 and 電子公印 with their history."""
    try:
        posted, error = _save_settings(request) if request.method == "POST" else (None, None)
        overview = certificate_settings.view_settings(actor=request.user)
    except AccessRefused as error:
        return refused(request, error)
    saved = request.method == "POST" and posted is None and error is None
    forms_by_section = {
        "defaults": OptionDefaultsForm(),
        "phrases": PhrasesForm(),
        "seal": SealForm(),
        **({request.POST.get("section", ""): posted} if posted is not None else {}),
    }
    context = {"overview": overview, "forms": forms_by_section, "error": error, "saved": saved}
    return render(request, "certificates/settings.html", context, status=400 if posted else 200)
