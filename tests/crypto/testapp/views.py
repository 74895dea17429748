"""Test-only views that handle a 個人番号 and fail, for the leak test.

The number comes in a POST body, never in the URL. Like every production view that handles a number,
the view hides its POST field and its local from error reports (sensitive_post_parameters/_variables).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from jumin.domain.errors import DomainError
from tests.crypto.testapp.models import IndividualNumberTestRecord


@sensitive_variables("number")
@sensitive_post_parameters("individual_number")
def handle_number(request: HttpRequest) -> HttpResponse:
    number = request.POST.get("individual_number", "")
    mode = request.POST.get("mode", "")
    record = IndividualNumberTestRecord(label="leak")
    if mode == "invalid":
        try:
            record.set_individual_number(number)
        except DomainError as exc:
            return HttpResponseBadRequest(str(exc))
        return HttpResponse("unexpected")
    if mode == "invalid_unhandled":
        record.set_individual_number(number)  # DomainError → 500
    record.set_individual_number(number)
    record.save()
    if mode == "tamper":
        token = record.individual_number.token  # type: ignore[union-attr]
        IndividualNumberTestRecord.objects.filter(pk=record.pk).update(
            individual_number=token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        )
        record.refresh_from_db()
        record.get_individual_number()  # raises DecryptionError → 500
    raise RuntimeError(
        f"処理に失敗しました: {record!r} {record.individual_number!r} {record.individual_number}"
    )


def handle_number_undecorated(request: HttpRequest) -> HttpResponse:
    """A careless view without the sensitive_* decorators: the reporter filter must still hide the number."""
    number = request.POST.get("individual_number", "")
    record = IndividualNumberTestRecord(label="careless")
    record.set_individual_number(number)
    raise RuntimeError("処理に失敗しました")


class FailingMiddleware:
    """Fails before any view runs, after reading the POST body (as a CSRF or session check might)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.POST:
            raise RuntimeError("middleware failed")
        return self.get_response(request)
