"""The screens and API of rights by unit and by batch (standard 10.3-b, 10.3-e)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.models import GrantApplication, OrganisationUnit, UnitMembership, User
from jumin.accounts.permissions import Permission as P  # noqa: N817
from tests.helpers.accounts import make_user

pytestmark = pytest.mark.django_db
HEADER = "職員番号,部署コード,事務,開始日,終了日,理由\n"


def period() -> str:
    today = clock.today()
    return f"{today.isoformat()},{clock.fiscal_year_end(today).isoformat()}"


def upload(text: str, action: str) -> dict[str, object]:
    return {"file": SimpleUploadedFile("grants.csv", text.encode()), "action": action}


def test_the_import_screen_lists_row_errors_and_registers_nothing(make_staff: Callable[..., Any]) -> None:
    client = make_staff([P.STAFF_GRANT_REQUEST])
    text = HEADER + f"S123,,no_such_duty,{period()},\n"
    for action in ("preview", "commit"):
        body = client.post(reverse("web:grant_import"), upload(text, action)).content.decode()
        assert "2</td><td>事務</td><td>事務が一覧にありません。" in body
    assert not GrantApplication.objects.filter(reason="一括登録").exists()


def test_the_import_screen_previews_then_registers_every_row(make_staff: Callable[..., Any]) -> None:
    client = make_staff([P.STAFF_GRANT_REQUEST])
    person = make_user().person
    assert person is not None
    text = HEADER + f"{person.staff_number},,certificate,{period()},\n"
    body = client.post(reverse("web:grant_import"), upload(text, "preview")).content.decode()
    assert "登録される内容（1件）" in body
    assert not GrantApplication.objects.filter(reason="一括登録").exists()
    response = client.post(reverse("web:grant_import"), upload(text, "commit"))
    assert response.status_code == 302
    assert GrantApplication.objects.filter(grantee__person=person, duty="certificate").count() == 1


def test_the_import_api_answers_row_errors_as_json(make_staff: Callable[..., Any]) -> None:
    client = make_staff([P.STAFF_GRANT_REQUEST])
    response = client.post(
        reverse("web:api_grant_import"), data=HEADER + f",,certificate,{period()},\n", content_type="text/csv"
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["row"], error["field"], error["code"]) == (2, "職員番号", "bulk.target")
    assert error["remedy"]


def test_the_units_screen_registers_a_unit_and_a_member(make_staff: Callable[..., Any]) -> None:
    client = make_staff([P.HR_EVENT_RECORD])
    client.post(reverse("web:unit_register"), {"code": "ZEIMU", "name": "税務課"})
    person = make_user().person
    assert person is not None
    client.post(
        reverse("web:unit_member"),
        {"unit_code": "ZEIMU", "staff_number": person.staff_number, "starts_on": clock.today().isoformat()},
    )
    assert OrganisationUnit.objects.filter(code="ZEIMU").exists()
    assert UnitMembership.objects.filter(unit__code="ZEIMU", person=person).exists()
    body = client.get(reverse("web:units")).content.decode()
    assert "税務課" in body
    assert person.staff_number in body


def test_the_rights_api_names_the_source_of_each_right(make_staff: Callable[..., Any]) -> None:
    client = make_staff([P.STAFF_GRANT_REPORT])
    assert client.user is not None
    assert client.user.person is not None
    response = client.post(
        reverse("web:api_effective_rights"),
        data=json.dumps({"staff_number": client.user.person.staff_number}),
        content_type="application/json",
    )
    rights = {r["permission"]: r["sources"] for r in response.json()["rights"]}
    assert rights["staff:grant:report"][0].startswith("個人付与")


def test_the_staff_import_screen_registers_accounts_without_a_password(
    make_staff: Callable[..., Any],
) -> None:
    client = make_staff([P.STAFF_MANAGE])
    header = "職員番号,氏名,職員ID,区分,雇用通知書番号,雇用期間満了日,部署コード,所属開始日\n"
    text = header + "C0001,窓口 三郎,cclerk1,職員,,,,\n"
    body = client.post(reverse("web:staff_import"), upload(text, "preview")).content.decode()
    assert "登録される内容（1件）" in body
    response = client.post(reverse("web:staff_import"), upload(text, "commit"))
    assert response.status_code == 302
    assert not User.objects.get(username="cclerk1").has_usable_password()
