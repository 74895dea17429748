"""個人番号カード and 住基カード status as the municipality records it (records.md §6.11; cards.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import MASK, AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import mynumber_check_digit
from jumin.domain.errors import DomainError
from jumin.registry import cards
from jumin.registry.cards import (
    CardEventInput,
    CardEventKind,
    CardKind,
    card_status,
    holds_active_card,
    record_card_event,
)
from jumin.registry.models import CardEvent, Resident
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


def juki(atena: str, kind: CardEventKind, on: date, expiry: date | None = None) -> CardEventInput:
    return CardEventInput(
        atena_number=atena, event=kind, event_date=on, expiry_date=expiry, card_kind=CardKind.JUKI
    )


JUKI_ISSUED = date(2015, 12, 1)


def test_a_juki_card_has_its_own_history_beside_the_individual_number_card(
    family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]
    view = card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head)
    assert (view.juki_card.label, view.juki_card.status, view.juki_card.events) == (
        "住基カード",
        "未交付",
        [],
    )
    expiry = date(2025, 12, 1)
    record_card_event(
        actor=card_clerk, purpose=PURPOSE, entry=juki(head, CardEventKind.ISSUED, JUKI_ISSUED, expiry)
    )
    issued(card_clerk, head)  # the 個人番号カード is a separate card with its own status
    view = card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head)
    assert (view.status, view.juki_card.status, view.juki_card.expiry_date) == ("有効", "有効", "2025-12-01")
    assert view.juki_card.past_expiry  # not yet recorded as 有効期限切れ, but the day has passed
    assert not view.past_expiry
    record_card_event(actor=card_clerk, purpose=PURPOSE, entry=juki(head, CardEventKind.RETURNED, today()))
    view = card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head)
    assert (view.status, view.juki_card.status, view.juki_card.past_expiry) == ("有効", "失効", False)
    assert [e.label for e in view.juki_card.events] == ["返納", "交付"]
    assert [e.label for e in view.events] == ["交付"]
    assert set(CardEvent.objects.values_list("card_kind", flat=True)) == {"juki", "individual_number"}
    reasons = AuditEntry.objects.filter(action="resident:card:record").values_list("reason", flat=True)
    assert sorted(reasons) == ["issued", "juki:issued", "juki:returned"]


@pytest.mark.parametrize(
    ("on", "expiry", "field", "code"),
    [
        (date(2016, 1, 1), date(2025, 12, 31), "event_date", "registry.card.juki_not_issued"),
        (date(2015, 12, 1), date(2025, 12, 2), "expiry_date", "registry.card.juki_expiry"),
        (date(2015, 12, 1), None, "expiry_date", "registry.card.expiry_required"),
    ],
)
def test_no_juki_card_is_issued_after_2015_nor_valid_beyond_ten_years(
    family: DraftRecorded, card_clerk: User, on: date, expiry: date | None, field: str, code: str
) -> None:
    entry = juki(family.atena_numbers[0], CardEventKind.ISSUED, on, expiry)
    with pytest.raises(DomainError) as raised:
        record_card_event(actor=card_clerk, purpose=PURPOSE, entry=entry)
    assert (raised.value.field, raised.value.code) == (field, code)
    assert not CardEvent.objects.exists()


def test_a_juki_card_event_follows_the_juki_card_status_only(family: DraftRecorded, card_clerk: User) -> None:
    head = family.atena_numbers[0]
    issued(card_clerk, head)
    with pytest.raises(DomainError) as raised:  # the 個人番号カード is 有効, the 住基カード never issued
        record_card_event(
            actor=card_clerk, purpose=PURPOSE, entry=juki(head, CardEventKind.SUSPENDED, today())
        )
    assert raised.value.code == "registry.card.transition"
    assert CardEvent.objects.count() == 1


def test_a_valid_juki_card_holder_may_move_out_by_special_move_out(
    family: DraftRecorded, card_clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = family.atena_numbers[0]
    resident = Resident.objects.get(atena_number=head)

    # Every 住基カード has expired by 2026: move the card module's clock (only) back.
    def clock_at(day: date) -> None:
        monkeypatch.setattr(cards, "timezone", SimpleNamespace(now=timezone.now, localdate=lambda: day))

    clock_at(date(2020, 4, 1))
    assert not holds_active_card(resident)
    record_card_event(
        actor=card_clerk,
        purpose=PURPOSE,
        entry=juki(head, CardEventKind.ISSUED, date(2015, 6, 1), date(2025, 6, 1)),
    )
    assert holds_active_card(resident)
    clock_at(date(2025, 6, 2))
    assert not holds_active_card(resident)  # past its expiry, though no 有効期限切れ is recorded yet


def test_the_screen_and_the_api_show_the_juki_card(
    family: DraftRecorded, card_clerk: User, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    clerk = logged_in(card_clerk)
    recorded = clerk.post(
        reverse("registry:card_record"),
        {
            "purpose": PURPOSE,
            "atena_number": head,
            "card_kind": "juki",
            "event": "issued",
            "event_date": "2015-12-01",
            "expiry_date": "2025-12-01",
        },
    )
    assert "記録しました" in recorded.content.decode()
    page = clerk.post(reverse("registry:cards"), {"purpose": PURPOSE, "atena_number": head}).content.decode()
    assert "住基カード" in page
    assert "2025-12-01" in page
    assert "有効期限を過ぎています" in page
    body = clerk.post(
        "/api/registry/programs/cards/status",
        data=json.dumps({"purpose": PURPOSE, "atena_number": head}),
        content_type="application/json",
    ).json()
    assert (body["status"], body["juki_card"]["status"], body["juki_card"]["label"]) == (
        "未交付",
        "有効",
        "住基カード",
    )
    assert body["individual_number"] == MASK
