"""Clerk screens of the 住民票コード and 個人番号 changes (docs/workflows/number-changes.md).

Each enters a draft; another clerk commits it on the ordinary review screens. The screens never show
a 個人番号: the new number exists only after 本登録 and is read on the screens that check the
特定個人情報 permission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from jumin.registry.forms_number_changes import CodeCorrectionForm, NumberChangeForm
from jumin.registry.services import DraftRecorded
from jumin.registry.views_common import acknowledged, clerk_screen, enter_draft
from jumin.registry.workflows import number_changes

FORM_TEMPLATE = "registry/numbers/form.html"

Service = Callable[..., DraftRecorded]


def _screen(request: HttpRequest, service: Service, context: dict[str, Any]) -> HttpResponse:
    def submit(data: dict[str, Any]) -> DraftRecorded:
        return service(
            actor=request.user,
            purpose=data["purpose"],
            request=number_changes.NumberChangeRequest(
                atena_number=data["atena_number"],
                basis=number_changes.ChangeBasis(data["basis"]),
                requested_on=data["requested_on"],
                grounds=data["grounds"],
                acknowledged_alerts=acknowledged(request),
            ),
        )

    return enter_draft(request, NumberChangeForm(request.POST or None), FORM_TEMPLATE, submit, context)


@clerk_screen
def resident_code_change_view(request: HttpRequest) -> HttpResponse:
    """住民票コードの変更（請求・職権）の入力 (draft)."""
    return _screen(
        request,
        number_changes.record_resident_code_change,
        {
            "title": "住民票コードの変更（仮登録）",
            "lead": (
                "本人の請求（住民基本台帳法第30条の4、理由は不要）または職権により住民票コードを変更します。"
                "新しい住民票コードは本登録のときに未使用のコードから付番され、"
                "変更前のコードは旧住民票コードとして記録されます。"
            ),
            "after_commit": "本登録の後、住民票コード変更通知票を印刷してください。",
        },
    )


@clerk_screen
def individual_number_change_view(request: HttpRequest) -> HttpResponse:
    """個人番号の変更（請求・職権）の入力 (draft)."""
    return _screen(
        request,
        number_changes.record_individual_number_change,
        {
            "title": "個人番号の変更（仮登録）",
            "lead": (
                "個人番号が漏えいして不正に用いられるおそれがあると認められるとき（番号法第7条第2項）、"
                "本人の請求または職権により個人番号を変更します。理由の入力が必要です。"
                "新しい個人番号は本登録のときに全国サーバへ変更要求をして受け取ります。"
            ),
            "after_commit": "本登録の後、新しい個人番号の個人番号通知書が送付されます。",
        },
    )


@clerk_screen
def resident_code_correction_view(request: HttpRequest) -> HttpResponse:
    """住民票コードの修正（職権）の入力 (draft)."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return number_changes.record_resident_code_correction(
            actor=request.user,
            purpose=data["purpose"],
            correction=number_changes.ResidentCodeCorrection(
                atena_number=data["atena_number"],
                correct_code=data["correct_code"],
                found_on=data["found_on"],
                grounds=data["grounds"],
                acknowledged_alerts=acknowledged(request),
            ),
        )

    context = {
        "title": "住民票コードの修正（仮登録）",
        "lead": (
            "誤って記載された住民票コードを、職権で正しい住民票コードに修正します。"
            "誤っていたコードは旧住民票コードとして記録されます。"
        ),
        "after_commit": "本登録の後、住民票コード修正通知票を印刷してください。",
    }
    return enter_draft(request, CodeCorrectionForm(request.POST or None), FORM_TEMPLATE, submit, context)
