"""異動前住所 (records.md §6.5; system.md F04 step 2): the address before a 転居, kept on the new row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.registry import certificate_sources
from jumin.registry.selectors import resident_history, resident_record
from jumin.registry.services import Address, DraftRecorded, commit_change
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.registry.conftest import ADDRESS, PURPOSE, current, logged_in

pytestmark = pytest.mark.django_db

FIRST_MOVE = Address(address="長崎県佐世保市八幡町2番3号", katagaki="八幡荘 101号", postal_code="8570048")
SECOND_MOVE = Address(address="長崎県佐世保市島瀬町5番1号", katagaki="", postal_code="8570806")


def today() -> date:
    return timezone.localdate()


def moved(clerk: User, reviewer: User, people: list[str], address: Address) -> DraftRecorded:
    move = MoveWithin(
        movers=people, address=address, move_date=today() - timedelta(days=1), notification_date=today()
    )
    draft = record_move_within(actor=clerk, purpose=PURPOSE, move=move)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def test_a_move_within_keeps_the_address_moved_from_as_the_pre_move_address(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    assert current(head).pre_move_address == ""  # a 転入 has none
    moved(clerk, reviewer, list(family.atena_numbers), FIRST_MOVE)
    row = current(head)
    assert (row.pre_move_postal_code, row.pre_move_address, row.pre_move_katagaki) == (
        ADDRESS.postal_code,
        ADDRESS.address,
        ADDRESS.katagaki,
    )
    record = resident_record(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert (record.address, record.pre_move_address) == (FIRST_MOVE.address, ADDRESS.address)
    [source] = certificate_sources.people([head])
    assert (source.pre_move_postal_code, source.pre_move_address, source.pre_move_katagaki) == (
        ADDRESS.postal_code,
        ADDRESS.address,
        ADDRESS.katagaki,
    )
    # A second 転居 replaces it with the address of the first; the history keeps both.
    moved(clerk, reviewer, list(family.atena_numbers), SECOND_MOVE)
    assert current(head).pre_move_address == FIRST_MOVE.address
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert [v.pre_move_address for v in history] == ["", ADDRESS.address, FIRST_MOVE.address]


def test_cancelling_the_move_restores_the_row_without_pre_move_address(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    draft = moved(clerk, reviewer, list(family.atena_numbers), FIRST_MOVE)
    cancellation = record_cancellation(
        actor=clerk, purpose=PURPOSE, cancellation=Cancellation(change_id=draft.change_id, reason="誤り")
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=cancellation.change_id)
    row = current(head)
    assert (row.address, row.pre_move_address) == (ADDRESS.address, "")


def test_the_person_screen_shows_the_pre_move_address(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    client = logged_in(reviewer)
    before = client.post(reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": head})
    assert "異動前住所" not in before.content.decode()
    moved(clerk, reviewer, list(family.atena_numbers), FIRST_MOVE)
    body = client.post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": head}
    ).content.decode()
    assert "異動前住所" in body
    assert f"〒{ADDRESS.postal_code} {ADDRESS.address} {ADDRESS.katagaki}" in body
