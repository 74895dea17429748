"""Requesting bodies, statistics, retention (issue 9 items 3, 6) and the screens and API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.prefecture.provision import bodies
from jumin.jukinet.prefecture.provision.keys import SearchKey
from jumin.jukinet.prefecture.provision.models import (
    BodyOperator,
    LegalBasis,
    ProvisionRecord,
    RequestingBody,
)
from jumin.jukinet.prefecture.provision.provide import provide
from jumin.jukinet.prefecture.provision.retention import purge_expired
from jumin.jukinet.prefecture.provision.selectors import provision_statistics
from jumin.jukinet.prefecture.provision.synthetic import Person
from tests.helpers.accounts import StaffClient, grant_permissions, make_user
from tests.jukinet.provision.conftest import PURPOSE

ADMIN = "provision_admin"


@pytest.fixture
def manager(db: None) -> User:
    user = make_user()
    grant_permissions(user, [Permission.PROVISION_BODY_MANAGE, Permission.PROVISION_STATISTICS])
    return user


def test_register_a_body_its_basis_and_an_operator(manager: User) -> None:
    body = bodies.register_body(
        actor=manager,
        code="ELEC",
        name="選挙管理委員会",
        kind="executive_body",
        ordinance="県条例第2号",
        purpose=ADMIN,
    )
    basis = bodies.add_basis(
        actor=manager,
        body_id=body.pk,
        code="E1",
        label="選挙事務",
        article="住基法30条の15第2項",
        items=["address", "name", "unknown"],
        purpose=ADMIN,
    )
    assert basis.allowed_items == ["name", "address"]
    clerk = make_user()
    bodies.assign_operator(actor=manager, username=clerk.username, body_id=body.pk, purpose=ADMIN)
    assert bodies.bases_for(clerk) == [basis]
    assert AuditEntry.objects.filter(action="provision:body:manage").count() == 3


def test_an_executive_body_needs_its_ordinance_and_items_are_required(manager: User) -> None:
    with pytest.raises(DomainError) as raised:
        bodies.register_body(
            actor=manager, code="EDU", name="教育委員会", kind="executive_body", purpose=ADMIN
        )
    assert raised.value.code == "provision.ordinance_required"
    department = bodies.register_body(
        actor=manager, code="TAX", name="税務課", kind="department", purpose=ADMIN
    )
    with pytest.raises(DomainError):
        bodies.add_basis(
            actor=manager,
            body_id=department.pk,
            code="T",
            label="県税",
            article="第1項",
            items=[],
            purpose=ADMIN,
        )
    assert not LegalBasis.objects.exists()


def test_managing_bodies_needs_the_manage_permission(db: None) -> None:
    clerk = make_user()
    grant_permissions(clerk, [Permission.PROVISION_PROVIDE])
    with pytest.raises(AccessRefused):
        bodies.register_body(actor=clerk, code="X", name="X", kind="department", purpose=ADMIN)
    assert not RequestingBody.objects.exists()


def test_statistics_count_per_body_basis_and_month_refused_included(
    people: list[Person], operator: User, basis: LegalBasis, narrow_basis: LegalBasis, manager: User
) -> None:
    for p in people[:3]:
        provide(
            actor=operator,
            basis_id=basis.pk,
            key=SearchKey(by="resident_code", resident_code=p.resident_code),
            purpose=PURPOSE,
        )
    provide(
        actor=operator,
        basis_id=narrow_basis.pk,
        key=SearchKey(by="resident_code", resident_code=people[0].resident_code),
        purpose=PURPOSE,
    )
    with pytest.raises(DomainError):
        provide(
            actor=operator, basis_id=basis.pk, key=SearchKey(by="four_items", name="佐藤"), purpose=PURPOSE
        )
    today = clock.today()
    rows = provision_statistics(actor=manager, since=today - timedelta(days=1), until=today, purpose=ADMIN)
    counts = {(row.basis, row.outcome): row.count for row in rows}
    assert counts == {
        ("奨学金事務", "提供・移転"): 3,
        ("奨学金事務", "拒否"): 1,
        ("通知事務", "提供・移転"): 1,
    }
    assert {row.month for row in rows} == {clock.now().astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m")}
    assert {row.body for row in rows} == {"教育委員会"}


def test_the_purge_deletes_only_rows_older_than_seven_years(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    key = SearchKey(by="resident_code", resident_code=people[0].resident_code)
    for _ in range(3):
        provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE)
    now = clock.now()
    old, recent, newest = ProvisionRecord.objects.order_by("id")
    ProvisionRecord.objects.filter(pk=old.pk).update(
        created_at=now.replace(year=now.year - 7) - timedelta(days=1)
    )
    ProvisionRecord.objects.filter(pk=recent.pk).update(
        created_at=now.replace(year=now.year - 7) + timedelta(days=1)
    )
    assert purge_expired() == 1
    assert set(ProvisionRecord.objects.values_list("pk", flat=True)) == {recent.pk, newest.pk}
    purge = AuditEntry.objects.get(action="provision:record:purge")
    assert purge.result_count == 1
    call_command("purge_provision_records")
    assert ProvisionRecord.objects.count() == 2


def test_the_terminal_screen_provides_and_logs(
    people: list[Person],
    make_staff: Callable[..., StaffClient],
    body: RequestingBody,
    narrow_basis: LegalBasis,
) -> None:
    client = make_staff([Permission.PROVISION_PROVIDE])
    assert client.user is not None
    BodyOperator.objects.create(user=client.user, body=body)
    page = client.get(reverse("jukinet_provision:terminal"))
    assert page.status_code == 200
    assert "通知事務" in page.content.decode()
    target = people[0]
    response = client.post(
        reverse("jukinet_provision:terminal"),
        {"basis_id": narrow_basis.pk, "by": "resident_code", "resident_code": target.resident_code},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert target.address in html
    assert ProvisionRecord.objects.get().outcome == "provided"
    guarded = client.post(
        reverse("jukinet_provision:terminal"),
        {"basis_id": narrow_basis.pk, "by": "four_items", "name": "佐藤"},
    )
    assert "入力してください" in guarded.content.decode()


def test_screens_refuse_without_permission(make_staff: Callable[..., StaffClient]) -> None:
    client = make_staff([])
    for name in ("register", "statistics", "disclosure"):
        assert client.get(reverse(f"jukinet_provision:{name}")).status_code == 403


def test_the_api_provides_and_reports_statistics(
    people: list[Person],
    make_staff: Callable[..., StaffClient],
    body: RequestingBody,
    narrow_basis: LegalBasis,
) -> None:
    client = make_staff([Permission.PROVISION_PROVIDE, Permission.PROVISION_STATISTICS])
    assert client.user is not None
    BodyOperator.objects.create(user=client.user, body=body)
    response = client.post(
        "/api/jukinet/provision/provide",
        {"basis_id": narrow_basis.pk, "by": "resident_code", "resident_code": people[1].resident_code},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["persons"] == [{"name": people[1].name, "address": people[1].address}]
    bad = client.post(
        "/api/jukinet/provision/provide",
        {"basis_id": narrow_basis.pk, "by": "resident_code", "resident_code": "123"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    today = clock.today().isoformat()
    stats = client.get(f"/api/jukinet/provision/statistics?since={today}&until={today}")
    assert stats.status_code == 200
    assert sum(row["count"] for row in stats.json()) == 2
