"""個人番号カード status kept in step between the registry and the 市町村CS, both ways (std 7.1.1.3-a)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import CARD_STATUS_NOTICE
from jumin.jukinet.common.queries import validate_card_status_notice
from jumin.jukinet.cs import card_sync as cs_card_sync
from jumin.jukinet.cs.cards import enqueue_card_event
from jumin.jukinet.cs.models import CsCardStatusEvent
from jumin.jukinet.national.models import Card
from jumin.jukinet.national.services.cards import expire_cards
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.testing import TestFederation
from jumin.registry import card_sync
from jumin.registry.cards import CardEventInput, CardEventKind, record_card_event
from jumin.registry.models import CardEvent
from jumin.registry.services import DraftRecorded
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current
from tests.registry.test_birth_number_network import SASEBO
from tests.registry.test_renewal_targets import family, number_clerk

pytestmark = pytest.mark.django_db
__all__ = ["family", "number_clerk"]  # the fixtures, imported for use here

NATIONAL = NodeRef("national", "00")


@pytest.fixture
def card_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "cardsync", Permission.RESIDENT_CARD_RECORD, Permission.RESIDENT_VIEW, Permission.RESIDENT_BATCH_RUN
    )


def _issue(clerk: User, atena: str, *, expiry_in_days: int = 3000) -> None:
    day = timezone.localdate() - timedelta(days=100)
    record_card_event(
        actor=clerk,
        purpose=PURPOSE,
        entry=CardEventInput(
            atena_number=atena,
            event=CardEventKind.ISSUED,
            event_date=day,
            expiry_date=timezone.localdate() + timedelta(days=expiry_in_days),
        ),
    )


def _cs_rows(atena: str) -> list[tuple[str, str]]:
    code = current(atena).juminhyo_code
    return list(
        CsCardStatusEvent.objects.filter(resident_code=code).order_by("pk").values_list("source", "event")
    )


def _national_card(code: str, serial: str, *, valid_until_days: int) -> Card:
    valid_until = timezone.localdate() + timedelta(days=valid_until_days)
    return Card.objects.create(
        serial=serial,
        resident_code=code,
        public_key="k" * 43,
        status=Card.Status.ACTIVE,
        issued_on=valid_until - timedelta(days=3650),
        valid_until=valid_until,
        issued_by=SASEBO.code,
    )


def test_each_registry_card_event_reaches_the_cs_in_its_transaction_and_a_refused_one_does_not(
    federation: TestFederation, family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]
    _issue(card_clerk, head)
    today = timezone.localdate()
    suspend = CardEventInput(atena_number=head, event=CardEventKind.SUSPENDED, event_date=today)
    record_card_event(actor=card_clerk, purpose=PURPOSE, entry=suspend)
    with pytest.raises(DomainError):  # 一時停止 of a suspended card: refused, nothing reaches the CS
        record_card_event(actor=card_clerk, purpose=PURPOSE, entry=suspend)

    assert _cs_rows(head) == [("registry", "issued"), ("registry", "suspended")]
    latest = CardEvent.objects.filter(resident=current(head).resident).latest("pk")
    assert CsCardStatusEvent.objects.filter(source_ref=f"reg-{latest.pk}").count() == 1
    assert card_sync.compare_with_cs(actor=card_clerk, purpose=PURPOSE) == []


def test_a_national_expiry_reaches_the_registry_once_as_its_own_audited_card_event(
    federation: TestFederation, family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]
    _issue(card_clerk, head, expiry_in_days=-1)  # the expiry has passed; nobody recorded it yet
    _national_card(current(head).juminhyo_code, "CARDSYNC0001", valid_until_days=-1)
    with federation.acting_as(NATIONAL):
        assert expire_cards() == 1
    federation.pump()
    assert _cs_rows(head)[-1] == ("national", "expired")
    assert [d.kind for d in card_sync.compare_with_cs(actor=card_clerk, purpose=PURPOSE)] == [
        card_sync.PENDING
    ]

    with federation.acting_as(SASEBO):
        first = card_sync.take_national_changes(actor=card_clerk, purpose=PURPOSE)
        again = card_sync.take_national_changes(actor=card_clerk, purpose=PURPOSE)

    assert (first.recorded, first.refused) == (1, 0)
    assert (again.recorded, again.refused) == (0, 0)
    events = list(CardEvent.objects.filter(resident=current(head).resident).order_by("pk"))
    assert [e.event for e in events] == ["issued", "expired"]
    assert events[-1].remarks == card_sync.NATIONAL_REMARK
    assert AuditEntry.objects.filter(
        action="resident:card:record", subject_id=head, reason="national:expired", outcome="done"
    ).exists()
    assert card_sync.compare_with_cs(actor=card_clerk, purpose=PURPOSE) == []


def test_a_national_change_the_registry_history_cannot_take_is_refused_audited_and_not_retried(
    federation: TestFederation, family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]  # no card recorded in the registry
    _national_card(current(head).juminhyo_code, "CARDSYNC0002", valid_until_days=-1)
    with federation.acting_as(NATIONAL):
        expire_cards()
    federation.pump()
    with federation.acting_as(SASEBO):
        result = card_sync.take_national_changes(actor=card_clerk, purpose=PURPOSE)
        retried = card_sync.take_national_changes(actor=card_clerk, purpose=PURPOSE)

    assert (result.recorded, result.refused) == (0, 1)
    assert (retried.recorded, retried.refused) == (0, 0)
    assert not CardEvent.objects.filter(resident=current(head).resident).exists()
    refused = AuditEntry.objects.get(action="resident:card:record", subject_id=head, outcome="refused")
    assert refused.outcome_reason == "registry.card.transition"


def test_the_comparison_lists_a_cs_that_lost_an_event_and_the_repair_sends_it_again(
    federation: TestFederation, family: DraftRecorded, card_clerk: User
) -> None:
    head, wife, _ = family.atena_numbers
    _issue(card_clerk, head)
    _issue(card_clerk, wife)
    CsCardStatusEvent.objects.filter(resident_code=current(wife).juminhyo_code).delete()  # a restore

    differences = card_sync.compare_with_cs(actor=card_clerk, purpose=PURPOSE)
    assert [(d.atena_number, d.kind, d.registry_status, d.cs_status) for d in differences] == [
        (wife, card_sync.MISSING, "有効", "未交付")
    ]
    assert card_sync.repair_cs(actor=card_clerk, purpose=PURPOSE) == 1
    assert card_sync.compare_with_cs(actor=card_clerk, purpose=PURPOSE) == []
    assert _cs_rows(wife) == [("registry", "issued")]


def test_a_notice_with_an_unknown_event_is_refused() -> None:
    payload = {
        "card_serial": "CARDSYNC0003",
        "resident_code": resident_code(1),
        "event": "destroy",
        "event_date": "2026-11-01",
        "reason": "",
    }
    with pytest.raises(DomainError) as refused:
        validate_card_status_notice(payload)
    assert refused.value.field == "event"


def test_a_replayed_notice_is_kept_once(federation: TestFederation, family: DraftRecorded) -> None:
    code = current(family.atena_numbers[0]).juminhyo_code
    envelope = Envelope(
        id="0b7c6a2e-8d1f-4c3a-9e5b-2f4d6a8c0e1f",
        type=CARD_STATUS_NOTICE,
        sender=NATIONAL,
        receiver=SASEBO,
        subject="card-CARDSYNC0004",
        seq=1,
        created=timezone.now(),
        payload={
            "card_serial": "CARDSYNC0004",
            "resident_code": code,
            "event": "abolish",
            "event_date": timezone.localdate().isoformat(),
            "reason": "",
        },
    )
    cs_card_sync.apply_status_notice(envelope)
    cs_card_sync.apply_status_notice(envelope)
    assert [(c.resident_code, c.event) for c in cs_card_sync.pending_for_registry()] == [(code, "revoked")]


def test_the_command_repairs_the_cs_and_lists_what_still_differs(
    federation: TestFederation, family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]
    _issue(card_clerk, head)
    CsCardStatusEvent.objects.all().delete()
    out = StringIO()
    call_command("cs_card_sync", "--operator", "cardsync", stdout=out)
    assert f"{head}\t{card_sync.MISSING}\t有効\t未交付" in out.getvalue()

    repaired = StringIO()
    call_command("cs_card_sync", "--operator", "cardsync", "--repair", stdout=repaired)
    assert "CSへ再送: 1件。" in repaired.getvalue()
    assert "カード状況の相違: 0件。" in repaired.getvalue()


def test_a_suspension_made_at_the_cs_reaches_the_registry_once(
    federation: TestFederation, family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]
    _issue(card_clerk, head)
    code = current(head).juminhyo_code
    with federation.acting_as(SASEBO), transaction.atomic():  # three wrong PINs lock and suspend the card
        enqueue_card_event("CARDSYNC0005", code, "suspend", "暗証番号の連続誤り", "op1", "term1", None)
        enqueue_card_event("CARDSYNC0005", code, "continue_use", "", "op1", "term1", None)  # no status change
    with federation.acting_as(SASEBO):
        taken = card_sync.take_national_changes(actor=card_clerk, purpose=PURPOSE)
        again = card_sync.take_national_changes(actor=card_clerk, purpose=PURPOSE)

    assert (taken.recorded, again.recorded) == (1, 0)
    latest = CardEvent.objects.filter(resident=current(head).resident).latest("pk")
    assert (latest.event, latest.remarks) == ("suspended", card_sync.CS_REMARK)
    assert card_sync.compare_with_cs(actor=card_clerk, purpose=PURPOSE) == []
