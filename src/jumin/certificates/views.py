"""Clerk screens: request → confirmation → signed PDF; verification by upload; voiding. Thin.

Everything travels by POST, so no 宛名番号 or other personal data ever appears in a URL; the PDF is
downloaded under a name made of the internal issuance id only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.authorization import AccessRefused
from jumin.certificates import services
from jumin.certificates.forms import IssueForm, VerifyForm, VoidForm
from jumin.domain.errors import DomainError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def refused(request: HttpRequest, error: AccessRefused) -> HttpResponse:
    """The 403 page for a refusal (already audited by the service)."""
    return render(request, "certificates/refused.html", {"message": error.message}, status=403)


@login_required
def menu(request: HttpRequest) -> HttpResponse:
    """証明書 menu."""
    return render(request, "certificates/menu.html")


@login_required
def issue(request: HttpRequest) -> HttpResponse:
    """住民票の写し等の交付: the request form; "確認" shows who is printed and any alerts; "交付" issues."""
    form = IssueForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        step = request.POST.get("step", "confirm")
        try:
            if step == "issue":
                issued = services.issue_certificate(
                    actor=request.user,
                    purpose=form.cleaned_data["purpose"],
                    request=form.request(),
                    options=form.options(),
                    printer=form.cleaned_data["printer"],
                )
                response = HttpResponse(issued.pdf, content_type="application/pdf")
                response["Content-Disposition"] = (
                    f'attachment; filename="certificate-{issued.issuance_id}.pdf"'
                )
                return response
            preview = services.preview_certificate(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                request=form.request(),
                options=form.options(),
            )
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
        else:
            return render(request, "certificates/confirm.html", {"form": form, "preview": preview})
    return render(request, "certificates/issue.html", context)


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
