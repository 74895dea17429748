"""Screens of the 統合端末 (M4): search, 本人確認 with the card, card events, 整合性確認, worklists,
広域交付.

Thin: a form, one service call, a template. A refusal (permission, or not a CS terminal) is the 403
page, already audited by the service; a DomainError is shown on the screen with its remedy.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.forms import PurposeForm
from jumin.accounts.services import biometric_only_terminal
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import (
    cards,
    certificate_lists,
    consistency,
    exchanges,
    move_in_notices,
    special_move_in,
    special_move_out,
    wide_area,
    worklists,
)
from jumin.jukinet.cs import sending_addresses as sending
from jumin.jukinet.cs.search import IdentitySearch, search_identity

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]
MAX_CARD_BYTES = 16 * 1024


def cs_screen(view: View[P]) -> View[P]:
    """``login_required``; a refusal anywhere in ``view`` becomes the 403 page."""

    @functools.wraps(view)
    def screen(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AccessRefused as error:
            return render(request, "web/refused.html", {"message": error.message}, status=403)

    return cast("View[P]", login_required(screen))


class SearchForm(PurposeForm):
    by = forms.ChoiceField(
        label="検索の種類",
        choices=[
            ("resident_code", "住民票コード"),
            ("individual_number", "個人番号"),
            ("four_items", "4情報"),
        ],
    )
    resident_code = forms.CharField(label="住民票コード（11桁）", max_length=11, required=False)
    individual_number = forms.CharField(
        label="個人番号（12桁、特定個人情報アクセス権限が必要）", max_length=12, required=False
    )
    name = forms.CharField(label="氏名（漢字）", max_length=100, required=False)
    name_kana = forms.CharField(label="氏名（フリガナ）", max_length=100, required=False)
    birth_date = forms.CharField(label="生年月日（YYYYMMDD、YYYYMM、YYYY）", max_length=8, required=False)
    sex = forms.ChoiceField(
        label="性別", choices=[("", "指定しない"), ("male", "男"), ("female", "女")], required=False
    )
    address = forms.CharField(label="住所（一部でも可）", max_length=200, required=False)
    include_removed = forms.BooleanField(label="消除者も含める", required=False)
    reason = forms.CharField(label="照会の目的（100文字以内）", max_length=100)


class CardVerifyForm(PurposeForm):
    card = forms.FileField(label="カード（jumin-card/1・2 のファイル）")
    pin = forms.CharField(label="暗証番号（本人が入力）", max_length=4, widget=forms.PasswordInput)


class WideAreaOptionsForm(forms.Form):
    """What the person asks for in a 広域交付 (no 本籍・筆頭者, 個人番号 or history), either route."""

    kind = forms.ChoiceField(
        label="証明書の種類",
        choices=wide_area.KIND_CHOICES,
        initial=wide_area.KIND_CHOICES[0][0],
        required=False,  # left out: a 住民票の写し, as before the choice existed
    )
    former_municipality_code = forms.CharField(
        label="除票のある市区町村コード（除票の写しのとき。請求者が申し出た転出・死亡等の前の住所地、6桁）",
        max_length=6,
        required=False,
    )
    scope = forms.ChoiceField(
        label="請求の範囲",
        choices=[
            ("self", "本人のみ"),
            ("household", "世帯全員"),
            ("members", "世帯の一部（下に住民票コード）"),
        ],
    )
    member_resident_codes = forms.CharField(
        label="記載する方の住民票コード（世帯の一部のとき。改行または読点で区切る）",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    layout = forms.ChoiceField(label="様式", choices=[("household", "世帯連記式"), ("personal", "個人票")])
    show_head_and_relationship = forms.BooleanField(
        label="世帯主・続柄を記載する", required=False, initial=True
    )
    show_juminhyo_code = forms.BooleanField(label="住民票コードを記載する", required=False)
    copies = forms.IntegerField(label="通数", min_value=1, max_value=10, initial=1)

    def wide_area_request(self) -> wide_area.WideAreaRequest:
        """The request of the validated form."""
        data = self.cleaned_data
        codes = data["member_resident_codes"].replace("、", "\n").replace(",", "\n").split()
        return wide_area.WideAreaRequest(
            scope=data["scope"],
            member_resident_codes=tuple(codes),
            layout=data["layout"],
            show_head_and_relationship=data["show_head_and_relationship"],
            show_juminhyo_code=data["show_juminhyo_code"],
            copies=data["copies"],
            kind=data["kind"] or wide_area.KIND_CHOICES[0][0],
            former_municipality_code=data["former_municipality_code"],
        )


class WideAreaForm(CardVerifyForm, WideAreaOptionsForm):
    """広域交付 with the card and PIN, then what the person asks for."""


class WideAreaDocumentForm(PurposeForm, WideAreaOptionsForm):
    """広域交付 without a card: the ID document the clerk checked and the 4情報 on the request."""

    identity_check = forms.ChoiceField(
        label="確認した本人確認書類",
        choices=[(method.value, method.label) for method in wide_area.DOCUMENT_CHECKS],
    )
    name = forms.CharField(label="氏名（住民票のとおり）", max_length=100)
    name_kana = forms.CharField(label="氏名（フリガナ、任意）", max_length=100, required=False)
    birth_date = forms.CharField(label="生年月日（YYYYMMDD）", max_length=8)
    sex = forms.ChoiceField(label="性別", choices=[("male", "男"), ("female", "女")])
    address = forms.CharField(label="住所（住民票のとおり）", max_length=200)

    def person(self) -> wide_area.PersonByDocument:
        """The requester of the validated form."""
        data = self.cleaned_data
        return wide_area.PersonByDocument(
            identity_check=data["identity_check"],
            name=data["name"],
            name_kana=data["name_kana"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            address=data["address"],
        )


class WideAreaRecordsForm(PurposeForm):
    day = forms.DateField(label="交付日（YYYY-MM-DD）", widget=forms.DateInput(attrs={"type": "date"}))


class CardEventForm(PurposeForm):
    card_serial = forms.CharField(label="カードシリアル番号", max_length=12)
    resident_code = forms.CharField(label="住民票コード", max_length=11)
    event = forms.ChoiceField(
        label="事象",
        choices=[
            ("suspend", "一時停止"),
            ("release", "一時停止解除"),
            ("abolish", "廃止"),
            ("return", "返還"),
            ("collect", "回収"),
        ],
    )
    reason = forms.CharField(label="理由", max_length=100, required=False)


class ConsistencyForm(PurposeForm):
    target = forms.ChoiceField(
        label="相手",
        choices=[
            ("both", "都道府県と機構"),
            ("prefecture", "都道府県"),
            ("national", "機構"),
            ("fuhyo", "附票（附票都道府県サーバ）"),
        ],
    )


class ResolveForm(PurposeForm):
    rejection_id = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="行った修正（職権修正など）", max_length=200)


def _card_json(upload: Any) -> Any:
    """The uploaded card file's JSON, or None (refused by ``parse_card``) when it is not one."""
    if upload.size > MAX_CARD_BYTES:
        return None
    try:
        return json.loads(upload.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context.setdefault("cs_terminal", biometric_only_terminal())
    return render(request, template, context)


@require_http_methods(["GET"])
@cs_screen
def index(request: HttpRequest) -> HttpResponse:
    """The 統合端末 menu (no personal data)."""
    return _render(request, "jukinet_cs/index.html", {})


@require_http_methods(["GET", "POST"])
@cs_screen
def search(request: HttpRequest) -> HttpResponse:
    """本人確認情報検索: the CS file first, then 「都道府県に照会」 or 「機構への照会」."""
    form = SearchForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        query = IdentitySearch(
            by=data["by"],
            resident_code=data["resident_code"],
            individual_number=data["individual_number"],
            name=data["name"],
            name_kana=data["name_kana"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            address=data["address"],
            include_removed=data["include_removed"],
            reason=data["reason"],
        )
        target = request.POST.get("target", "local")
        try:
            context["outcome"] = search_identity(
                actor=request.user, purpose=data["purpose"], search=query, target=target
            )
        except DomainError as error:
            context["error"] = error
    return _render(request, "jukinet_cs/search.html", context)


@require_http_methods(["GET", "POST"])
@cs_screen
def card_verify(request: HttpRequest) -> HttpResponse:
    """本人確認 with the card: the clerk gives the card, the person types the PIN."""
    form = CardVerifyForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            card_json = _card_json(data["card"])
            check = cards.verify_with_card(
                actor=request.user, purpose=data["purpose"], card_json=card_json, pin=data["pin"]
            )
            context["check"] = check
        except DomainError as error:
            context["error"] = error
    return _render(request, "jukinet_cs/card_verify.html", context)


@require_http_methods(["GET", "POST"])
@cs_screen
def wide_area_issue(request: HttpRequest) -> HttpResponse:
    """広域交付: card check, the registering municipality renders the copy, the PDF comes back to print.

    The PDF is sent to the browser once and not kept; its file name holds only the record's id.
    """
    form = WideAreaForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            copy = wide_area.issue_wide_area_copy(
                actor=request.user,
                purpose=data["purpose"],
                card_json=_card_json(data["card"]),
                pin=data["pin"],
                request=form.wide_area_request(),
            )
        except DomainError as error:
            context["error"] = error
        else:
            return _wide_area_pdf(copy)
    return _render(request, "jukinet_cs/wide_area.html", context)


def _wide_area_pdf(copy: wide_area.WideAreaCopy) -> HttpResponse:
    """The copy to print, sent once and not cached; the file name holds only the record's id."""
    response = HttpResponse(copy.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="wide-area-{copy.issuance_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@cs_screen
def wide_area_by_document(request: HttpRequest) -> HttpResponse:
    """広域交付 without a card: an ID document and the 4情報, matched to one person at the national node."""
    form = WideAreaDocumentForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "by_document": True}
    if request.method == "POST" and form.is_valid():
        try:
            copy = wide_area.issue_wide_area_copy_by_document(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                person=form.person(),
                request=form.wide_area_request(),
            )
        except DomainError as error:
            context["error"] = error
        else:
            return _wide_area_pdf(copy)
    return _render(request, "jukinet_cs/wide_area.html", context)


@require_http_methods(["GET", "POST"])
@cs_screen
def wide_area_records(request: HttpRequest) -> HttpResponse:
    """広域交付の交付記録: what was issued here on a day (POST, so the read is chosen and audited)."""
    form = WideAreaRecordsForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        context["rows"] = wide_area.wide_area_records(
            actor=request.user, purpose=data["purpose"], day=data["day"]
        )
    return _render(request, "jukinet_cs/wide_area_records.html", context)


@require_http_methods(["GET", "POST"])
@cs_screen
def card_events(request: HttpRequest) -> HttpResponse:
    """Card events to 個人番号カード管理システム: 一時停止・解除・廃止・返還・回収."""
    form = CardEventForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cards.send_card_event(
                actor=request.user,
                purpose=data["purpose"],
                card_serial=data["card_serial"],
                resident_code=data["resident_code"],
                event=data["event"],
                reason=data["reason"],
            )
            context["sent"] = True
        except DomainError as error:
            context["error"] = error
    return _render(request, "jukinet_cs/card_events.html", context)


class ProvisionStatusForm(PurposeForm):
    resident_code = forms.CharField(label="住民票コード（11桁）", max_length=11)


@require_http_methods(["GET", "POST"])
@cs_screen
def provision_status(request: HttpRequest) -> HttpResponse:
    """本人確認情報の提供状況: every exchange of this CS that concerned one person (POST only)."""
    form = ProvisionStatusForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            context["status"] = exchanges.provision_status(
                actor=request.user, purpose=data["purpose"], resident_code=data["resident_code"]
            )
        except DomainError as error:
            context["error"] = error
    return _render(request, "jukinet_cs/provision_status.html", context)


@require_http_methods(["GET", "POST"])
@cs_screen
def consistency_runs(request: HttpRequest) -> HttpResponse:
    """整合性確認: run it, and the list of runs with their counts."""
    form = ConsistencyForm(request.POST or request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        if request.method == "POST":
            context["started"] = consistency.run_consistency(
                actor=request.user, purpose=data["purpose"], target=data["target"]
            )
        context["runs"] = consistency.recent_runs(actor=request.user, purpose=data["purpose"])
        context["purpose"] = data["purpose"]
    return _render(request, "jukinet_cs/consistency.html", context)


@require_http_methods(["GET"])
@cs_screen
def consistency_run(request: HttpRequest, run_id: object) -> HttpResponse:
    """The differences of one run (the worklist)."""
    run_id = str(run_id)
    purpose = request.GET.get("purpose", "")
    rows = consistency.differences_of(actor=request.user, purpose=purpose, run_id=run_id)
    return _render(
        request, "jukinet_cs/consistency_run.html", {"rows": rows, "run_id": run_id, "purpose": purpose}
    )


@require_http_methods(["GET", "POST"])
@cs_screen
def worklist(request: HttpRequest) -> HttpResponse:
    """返却エラー一覧・送信待ち一覧・CS未連携; 「送信」 queues the waiting notices."""
    form = PurposeForm(request.POST or request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        purpose = form.cleaned_data["purpose"]
        if request.method == "POST" and "send" in request.POST:
            context["sent"] = worklists.send_pending(actor=request.user, purpose=purpose)
        elif request.method == "POST":
            resolve = ResolveForm(request.POST)
            if resolve.is_valid():
                try:
                    worklists.resolve_rejection(
                        actor=request.user,
                        purpose=purpose,
                        rejection_id=resolve.cleaned_data["rejection_id"],
                        note=resolve.cleaned_data["note"],
                    )
                    context["resolved"] = True
                except DomainError as error:
                    context["error"] = error
        context["lists"] = worklists.worklists(actor=request.user, purpose=purpose)
        context["purpose"] = purpose
    return _render(request, "jukinet_cs/worklist.html", context)


class SendingAddressForm(PurposeForm):
    state = forms.ChoiceField(
        label="状態",
        choices=[("", "すべて"), *sending.State.choices],
        required=False,
    )


@require_http_methods(["GET", "POST"])
@cs_screen
def sending_addresses(request: HttpRequest) -> HttpResponse:
    """送付先情報一覧: counts by state, the send history, 「再送」 of a returned record."""
    form = SendingAddressForm(request.POST or request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        purpose, state = form.cleaned_data["purpose"], form.cleaned_data["state"]
        if request.method == "POST":
            text = request.POST.get("send_id", "")
            try:
                # A malformed id is looked up as 0, which no record has: the refusal explains.
                sending.resend_refused(
                    actor=request.user, purpose=purpose, send_id=int(text) if text.isdigit() else 0
                )
                context["resent"] = True
            except DomainError as error:
                context["error"] = error
        context["listing"] = sending.list_sending_addresses(actor=request.user, purpose=purpose, state=state)
        context["purpose"] = purpose
        context["state"] = state
    return _render(request, "jukinet_cs/sending_addresses.html", context)


class CertificateRequestForm(PurposeForm):
    resident_code = forms.CharField(label="住民票コード（カードの記載）", max_length=11)
    from_municipality = forms.CharField(label="転出地の市町村コード（6桁）", max_length=6)


class MoveInNoticeResendForm(PurposeForm):
    notice_id = forms.IntegerField(label="転入通知の番号（一覧の番号）", min_value=1)
    destination_code = forms.CharField(
        label="転出地の市町村コード（6桁。不明だった場合は必須）", max_length=6, required=False
    )


@require_http_methods(["GET", "POST"])
@cs_screen
def move_out_certificates(request: HttpRequest) -> HttpResponse:
    """特例転入: カードによる本人確認 against the held 転出証明書情報, 送信依頼, the lists, the 送信 of the
    転出証明書情報 and 継続利用 left waiting for a peer, and the 再送信 of a waiting 転入通知."""
    action = request.POST.get("action", "")
    card_form = CardVerifyForm(request.POST if action == "check" else None, request.FILES or None)
    request_form = CertificateRequestForm(request.POST if action == "request" else None)
    resend_form = MoveInNoticeResendForm(request.POST if action == "resend_notice" else None)
    waiting_form = PurposeForm(request.POST if action == "send_waiting" else None)
    continued_use_form = PurposeForm(request.POST if action == "send_continued_use" else None)
    list_form = PurposeForm(request.GET or None)
    context: dict[str, Any] = {
        "card_form": card_form,
        "request_form": request_form,
        "resend_form": resend_form,
        "waiting_form": waiting_form,
        "continued_use_form": continued_use_form,
        "list_form": list_form,
    }
    try:
        if action == "check" and card_form.is_valid():
            data = card_form.cleaned_data
            context["checked"] = special_move_in.check_card(
                actor=request.user,
                purpose=data["purpose"],
                card_json=_card_json(data["card"]),
                pin=data["pin"],
            )
        elif action == "request" and request_form.is_valid():
            data = request_form.cleaned_data
            special_move_in.request_resend(
                actor=request.user,
                purpose=data["purpose"],
                resident_code=data["resident_code"],
                from_municipality=data["from_municipality"],
            )
            context["requested"] = True
        elif action == "resend_notice" and resend_form.is_valid():
            data = resend_form.cleaned_data
            context["notice_resent"] = move_in_notices.resend(
                actor=request.user,
                purpose=data["purpose"],
                notice_id=data["notice_id"],
                destination_code=data["destination_code"],
            )
        elif action == "send_waiting" and waiting_form.is_valid():
            context["waiting_sent"] = special_move_out.send_waiting(
                actor=request.user, purpose=waiting_form.cleaned_data["purpose"]
            )
        elif action == "send_continued_use" and continued_use_form.is_valid():
            context["continued_use_sent"] = special_move_in.send_waiting_continued_use_by_clerk(
                actor=request.user, purpose=continued_use_form.cleaned_data["purpose"]
            )
        if list_form.is_valid():
            purpose = list_form.cleaned_data["purpose"]
            context["lists"] = certificate_lists.certificate_lists(actor=request.user, purpose=purpose)
    except DomainError as error:
        context["error"] = error
    return _render(request, "jukinet_cs/move_out_certificates.html", context)
