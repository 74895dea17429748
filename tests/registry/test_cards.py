"""個人番号カード status recorded by the municipality (records.md §6.11; docs/workflows/cards.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.authorization import MASK, AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import mynumber_check_digit
from jumin.domain.errors import DomainError
from jumin.registry.cards import CardEventInput, CardEventKind, card_status, record_card_event
from jumin.registry.models import CardEvent
from jumin.registry.services import DraftRecorded
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import current, family, today

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

NUMBER = "12345678901" + mynumber_check_digit("12345678901")  # synthetic, valid check digit


@pytest.fixture
def card_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("card", Permission.RESIDENT_CARD_RECORD, Permission.RESIDENT_VIEW)


def event(atena: str, kind: CardEventKind, on: date, expiry: date | None = None) -> CardEventInput:
    return CardEventInput(atena_number=atena, event=kind, event_date=on, expiry_date=expiry)


def issued(actor: User, atena: str, on: date | None = None) -> None:
    day = on or today() - timedelta(days=100)
    record_card_event(
        actor=actor,
        purpose=PURPOSE,
        entry=event(atena, CardEventKind.ISSUED, day, expiry=day + timedelta(days=3650)),
    )


def test_issue_suspend_resume_return_keeps_every_event_and_the_latest_decides(
    family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]
    assert card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head).status == "未交付"
    issued(card_clerk, head)
    for kind in (CardEventKind.SUSPENDED, CardEventKind.RESUMED, CardEventKind.RETURNED):
        record_card_event(actor=card_clerk, purpose=PURPOSE, entry=event(head, kind, today()))
    view = card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head)
    assert view.status == "失効"
    assert [e.label for e in view.events] == ["返納", "停止解除", "一時停止", "交付"]
    assert view.expiry_date == (today() - timedelta(days=100) + timedelta(days=3650)).isoformat()
    assert view.individual_number == MASK
    assert CardEvent.objects.count() == 4
    issued(card_clerk, head, on=today())  # a new card after the old one ended
    assert card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head).status == "有効"


@pytest.mark.parametrize(
    ("kind", "on", "expiry", "field", "code"),
    [
        (CardEventKind.RESUMED, 0, None, "event", "registry.card.transition"),
        (CardEventKind.ISSUED, 0, None, "event", "registry.card.transition"),
        (CardEventKind.SUSPENDED, 1, None, "event_date", "registry.card.future"),
        (CardEventKind.SUSPENDED, -200, None, "event_date", "registry.card.date_order"),
        (CardEventKind.SUSPENDED, 0, 30, "expiry_date", "registry.card.expiry_not_allowed"),
        (CardEventKind.EXPIRED, 0, None, "event_date", "registry.card.not_yet_expired"),
    ],
)
def test_an_event_that_does_not_follow_is_refused_and_nothing_is_written(
    family: DraftRecorded,
    card_clerk: User,
    kind: CardEventKind,
    on: int,
    expiry: int | None,
    field: str,
    code: str,
) -> None:
    head = family.atena_numbers[0]
    issued(card_clerk, head)
    day = today() + timedelta(days=on)
    entry = event(head, kind, day, expiry=day + timedelta(days=expiry) if expiry is not None else None)
    with pytest.raises(DomainError) as raised:
        record_card_event(actor=card_clerk, purpose=PURPOSE, entry=entry)
    assert (raised.value.field, raised.value.code) == (field, code)
    assert CardEvent.objects.count() == 1


def test_an_issue_needs_an_expiry_after_the_issue_date(family: DraftRecorded, card_clerk: User) -> None:
    entry = event(family.atena_numbers[0], CardEventKind.ISSUED, today(), expiry=today())
    with pytest.raises(DomainError) as raised:
        record_card_event(actor=card_clerk, purpose=PURPOSE, entry=entry)
    assert raised.value.field == "expiry_date"
    assert not CardEvent.objects.exists()


def _give_number(atena: str) -> None:
    snapshot = current(atena)
    snapshot.set_individual_number(NUMBER)
    snapshot.save(update_fields=["individual_number", "individual_number_index"])


def test_the_number_is_shown_only_with_the_specific_personal_information_right(
    family: DraftRecorded, card_clerk: User, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    _give_number(head)
    with pytest.raises(AccessRefused):
        card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head, with_individual_number=True)
    holder = make_clerk("mynumber", Permission.RESIDENT_VIEW, Permission.INDIVIDUAL_NUMBER_ACCESS)
    view = card_status(actor=holder, purpose=PURPOSE, atena_number=head, with_individual_number=True)
    assert view.individual_number == NUMBER
    entry = AuditEntry.objects.filter(action="resident:card:view", outcome="done").latest("seq")
    assert entry.individual_number_used
    assert not any(NUMBER in str(values) for values in AuditEntry.objects.values_list())


def test_api_and_screen_permission_matrix(
    family: DraftRecorded, make_staff: Callable[..., Any], make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    issue_day = today() - timedelta(days=1)
    body = {
        "purpose": PURPOSE,
        "atena_number": head,
        "event": "issued",
        "event_date": issue_day.isoformat(),
        "expiry_date": (issue_day + timedelta(days=3650)).isoformat(),
    }
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/programs/cards/events",
        Permission.RESIDENT_CARD_RECORD,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(201,),
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/programs/cards/status",
        Permission.RESIDENT_VIEW,
        data=json.dumps({"purpose": PURPOSE, "atena_number": head}),
        content_type="application/json",
    )
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:card_record"),
        Permission.RESIDENT_CARD_RECORD,
        data={
            "purpose": PURPOSE,
            "atena_number": head,
            "event": "suspended",
            "event_date": today().isoformat(),
        },
    )
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:cards"),
        Permission.RESIDENT_VIEW,
        data={"purpose": PURPOSE, "atena_number": head},
    )
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW)
    page = logged_in(viewer).post(reverse("registry:cards"), {"purpose": PURPOSE, "atena_number": head})
    assert "一時停止中" in page.content.decode()
    asked = logged_in(viewer).post(
        reverse("registry:cards"), {"purpose": PURPOSE, "atena_number": head, "with_individual_number": "on"}
    )
    assert asked.status_code == 403
