"""The node's URLs plus views that fail, for the error-log tests (``ROOT_URLCONF`` override)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI
from ninja.security import django_auth

from jumin.settings.urls import urlpatterns as node_urlpatterns

LEAKED_VALUE = "123456789018"


def failing_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An unexpected error whose message quotes a value, as a careless one might."""
    raise ValueError(f"個人番号 {LEAKED_VALUE} を処理できません")


def missing_view(request: HttpRequest) -> HttpResponse:
    raise Http404


error_api = NinjaAPI(auth=django_auth, urls_namespace="test_error_api")


@error_api.get("/explode/{pk}")
def explode(request: HttpRequest, pk: int) -> dict[str, str]:
    """An API endpoint that fails the same way: Django Ninja hands the error on when DEBUG is off."""
    raise RuntimeError(f"個人番号 {LEAKED_VALUE}")


urlpatterns = [
    path("test-error-api/", error_api.urls),
    path("test-errors/<int:pk>/fail/", failing_view, name="test_error_fail"),
    path("test-errors/missing/", missing_view, name="test_error_missing"),
    *node_urlpatterns,
]
