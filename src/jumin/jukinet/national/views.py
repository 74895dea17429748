"""The national operator screen (Japanese, thin): counts, a card lookup by serial and a 附票 lookup by
住民票コード (both POST, so no key is in a URL)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jumin.accounts.authorization import AccessRefused
from jumin.domain.errors import DomainError
from jumin.jukinet.national import exchanges, selectors

REFUSED_TEMPLATE = "jukinet_national/refused.html"


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Counts only (``national:monitor``); a refusal renders 403 and is audited."""
    try:
        data = selectors.overview_for(request.user)
    except AccessRefused as refused:
        return render(request, REFUSED_TEMPLATE, {"message": refused.message}, status=403)
    return render(request, "jukinet_national/overview.html", {"overview": data})


@login_required
@require_POST
def card_lookup(request: HttpRequest) -> HttpResponse:
    """One card by serial (``national:card:manage``); bad input shows the reason and changes nothing."""
    try:
        card = selectors.card_for(request.user, request.POST.get("serial", ""))
    except AccessRefused as refused:
        return render(request, REFUSED_TEMPLATE, {"message": refused.message}, status=403)
    except DomainError as error:
        return render(request, "jukinet_national/card.html", {"error": error}, status=400)
    return render(request, "jukinet_national/card.html", {"card": card})


FUHYO_TEMPLATE = "jukinet_national/fuhyo.html"


@login_required
@require_http_methods(["GET", "POST"])
def fuhyo_lookup(request: HttpRequest) -> HttpResponse:
    """GET: the form; POST: one person's 附票 by 住民票コード (``national:fuhyo:view``, audited).

    Bad or unknown input shows the reason and changes nothing; a refusal renders 403 and is audited.
    """
    try:
        if request.method == "GET":
            selectors.may_look_up_fuhyo(request.user)  # the empty form: no personal data, no view entry
            return render(request, FUHYO_TEMPLATE, {})
        fuhyo = selectors.fuhyo_for(request.user, request.POST.get("resident_code", ""))
    except AccessRefused as refused:
        return render(request, REFUSED_TEMPLATE, {"message": refused.message}, status=403)
    except DomainError as error:
        return render(request, FUHYO_TEMPLATE, {"error": error}, status=400)
    return render(request, FUHYO_TEMPLATE, {"fuhyo": fuhyo})


@login_required
@require_http_methods(["GET", "POST"])
def provision_status(request: HttpRequest) -> HttpResponse:
    """本人確認情報の提供状況 of one person (``national:monitor``): the 住民票コード in the POST body."""
    context: dict[str, object] = {"purpose": selectors.MONITOR_PURPOSE}
    if request.method == "POST":
        context["purpose"] = request.POST.get("purpose", "")
        try:
            context["status"] = exchanges.provision_status(
                actor=request.user,
                purpose=str(context["purpose"]),
                resident_code=request.POST.get("resident_code", ""),
            )
        except AccessRefused as refused:
            return render(request, REFUSED_TEMPLATE, {"message": refused.message}, status=403)
        except DomainError as error:
            context["error"] = error
    return render(request, "jukinet_national/provision_status.html", context)
