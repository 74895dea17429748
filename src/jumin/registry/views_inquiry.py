"""Clerk inquiry screens once a person is identified: 異動履歴 and 文字の拡大表示 (standard 2.2.1, 2.2.3).

Purpose and 宛名番号 arrive by POST (never in a URL); the reads are authorised and audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.authorization import AccessRefused
from jumin.domain.errors import DomainError
from jumin.registry import inquiry
from jumin.registry.forms_search import PersonForm
from jumin.registry.views import refused
from jumin.registry.workflows.acknowledgement import ACKNOWLEDGED_FIELD, UnacknowledgedAlertsError


@login_required
def timeline_view(request: HttpRequest) -> HttpResponse:
    """異動履歴の照会 (standard 2.2.1-a), 旧氏・通称の履歴 included."""
    form = PersonForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "title": "異動履歴の照会"}
    if request.method == "POST" and form.is_valid():
        try:
            timeline = inquiry.resident_timeline(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=form.cleaned_data["atena_number"],
                acknowledged_alerts=request.POST.getlist(ACKNOWLEDGED_FIELD),
            )
        except AccessRefused as error:
            return refused(request, error)
        except UnacknowledgedAlertsError as pending:
            context["pending_alerts"] = pending.alerts
        except DomainError as error:
            form.add_error("atena_number", f"{error.reason}{error.remedy}")
        else:
            return render(request, "registry/inquiry/timeline.html", {"timeline": timeline})
    return render(request, "registry/inquiry/person_form.html", context)


@login_required
def glyphs_view(request: HttpRequest) -> HttpResponse:
    """文字の拡大表示 (standard 2.2.3-a): each character of each name with its code points (IVS included)."""
    form = PersonForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "title": "文字の拡大表示"}
    if request.method == "POST" and form.is_valid():
        try:
            names = inquiry.resident_glyphs(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=form.cleaned_data["atena_number"],
                acknowledged_alerts=request.POST.getlist(ACKNOWLEDGED_FIELD),
            )
        except AccessRefused as error:
            return refused(request, error)
        except UnacknowledgedAlertsError as pending:
            context["pending_alerts"] = pending.alerts
        except DomainError as error:
            form.add_error("atena_number", f"{error.reason}{error.remedy}")
        else:
            return render(
                request,
                "registry/inquiry/glyphs.html",
                {"names": names, "atena_number": form.cleaned_data["atena_number"]},
            )
    return render(request, "registry/inquiry/person_form.html", context)
